"""``baton asl``, ``baton graph`` and ``baton --help`` start without PySpark: they read only declarations and settings.

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
