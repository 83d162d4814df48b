"""Errors a user can act on: each names what it is about (argument, setting, column, file, stage, ...).

    raise ArgumentError("missing; the definition passes it to every job", argument="--workflow-bucket",
                        stage="Conform")
    # stage Conform, argument --workflow-bucket: missing; the definition passes it to every job

Every error Baton raises on purpose for a user derives from ``BatonError``; the CLI and the job entry
point catch only it, so any other exception is a bug and shows its traceback.
"""

from __future__ import annotations


class BatonError(Exception):
    """Base of every error Baton raises on purpose; the CLI and the job entry point exit non-zero on it.

    The keyword fields say where the problem is, each printed with its kind, in this order:
    ``pipeline``, ``execution`` (an execution id), ``stage``, ``argument`` (``--x``), ``input`` (a key of
    the execution input, e.g. ``initialData.rawPath``), ``setting`` (``spark.master``, with ``conf_file``,
    ``conf/dev.json``), ``path`` (a file or prefix), ``column``.
    """

    exit_code = 2

    def __init__(self, message: str, *, pipeline: str | None = None, execution: str | None = None,
                 stage: str | None = None, argument: str | None = None, input: str | None = None,
                 setting: str | None = None, conf_file: str | None = None, path: str | None = None,
                 column: str | None = None):
        self.message = message
        self.pipeline = pipeline
        self.execution = execution
        self.stage = stage
        self.argument = argument
        self.input = input
        self.setting = setting
        self.conf_file = conf_file
        self.path = path
        self.column = column
        in_file = f" in {conf_file}" if conf_file else ""
        parts = [f"pipeline {pipeline}" if pipeline else None, f"execution {execution}" if execution else None,
                 f"stage {stage}" if stage else None, f"argument {argument}" if argument else None,
                 f"input {input}" if input else None, f"setting {setting}{in_file}" if setting else None,
                 f"file {path}" if path else None, f"column {column}" if column else None]
        where = ", ".join(p for p in parts if p)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidNameError(BatonError):
    """An execution id, stage or dataset name that cannot become a path part."""


class ArgumentError(BatonError):
    """A job or command argument is missing or malformed."""


class SettingError(BatonError):
    """A setting of ``conf/<env>.json`` is missing, unknown, of the wrong type or invalid."""


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
