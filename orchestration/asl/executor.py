"""Run ASL locally, JSONPath and JSONata, with variables: the same definition that Step Functions runs on AWS.

::

    machine = load_definition(definition)            # DefinitionError("States.X.Next", ...) if unsupported
    execution = machine.execute({"resumeFromStage": "Conform"}, name="run-42",
                                handlers={"arn:aws:states:::glue:startJobRun.sync": run_glue_job},
                                clock=FakeClock(), on_event=print)
    execution.status, execution.output, execution.error, execution.cause, execution.history

A handler is ``handler(parameters, context: TaskContext) -> result``. It fails its task by raising
``TaskFailure(error, cause)``; any other exception fails it with ``States.TaskFailed`` and a cause
``{"errorMessage": ..., "errorType": ...}``. Handlers are looked up by the Task's ``Resource`` ARN,
exactly; a key ending in ``*`` matches every ARN with that prefix (``arn:aws:states:::aws-sdk:s3:*``),
the longest such prefix winning. A Task without a handler fails the execution (``States.Runtime``).

``TimeoutSeconds`` of a Task is checked on the clock when its handler returns (``States.Timeout``,
no cause, as on AWS); handlers can read ``context.deadline`` and call ``context.heartbeat()`` to
stop early. The machine's top-level ``TimeoutSeconds`` is checked when each state is entered and
caps Wait and Retry sleeps and callback waits (TIMED_OUT).
Raising :class:`AbortExecution` (from a handler, ``on_event`` or the clock) or a KeyboardInterrupt
ends the execution ABORTED.

Callback tasks (a ``Resource`` ending in ``.waitForTaskToken``) get a fresh token per attempt, in
``$$.Task.Token`` and ``context.task_token``. Their handler hands it to whoever will answer and
returns (its result is recorded in TaskSubmitted, like an SQS MessageId, e.g. ``"pending"``); the
task then waits on the clock until ``context.execution.send_task_success(token, output)`` or
``send_task_failure(token, error, cause)`` is called, during the handler, from a
:meth:`FakeClock.call_later` timer or from another thread (with :class:`RealClock`).
``send_task_heartbeat(token)`` restarts ``HeartbeatSeconds``, enforced here
(``States.HeartbeatTimeout``, which ``States.Timeout`` in ErrorEquals also matches); a token that
was never issued raises :class:`InvalidToken`, one whose task has ended :class:`TaskTimedOut`.

Payloads are held to Step Functions' quota of 256 KiB of UTF-8 JSON (``States.DataLimitExceeded``):
an execution input over it is refused (``ValueError``, as StartExecution refuses it); a task result
over it fails the task (TaskFailed); a state's input after Parameters or its output over it fails the
state with an error that only a Retrier or Catcher naming ``States.DataLimitExceeded`` matches. Each
payload is measured on the JSON text the history records anyway, so the check costs no serialization.
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestration.asl.clock import Clock, RealClock, format_timestamp
from orchestration.asl.distributed import MapRun, Tolerance
from orchestration.asl.errors import (
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    TASK_FAILED,
    TIMEOUT,
    AbortExecution,
    DefinitionError,
    InvalidToken,
    StatesError,
    TaskFailure,
    TaskTimedOut,
    data_limit_exceeded,
)
from orchestration.asl.history import EventCallback, History, dumps
from orchestration.asl.payload import MAX_PAYLOAD_BYTES, exceeds_quota
from orchestration.asl.state_base import Compilation, Program, State
from orchestration.asl.states import compile_program
from orchestration.asl.validation import get_integer, query_language, require_object
from orchestration.asl.variables import Variables

Handler = Callable[[Any, "TaskContext"], Any]

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
_TOP_FIELDS = frozenset({"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"})
_SERVICE_ARN = re.compile(r"arn:[^:]+:states:::(.+):([^:]+)")
_EXECUTION_NAME = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}")
_NOT_TRUNCATED = {"truncated": False}
_DEFAULT_TASK_TIMEOUT = 99_999_999  # seconds: a Task's TimeoutSeconds when it gives none
_Outcome = tuple[str | None, str | None, str | None]  # (output JSON, None, _) or (None, error, cause)


class ObjectStorage(Protocol):
    """What a Distributed Map needs of a bucket (:class:`baton.storage.Storage` has it)."""

    def read_bytes(self, key: str) -> bytes: ...

    def write_bytes(self, key: str, data: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def stat(self, key: str) -> Any: ...


class TaskCallbacks(Protocol):
    """What a running execution offers the workers of its callback tasks (the SendTask* API)."""

    def send_task_success(self, token: str, output: Any) -> None: ...

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None: ...

    def send_task_heartbeat(self, token: str) -> None: ...


@dataclass(frozen=True)
class TaskContext:
    """What a task handler knows about the task it runs."""

    state_name: str
    resource: str
    execution_name: str
    execution_arn: str
    retry_count: int
    clock: Clock
    started_at: datetime
    deadline: datetime | None
    heartbeat_seconds: int | None
    task_token: str | None = None  # ``$$.Task.Token`` of a ``.waitForTaskToken`` task
    execution: TaskCallbacks | None = None

    def remaining_seconds(self) -> float | None:
        """Seconds left before ``TimeoutSeconds`` expires (None without a timeout)."""
        if self.deadline is None:
            return None
        return (self.deadline - self.clock.now()).total_seconds()

    def heartbeat(self) -> None:
        """Report progress; raises ``TaskFailure("States.Timeout")`` once the task's deadline has passed."""
        if self.deadline is not None and self.clock.now() > self.deadline:
            raise TaskFailure(TIMEOUT)


