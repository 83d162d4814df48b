"""Jobs as users launch them: spark-submit, the built zip, and a kill in the middle of a write."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from baton import paths
from orchestration.package import build_zip

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {"PATH": f"{BIN}:/usr/bin:/bin", "SPARK_LOCAL_IP": "127.0.0.1", "HOME": os.environ.get("HOME", "/tmp")}

pytestmark = pytest.mark.slow


def contract(bucket: Path, execution: str, source: str) -> list[str]:
    return ["--execution-id", execution, "--current-stage", "Ingest", "--workflow-bucket", str(bucket),
            "--initial-data", "{}", "--source", source]


def test_a_job_runs_under_spark_submit(tmp_path):
    proc = subprocess.run(
        [str(BIN / "spark-submit"), "--master", "local[1]", str(ROOT / "jobs" / "flights_ingest.py"),
         *contract(tmp_path, "submit-1", "airports")],
        capture_output=True, text=True, timeout=600, env=ENV, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / paths.StagePaths("submit-1", "Ingest").output("airports")
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["rows"] == 1458 and manifest["job"] == "flights_ingest"
    assert (out / "_SUCCESS").exists()
    assert "committed output/airports: 1458 rows" in proc.stdout


def test_jobs_import_from_the_built_zip(tmp_path):
    archive = tmp_path / "baton-jobs.zip"
    names = build_zip(archive)
    assert "jobs/flights_validate.py" in names and "quality/suites/flights_validate.json" in names
    assert "quality/reference/airports.csv" in names
    assert build_zip(tmp_path / "again.zip") == names
    assert archive.read_bytes() == (tmp_path / "again.zip").read_bytes()  # reproducible bytes
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import importlib, json;"
        "mods = ['jobs.flights_ingest', 'jobs.flights_conform', 'jobs.flights_validate', 'jobs.flights_correct',"
        " 'jobs.flights_enrich', 'jobs.flights_aggregate', 'jobs.flights_load', 'domains.flights'];"
        "files = [importlib.import_module(m).__file__ for m in mods];"
        "from quality import checkpoint; from jobs.flights_correct import REFERENCE_SCHEMA;"
        "s = checkpoint.load('flights_validate');"
        "print(json.dumps({'files': files, 'suite': s.name}))"
    )
    proc = subprocess.run([sys.executable, "-c", probe, str(archive)], capture_output=True, text=True,
                          timeout=120, env=ENV, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout)
    assert all(f.startswith(str(archive)) for f in loaded["files"]), loaded["files"]
    assert loaded["suite"] == "flights_validate"
    with zipfile.ZipFile(archive) as zf:
        assert not [n for n in zf.namelist() if "__pycache__" in n or n.endswith(".pyc")]


def test_killing_a_job_mid_write_keeps_the_committed_output(tmp_path):
    bucket = tmp_path / "wf"
    job = [sys.executable, str(ROOT / "jobs" / "flights_ingest.py"), *contract(bucket, "kill-1", "weather")]
    first = subprocess.run(job, capture_output=True, text=True, timeout=600, env=ENV, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    out = bucket / paths.StagePaths("kill-1", "Ingest").output("weather")
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    # The second attempt writes its staging output, then pauses before the commit: kill it there.
    env = ENV | {"BATON_FAULTS": "Ingest:pause-before-commit=120"}
    proc = subprocess.Popen(job, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path,
                            start_new_session=True)
    staging = bucket / paths.StagePaths("kill-1", "Ingest").staging_root
    try:
        deadline = time.monotonic() + 300
        while not list(staging.glob("*/output/weather/*.parquet")):
            assert proc.poll() is None, "the job ended before it was killed"
            assert time.monotonic() < deadline, "the job never wrote its staging output"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before
    assert not list(staging.rglob("_SUCCESS")), "a staged output must never carry _SUCCESS"
