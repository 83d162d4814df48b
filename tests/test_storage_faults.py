"""Storage faults on S3: moto's server on 127.0.0.1 behind a fault-injecting proxy (tests/s3_faults.py).

Each storage operation a stage makes on its workflow bucket (reading a previous stage's committed
dataset, staging writes, the commit's copies from staging into place, ``_manifest.json`` and
``_SUCCESS``, listing) meets each fault kind. A transient fault (503 SlowDown, 500 InternalError, a
connection reset half-way through the response) is retried by botocore, as configured by the ``s3``
setting, and the operation succeeds: the proxy's log shows the failed requests, then the one that
went through. A permanent fault (403 AccessDenied, a 500 that outlasts every attempt, a missing
bucket) raises a ``StorageError`` that names the operation, the s3:// key, the stage and the S3 error
code; what was committed before is unchanged and a reader refuses the dataset left half-written.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from s3_faults import FaultProxy

import conf
from baton import paths, s3
from baton.errors import MissingInputError, SettingError
from baton.stage import JobSpec, StageContext, main_entry
from baton.storage import S3Storage, read_json, write_json
from conf.settings import S3Settings

BUCKET, PREFIX = "baton-faults", "team"
EXECUTION, PREVIOUS, CURRENT, DATASET = "exec-1", "Ingest", "Conform", "flights"
SETTINGS = S3Settings(retry_mode="standard", max_attempts=4)  # few attempts: a fault that outlasts them costs < 1 s
TRANSIENT = ("throttle", "internal", "reset")
FAILURES_BEFORE_SUCCESS = 2

INPUT = paths.StagePaths(EXECUTION, PREVIOUS).output(DATASET)
FINAL = paths.StagePaths(EXECUTION, CURRENT).output(DATASET)
STAGED = paths.StagePaths(EXECUTION, CURRENT).staging("tok-1", "output", DATASET)
PARTS = {"part-00000.parquet": b"P" * 700, "part-00001.parquet": b"Q" * 900}
# what StageContext._commit writes: the manifest and _SUCCESS name the commit's token, the manifest its files
INPUT_MANIFEST = {"rows": 10, "dataset": DATASET, "stage": PREVIOUS, "token": "tok-0", "files": sorted(PARTS)}
MANIFEST = {"rows": 12, "dataset": DATASET, "stage": CURRENT, "token": "tok-1", "files": sorted(PARTS)}
INPUT_SUCCESS = {"token": "tok-0", "rows": 10}
SUCCESS = {"token": "tok-1", "rows": 12}


@pytest.fixture(scope="module")
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def proxy(moto_server):
    with FaultProxy(moto_server) as started:
        yield started


@pytest.fixture
def direct(moto_server, proxy, monkeypatch):
    """A client straight to moto (no faults), after the bucket is laid out: a committed input, a staged output."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", "us-east-1"),
                        ("AWS_ENDPOINT_URL_S3", proxy.endpoint)):
        monkeypatch.setenv(name, value)
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    proxy.clear()
    client = boto3.client("s3", endpoint_url=moto_server)
    client.create_bucket(Bucket=BUCKET)
    for name, data in PARTS.items():
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{INPUT}/{name}", Body=data)
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{STAGED}/{name}", Body=data)
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{paths.manifest_key(INPUT)}", Body=json.dumps(INPUT_MANIFEST))
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{paths.success_key(INPUT)}",
                      Body=json.dumps(INPUT_SUCCESS))
    return client


@pytest.fixture
def storage(direct):
    """The workflow bucket as the stage Conform sees it, through the proxy, with the test settings."""
    return S3Storage(BUCKET, PREFIX, client=s3.client(SETTINGS), stage=CURRENT)


