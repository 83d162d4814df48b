"""The run loop of a scope (:func:`run_program`) and one visit of a state: its history events, its ``$$``
context object, its retries, its task calls and the child executions of a Distributed Map.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from orchestration.asl.callbacks import Outcome
from orchestration.asl.clock import format_timestamp
from orchestration.asl.distributed import MapRun, Tolerance
from orchestration.asl.errors import (
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    TIMEOUT,
    StatesError,
    data_limit_exceeded,
)
from orchestration.asl.history import NOT_TRUNCATED, dumps
from orchestration.asl.payload import exceeds_quota
from orchestration.asl.state_base import Program, State
from orchestration.asl.task_context import SERVICE_ARN, Handler, TaskContext, call_handler, split_resource
from orchestration.asl.variables import Variables

if TYPE_CHECKING:
    from orchestration.asl.executor import Execution, ObjectStorage, _Run

_DEFAULT_TASK_TIMEOUT = 99_999_999  # seconds: a Task's TimeoutSeconds when it gives none


class Track:
    """A causal chain of events (the main flow, a branch, an iteration): the last event's id."""

    __slots__ = ("previous",)

    def __init__(self, previous: int):
        self.previous = previous


def run_program(run: _Run, program: Program, data: Any, previous: int, variables: Variables) -> Any:
    """Run a scope from its StartAt to its end with its variables; return its output (StatesError when it fails)."""
    track = Track(previous)
    name = program.start_at
    while True:
        state = program.states[name]
        run.check_deadline()
        visit = StateVisit(run, track, state, data, variables)
        try:
            name, data = state.run(data, visit)
        except StatesError as error:
            visit.record_evaluation_failure(error)
            raise error.locate(state.name, visit.entered_id) from None
        output = dumps(data)  # serialized once: measured against the quota, then recorded
        if exceeds_quota(output):
            raise data_limit_exceeded(state.name)
        details = {"name": state.name, "output": output, "outputDetails": NOT_TRUNCATED}
        if visit.assigned is not None:
            details |= {"assignedVariables": visit.assigned, "assignedVariablesDetails": NOT_TRUNCATED}
        visit.emit(state.exited_event, details)
        if name is None:
            return data


