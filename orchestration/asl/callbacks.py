"""Callback tasks' tokens: what a running execution offers the workers of its ``.waitForTaskToken``
tasks (the SendTask* API), and what each waiting task has been sent.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Protocol

from orchestration.asl.clock import Clock
from orchestration.asl.errors import InvalidToken, TaskTimedOut
from orchestration.asl.history import dumps

Outcome = tuple[str | None, str | None, str | None]  # (output JSON, None, _) or (None, error, cause)


class TaskCallbacks(Protocol):
    """What a running execution offers the workers of its callback tasks (the SendTask* API)."""

    def send_task_success(self, token: str, output: Any) -> None: ...

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None: ...

    def send_task_heartbeat(self, token: str) -> None: ...


class Callback:
    """A callback task waiting for its token: the outcome sent, and the time of its last heartbeat."""

    __slots__ = ("outcome", "last_beat")

    def __init__(self, started: datetime):
        self.outcome: Outcome | None = None
        self.last_beat = started


class CallbackTokens:
    """The tokens an execution gave its callback tasks: ``context.execution`` of a task handler."""

    def __init__(self, execution_name: str, clock: Clock):
        self.execution_name = execution_name
        self.clock = clock
        self._callbacks: dict[str, Callback | None] = {}  # token -> waiting task, None once it has ended
        self._callbacks_lock = threading.Lock()

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

    def _waiting(self, token: str) -> Callback:
        if token not in self._callbacks:
            raise InvalidToken(f"execution {self.execution_name!r} gave no task the token {token!r}")
        callback = self._callbacks[token]
        if callback is None or callback.outcome is not None:
            raise TaskTimedOut(f"the task given the token {token!r} has already ended")
        return callback

    def _complete(self, token: str, outcome: Outcome) -> None:
        with self._callbacks_lock:
            self._waiting(token).outcome = outcome

    def open_callback(self, token: str) -> Callback:
        callback = Callback(self.clock.now())
        with self._callbacks_lock:
            self._callbacks[token] = callback
        return callback

    def close_callback(self, token: str) -> None:
        with self._callbacks_lock:
            self._callbacks[token] = None
