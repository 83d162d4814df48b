"""Retry and Catch of Task, Parallel and Map states (AWS "Error handling in Step Functions").

* Retriers are scanned in order; the first whose ``ErrorEquals`` matches decides. If it has attempts
  left, the state runs again after ``IntervalSeconds * BackoffRate ** n`` seconds (n = that retrier's
  previous retries in this visit of the state), capped by ``MaxDelaySeconds``; with
  ``JitterStrategy: FULL`` the wait is uniform in [0, delay]. Counters are per retrier and per visit.
* Then catchers are scanned in order; the first match sends the error output
  ``{"Error", "Cause"}`` through its ResultPath (applied to the state's raw input, default ``$``)
  to its Next state. OutputPath is not applied to a caught error. In JSONata the catcher's Output
  (default: the error output) is the state's output; in both languages its Assign sets variables.
* ``States.Runtime`` is never retried or caught (see :mod:`orchestration.asl.errors`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from orchestration.asl.errors import ALL, DefinitionError, StatesError
from orchestration.asl.jsonata import Value, value_field
from orchestration.asl.payload import ResultPath, result_path_field
from orchestration.asl.validation import (
    check_fields,
    field,
    get_integer,
    get_number,
    get_string,
    require_list,
    require_object,
)
from orchestration.asl.variables import Assign, Variables, assign_field

KNOWN_ERRORS = frozenset({
    "States.ALL", "States.DataLimitExceeded", "States.ExceedToleratedFailureThreshold", "States.HeartbeatTimeout",
    "States.Http.Socket", "States.IntrinsicFailure", "States.ItemReaderFailed", "States.NoChoiceMatched",
    "States.ParameterPathFailure", "States.Permissions", "States.QueryEvaluationError",
    "States.ResultPathMatchFailure", "States.ResultWriterFailed", "States.Runtime", "States.TaskFailed",
    "States.Timeout", "States.BranchFailed"})
_RETRIER_FIELDS = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                             "JitterStrategy", "Comment"})
_CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "Assign", "Comment"})


class RetryVisit(Protocol):
    """What the policy needs from the state visit it runs in."""

    rng: random.Random

    @property
    def context(self) -> dict: ...

    @property
    def variables(self) -> Variables: ...

    def new_uuid(self) -> str: ...

    def record_evaluation_failure(self, error: StatesError) -> None: ...

    def retried(self) -> None: ...

    def sleep(self, seconds: float) -> None: ...

    def emit(self, event_type: str, details: dict | None = None) -> int: ...


@dataclass(frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    full_jitter: bool = False

    def delay(self, retries_so_far: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retries_so_far + 1`` of this retrier."""
        seconds = self.interval_seconds * self.backoff_rate ** retries_so_far
        if self.max_delay_seconds is not None:
            seconds = min(seconds, self.max_delay_seconds)
        return rng.uniform(0, seconds) if self.full_jitter else seconds


@dataclass(frozen=True)
class Catcher:
    """A Catch entry. JSONPath: the error output goes through ResultPath; JSONata: Output (default: the
    error output) and Assign read ``$states.errorOutput``. Assign reads the error output as ``$`` in JSONPath."""

    error_equals: tuple[str, ...]
    next: str
    result_path: ResultPath | None
    output: Value | None = None
    assign: Assign | None = None

    def finish(self, raw_input: Any, error_output: dict, visit: RetryVisit) -> tuple[Any, dict | None]:
        """The state's output and the variables to assign when this catcher handles an error."""
        if self.result_path is not None:
            values = self.assign.values(error_output, visit) if self.assign is not None else None
            return self.result_path.apply(raw_input, error_output), values
        states = {"input": raw_input, "context": visit.context, "errorOutput": error_output}
        values = self.assign.values(states, visit) if self.assign is not None else None
        return (error_output if self.output is None else self.output.evaluate(states, visit)), values


