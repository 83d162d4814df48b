"""The suite drafter: one aggregation profiles a dataset; the draft passes on it, with the gate and with GE."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from quality import draft
from quality.compiled import CompiledEvaluator
from quality.gate import GreatExpectationsEvaluator
from quality.spark_metrics import measure
from quality.suite import suite_from_dict

ROWS = [
    (1, "paid", 12.5, dt.date(2024, 1, 3), dt.datetime(2024, 1, 3, 8, 30), "a", True),
    (2, "paid", None, dt.date(2024, 1, 4), dt.datetime(2024, 1, 4, 9, 0), "b", False),
    (3, "refunded", 7.25, dt.date(2024, 2, 1), dt.datetime(2024, 2, 1, 23, 59, 59), None, True),
    (4, "paid", 99.0, dt.date(2024, 2, 9), dt.datetime(2024, 2, 9, 0, 0), "d", True),
    (5, "void", 0.0, dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 12, 0), "e", False),
    (6, "paid", 3.0, dt.date(2024, 3, 2), dt.datetime(2024, 3, 2, 12, 0), "f", True),
]
SCHEMA = "id INT, status STRING, amount DOUBLE, day DATE, at TIMESTAMP, note STRING, card BOOLEAN"


@pytest.fixture(scope="module")
def payments(spark):
    return spark.createDataFrame(ROWS, SCHEMA)


@pytest.fixture(scope="module")
def found(payments):
    return draft.profile(payments)


def _column(profile, name):
    return next(c for c in profile.columns if c.name == name)


def test_profile_counts_nulls_distincts_ranges_and_small_value_sets(found):
    assert found.rows == 6
    amount = _column(found, "amount")
    assert (amount.non_null, amount.minimum, amount.maximum) == (5, 0.0, 99.0)
    assert _column(found, "status").values == ("paid", "refunded", "void")
    assert _column(found, "card").values == (False, True)
    assert (_column(found, "day").minimum, _column(found, "day").maximum) == ("2024-01-03", "2024-03-02")
    assert _column(found, "at").maximum == "2024-03-02 12:00:00"
    assert _column(found, "note").null_fraction(found.rows) == pytest.approx(1 / 6)


def test_candidate_keys_are_complete_and_all_different(found):
    # note is all different but has a null; amount and at are not of a key type
    assert found.candidate_keys == ["id"]


def test_profile_is_one_query(spark, payments):
    with measure(spark) as cost:
        draft.profile(payments)
    assert cost.sql_executions == 1


def test_value_set_is_left_out_when_a_bucket_hides_values(spark):
    many = spark.createDataFrame([(f"v{i % draft.VALUE_SET_MAX}",) for i in range(40)], "code STRING")
    code = draft.profile(many).columns[0]
    # up to VALUE_SET_MAX values: either the exact set, or none when two min/max per bucket cannot show them all
    assert code.values is None or code.values == tuple(sorted(f"v{i}" for i in range(draft.VALUE_SET_MAX)))
    beyond = spark.createDataFrame([(f"v{i}",) for i in range(draft.VALUE_SET_MAX + 1)] * 2, "code STRING")
    assert draft.profile(beyond).columns[0].values is None


def test_draft_is_a_suite_with_routing_hints_and_a_review_note(found):
    suite = draft.draft_suite(found, "shop_validate_payments", "payments", "payments.csv")
    loaded = suite_from_dict(json.loads(json.dumps(suite)))
    by_name = {e.name: e for e in loaded.expectations}
    assert "id" not in suite and all("id" not in e for e in suite["expectations"])
    assert "DRAFT" in suite["meta"]["notes"]["content"][0]
    assert by_name["id_unique"].on_fail == "quarantine"
    assert by_name["status_in_set"].kwargs["value_set"] == ["paid", "refunded", "void"]
    assert by_name["amount_mostly_present"].on_fail == "warn"
    assert by_name["amount_mostly_present"].kwargs["mostly"] == 0.83
    assert by_name["amount_in_range"].on_fail == "warn"
    assert "note_in_set" not in by_name  # as many values as rows: not a value set


@pytest.mark.parametrize("evaluator", [CompiledEvaluator, GreatExpectationsEvaluator])
def test_draft_passes_on_the_data_it_was_drafted_from(payments, found, evaluator):
    suite = suite_from_dict(draft.draft_suite(found, "shop_validate_payments", "payments", "memory"))
    result = evaluator().validate(payments, suite, {})
    failed = [r["expectation_config"]["meta"]["baton"]["name"] for r in result["results"] if not r["success"]]
    assert result["success"], failed


def test_draft_fails_on_a_row_outside_what_it_saw(spark, payments, found):
    suite = suite_from_dict(draft.draft_suite(found, "shop_validate_payments", "payments", "memory"))
    other = payments.union(spark.createDataFrame(
        [(1, "lost", 1.0, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), "x", True)], SCHEMA))
    result = CompiledEvaluator().validate(other, suite, {})
    failed = {r["expectation_config"]["meta"]["baton"]["name"] for r in result["results"] if not r["success"]}
    assert {"id_unique", "status_in_set", "day_in_range"} <= failed


def test_read_dataset_refuses_an_uncommitted_output(spark, tmp_path):
    out = tmp_path / "trips"
    spark.createDataFrame([(1,)], "id INT").write.parquet(str(out))
    (out / "_manifest.json").write_text("{}")
    (out / "_SUCCESS").unlink(missing_ok=True)
    with pytest.raises(draft.BadInputError, match="no _SUCCESS"):
        draft.read_dataset(spark, str(out))


def test_read_dataset_reads_csv_with_the_null_token(spark, tmp_path):
    raw = tmp_path / "trips.csv"
    raw.write_text("id,city\n1,Oslo\n2,NA\n3,\n")
    # Spark reads an empty field as null whatever the token: the token is one more null
    assert [r.city for r in draft.read_dataset(spark, str(raw), null_token="NA").orderBy("id").collect()] == \
        ["Oslo", None, None]
    assert [r.city for r in draft.read_dataset(spark, str(raw)).orderBy("id").collect()] == ["Oslo", "NA", None]


def test_write_suite_refuses_to_overwrite(tmp_path):
    out = tmp_path / "s.json"
    draft.write_suite({"name": "s", "expectations": []}, out)
    with pytest.raises(draft.ArgumentError, match="exists"):
        draft.write_suite({"name": "s", "expectations": []}, out)


def test_cli_drafts_a_suite_from_a_raw_file(spark, tmp_path, capsys):
    from orchestration import cli

    raw = tmp_path / "trips.csv"
    raw.write_text("trip,city\n1,Oslo\n2,Oslo\n3,Bergen\n4,Oslo\n")
    out = tmp_path / "trips_validate.json"
    assert cli.main(["suite", "draft", str(raw), "--out", str(out)]) == 0
    suite = json.loads(out.read_text())
    assert suite["name"] == "trips_validate" and suite["meta"]["profile"]["candidateKeys"] == ["trip"]
    assert "candidate keys: trip" in capsys.readouterr().out
    assert cli.main(["suite", "draft", str(raw), "--out", str(out)]) == 2  # never overwritten
