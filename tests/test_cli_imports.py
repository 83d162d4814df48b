"""``baton asl``, ``graph``, ``--help``, ``status`` and ``list`` start without PySpark: they read only
declarations, settings and execution records.

Each command runs in a fresh interpreter (this test process has PySpark loaded already), which
reports the modules it loaded once the command has printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pyspark", "py4j", "great_expectations")

PROBE = """
import contextlib, io, json, sys
from orchestration.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(json.loads(sys.argv[1]))
    except SystemExit as exit:
        code = exit.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("argv", [
    ["asl", "flights"],
    ["graph", "flights", "--format", "mermaid"],
    ["graph", "flights", "--format", "dot"],
    ["--help"],
])
def test_the_command_loads_no_pyspark(argv):
    ran = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    report = json.loads(ran.stdout)
    assert report["code"] == 0
    assert report["out"]  # the command did its work before the modules were listed
    assert [m for m in report["modules"] if m.split(".")[0] in HEAVY] == []


@pytest.mark.parametrize("command", [["list"], ["status", "by-hand-1"]])
def test_reading_executions_loads_no_pyspark(tmp_path, command):
    """The record-reading commands on a workflow bucket with one execution record, written by hand."""
    record = {"executionId": "by-hand-1", "pipeline": "flights", "workflowBucket": str(tmp_path),
              "startDate": "2026-01-01T00:00:00.000+00:00", "stopDate": "2026-01-01T00:01:00.000+00:00",
              "runs": [{"status": "SUCCEEDED"}], "status": "SUCCEEDED"}
    (tmp_path / "executions" / "by-hand-1").mkdir(parents=True)
    (tmp_path / "executions" / "by-hand-1" / "_execution.json").write_text(json.dumps(record))
    argv = ["--env", "local", "--workflow-bucket", str(tmp_path), *command]
    ran = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    report = json.loads(ran.stdout)
    assert report["code"] == 0
    assert "by-hand-1" in report["out"] and "SUCCEEDED" in report["out"]
    assert [m for m in report["modules"] if m.split(".")[0] in HEAVY] == []
