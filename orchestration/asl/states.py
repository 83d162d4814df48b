"""The state types of the supported ASL subset, compiled from a definition and run by the executor.

Input and output processing follows the AWS order. JSONPath::

    raw input -> InputPath -> Parameters -> (task / Result / branches / iterations)
              -> ResultSelector -> [Assign: $ is the result] -> ResultPath (into the raw input) -> OutputPath

JSONata (``QueryLanguage`` of the state, else of the machine)::

    $states.input -> Arguments -> (task / branches / iterations) -> $states.result -> Assign and Output

Assign and Output both read the values of variables from before the state; the assigned values are
visible from the next state on (:mod:`orchestration.asl.variables`).

Parallel branches and Map iterations run one after the other, in order (deterministic; outputs
are the same as a concurrent run's); ``MaxConcurrency`` is accepted but has no effect. An error in
a branch or iteration fails the Parallel/Map state with that error, where its Retry and Catch apply;
the branches or iterations after it do not run (on AWS they would have started and been aborted).
A Distributed Map runs its child executions the same way (:mod:`orchestration.asl.distributed`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from orchestration.asl.choice import compile_choices
from orchestration.asl.clock import parse_timestamp
from orchestration.asl.distributed import (
    DISTRIBUTED_FIELDS,
    DISTRIBUTED_PATH_FIELDS,
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    ItemBatcher,
    ItemReader,
    MapRun,
    ResultWriter,
    Setting,
    Tolerance,
    check_label,
    child_record,
    run_children,
    transform,
)
from orchestration.asl.errors import (
    NO_CHOICE_MATCHED,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    AbortExecution,
    DefinitionError,
    StatesError,
)
from orchestration.asl.history import dumps
from orchestration.asl.intrinsics import EvalEnv
from orchestration.asl.jsonata import Expression, is_expression, value_field
from orchestration.asl.jsonpath import PathNotFound, json_type
from orchestration.asl.payload import (
    ROOT,
    Dynamic,
    result_path_field,
    selector_field,
    template_field,
)
from orchestration.asl.policy import ErrorPolicy, compile_policy
from orchestration.asl.validation import (
    check_fields,
    field,
    get_integer,
    get_string,
    one_of,
    query_language,
    require_list,
    require_object,
)
from orchestration.asl.variables import assign_field

_COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_TRANSITION = frozenset({"Next", "End"})
_IO = frozenset({"InputPath", "OutputPath"})
_RESULT = frozenset({"ResultSelector", "ResultPath", "Retry", "Catch", "Assign"})
_JSONATA_IO = frozenset({"Output", "Assign"})
_JSONATA_RESULT = _JSONATA_IO | {"Retry", "Catch"}
_MAX_NAME = 80
_FAIL_INTRINSICS = ("States.Format", "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode",
                    "States.Base64Decode", "States.Hash", "States.UUID")


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


def compile_program(spec: Any, where: str, compilation: Compilation, allowed: frozenset[str]) -> Program:
    """Compile and check a scope: field names, unique state names, transitions, reachability."""
    spec = require_object(spec, where)
    check_fields(spec, where, allowed, "this scope")
    start_at = get_string(spec, "StartAt", where, required=True)
    states_where = field(where, "States")
    state_specs = require_object(spec.get("States"), states_where)
    if not state_specs:
        raise DefinitionError(states_where, "must contain at least one state")
    states = {}
    for name, state_spec in state_specs.items():
        state_where = field(states_where, name)
        if not name or len(name) > _MAX_NAME:
            raise DefinitionError(state_where, f"state names must have 1 to {_MAX_NAME} characters")
        if name in compilation.names:
            raise DefinitionError(state_where, "duplicate state name (names are unique in the whole machine)")
        compilation.names.add(name)
        states[name] = _compile_state(name, state_spec, state_where, compilation)
    if start_at not in states:
        raise DefinitionError(field(where, "StartAt"), f"no state named {start_at!r} in this scope")
    _check_transitions(states, start_at, states_where)
    return Program(start_at, states)


def _compile_state(name: str, spec: Any, where: str, compilation: Compilation) -> State:
    spec = require_object(spec, where)
    kind = spec.get("Type")
    if kind not in STATE_TYPES:
        raise DefinitionError(field(where, "Type"), f"unknown state type {kind!r}" if kind else "is required")
    state_type = STATE_TYPES[kind]
    jsonata = query_language(spec, where, compilation.language) == "JSONata"
    allowed = state_type.jsonata_fields if jsonata else state_type.fields
    check_fields(spec, where, _COMMON | allowed, f"a JSONata {kind} state" if jsonata else f"a {kind} state")
    return state_type(name, spec, where, compilation, jsonata)


def _check_transitions(states: dict[str, State], start_at: str, where: str) -> None:
    for name, state in states.items():
        for target_where, target in state.targets():
            if target not in states:
                raise DefinitionError(field(field(where, name), target_where),
                                      f"no state named {target!r} in this scope")
    reached, pending = set(), [start_at]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(target for _, target in states[name].targets())
    for name in states:
        if name not in reached:
            raise DefinitionError(field(where, name), "is not reachable from StartAt")


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


class PassState(State):
    kind = "Pass"
    fields = _TRANSITION | _IO | {"Parameters", "Result", "ResultPath", "Assign"}
    jsonata_fields = _TRANSITION | _JSONATA_IO

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


class _ResultState(State):
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


class TaskState(_ResultState):
    kind = "Task"
    fields = _TRANSITION | _IO | _RESULT | {"Resource", "Parameters", "TimeoutSeconds", "HeartbeatSeconds"}
    jsonata_fields = _TRANSITION | _JSONATA_RESULT | {"Resource", "Arguments", "TimeoutSeconds", "HeartbeatSeconds"}

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
        return visit.invoke(self.resource, parameters, _seconds(self.timeout, effective, visit, 1),
                            _seconds(self.heartbeat, effective, visit, 1))


class ParallelState(_ResultState):
    kind = "Parallel"
    fields = _TRANSITION | _IO | _RESULT | {"Branches", "Parameters"}
    jsonata_fields = _TRANSITION | _JSONATA_RESULT | {"Branches", "Arguments"}
    failed_event = "ParallelStateFailed"

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        branches_where = field(where, "Branches")
        self.branches = [compile_program(branch, field(branches_where, i), compilation, _BRANCH_FIELDS)
                         for i, branch in enumerate(require_list(spec.get("Branches"), branches_where))]

    def produce(self, effective: Any, visit: Visit) -> Any:
        branch_input = self.payload(effective, visit)
        started = visit.emit("ParallelStateStarted")
        outputs = [visit.run_program(branch, branch_input, started) for branch in self.branches]
        visit.emit("ParallelStateSucceeded")
        return outputs


class MapState(_ResultState):
    """Inline Map (iterations in this execution) or Distributed Map (a Map Run of child executions,
    :mod:`orchestration.asl.distributed`), by ``ProcessorConfig.Mode``."""

    kind = "Map"
    fields = _TRANSITION | _IO | _RESULT | DISTRIBUTED_FIELDS | DISTRIBUTED_PATH_FIELDS | {
        "ItemsPath", "ItemSelector", "Parameters", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath"}
    jsonata_fields = _TRANSITION | _JSONATA_RESULT | DISTRIBUTED_FIELDS | {"Items", "ItemSelector", "ItemProcessor",
                                                                           "Iterator", "MaxConcurrency"}
    failed_event = "MapStateFailed"

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.items_path = ROOT if jsonata else selector_field(spec, "ItemsPath", where, reference=True)
        self.items = value_field(spec, "Items", where) if jsonata else None
        if jsonata:
            self.item_selector = value_field(spec, "ItemSelector", where)
        else:
            selector_key = one_of(spec, ("ItemSelector", "Parameters"), where, required=False)
            self.item_selector = template_field(spec, selector_key, where) if selector_key else None
        processor_key = one_of(spec, ("ItemProcessor", "Iterator"), where, required=True)
        processor_where = field(where, processor_key)
        processor = require_object(spec[processor_key], processor_where)
        # AWS accepts ProcessorConfig in the legacy Iterator too, as in ItemProcessor.
        self.distributed = _processor_mode(processor, processor_where) == "DISTRIBUTED"
        self.processor = compile_program(processor, processor_where, compilation,
                                         _BRANCH_FIELDS | {"ProcessorConfig"})
        self.max_concurrency = Setting(spec, "MaxConcurrency", where, jsonata, 99_999_999)
        if not self.distributed:
            for key in sorted((DISTRIBUTED_FIELDS | DISTRIBUTED_PATH_FIELDS) & spec.keys()):
                raise DefinitionError(field(where, key), "only a distributed Map has this field (ItemProcessor."
                                                         "ProcessorConfig.Mode DISTRIBUTED)")
        elif "ItemReader" in spec and ("ItemsPath" in spec or "Items" in spec):
            raise DefinitionError(where, "use ItemReader or ItemsPath (Items in JSONata), not both")
        self.reader = ItemReader(spec["ItemReader"], field(where, "ItemReader"), jsonata) \
            if "ItemReader" in spec else None
        self.batcher = ItemBatcher(spec["ItemBatcher"], field(where, "ItemBatcher"), jsonata) \
            if "ItemBatcher" in spec else None
        self.writer = ResultWriter(spec["ResultWriter"], field(where, "ResultWriter"), jsonata) \
            if "ResultWriter" in spec else None
        self.label = check_label(spec, where)
        self.tolerated_count = Setting(spec, "ToleratedFailureCount", where, jsonata, 100_000_000)
        self.tolerated_percentage = Setting(spec, "ToleratedFailurePercentage", where, jsonata, 100, integer=False)

    def produce(self, effective: Any, visit: Visit) -> Any:
        if self.distributed:
            return self._map_run(effective, visit)
        items = self._items(effective, visit)
        self.max_concurrency.value(effective, visit)  # checked; iterations run one by one here
        started = visit.emit("MapStateStarted", {"length": len(items)})
        results = []
        for index, item in enumerate(items):
            item_input = self._selected(effective, index, item, visit)
            details = {"name": self.name, "index": index}
            iteration = visit.emit("MapIterationStarted", details, previous=started)
            try:
                results.append(visit.run_program(self.processor, item_input, iteration))
            except StatesError:
                visit.emit("MapIterationFailed", details)
                raise
            visit.emit("MapIterationSucceeded", details)
        visit.emit("MapStateSucceeded")
        return results

    def _map_run(self, effective: Any, visit: Visit) -> Any:
        """A Distributed Map: start the Map Run, read, select and batch the items, run a child execution
        per batch, write the results. As on AWS, an ItemReader's items are read once the Map Run has
        started (MapStateStarted then says length 0) and a failure to read fails the Map Run."""
        items = None if self.reader is not None else self._items(effective, visit)
        tolerance = Tolerance(self.tolerated_count.value(effective, visit) if self.tolerated_count.given else None,
                              self.tolerated_percentage.value(effective, visit)
                              if self.tolerated_percentage.given else None)
        max_concurrency = self.max_concurrency.value(effective, visit)
        visit.emit("MapStateStarted", {"length": 0 if items is None else len(items)})
        map_run = visit.start_map_run(self.label, max_concurrency, tolerance)
        try:
            output = self._run_children(map_run, items, tolerance, effective, visit)
        except AbortExecution:
            map_run.status, map_run.stop_date = "ABORTED", visit.now()
            visit.emit("MapRunAborted")
            raise
        except StatesError as error:
            map_run.status, map_run.stop_date = "FAILED", visit.now()
            visit.emit("MapRunFailed", {key: value for key, value in (("error", error.error), ("cause", error.cause))
                                        if value is not None})
            raise
        map_run.status, map_run.stop_date = "SUCCEEDED", visit.now()
        visit.emit("MapRunSucceeded")
        visit.emit("MapStateSucceeded")
        return output

    def _run_children(self, map_run: MapRun, items: list | None, tolerance: Tolerance, effective: Any,
                      visit: Visit) -> Any:
        if items is None:
            items = self.reader.read(effective, visit)
        selected = [self._selected(effective, index, item, visit) for index, item in enumerate(items)]
        if self.batcher is not None:
            batches = self.batcher.batches(selected, effective, visit)
        else:
            batches = [([index], item) for index, item in enumerate(selected)]
        failed, exceeded = run_children(batches, tolerance, len(items),
                                        lambda child_input: visit.start_child(self.processor, map_run, child_input),
                                        map_run.executions)
        pending = sum(len(indexes) for indexes, _ in batches[len(map_run.executions):])  # never started
        map_run.item_counts = {"total": len(items), "succeeded": len(items) - failed - pending, "failed": failed,
                               "pending": pending}
        records = [child_record(execution) for execution in map_run.executions]
        if self.writer is not None and self.writer.resource is not None:
            output = self.writer.write(map_run, records, effective, visit)
        else:
            output = transform(records, self.writer.transformation if self.writer is not None else "COMPACT")
        if exceeded:
            raise StatesError(EXCEED_TOLERATED_FAILURE_THRESHOLD,
                              f"The Map Run {map_run.arn} failed: {failed} of {len(items)} items failed, more than "
                              f"the tolerated {tolerance.describe()}")
        return output

    def _selected(self, effective: Any, index: int, item: Any, visit: Visit) -> Any:
        """An item's input: the item, or ItemSelector evaluated with ``$$.Map.Item`` (Index, Value)."""
        if self.item_selector is None:
            return item
        item_env = _MapItemEnv(visit, index, item)
        source = {"input": effective, "context": item_env.context} if self.jsonata else effective
        return self.item_selector.evaluate(source, item_env)

    def _items(self, effective: Any, visit: Visit) -> list:
        if self.items is None:
            items = self.items_path.select(effective, visit)
            if not isinstance(items, list):
                raise StatesError(RUNTIME, f"Invalid path '{self.items_path.text}': the Map state's items must be "
                                           f"a JSON array, got {json_type(items)}")
            return items
        items = self.items.evaluate({"input": effective, "context": visit.context}, visit)
        if not isinstance(items, list):
            raise StatesError(QUERY_EVALUATION_ERROR, f"The Items of the Map state '{self.name}' must be a JSON "
                                                      f"array, got {json_type(items)}", location="Items")
        return items


