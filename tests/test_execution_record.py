"""`_execution.json` and `baton status`: an execution's start is its first run's, resumes keep their own."""

import json

from orchestration import cli


def test_status_shows_the_execution_start_not_the_last_resume(spark, tmp_path, capsys):
    bucket = ["--workflow-bucket", str(tmp_path)]
    assert cli.main([*bucket, "run", "tpch", "--execution-id", "run-1", "--input", '{"scaleFactor": -1}']) == 1
    # A committed (empty) Ingest output lets a resume at Conform start; Conform then fails on it.
    success = tmp_path / "executions/run-1/Ingest/output/lineitem/_SUCCESS"
    success.parent.mkdir(parents=True)
    success.write_text("{}")
    assert cli.main([*bucket, "resume", "run-1", "--from", "Conform"]) == 1
    record = json.loads((tmp_path / "executions/run-1/_execution.json").read_text())
    first, resume = record["runs"]
    assert resume["resumeFrom"] == "Conform" and first["startDate"] < resume["startDate"]
    assert record["startDate"] == first["startDate"] and record["stopDate"] == resume["stopDate"]
    capsys.readouterr()
    assert cli.main([*bucket, "status", "run-1"]) == 0
    assert f"startDate: {first['startDate']}" in capsys.readouterr().out
