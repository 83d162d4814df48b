"""What a task handler is given and how it is called: :class:`TaskContext`, a handler's result or failure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestration.asl.callbacks import TaskCallbacks
from orchestration.asl.clock import Clock
from orchestration.asl.errors import TASK_FAILED, TIMEOUT, AbortExecution, TaskFailure
from orchestration.asl.history import dumps

Handler = Callable[[Any, "TaskContext"], Any]

SERVICE_ARN = re.compile(r"arn:[^:]+:states:::(.+):([^:]+)")


@dataclass(frozen=True)
class TaskContext:
    """What a task handler knows about the task it runs."""

    state_name: str
    resource: str
    execution_name: str
    execution_arn: str
    retry_count: int
    clock: Clock
    started_at: datetime
    deadline: datetime | None
    heartbeat_seconds: int | None
    task_token: str | None = None  # ``$$.Task.Token`` of a ``.waitForTaskToken`` task
    execution: TaskCallbacks | None = None

    def remaining_seconds(self) -> float | None:
        """Seconds left before ``TimeoutSeconds`` expires (None without a timeout)."""
        if self.deadline is None:
            return None
        return (self.deadline - self.clock.now()).total_seconds()

    def heartbeat(self) -> None:
        """Report progress; raises ``TaskFailure("States.Timeout")`` once the task's deadline has passed."""
        if self.deadline is not None and self.clock.now() > self.deadline:
            raise TaskFailure(TIMEOUT)


def call_handler(handler: Handler, parameters: Any, context: TaskContext) -> tuple[str | None, str | None, str]:
    """Call a handler: ``(result as JSON text, None, "")``, or ``(None, error, cause)`` when it failed."""
    try:
        return dumps(handler(parameters, context)), None, ""
    except TaskFailure as failure:
        return None, failure.error, failure.cause
    except AbortExecution:
        raise
    except Exception as exc:  # like an exception in a Lambda function: the task fails, the execution goes on
        return None, TASK_FAILED, json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__})


def split_resource(resource: str) -> tuple[str, str]:
    """History's (resourceType, resource): ``arn:aws:states:::glue:startJobRun.sync`` -> (glue, startJobRun.sync)."""
    match = SERVICE_ARN.fullmatch(resource)
    if match:
        return match.group(1), match.group(2)
    parts = resource.split(":")
    return (parts[2] if len(parts) > 2 else "unknown"), resource