class ErrorPolicy:
    """The Retry and Catch fields of one state."""

    def __init__(self, retriers: tuple[Retrier, ...] = (), catchers: tuple[Catcher, ...] = ()):
        self.retriers = retriers
        self.catchers = catchers

    def targets(self) -> list[str]:
        return [catcher.next for catcher in self.catchers]

    def run(self, attempt: Callable[[], tuple[Any, dict | None]], raw_input: Any, visit: RetryVisit,
            failed_event: str | None = None) -> tuple[str | None, Any, dict | None]:
        """Run ``attempt`` (which returns an output and the variables to assign) until it succeeds, is
        caught or fails for good.

        Returns ``(None, output, variables)`` on success and ``(catcher's Next, output, variables)``
        when caught; re-raises an error that no catcher handles. ``failed_event`` (e.g.
        ``ParallelStateFailed``) is recorded once retries are exhausted.
        """
        retries = [0] * len(self.retriers)
        while True:
            try:
                return None, *attempt()
            except StatesError as error:
                visit.record_evaluation_failure(error)
                delay = self._next_delay(error, retries, visit.rng)
                if delay is not None:
                    visit.retried()
                    visit.sleep(delay)
                    continue
                if failed_event is not None:
                    visit.emit(failed_event)
                catcher = next((c for c in self.catchers if error.matches(c.error_equals)), None)
                if catcher is None:
                    raise
                return catcher.next, *catcher.finish(raw_input, error.error_output(), visit)

    def _next_delay(self, error: StatesError, retries: list[int], rng: random.Random) -> float | None:
        """The wait before retrying ``error`` (counting the retry), or None when it is not retried."""
        for index, retrier in enumerate(self.retriers):
            if error.matches(retrier.error_equals):
                if retries[index] >= retrier.max_attempts:
                    return None
                retries[index] += 1
                return retrier.delay(retries[index] - 1, rng)
        return None


def compile_policy(spec: dict, where: str, jsonata: bool) -> ErrorPolicy:
    """The Retry and Catch fields of a Task, Parallel or Map state (of the state's query language)."""
    retriers = tuple(_retrier(item, field(field(where, "Retry"), i)) for i, item in
                     enumerate(require_list(spec.get("Retry", []), field(where, "Retry"), non_empty=False)))
    catchers = tuple(_catcher(item, field(field(where, "Catch"), i), jsonata) for i, item in
                     enumerate(require_list(spec.get("Catch", []), field(where, "Catch"), non_empty=False)))
    _check_all_is_last([r.error_equals for r in retriers], field(where, "Retry"))
    _check_all_is_last([c.error_equals for c in catchers], field(where, "Catch"))
    return ErrorPolicy(retriers, catchers)


def _retrier(spec: Any, where: str) -> Retrier:
    spec = require_object(spec, where)
    check_fields(spec, where, _RETRIER_FIELDS, "a retrier")
    jitter = get_string(spec, "JitterStrategy", where) or "NONE"
    if jitter not in ("FULL", "NONE"):
        raise DefinitionError(field(where, "JitterStrategy"), f"must be FULL or NONE, got {jitter!r}")
    values = {
        "interval_seconds": get_integer(spec, "IntervalSeconds", where, 1),
        "max_attempts": get_integer(spec, "MaxAttempts", where, 0),
        "backoff_rate": get_number(spec, "BackoffRate", where, 1.0),
        "max_delay_seconds": get_integer(spec, "MaxDelaySeconds", where, 1, 31_622_401),
    }
    return Retrier(_error_equals(spec, where), full_jitter=jitter == "FULL",
                   **{key: value for key, value in values.items() if value is not None})


def _catcher(spec: Any, where: str, jsonata: bool) -> Catcher:
    spec = require_object(spec, where)
    check_fields(spec, where, _CATCHER_FIELDS | ({"Output"} if jsonata else {"ResultPath"}), "a catcher")
    return Catcher(_error_equals(spec, where), get_string(spec, "Next", where, required=True),
                   None if jsonata else result_path_field(spec, where),
                   value_field(spec, "Output", where) if jsonata else None, assign_field(spec, where, jsonata))


def _error_equals(spec: dict, where: str) -> tuple[str, ...]:
    where = field(where, "ErrorEquals")
    names = require_list(spec.get("ErrorEquals"), where)
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise DefinitionError(field(where, index), "must be a string")
        if name.startswith("States.") and name not in KNOWN_ERRORS:
            raise DefinitionError(field(where, index), f"unknown error name {name!r}")
    if ALL in names and len(names) > 1:
        raise DefinitionError(where, "States.ALL must appear alone")
    return tuple(names)


def _check_all_is_last(error_lists: list[tuple[str, ...]], where: str) -> None:
    for index, names in enumerate(error_lists[:-1]):
        if ALL in names:
            raise DefinitionError(field(where, index), "the States.ALL entry must be the last one")
