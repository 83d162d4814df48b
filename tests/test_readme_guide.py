"""README's worked "Add a pipeline" example, run as written: its `sh guide` commands and its `file=` blocks.

The guide's blocks run in order in a copy of the project (``test_scaffold``'s), on the tiny league of
tests/data/guide/: a real `NA` region, a player whose team does not exist, a match listed twice.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_scaffold import ROOT, _copy_project, _run

from baton import paths

SECTION = "### Worked example"
BLOCK = re.compile(r"^```(\w+) (guide|file=(\S+))\n(.*?)^```$", re.DOTALL | re.MULTILINE)
CONSOLE = re.compile(r"^  ```\n(  quality .*?)^  ```$", re.DOTALL | re.MULTILINE)


def _section(readme: str) -> str:
    start = readme.index(SECTION)
    return readme[start:readme.index("\n### ", start + len(SECTION))]


def guide_blocks(readme: str) -> list[tuple[str, str | None, str]]:
    """The worked example's blocks in order: ``(language, file or None for commands, text)``."""
    return [(m[1], m[3], m[4]) for m in BLOCK.finditer(_section(readme))]


def console_lines(readme: str) -> list[str]:
    """The run summary's quality lines the guide shows (a line cut with `...` up to the cut)."""
    (shown,) = CONSOLE.findall(_section(readme))
    return [line.strip().split(" ...")[0] for line in shown.splitlines()]


def test_the_guide_has_its_commands_and_files():
    readme = (ROOT / "README.md").read_text()
    blocks = guide_blocks(readme)
    commands = [text for language, file, text in blocks if file is None]
    assert [language for language, file, _ in blocks if file is None] == ["sh", "sh"]
    assert "baton new pipeline league" in commands[0] and "baton run league" in commands[-1]
    files = [file for _, file, _ in blocks if file]
    assert "jobs/league_correct.py" in files and "orchestration/declarations/league.py" in files
    for language, file, text in blocks:
        if language == "json":
            assert json.loads(text)["name"] == Path(file).stem
    assert len(console_lines(readme)) == 6


@pytest.mark.slow
def test_the_worked_example_runs_as_written(tmp_path, spark):
    readme = (ROOT / "README.md").read_text()
    project = _copy_project(tmp_path)
    shutil.copytree(ROOT / "tests" / "data" / "guide", project / "tests" / "data" / "guide")
    for _, file, text in guide_blocks(readme):
        if file:
            (project / file).write_text(text)
            continue
        ran = _run(project, "bash", "-euo", "pipefail", "-c", text.replace(".venv/bin/", ""))
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        assert "SUCCEEDED" in ran.stdout, ran.stdout[-3000:]
    assert all(line in ran.stdout for line in console_lines(readme)), ran.stdout  # the orphan, the drop

    bucket = project / "workflow"
    ingested = paths.StagePaths("league-2", "Ingest").output("teams")
    teams = spark.read.parquet(str(bucket / ingested))
    assert sorted(r.region or "<null>" for r in teams.collect()) == ["<null>", "EU", "EU", "NA", "NA", "OC", "OC"]
    read = json.loads((bucket / paths.manifest_key(ingested)).read_text())["read"]
    assert (read["nullValue"], read["nullsRead"]["region"]) == ("", 1)  # the empty field, counted; NA is text

    validate = json.loads((bucket / paths.StagePaths("league-2", "Validate").verdict).read_text())
    players = validate["datasets"]["players"]
    assert (players["passed"], players["failedRows"]) == (True, 1)
    (orphans,) = players["orphans"]
    assert (orphans["orphanRows"], orphans["orphanKeys"], orphans["sample"]) == (1, 1, [{"key": 9, "rows": 1}])
    assert validate["correctable"] and validate["datasets"]["matches"]["correctableRows"] == 2

    correct = json.loads((bucket / paths.StagePaths("league-2", "Correct").verdict).read_text())
    matches = correct["datasets"]["matches"]
    assert matches["droppedRows"] == correct["droppedRows"] == 1
    assert matches["dropped"] == {"exact duplicate of another matches row": 1}
    out = json.loads((bucket / paths.manifest_key(paths.StagePaths("league-2", "Correct").output("matches")))
                     .read_text())["rows"]
    assert (matches["rowsIn"], out, matches["failedRows"]) == (5, 4, 0)
    assert matches["rowsIn"] == out + matches["failedRows"] + matches["droppedRows"]

    warehouse = bucket / paths.warehouse_table("league_goals", "warehouse")
    # names starting with "_" are the table's metadata (its _lock/ of loads), which Spark's readers skip
    assert sorted(p.name for p in warehouse.iterdir() if p.is_dir() and not p.name.startswith("_")) == [
        "season=2023", "season=2024"]
    goals = spark.read.parquet(str(warehouse))
    assert sorted(tuple(r) for r in goals.select("season", "team_id", "matches", "goals").collect()) == [
        (2023, 1, 1, 2), (2023, 2, 1, 1), (2023, 3, 1, 0), (2023, 4, 1, 0),
        (2024, 1, 1, 2), (2024, 2, 1, 1), (2024, 3, 1, 3), (2024, 4, 1, 2)]