class _MapItemEnv:
    """The evaluation environment of ItemSelector: the context object gains ``Map.Item``."""

    def __init__(self, env: EvalEnv, index: int, value: Any):
        self._env = env
        self.rng = env.rng
        self.variables = env.variables
        self.context = {**env.context, "Map": {"Item": {"Index": index, "Value": value}}}

    def new_uuid(self) -> str:
        return self._env.new_uuid()


def _processor_mode(processor: dict, where: str) -> str:
    """``ProcessorConfig.Mode``: INLINE (the default) or DISTRIBUTED, which needs an ExecutionType."""
    config_where = field(where, "ProcessorConfig")
    config = require_object(processor.get("ProcessorConfig", {}), config_where)
    check_fields(config, config_where, frozenset({"Mode", "ExecutionType"}), "ProcessorConfig")
    mode = config.get("Mode", "INLINE")
    if mode not in ("INLINE", "DISTRIBUTED"):
        raise DefinitionError(field(config_where, "Mode"), f"must be INLINE or DISTRIBUTED, got {mode!r}")
    execution_type = config.get("ExecutionType")
    if mode == "DISTRIBUTED" and execution_type not in ("STANDARD", "EXPRESS"):
        raise DefinitionError(field(config_where, "ExecutionType"), "a distributed Map needs STANDARD or EXPRESS")
    if mode == "INLINE" and execution_type is not None:
        raise DefinitionError(field(config_where, "ExecutionType"), "only a distributed Map has an ExecutionType")
    return mode