@dataclass
class Execution:
    """The outcome of one execution, shaped like ``DescribeExecution`` plus its history events."""

    name: str
    arn: str
    state_machine_arn: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    input: Any
    output: Any
    error: str | None
    cause: str | None
    start_date: datetime
    stop_date: datetime
    history: list[dict]
    map_runs: list[MapRun] = field(default_factory=list)  # of its Distributed Map states, each with its children


class StateMachine:
    """A loaded, validated definition; :meth:`execute` runs it."""

    def __init__(self, definition: dict, program: Program, name: str, region: str, account_id: str):
        self.definition = definition
        self.program = program
        self.name = name
        self.region = region
        self.account_id = account_id
        self.arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"
        self.timeout_seconds = definition.get("TimeoutSeconds")

    def execute(self, input: Any = None, *, name: str | None = None, handlers: Mapping[str, Handler] | None = None,
                clock: Clock | None = None, on_event: EventCallback | None = None, rng: random.Random | None = None,
                uuid_factory: Callable[[], str] | None = None,
                buckets: Mapping[str, ObjectStorage] | None = None) -> Execution:
        """Run one execution to its end and return it.

        ``input`` defaults to ``{}``; ``name`` to a UUID (from ``uuid_factory``, which also serves
        ``States.UUID``). ``clock`` defaults to :class:`RealClock`; ``rng`` (jitter, ``States.MathRandom``)
        to a fresh ``random.Random``. ``on_event`` receives every history event as it is recorded.
        ``buckets`` maps the S3 bucket names a Distributed Map reads and writes to storages
        (:class:`baton.storage.Storage`: a local directory or S3).
        """
        run = _Run(self, input, name, handlers or {}, clock or RealClock(), on_event, rng or random.Random(),
                   uuid_factory or (lambda: str(uuid.uuid4())), buckets or {})
        return run.execute()


def load_definition(definition: dict | str, *, name: str = "StateMachine", region: str = DEFAULT_REGION,
                    account_id: str = DEFAULT_ACCOUNT) -> StateMachine:
    """Validate and compile an ASL definition (a dict or JSON text): JSONPath or JSONata, inline or Distributed Map.

    Raises :class:`DefinitionError` naming the offending field, e.g.
    ``States.Fetch.TimeoutSecondsPath: TimeoutSecondsPath is not supported (use TimeoutSeconds)``.
    """
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except json.JSONDecodeError as error:
            raise DefinitionError("", f"the definition is not valid JSON: {error}") from None
    spec = require_object(definition, "(definition)")
    language = query_language(spec, "", "JSONPath")
    get_integer(spec, "TimeoutSeconds", "", 1)
    if spec.get("Version", "1.0") != "1.0":
        raise DefinitionError("Version", "must be \"1.0\"")
    program = compile_program(spec, "", Compilation(set(), language), _TOP_FIELDS)
    return StateMachine(spec, program, name, region, account_id)


