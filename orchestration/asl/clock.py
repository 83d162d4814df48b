"""Clocks for the executor (real or fake) and Step Functions' timestamp format.

Every wait of an execution (Wait states, Retry intervals) goes through ``Clock.sleep`` and every
time it reads (history, ``$$`` times, task timeouts) through ``Clock.now``, so tests run retries
and waits in no time with :class:`FakeClock`.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:Z|[+-]\d{2}:\d{2})")


class Clock(Protocol):
    """What the executor needs from time: the current instant and a way to wait."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a Wait state or a Retry interval)."""
        ...


class RealClock:
    """Wall-clock time. ``wait_factor`` scales every sleep (0.01 turns a 60 s Wait into 0.6 s).

    Only sleeps are scaled: ``now()`` stays the real time, so task timeouts measure real work.
    """

    def __init__(self, wait_factor: float = 1.0):
        if wait_factor < 0:
            raise ValueError(f"wait_factor must be >= 0, got {wait_factor}")
        self.wait_factor = wait_factor

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self.wait_factor > 0:
            time.sleep(seconds * self.wait_factor)


class FakeClock:
    """Virtual time for tests: ``sleep`` advances instantly and is recorded in :attr:`sleeps`."""

    def __init__(self, start: datetime = datetime(2024, 1, 1, tzinfo=UTC)):
        if start.tzinfo is None:
            raise ValueError("FakeClock start must be timezone-aware")
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (e.g. a handler simulating slow work)."""
        self._now += timedelta(seconds=seconds)


def format_timestamp(moment: datetime) -> str:
    """``2024-01-01T00:00:00.5Z``: UTC, milliseconds with trailing zeros removed, as Step Functions does."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].rstrip("0").rstrip(".")
    return text + "Z"


def parse_timestamp(text: object) -> datetime | None:
    """The instant of an ASL timestamp (RFC 3339: uppercase ``T``, ``Z`` or a numeric offset), else None."""
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    fraction = match.group(1)
    if fraction and len(fraction) > 6:
        text = text.replace(fraction, fraction[:6], 1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