class ChoiceState(State):
    """The state's Assign applies whichever rule matches, and so does the matched rule's (which wins on a name
    both set); the matched rule's Output (JSONata) replaces the state's."""

    kind = "Choice"
    fields = _IO | {"Choices", "Default", "Assign"}
    jsonata_fields = _JSONATA_IO | {"Choices", "Default"}
    has_transition = False

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.choices = compile_choices(spec, where, jsonata)
        self.default = get_string(spec, "Default", where)

    def targets(self) -> list[tuple[str, str]]:
        found = [(f"Choices[{i}].Next", choice.next) for i, choice in enumerate(self.choices)]
        return found + ([("Default", self.default)] if self.default is not None else [])

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        effective = self.input_path.select(data, visit)
        source = {"input": data, "context": visit.context} if self.jsonata else effective
        matched = next((choice for choice in self.choices if choice.rule.evaluate(source, visit)), None)
        if matched is None and self.default is None:
            raise StatesError(NO_CHOICE_MATCHED, f"No Choices rule of state '{self.name}' matched and it has no "
                                                 "Default")
        target, output, values = self.default, self.output, self._assigned(source, visit)
        if matched is not None:
            target = matched.next
            output = matched.output or output
            if matched.assign is not None:
                values = {**(values or {}), **matched.assign.values(source, visit)}
        if self.jsonata:
            result = data if output is None else output.evaluate(source, visit)
        else:
            result = self.output_path.select(effective, visit)
        visit.assign(values)
        return target, result