class _ExecutionTimedOut(Exception):
    """The machine's TimeoutSeconds has passed."""


class _Run:
    """Everything one execution shares: clock, handlers, history, randomness, context object."""

    def __init__(self, machine: StateMachine, input: Any, name: str | None, handlers: Mapping[str, Handler],
                 clock: Clock, on_event: EventCallback | None, rng: random.Random, uuid_factory: Callable[[], str],
                 buckets: Mapping[str, ObjectStorage]):
        self.machine = machine
        self.handlers = handlers
        self.buckets = buckets
        self.map_runs: list[MapRun] = []
        self.name = name if name is not None else uuid_factory()
        if not _EXECUTION_NAME.fullmatch(self.name):
            raise ValueError(f"invalid execution name {self.name!r}: 1-80 characters, no spaces, brackets, "
                             "wildcards or punctuation such as \" # % \\ ^ | ~ ` $ & , ; : /")
        try:
            self.input_json = dumps({} if input is None else input)
        except (TypeError, ValueError) as error:
            raise ValueError(f"the execution input is not JSON: {error}") from None
        if exceeds_quota(self.input_json):
            raise ValueError(f"the execution input is {len(self.input_json.encode('utf-8'))} bytes of JSON; Step "
                             f"Functions accepts at most {MAX_PAYLOAD_BYTES} bytes (256 KiB)")
        self.input = json.loads(self.input_json)
        self.clock = clock
        self.rng = rng
        self.new_uuid = uuid_factory
        self.history = History(clock, on_event)
        self.region = machine.region
        self.arn = f"arn:aws:states:{machine.region}:{machine.account_id}:execution:{machine.name}:{self.name}"
        self.role_arn = f"arn:aws:iam::{machine.account_id}:role/baton-local"
        self.start = clock.now()
        self.deadline = None
        if machine.timeout_seconds is not None:
            self.deadline = self.start + timedelta(seconds=machine.timeout_seconds)
        self.execution_context = {"Id": self.arn, "Input": self.input, "Name": self.name, "RoleArn": self.role_arn,
                                  "StartTime": format_timestamp(self.start), "RedriveCount": 0}
        self.machine_context = {"Id": machine.arn, "Name": machine.name}
        self._callbacks: dict[str, _Callback | None] = {}  # token -> waiting task, None once it has ended
        self._callbacks_lock = threading.Lock()
        self._exact = {key: h for key, h in handlers.items() if not key.endswith("*")}
        self._prefixes = sorted(((key[:-1], h) for key, h in handlers.items() if key.endswith("*")),
                                key=lambda item: -len(item[0]))

    def execute(self) -> Execution:
        self.history.emit("ExecutionStarted", 0, {"input": self.input_json, "inputDetails": _NOT_TRUNCATED,
                                                  "roleArn": self.role_arn})
        output = error = cause = None
        try:
            result = run_program(self, self.machine.program, self.input, 0, Variables())
        except StatesError as failure:
            status, event, error, cause = "FAILED", "ExecutionFailed", failure.error, failure.cause
        except _ExecutionTimedOut:
            status, event, error = "TIMED_OUT", "ExecutionTimedOut", TIMEOUT
            cause = f"The execution exceeded the state machine's TimeoutSeconds ({self.machine.timeout_seconds} s)"
        except (AbortExecution, KeyboardInterrupt) as abort:
            status, event, cause = "ABORTED", "ExecutionAborted", str(abort) or type(abort).__name__
        else:
            status, event = "SUCCEEDED", "ExecutionSucceeded"
            output_json = dumps(result)
            output = json.loads(output_json)
        if status == "SUCCEEDED":
            details = {"output": output_json, "outputDetails": _NOT_TRUNCATED}
        else:
            details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        self.history.emit(event, self.history.last_id, details)
        return Execution(self.name, self.arn, self.machine.arn, status, self.input, output, error, cause,
                         self.start, self.clock.now(), self.history.events, self.map_runs)

    def handler_for(self, resource: str) -> Handler | None:
        handler = self._exact.get(resource)
        if handler is None:
            handler = next((h for prefix, h in self._prefixes if resource.startswith(prefix)), None)
        return handler

    def send_task_success(self, token: str, output: Any) -> None:
        """Complete the callback task given ``token`` with ``output`` (any JSON value), as SendTaskSuccess."""
        try:
            output_json = dumps(output)
        except (TypeError, ValueError) as error:
            raise ValueError(f"the output of the task given the token {token!r} is not JSON: {error}") from None
        self._complete(token, (output_json, None, None))

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """Fail the callback task given ``token`` with ``error`` and ``cause``, as SendTaskFailure."""
        self._complete(token, (None, error or "", cause or ""))

    def send_task_heartbeat(self, token: str) -> None:
        """Restart the HeartbeatSeconds of the callback task given ``token``, as SendTaskHeartbeat."""
        with self._callbacks_lock:
            self._waiting(token).last_beat = self.clock.now()

    def _waiting(self, token: str) -> _Callback:
        if token not in self._callbacks:
            raise InvalidToken(f"execution {self.name!r} gave no task the token {token!r}")
        callback = self._callbacks[token]
        if callback is None or callback.outcome is not None:
            raise TaskTimedOut(f"the task given the token {token!r} has already ended")
        return callback

    def _complete(self, token: str, outcome: _Outcome) -> None:
        with self._callbacks_lock:
            self._waiting(token).outcome = outcome

    def open_callback(self, token: str) -> _Callback:
        callback = _Callback(self.clock.now())
        with self._callbacks_lock:
            self._callbacks[token] = callback
        return callback

    def close_callback(self, token: str) -> None:
        with self._callbacks_lock:
            self._callbacks[token] = None

    def await_callback(self, callback: _Callback, deadline: datetime, heartbeat: int | None) -> _Outcome:
        """Wait on the clock for the task's token to be completed, its heartbeat to lapse or its deadline."""
        while callback.outcome is None:
            now = self.clock.now()
            if now >= deadline:
                return None, TIMEOUT, None
            limit = deadline
            if heartbeat is not None:
                beat_deadline = callback.last_beat + timedelta(seconds=heartbeat)
                if now >= beat_deadline:
                    return None, HEARTBEAT_TIMEOUT, None
                limit = min(limit, beat_deadline)
            self.check_deadline()
            if self.deadline is not None:
                limit = min(limit, self.deadline)
            self.clock.wait_until((limit - now).total_seconds(), lambda: callback.outcome is not None)
        return callback.outcome

    def check_deadline(self) -> None:
        if self.deadline is not None and self.clock.now() >= self.deadline:
            raise _ExecutionTimedOut()

    def sleep(self, seconds: float) -> None:
        """Wait on the clock, but never past the execution's deadline."""
        if self.deadline is not None:
            remaining = (self.deadline - self.clock.now()).total_seconds()
            if seconds >= remaining:
                self.clock.sleep(max(0.0, remaining))
                raise _ExecutionTimedOut()
        self.clock.sleep(seconds)


