"""Warehouse tables: a load replaces partitions under the table's lock and commits the table whole.

    {warehouse}/{table}/year=2013/month=1/part-00000.snappy.parquet   data, readable by any Parquet reader
    {warehouse}/{table}/_manifest.json     every data file of the committed version, with its size
    {warehouse}/{table}/_SUCCESS           written last: the version is complete
    {warehouse}/{table}/_lock/{token}.json while a load works on the table: its owner (pid, host, heartbeat)

A load takes the lock, deletes ``_SUCCESS`` (the table is being changed), swaps its partitions in,
writes the manifest of the files now there, then ``_SUCCESS``, then releases the lock. So:

- a reader that requires ``_SUCCESS`` (and the files the manifest lists) never sees two versions mixed;
- two loads of one table run one after the other, and the table ends as the last one left it, whole
  (last complete commit wins);
- a load killed midway leaves no ``_SUCCESS``: resuming its execution loads the same partitions again.
  Its lock dies with it: a lock whose owner is dead is ignored and removed by the next load.

The lock is one file per contender: a load writes its own, then lists the others; if another live
owner holds one, it withdraws its own and tries again a moment later. Of two contenders at the same
moment, at least the later one sees the other, so two never hold the lock together (the listing is
strongly consistent, locally and on S3).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from baton import lease, paths
from baton.errors import BatonError, MissingInputError
from baton.storage import Storage, read_json, write_json

LOCK = "_lock"
LOCK_TTL = timedelta(hours=1)  # a lock from another host with an older heartbeat is dead
LOCK_WAIT_SECONDS = 900.0

log = logging.getLogger("baton")


class TableLockedError(BatonError):
    """A warehouse table stayed locked by another live load for longer than a load waits."""


@contextmanager
def table_lock(storage: Storage, table: str, token: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold ``{table}/_lock`` for the ``with`` block (``token``: the holder's own name, unique)."""
    mine = f"{table}/{LOCK}/{token}.json"
    deadline = time.monotonic() + wait
    while True:
        write_json(storage, mine, lease.owner())
        holder = _live_other(storage, table, mine)
        if holder is None:
            break
        storage.delete(mine)
        if time.monotonic() > deadline:
            raise TableLockedError(f"table {table} is locked by pid {holder['pid']} on host {holder['host']} "
                                   f"since {holder['heartbeat']}; waited {wait:.0f} s", path=table)
        time.sleep(random.uniform(0.1, 0.5))
    try:
        yield
    finally:
        storage.delete(mine)


def _live_other(storage: Storage, table: str, mine: str) -> dict[str, Any] | None:
    """The owner of another live lock of ``table``; dead ones are removed on the way."""
    for key in storage.list_keys(f"{table}/{LOCK}"):
        if key == mine:
            continue
        try:
            held = read_json(storage, key)
        except Exception:  # released between the listing and the read: look again in a moment
            return {"pid": "?", "host": "?", "heartbeat": "?"}
        why = lease.death(held, LOCK_TTL)
        if why is None:
            return held
        log.warning("removing the lock %s of a dead load: %s", key, why)
        storage.delete(key)
    return None


def replace_partitions(storage: Storage, staged: str, table: str, partitions: list[str], token: str,
                       after_each: Callable[[], None]) -> dict[str, Any]:
    """Swap ``staged/{partition}`` into ``table/{partition}`` for each partition, then commit the table.

    ``after_each`` runs after each swap (the fault points). Returns the table's new manifest.
    """
    with table_lock(storage, table, token):
        storage.delete(paths.success_key(table))
        for part in partitions:
            previous = f"{staged}.previous/{part}"
            if storage.list_keys(f"{table}/{part}"):
                storage.move_prefix(f"{table}/{part}", previous)
            storage.move_prefix(f"{staged}/{part}", f"{table}/{part}")
            storage.delete_prefix(previous)
            after_each()
        manifest = table_manifest(storage, table)
        write_json(storage, paths.manifest_key(table), manifest)
        write_json(storage, paths.success_key(table), {"files": len(manifest["files"])})
    return manifest


def table_manifest(storage: Storage, table: str) -> dict[str, Any]:
    """The data files of ``table`` (relative keys) and their sizes: the same bytes, the same manifest."""
    files = {}
    for key in storage.list_keys(table):
        relative = key[len(table) + 1:]
        if not any(part.startswith(("_", ".")) for part in relative.split("/")):
            files[relative] = storage.stat(key).size
    return {"files": files}


def committed_files(storage: Storage, table: str) -> list[str]:
    """The keys of the committed version of ``table``; a table without ``_SUCCESS`` is refused.

    Raises ``MissingInputError`` when the table is being changed or a load of it was interrupted, and when
    the files there are not the ones its manifest lists.
    """
    if not storage.exists(paths.success_key(table)):
        raise MissingInputError(f"warehouse table {table} has no _SUCCESS: a load is changing it or was "
                                "interrupted; resume that execution", path=table)
    listed = read_json(storage, paths.manifest_key(table))["files"]
    if table_manifest(storage, table)["files"] != listed:
        raise MissingInputError(f"warehouse table {table} does not hold the files its manifest lists", path=table)
    return [f"{table}/{name}" for name in sorted(listed)]
