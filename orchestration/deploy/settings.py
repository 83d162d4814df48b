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
printed one agree by construction. Unknown keys are refused with the file and the key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import conf
from baton.errors import BatonError
from baton.paths import WorkflowBucket
from orchestration.generate import Deployment

GLUE_WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X")
ENCRYPTIONS = ("kms", "s3")
# The values CloudWatch Logs accepts for a log group's retention (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SettingsError(BatonError):
    """A deployment setting is missing, unknown or invalid; names the file and the key."""

    def __init__(self, env: str, key: str, problem: str):
        super().__init__(f"conf/{env}.json: {key}: {problem}")
        self.env = env
        self.key = key


@dataclass(frozen=True)
class GlueSettings:
    worker_type: str = "G.1X"
    number_of_workers: int = 2


@dataclass(frozen=True)
class TriggerSettings:
    queue: bool = True
    schedule: str | None = None
    schedule_input: dict[str, Any] | None = None


@dataclass(frozen=True)
class DisasterRecovery:
    """The standby region: its replica workflow bucket, its artifacts bucket, its EMR cluster (existing mode)."""

    region: str
    workflow_bucket: str  # s3:// address
    artifacts: str  # s3:// address
    emr_cluster_id: str | None = None


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
    emr_cluster_id: str
    trigger: TriggerSettings
    dr: DisasterRecovery | None
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
            raise SettingsError(self.env, "deployment.dr", "missing: this environment has no DR region")
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


_TOP = {"account", "region", "namePrefix", "encryption", "executionsRetentionDays", "logRetentionDays", "glue",
        "trigger", "dr"}
_GLUE = {"workerType": "worker_type", "numberOfWorkers": "number_of_workers"}
_TRIGGER = {"queue": "queue", "schedule": "schedule", "scheduleInput": "schedule_input"}


def load(env: str) -> DeploySettings:
    """The deployment settings of ``env``; raises SettingsError naming the file and key."""
    return from_conf(conf.load(env))


def from_conf(settings: dict[str, Any]) -> DeploySettings:
    env = settings["environment"]
    raw = settings.get("deployment")
    if not isinstance(raw, dict):
        raise SettingsError(env, "deployment", "missing: this environment cannot be deployed to AWS")
    _known(env, "deployment", raw, _TOP)
    account = _match(env, "deployment.account", raw.get("account"), _ACCOUNT, "a 12-digit AWS account id")
    region = _match(env, "deployment.region", raw.get("region"), _REGION, "an AWS region such as us-east-1")
    try:
        deployment = Deployment.from_conf(settings)
    except (TypeError, ValueError) as err:  # e.g. emr.mode, or an unknown key of emr.cluster
        raise SettingsError(env, "emr", str(err)) from None
    bucket = _s3(env, "workflowBucket", settings["workflowBucket"])
    artifacts = _s3(env, "artifacts", settings.get("artifacts", ""))
    topic = settings["notifications"]["topic"]
    topic_name = _topic_name(env, topic, region, account)
    dr = _dr(env, raw.get("dr"), region, deployment)
    return DeploySettings(
        env=env, account=account, region=region,
        name_prefix=_match(env, "deployment.namePrefix", raw.get("namePrefix"), _NAME,
                           "1 to 40 characters of [a-z0-9-]"),
        encryption=_choice(env, "deployment.encryption", raw.get("encryption", "kms"), ENCRYPTIONS),
        executions_retention_days=_positive(env, "deployment.executionsRetentionDays",
                                            raw.get("executionsRetentionDays", 7)),
        log_retention_days=_choice(env, "deployment.logRetentionDays", raw.get("logRetentionDays", 90),
                                   LOG_RETENTION_DAYS),
        glue=_glue(env, raw.get("glue", {})),
        emr_mode=deployment.emr_mode, emr_cluster_id=deployment.emr_cluster_id,
        trigger=_trigger(env, raw.get("trigger", {})),
        dr=dr,
        workflow_bucket=bucket.root, artifacts_bucket=artifacts.root, artifacts_prefix=artifacts.prefix,
        alert_topic_name=topic_name, deployment=deployment)


def _known(env: str, key: str, value: Any, allowed: set[str]) -> None:
    if not isinstance(value, dict):
        raise SettingsError(env, key, f"must be a JSON object, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise SettingsError(env, f"{key}.{unknown[0]}", f"unknown key; known keys: {sorted(allowed)}")


def _match(env: str, key: str, value: Any, pattern: re.Pattern[str], expected: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise SettingsError(env, key, f"expected {expected}, got {value!r}")
    return value


def _choice(env: str, key: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise SettingsError(env, key, f"must be one of {list(allowed)}, got {value!r}")
    return value


def _positive(env: str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SettingsError(env, key, f"must be a positive whole number, got {value!r}")
    return value


def _s3(env: str, key: str, value: str) -> WorkflowBucket:
    parsed = WorkflowBucket.parse(value) if value else None
    if parsed is None or not parsed.is_s3:
        raise SettingsError(env, key, f"must be an s3:// address to deploy, got {value!r}")
    return parsed


def _topic_name(env: str, topic: str, region: str, account: str) -> str:
    prefix = f"arn:aws:sns:{region}:{account}:"
    if not topic.startswith(prefix) or not _NAME.match(topic[len(prefix):]):
        raise SettingsError(env, "notifications.topic",
                            f"must be the ARN of the topic the stack creates, {prefix}<name>, got {topic!r}")
    return topic[len(prefix):]


def _dr(env: str, raw: dict[str, Any] | None, region: str, deployment: Deployment) -> DisasterRecovery | None:
    if raw is None:
        return None
    _known(env, "deployment.dr", raw, {"region", "workflowBucket", "artifacts", "emrClusterId"})
    _match(env, "deployment.dr.region", raw.get("region"), _REGION, "an AWS region such as us-west-2")
    if raw["region"] == region:
        raise SettingsError(env, "deployment.dr.region", f"must differ from deployment.region ({region})")
    for key in ("workflowBucket", "artifacts"):
        _s3(env, f"deployment.dr.{key}", raw.get(key, ""))
    if deployment.emr_mode == "existing" and not raw.get("emrClusterId"):
        raise SettingsError(env, "deployment.dr.emrClusterId", "missing: emr.mode is existing, so the DR region "
                                                               "needs its own cluster")
    return DisasterRecovery(raw["region"], raw["workflowBucket"], raw["artifacts"], raw.get("emrClusterId"))


def _glue(env: str, raw: dict[str, Any]) -> GlueSettings:
    _known(env, "deployment.glue", raw, set(_GLUE))
    values = {_GLUE[k]: v for k, v in raw.items()}
    glue = GlueSettings(**values)
    _choice(env, "deployment.glue.workerType", glue.worker_type, GLUE_WORKER_TYPES)
    _positive(env, "deployment.glue.numberOfWorkers", glue.number_of_workers)
    return glue


def _trigger(env: str, raw: dict[str, Any]) -> TriggerSettings:
    _known(env, "deployment.trigger", raw, set(_TRIGGER))
    trigger = TriggerSettings(**{_TRIGGER[k]: v for k, v in raw.items()})
    if trigger.schedule is not None and not _SCHEDULE.match(trigger.schedule):
        raise SettingsError(env, "deployment.trigger.schedule",
                            f"expected rate(N minutes|hours|days) or cron(...), got {trigger.schedule!r}")
    if trigger.schedule_input is not None and not isinstance(trigger.schedule_input, dict):
        raise SettingsError(env, "deployment.trigger.scheduleInput", "must be a JSON object")
    return trigger

