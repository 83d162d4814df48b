"""The deployment section of ``conf/<env>.json``, read and checked in one place.

    "deployment": {
      "account": "111122223333", "region": "us-east-1", "namePrefix": "baton-prod",
      "encryption": "kms",                      # the workflow bucket: "kms" (the stack's key) or "s3" (S3-managed)
      "executionsRetentionDays": 7,             # executions/ and its noncurrent versions expire; warehouse/ is kept
      "logRetentionDays": 90,
      "glue": {"workerType": "G.1X", "numberOfWorkers": 10},
      "trigger": {"queue": true, "schedule": "rate(1 hour)", "scheduleInput": {"initialData": {}}},
      "dr": {"region": "us-west-2",             # optional: a standby copy of the environment in that region
             "workflowBucket": "s3://baton-prod-workflow-dr", "artifacts": "s3://baton-prod-artifacts-dr/baton",
             "emrClusterId": "j-..."}           # existing EMR mode: the standby region's cluster
    }

The rest of what a stack names comes from the keys ``baton asl`` reads (``workflowBucket``,
``artifacts``, ``notifications.topic``, ``emr``: ``mode`` existing with a ``clusterId``, or transient
with the ``cluster`` the definition creates, whose roles the stack creates), so the deployed definition and the
printed one agree by construction. ``conf.load`` refuses unknown, missing and mistyped keys; this module
checks the values a deployment needs, and names the file and the key of a bad one.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import conf
from baton.errors import SettingError
from baton.paths import WorkflowBucket
from conf.settings import DrSettings, GlueSettings, Settings, TriggerSettings
from orchestration.deployment import Deployment

GLUE_WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X")
ENCRYPTIONS = ("kms", "s3")
# The values CloudWatch Logs accepts for a log group's retention (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class DeploySettings:
    """Everything a stack of one environment is built from."""

    env: str
    account: str
    region: str
    name_prefix: str
    encryption: str
    executions_retention_days: int
    log_retention_days: int
    glue: GlueSettings
    emr_mode: str
    emr_cluster_id: str | None  # None: a transient cluster (emr.mode), created by the definition
    trigger: TriggerSettings
    dr: DrSettings | None
    workflow_bucket: str  # bucket name
    artifacts_bucket: str
    artifacts_prefix: str
    alert_topic_name: str
    deployment: Deployment  # what ``baton asl`` generates the definition with
    standby: bool = False  # the DR region's copy (``for_dr``): its triggers are created disabled

    @property
    def artifacts_uri(self) -> str:
        return f"s3://{self.artifacts_bucket}/{self.artifacts_prefix}".rstrip("/")

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:aws:{service}:{region or self.region}:{self.account}:{resource}"

    def for_dr(self) -> DeploySettings:
        """The same environment in the DR region, pointing at the replica bucket and that region's ARNs."""
        if self.dr is None:
            raise _error(self.env, "deployment.dr", "missing: this environment has no DR region")
        dr = self.dr
        topic = f"arn:aws:sns:{dr.region}:{self.account}:{self.alert_topic_name}"
        deployment = dataclasses.replace(
            self.deployment, workflow_bucket=dr.workflow_bucket, artifacts=dr.artifacts, alert_topic=topic,
            emr_cluster_id=dr.emr_cluster_id or self.deployment.emr_cluster_id)
        bucket, artifacts = WorkflowBucket.parse(dr.workflow_bucket), WorkflowBucket.parse(dr.artifacts)
        return dataclasses.replace(
            self, region=dr.region, name_prefix=f"{self.name_prefix}-dr", dr=None, standby=True,
            emr_cluster_id=deployment.emr_cluster_id, workflow_bucket=bucket.root,
            artifacts_bucket=artifacts.root, artifacts_prefix=artifacts.prefix, deployment=deployment)


def load(env: str) -> DeploySettings:
    """The deployment settings of ``env``; raises SettingError naming the file and key."""
    return from_conf(conf.load(env))


