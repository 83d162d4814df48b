"""Execution history: events shaped like Step Functions' ``GetExecutionHistory`` output.

Each event is a dict ``{"id", "previousEventId", "timestamp", "type", <details key>: {...}}`` with
AWS's event type names (``ExecutionStarted``, ``TaskStateEntered``, ``TaskScheduled``, ...) and
details keys (``stateEnteredEventDetails``, ``taskScheduledEventDetails``, ...). Inputs, outputs and
parameters inside details are JSON strings, as in AWS. Timestamps are ISO 8601 strings (UTC).

``previousEventId`` follows the causal chain as in AWS: the first state of the execution points at
0, the first event of every Parallel branch at its ``ParallelStateStarted`` event, and the first
event of every Map iteration at its ``MapIterationStarted`` event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestration.asl.clock import Clock, format_timestamp

EventCallback = Callable[[dict], None]
NOT_TRUNCATED = {"truncated": False}  # the *Details of an input or output: never truncated here


def dumps(value: Any) -> str:
    """Compact JSON, as Step Functions writes inputs and outputs into its history."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def details_key(event_type: str) -> str:
    """The details field of an event type: ``TaskScheduled`` -> ``taskScheduledEventDetails``."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class History:
    """The ordered list of events of one execution; ``on_event`` sees each event as it is recorded."""

    def __init__(self, clock: Clock, on_event: EventCallback | None = None):
        self.events: list[dict] = []
        self._clock = clock
        self._on_event = on_event

    @property
    def last_id(self) -> int:
        return len(self.events)

    def emit(self, event_type: str, previous: int, details: dict | None = None) -> int:
        """Record an event caused by event ``previous``; return its id."""
        event = {"id": len(self.events) + 1, "previousEventId": previous,
                 "timestamp": format_timestamp(self._clock.now()), "type": event_type}
        if details is not None:
            event[details_key(event_type)] = details
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)
        return event["id"]
