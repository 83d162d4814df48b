"""Where Baton's log lines go: library code logs to ``baton.<module>`` loggers; an entry point says how they look.

The CLI (``baton ...``) and a job's own entry point (``spark-submit jobs/<job>.py``, Glue, EMR)
call :func:`configure` once with their format; library code never configures logging.
"""

from __future__ import annotations

import logging
import sys

LOGGER = "baton"
CLI_FORMAT = "%(message)s"
JOB_FORMAT = "baton: %(message)s"  # a job's lines stand out among Spark's own


class _Stderr(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (a test's captured stream, too), not the one at setup."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure(fmt: str = CLI_FORMAT, level: int = logging.INFO) -> None:
    """Show ``baton`` log records of ``level`` and above on stderr as ``fmt``; a second call changes the format."""
    logger = logging.getLogger(LOGGER)
    handler = next((h for h in logger.handlers if isinstance(h, _Stderr)), None)
    if handler is None:
        handler = _Stderr()
        logger.addHandler(handler)
    handler.setFormatter(logging.Formatter(fmt))
    logger.setLevel(level)