def from_conf(settings: Settings) -> DeploySettings:
    """``settings`` checked for a deployment: its deployment section, s3:// addresses, the stack's topic."""
    env = settings.environment
    raw = settings.deployment
    if raw is None:
        raise settings.error("deployment", "missing: this environment cannot be deployed to AWS")
    _match(env, "deployment.account", raw.account, _ACCOUNT, "a 12-digit AWS account id")
    _match(env, "deployment.region", raw.region, _REGION, "an AWS region such as us-east-1")
    deployment = Deployment.from_settings(settings)
    bucket = _s3(env, "workflowBucket", settings.workflow_bucket)
    artifacts = _s3(env, "artifacts", settings.artifacts)
    topic_name = _topic_name(env, settings.notifications.topic, raw.region, raw.account)
    _dr(env, raw.dr, raw.region, deployment)
    _match(env, "deployment.namePrefix", raw.name_prefix, _NAME, "1 to 40 characters of [a-z0-9-]")
    _choice(env, "deployment.encryption", raw.encryption, ENCRYPTIONS)
    _positive(env, "deployment.executionsRetentionDays", raw.executions_retention_days)
    _choice(env, "deployment.logRetentionDays", raw.log_retention_days, LOG_RETENTION_DAYS)
    _choice(env, "deployment.glue.workerType", raw.glue.worker_type, GLUE_WORKER_TYPES)
    _positive(env, "deployment.glue.numberOfWorkers", raw.glue.number_of_workers)
    _trigger(env, raw.trigger)
    return DeploySettings(
        env=env, account=raw.account, region=raw.region, name_prefix=raw.name_prefix, encryption=raw.encryption,
        executions_retention_days=raw.executions_retention_days, log_retention_days=raw.log_retention_days,
        glue=raw.glue, emr_mode=deployment.emr_mode, emr_cluster_id=deployment.emr_cluster_id,
        trigger=raw.trigger, dr=raw.dr,
        workflow_bucket=bucket.root, artifacts_bucket=artifacts.root, artifacts_prefix=artifacts.prefix,
        alert_topic_name=topic_name, deployment=deployment)


def _error(env: str, key: str, problem: str) -> SettingError:
    return SettingError(problem, setting=key, conf_file=f"conf/{env}.json")


def _match(env: str, key: str, value: Any, pattern: re.Pattern[str], expected: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise _error(env, key, f"expected {expected}, got {value!r}")
    return value


def _choice(env: str, key: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise _error(env, key, f"must be one of {list(allowed)}, got {value!r}")
    return value


def _positive(env: str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _error(env, key, f"must be a positive whole number, got {value!r}")
    return value


def _s3(env: str, key: str, value: str) -> WorkflowBucket:
    parsed = WorkflowBucket.parse(value) if value else None
    if parsed is None or not parsed.is_s3:
        raise _error(env, key, f"must be an s3:// address to deploy, got {value!r}")
    return parsed


def _topic_name(env: str, topic: str, region: str, account: str) -> str:
    prefix = f"arn:aws:sns:{region}:{account}:"
    if not topic.startswith(prefix) or not _NAME.match(topic[len(prefix):]):
        raise _error(env, "notifications.topic",
                     f"must be the ARN of the topic the stack creates, {prefix}<name>, got {topic!r}")
    return topic[len(prefix):]


def _dr(env: str, dr: DrSettings | None, region: str, deployment: Deployment) -> None:
    if dr is None:
        return
    _match(env, "deployment.dr.region", dr.region, _REGION, "an AWS region such as us-west-2")
    if dr.region == region:
        raise _error(env, "deployment.dr.region", f"must differ from deployment.region ({region})")
    _s3(env, "deployment.dr.workflowBucket", dr.workflow_bucket)
    _s3(env, "deployment.dr.artifacts", dr.artifacts)
    if deployment.emr_mode == "existing" and not dr.emr_cluster_id:
        raise _error(env, "deployment.dr.emrClusterId", "missing: emr.mode is existing, so the DR region "
                                                        "needs its own cluster")


def _trigger(env: str, trigger: TriggerSettings) -> None:
    if trigger.schedule is not None and not _SCHEDULE.match(trigger.schedule):
        raise _error(env, "deployment.trigger.schedule",
                     f"expected rate(N minutes|hours|days) or cron(...), got {trigger.schedule!r}")
