"""`baton run flights` killed anywhere, then resumed: the warehouse ends byte for byte as a clean run left it.

The reference is two executions of flights started at the same moment on one bucket: both succeed, each
keeps to its own prefix, and their loads of the same partitions leave one complete version. Then one
execution is killed (SIGKILL, by a ``BATON_FAULTS`` kill action) at each named point in turn: after each
kill ``baton status`` says ABORTED in the stage that was running, nothing a reader would accept is partial,
and ``baton resume --from`` that stage is the next process, itself killed at the next point. The last
resume completes. Another run is killed from outside at a seeded random moment (``BATON_KILL_SEED``).
"""

import contextlib
import json
import os
import random
import re
import subprocess
from pathlib import Path

import pytest
from kill_harness import (
    assert_nothing_partial,
    baton,
    kill,
    log_of,
    record,
    start,
    status,
    wait_killed,
    warehouse_files,
)
from test_local_run import flights_sample

pytestmark = pytest.mark.slow
SAMPLE_FLIGHTS = 1_000  # enough to reach every point: quarantined rows, corrections, two warehouse tables

KILL_POINTS = (  # what the process was doing, its BATON_FAULTS, the stage that was running
    ("mid-ingest: a dataset's files staged", "Ingest:kill@output-staged", "Ingest"),
    ("between a dataset's files and its _manifest.json", "Ingest:kill@output-moved=2", "Ingest"),
    ("between _manifest.json and _SUCCESS", "Ingest:kill@output-manifest=3", "Ingest"),
    ("during the gate's quarantine write", "Validate:kill@quarantine-moved", "Validate"),
    ("during the correction", "Correct:kill@output-manifest", "Correct"),
    ("mid-load, partitions being replaced", "Load:kill@partition-replaced", "Load"),
    ("while the executor appends to the history", "Executor:kill@history=4", "Load"),
    ("while the executor writes the execution record", "Executor:kill@record=2", "Load"),
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return flights_sample(tmp_path_factory.mktemp("raw"), SAMPLE_FLIGHTS)


def run_args(raw, execution_id):
    return ("run", "flights", "--execution-id", execution_id, "--input",
            json.dumps({"initialData": {"rawPath": str(raw)}}))


@pytest.fixture(scope="module")
def pair(tmp_path_factory, raw):
    """Two executions started at once on one bucket: their exit codes and logs, and the warehouse they left."""
    bucket = tmp_path_factory.mktemp("kill") / "wf"
    procs = {name: start(bucket, *run_args(raw, name)) for name in ("pair-1", "pair-2")}
    codes = {name: proc.wait(timeout=1800) for name, proc in procs.items()}
    return bucket, codes, {name: log_of(proc) for name, proc in procs.items()}, warehouse_files(bucket)


def execution_tree(bucket, execution_id):
    root = bucket / "executions" / execution_id
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_executions_at_once_both_succeed_and_stay_isolated(pair, spark):
    bucket, codes, logs, clean = pair
    assert codes == {"pair-1": 0, "pair-2": 0}, logs
    counts = {}
    for name in codes:
        assert status(bucket, name)["status"] == "SUCCEEDED"
        assert assert_nothing_partial(bucket, name)["refused"] == 0
        manifests = [json.loads(p.read_text()) for p in (bucket / "executions" / name).rglob("_manifest.json")]
        assert {m["executionId"] for m in manifests} == {name}  # each wrote under its own prefix only
        counts[name] = sorted((m["stage"], m.get("kind"), m.get("dataset") or m["table"], m["rows"])
                              for m in manifests)
    assert counts["pair-1"] == counts["pair-2"]  # rows lost 0, duplicated 0: the same rows everywhere
    tables = sorted({key.split("/")[0] for key in clean})
    assert tables == ["on_time_by_carrier", "on_time_by_route"]
    assert all(f"{t}/_SUCCESS" in clean and f"{t}/_manifest.json" in clean for t in tables)


def test_killed_at_every_named_point_then_resumed_ends_as_a_clean_run(pair, raw, spark):
    bucket, _, _, clean = pair
    others = {name: execution_tree(bucket, name) for name in ("pair-1", "pair-2")}
    resume_from = None
    for name, faults, stage in KILL_POINTS:
        args = run_args(raw, "killed") if resume_from is None else ("resume", "killed", "--from", resume_from)
        wait_killed(start(bucket, *args, faults=faults))
        described = status(bucket, "killed")
        assert (described["status"], described["failedState"]) == ("ABORTED", stage), (name, described)
        assert "died" in described["cause"] and described["error"] == "OwnerDied"
        assert_nothing_partial(bucket, "killed")
        resume_from = described["failedState"]
    code, out, err = baton(bucket, "resume", "killed", "--from", resume_from, "--json")
    assert code == 0 and json.loads(out)["status"] == "SUCCEEDED", err[-3000:]
    assert warehouse_files(bucket) == clean
    assert {name: execution_tree(bucket, name) for name in others} == others
    runs = record(bucket, "killed")["runs"]
    assert [r["status"] for r in runs] == ["ABORTED"] * len(KILL_POINTS) + ["SUCCEEDED"]
    history = (bucket / "executions/killed/_history.jsonl").read_text()
    assert history.endswith("\n") and all(json.loads(line) for line in history.splitlines())  # the torn line repaired


def test_killed_from_outside_at_a_seeded_random_moment_then_resumed_ends_as_a_clean_run(pair, raw, spark):
    bucket, _, _, clean = pair
    seed = int(os.environ.get("BATON_KILL_SEED", "18"))
    moment = random.Random(seed).uniform(5.0, 80.0)
    execution_id = f"random-{seed}"
    proc = start(bucket, *run_args(raw, execution_id))
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=moment)
    kill(proc)
    if not (bucket / "executions" / execution_id / "_execution.json").exists():  # killed before it began
        code, _, err = baton(bucket, *run_args(raw, execution_id))
    else:
        described = status(bucket, execution_id)
        assert described["status"] in ("ABORTED", "SUCCEEDED"), described
        assert_nothing_partial(bucket, execution_id)
        code, _, err = (0, "", "") if described["status"] == "SUCCEEDED" else \
            baton(bucket, "resume", execution_id, "--from", described["failedState"])
    assert code == 0, f"killed after {moment:.1f} s (seed {seed}): {err[-3000:]}"
    assert warehouse_files(bucket) == clean, f"killed after {moment:.1f} s (seed {seed})"


def test_the_figures_here_are_the_tests_own():
    """docs/reliability.md lists exactly the kill points this module runs, and counts them."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    figures = page[page.index("## Figures"):page.index("## Limits")]  # other sections have numbered tables too
    listed = re.findall(r"^\| (\d+) \| (.+?) \| `(.+?)` \|$", figures, re.MULTILINE)
    assert listed == [(str(i), name, faults) for i, (name, faults, _) in enumerate(KILL_POINTS, 1)]
    assert f"| named kill points survived (then resumed to the clean warehouse, byte for byte) | {len(listed)} |" \
        in page
