"""Two things at once: one execution id started twice, a resume beside a live run, two loads of one table.

The rules (docs/reliability.md): an execution id is taken by an atomic create (locally ``link``, on S3 a
conditional PutObject), so of two starts one is refused; a resume is refused while the execution's owner
lives; two loads of one warehouse table run one after the other under the table's lock, and the table ends
as one complete version (the last complete commit wins). Two executions at once that both succeed are run
end to end in tests/test_kill_anywhere.py.
"""

import json
import os
import socket
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.server import ThreadedMotoServer

import conf
from baton import lease, paths, warehouse
from baton.stage import JobSpec, StageContext
from baton.stage_args import parse_job_args
from baton.storage import LocalStorage, S3Storage, read_json, write_json
from orchestration.executions import EXECUTION, RunRefused
from orchestration.local import LocalRun
from orchestration.pipelines import FLIGHTS

SPEC = JobSpec(name="test_load", body=lambda ctx: None)
CONTENDERS = 8


def race(attempt, contenders=CONTENDERS):
    """``attempt(i)`` from ``contenders`` threads released at the same moment; their results."""
    barrier = threading.Barrier(contenders)

    def go(i):
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(contenders) as pool:
        return list(pool.map(go, range(contenders)))


def test_exclusive_create_lets_exactly_one_of_many_win_locally(tmp_path):
    storage = LocalStorage(tmp_path)
    won = race(lambda i: storage.create_exclusive("executions/x/_execution.json", f"{i}".encode()))
    assert won.count(True) == 1
    assert storage.read_bytes("executions/x/_execution.json") == str(won.index(True)).encode()
    assert sorted(p.name for p in (tmp_path / "executions/x").iterdir()) == ["_execution.json"]  # no temp left


@pytest.fixture(scope="module")
def moto_s3():
    """moto's server on 127.0.0.1: each thread's client sends its own HTTP request, as two machines would."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_storage(endpoint):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return S3Storage("baton-race", "team", client=client)


def test_exclusive_create_lets_exactly_one_of_many_win_on_s3(moto_s3):
    s3_storage(moto_s3).client.create_bucket(Bucket="baton-race")
    won = race(lambda i: s3_storage(moto_s3).create_exclusive("executions/x/_execution.json", f"{i}".encode()))
    assert won.count(True) == 1
    assert s3_storage(moto_s3).read_bytes("executions/x/_execution.json") == str(won.index(True)).encode()


def test_the_same_execution_id_started_twice_at_once_is_refused_for_one(tmp_path, spark):
    runner = LocalRun(FLIGHTS, conf.load(), str(tmp_path / "wf"))
    missing = {"initialData": {"rawPath": str(tmp_path / "no-raw-files")}}  # the winner fails fast at Ingest

    def start(_):
        try:
            return runner.start(missing, "twice").status
        except RunRefused as err:
            return str(err)

    outcomes = race(start, contenders=2)
    refused = [o for o in outcomes if o.startswith("ExecutionAlreadyExists")]
    assert len(refused) == 1, outcomes
    assert runner.describe("twice")["status"] == "FAILED" and len(runner.describe("twice")["runs"]) == 1


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def running_record(bucket, execution_id, pid):
    record = {"executionId": execution_id, "pipeline": "flights", "workflowBucket": str(bucket),
              "startDate": "2026-12-05T00:00:00.000+00:00", "status": "RUNNING", "stopDate": None,
              "runs": [{"input": {"initialData": {}}, "resumeFrom": None, "status": "RUNNING",
                        "startDate": "2026-12-05T00:00:00.000+00:00"}],
              "owner": lease.owner() | {"pid": pid}}
    write_json(LocalStorage(bucket), f"{paths.execution_prefix(execution_id)}/{EXECUTION}", record)


def test_resume_is_refused_while_the_owner_lives_and_a_dead_owner_means_aborted(tmp_path):
    runner = LocalRun(FLIGHTS, conf.load(), str(tmp_path))
    running_record(tmp_path, "alive", os.getpid())
    assert runner.describe("alive")["status"] == "RUNNING"
    with pytest.raises(RunRefused, match="ExecutionNotRedrivable: execution 'alive' is running"):
        runner.resume("alive", "Conform")

    pid = dead_pid()
    running_record(tmp_path, "dead", pid)
    described = runner.describe("dead")
    assert described["status"] == "ABORTED" and described["runs"][-1]["status"] == "ABORTED"
    assert described["cause"].startswith(f"owner pid {pid} on host {socket.gethostname()} died while stage Ingest")
    assert [r["status"] for r in runner.list()] == ["RUNNING", "ABORTED"]


def test_an_owner_elsewhere_is_dead_once_its_heartbeat_is_older_than_the_lease():
    fresh = lease.owner() | {"host": "elsewhere"}
    stale = fresh | {"heartbeat": "2026-01-01T00:00:00.000+00:00"}
    assert lease.death(fresh, warehouse.LOCK_TTL) is None
    assert "sent no heartbeat" in lease.death(stale, warehouse.LOCK_TTL)


def loader(spark, bucket, execution_id):
    argv = ["job.py", "--execution-id", execution_id, "--current-stage", "Load", "--previous-stage", "Aggregate",
            "--workflow-bucket", str(bucket)]
    return StageContext(spark, parse_job_args(argv, SPEC), SPEC.name)


def test_two_loads_of_the_same_partitions_at_once_end_as_one_complete_version(spark, tmp_path):
    schema = "year INT, month INT, v STRING"
    rows = {name: [(2013, m, f"{name}-{m}-{i}") for m in (1, 2, 3) for i in range(3)] for name in ("a", "b")}
    frames = {name: spark.createDataFrame(r, schema) for name, r in rows.items()}
    race(lambda i: loader(spark, tmp_path, f"load-{'ab'[i]}").publish("t", frames["ab"[i]], ("year", "month")),
         contenders=2)

    storage = LocalStorage(tmp_path)
    table = paths.warehouse_table("t", conf.load().warehouse)
    files = warehouse.committed_files(storage, table)
    values = {r.v.split("-")[0] for r in spark.read.parquet(*[str(tmp_path / f) for f in files]).collect()}
    assert len(values) == 1, f"partitions of both loads in one table: {values}"
    assert len(files) == 3 and not storage.list_keys(f"{table}/{warehouse.LOCK}")


def test_a_lock_left_by_a_killed_load_is_removed_by_the_next_load(spark, tmp_path):
    storage = LocalStorage(tmp_path)
    table = paths.warehouse_table("t", conf.load().warehouse)
    write_json(storage, f"{table}/{warehouse.LOCK}/killed.json", lease.owner() | {"pid": dead_pid()})
    frame = spark.createDataFrame([(2013, 1, "x")], "year INT, month INT, v STRING")
    loader(spark, tmp_path, "after-kill").publish("t", frame, ("year", "month"))
    assert not storage.list_keys(f"{table}/{warehouse.LOCK}")
    assert read_json(storage, paths.success_key(table)) == {"files": 1}


def test_a_load_waits_for_a_live_lock_and_gives_up_with_a_clear_error(tmp_path):
    storage = LocalStorage(tmp_path)
    write_json(storage, "warehouse/t/_lock/other.json", lease.owner())
    with (pytest.raises(warehouse.TableLockedError, match=f"locked by pid {os.getpid()}"),
          warehouse.table_lock(storage, "warehouse/t", "mine", wait=0.3)):
        pass
    assert storage.list_keys("warehouse/t/_lock") == ["warehouse/t/_lock/other.json"]
    assert json.loads(storage.read_bytes("warehouse/t/_lock/other.json"))["pid"] == os.getpid()
