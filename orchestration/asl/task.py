"""The Task state: calls the handler of its ``Resource`` (:meth:`Visit.invoke`), with its timeouts."""

from __future__ import annotations

from typing import Any

from orchestration.asl.errors import DefinitionError
from orchestration.asl.jsonata import Expression, is_expression
from orchestration.asl.state_base import (
    IO,
    JSONATA_RESULT,
    RESULT,
    TRANSITION,
    Compilation,
    ResultState,
    Visit,
    evaluate_seconds,
)
from orchestration.asl.validation import field, get_integer, get_string


class TaskState(ResultState):
    kind = "Task"
    fields = TRANSITION | IO | RESULT | {"Resource", "Parameters", "TimeoutSeconds", "HeartbeatSeconds"}
    jsonata_fields = TRANSITION | JSONATA_RESULT | {"Resource", "Arguments", "TimeoutSeconds", "HeartbeatSeconds"}

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.resource = get_string(spec, "Resource", where, required=True)
        if not self.resource.startswith("arn:"):
            raise DefinitionError(field(where, "Resource"), f"must be an ARN, got {self.resource!r}")
        self.waits_for_token = self.resource.endswith(".waitForTaskToken")
        self.timeout = _seconds_field(spec, "TimeoutSeconds", where, 1, jsonata)
        self.heartbeat = _seconds_field(spec, "HeartbeatSeconds", where, 1, jsonata)
        if (isinstance(self.heartbeat, int) and isinstance(self.timeout, int) and self.heartbeat >= self.timeout):
            raise DefinitionError(field(where, "HeartbeatSeconds"), "must be smaller than TimeoutSeconds")

    def produce(self, effective: Any, visit: Visit) -> Any:
        if self.waits_for_token:
            visit.issue_task_token()  # before Parameters, which pass $$.Task.Token on; a new one per attempt
        parameters = self.payload(effective, visit)
        return visit.invoke(self.resource, parameters, evaluate_seconds(self.timeout, effective, visit, 1),
                            evaluate_seconds(self.heartbeat, effective, visit, 1))


def _seconds_field(spec: dict, key: str, where: str, minimum: int, jsonata: bool) -> int | Expression | None:
    """An integer field that JSONata lets an expression give (TimeoutSeconds, HeartbeatSeconds)."""
    if jsonata and is_expression(spec.get(key)):
        return Expression(spec[key], key, field(where, key))
    return get_integer(spec, key, where, minimum)
