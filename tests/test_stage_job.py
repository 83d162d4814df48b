"""``@stage_job``: a job module is its body and the declaration of its arguments."""

from __future__ import annotations

import importlib.util
import json
import textwrap

import pytest

from baton import paths

JOB = '''
from baton.stage import StageContext, stage_job


@stage_job(required_args=("city",), optional_args={"unit": "km"})
def measure(ctx: StageContext) -> None:
    """one row per city"""
    ctx.write("cities", ctx.spark.createDataFrame([(ctx.args["city"], ctx.args["unit"])], "city STRING, unit STRING"))
'''


def _load(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_module_gets_spec_and_main(tmp_path, spark):
    job = _load(tmp_path, "demo_measure", JOB)
    assert (job.SPEC.name, job.SPEC.required_args, job.SPEC.optional_args, job.SPEC.description) == \
        ("demo_measure", ("city",), {"unit": "km"}, "one row per city")
    bucket = tmp_path / "bucket"
    ctx = job.main(["demo_measure.py", "--execution-id", "job-1", "--current-stage", "Measure",
                    "--workflow-bucket", str(bucket), "--city", "Oslo"])
    out = bucket / paths.StagePaths("job-1", "Measure").output("cities")
    assert json.loads((out / paths.MANIFEST).read_text())["job"] == "demo_measure"
    assert [tuple(r) for r in spark.read.parquet(str(out)).collect()] == [("Oslo", "km")]
    assert ctx.committed["output/cities"]["rows"] == 1


def test_a_missing_job_argument_is_named(tmp_path):
    from baton.errors import ArgumentError

    job = _load(tmp_path, "demo_measure", JOB)
    with pytest.raises(ArgumentError, match="city"):
        job.main(["demo_measure.py", "--execution-id", "job-1", "--current-stage", "Measure"])


def test_a_module_that_declares_main_itself_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"defines \['main'\]"):
        _load(tmp_path, "demo_twice", "def main(argv=None):\n    pass\n" + JOB)


def test_source_files_takes_a_file_or_a_folder(tmp_path):
    from baton.ingest import source_files

    (tmp_path / "orders.csv").write_text("id\n1\n")
    (tmp_path / "parts").mkdir()
    for name in ("a.csv", "b.csv", "notes.txt"):
        (tmp_path / "parts" / name).write_text("id\n1\n")
    assert [f.display for f in source_files(str(tmp_path / "orders.csv"), "csv", tmp_path)] == \
        [str(tmp_path / "orders.csv")]
    assert [f.display for f in source_files(f"{tmp_path}/parts/", "csv", tmp_path)] == \
        [str(tmp_path / "parts" / n) for n in ("a.csv", "b.csv")]
    assert source_files(str(tmp_path / "missing.csv"), "csv", tmp_path) == []
