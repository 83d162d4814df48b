"""Runtime lines go through the ``baton`` loggers; the CLI and a job's entry point decide how they look."""

import logging
import sys

import pytest

from baton import logs
from baton.stage import JobSpec, main_entry


@pytest.fixture
def baton_logger():
    """The ``baton`` logger as it was before the test (handlers and level)."""
    logger = logging.getLogger(logs.LOGGER)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_the_cli_shows_runtime_lines_as_they_are_and_a_job_prefixes_them(baton_logger, capsys):
    logs.configure()
    logging.getLogger("baton.local").info("0.1s > Conform")
    assert capsys.readouterr().err == "0.1s > Conform\n"
    logs.configure(logs.JOB_FORMAT)
    logging.getLogger("baton.checkpoint").info("Validate verdict: {}")
    assert capsys.readouterr().err == "baton: Validate verdict: {}\n"
    assert sum(isinstance(h, logs._Stderr) for h in baton_logger.handlers) == 1


def test_a_job_entry_point_logs_its_failure_and_exits_non_zero(baton_logger, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["job.py", "--current-stage", "Conform"])
    with pytest.raises(SystemExit) as exited:
        main_entry(JobSpec(name="some_job", body=lambda ctx: None))
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "baton: some_job failed: " in err and "execution-id" in err
