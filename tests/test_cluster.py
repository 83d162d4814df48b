"""The TPC-H pipeline on a Spark standalone cluster on 127.0.0.1, losing a worker mid-stage.

One master and two workers start from the pyspark package; `baton run tpch --master spark://…`
runs in a subprocess (its driver cannot share this test session's JVM); when the Denormalize
stage starts, one worker is killed by its PID. The run must still succeed, with warehouse
tables equal to a local run's. Everything started here is stopped by PID, also on failure.
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from spark_cluster import Cluster

from domains.tpch import generated_dir
from orchestration import cli

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
INPUT = json.dumps({"initialData": {"scaleFactor": 0.1}})
KILL_AT = "> Denormalize"


def tables(bucket: Path) -> dict[str, list]:
    """Every warehouse table's rows, sorted, partition columns included."""
    found = {}
    for table in sorted(p for p in (bucket / "warehouse").iterdir() if p.is_dir()):
        rows = ds.dataset(table, format="parquet", partitioning="hive").to_table().to_pylist()
        found[table.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return found


@pytest.fixture
def cluster(tmp_path):
    workdir = tmp_path / "cluster"
    workdir.mkdir()
    started = Cluster(workdir)
    try:
        yield started.start(workers=2)
    finally:
        started.stop()


def test_a_run_survives_a_killed_worker_with_the_local_output(cluster, tmp_path, spark):
    local = tmp_path / "local"
    assert cli.main(["--workflow-bucket", str(local), "run", "tpch", "--execution-id", "sf01", "--input", INPUT]) == 0

    remote = tmp_path / "remote"
    remote.mkdir()
    # The same generated raw files: reuse them instead of generating them again.
    run_input = json.dumps({"initialData": {"scaleFactor": 0.1, "rawPath": str(generated_dir(local, 0.1))}})
    proc = subprocess.Popen(
        [str(BIN / "baton"), "--workflow-bucket", str(remote), "run", "tpch", "--execution-id", "sf01", "--json",
         "--master", cluster.url, "--input", run_input],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": f"{BIN}:/usr/bin:/bin",
                                                                       "SPARK_LOCAL_IP": "127.0.0.1"})
    killed: list[int] = []
    stderr: list[str] = []

    def watch() -> None:
        for line in proc.stderr:
            stderr.append(line)
            if KILL_AT in line and not killed:
                time.sleep(2)  # let the stage's tasks reach the executors first
                killed.append(cluster.kill("worker2"))

    watcher = threading.Thread(target=watch, daemon=True)  # the only reader of stderr
    watcher.start()
    try:
        out = proc.stdout.read()
        proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.kill()
    watcher.join(timeout=30)
    assert killed, "the worker was never killed: " + "".join(stderr[-40:])
    result = json.loads(out)
    assert proc.returncode == 0 and result["status"] == "SUCCEEDED", "".join(stderr[-60:])
    deadline = time.monotonic() + 120  # the master notices a lost worker when its connection drops
    while cluster.alive_workers() != 1 and time.monotonic() < deadline:
        time.sleep(2)
    assert cluster.alive_workers() == 1
    assert tables(remote) == tables(local)
