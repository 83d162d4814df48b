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
an execution input over it is refused (``InvalidExecutionInput``, as StartExecution refuses it); a
task result over it fails the task (TaskFailed); a state's input after Parameters or its output over it
fails the state with an error that only a Retrier or Catcher naming ``States.DataLimitExceeded`` matches. Each
payload is measured on the JSON text the history records anyway, so the check costs no serialization.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from orchestration.asl.callbacks import Callback, CallbackTokens, Outcome
from orchestration.asl.clock import Clock, RealClock, format_timestamp
from orchestration.asl.distributed import MapRun
from orchestration.asl.errors import (
    HEARTBEAT_TIMEOUT,
    TIMEOUT,
    AbortExecution,
    DefinitionError,
    StatesError,
    data_limit_exceeded,
)
from orchestration.asl.history import NOT_TRUNCATED, EventCallback, History, dumps
from orchestration.asl.payload import execution_input_json
from orchestration.asl.state_base import Compilation, Program
from orchestration.asl.states import compile_program
from orchestration.asl.task_context import Handler
from orchestration.asl.validation import get_integer, query_language, require_object
from orchestration.asl.variables import Variables
from orchestration.asl.visit import run_program

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
_TOP_FIELDS = frozenset({"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"})
_EXECUTION_NAME = re.compile(r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}")


class ObjectStorage(Protocol):
    """What a Distributed Map needs of a bucket (:class:`baton.storage.Storage` has it)."""

    def read_bytes(self, key: str) -> bytes: ...

    def write_bytes(self, key: str, data: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def stat(self, key: str) -> Any: ...


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
        self.input_json = execution_input_json(input)
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
        self.callbacks = CallbackTokens(self.name, clock)
        self._exact = {key: h for key, h in handlers.items() if not key.endswith("*")}
        self._prefixes = sorted(((key[:-1], h) for key, h in handlers.items() if key.endswith("*")),
                                key=lambda item: -len(item[0]))

    def execute(self) -> Execution:
        self.history.emit("ExecutionStarted", 0, {"input": self.input_json, "inputDetails": NOT_TRUNCATED,
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
            details = {"output": output_json, "outputDetails": NOT_TRUNCATED}
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

    def await_callback(self, callback: Callback, deadline: datetime, heartbeat: int | None) -> Outcome:
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

    def start_child(self, state_name: str, program: Program, map_run: MapRun, child_input: Any) -> Execution:
        """Run one child execution of ``map_run``, started by the state ``state_name``, to its end."""
        machine = StateMachine({}, program, f"{self.machine.name}/{map_run.label}", self.region,
                               self.machine.account_id)
        try:
            child = _Run(machine, child_input, self.new_uuid(), self.handlers, self.clock, None, self.rng,
                         self.new_uuid, self.buckets)
        except ValueError:
            raise data_limit_exceeded(state_name) from None  # a child input over the quota
        execution = child.execute()
        if execution.status == "ABORTED":  # an abort (a handler's, Ctrl-C) stops the whole execution
            map_run.executions.append(execution)
            raise AbortExecution(execution.cause or "")
        return execution

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
