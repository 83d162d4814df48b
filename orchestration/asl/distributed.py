"""Distributed Map: the Map Run, its settings and tolerated failures, its child executions and their records.

A Map state whose ``ItemProcessor.ProcessorConfig.Mode`` is ``DISTRIBUTED`` starts a *Map Run*:
one child execution per item (or per batch of items), each a separate execution with its own
name, ARN, history and variables (a child reads no variable of its parent). The parent's history
shows ``MapStateStarted``, ``MapRunStarted`` (the Map Run ARN) and ``MapRunSucceeded`` or
``MapRunFailed``; the children are in ``Execution.map_runs[i].executions``, as ``ListExecutions``
with a ``mapRunArn`` shows them on AWS.

ARNs follow the Developer Guide: the Map Run is ``...:mapRun:<machine>/<label>:<map run id>``,
a child ``...:execution:<machine>/<label>:<child name>`` of the state machine
``...:stateMachine:<machine>/<label>``, where the label is the state's ``Label`` or a UUID.

Children run one after the other in item order (``MaxConcurrency`` is checked, not used): the
results are those of a concurrent run, ordered by item index as ResultWriter orders them. Once the
failed items exceed ``ToleratedFailureCount``/``ToleratedFailurePercentage`` (0 when absent), no
further child starts and the state fails with ``States.ExceedToleratedFailureThreshold``. What a Map Run
reads and writes (ItemReader, ItemBatcher, ResultWriter) is in :mod:`orchestration.asl.map_io`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from orchestration.asl.clock import format_timestamp
from orchestration.asl.errors import QUERY_EVALUATION_ERROR, RUNTIME, DefinitionError, StatesError
from orchestration.asl.history import dumps
from orchestration.asl.jsonata import Expression, is_expression
from orchestration.asl.jsonpath import PathNotFound, json_type
from orchestration.asl.payload import Selector, compile_selector
from orchestration.asl.validation import field, get_integer, get_number, get_string

if TYPE_CHECKING:
    from orchestration.asl.state_base import Visit

EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
DISTRIBUTED_FIELDS = frozenset({"ItemReader", "ItemBatcher", "ResultWriter", "Label", "ToleratedFailureCount",
                                "ToleratedFailurePercentage"})
DISTRIBUTED_PATH_FIELDS = frozenset({"ToleratedFailureCountPath", "ToleratedFailurePercentagePath"})
_LABEL_FORBIDDEN = set(" \t\n<>{}[]?*\"#%\\^|~`$&,;:/")
_MAX_LABEL = 40


@dataclass
class MapRun:
    """One run of a Distributed Map state, as ``DescribeMapRun`` describes it, with its child executions."""

    arn: str
    execution_arn: str
    state_name: str
    label: str
    status: str  # SUCCEEDED | FAILED
    start_date: datetime
    stop_date: datetime | None = None
    max_concurrency: int = 0
    tolerated_failure_count: int = 0
    tolerated_failure_percentage: float = 0.0
    item_counts: dict[str, int] = dataclasses.field(default_factory=dict)
    executions: list[Any] = dataclasses.field(default_factory=list)  # executor.Execution, one per child, in item order


class Setting:
    """A number given literally, by a ``...Path`` (JSONPath) or by a ``{% %}`` expression (JSONata)."""

    def __init__(self, spec: dict, key: str, where: str, jsonata: bool, maximum: float, integer: bool = True):
        self.key = key
        self._maximum = maximum
        self._integer = integer
        self._literal: float | None = None
        self._path: Selector | None = None
        self._expression: Expression | None = None
        path_key = f"{key}Path"
        if key in spec and path_key in spec:
            raise DefinitionError(where, f"use only one of {key}, {path_key}")
        if path_key in spec:
            if jsonata:
                raise DefinitionError(field(where, path_key), f"a JSONPath field: a JSONata state gives {key} as "
                                                              "an expression")
            self._path = compile_selector(spec[path_key], field(where, path_key), reference=True)
        elif jsonata and is_expression(spec.get(key)):
            self._expression = Expression(spec[key], key, field(where, key))
        elif integer:
            self._literal = get_integer(spec, key, where, 0, int(maximum))
        else:
            self._literal = get_number(spec, key, where, 0)
            if self._literal is not None and self._literal > maximum:
                raise DefinitionError(field(where, key), f"must be between 0 and {maximum}, got {self._literal}")

    @property
    def given(self) -> bool:
        return self._literal is not None or self._path is not None or self._expression is not None

    def value(self, effective: Any, visit: Visit, default: float = 0) -> float:
        """The setting for this visit (``default`` when absent), read from the state's effective input."""
        if self._expression is not None:
            number = self._expression.evaluate({"input": effective, "context": visit.context}, visit)
            return self._checked(number, QUERY_EVALUATION_ERROR, f"The field '{self.key}'")
        if self._path is not None:
            try:
                number = self._path.find(effective, visit)
            except PathNotFound:
                raise StatesError(RUNTIME, f"The {self.key}Path field references a path that was not found in the "
                                           f"input: {self._path.text}") from None
            return self._checked(number, RUNTIME, f"The {self.key}Path field '{self._path.text}'")
        return default if self._literal is None else self._literal

    def _checked(self, number: Any, error: str, what: str) -> float:
        whole = json_type(number) == "number" and number == int(number)
        if json_type(number) != "number" or (self._integer and not whole) or not 0 <= number <= self._maximum:
            kind = "an integer" if self._integer else "a number"
            raise StatesError(error, f"{what} must give {kind} between 0 and {self._maximum}, got {dumps(number)}",
                              location=self.key if error == QUERY_EVALUATION_ERROR else None)
        return int(number) if self._integer else number


