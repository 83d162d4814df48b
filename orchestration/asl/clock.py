"""Clocks for the executor (real or fake) and Step Functions' timestamp format.

Every wait of an execution (Wait states, Retry intervals) goes through ``Clock.sleep``, the wait
of a callback task for its token through ``Clock.wait_until``, and every time it reads (history,
``$$`` times, task timeouts) through ``Clock.now``, so tests run retries, waits and callbacks in no
time with :class:`FakeClock`, whose :meth:`FakeClock.call_later` plays a worker answering later.
"""

from __future__ import annotations

import heapq
import itertools
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

_POLL_SECONDS = 0.05
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:Z|[+-]\d{2}:\d{2})")


class Clock(Protocol):
    """What the executor needs from time: the current instant and a way to wait."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a Wait state or a Retry interval)."""
        ...

    def wait_until(self, seconds: float, done: Callable[[], bool]) -> None:
        """Wait at most ``seconds``, returning as soon as ``done()`` is true (a task waiting for its callback)."""
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

    def wait_until(self, seconds: float, done: Callable[[], bool]) -> None:
        """Poll ``done`` (set by another thread) every 50 ms of real time; a callback wait is not scaled."""
        end = time.monotonic() + seconds
        while not done() and (remaining := end - time.monotonic()) > 0:
            time.sleep(min(_POLL_SECONDS, remaining))


class FakeClock:
    """Virtual time for tests: ``sleep`` advances instantly and is recorded in :attr:`sleeps`.

    ``call_later(30, answer)`` runs ``answer`` when virtual time reaches 30 s from now, whoever moves
    it (a sleep, a callback wait, ``advance``), at that instant: a worker answering a task token.
    """

    def __init__(self, start: datetime = datetime(2024, 1, 1, tzinfo=UTC)):
        if start.tzinfo is None:
            raise ValueError("FakeClock start must be timezone-aware")
        self._now = start
        self.sleeps: list[float] = []
        self._timers: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (e.g. a handler simulating slow work)."""
        self._move_to(self._now + timedelta(seconds=seconds), lambda: False)

    def wait_until(self, seconds: float, done: Callable[[], bool]) -> None:
        """Run the timers due within ``seconds``, stopping at the first after which ``done()`` holds."""
        self._move_to(self._now + timedelta(seconds=seconds), done)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` once virtual time has moved ``seconds`` forward."""
        heapq.heappush(self._timers, (self._now + timedelta(seconds=seconds), next(self._order), callback))

    def _move_to(self, target: datetime, done: Callable[[], bool]) -> None:
        while not done():
            if not self._timers or self._timers[0][0] > target:
                self._now = target
                return
            due, _, callback = heapq.heappop(self._timers)
            self._now = max(self._now, due)
            callback()


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