class StateVisit:
    """One visit of a state: its events, its ``$$`` context object, its retries and task calls."""

    __slots__ = ("_run", "_track", "name", "_is_task", "entered_time", "entered_id", "retry_count", "_task_token",
                 "_context", "variables", "assigned")

    def __init__(self, run: _Run, track: Track, state: State, data: Any, variables: Variables):
        self._run = run
        self._track = track
        self.name = state.name
        self.variables = variables
        self.assigned: dict[str, str] | None = None  # the Assign of this visit, as JSON texts (history)
        self._is_task = state.kind == "Task"
        self.entered_time = run.clock.now()
        self.retry_count = 0
        self._task_token: str | None = None
        self._context: dict | None = None
        input_json = dumps(data)
        if exceeds_quota(input_json):  # only a branch's or iteration's input is new here: outputs are measured
            raise _input_over_quota(state.name)
        self.entered_id = self.emit(state.entered_event, {"name": state.name, "input": input_json,
                                                          "inputDetails": NOT_TRUNCATED})

    @property
    def rng(self) -> random.Random:
        return self._run.rng

    @property
    def context(self) -> dict:
        """The ``$$`` context object, built on first use; ``State.RetryCount`` exists in Task states only."""
        if self._context is None:
            state = {"EnteredTime": format_timestamp(self.entered_time), "Name": self.name}
            if self._is_task:
                state["RetryCount"] = self.retry_count
            self._context = {"Execution": self._run.execution_context, "StateMachine": self._run.machine_context,
                             "State": state}
            if self._task_token is not None:
                self._context["Task"] = {"Token": self._task_token}
        return self._context

    def new_uuid(self) -> str:
        return self._run.new_uuid()

    def record_evaluation_failure(self, error: StatesError) -> None:
        """An EvaluationFailed event for a failed JSONata expression (once, before Retry or Catch handle it)."""
        if error.error == QUERY_EVALUATION_ERROR and not error.recorded:
            error.recorded = True
            details = {"error": error.error, "cause": error.cause, "location": error.location, "state": self.name}
            self.emit("EvaluationFailed", {key: value for key, value in details.items() if value is not None})

    def assign(self, values: dict[str, Any] | None) -> None:
        """Store the values of the state's Assign, once everything in the state has read the old ones."""
        if values is not None:
            self.assigned = self.variables.assign(values, self.name)

    def now(self) -> datetime:
        return self._run.clock.now()

    def issue_task_token(self) -> None:
        """Give this attempt of a ``.waitForTaskToken`` task a new token, readable as ``$$.Task.Token``."""
        self._task_token = self._run.new_uuid()
        self._context = None

    def retried(self) -> None:
        self.retry_count += 1
        self._context = None

    def sleep(self, seconds: float) -> None:
        self._run.sleep(seconds)

    def emit(self, event_type: str, details: dict | None = None, previous: int | None = None) -> int:
        event_id = self._run.history.emit(event_type, self._track.previous if previous is None else previous, details)
        self._track.previous = event_id
        return event_id

    def run_program(self, program: Program, data: Any, previous: int) -> Any:
        """Run a branch or iteration, in a scope of its own, whose first event follows event ``previous``."""
        try:
            return run_program(self._run, program, data, previous, Variables(self.variables))
        finally:
            self._track.previous = self._run.history.last_id

    def invoke(self, resource: str, parameters: Any, timeout: int | None, heartbeat: int | None) -> Any:
        """Call the handler of a Task: TaskScheduled, TaskStarted, then TaskSucceeded/Failed/TimedOut."""
        handler = self._run.handler_for(resource)
        if handler is None:
            raise StatesError(RUNTIME, f"No task handler is registered for the resource '{resource}'")
        identity = dict(zip(("resourceType", "resource"), split_resource(resource), strict=True))
        parameters_json = dumps(parameters)
        if exceeds_quota(parameters_json):
            raise _input_over_quota(self.name)
        scheduled = {**identity, "region": self._run.region, "parameters": parameters_json}
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            scheduled["heartbeatInSeconds"] = heartbeat
        self.emit("TaskScheduled", scheduled)
        self.emit("TaskStarted", identity)
        started = self.now()
        deadline = started + timedelta(seconds=timeout) if timeout is not None else None
        context = TaskContext(self.name, resource, self._run.name, self._run.arn, self.retry_count, self._run.clock,
                              started, deadline, heartbeat, self._task_token, self._run.callbacks)
        if self._task_token is None:
            output, error, cause = call_handler(handler, json.loads(parameters_json), context)
        else:
            output, error, cause = self._call_back(handler, json.loads(parameters_json), context, identity)
        if output is not None and exceeds_quota(output):
            # a task failure (TaskFailed, caught by States.ALL), named by its integration or function ARN
            service = SERVICE_ARN.fullmatch(resource)
            limit = data_limit_exceeded(service.group(1) if service else resource)
            output, error, cause = None, limit.error, limit.cause
        if deadline is not None and self.now() > deadline:
            error, cause = TIMEOUT, None  # AWS gives a timeout no cause ("Cause": "" in a Catch output)
        if error is None:
            self.emit("TaskSucceeded", {**identity, "output": output, "outputDetails": NOT_TRUNCATED})
            return json.loads(output)
        if error in (TIMEOUT, HEARTBEAT_TIMEOUT):
            self.emit("TaskTimedOut", {**identity, "error": error, **({"cause": cause} if cause else {})})
            raise StatesError(error, cause or None)
        self.emit("TaskFailed", {**identity, "error": error, "cause": cause})
        raise StatesError(error, cause)

    def storage_for(self, bucket: str) -> ObjectStorage | None:
        return self._run.buckets.get(bucket)

    def start_map_run(self, label: str | None, max_concurrency: int, tolerance: Tolerance) -> MapRun:
        """Start the Map Run of this Distributed Map visit (MapRunStarted); ``label`` None gets a UUID."""
        run = self._run
        label = label or run.new_uuid()
        arn = f"arn:aws:states:{run.region}:{run.machine.account_id}:mapRun:{run.machine.name}/{label}:{run.new_uuid()}"
        map_run = MapRun(arn, run.arn, self.name, label, "RUNNING", self.now(), max_concurrency=max_concurrency,
                         tolerated_failure_count=tolerance.count or 0,
                         tolerated_failure_percentage=tolerance.percentage or 0.0)
        run.map_runs.append(map_run)
        self.emit("MapRunStarted", {"mapRunArn": arn})
        return map_run

    def start_child(self, program: Program, map_run: MapRun, child_input: Any) -> Execution:
        """Run one child execution of ``map_run`` to its end: its own name, ARN, history and variables."""
        return self._run.start_child(self.name, program, map_run, child_input)

    def _call_back(self, handler: Handler, parameters: Any, context: TaskContext, identity: dict) -> Outcome:
        """A ``.waitForTaskToken`` task: the handler hands the token on (TaskSubmitted), then the task waits.

        The handler's own result is recorded, not returned (on AWS it is the integration's response,
        e.g. SQS's MessageId): the task's output is what ``send_task_success`` sends, during the
        handler or later. TimeoutSeconds (99999999 when absent) and HeartbeatSeconds run on the clock.
        """
        token = context.task_token
        callback = self._run.callbacks.open_callback(token)
        try:
            output, error, cause = call_handler(handler, parameters, context)
            if error is not None:
                return output, error, cause
            self.emit("TaskSubmitted", {**identity, "output": output, "outputDetails": NOT_TRUNCATED})
            deadline = context.deadline or context.started_at + timedelta(seconds=_DEFAULT_TASK_TIMEOUT)
            return self._run.await_callback(callback, deadline, context.heartbeat_seconds)
        finally:
            self._run.callbacks.close_callback(token)


def _input_over_quota(state_name: str) -> StatesError:
    """A state's input after Parameters over the quota (AWS's wording for this case was not found)."""
    return StatesError(DATA_LIMIT_EXCEEDED, f"The state/task '{state_name}' received an input with a size exceeding "
                                            "the maximum number of bytes service limit.", wildcard=False)