class WaitState(State):
    kind = "Wait"
    fields = _TRANSITION | _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"}
    jsonata_fields = _TRANSITION | _JSONATA_IO | {"Seconds", "Timestamp"}

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
            return _seconds(self.value, states["input"], visit, 0)
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
    fields = _IO
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


def _seconds_field(spec: dict, key: str, where: str, minimum: int, jsonata: bool) -> int | Expression | None:
    """An integer field that JSONata lets an expression give (TimeoutSeconds, HeartbeatSeconds)."""
    if jsonata and is_expression(spec.get(key)):
        return Expression(spec[key], key, field(where, key))
    return get_integer(spec, key, where, minimum)


def _seconds(value: int | Expression | None, state_input: Any, visit: Visit, minimum: int) -> int | None:
    """An integer field's value; an expression is evaluated on the state's input (and nothing is built otherwise)."""
    if not isinstance(value, Expression):
        return value
    number = value.evaluate({"input": state_input, "context": visit.context}, visit)
    if json_type(number) != "number" or number != int(number) or number < minimum:
        raise StatesError(QUERY_EVALUATION_ERROR, f"The field '{value.field}' must evaluate to an integer >= "
                                                  f"{minimum}, got {dumps(number)}", location=value.field)
    return int(number)


STATE_TYPES: dict[str, type[State]] = {cls.kind: cls for cls in (
    PassState, TaskState, ParallelState, MapState, ChoiceState, WaitState, SucceedState, FailState)}
_BRANCH_FIELDS = frozenset({"StartAt", "States", "Comment"})

