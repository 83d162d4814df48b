"""Who holds something (an execution, a warehouse table) and whether that holder still lives.

A lease names its owner's process id and host and a heartbeat time that the owner refreshes while it
works. On the owner's host the process table answers at once (a killed owner is dead as soon as its
process is gone); elsewhere a heartbeat older than the lease's time to live means the owner is gone.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def now() -> datetime:
    return datetime.now(UTC)


def owner(heartbeat: datetime | None = None) -> dict[str, Any]:
    """This process as a lease's owner: ``{"pid", "host", "heartbeat"}``."""
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "heartbeat": (heartbeat or now()).isoformat(timespec="milliseconds")}


def death(lease: dict[str, Any], ttl: timedelta) -> str | None:
    """Why the owner of ``lease`` is gone (``owner pid 12 on host h died``), or None while it lives."""
    pid, host = lease["pid"], lease["host"]
    age = now() - datetime.fromisoformat(lease["heartbeat"])
    if host == socket.gethostname() and not _process_alive(pid):
        return f"owner pid {pid} on host {host} died"
    if age > ttl:
        return f"owner pid {pid} on host {host} sent no heartbeat for {age.total_seconds():.0f} s"
    return None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:  # a killed child not yet reaped by its parent is a zombie: dead for us
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc (not Linux): the signal check above is the answer
