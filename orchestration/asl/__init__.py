"""Local interpreter of the Amazon States Language (JSONPath and JSONata, variables, inline and Distributed Map).

The same definition runs on AWS Step Functions and here; see :mod:`orchestration.asl.executor`.
"""

from orchestration.asl.clock import Clock, FakeClock, RealClock
from orchestration.asl.distributed import MapRun
from orchestration.asl.errors import AbortExecution, DefinitionError, InvalidToken, TaskFailure, TaskTimedOut
from orchestration.asl.executor import (
    Execution,
    Handler,
    StateMachine,
    TaskCallbacks,
    TaskContext,
    load_definition,
)

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