class _Callback:
    """A callback task waiting for its token: the outcome sent, and the time of its last heartbeat."""

    __slots__ = ("outcome", "last_beat")

    def __init__(self, started: datetime):
        self.outcome: _Outcome | None = None
        self.last_beat = started


class _Track:
    """A causal chain of events (the main flow, a branch, an iteration): the last event's id."""

    __slots__ = ("previous",)

    def __init__(self, previous: int):
        self.previous = previous


def run_program(run: _Run, program: Program, data: Any, previous: int, variables: Variables) -> Any:
    """Run a scope from its StartAt to its end with its variables; return its output (StatesError when it fails)."""
    track = _Track(previous)
    name = program.start_at
    while True:
        state = program.states[name]
        run.check_deadline()
        visit = _Visit(run, track, state, data, variables)
        try:
            name, data = state.run(data, visit)
        except StatesError as error:
            visit.record_evaluation_failure(error)
            raise error.locate(state.name, visit.entered_id) from None
        output = dumps(data)  # serialized once: measured against the quota, then recorded
        if exceeds_quota(output):
            raise data_limit_exceeded(state.name)
        details = {"name": state.name, "output": output, "outputDetails": _NOT_TRUNCATED}
        if visit.assigned is not None:
            details |= {"assignedVariables": visit.assigned, "assignedVariablesDetails": _NOT_TRUNCATED}
        visit.emit(state.exited_event, details)
        if name is None:
            return data


