"""A scope of states compiled from a definition (:func:`compile_program`), and the states that run scopes:
Parallel (its branches) and Map (an iteration per item).

Each state type lives with its family: :mod:`orchestration.asl.task`, :mod:`orchestration.asl.choice`,
:mod:`orchestration.asl.flow` (Pass, Wait, Succeed, Fail), Parallel and Map here; what they share is in
:mod:`orchestration.asl.state_base`.

Parallel branches and Map iterations run one after the other, in order (deterministic; outputs
are the same as a concurrent run's); ``MaxConcurrency`` is accepted but has no effect. An error in
a branch or iteration fails the Parallel/Map state with that error, where its Retry and Catch apply;
the branches or iterations after it do not run (on AWS they would have started and been aborted).
A Distributed Map runs its child executions the same way (:mod:`orchestration.asl.distributed`).
"""

from __future__ import annotations

from typing import Any

from orchestration.asl.choice import ChoiceState
from orchestration.asl.distributed import (
    DISTRIBUTED_FIELDS,
    DISTRIBUTED_PATH_FIELDS,
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    MapRun,
    Setting,
    Tolerance,
    check_label,
    child_record,
    run_children,
    transform,
)
from orchestration.asl.errors import QUERY_EVALUATION_ERROR, RUNTIME, AbortExecution, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.flow import FailState, PassState, SucceedState, WaitState
from orchestration.asl.jsonata import value_field
from orchestration.asl.jsonpath import json_type
from orchestration.asl.map_io import ItemBatcher, ItemReader, ResultWriter
from orchestration.asl.payload import ROOT, selector_field, template_field
from orchestration.asl.state_base import (
    IO,
    JSONATA_RESULT,
    RESULT,
    TRANSITION,
    Compilation,
    Program,
    ResultState,
    State,
    Visit,
)
from orchestration.asl.task import TaskState
from orchestration.asl.validation import (
    check_fields,
    field,
    get_string,
    one_of,
    query_language,
    require_list,
    require_object,
)

_COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_MAX_NAME = 80


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


class ParallelState(ResultState):
    kind = "Parallel"
    fields = TRANSITION | IO | RESULT | {"Branches", "Parameters"}
    jsonata_fields = TRANSITION | JSONATA_RESULT | {"Branches", "Arguments"}
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


class MapState(ResultState):
    """Inline Map (iterations in this execution) or Distributed Map (a Map Run of child executions,
    :mod:`orchestration.asl.distributed`), by ``ProcessorConfig.Mode``."""

    kind = "Map"
    fields = TRANSITION | IO | RESULT | DISTRIBUTED_FIELDS | DISTRIBUTED_PATH_FIELDS | {
        "ItemsPath", "ItemSelector", "Parameters", "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath"}
    jsonata_fields = TRANSITION | JSONATA_RESULT | DISTRIBUTED_FIELDS | {"Items", "ItemSelector", "ItemProcessor",
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


STATE_TYPES: dict[str, type[State]] = {cls.kind: cls for cls in (
    PassState, TaskState, ParallelState, MapState, ChoiceState, WaitState, SucceedState, FailState)}
_BRANCH_FIELDS = frozenset({"StartAt", "States", "Comment"})
