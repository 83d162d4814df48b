"""The execution report, read as a file: each state's class, the failure at the top, the timeline,
the stages and quality sections, escaping, an AWS history, and the local run's hook.

The executions come from ``view_executions`` (the flights definition on fake handlers, no Spark);
tests/test_view_browser.py loads the same pages in Chromium.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import datetime

import pytest
from view_executions import EXPECTED, HOSTILE, executions, make_execution  # noqa: F401 - executions: a fixture

import conf
from baton import paths
from baton.storage import LocalStorage, write_json
from orchestration.asl.clock import FakeClock
from orchestration.asl.executor import load_definition
from orchestration.executions import DEFINITION, HISTORY
from orchestration.local import LocalRun
from orchestration.pipelines import FLIGHTS
from orchestration.views.report import ExecutionRecord, report_html, report_key, stage_rows
from orchestration.views.visits import runs_of

NODE = re.compile(r'<g id="state&#45;\d+" class="([^"]*)">\s*<title>[^<]*</title>.*?<text[^>]*>([^<]*)</text>', re.S)


def page(storage, execution_id: str) -> str:
    return storage.read_bytes(report_key(execution_id)).decode()


def node_classes(text: str) -> dict[str, set[str]]:
    """State name -> the classes of its node in the page's SVG."""
    return {html.unescape(name): set(html.unescape(classes).split()) for classes, name in NODE.findall(text)}


def stored(storage, execution_id: str) -> tuple[dict, list[dict]]:
    prefix = paths.execution_prefix(execution_id)
    events = [json.loads(line) for line in storage.read_bytes(f"{prefix}/{HISTORY}").decode().splitlines()]
    return json.loads(storage.read_bytes(f"{prefix}/{DEFINITION}")), events


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_state_carries_the_class_its_history_gives(executions, scenario):  # noqa: F811
    classes = node_classes(page(executions, scenario))
    definition, _ = stored(executions, scenario)
    assert len(classes) == len(definition["States"]) + 15  # and the 15 states of the Parallels' branches
    for state, status in EXPECTED[scenario].items():
        assert status in classes[state] and "state" in classes[state], (state, classes[state])


def test_a_retried_state_is_labelled_with_its_attempts_and_its_retry_is_on_the_timeline(executions):  # noqa: F811
    text = page(executions, "succeeded")
    assert ">2 attempts</text>" in text
    conform = re.search(r'<span class="label">Conform</span><span class="track">(.*?)</span></div>', text).group(1)
    assert [m for m in re.findall(r'class="bar ([a-z-]+)"', conform)] == ["failed", "retry-wait", "ok"]


@pytest.mark.parametrize(("scenario", "state", "error"), [("quality", "Validate", "DataQualityFailed"),
                                                          ("caught", "Enrich", "ArgumentError")])
def test_a_failed_execution_shows_the_failed_state_error_and_cause_at_the_top(executions, scenario, state,  # noqa: F811
                                                                              error):
    text = page(executions, scenario)
    failure = re.search(r'<section class="failure" id="failure">(.*?)</section>', text, re.S).group(1)
    assert f"<h2>Failed at {state}</h2>" in failure and f'<p class="error">{error}</p>' in failure
    assert html.escape(HOSTILE) in failure  # the job's message (or the verdict's reason), escaped
    assert text.index('id="failure"') < text.index('class="graph"')


def test_a_succeeded_execution_has_no_failure_section(executions):  # noqa: F811
    assert 'id="failure"' not in page(executions, "succeeded")


