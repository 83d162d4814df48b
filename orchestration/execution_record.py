"""What a local execution keeps while it runs: its record held under an owner lease, and its history.

``ExecutionLease`` rewrites ``_execution.json`` whole (atomically: a temporary file renamed locally, one
PutObject on S3) and refreshes the owner's heartbeat every ``HEARTBEAT_SECONDS``; an owner on another host
whose heartbeat is older than ``LEASE_TTL`` is dead (on the owner's host, its process tells at once).
``HistoryWriter`` appends each event of ``_history.jsonl`` as one line when it happens, and cuts off a line
an earlier kill tore before it appends.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

from baton import lease
from baton.faults import EXECUTOR, Faults
from baton.storage import Storage, write_json

HEARTBEAT_SECONDS = 10.0
LEASE_TTL = timedelta(seconds=120)  # an owner on another host silent for longer is dead


class ExecutionLease:
    """An execution record held by this process: written whole (atomically), its heartbeat refreshed.

    ``with`` writes the claimed record, then refreshes ``owner.heartbeat`` every ``HEARTBEAT_SECONDS``
    until the block ends; ``finish`` records the run's outcome and drops the owner.
    """

    def __init__(self, storage: Storage, key: str, record: dict[str, Any], faults: Faults | None = None):
        self.storage, self.key, self.record = storage, key, record
        self.faults = faults or Faults()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="baton-heartbeat", daemon=True)

    def __enter__(self) -> ExecutionLease:
        self._write()
        self._beat.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, *_: object) -> None:
        self._stop.set()
        self._beat.join()
        if error is not None and self.record.get("owner"):  # the run broke off in this process, which lives on
            self._write({"status": "ABORTED", "stopDate": lease.owner()["heartbeat"], "failedState": None,
                         "error": type(error).__name__, "cause": str(error)})

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with self._lock:
                if self.record.get("owner"):
                    self.record["owner"] = lease.owner()
                    write_json(self.storage, self.key, self.record)

    def _write(self, outcome: dict[str, Any] | None = None) -> None:
        self.faults.check(EXECUTOR, "record")
        with self._lock:
            if outcome is not None:
                self.record["runs"][-1] |= outcome
                self.record |= outcome
                self.record.pop("owner", None)
            write_json(self.storage, self.key, self.record)

    def finish(self, outcome: dict[str, Any]) -> None:
        self._write(outcome)


class HistoryWriter:
    """Appends each history event as one line when it happens; repairs a line torn by an earlier kill first."""

    def __init__(self, storage: Storage, key: str, faults: Faults):
        self.storage, self.key, self.faults = storage, key, faults
        if storage.exists(key):
            data = storage.read_bytes(key)
            if data and not data.endswith(b"\n"):
                storage.write_bytes(key, data[:data.rfind(b"\n") + 1])

    def append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, default=str)
        self.faults.check(EXECUTOR, "history", before_kill=lambda: self._tear(line))
        self.storage.append_line(self.key, line)

    def _tear(self, line: str) -> None:
        """Half of ``line`` with no newline: what a kill in the middle of an append can leave."""
        existing = self.storage.read_bytes(self.key) if self.storage.exists(self.key) else b""
        self.storage.write_bytes(self.key, existing + line[:len(line) // 2].encode())


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()
