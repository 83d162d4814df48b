"""Errors a user can act on: each names the stage, the file and the field involved."""

from __future__ import annotations


class BatonError(Exception):
    """Base of every error Baton raises on purpose; the job entry point exits non-zero on it."""

    exit_code = 2

    def __init__(self, message: str, *, stage: str | None = None, path: str | None = None,
                 field: str | None = None):
        self.stage = stage
        self.path = path
        self.field = field
        parts = [f"stage {stage}" if stage else None, f"file {path}" if path else None,
                 f"column {field}" if field else None]
        where = ", ".join(p for p in parts if p)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidNameError(BatonError):
    """An execution id, stage or dataset name that cannot become a path part."""


class ArgumentError(BatonError):
    """A job argument is missing or malformed."""


class MissingInputError(BatonError):
    """A previous stage's output is absent or was never committed (no _SUCCESS)."""


class BadInputError(BatonError):
    """Raw input that cannot be read as declared: malformed line, missing column, wrong type."""


class EmptyInputError(BatonError):
    """An input with no files or no rows."""


class InjectedFault(BatonError):
    """A failure asked for through BATON_FAULTS, to exercise retries and alerts."""


# Errors that fail the same way on every attempt: the job's arguments, its input or the names it was
# given are wrong, and nothing changes between two runs. Retrying them only delays the alert.
# InjectedFault is not among them: fail-once exists to exercise the retry.
NOT_RETRYABLE: tuple[type[BatonError], ...] = (ArgumentError, BadInputError, EmptyInputError, InvalidNameError,
                                               MissingInputError)
