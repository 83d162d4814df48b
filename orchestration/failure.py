"""Why an execution failed, read from its history events (local, or AWS GetExecutionHistory).

The execution's own error is the Fail state's (``StageFailed``, ``DataQualityFailed``) with a cause
that only points elsewhere. What a user acts on is further back: the state that failed, its error
name, and the job's own message inside the task's cause (a Glue JobRun's ``ErrorMessage``, an EMR
step's ``FailureDetails.Message``). The generated definition hands that error to the notification
as ``$.error`` (``Error``, ``Cause``, ``State``); the failed task event names the task, also inside
a Parallel branch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ENDS = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
TASK_FAILURES = ("TaskFailed", "TaskTimedOut")


@dataclass(frozen=True)
class Failure:
    """The failed state, its error name, and the job's own message (or the cause as reported)."""

    state: str | None
    error: str | None
    cause: str | None


def failure_of(events: list[dict[str, Any]]) -> Failure | None:
    """The failure that ended the execution of ``events``; None if it did not fail."""
    if not events or events[-1]["type"] not in ENDS:
        return None
    end = _details(events[-1])
    reported = _reported_error(events)
    error, cause = (reported["Error"], reported["Cause"]) if reported else (end.get("error"), end.get("cause"))
    task = _failed_task(events, error, cause)
    state = _state_of(events, task) if task else reported.get("State") if reported else None
    return Failure(state, error, job_message(cause))


def job_message(cause: str | None) -> str | None:
    """The job's own message inside a task's cause, or the cause itself."""
    try:
        value = json.loads(cause) if cause else None
    except json.JSONDecodeError:
        return cause
    if not isinstance(value, dict):
        return cause
    step = value.get("Step", {}).get("Status", {}).get("FailureDetails", {})
    message = value.get("ErrorMessage") or step.get("Message") or value.get("errorMessage")
    return message or cause


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {}


def _reported_error(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``$.error`` the last state entered with one received (the failure notification)."""
    for event in reversed(events):
        if not event["type"].endswith("StateEntered"):
            continue
        try:
            data = json.loads(event["stateEnteredEventDetails"].get("input") or "null")
        except json.JSONDecodeError:  # a truncated input of an AWS history
            continue
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and {"Error", "Cause", "State"} <= set(error):
            return error
    return None


def _failed_task(events: list[dict[str, Any]], error: str | None, cause: str | None) -> dict[str, Any] | None:
    """The last failed task event with this error and cause (not the notification's own failure)."""
    for event in reversed(events):
        details = _details(event)
        if (event["type"] in TASK_FAILURES and details.get("resourceType") != "sns"
                and details.get("error") == error and details.get("cause") == cause):
            return event
    return None


def _state_of(events: list[dict[str, Any]], event: dict[str, Any]) -> str | None:
    """The state an event belongs to: follow ``previousEventId`` back to its ``...StateEntered``."""
    by_id = {e["id"]: e for e in events}
    current: dict[str, Any] | None = event
    while current is not None:
        if current["type"].endswith("StateEntered"):
            return current["stateEnteredEventDetails"]["name"]
        current = by_id.get(current.get("previousEventId"))
    return None
