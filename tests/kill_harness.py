"""Run `baton` as a process that gets killed, and check what a kill may leave in a workflow bucket.

    proc = start(bucket, "run", "flights", "--execution-id", "k", faults="Load:kill@partition-replaced")
    wait_killed(proc)                       # the process killed itself at the named point (SIGKILL)
    status(bucket, "k")                     # `baton status k --json`
    assert_nothing_partial(bucket, "k")     # every reader-visible dataset and table is whole
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from baton import paths, warehouse
from baton.storage import LocalStorage, read_json
from orchestration import cli

BIN = Path(sys.executable).parent
ENV = {"PATH": f"{BIN}:/usr/bin:/bin", "SPARK_LOCAL_IP": "127.0.0.1", "HOME": os.environ.get("HOME", "/tmp"),
       "BATON_JVM_FLAGS": os.environ.get("BATON_JVM_FLAGS", "")}
KILLED = -signal.SIGKILL


def start(bucket: Path, *args: str, faults: str = "") -> subprocess.Popen:
    """``baton --workflow-bucket BUCKET ARGS`` as a process group of its own (its JVM included)."""
    log = (bucket.parent / f"baton-{os.urandom(4).hex()}.log").open("w")
    return subprocess.Popen([str(BIN / "baton"), "--workflow-bucket", str(bucket), *args],
                            env=ENV | ({"BATON_FAULTS": faults} if faults else {}), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def kill(proc: subprocess.Popen) -> int:
    """SIGKILL the whole process group (the CLI and its Spark JVM) and reap it; the CLI's exit status."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=120)


def wait_killed(proc: subprocess.Popen, timeout: float = 900) -> None:
    """Wait for a process that must kill itself at a fault point; fail with its log when it ended otherwise."""
    code = proc.wait(timeout=timeout)
    kill(proc)
    assert code == KILLED, f"exit status {code}, not killed:\n{Path(proc.args[0]).name} log: {log_of(proc)}"


def log_of(proc: subprocess.Popen) -> str:
    stdout = proc.stdout
    return Path(stdout.name).read_text()[-3000:] if stdout is not None else ""


def baton(bucket: Path, *args: str) -> tuple[int, str, str]:
    """``baton`` in this process (its SparkSession): the exit code, and what it printed to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--workflow-bucket", str(bucket), *args])
    return code, out.getvalue(), err.getvalue()


def status(bucket: Path, execution_id: str) -> dict:
    code, out, err = baton(bucket, "status", execution_id, "--json")
    assert code == 0, err
    return json.loads(out)


def warehouse_files(bucket: Path) -> dict[str, bytes]:
    """Every file of the warehouse (manifests and _SUCCESS included), by path: compared byte for byte."""
    root = bucket / "warehouse"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def assert_nothing_partial(bucket: Path, execution_id: str) -> dict[str, int]:
    """What a reader can see is whole, and the execution's record and history are valid JSON.

    A dataset with ``_SUCCESS`` has its manifest, and its files add up to the bytes the manifest
    counted; a warehouse table with ``_SUCCESS`` holds exactly the files its manifest lists. Returns how
    many datasets and tables were committed and how many were left uncommitted (refused by readers).
    """
    storage = LocalStorage(bucket)
    base = paths.execution_prefix(execution_id)
    json.loads((bucket / base / "_execution.json").read_text())
    history = (bucket / base / "_history.jsonl").read_text() if (bucket / base / "_history.jsonl").exists() else ""
    for line in history.split("\n")[:-1]:  # whole lines; what follows the last newline is torn by a kill
        json.loads(line)
    seen = {"committed": 0, "refused": 0}
    datasets = sorted(p for kind in ("output", "quarantine") for p in (bucket / base).glob(f"*/{kind}/*"))
    for dataset in datasets:
        if not (dataset / paths.SUCCESS).exists():
            seen["refused"] += 1
            continue
        manifest = json.loads((dataset / paths.MANIFEST).read_text())
        if "bytes" in manifest:  # a load's record carries no data
            files = [p for p in dataset.rglob("*") if p.is_file() and p.name not in (paths.MANIFEST, paths.SUCCESS)]
            assert sum(p.stat().st_size for p in files) == manifest["bytes"], f"{dataset} is partial"
        seen["committed"] += 1
    for table in sorted((bucket / "warehouse").iterdir()) if (bucket / "warehouse").exists() else []:
        key = f"warehouse/{table.name}"
        if storage.exists(paths.success_key(key)):
            warehouse.committed_files(storage, key)  # raises on a table that does not match its manifest
            seen["committed"] += 1
        else:
            seen["refused"] += 1
    return seen


def record(bucket: Path, execution_id: str) -> dict:
    return read_json(LocalStorage(bucket), f"{paths.execution_prefix(execution_id)}/_execution.json")
