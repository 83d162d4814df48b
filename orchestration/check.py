"""``baton check``: validate any dataset against a suite with the stage gate, outside a pipeline, for CI.

    baton check flights_validate data/flights.parquet --junit reports/quality.xml --docs reports/docs
    baton check --execution flights-20261205-101500-ab12 --stage Validate

The same gate a stage runs (:func:`quality.gate.evaluate`, :func:`quality.gate.make_verdict`):
the exit code is 0 only when the verdict passes (the suite's tolerance honoured). The JUnit
XML has one test case per expectation; a failed expectation is a ``<failure>`` whose message
gives the observed value, the unexpected count and a sample of unexpected values. With
``$GITHUB_STEP_SUMMARY`` set, a Markdown summary is appended to it. ``--docs DIR`` writes the
Data Docs site (offline, as a stage writes it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from baton.errors import ArgumentError
from baton.storage import LocalStorage
from quality.checkpoint import load
from quality.gate import evaluate, make_verdict
from quality.report import write_report_site
from quality.suite import Suite
from quality.verdict import Verdict

log = logging.getLogger("baton")

FORMATS = ("parquet", "csv", "json")
SAMPLE_SIZE = 5
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class CheckResult:
    """A dataset checked against a suite: the verdict, GE's validation result, the per-expectation summaries."""

    name: str
    suite: Suite
    verdict: Verdict
    validation: dict[str, Any]
    expectations: list[dict[str, Any]]
    seconds: float

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def read_dataset(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    if fmt == "parquet":
        return spark.read.parquet(path)
    if fmt == "csv":
        return spark.read.option("header", True).option("inferSchema", True).csv(path)
    if fmt == "json":
        return spark.read.json(path)
    raise ArgumentError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}", argument="--format")


def check(df: DataFrame, suite_name: str, name: str, parameters: Mapping[str, Any] | None = None) -> CheckResult:
    """Gate ``df`` with suite ``suite_name``; nothing is written."""
    suite = load(suite_name)
    started = time.monotonic()
    result = evaluate(df, suite, parameters or {})
    try:
        rows, failed, correctable = result.row_counts()
        verdict = make_verdict(suite, result.expectations, rows, failed, correctable)
    finally:
        result.release()
    return CheckResult(name, suite, verdict, result.validation, result.expectations, time.monotonic() - started)


def _results_by_name(validation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    by_name = {}
    for result in validation.get("results", []):
        meta = (result.get("expectation_config") or {}).get("meta") or {}
        by_name[(meta.get("baton") or {}).get("name")] = result
    return by_name


def failure_message(summary: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    """``observed value 0.93; 12 unexpected; sample: ['XX', None]`` (what is known of it)."""
    details = result.get("result") or {}
    parts = []
    if "observed_value" in details:
        parts.append(f"observed value {json.dumps(details['observed_value'], default=str)}")
    if summary.get("unexpected_count") is not None:
        parts.append(f"{summary['unexpected_count']} unexpected")
    sample = details.get("partial_unexpected_list")
    if sample:
        parts.append(f"sample: {json.dumps(sample[:SAMPLE_SIZE], default=str)}")
    if summary.get("error"):
        parts.append(f"error: {summary['error']}")
    return "; ".join(parts) or "failed"


def dataset_name(path: str) -> str:
    """A dataset's name from its path (``data/flights.parquet`` -> ``flights``): a report page's name."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", Path(path.rstrip("/")).stem)[:64] or "dataset"


def junit_xml(results: Sequence[CheckResult]) -> bytes:
    """A ``<testsuite>`` per dataset checked, one ``<testcase>`` per expectation, failures with their message."""
    tests = sum(len(r.expectations) for r in results)
    failures = sum(1 for r in results for e in r.expectations if e["success"] is False)
    root = ET.Element("testsuites", name="baton check", tests=str(tests), failures=str(failures), errors="0",
                      time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        _testsuite(root, result)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _testsuite(root: ET.Element, result: CheckResult) -> None:
    results = _results_by_name(result.validation)
    failures = [e for e in result.expectations if e["success"] is False]
    suite = ET.SubElement(root, "testsuite", name=f"{result.suite.name}: {result.name}",
                          tests=str(len(result.expectations)), failures=str(len(failures)), errors="0",
                          skipped="0", time=f"{result.seconds:.3f}")
    properties = ET.SubElement(suite, "properties")
    for key in ("passed", "rows", "failedRows", "tolerance", "reason"):
        ET.SubElement(properties, "property", name=key, value=str(result.verdict.to_json()[key]))
    for summary in result.expectations:
        case = ET.SubElement(suite, "testcase", name=summary["name"],
                             classname=f"{result.suite.name}.{summary['type']}", time="0")
        if summary["success"] is False:
            failure = ET.SubElement(case, "failure", type=summary["type"],
                                    message=failure_message(summary, results.get(summary["name"], {})))
            failure.text = f"on fail: {summary['on_fail']}; columns: {', '.join(summary['columns'] or [])}"


def markdown(result: CheckResult) -> str:
    """The summary CI shows (GitHub's job summary): the verdict, then a row per expectation."""
    results = _results_by_name(result.validation)
    status = "passed" if result.passed else "FAILED"
    lines = [f"### baton check {result.suite.name} on {_cell(result.name)}: {status}", "",
             _cell(result.verdict.reason), "",
             "| expectation | type | result | detail |", "| --- | --- | --- | --- |"]
    for summary in result.expectations:
        ok = summary["success"] is not False
        detail = "" if ok else failure_message(summary, results.get(summary["name"], {}))
        lines.append(f"| {_cell(summary['name'])} | {summary['type']} | {'pass' if ok else 'fail'} | {_cell(detail)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Markdown table text: a value never opens a cell or a tag of its own."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def write_outputs(results: Sequence[CheckResult], junit: str | None, docs: str | None,
                  environ: Mapping[str, str] = os.environ) -> None:
    """The JUnit file, the Data Docs site and the GitHub step summary, each when asked for."""
    if junit:
        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_bytes(junit_xml(results))
        log.info("baton check: wrote %s", junit)
    if docs:
        write_report_site(LocalStorage(docs).write_bytes, "", {r.name: r.validation for r in results},
                          verdicts={r.name: r.verdict.to_json() for r in results})
        log.info("baton check: wrote %s/index.html", docs)
    summary = environ.get(SUMMARY_ENV)
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write("".join(markdown(result) for result in results))


def stage_datasets(keys: Sequence[str], prefix: str) -> list[str]:
    """The committed output datasets under ``{prefix}/output/`` (those with ``_SUCCESS``)."""
    marker = "/_SUCCESS"
    return sorted(k[len(prefix) + len("/output/"):-len(marker)] for k in keys
                  if k.startswith(f"{prefix}/output/") and k.endswith(marker)
                  and "/" not in k[len(prefix) + len("/output/"):-len(marker)])
