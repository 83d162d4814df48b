"""The resources every pipeline of an environment shares: key, buckets, code, alert topic."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_sns as sns
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from orchestration.deploy.settings import DeploySettings

# Services that write or read data encrypted with the environment's key (KMS key policy).
_KEY_USERS = ("events.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com")


class SharedStack(cdk.Stack):
    """Key, workflow bucket (executions/ and the warehouse), artifacts bucket with the code, alert topic."""

    def __init__(self, scope: Construct, construct_id: str, settings: DeploySettings, code_dir: Path,
                 **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.key = self._key()
        self.access_logs = self._access_logs_bucket()
        self.workflow_bucket = self._workflow_bucket()
        if settings.dr is not None:
            self._replicate_to_dr()
        self.artifacts_bucket = self._artifacts_bucket(code_dir)
        self.alert_topic = sns.Topic(self, "AlertTopic", topic_name=settings.alert_topic_name,
                                     display_name=f"Baton {settings.env} alerts", master_key=self.key,
                                     enforce_ssl=True)
        # CloudWatch alarms publish as the service: the topic's own policy must let it (EventBridge rules get
        # theirs from their SnsTopic targets; the state machine publishes with its role).
        self.alert_topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AlarmsPublish", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"], resources=[self.alert_topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": settings.account}}))

    def _key(self) -> kms.Key:
        s = self.settings
        key = kms.Key(self, "Key", alias=f"alias/{s.name_prefix}", enable_key_rotation=True,
                      description=f"Baton {s.env}: topics, queues, logs, Glue security configuration",
                      removal_policy=cdk.RemovalPolicy.RETAIN)
        # In a key policy the resource "*" means this key (KMS key policy documentation).
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{s.region}.amazonaws.com")],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                     "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": s.arn("logs", "log-group:*")}}))
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(service) for service in _KEY_USERS],
            actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": s.account}}))
        return key

    def _access_logs_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(self, "AccessLogs", bucket_name=f"{self.settings.name_prefix}-access-logs",
                           block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                           encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
                           object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                           lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365),
                                                             noncurrent_version_expiration=cdk.Duration.days(30))],
                           removal_policy=cdk.RemovalPolicy.RETAIN)
        NagSuppressions.add_resource_suppressions(bucket, [NagPackSuppression(
            id="AwsSolutions-S1", reason="This is the server access log bucket of the others; logging it "
                                         "into itself would loop.")])
        return bucket

    def _encryption(self) -> dict:
        if self.settings.encryption == "kms":
            return {"encryption": s3.BucketEncryption.KMS, "encryption_key": self.key, "bucket_key_enabled": True}
        return {"encryption": s3.BucketEncryption.S3_MANAGED}

    def _workflow_bucket(self) -> s3.Bucket:
        s = self.settings
        executions = s3.LifecycleRule(
            id="ExpireExecutions", prefix="executions/",
            expiration=cdk.Duration.days(s.executions_retention_days),
            noncurrent_version_expiration=cdk.Duration.days(s.executions_retention_days),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(1))
        return s3.Bucket(self, "WorkflowBucket", bucket_name=s.workflow_bucket,
                         block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
                         object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                         lifecycle_rules=[executions], server_access_logs_bucket=self.access_logs,
                         server_access_logs_prefix="workflow/", removal_policy=cdk.RemovalPolicy.RETAIN,
                         **self._encryption())

    def _replicate_to_dr(self) -> None:
        """S3 replication of executions/ and the warehouse to the DR region's replica (same names there)."""
        s = self.settings
        dr = s.for_dr()
        replica = f"arn:aws:s3:::{dr.workflow_bucket}"
        prefixes = ["executions/", f"{s.deployment.warehouse}/"]
        source = self.workflow_bucket
        role = iam.Role(self, "ReplicationRole", assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
                        description=f"Replicates {s.workflow_bucket} executions and warehouse to {dr.region}")
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                                               resources=[source.bucket_arn]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            resources=[source.arn_for_objects(f"{prefix}*") for prefix in prefixes]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            resources=[f"{replica}/{prefix}*" for prefix in prefixes]))
        encrypted = s.encryption == "kms"
        replica_key = f"arn:aws:kms:{dr.region}:{s.account}:alias/{dr.name_prefix}"
        if encrypted:
            role.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key.key_arn]))
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:Encrypt"], resources=[f"arn:aws:kms:{dr.region}:{s.account}:key/*"],
                conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{dr.name_prefix}"}}))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Replication reads and writes every object version under the replicated prefixes; the DR key "
                   "is named by its alias (a key ARN of another region cannot be referenced), limited by it.",
            applies_to=[RegexAppliesTo(regex="/^Resource::.*\\*$/")])], apply_to_children=True)
        rule = s3.CfnBucket.ReplicationRuleProperty
        cfn = source.node.default_child
        cfn.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(role=role.role_arn, rules=[
            rule(id=f"ToDr{index}", priority=index, status="Enabled",
                 filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=prefix),
                 delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Enabled"),
                 source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                     sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(status="Enabled"))
                 if encrypted else None,
                 destination=s3.CfnBucket.ReplicationDestinationProperty(
                     bucket=replica, encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                         replica_kms_key_id=replica_key) if encrypted else None))
            for index, prefix in enumerate(prefixes, start=1)])

    def _artifacts_bucket(self, code_dir: Path) -> s3.Bucket:
        s = self.settings
        bucket = s3.Bucket(self, "ArtifactsBucket", bucket_name=s.artifacts_bucket,
                           block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True, versioned=True,
                           object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                           server_access_logs_bucket=self.access_logs, server_access_logs_prefix="artifacts/",
                           removal_policy=cdk.RemovalPolicy.RETAIN, **self._encryption())
        deployment = s3deploy.BucketDeployment(
            self, "Code", sources=[s3deploy.Source.asset(str(code_dir))], destination_bucket=bucket,
            destination_key_prefix=s.artifacts_prefix or None, prune=False, retain_on_delete=True)
        NagSuppressions.add_stack_suppressions(self, [
            NagPackSuppression(id="AwsSolutions-L1", reason="The runtime of CDK's BucketDeployment handler is "
                                                            "chosen by aws-cdk-lib, not by this app."),
            NagPackSuppression(id="AwsSolutions-IAM4", reason="CDK's BucketDeployment handler role uses "
                                                              "AWSLambdaBasicExecutionRole to write its own logs.",
                               applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                                           "AWSLambdaBasicExecutionRole"]),
            NagPackSuppression(id="AwsSolutions-IAM5", reason="CDK's BucketDeployment handler copies every "
                                                              "object of its asset into the artifacts bucket: "
                                                              "object-level actions on those two buckets.",
                               applies_to=["Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
                                           "Action::s3:DeleteObject*", "Action::s3:Abort*",
                                           "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*",
                                           RegexAppliesTo(regex="/^Resource::<ArtifactsBucket[0-9A-F]+.Arn>/\\*$/"),
                                           "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
                                           f"{s.account}-{s.region}/*"]),
        ])
        self.code_deployment = deployment
        return bucket
