"""Local interpreter of the Amazon States Language (JSONPath and JSONata, variables, inline and Distributed Map).

The same definition runs on AWS Step Functions and here; see :mod:`orchestration.asl.executor`.
"""

from orchestration.asl.callbacks import TaskCallbacks
from orchestration.asl.clock import Clock, FakeClock, RealClock
from orchestration.asl.distributed import MapRun
from orchestration.asl.errors import AbortExecution, DefinitionError, InvalidToken, TaskFailure, TaskTimedOut
from orchestration.asl.executor import Execution, StateMachine, load_definition
from orchestration.asl.task_context import Handler, TaskContext

__all__ = [
    "AbortExecution",
    "Clock",
    "DefinitionError",
    "Execution",
    "FakeClock",
    "Handler",
    "InvalidToken",
    "MapRun",
    "RealClock",
    "StateMachine",
    "TaskCallbacks",
    "TaskContext",
    "TaskFailure",
    "TaskTimedOut",
    "load_definition",
]
