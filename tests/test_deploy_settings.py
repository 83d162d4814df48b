"""The deployment section of conf: read in one place, unknown keys and bad values refused by file and key."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

import conf
from baton.errors import SettingError
from conf.settings import parse
from orchestration.deploy.settings import from_conf, load


def _raw(env: str) -> dict:
    return copy.deepcopy(json.loads(resources.files("conf").joinpath(f"{env}.json").read_text(encoding="utf-8")))


def _deploy(raw: dict, env: str = "prod"):
    """The deploy settings of ``raw`` read as conf/<env>.json: conf's checks, then the deployment's."""
    return from_conf(parse(raw, env, f"conf/{env}.json"))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_deployable_environment_reads(env):
    settings = load(env)
    assert settings.env == env
    assert settings.workflow_bucket == conf.load(env).workflow_bucket.removeprefix("s3://")
    assert settings.alert_topic_name == f"baton-{env}-alerts"


def test_prod_reads_what_conf_says():
    settings = load("prod")
    assert (settings.account, settings.region, settings.dr.region) == ("111122223333", "us-east-1", "us-west-2")
    assert (settings.glue.worker_type, settings.glue.number_of_workers) == ("G.1X", 10)
    assert settings.executions_retention_days == 7
    assert settings.trigger.schedule == "rate(1 hour)"
    assert settings.artifacts_uri == "s3://baton-prod-artifacts/baton"


def test_dev_runs_a_transient_cluster_prod_an_existing_one():
    assert (load("dev").emr_mode, load("prod").emr_mode) == ("transient", "existing")
    assert load("dev").deployment.emr_cluster.serviceRole == "baton-dev-emr-service"


def test_an_unknown_cluster_key_is_refused():
    raw = _raw("dev")
    raw["emr"]["cluster"]["coreNodes"] = 2
    with pytest.raises(SettingError, match=r"setting emr.cluster.coreNodes in conf/dev.json: unknown key"):
        _deploy(raw, "dev")


def test_local_cannot_be_deployed():
    with pytest.raises(SettingError, match=r"setting deployment in conf/local.json: missing"):
        load("local")


@pytest.mark.parametrize(("path", "value", "message"), [
    (("deployment", "acount"), "1", r"setting deployment.acount in conf/prod.json: unknown key"),
    (("deployment", "glue", "workers"), 2, r"setting deployment.glue.workers in conf/prod.json: unknown key"),
    (("deployment", "account"), "12",
     r"setting deployment.account in conf/prod.json: expected a 12-digit AWS account id"),
    (("deployment", "glue", "workerType"), "G.3X",
     r"setting deployment.glue.workerType in conf/prod.json: must be one of"),
    (("deployment", "logRetentionDays"), 10, r"setting deployment.logRetentionDays in conf/prod.json: must be one of"),
    (("deployment", "executionsRetentionDays"), 0,
     r"setting deployment.executionsRetentionDays in conf/prod.json: must be a positive"),
    (("deployment", "trigger", "schedule"), "every hour",
     r"setting deployment.trigger.schedule in conf/prod.json: expected rate"),
    (("deployment", "dr", "region"), "us-east-1", r"setting deployment.dr.region in conf/prod.json: must differ"),
    (("deployment", "dr", "emrClusterId"), "",
     r"setting deployment.dr.emrClusterId in conf/prod.json: missing: emr.mode is existing"),
    (("deployment", "dr", "workflowBucket"), "baton-dr",
     r"setting deployment.dr.workflowBucket in conf/prod.json: must be an s3://"),
    (("emr", "mode"), "serverless", r"setting emr.mode in conf/prod.json: must be existing or transient"),
    (("emr", "mode"), "transient", r"setting emr.cluster in conf/prod.json: missing: emr.mode is transient"),
    (("workflowBucket",), "workflow", r"setting workflowBucket in conf/prod.json: must be an s3:// address"),
    (("notifications", "topic"), "arn:aws:sns:eu-west-1:111122223333:baton-prod-alerts",
     r"setting notifications.topic in conf/prod.json: must be the ARN of the topic the stack creates"),
])
def test_a_bad_setting_is_refused_by_file_and_key(path, value, message):
    raw = _raw("prod")
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SettingError, match=message):
        _deploy(raw)


def test_the_dr_settings_point_at_the_replica_and_that_regions_arns():
    dr = load("prod").for_dr()
    assert (dr.region, dr.standby, dr.workflow_bucket) == ("us-west-2", True, "baton-prod-workflow-dr")
    assert dr.deployment.alert_topic == "arn:aws:sns:us-west-2:111122223333:baton-prod-alerts"
    assert dr.deployment.workflow_bucket == "s3://baton-prod-workflow-dr"
    assert dr.emr_cluster_id == dr.deployment.emr_cluster_id == "j-PRODDRCLUSTERID"


def test_an_environment_without_dr_has_no_dr_settings():
    with pytest.raises(SettingError, match=r"setting deployment.dr in conf/dev.json: missing"):
        load("dev").for_dr()