def transform(records: list[dict], transformation: str) -> list:
    """The children's results as WriterConfig's Transformation gives them; a failed child stays a whole record."""
    if transformation == "NONE":
        return records
    outputs = []
    for record in records:
        if record["Status"] != "SUCCEEDED":
            outputs.append(record)
            continue
        output = json.loads(record["Output"])
        if transformation == "FLATTEN" and isinstance(output, list):
            outputs.extend(output)
        else:
            outputs.append(output)
    return outputs


def child_record(execution: Any) -> dict:
    """One child execution as ResultWriter writes it (the NONE transformation)."""
    record = {"ExecutionArn": execution.arn, "Input": dumps(execution.input), "InputDetails": {"Included": True},
              "Name": execution.name}
    if execution.status == "SUCCEEDED":
        record |= {"Output": dumps(execution.output), "OutputDetails": {"Included": True}, "RedriveCount": 0,
                   "RedriveStatus": "NOT_REDRIVABLE",
                   "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"}
    else:
        record |= {"Error": execution.error or "", "Cause": execution.cause or "", "RedriveCount": 0,
                   "RedriveStatus": "REDRIVABLE_BY_MAP_RUN"}
    return record | {"StartDate": format_timestamp(execution.start_date),
                     "StateMachineArn": execution.state_machine_arn, "Status": execution.status,
                     "StopDate": format_timestamp(execution.stop_date)}


def check_label(spec: dict, where: str) -> str | None:
    """``Label``: at most 40 characters, none of those an execution name may not hold."""
    label = get_string(spec, "Label", where)
    if label is not None and (not label or len(label) > _MAX_LABEL or _LABEL_FORBIDDEN & set(label)):
        raise DefinitionError(field(where, "Label"), f"must have 1 to {_MAX_LABEL} characters, without spaces, "
                                                     "brackets, wildcards or punctuation such as \" # % \\ ^ | ~ ` $ "
                                                     "& , ; : /")
    return label


@dataclass
class Tolerance:
    """How many failed items a Map Run tolerates: more than ``count``, or more than ``percentage`` of all
    items, fails it; a threshold that is not given does not apply, and without either none is tolerated."""

    count: float | None
    percentage: float | None

    def exceeded(self, failed: int, total: int) -> bool:
        if self.count is None and self.percentage is None:
            return failed > 0
        over_count = self.count is not None and failed > self.count
        return over_count or (self.percentage is not None and failed * 100 / total > self.percentage)

    def describe(self) -> str:
        given = [f"count {self.count:g}" if self.count is not None else "",
                 f"percentage {self.percentage:g}%" if self.percentage is not None else ""]
        return " and ".join(part for part in given if part) or "count 0"


def run_children(batches: list[tuple[list[int], Any]], tolerance: Tolerance, total: int,
                 start_child: Callable[[Any], Any], executions: list[Any]) -> tuple[int, bool]:
    """Start a child per batch, in order, appending each to ``executions``, until the failures exceed the
    tolerance. Returns the number of failed items and whether the tolerance was exceeded.
    """
    failed = 0
    for indexes, child_input in batches:
        execution = start_child(child_input)
        executions.append(execution)
        if execution.status != "SUCCEEDED":
            failed += len(indexes)
            if tolerance.exceeded(failed, total):
                return failed, True
    return failed, False
