"""The run summary counts every dataset of a stage from its manifests, and the console shows every gated dataset."""

from dataclasses import fields

from baton import paths
from baton.storage import LocalStorage, write_json
from orchestration.cli.executions import run_table
from orchestration.pipeline import Extraction, Stage
from orchestration.run_summary import RunSummary, quality_of, stage_counts
from quality.verdict import Verdict


def commit(storage, stage, kind, dataset, rows, read=None):
    key = paths.StagePaths("x-1", stage).dataset(kind, dataset)
    write_json(storage, paths.manifest_key(key), {"dataset": dataset, "kind": kind, "rows": rows, "read": read})
    write_json(storage, paths.success_key(key), {"rows": rows})


def test_a_stage_declares_no_dataset_to_count():
    assert "dataset" not in {f.name for f in fields(Stage)} | {f.name for f in fields(Extraction)}


def test_stage_counts_sum_and_list_every_dataset_of_the_stage(tmp_path):
    storage = LocalStorage(tmp_path)
    commit(storage, "Validate", "output", "orders", 100)
    commit(storage, "Validate", "quarantine", "orders", 0)
    commit(storage, "Validate", "output", "customers", 40)
    commit(storage, "Validate", "quarantine", "customers", 87)
    counts = stage_counts(storage, "x-1", "Validate")
    assert (counts["rowsOut"], counts["rowsQuarantined"]) == (140, 87)
    assert counts["datasets"] == {"customers": {"rowsOut": 40, "rowsQuarantined": 87},
                                  "orders": {"rowsOut": 100, "rowsQuarantined": 0}}


def test_stage_counts_of_one_source_and_its_values_read_as_null(tmp_path):
    storage = LocalStorage(tmp_path)
    commit(storage, "Ingest", "output", "leagues", 9, {"nullValue": "NA", "nullsRead": {"code": 737, "name": 0}})
    commit(storage, "Ingest", "output", "teams", 5, {"nullValue": "", "nullsRead": {"team": 0}})
    counts = stage_counts(storage, "x-1", "Ingest", only="leagues")
    assert counts == {"rowsOut": 9, "rowsQuarantined": None, "nullsRead": {"leagues.code": 737},
                      "datasets": {"leagues": {"rowsOut": 9, "nullsRead": {"code": 737}}}}
    assert stage_counts(storage, "x-1", "Nothing")["rowsOut"] is None


def test_a_manifest_without_success_is_not_counted(tmp_path):
    storage = LocalStorage(tmp_path)
    commit(storage, "Conform", "output", "a", 3)
    key = paths.StagePaths("x-1", "Conform").dataset("output", "b")
    write_json(storage, paths.manifest_key(key), {"rows": 5})
    assert stage_counts(storage, "x-1", "Conform")["rowsOut"] == 3


def test_the_console_shows_every_gated_dataset_also_when_the_stage_passed():
    quality = {"Validate": {
        "passed": True, "correctable": False, "rows": 1_127, "failedRows": 87, "correctableRows": 0,
        "correctedRows": 0, "droppedRows": 0, "reason": "all datasets passed their suites",
        "datasets": {"customers": {"passed": True, "rows": 127, "failedRows": 87, "correctedRows": 0,
                                   "droppedRows": 0},
                     "orders": {"passed": True, "rows": 1_000, "failedRows": 0, "correctedRows": 0,
                                "droppedRows": 0}}}}
    summary = RunSummary("x-1", "p", "SUCCEEDED", "wf", 1.0, [], quality)
    table = run_table(summary)
    assert "customers: 87 of 127 rows quarantined" in table
    assert "orders: 0 of 1,000 rows quarantined" in table


def test_the_console_shows_rows_a_correction_dropped():
    quality = {"Correct": {
        "passed": True, "correctable": False, "rows": 34, "failedRows": 3, "correctableRows": 0,
        "correctedRows": 31, "droppedRows": 31, "reason": "...",
        "datasets": {"games": {"passed": True, "rows": 34, "failedRows": 3, "correctedRows": 31, "droppedRows": 31,
                               "dropped": {"duplicate of a corrected row": 31}}}}}
    table = run_table(RunSummary("x-1", "p", "SUCCEEDED", "wf", 1.0, [], quality))
    assert "dropped=31" in table
    assert "games: 3 of 34 rows quarantined, 31 corrected, 31 dropped (duplicate of a corrected row: 31)" in table


def test_the_console_shows_orphan_keys():
    orphans = [{"column": "team", "parent": "teams", "parentColumn": "code", "orphanRows": 3, "orphanKeys": 2,
                "sample": [{"key": "XX", "rows": 2}, {"key": "YY", "rows": 1}]}]
    quality = {"Validate": {
        "passed": True, "correctable": False, "rows": 5, "failedRows": 3, "correctableRows": 0, "correctedRows": 0,
        "droppedRows": 0, "reason": "...",
        "datasets": {"games": {"passed": True, "rows": 5, "failedRows": 3, "orphans": orphans}}}}
    table = run_table(RunSummary("x-1", "p", "SUCCEEDED", "wf", 1.0, [], quality))
    assert "games: 3 of 5 rows quarantined; 3 rows whose team is not in teams.code (2 keys, e.g. XX, YY)" in table


def test_the_console_shows_the_values_read_as_null():
    stages = [{"stage": "Ingest leagues", "engine": "glue", "rowsOut": 9, "nullsRead": {"leagues.code": 737}},
              {"stage": "Conform", "engine": "glue", "rowsOut": 9}]
    table = run_table(RunSummary("x-1", "p", "SUCCEEDED", "wf", 1.0, stages, {}))
    assert "  Ingest leagues: leagues.code 737" in table


def test_the_summary_shows_a_stage_verdict_and_the_counts_of_each_dataset():
    part = Verdict(passed=True, correctable=False, rows=10, failed_rows=1, correctable_rows=0, failed_expectations=(),
                   reason="1 of 10 rows quarantined", corrected_rows=2, dropped_rows=1, dropped={"duplicate": 1},
                   orphans=({"column": "team", "orphanRows": 1},))
    stage = Verdict(passed=True, correctable=False, rows=10, failed_rows=1, correctable_rows=0,
                    failed_expectations=(), reason="all datasets passed their suites", datasets={"games": part})
    assert quality_of(stage) == {
        "passed": True, "correctable": False, "rows": 10, "failedRows": 1, "correctableRows": 0,
        "reason": "all datasets passed their suites", "correctedRows": 2, "droppedRows": 1,
        "datasets": {"games": {"passed": True, "rows": 10, "failedRows": 1, "correctableRows": 0, "correctedRows": 2,
                               "droppedRows": 1, "dropped": {"duplicate": 1},
                               "orphans": [{"column": "team", "orphanRows": 1}]}}}
