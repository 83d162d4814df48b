"""Errors of the ASL executor: definition errors at load time, Step Functions errors at run time.

Error-name matching follows the AWS Step Functions documentation ("Error handling in Step Functions"):

* ``States.ALL`` matches every error name except the terminal ``States.Runtime``
  ("A retry or catch on States.ALL won't catch States.Runtime errors") and a state's input or output
  over the payload quota (``States.DataLimitExceeded``, "a terminal error that can't be caught by the
  States.ALL error type"; only a Retrier or Catcher naming it matches). A *task result* over the quota
  is a failure of the task, which AWS reports as TaskFailed and States.ALL catches (recorded on AWS).
* ``States.TaskFailed`` matches every error name except the timeouts (and the two above).
* ``States.Timeout`` also matches ``States.HeartbeatTimeout`` (it did before AWS named heartbeat
  timeouts apart, and still does).
* ``States.Runtime`` is never retried and never caught, not even when named explicitly: it always
  fails the execution, also from inside a Parallel branch or a Map iteration.
"""

from __future__ import annotations

ALL = "States.ALL"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"


class DefinitionError(ValueError):
    """A state machine definition outside the supported ASL subset, or invalid ASL.

    ``path`` names the offending field, e.g. ``States.Fetch.QueryLanguage``.
    """

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class TaskFailure(Exception):
    """Raised by a task handler to fail its Task state with a Step Functions error name and cause."""

    def __init__(self, error: str, cause: str = ""):
        self.error = error
        self.cause = cause
        super().__init__(f"{error}: {cause}" if cause else error)


class InvalidToken(ValueError):
    """``send_task_*`` with a token this execution never issued (AWS: ``InvalidToken``)."""


class TaskTimedOut(ValueError):
    """``send_task_*`` with the token of a task that has already ended (AWS: ``TaskTimedOut``)."""


class AbortExecution(Exception):
    """Raised by a handler, the event callback or a clock to stop the execution with status ABORTED."""


class StatesError(Exception):
    """A Step Functions error travelling through an execution: what Retry and Catch see.

    ``error`` may be None (a Fail state without Error); ``cause`` may be None.
    """

    def __init__(self, error: str | None, cause: str | None = None, *, wildcard: bool = True,
                 location: str | None = None):
        self.error = error
        self.cause = cause
        self.wildcard = wildcard
        self.location = location  # the field whose JSONata expression failed (States.QueryEvaluationError)
        self.located = False
        self.recorded = False  # its EvaluationFailed event is in the history
        super().__init__(f"{error}: {cause}")

    @property
    def terminal(self) -> bool:
        """True for errors that no Retry or Catch may handle."""
        return self.error == RUNTIME

    def matches(self, names: tuple[str, ...]) -> bool:
        """Whether a Retrier's or Catcher's ``ErrorEquals`` matches this error."""
        if self.terminal:
            return False
        if self.error in names or (self.error == HEARTBEAT_TIMEOUT and TIMEOUT in names):
            return True
        if not self.wildcard:
            return False
        return ALL in names or (TASK_FAILED in names and self.error not in (TIMEOUT, HEARTBEAT_TIMEOUT))

    def locate(self, state_name: str, entered_event_id: int) -> StatesError:
        """Prefix a States.Runtime cause with the failing state, as Step Functions reports it (once)."""
        if self.terminal and not self.located:
            self.cause = (f"An error occurred while executing the state '{state_name}' "
                          f"(entered at the event id #{entered_event_id}). {self.cause}")
        self.located = True
        return self

    def error_output(self) -> dict:
        """The value a Catcher passes on: absent error or cause become empty strings."""
        return {"Error": self.error or "", "Cause": self.cause or ""}



def data_limit_exceeded(name: str) -> StatesError:
    """A state's output (or a task's result, named by its resource) over the payload quota, worded as AWS does."""
    return StatesError(DATA_LIMIT_EXCEEDED, f"The state/task '{name}' returned a result with a size exceeding the "
                                            "maximum number of bytes service limit.", wildcard=False)
