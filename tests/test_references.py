"""quality.references: every key of a column exists in another dataset, as a join flag, with its orphans reported."""

import pytest
from chispa import assert_df_equality

from baton.stage import StageContext
from quality import checkpoint
from quality import references as r
from quality.suite import suite_from_dict

REF = r.KeyReference("team", "teams", "code")
SUITE = suite_from_dict({
    "name": "games", "meta": {"baton": {"tolerance": 0.5}},
    "expectations": [{"type": "expect_column_values_to_be_in_set",
                      "kwargs": {"column": REF.flag, "value_set": [True]},
                      "meta": {"baton": {"name": REF.flag, "reason": "team not in teams"}}}]})


def gate(spark, tmp_path, games):
    ctx = StageContext(spark, {"execution-id": "ref-1", "current-stage": "Validate", "previous-stage": "Conform",
                               "workflow-bucket": str(tmp_path), "initial-data": "{}"}, "test_job")
    teams = spark.createDataFrame([("NA",), ("EU",)], "code string")
    flagged = games.transform(r.flag_known_keys(teams, REF.key, REF.parent_key, REF.flag))
    return ctx, checkpoint.gate_dataset(ctx, "games", flagged, SUITE, drop=[REF.flag], references={REF: teams})


def test_the_verdict_counts_and_samples_the_orphans(spark, tmp_path):
    games = spark.createDataFrame([(1, "NA"), (2, "XX"), (3, "XX"), (4, "YY"), (5, "EU")], "id int, team string")
    ctx, verdict = gate(spark, tmp_path, games)
    assert verdict.orphans == ({"column": "team", "parent": "teams", "parentColumn": "code", "orphanRows": 3,
                                   "orphanKeys": 2, "sample": [{"key": "XX", "rows": 2}, {"key": "YY", "rows": 1}]},)
    assert verdict.failed_rows == 3
    assert ctx.committed["output/games"]["schema"]["fields"][-1]["name"] == "team"  # the flag is not committed


def test_a_reference_whose_check_passed_reports_no_orphans(spark, tmp_path):
    games = spark.createDataFrame([(1, "NA")], "id int, team string")
    assert gate(spark, tmp_path, games)[1].orphans == (r.no_orphans(REF),)


def test_flag_known_keys_keeps_every_row_once(spark):
    orders = spark.createDataFrame([(1, 10), (2, 99), (3, None)], "o_orderkey BIGINT, o_custkey BIGINT")
    customers = spark.createDataFrame([(10,), (10,), (11,), (None,)], "c_custkey BIGINT")  # a repeated key
    flagged = orders.transform(r.flag_known_keys(customers, "o_custkey", "c_custkey", "o_custkey_in_customer"))
    expected = spark.createDataFrame([(1, 10, True), (2, 99, False), (3, None, False)],
                                     "o_orderkey BIGINT, o_custkey BIGINT, o_custkey_in_customer BOOLEAN")
    assert_df_equality(flagged, expected, ignore_row_order=True, ignore_nullable=True)


def test_flags_from_the_unknown_keys_equal_the_broadcast_flags(spark):
    orders = spark.createDataFrame([(1, 10), (2, 99), (3, None), (4, 99), (5, 11)],
                                   "o_orderkey BIGINT, o_custkey BIGINT")
    customers = spark.createDataFrame([(10,), (10,), (11,), (None,)], "c_custkey BIGINT")
    unknown = orders.transform(r.unknown_keys(customers, "o_custkey", "c_custkey"))
    assert sorted(row[0] for row in unknown.collect()) == [99]
    flagged = orders.transform(r.flag_unknown_keys(unknown, "o_custkey", "known"))
    broadcast = orders.transform(r.flag_known_keys(customers, "o_custkey", "c_custkey", "known"))
    expected = spark.createDataFrame([(1, 10, True), (2, 99, False), (3, None, False), (4, 99, False), (5, 11, True)],
                                     "o_orderkey BIGINT, o_custkey BIGINT, known BOOLEAN")
    assert_df_equality(flagged, expected, ignore_row_order=True, ignore_nullable=True)
    assert_df_equality(broadcast, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize("with_unknown", [False, True])
def test_a_query_without_the_flag_has_no_join(spark, with_unknown):
    orders = spark.createDataFrame([(1, 10), (2, 99)], "o_orderkey BIGINT, o_custkey BIGINT")
    customers = spark.createDataFrame([(10,)], "c_custkey BIGINT")
    unknown = orders.transform(r.unknown_keys(customers, "o_custkey", "c_custkey")).cache() if with_unknown else None
    flagged = orders.transform(r.flag_unknown_keys(unknown, "o_custkey", "known") if with_unknown
                               else r.flag_known_keys(customers, "o_custkey", "c_custkey", "known"))

    def plan(df):
        return df._jdf.queryExecution().optimizedPlan().toString()

    try:
        assert "Join" in plan(flagged)
        assert "Join" not in plan(flagged.drop("known"))
    finally:
        if unknown is not None:
            unknown.unpersist()