def test_stages_and_quality_link_the_data_docs_and_count_the_quarantine_per_expectation(executions):  # noqa: F811
    text = page(executions, "quality")
    stages = re.search(r'<section class="stages">(.*?)</section>', text, re.S).group(1)
    assert "<td>Validate</td><td class=num>59</td><td class=num>41</td>" in stages
    quality = re.search(r'<section class="quality">(.*?)</section>', text, re.S).group(1)
    assert '<h3>Validate: failed <a href="../Validate/quality/index.html">Data Docs</a></h3>' in quality
    assert f"<td>{html.escape('dep_time_valid ' + HOSTILE)}</td>" in quality and "<td class=num>41</td>" in quality


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_hostile_values_never_reach_the_page_as_markup(executions, scenario):  # noqa: F811
    text = page(executions, scenario)
    assert HOSTILE not in text
    assert "<img" not in text and "<svg onload" not in text and '<a href="javascript' not in text
    assert text.count("<script") == 2  # the JSON island and the page's own script
    assert "javascript:" not in "".join(re.findall(r'(?:href|src)="([^"]*)"', text))
    island = re.search(r'<script type="application/json" id="state-details">(.*?)</script>', text, re.S).group(1)
    assert "<" not in island and ">" not in island and "&" not in island
    assert any("<script>document" in value for state in json.loads(island).values() for value in state.values())
    assert not re.search(r'(?:src|href)="https?:', text)  # nothing to fetch


def test_an_aws_history_renders_the_same(executions):  # noqa: F811
    """boto3's GetExecutionHistory gives the same events, with datetime timestamps."""
    definition, events = stored(executions, "caught")
    aws = [e | {"timestamp": datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))} for e in events]
    classes = node_classes(report_html(definition, aws, ExecutionRecord("caught")))
    assert classes == node_classes(page(executions, "caught"))


def test_a_resumed_execution_is_shown_by_its_last_run(executions):  # noqa: F811
    definition, failed = stored(executions, "caught")
    _, succeeded = stored(executions, "succeeded")
    assert [r.status for r in runs_of(failed + succeeded)] == ["FAILED", "SUCCEEDED"]
    text = report_html(definition, failed + succeeded, ExecutionRecord("caught", "flights"))
    assert node_classes(text)["Enrich"] >= {"succeeded"} and "<dt>run</dt><dd>2 of 2</dd>" in text


def test_a_local_run_writes_its_report_and_a_failed_report_never_fails_the_run(executions, caplog):  # noqa: F811
    lines = []
    runner = LocalRun(FLIGHTS, conf.load("local"), str(executions.root), echo=lines.append)
    runner._write_report("caught")
    assert lines == [f"report: {runner.bucket.uri(report_key('caught'))}"]
    with caplog.at_level(logging.WARNING, logger="baton"):
        runner._write_report("missing")
    assert "no report for execution missing: FileNotFoundError" in caplog.text


def test_a_running_execution_shows_its_current_state_running(executions):  # noqa: F811
    definition, events = stored(executions, "succeeded")
    entered = next(i for i, e in enumerate(events) if e.get("stateEnteredEventDetails", {}).get("name") == "Validate")
    text = report_html(definition, events[:entered + 2], ExecutionRecord("succeeded"))
    classes = node_classes(text)
    assert "running" in classes["Validate"] and "retried" in classes["Conform"] and "not-entered" in classes["Load"]
    assert '<span class="status running">RUNNING</span>' in text and 'id="failure"' not in text


def test_the_stage_table_reads_only_committed_manifests(tmp_path):
    storage = LocalStorage(tmp_path)
    make_execution(storage, "caught")
    staged = paths.StagePaths("caught", "Validate").staging("t1", "output", "flights")
    write_json(storage, paths.manifest_key(staged), {"rows": 7, "startedAt": "2023-01-01T00:00:00+00:00",
                                                     "endedAt": "2024-01-01T00:00:40+00:00"})
    validate = next(row for row in stage_rows(storage, "caught") if row.name == "Validate")
    assert validate.seconds == 40.0 and validate.counts["rowsOut"] == 59


def test_a_map_and_a_wait_are_drawn_and_timed():
    definition = {"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 30, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}}}}
    execution = load_definition(definition).execute({"items": [1, 2, 3]}, clock=FakeClock())
    text = report_html(definition, execution.history, ExecutionRecord("map-1"))
    classes = node_classes(text)
    assert "succeeded" in classes["Each"] and "succeeded" in classes["Item"] and "succeeded" in classes["Pause"]
    assert "Each: each item" in text and 'class="bar wait" style="left:0.00%;width:100.00%"' in text
    island = re.search(r'id="state-details">(.*?)</script>', text, re.S).group(1)
    item = next(state for state in json.loads(island).values() if state["name"] == "Item")
    assert "entered 3 times" in item["timing"]
