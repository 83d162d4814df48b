"""What an execution costs: per-stage lines from the history, Glue's minimum billing, a table that adds up."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

import conf
from baton.errors import SettingError
from orchestration import cli
from orchestration.views import cost

PROD = cost.CostSettings.from_settings(conf.load("prod"))


class Events:
    """A Step Functions-shaped history, event by event, each caused by the one before."""

    def __init__(self):
        self.events, self.second = [], 0

    def add(self, kind, seconds=0, **details):
        self.second += seconds
        event = {"id": len(self.events) + 1, "previousEventId": len(self.events),
                 "timestamp": f"2026-12-05T10:{self.second // 60:02d}:{self.second % 60:02d}.000Z", "type": kind}
        if details:
            key = "stateEnteredEventDetails" if kind.endswith("StateEntered") else \
                kind[0].lower() + kind[1:] + "EventDetails"
            event[key] = details
        self.events.append(event)

    def task(self, name, resource_type, *attempts):
        self.add("TaskStateEntered", name=name)
        for seconds, ok in attempts:
            self.add("TaskScheduled", resourceType=resource_type, resource="startJobRun.sync")
            self.add("TaskStarted", resourceType=resource_type)
            self.add("TaskSucceeded" if ok else "TaskFailed", seconds, resourceType=resource_type)
        self.add("TaskStateExited", name=name)


def history():
    events = Events()
    events.add("ExecutionStarted")
    events.add("ChoiceStateEntered", name="ResumeOrStart")
    events.task("Conform", "glue", (10, False), (130, True))  # a retry: two billed attempts
    events.task("Validate", "elasticmapreduce", (300, True))
    events.task("ReadVerdict", "aws-sdk:s3", (1, True))
    events.add("SucceedStateEntered", name="Done")
    events.add("ExecutionSucceeded")
    return events.events


def test_each_stage_is_billed_by_its_engine_and_glue_bills_a_minute_at_least():
    table = cost.execution_cost(history(), [cost.Dataset("k", 2 * 1024 ** 3, 10)], PROD, "test")
    lines = {line.item: line for line in table.lines}
    assert list(lines) == ["Conform", "Validate", "state transitions", "requests", "storage"]
    glue = lines["Conform"]
    assert (glue.attempts, glue.seconds) == (2, 140)
    # 10 G.1X workers x (60 s minimum + 130 s) x $0.44 per DPU-hour
    assert glue.cost == (Decimal(10) * Decimal(190) / 3600 * Decimal("0.44")).quantize(Decimal("0.0001"))
    # 3 m5.xlarge x 300 s x ($0.192 EC2 + $0.048 EMR)
    assert lines["Validate"].cost == Decimal("0.0600")
    # 5 states entered + 1 retry, at $0.025 per 1,000
    assert lines["state transitions"].quantity == "6 transitions"
    assert lines["storage"].cost == Decimal("0.0460")  # 2 GB x 30 days x $0.023 per GB-month


def test_the_printed_table_adds_up():
    table = cost.execution_cost(history(), [cost.Dataset("k", 123456789, 37)], PROD, "test")
    rows = [line.split() for line in cost.render(table).splitlines()[4:]]
    items, total = rows[:-1], rows[-1]
    assert total[0] == "total"
    assert sum(Decimal(row[-1]) for row in items) == Decimal(total[-1]) == table.total > 0


def test_a_missing_price_is_named():
    settings = conf.load("prod")
    settings = replace(settings, cost=replace(settings.cost, emr=replace(settings.cost.emr, ec2_hour={})))
    with pytest.raises(SettingError, match=r"setting cost\.emr in conf/prod\.json: no ec2Hour or emrHour price "
                                           r"for 'm5\.xlarge'"):
        cost.CostSettings.from_settings(settings)


def test_an_environment_without_prices_is_named():
    with pytest.raises(SettingError, match=r"setting cost in conf/local\.json: missing"):
        cost.CostSettings.from_settings(conf.load("local"))


def test_a_transient_clusters_shape_is_its_primary_and_core_instances():
    settings = conf.load("dev")
    cluster = replace(settings.emr.cluster, instance_type="m5.xlarge", core_instances=4)
    priced = cost.CostSettings.from_settings(replace(settings, emr=replace(settings.emr, cluster=cluster)))
    assert (priced.emr_instance_type, priced.emr_instances) == ("m5.xlarge", 5)


def test_glue_workers_come_from_the_deployment_section():
    settings = conf.load("prod")
    glue = replace(settings.deployment.glue, number_of_workers=4, worker_type="G.2X")
    priced = cost.CostSettings.from_settings(replace(settings, deployment=replace(settings.deployment, glue=glue)))
    assert priced.glue_workers * priced.glue_dpu_per_worker == 8


def stored_execution(bucket, execution_id="flights-1"):
    root = bucket / "executions" / execution_id
    (root / "Conform" / "output" / "flights").mkdir(parents=True)
    (root / "_history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in history()))
    (root / "_execution.json").write_text(json.dumps({"executionId": execution_id, "pipeline": "flights",
                                                      "status": "SUCCEEDED", "startDate": "2026-12-05T10:00:00Z"}))
    dataset = root / "Conform" / "output" / "flights"
    (dataset / "part-0.parquet").write_bytes(b"x" * 1000)
    (dataset / "_manifest.json").write_text(json.dumps({"rows": 3, "bytes": 1000}))
    (dataset / "_SUCCESS").write_text("{}")


def test_baton_cost_prices_a_local_run_with_prod_settings_and_labels_it(tmp_path, capsys):
    stored_execution(tmp_path)
    assert cli.main(["--workflow-bucket", str(tmp_path), "cost", "flights-1", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert cost.LOCAL_LABEL in printed["label"] and printed["region"] == "us-east-1"
    assert sum(Decimal(line["cost"]) for line in printed["lines"]) == Decimal(printed["total"])
    requests = next(line for line in printed["lines"] if line["item"] == "requests")
    assert requests["billed"] == "6 PUT/COPY, 3 GET"


def test_baton_cost_of_a_pipeline_is_a_monthly_estimate(tmp_path, capsys):
    stored_execution(tmp_path)
    assert cli.main(["--workflow-bucket", str(tmp_path), "cost", "flights", "--runs-per-day", "4"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("monthly estimate: 4 runs a day x 30 days, each like flights-1")
    one = cost.execution_cost(history(), [cost.Dataset("k", 1000, 3)], PROD, "one")
    assert Decimal(text.splitlines()[-1].split()[-1]) == sum(
        (line.cost * 120).quantize(Decimal("0.0001")) for line in one.lines)


def test_baton_cost_of_a_pipeline_needs_runs_per_day(tmp_path, capsys):
    assert cli.main(["--workflow-bucket", str(tmp_path), "cost", "flights"]) == 2
    assert "--runs-per-day" in capsys.readouterr().err