def snapshot(client, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix`` with its bytes, read from moto directly."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{PREFIX}/{prefix}")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return {k: client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def reader(storage: S3Storage) -> StageContext:
    """The next stage's runtime (no Spark needed to decide whether a dataset is committed)."""
    args = {"execution-id": EXECUTION, "current-stage": "Validate", "workflow-bucket": f"s3://{BUCKET}/{PREFIX}",
            "warehouse": f"s3://{BUCKET}/warehouse"}
    return StageContext(None, args, "reader", storage=storage)


def commit(storage: S3Storage) -> None:
    """The storage calls of StageContext._commit for a first output, in its order: data, manifest, _SUCCESS."""
    storage.move_prefix(STAGED, FINAL)
    write_json(storage, paths.manifest_key(FINAL), MANIFEST)
    write_json(storage, paths.success_key(FINAL), SUCCESS)


def complete_output() -> dict[str, bytes]:
    """The objects of the current stage's output once committed, as ``snapshot`` shows them."""
    written = {paths.manifest_key(FINAL): MANIFEST, paths.success_key(FINAL): SUCCESS}
    return ({f"{PREFIX}/{FINAL}/{name}": data for name, data in PARTS.items()}
            | {f"{PREFIX}/{key}": (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()
               for key, value in written.items()})


def read_input(storage: S3Storage) -> None:
    assert reader(storage).committed_manifest(DATASET, PREVIOUS) == INPUT_MANIFEST


def stage_copy(storage: S3Storage) -> None:  # StageContext._copy_data_files: a committed file staged unchanged
    storage.copy(f"{INPUT}/part-00001.parquet", f"{STAGED}/copied.parquet")
    assert storage.read_bytes(f"{STAGED}/copied.parquet") == PARTS["part-00001.parquet"]


def stage_put(storage: S3Storage) -> None:
    storage.write_bytes(f"{STAGED}/part-00002.parquet", b"R" * 500)
    assert storage.stat(f"{STAGED}/part-00002.parquet").size == 500


def list_staged(storage: S3Storage) -> None:
    assert storage.list_keys(STAGED) == [f"{STAGED}/{name}" for name in PARTS]


def commit_and_read(storage: S3Storage) -> None:
    commit(storage)
    assert reader(storage).committed_manifest(DATASET, CURRENT) == MANIFEST


# name: (the action, the S3 operation and key pattern the proxy fails, whether it writes the current stage's output)
OPERATIONS = {
    "read input _SUCCESS": (read_input, "HeadObject", rf"{PREVIOUS}/output/{DATASET}/_SUCCESS$", False),
    "read input manifest": (read_input, "GetObject", rf"{PREVIOUS}/output/{DATASET}/_manifest\.json$", False),
    "staging write": (stage_put, "PutObject", r"_staging/.*/part-00002\.parquet$", False),
    "staging copy": (stage_copy, "CopyObject", r"_staging/.*/copied\.parquet$", False),
    "listing": (list_staged, "ListObjectsV2", r"_staging/", False),
    "commit copy": (commit_and_read, "CopyObject", rf"{CURRENT}/output/{DATASET}/part-00001\.parquet$", True),
    "commit listing": (commit_and_read, "ListObjectsV2", r"_staging/", True),
    "manifest write": (commit_and_read, "PutObject", rf"{CURRENT}/output/{DATASET}/_manifest\.json$", True),
    "_SUCCESS write": (commit_and_read, "PutObject", rf"{CURRENT}/output/{DATASET}/_SUCCESS$", True),
}


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("name", OPERATIONS)
def test_a_transient_fault_is_retried_by_botocore_and_the_operation_succeeds(storage, direct, proxy, name, fault):
    action, operation, key, _ = OPERATIONS[name]
    rule = proxy.fail(operation, key, fault, times=FAILURES_BEFORE_SUCCESS)
    action(storage)
    assert rule.failed == FAILURES_BEFORE_SUCCESS
    seen = [r.fault for r in proxy.requests(operation, key)]
    # the faulted requests, then the one botocore (or s3transfer, for a body cut mid-stream) sent again
    assert seen[:FAILURES_BEFORE_SUCCESS + 1] == [fault] * FAILURES_BEFORE_SUCCESS + [None]


ATTEMPTS = SETTINGS.max_attempts
# fault: (the table's heading, the attempts made, the code the StorageError names)
PERMANENT = {"denied": ("403 AccessDenied (not retried)", 1, "AccessDenied"),
             "internal": (f"500 InternalError on all {ATTEMPTS} attempts", ATTEMPTS, "InternalError"),
             "reset": (f"connection reset on all {ATTEMPTS} attempts", ATTEMPTS, "ConnectionClosedError")}
# where the code differs: a HEAD answer has no body (its code is the HTTP status); botocore takes a 200 whose XML
# is cut for one of S3's errors in a 200 answer (a 500); an object's body cut on every read is s3transfer's last error
CODES = {("HeadObject", "denied"): "403", ("HeadObject", "internal"): "500",
         ("CopyObject", "reset"): "500", ("ListObjectsV2", "reset"): "500",
         ("GetObject", "reset"): "IncompleteReadError"}


def lost_answer_of_success(name: str, fault: str) -> bool:
    """Whether the fault lets the _SUCCESS write reach S3 and loses only its answer: the output is then complete."""
    return name == "_SUCCESS write" and fault == "reset"


@pytest.mark.parametrize("fault", PERMANENT)
@pytest.mark.parametrize("name", OPERATIONS)
def test_a_permanent_fault_fails_with_a_clear_error_and_leaves_nothing_a_reader_accepts(storage, direct, proxy,
                                                                                         name, fault):
    action, operation, key, writes_output = OPERATIONS[name]
    committed = snapshot(direct, INPUT)
    proxy.fail(operation, key, fault, times=100)
    with pytest.raises(s3.StorageError) as raised:
        action(storage)
    _, attempts, code = PERMANENT[fault]
    error = raised.value
    assert (error.operation, error.code, error.stage) == (operation, CODES.get((operation, fault), code), CURRENT)
    assert error.uri.startswith(f"s3://{BUCKET}/{PREFIX}/") and error.uri == error.path
    assert str(error).startswith(f"stage {CURRENT}, file {error.uri}: S3 {operation} failed ")
    assert len(proxy.requests(operation, key)) == attempts  # botocore's attempts, as configured; no other loop
    assert snapshot(direct, INPUT) == committed
    proxy.clear()
    if writes_output:
        try:
            reader(storage).require_committed(FINAL, CURRENT)
            accepted = True
        except MissingInputError:
            accepted = False
        assert accepted == lost_answer_of_success(name, fault)
        assert not accepted or snapshot(direct, FINAL) == complete_output()
    read_input(storage)  # the committed input is still accepted


def test_a_commit_cut_between_the_copies_and_success_is_refused_then_completed_by_a_retry(storage, direct, proxy):
    proxy.fail("PutObject", r"_SUCCESS$", "internal", times=100)
    with pytest.raises(s3.StorageError, match="_SUCCESS: S3 PutObject failed after 4 attempts with InternalError"):
        commit(storage)
    assert direct.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{paths.manifest_key(FINAL)}")  # data and manifest are in
    with pytest.raises(MissingInputError, match="is partial"):
        reader(storage).require_committed(FINAL, CURRENT)
    proxy.clear()
    write_json(storage, paths.success_key(FINAL), SUCCESS)  # what a retry of the commit ends with
    reader(storage).require_committed(FINAL, CURRENT)
    assert read_json(storage, paths.manifest_key(FINAL)) == MANIFEST


def test_a_missing_bucket_is_a_storage_error_naming_the_bucket(direct):
    missing = S3Storage("no-such-bucket", PREFIX, client=s3.client(SETTINGS), stage=CURRENT)
    with pytest.raises(s3.StorageError, match=r"file s3://no-such-bucket/team/a\.json: S3 PutObject failed "
                                              r"with NoSuchBucket") as raised:
        write_json(missing, "a.json", {})
    assert raised.value.code == "NoSuchBucket"
    with pytest.raises(s3.StorageError, match="S3 ListObjectsV2 failed with NoSuchBucket"):
        reader(missing).require_committed(INPUT, PREVIOUS)


def test_the_client_takes_its_retries_from_the_settings():
    assert s3.client().meta.config.retries == {"mode": "standard", "total_max_attempts": 8}  # conf/local.json
    adaptive = s3.client(S3Settings(retry_mode="adaptive", max_attempts=3)).meta.config.retries
    assert adaptive == {"mode": "adaptive", "total_max_attempts": 3}


@pytest.mark.parametrize("s3_setting, message", [
    ({"retryMode": "legacy", "maxAttempts": 3}, r"setting s3\.retryMode in .*: must be one of \['standard', \S+\]"),
    ({"retryMode": "standard", "maxAttempts": 0}, r"setting s3\.maxAttempts in .*: must be at least 1"),
    ({"retryMode": "standard"}, r"setting s3\.maxAttempts in .*: missing"),
])
def test_a_retry_setting_botocore_would_not_take_is_refused(tmp_path, s3_setting, message):
    raw = json.loads(resources.files("conf").joinpath("local.json").read_text(encoding="utf-8"))
    (tmp_path / "local.json").write_text(json.dumps(raw | {"s3": s3_setting}))
    with pytest.raises(SettingError, match=message):
        conf.load("local", tmp_path)


# --- a stage job through the stage runtime (run_stage), its workflow bucket on S3 ---------------------------------
# Spark has no S3 file system in this project's environment (no hadoop-aws), so the job's body is one whose work
# is all in the workflow bucket's small objects: it reads the previous stage's committed manifest and writes its
# verdict. The runtime around it is the real one: its S3 client comes from the settings (conf/local.json).

def verdict_body(ctx: StageContext) -> None:
    rows = ctx.committed_manifest(DATASET)["rows"]
    ctx.write_object(ctx.paths.verdict, {"passed": True, "rows": rows})


VERDICT_JOB = JobSpec(name="verdict", body=verdict_body)
VERDICT = paths.StagePaths(EXECUTION, "Validate").verdict


def run_verdict_job(monkeypatch) -> None:
    monkeypatch.setattr("sys.argv", ["verdict.py", "--execution-id", EXECUTION, "--current-stage", "Validate",
                                     "--previous-stage", PREVIOUS, "--workflow-bucket", f"s3://{BUCKET}/{PREFIX}",
                                     "--warehouse", f"s3://{BUCKET}/warehouse"])
    main_entry(VERDICT_JOB)


def test_a_stage_job_on_s3_rides_out_faults_and_writes_the_same_bytes(spark, direct, proxy, monkeypatch):
    run_verdict_job(monkeypatch)
    clean = snapshot(direct, VERDICT)
    direct.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{VERDICT}")
    rules = [proxy.fail("HeadObject", r"Ingest/output/flights/_SUCCESS$", "internal", times=2),
             proxy.fail("GetObject", r"Ingest/output/flights/_manifest\.json$", "reset", times=2),
             proxy.fail("PutObject", r"quality/verdict\.json$", "throttle", times=2)]
    run_verdict_job(monkeypatch)
    assert [rule.failed for rule in rules] == [2, 2, 2]
    assert snapshot(direct, VERDICT) == clean and json.loads(next(iter(clean.values()))) == {"passed": True,
                                                                                            "rows": 10}


def test_a_stage_job_failing_for_good_on_s3_says_what_failed_where_and_exits_non_zero(spark, direct, proxy,
                                                                                     monkeypatch, capsys):
    proxy.fail("GetObject", r"Ingest/output/flights/_manifest\.json$", "denied", times=100)
    with pytest.raises(SystemExit) as exited:
        run_verdict_job(monkeypatch)
    assert exited.value.code == s3.StorageError.exit_code
    manifest = f"s3://{BUCKET}/{PREFIX}/{paths.manifest_key(INPUT)}"
    assert capsys.readouterr().err == (f"baton: verdict failed: stage Validate, file {manifest}: "
                                       "S3 GetObject failed with AccessDenied: Access Denied\n")
    assert snapshot(direct, VERDICT) == {}


# --- docs/reliability.md: the table of the faults above ------------------------------------------------------------
HEADINGS = {"throttle": "503 SlowDown", "internal": "500 InternalError", "reset": "connection reset mid-response"}


def fault_table() -> str:
    """The "Storage faults" table of docs/reliability.md, computed from this module's parametrization."""
    transient = [f"{HEADINGS[f]} x{FAILURES_BEFORE_SUCCESS}" for f in TRANSIENT]
    permanent = [heading for heading, _, _ in PERMANENT.values()]
    lines = ["| operation | S3 request faulted | " + " | ".join(transient + permanent) + " |",
             "|---|---|" + "---|" * (len(transient) + len(permanent))]
    for name, (_, operation, _, writes_output) in OPERATIONS.items():
        failed = ["StorageError" + ("" if not writes_output else ", output complete" if lost_answer_of_success(name, f)
                                   else ", output refused") for f in PERMANENT]
        lines.append(f"| {name} | {operation} | " + " | ".join(["recovered"] * len(transient) + failed) + " |")
    injected = len(OPERATIONS) * len(TRANSIENT)
    lines += ["", f"Transient: {injected} operations faulted, {injected * FAILURES_BEFORE_SUCCESS} failed requests "
              f"retried by botocore (s3transfer for a body cut mid-read), {injected} recovered. "
              f"Permanent: {len(OPERATIONS) * len(PERMANENT)} operations failed with a StorageError; "
              "0 datasets a reader accepted incomplete; committed inputs unchanged in every case."]
    return "\n".join(lines)


def test_the_reliability_page_shows_the_faults_these_tests_inject():
    page = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert fault_table() in page
