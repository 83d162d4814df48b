"""The deployment section of conf: read in one place, unknown keys and bad values refused by file and key."""

from __future__ import annotations

import copy

import pytest

import conf
from orchestration.deploy.settings import SettingsError, from_conf, load


def _prod() -> dict:
    return copy.deepcopy(conf.load("prod"))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_deployable_environment_reads(env):
    settings = load(env)
    assert settings.env == env
    assert settings.workflow_bucket == conf.load(env)["workflowBucket"].removeprefix("s3://")
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
    settings = copy.deepcopy(conf.load("dev"))
    settings["emr"]["cluster"]["coreNodes"] = 2
    with pytest.raises(SettingsError, match=r"conf/dev.json: emr: .*coreNodes"):
        from_conf(settings)


def test_local_cannot_be_deployed():
    with pytest.raises(SettingsError, match=r"conf/local.json: deployment: missing"):
        load("local")


@pytest.mark.parametrize(("path", "value", "message"), [
    (("deployment", "acount"), "1", r"conf/prod.json: deployment.acount: unknown key"),
    (("deployment", "glue", "workers"), 2, r"conf/prod.json: deployment.glue.workers: unknown key"),
    (("deployment", "account"), "12", r"deployment.account: expected a 12-digit AWS account id"),
    (("deployment", "glue", "workerType"), "G.3X", r"deployment.glue.workerType: must be one of"),
    (("deployment", "logRetentionDays"), 10, r"deployment.logRetentionDays: must be one of"),
    (("deployment", "executionsRetentionDays"), 0, r"deployment.executionsRetentionDays: must be a positive"),
    (("deployment", "trigger", "schedule"), "every hour", r"deployment.trigger.schedule: expected rate"),
    (("deployment", "dr", "region"), "us-east-1", r"deployment.dr.region: must differ"),
    (("deployment", "dr", "emrClusterId"), "", r"deployment.dr.emrClusterId: missing: emr.mode is existing"),
    (("deployment", "dr", "workflowBucket"), "baton-dr", r"deployment.dr.workflowBucket: must be an s3://"),
    (("emr", "mode"), "serverless", r"conf/prod.json: emr: emr.mode must be one of"),
    (("emr", "mode"), "transient", r"conf/prod.json: emr: emr.mode transient needs emr.cluster"),
    (("workflowBucket",), "workflow", r"conf/prod.json: workflowBucket: must be an s3:// address"),
    (("notifications", "topic"), "arn:aws:sns:eu-west-1:111122223333:baton-prod-alerts",
     r"notifications.topic: must be the ARN of the topic the stack creates"),
])
def test_a_bad_setting_is_refused_by_file_and_key(path, value, message):
    settings = _prod()
    target = settings
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SettingsError, match=message):
        from_conf(settings)


def test_the_dr_settings_point_at_the_replica_and_that_regions_arns():
    dr = load("prod").for_dr()
    assert (dr.region, dr.standby, dr.workflow_bucket) == ("us-west-2", True, "baton-prod-workflow-dr")
    assert dr.deployment.alert_topic == "arn:aws:sns:us-west-2:111122223333:baton-prod-alerts"
    assert dr.deployment.workflow_bucket == "s3://baton-prod-workflow-dr"
    assert dr.emr_cluster_id == dr.deployment.emr_cluster_id == "j-PRODDRCLUSTERID"


def test_an_environment_without_dr_has_no_dr_settings():
    with pytest.raises(SettingsError, match=r"conf/dev.json: deployment.dr: missing"):
        load("dev").for_dr()
