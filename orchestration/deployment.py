"""Where a generated definition points: the environment's settings as deployment facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baton.errors import SettingError
from baton.paths import WorkflowBucket, validate_warehouse
from conf.settings import Settings

EMR_MODES = ("existing", "transient")


@dataclass(frozen=True)
class TransientCluster:
    """The cluster a transient-mode definition creates (conf ``emr.cluster``; names of roles the stack creates)."""

    releaseLabel: str  # noqa: N815 (conf's own key names)
    instanceType: str  # noqa: N815
    coreInstances: int  # noqa: N815
    serviceRole: str  # noqa: N815
    instanceProfile: str  # noqa: N815
    logUri: str  # noqa: N815

    def create_parameters(self, pipeline: str) -> dict[str, Any]:
        """The createCluster request (RunJobFlow's shape; Step Functions requires KeepJobFlowAliveWhenNoSteps)."""
        return {
            "Name.$": f"States.Format('baton-{pipeline}-{{}}', $.execution.id)",
            "ReleaseLabel": self.releaseLabel, "Applications": [{"Name": "Spark"}],
            "ServiceRole": self.serviceRole, "JobFlowRole": self.instanceProfile, "LogUri": self.logUri,
            "VisibleToAllUsers": True, "Tags": [{"Key": "baton:pipeline", "Value": pipeline}],
            "Instances": {"KeepJobFlowAliveWhenNoSteps": True, "InstanceGroups": [
                {"Name": "Primary", "InstanceRole": "MASTER", "InstanceType": self.instanceType, "InstanceCount": 1},
                {"Name": "Core", "InstanceRole": "CORE", "InstanceType": self.instanceType,
                 "InstanceCount": self.coreInstances}]}}


@dataclass(frozen=True)
class Deployment:
    """Where a definition points: bucket, warehouse, EMR cluster, alert topic, uploaded code."""

    workflow_bucket: str
    emr_cluster_id: str | None  # emr.mode existing: the cluster the steps run on
    alert_topic: str
    artifacts: str
    warehouse: str  # the prefix of the workflow bucket the loads write to
    emr_mode: str  # "transient": the definition creates and terminates its own cluster
    emr_cluster: TransientCluster | None

    def __post_init__(self) -> None:
        if self.emr_mode not in EMR_MODES:
            raise SettingError(f"must be one of {EMR_MODES}, got {self.emr_mode!r}", setting="emr.mode")
        if self.emr_mode == "existing" and self.emr_cluster_id is None:
            raise SettingError("emr.mode existing needs the cluster id", setting="emr.clusterId")
        if self.emr_mode == "transient" and self.emr_cluster is None:
            raise SettingError("emr.mode transient needs the cluster (releaseLabel, instanceType, ...)",
                               setting="emr.cluster")

    @classmethod
    def from_settings(cls, settings: Settings, workflow_bucket: str | None = None) -> Deployment:
        """The environment's deployment; ``workflow_bucket`` (``--workflow-bucket``) replaces its bucket."""
        cluster = settings.emr.cluster
        return cls(workflow_bucket=workflow_bucket or settings.workflow_bucket,
                   warehouse=validate_warehouse(settings.warehouse),
                   emr_cluster_id=settings.emr.cluster_id, emr_mode=settings.emr.mode,
                   emr_cluster=None if cluster is None else TransientCluster(
                       releaseLabel=cluster.release_label, instanceType=cluster.instance_type,
                       coreInstances=cluster.core_instances, serviceRole=cluster.service_role,
                       instanceProfile=cluster.instance_profile, logUri=cluster.log_uri),
                   alert_topic=settings.notifications.topic, artifacts=settings.artifacts)

    @property
    def bucket(self) -> WorkflowBucket:
        return WorkflowBucket.parse(self.workflow_bucket)
