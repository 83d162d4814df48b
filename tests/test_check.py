"""``baton check``: the gate outside a pipeline, its exit code, JUnit XML valid against the JUnit schema, CI summaries.

tests/schemas/junit-10.xsd is the Jenkins/Surefire JUnit XML schema that pytest's source package
(PyPI: pytest 9.2.0, testing/example_scripts/junit-10.xsd, MIT) ships and validates its own
``--junitxml`` output against; it is read with ``xmlschema``.
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from orchestration import check, cli
from quality.verdict import Verdict

JUNIT_XSD = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit-10.xsd")
REGIONS = [(0, "AFRICA", "a"), (1, "AMERICA", "b"), (2, "ASIA", "c"), (3, "EUROPE", "d"), (4, "MIDDLE EAST", "e")]
SCHEMA = "r_regionkey int, r_name string, r_comment string"


@pytest.fixture
def no_step_summary(monkeypatch):
    monkeypatch.delenv(check.SUMMARY_ENV, raising=False)


def test_a_passing_dataset_exits_0_with_a_valid_junit_file_and_data_docs(spark, tmp_path, monkeypatch):
    spark.createDataFrame(REGIONS, SCHEMA).coalesce(1).write.option("header", True).csv(str(tmp_path / "region"))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv(check.SUMMARY_ENV, str(summary))
    code = cli.main(["check", "tpch_validate_region", str(tmp_path / "region"), "--format", "csv",
                     "--junit", str(tmp_path / "out" / "junit.xml"), "--docs", str(tmp_path / "docs")])
    assert code == 0
    JUNIT_XSD.validate(str(tmp_path / "out" / "junit.xml"))
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert [c.get("name") for c in root.iter("testcase")] == [
        "has_5_rows", "conformed_columns", "r_regionkey_present", "r_regionkey_unique"]
    assert root.get("failures") == "0" and not list(root.iter("failure"))
    assert (tmp_path / "docs" / "index.html").exists() and (tmp_path / "docs" / "region" / "data_docs.html").exists()
    assert summary.read_text().startswith("### baton check tpch_validate_region on region: passed")


def test_a_failing_dataset_exits_non_zero_and_the_junit_file_names_each_failure(spark, tmp_path, no_step_summary):
    rows = REGIONS[:3] + [(2, "ASIA|<b>", "dup"), (None, "NOWHERE", "x")]
    spark.createDataFrame(rows, SCHEMA).write.parquet(str(tmp_path / "region.parquet"))
    junit = tmp_path / "junit.xml"
    assert cli.main(["check", "tpch_validate_region", str(tmp_path / "region.parquet"), "--junit", str(junit)]) == 1
    JUNIT_XSD.validate(str(junit))
    failures = {case.get("name"): case.find("failure") for case in ET.parse(junit).getroot().iter("testcase")}
    assert failures["has_5_rows"] is None and failures["conformed_columns"] is None
    assert failures["r_regionkey_present"].get("message") == '1 unexpected; sample: [null]'
    assert failures["r_regionkey_unique"].get("message") == "2 unexpected; sample: [2, 2]"
    assert failures["r_regionkey_unique"].get("type") == "expect_column_values_to_be_unique"


def test_the_markdown_summary_escapes_what_comes_from_data():
    result = check.CheckResult(
        "d", check.load("tpch_validate_region"),
        Verdict(passed=False, correctable=False, rows=1, failed_rows=1, correctable_rows=0, failed_expectations=(),
                reason="a|b <script>"),
        {"results": [{"expectation_config": {"meta": {"baton": {"name": "x"}}},
                      "result": {"partial_unexpected_list": ["|<img>"]}}]},
        [{"name": "x", "type": "expect_column_values_to_be_unique", "success": False, "unexpected_count": 1}], 0.1)
    text = check.markdown(result)
    assert "<script>" not in text and "<img>" not in text and "a\\|b" in text
    assert text.splitlines()[-1].count(" | ") == 3


def test_a_stage_output_is_checked_with_the_suite_its_manifest_names(spark, tmp_path, no_step_summary, capsys):
    key = tmp_path / "executions" / "tp-1" / "Validate" / "output" / "region"
    spark.createDataFrame(REGIONS[:4], SCHEMA).write.parquet(str(key))
    (key / "_manifest.json").write_text(json.dumps({"rows": 4, "quality": {"suite": "tpch_validate_region"}}))
    (key / "_SUCCESS").write_text("{}")
    junit = tmp_path / "junit.xml"
    code = cli.main(["--workflow-bucket", str(tmp_path), "check", "--execution", "tp-1", "--stage", "Validate",
                     "--junit", str(junit)])
    assert code == 1
    assert "tpch_validate_region on region: FAILED" in capsys.readouterr().out
    JUNIT_XSD.validate(str(junit))
    failed = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None]
    assert failed == ["has_5_rows"]


def test_check_needs_a_suite_and_data_or_an_execution_and_stage(capsys):
    assert cli.main(["check", "tpch_validate_region"]) == 2
    assert "SUITE and DATA" in capsys.readouterr().err
