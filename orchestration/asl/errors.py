"""Errors of the ASL executor: definition errors at load time, Step Functions errors at run time.

Error-name matching follows the AWS Step Functions documentation ("Error handling in Step Functions"):

* ``States.ALL`` matches every error name except the terminal ``States.Runtime``
  ("A retry or catch on States.ALL won't catch States.Runtime errors").
* ``States.TaskFailed`` matches every error name except ``States.Timeout`` (and ``States.Runtime``).
* ``States.Runtime`` is never retried and never caught, not even when named explicitly: it always
  fails the execution, also from inside a Parallel branch or a Map iteration.
"""

from __future__ import annotations

ALL = "States.ALL"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"


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


class AbortExecution(Exception):
    """Raised by a handler, the event callback or a clock to stop the execution with status ABORTED."""


class StatesError(Exception):
    """A Step Functions error travelling through an execution: what Retry and Catch see.

    ``error`` may be None (a Fail state without Error); ``cause`` may be None.
    """

    def __init__(self, error: str | None, cause: str | None = None):
        self.error = error
        self.cause = cause
        self.located = False
        super().__init__(f"{error}: {cause}")

    @property
    def terminal(self) -> bool:
        """True for errors that no Retry or Catch may handle."""
        return self.error == RUNTIME

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


def error_matches(names: tuple[str, ...], error: str | None) -> bool:
    """Whether a Retrier's or Catcher's ``ErrorEquals`` matches ``error``."""
    if error == RUNTIME:
        return False
    return any(name in (error, ALL) or (name == TASK_FAILED and error != TIMEOUT) for name in names)
