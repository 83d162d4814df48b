"""The base of the state types: a visit, a scope (Program), and the input and output processing most states share.

Input and output processing follows the AWS order. JSONPath::

    raw input -> InputPath -> Parameters -> (task / Result / branches / iterations)
              -> ResultSelector -> [Assign: $ is the result] -> ResultPath (into the raw input) -> OutputPath

JSONata (``QueryLanguage`` of the state, else of the machine)::

    $states.input -> Arguments -> (task / branches / iterations) -> $states.result -> Assign and Output

Assign and Output both read the values of variables from before the state; the assigned values are
visible from the next state on (:mod:`orchestration.asl.variables`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from orchestration.asl.errors import QUERY_EVALUATION_ERROR, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.history import dumps
from orchestration.asl.jsonata import Expression, value_field
from orchestration.asl.jsonpath import json_type
from orchestration.asl.payload import ROOT, result_path_field, selector_field, template_field
from orchestration.asl.policy import ErrorPolicy, compile_policy
from orchestration.asl.validation import field, get_string, one_of
from orchestration.asl.variables import assign_field

if TYPE_CHECKING:
    from orchestration.asl.distributed import MapRun, Tolerance

TRANSITION = frozenset({"Next", "End"})
IO = frozenset({"InputPath", "OutputPath"})
RESULT = frozenset({"ResultSelector", "ResultPath", "Retry", "Catch", "Assign"})
JSONATA_IO = frozenset({"Output", "Assign"})
JSONATA_RESULT = JSONATA_IO | {"Retry", "Catch"}


class Visit(EvalEnv, Protocol):
    """One visit of a state during an execution, provided by the executor."""

    name: str

    def assign(self, values: dict[str, Any] | None) -> None: ...

    def retried(self) -> None: ...

    def issue_task_token(self) -> None: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime: ...

    def emit(self, event_type: str, details: dict | None = None, previous: int | None = None) -> int: ...

    def run_program(self, program: Program, data: Any, previous: int) -> Any: ...

    def invoke(self, resource: str, parameters: Any, timeout: int | None, heartbeat: int | None) -> Any: ...

    def new_uuid(self) -> str: ...

    def storage_for(self, bucket: str) -> Any | None: ...

    def start_map_run(self, label: str | None, max_concurrency: int, tolerance: Tolerance) -> MapRun: ...

    def start_child(self, program: Program, map_run: MapRun, child_input: Any) -> Any: ...


class Program:
    """A ``StartAt`` + ``States`` scope: the state machine, a Parallel branch or a Map item processor."""

    def __init__(self, start_at: str, states: Mapping[str, State]):
        self.start_at = start_at
        self.states = states


@dataclass
class Compilation:
    """What compiling one definition shares: the state names seen, the machine's query language."""

    names: set[str]
    language: str  # the top-level QueryLanguage, which every state without its own inherits


class State(ABC):
    """Base of the state types: name, transition, query language, and the fields most types share:
    InputPath/OutputPath (JSONPath) or Output (JSONata), and Assign."""

    kind: ClassVar[str]
    fields: ClassVar[frozenset[str]]  # allowed in JSONPath mode (besides Type, Comment, QueryLanguage)
    jsonata_fields: ClassVar[frozenset[str]]  # allowed in JSONata mode
    has_transition: ClassVar[bool] = True

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        self.name = name
        self.jsonata = jsonata
        self.entered_event = f"{self.kind}StateEntered"
        self.exited_event = f"{self.kind}StateExited"
        self.next = self._transition(spec, where) if self.has_transition else None
        self.input_path = ROOT if jsonata else selector_field(spec, "InputPath", where)
        self.output_path = ROOT if jsonata else selector_field(spec, "OutputPath", where)
        self.output = value_field(spec, "Output", where) if jsonata else None
        self.assign = assign_field(spec, where, jsonata)

    def _transition(self, spec: dict, where: str) -> str | None:
        key = one_of(spec, ("Next", "End"), where, required=True)
        if key == "End":
            if spec["End"] is not True:
                raise DefinitionError(field(where, "End"), "must be true (or use Next)")
            return None
        return get_string(spec, "Next", where)

    def targets(self) -> list[tuple[str, str]]:
        """(field, state name) of every transition out of this state."""
        return [("Next", self.next)] if self.next is not None else []

    @abstractmethod
    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        """Run one visit: return the next state's name (None at the end) and the output."""

    def _assigned(self, source: Any, visit: Visit) -> dict[str, Any] | None:
        """The values of this state's Assign (from ``$`` in JSONPath, ``$states`` in JSONata)."""
        return self.assign.values(source, visit) if self.assign is not None else None

    def _finish(self, states: dict[str, Any], default: Any, visit: Visit) -> Any:
        """JSONata: evaluate Assign and Output on the same ``$states``, then assign; return the output."""
        values = self._assigned(states, visit)
        output = default if self.output is None else self.output.evaluate(states, visit)
        visit.assign(values)
        return output


class ResultState(State):
    """Task, Parallel and Map: ResultSelector, ResultPath, Retry and Catch."""

    failed_event: ClassVar[str | None] = None

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.result_selector = template_field(spec, "ResultSelector", where)
        self.result_path = result_path_field(spec, where)
        self.policy: ErrorPolicy = compile_policy(spec, where, jsonata)
        self.arguments = value_field(spec, "Arguments", where) if jsonata else None
        self.parameters = None if jsonata else template_field(spec, "Parameters", where)

    def targets(self) -> list[tuple[str, str]]:
        return super().targets() + [(f"Catch[{i}].Next", target) for i, target in enumerate(self.policy.targets())]

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        effective = self.input_path.select(data, visit)

        def attempt() -> tuple[Any, dict | None]:
            result = self.produce(effective, visit)
            if self.jsonata:
                states = {"input": data, "context": visit.context, "result": result}
                values = self._assigned(states, visit)
                return (result if self.output is None else self.output.evaluate(states, visit)), values
            if self.result_selector is not None:
                result = self.result_selector.evaluate(result, visit)
            return self.result_path.apply(data, result), self._assigned(result, visit)

        caught_next, output, values = self.policy.run(attempt, data, visit, self.failed_event)
        if caught_next is None:
            output = self.output_path.select(output, visit)  # not applied to a caught error
        visit.assign(values)
        return (caught_next or self.next), output

    def payload(self, effective: Any, visit: Visit) -> Any:
        """What the task, the branches or the item selection receive: Parameters or Arguments applied."""
        if self.arguments is not None:
            return self.arguments.evaluate({"input": effective, "context": visit.context}, visit)
        if self.parameters is not None:
            return self.parameters.evaluate(effective, visit)
        return effective

    @abstractmethod
    def produce(self, effective: Any, visit: Visit) -> Any:
        """The state's result for one attempt, from its effective input."""


def evaluate_seconds(value: int | Expression | None, state_input: Any, visit: Visit, minimum: int) -> int | None:
    """An integer field's value; an expression is evaluated on the state's input (and nothing is built otherwise)."""
    if not isinstance(value, Expression):
        return value
    number = value.evaluate({"input": state_input, "context": visit.context}, visit)
    if json_type(number) != "number" or number != int(number) or number < minimum:
        raise StatesError(QUERY_EVALUATION_ERROR, f"The field '{value.field}' must evaluate to an integer >= "
                                                  f"{minimum}, got {dumps(number)}", location=value.field)
    return int(number)
