"""The states that only move data and control: Pass, Wait, Succeed and Fail."""

from __future__ import annotations

from typing import Any

from orchestration.asl.clock import parse_timestamp
from orchestration.asl.errors import QUERY_EVALUATION_ERROR, RUNTIME, DefinitionError, StatesError
from orchestration.asl.history import dumps
from orchestration.asl.jsonata import Expression, is_expression
from orchestration.asl.jsonpath import PathNotFound, json_type
from orchestration.asl.payload import Dynamic, result_path_field, selector_field, template_field
from orchestration.asl.state_base import (
    IO,
    JSONATA_IO,
    TRANSITION,
    Compilation,
    State,
    Visit,
    evaluate_seconds,
)
from orchestration.asl.validation import field, get_integer, get_string, one_of

_FAIL_INTRINSICS = ("States.Format", "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode",
                    "States.Base64Decode", "States.Hash", "States.UUID")


class PassState(State):
    kind = "Pass"
    fields = TRANSITION | IO | {"Parameters", "Result", "ResultPath", "Assign"}
    jsonata_fields = TRANSITION | JSONATA_IO

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.parameters = template_field(spec, "Parameters", where)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")
        self.result_path = result_path_field(spec, where)

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        if self.jsonata:
            return self.next, self._finish({"input": data, "context": visit.context}, data, visit)
        effective = self.input_path.select(data, visit)
        if self.parameters is not None:
            effective = self.parameters.evaluate(effective, visit)
        result = self.result if self.has_result else effective
        values = self._assigned(result, visit)
        output = self.output_path.select(self.result_path.apply(data, result), visit)
        visit.assign(values)
        return self.next, output


class WaitState(State):
    kind = "Wait"
    fields = TRANSITION | IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"}
    jsonata_fields = TRANSITION | JSONATA_IO | {"Seconds", "Timestamp"}

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.mode = one_of(spec, ("Seconds", "SecondsPath", "Timestamp", "TimestampPath"), where, required=True)
        if is_expression(spec[self.mode]) and jsonata:
            self.value = Expression(spec[self.mode], self.mode, field(where, self.mode))
        elif self.mode == "Seconds":
            self.value = get_integer(spec, "Seconds", where, 0)
        elif self.mode == "Timestamp":
            self.value = parse_timestamp(spec["Timestamp"])
            if self.value is None:
                raise DefinitionError(field(where, "Timestamp"), "must be an RFC 3339 timestamp like "
                                                                 "2024-01-01T00:00:00Z")
        else:
            self.value = selector_field(spec, self.mode, where, reference=True)

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        if self.jsonata:
            states = {"input": data, "context": visit.context}
            visit.sleep(self._seconds_jsonata(states, visit))
            return self.next, self._finish(states, data, visit)
        effective = self.input_path.select(data, visit)
        visit.sleep(self._seconds(effective, visit))
        values = self._assigned(effective, visit)
        output = self.output_path.select(effective, visit)
        visit.assign(values)
        return self.next, output

    def _seconds_jsonata(self, states: dict[str, Any], visit: Visit) -> float:
        if not isinstance(self.value, Expression):
            return self._seconds(states["input"], visit)
        if self.mode == "Seconds":
            return evaluate_seconds(self.value, states["input"], visit, 0)
        value = self.value.evaluate(states, visit)
        moment = parse_timestamp(value)
        if moment is None:
            raise StatesError(QUERY_EVALUATION_ERROR, f"The Timestamp of the Wait state '{self.name}' must be an "
                                                      f"RFC 3339 timestamp, got {dumps(value)}", location="Timestamp")
        return max(0.0, (moment - visit.now()).total_seconds())

    def _seconds(self, effective: Any, visit: Visit) -> float:
        if self.mode == "Seconds":
            return self.value
        if self.mode == "Timestamp":
            return max(0.0, (self.value - visit.now()).total_seconds())
        try:
            value = self.value.find(effective, visit)
        except PathNotFound:
            # worded differently for the two fields, as moto's parser (from LocalStack's AWS-recorded tests) has it
            if self.mode == "SecondsPath":
                cause = f"The SecondsPath parameter does not reference an input value: {self.value.text}"
            else:
                cause = (f"The JSONPath '{self.value.text}' specified for the field 'TimestampPath' could not be "
                         f"found in the input '{dumps(effective)}'")
            raise StatesError(RUNTIME, cause) from None
        assignment = f"{self.value.text} == {value if isinstance(value, str) else dumps(value)}"
        if self.mode == "SecondsPath":
            if json_type(value) != "number" or (isinstance(value, float) and not value.is_integer()):
                raise StatesError(RUNTIME, f"The SecondsPath parameter cannot be parsed as a long value: {assignment}")
            if value < 0:
                raise StatesError(RUNTIME, f"The SecondsPath parameter references a negative value: {assignment}")
            return value
        moment = parse_timestamp(value)
        if moment is None:
            raise StatesError(RUNTIME, "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                                       f"offset date-time format string: {assignment}")
        return max(0.0, (moment - visit.now()).total_seconds())


class SucceedState(State):
    kind = "Succeed"
    fields = IO
    jsonata_fields = frozenset({"Output"})
    has_transition = False

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        if self.jsonata:
            return None, self._finish({"input": data, "context": visit.context}, data, visit)
        return None, self.output_path.select(self.input_path.select(data, visit), visit)


class FailState(State):
    kind = "Fail"
    fields = frozenset({"Error", "ErrorPath", "Cause", "CausePath"})
    jsonata_fields = frozenset({"Error", "Cause"})
    has_transition = False

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.error = self._part(spec, "Error", where)
        self.cause = self._part(spec, "Cause", where)

    @staticmethod
    def _part(spec: dict, key: str, where: str) -> str | Dynamic | Expression | None:
        """A literal ``Error``/``Cause``, a JSONata expression, or a compiled ``ErrorPath``/``CausePath``."""
        if is_expression(spec.get(key)):
            return Expression(spec[key], key, field(where, key))
        present = one_of(spec, (key, f"{key}Path"), where, required=False)
        if present == key:
            return get_string(spec, key, where)
        if present is None:
            return None
        text, part_where = spec[present], field(where, present)
        if isinstance(text, str) and text.startswith("States.") and text.split("(", 1)[0] not in _FAIL_INTRINSICS:
            raise DefinitionError(part_where, f"only {', '.join(_FAIL_INTRINSICS)} may be used here")
        return Dynamic(text, part_where, present)

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        raise StatesError(self._resolve(self.error, data, visit), self._resolve(self.cause, data, visit))

    @staticmethod
    def _resolve(part: str | Dynamic | Expression | None, data: Any, visit: Visit) -> str | None:
        if isinstance(part, Expression):
            value = part.evaluate({"input": data, "context": visit.context}, visit)
            if not isinstance(value, str):
                raise StatesError(QUERY_EVALUATION_ERROR, f"The {part.field} of a Fail state must evaluate to a "
                                                          f"string, got {json_type(value)}", location=part.field)
            return value
        if not isinstance(part, Dynamic):
            return part
        value = part.evaluate(data, visit)
        if not isinstance(value, str):
            raise StatesError(RUNTIME, f"ErrorPath/CausePath must select a string, got {json_type(value)}")
        return value