class _Visit:
    """One visit of a state: its events, its ``$$`` context object, its retries and task calls."""

    __slots__ = ("_run", "_track", "name", "_is_task", "entered_time", "entered_id", "retry_count", "_task_token",
                 "_context", "variables", "assigned")

    def __init__(self, run: _Run, track: _Track, state: State, data: Any, variables: Variables):
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
                                                          "inputDetails": _NOT_TRUNCATED})

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
        identity = dict(zip(("resourceType", "resource"), _split_resource(resource), strict=True))
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
                              started, deadline, heartbeat, self._task_token, self._run)
        if self._task_token is None:
            output, error, cause = _call_handler(handler, json.loads(parameters_json), context)
        else:
            output, error, cause = self._call_back(handler, json.loads(parameters_json), context, identity)
        if output is not None and exceeds_quota(output):
            # a task failure (TaskFailed, caught by States.ALL), named by its integration or function ARN
            service = _SERVICE_ARN.fullmatch(resource)
            limit = data_limit_exceeded(service.group(1) if service else resource)
            output, error, cause = None, limit.error, limit.cause
        if deadline is not None and self.now() > deadline:
            error, cause = TIMEOUT, None  # AWS gives a timeout no cause ("Cause": "" in a Catch output)
        if error is None:
            self.emit("TaskSucceeded", {**identity, "output": output, "outputDetails": _NOT_TRUNCATED})
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
        run = self._run
        machine = StateMachine({}, program, f"{run.machine.name}/{map_run.label}", run.region,
                               run.machine.account_id)
        try:
            child = _Run(machine, child_input, run.new_uuid(), run.handlers, run.clock, None, run.rng, run.new_uuid,
                         run.buckets)
        except ValueError:
            raise data_limit_exceeded(self.name) from None  # a child input over the quota
        execution = child.execute()
        if execution.status == "ABORTED":  # an abort (a handler's, Ctrl-C) stops the whole execution
            map_run.executions.append(execution)
            raise AbortExecution(execution.cause or "")
        return execution

    def _call_back(self, handler: Handler, parameters: Any, context: TaskContext, identity: dict) -> _Outcome:
        """A ``.waitForTaskToken`` task: the handler hands the token on (TaskSubmitted), then the task waits.

        The handler's own result is recorded, not returned (on AWS it is the integration's response,
        e.g. SQS's MessageId): the task's output is what ``send_task_success`` sends, during the
        handler or later. TimeoutSeconds (99999999 when absent) and HeartbeatSeconds run on the clock.
        """
        token = context.task_token
        callback = self._run.open_callback(token)
        try:
            output, error, cause = _call_handler(handler, parameters, context)
            if error is not None:
                return output, error, cause
            self.emit("TaskSubmitted", {**identity, "output": output, "outputDetails": _NOT_TRUNCATED})
            deadline = context.deadline or context.started_at + timedelta(seconds=_DEFAULT_TASK_TIMEOUT)
            return self._run.await_callback(callback, deadline, context.heartbeat_seconds)
        finally:
            self._run.close_callback(token)


def _input_over_quota(state_name: str) -> StatesError:
    """A state's input after Parameters over the quota (AWS's wording for this case was not found)."""
    return StatesError(DATA_LIMIT_EXCEEDED, f"The state/task '{state_name}' received an input with a size exceeding "
                                            "the maximum number of bytes service limit.", wildcard=False)


def _call_handler(handler: Handler, parameters: Any, context: TaskContext) -> tuple[str | None, str | None, str]:
    """Call a handler: ``(result as JSON text, None, "")``, or ``(None, error, cause)`` when it failed."""
    try:
        return dumps(handler(parameters, context)), None, ""
    except TaskFailure as failure:
        return None, failure.error, failure.cause
    except AbortExecution:
        raise
    except Exception as exc:  # like an exception in a Lambda function: the task fails, the execution goes on
        return None, TASK_FAILED, json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__})


def _split_resource(resource: str) -> tuple[str, str]:
    """History's (resourceType, resource): ``arn:aws:states:::glue:startJobRun.sync`` -> (glue, startJobRun.sync)."""
    match = _SERVICE_ARN.fullmatch(resource)
    if match:
        return match.group(1), match.group(2)
    parts = resource.split(":")
    return (parts[2] if len(parts) > 2 else "unknown"), resource
