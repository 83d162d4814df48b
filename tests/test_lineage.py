"""OpenLineage events of the stage runtime: START and COMPLETE/FAIL per stage, datasets that chain, transports."""

import json
import re
import threading
import uuid
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import conf
from baton import lineage
from baton.errors import SettingError
from baton.stage import JobSpec, run_stage
from baton.storage import LocalStorage
from conf.settings import LineageSettings
from quality import checkpoint
from quality.suite import suite_from_dict

SUITE = suite_from_dict({
    "name": "games", "meta": {"baton": {"tolerance": 0.5}},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "team"},
         "meta": {"baton": {"name": "team_present", "reason": "team is missing"}}},
    ]})
EVENT_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}


def ingest(ctx):
    df = ctx.spark.createDataFrame([(1, "x"), (2, None), (3, "z")], "id int, team string")
    ctx.write("games", df)


def validate(ctx):
    verdict = checkpoint.gate_dataset(ctx, "games", ctx.read("games"), SUITE)
    checkpoint.write_stage_verdict(ctx, {"games": verdict})


def broken(ctx):
    ctx.read("games")
    raise RuntimeError("the body broke")


def stage(spark, bucket, spec, current, previous="", execution="lin-1"):
    argv = ["job.py", "--execution-id", execution, "--current-stage", current, "--workflow-bucket", str(bucket)]
    return run_stage(spec, argv + (["--previous-stage", previous] if previous else []), spark=spark)


