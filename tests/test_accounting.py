"""Counts balance: for every gated or corrected dataset, rows in = rows out + quarantined + dropped (with a reason)."""

from dataclasses import replace

import pytest

from baton import paths
from baton.stage import StageContext
from quality import checkpoint
from quality.checkpoint import Accounting, UnbalancedCountsError
from quality.gate import QUARANTINE_COLUMN, GateResult
from quality.suite import suite_from_dict
from quality.verdict import Verdict

SUITE = suite_from_dict({
    "name": "games", "meta": {"baton": {"tolerance": 0.1}},
    "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"},
         "meta": {"baton": {"name": "id_unique", "on_fail": "correct", "reason": "duplicate id"}}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "team"},
         "meta": {"baton": {"name": "team_present", "reason": "team is missing"}}},
    ]})


def remaining(spark, failed: list[list[str]]):
    return spark.createDataFrame(list(enumerate(failed)), f"id int, {QUARANTINE_COLUMN} array<string>")


def test_a_correction_that_drops_duplicates_says_so(spark):
    # 65 rows quarantined: 31 rejoin, 31 are dropped as duplicates of the corrected rows, 3 stay
    accounting = Accounting("Correct", "games", rows_in=1_000 + 65, rows_out=1_000 + 31, quarantined=3,
                            dropped={"duplicate of a corrected row": 31})
    verdict = checkpoint.correction_verdict(SUITE, accounting, remaining(spark, [["team_present"]] * 3),
                                            quarantined_before=65)
    assert (verdict.corrected_rows, verdict.dropped_rows, verdict.failed_rows) == (31, 31, 3)
    assert verdict.dropped == {"duplicate of a corrected row": 31}
    assert verdict.rows_in == 1_065
    assert "31 of 65 quarantined rows corrected" in verdict.reason
    assert "31 dropped (duplicate of a corrected row: 31)" in verdict.reason


def test_rows_dropped_unseen_fail_the_stage(spark):
    accounting = Accounting("Correct", "games", rows_in=1_065, rows_out=1_031, quarantined=3)
    unbalanced = r"games: 1,065 rows in but 1,031 out \+ 3 quarantined \+ 0 dropped = 1,034: 31 rows unaccounted"
    with pytest.raises(UnbalancedCountsError, match=unbalanced) as err:
        checkpoint.correction_verdict(SUITE, accounting, remaining(spark, []), quarantined_before=65)
    assert err.value.stage == "Correct"


def test_dropped_rows_need_a_reason():
    with pytest.raises(UnbalancedCountsError, match="reason"):
        Accounting("Correct", "games", rows_in=10, rows_out=8, quarantined=0, dropped={"": 2}).check()


def test_rows_a_correction_supplies_are_counted_in():
    Accounting("Correct", "airports", rows_in=10, rows_out=12, quarantined=2,
               added={"supplied from quality/reference/airports.csv": 4}).check()


def test_the_stage_verdict_sums_the_dropped_rows():
    part = Verdict(passed=True, correctable=False, rows=5, failed_rows=0, correctable_rows=0,
                   failed_expectations=(), reason="ok")
    verdict = checkpoint.stage_verdict({"a": replace(part, dropped_rows=2), "b": replace(part, dropped_rows=0)})
    assert verdict.dropped_rows == 2


def test_revalidation_reads_what_the_next_stage_reads(spark):
    """A corrected row that collides with a row that already passed is caught: both are quarantined."""
    validated = spark.createDataFrame([(1, "x"), (2, "y")], "id int, team string")
    corrected = spark.createDataFrame([(2, "z"), (3, "w")], "id int, team string")
    result = checkpoint.revalidate(validated, corrected, SUITE)
    try:
        assert sorted(r.id for r in result.passing().collect()) == [1, 3]
        assert sorted(r.id for r in result.quarantined().collect()) == [2, 2]
    finally:
        result.release()


def gate(spark, tmp_path):
    ctx = StageContext(spark, {"execution-id": "acc-1", "current-stage": "Validate", "previous-stage": "Conform",
                               "workflow-bucket": str(tmp_path), "initial-data": "{}"}, "test_job")
    df = spark.createDataFrame([(1, "x"), (2, None), (3, "z")], "id int, team string")
    return checkpoint.gate_dataset(ctx, "games", df, SUITE)


def test_a_gated_dataset_accounts_for_every_row(spark, tmp_path):
    verdict = gate(spark, tmp_path)
    assert (verdict.rows_in, verdict.rows, verdict.failed_rows, verdict.dropped_rows) == (3, 3, 1, 0)


def test_a_gate_that_loses_rows_fails_the_stage(spark, tmp_path, monkeypatch):
    passing = GateResult.passing
    monkeypatch.setattr(GateResult, "passing", lambda self: passing(self).limit(1))
    with pytest.raises(UnbalancedCountsError, match="games: 3 rows in but 1 out"):
        gate(spark, tmp_path)


def test_a_gated_dataset_passes_through_only_when_every_row_passes(spark, tmp_path):
    args = {"execution-id": "acc-2", "workflow-bucket": str(tmp_path), "initial-data": "{}"}
    conform = StageContext(spark, args | {"current-stage": "Conform", "previous-stage": "Ingest"}, "test_job")
    conform.write("games", spark.createDataFrame([(1, "x"), (2, "y")], "id int, team string"))
    conform.write("teams", spark.createDataFrame([(1, "x"), (2, None)], "id int, team string"))
    ctx = StageContext(spark, args | {"current-stage": "Validate", "previous-stage": "Conform"}, "test_job")

    def files(stage: str, dataset: str) -> set[str]:
        return {p.name for p in (tmp_path / paths.StagePaths("acc-2", stage).output(dataset)).glob("part-*")}

    verdict = checkpoint.gate_dataset(ctx, "games", ctx.read("games"), SUITE, pass_through=True)
    assert verdict.passed and files("Validate", "games") == files("Conform", "games")  # copied, not rewritten
    verdict = checkpoint.gate_dataset(ctx, "teams", ctx.read("teams"), SUITE, pass_through=True)
    assert verdict.failed_rows == 1 and ctx.committed["output/teams"]["rows"] == 1
    assert not files("Validate", "teams") & files("Conform", "teams")  # the passing rows, written by Spark
    with pytest.raises(ValueError, match="dataset 'games' passes through only as read"):
        checkpoint.gate_dataset(ctx, "games", ctx.read("games").withColumnRenamed("team", "side"), SUITE,
                                pass_through=True)
