"""What each state did in one run of an execution, read from its history events.

The events are Step Functions' (``GetExecutionHistory``) or the local executor's, which have the
same shapes. An event belongs to the state whose ``...StateEntered`` event its ``previousEventId``
chain reaches first, so the branches of a Parallel and the iterations of a Map are told apart as in
AWS, where their events interleave. A state's status is the console's colour:

    succeeded     entered and exited, first attempt
    retried       entered and exited after more than one attempt (``attempts`` says how many)
    caught        a failure inside it was routed on by a Catch (entered, failed, exited)
    failed        entered and never exited, and the execution ended (or the state is a Fail)
    running       entered and not exited, and the execution is still running
    not-entered   never entered in this run
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUSES = ("succeeded", "retried", "caught", "failed", "running", "not-entered")
ENDS = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
TASK_FAILURES = ("TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed")
FAILURES = ("ParallelStateFailed", "MapStateFailed", "EvaluationFailed", "ExecutionFailed", "ExecutionTimedOut",
            "ExecutionAborted")


@dataclass
class Attempt:
    """One try of a task: scheduled, then succeeded or failed."""

    start: datetime
    end: datetime | None = None
    error: str | None = None


@dataclass
class Visit:
    """One entry into a state: when, with what, what came out, and what went wrong."""

    name: str
    kind: str  # Task, Choice, Parallel, ... (from the event type)
    entered: datetime
    input: str | None
    exited: datetime | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def status(self, ended: bool) -> str:
        if self.exited is not None:
            if self.error is not None:
                return "caught"
            return "retried" if len(self.attempts) > 1 else "succeeded"
        return "failed" if ended or self.kind == "Fail" else "running"


@dataclass
class Run:
    """One run of an execution (its start, or a resume): the events from ``ExecutionStarted`` on."""

    events: list[dict[str, Any]]
    visits: list[Visit]

    @property
    def status(self) -> str:
        last = self.events[-1]["type"] if self.events else ""
        return {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
                "ExecutionAborted": "ABORTED"}.get(last, "RUNNING")

    @property
    def ended(self) -> bool:
        return bool(self.events) and self.events[-1]["type"] in ENDS

    @property
    def start(self) -> datetime | None:
        return timestamp(self.events[0]) if self.events else None

    @property
    def stop(self) -> datetime | None:
        return timestamp(self.events[-1]) if self.events else None

    def input(self) -> str | None:
        started = next((e for e in self.events if e["type"] == "ExecutionStarted"), None)
        return details(started).get("input") if started else None

    def states(self) -> dict[str, dict[str, Any]]:
        """Per state name, its last visit's status, attempts, timing, input, output, error and cause."""
        shown: dict[str, dict[str, Any]] = {}
        for visit in self.visits:
            entries = shown.get(visit.name, {}).get("visits", 0) + 1
            shown[visit.name] = {
                "status": visit.status(self.ended), "type": visit.kind, "visits": entries,
                "attempts": len(visit.attempts), "entered": _iso(visit.entered), "exited": _iso(visit.exited),
                "seconds": _seconds(visit.entered, visit.exited), "input": visit.input, "output": visit.output,
                "error": visit.error, "cause": visit.cause}
        return shown


def runs_of(events: list[dict[str, Any]]) -> list[Run]:
    """The runs of a history (a local ``_history.jsonl`` holds every run, each numbered from 1)."""
    starts = [i for i, e in enumerate(events) if e["type"] == "ExecutionStarted"] or [0]
    bounds = [*starts[1:], len(events)]
    return [_run(sorted(events[a:b], key=lambda e: e["id"])) for a, b in zip(starts, bounds, strict=True)]


def _run(events: list[dict[str, Any]]) -> Run:
    visits: dict[int, Visit] = {}
    owner: dict[int, int] = {}  # event id -> id of the StateEntered event it belongs to
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            owner[event["id"]] = event["id"]
            entered = details(event)
            visits[event["id"]] = Visit(entered["name"], kind[:-len("StateEntered")], timestamp(event),
                                        entered.get("input"))
            continue
        visit_id = _open_visit(visits, event) or owner.get(event.get("previousEventId") or 0)
        if visit_id is None:
            continue
        owner[event["id"]] = visit_id
        _apply(visits[visit_id], event)
    return Run(events, list(visits.values()))


def _open_visit(visits: dict[int, Visit], event: dict[str, Any]) -> int | None:
    """The visit a Parallel's or Map's own end belongs to: its chain runs through the last branch's events.

    ``...StateExited`` names its state; ``ParallelStateSucceeded``/``Failed`` (and Map's) end the
    innermost Parallel (Map) still open.
    """
    kind = event["type"]
    if kind.endswith("StateExited"):
        name = details(event).get("name")
        return next((i for i, v in reversed(visits.items()) if v.name == name and v.exited is None), None)
    for state in ("Parallel", "Map"):
        if kind in (f"{state}StateSucceeded", f"{state}StateFailed"):
            return next((i for i, v in reversed(visits.items()) if v.kind == state and v.exited is None), None)
    return None


def _apply(visit: Visit, event: dict[str, Any]) -> None:
    kind, at, info = event["type"], timestamp(event), details(event)
    if kind == "TaskScheduled":  # a new attempt: an earlier attempt's error was retried
        visit.attempts.append(Attempt(at))
        visit.error = visit.cause = None
    elif kind == "TaskSucceeded" and visit.attempts:
        visit.attempts[-1].end = at
    elif kind.endswith("StateExited"):
        visit.exited, visit.output = at, info.get("output")
    elif kind in TASK_FAILURES:
        visit.error, visit.cause = info.get("error"), info.get("cause")
        if visit.attempts:
            visit.attempts[-1].end, visit.attempts[-1].error = at, info.get("error")
    elif kind in FAILURES and visit.error is None:  # the execution's end names a Fail state's error
        visit.error, visit.cause = info.get("error"), info.get("cause")


def details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), None) or {}


def timestamp(event: dict[str, Any]) -> datetime:
    """An event's time: an ISO string (local history, JSON) or a datetime (boto3's GetExecutionHistory)."""
    value = event["timestamp"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds") if value else None


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if end else None