def events(bucket, execution="lin-1"):
    text = (bucket / "executions" / execution / "_lineage.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def assert_run_event(event):
    """What OpenLineage 2-0-2's RunEvent requires (spec/OpenLineage.json), checked field by field."""
    assert set(event) >= {"eventTime", "producer", "schemaURL", "run", "job"} and event["producer"] == lineage.PRODUCER
    assert event["schemaURL"].startswith("https://openlineage.io/spec/") and event["eventType"] in EVENT_TYPES
    datetime.fromisoformat(event["eventTime"])
    uuid.UUID(event["run"]["runId"])
    assert event["job"]["namespace"] and event["job"]["name"]
    for facet in [*event["run"].get("facets", {}).values(),
                  *(f for d in event.get("inputs", []) + event.get("outputs", [])
                    for f in [*d.get("facets", {}).values(), *d.get("outputFacets", {}).values()])]:
        assert facet["_producer"].startswith("https://") and facet["_schemaURL"].startswith("https://openlineage.io/")
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        assert dataset["namespace"] and dataset["name"]


def test_each_stage_emits_start_and_complete_with_datasets_that_chain(spark, tmp_path):
    stage(spark, tmp_path, JobSpec("games_ingest", ingest), "Ingest")
    stage(spark, tmp_path, JobSpec("games_validate", validate), "Validate", "Ingest")
    found = events(tmp_path)
    for event in found:
        assert_run_event(event)
    assert [(e["job"]["name"], e["eventType"]) for e in found] == [
        ("baton.games.Ingest", "START"), ("baton.games.Ingest", "COMPLETE"),
        ("baton.games.Validate", "START"), ("baton.games.Validate", "COMPLETE")]
    parents = {e["run"]["facets"]["parent"]["run"]["runId"] for e in found}
    assert parents == {lineage.execution_run_id("lin-1")}
    assert found[0]["run"]["facets"]["parent"]["job"]["name"] == "baton.games"
    ingested, validated = found[1], found[3]
    assert [(d["namespace"], d["name"]) for d in validated["inputs"]] == \
        [(d["namespace"], d["name"]) for d in ingested["outputs"]] == \
        [("file", f"{tmp_path}/executions/lin-1/Ingest/output/games")]
    outputs = {d["name"].rsplit("/", 3)[-2]: d for d in validated["outputs"]}
    assert set(outputs) == {"output", "quarantine"}
    assert outputs["output"]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert outputs["quarantine"]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    assert outputs["output"]["outputFacets"]["outputStatistics"]["size"] > 0
    assert [f["name"] for f in outputs["output"]["facets"]["schema"]["fields"]] == ["id", "team"]
    assert outputs["output"]["facets"]["dataQualityAssertions"]["assertions"] == [
        {"assertion": "expect_column_values_to_not_be_null", "success": False, "column": "team",
         "name": "team_present", "actual": "1", "params": {}}]


def test_a_failing_stage_emits_fail_with_its_error_and_still_fails(spark, tmp_path):
    stage(spark, tmp_path, JobSpec("games_ingest", ingest), "Ingest", execution="lin-2")
    with pytest.raises(RuntimeError, match="the body broke"):
        stage(spark, tmp_path, JobSpec("games_validate", broken), "Validate", "Ingest", execution="lin-2")
    failed = events(tmp_path, "lin-2")[-1]
    assert_run_event(failed)
    assert failed["eventType"] == "FAIL"
    assert failed["run"]["facets"]["errorMessage"]["message"] == "the body broke"
    assert [d["name"].rsplit("/", 1)[-1] for d in failed["inputs"]] == ["games"]


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        Receiver.received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    port = server.server_address[1]
    server.server_close()
    return port


def test_http_keeps_what_a_down_endpoint_missed_and_delivers_it_later(spark, tmp_path, monkeypatch):
    port = free_port()
    http = LineageSettings(transport="http", url=f"http://127.0.0.1:{port}", timeout_seconds=2, retries=0)
    settings = replace(conf.load(), lineage=http)
    monkeypatch.setattr(conf, "load", lambda env=None, directory=None: settings)
    stage(spark, tmp_path, JobSpec("games_ingest", ingest), "Ingest", execution="lin-3")  # nobody listens
    pending = LocalStorage(tmp_path).read_bytes(lineage.pending_key("lin-3")).decode().splitlines()
    assert [json.loads(line)["eventType"] for line in pending] == ["START", "COMPLETE"]

    Receiver.received = []
    server = HTTPServer(("127.0.0.1", port), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stage(spark, tmp_path, JobSpec("games_validate", validate), "Validate", "Ingest", execution="lin-3")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert {path for path, _ in Receiver.received} == {"/api/v1/lineage"}
    assert [(e["job"]["name"], e["eventType"]) for _, e in Receiver.received] == [
        ("baton.games.Ingest", "START"), ("baton.games.Ingest", "COMPLETE"),
        ("baton.games.Validate", "START"), ("baton.games.Validate", "COMPLETE")]
    for _, event in Receiver.received:
        assert_run_event(event)
    assert not (tmp_path / lineage.pending_key("lin-3")).exists()


def test_an_unknown_transport_is_named():
    with pytest.raises(SettingError, match=re.escape("setting lineage.transport: unknown lineage transport 'kafka'")):
        lineage.transport_for(LineageSettings(transport="kafka", url=None), LocalStorage("."), "lin-4")


def test_http_without_a_url_is_named():
    with pytest.raises(SettingError, match=re.escape("setting lineage.url: transport http needs a url")):
        lineage.transport_for(LineageSettings(transport="http", url=None), LocalStorage("."), "lin-5")


def test_dataset_names_follow_the_workflow_bucket_uri():
    assert lineage.dataset_address("s3://bucket/executions/x/S/output/d") == ("s3://bucket", "executions/x/S/output/d")
    assert lineage.dataset_address("file:///w/executions/x") == ("file", "/w/executions/x")


def rereads_its_own_output(ctx):
    ctx.write("games", ctx.read("games"))
    ctx.read("games", stage=ctx.current_stage)  # e.g. a correction revalidating what it committed


def test_a_stage_rereading_its_own_output_does_not_list_it_as_an_input(spark, tmp_path):
    stage(spark, tmp_path, JobSpec("games_ingest", ingest), "Ingest", execution="lin-5")
    stage(spark, tmp_path, JobSpec("games_correct", rereads_its_own_output), "Correct", "Ingest", execution="lin-5")
    completed = events(tmp_path, "lin-5")[-1]
    assert [d["name"].split("lin-5/")[1] for d in completed["inputs"]] == ["Ingest/output/games"]
    assert [d["name"].split("lin-5/")[1] for d in completed["outputs"]] == ["Correct/output/games"]
