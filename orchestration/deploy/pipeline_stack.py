"""One pipeline of one environment on AWS: Glue jobs, state machine, alerts, monitoring, trigger."""

from __future__ import annotations

import dataclasses
import json
import math

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from baton.paths import WorkflowBucket
from orchestration.deploy.settings import DeploySettings
from orchestration.deploy.shared import SharedStack
from orchestration.generate import generate, to_json
from orchestration.pipeline import Job, Pipeline

# Glue ships neither great-expectations nor openlineage-python (the stage runtime's lineage events): Glue
# installs them with pip at job start (--additional-python-modules), pinned as in requirements.lock.
GLUE_PYTHON_MODULES = ("great-expectations==1.24.1", "openlineage-python==1.54.0")
GLUE_VERSION = "6.0"  # Spark 4.1.1, Python 3.13, Java 17: the runtime matching the pinned pyspark 4.1
ALERT_TOPIC_ARN = "AlertTopicArn"  # the definition substitution that replaces conf's topic ARN
FAILED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"]


@dataclasses.dataclass(frozen=True)
class GlueJobSpec:
    job: Job
    timeout_seconds: int
    concurrent_runs: int


def glue_jobs(pipeline: Pipeline) -> list[GlueJobSpec]:
    """Every job of ``pipeline`` that runs on Glue, with the timeout of its stage."""
    specs = []
    extraction = pipeline.extraction
    if extraction.engine == "glue":
        specs += [GlueJobSpec(job, extraction.timeout_seconds, len(extraction.sources))
                  for job in extraction.jobs_by_format.values()]
    specs += [GlueJobSpec(stage.job, stage.timeout_seconds, 1) for stage in pipeline.all_stages()
              if stage.engine == "glue"]
    return specs


def deployed_definition(pipeline: Pipeline, settings: DeploySettings) -> str:
    """``baton asl`` for this environment, with the alert topic ARN left for the stack to substitute."""
    deployment = dataclasses.replace(settings.deployment, alert_topic="${" + ALERT_TOPIC_ARN + "}")
    return to_json(generate(pipeline, deployment))


class PipelineStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, pipeline: Pipeline, settings: DeploySettings,
                 shared: SharedStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.pipeline = pipeline
        self.settings = settings
        self.shared = shared
        self.name = f"{settings.name_prefix}-{pipeline.name}"
        self.jobs = glue_jobs(pipeline)
        self.glue_role = self._glue_role()
        self.emr_roles = self._emr_roles() if self._uses_emr() and settings.emr_mode == "transient" else []
        security = self._glue_security_configuration()
        for spec in self.jobs:
            self._glue_job(spec, security)
        self.state_machine = self._state_machine()
        self.dlq: sqs.Queue | None = None
        if settings.trigger.queue:
            self._queue_trigger()
        if settings.trigger.schedule:
            self._schedule()
        self._alerts()
        self._dashboard()

    def _uses_emr(self) -> bool:
        return any(stage.engine == "emr" for stage in self.pipeline.all_stages())

    # -- Glue --------------------------------------------------------------------------------------------
    def _glue_role(self) -> iam.Role:
        role = iam.Role(self, "GlueJobRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
                        description=f"Glue jobs of {self.pipeline.name}: its workflow prefixes, its code, its logs")
        self._job_data_access(role)
        role.add_to_policy(iam.PolicyStatement(
            sid="WriteGlueLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
            resources=[self.settings.arn("logs", "log-group:/aws-glue/*")]))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Stage outputs are keyed by execution id (executions/<id>/...), warehouse tables by "
                   "partition, and Glue names its log groups at run time: prefix wildcards are the narrowest "
                   "grant. cloudwatch:PutMetricData has no resource type (Resource '*'), limited by namespace.",
            applies_to=[RegexAppliesTo(regex="/^Resource::.*\\*$/")])], apply_to_children=True)
        return role

    def _job_data_access(self, role: iam.Role) -> None:
        """What a job reads and writes, on Glue or on a transient cluster: its prefixes, its code, the key."""
        s = self.settings
        workflow = self.shared.workflow_bucket
        warehouse = s.deployment.warehouse
        role.add_to_policy(iam.PolicyStatement(
            sid="ReadWriteStageOutputs",
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=[workflow.arn_for_objects("executions/*"), workflow.arn_for_objects(f"{warehouse}/*")]))
        role.add_to_policy(iam.PolicyStatement(
            sid="ReadRawData", actions=["s3:GetObject"], resources=[workflow.arn_for_objects("raw/*")]))
        role.add_to_policy(iam.PolicyStatement(
            sid="ListOwnPrefixes", actions=["s3:ListBucket"], resources=[workflow.bucket_arn],
            conditions={"StringLike": {"s3:prefix": ["executions/*", f"{warehouse}/*", "raw/*"]}}))
        role.add_to_policy(iam.PolicyStatement(
            sid="ReadCode", actions=["s3:GetObject"],
            resources=[self.shared.artifacts_bucket.arn_for_objects(f"{s.artifacts_prefix}/*".lstrip("/"))]))
        role.add_to_policy(iam.PolicyStatement(
            sid="UseEnvironmentKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], resources=[self.shared.key.key_arn]))
        role.add_to_policy(iam.PolicyStatement(
            sid="PublishJobMetrics", actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": ["Glue", "Baton"]}}))

    # -- EMR (transient) ---------------------------------------------------------------------------------
    def _emr_roles(self) -> list[iam.Role]:
        """The service role and instance profile the definition's CreateCluster names (conf emr.cluster)."""
        s = self.settings
        cluster = s.deployment.emr_cluster
        service = iam.Role(
            self, "EmrServiceRole", role_name=cluster.serviceRole,
            assumed_by=iam.ServicePrincipal("elasticmapreduce.amazonaws.com"),
            description=f"EMR service role of {self.name}'s transient clusters",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                "service-role/AmazonEMRServicePolicy_v2")])
        NagSuppressions.add_resource_suppressions(service, [NagPackSuppression(
            id="AwsSolutions-IAM4",
            reason="AmazonEMRServicePolicy_v2 is the EMR service role policy AWS documents; it acts only on "
                   "resources tagged for-use-with-amazon-emr-managed-policies.",
            applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"])])
        instance = iam.Role(self, "EmrInstanceRole", role_name=cluster.instanceProfile,
                            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
                            description=f"EC2 instances of {self.name}'s transient clusters: the jobs' data and logs")
        self._job_data_access(instance)
        log_prefix = WorkflowBucket.parse(cluster.logUri)
        instance.add_to_policy(iam.PolicyStatement(
            sid="WriteClusterLogs", actions=["s3:PutObject"],
            resources=["arn:aws:s3:::" + "/".join(p for p in (log_prefix.root, log_prefix.prefix, "*") if p)]))
        NagSuppressions.add_resource_suppressions(instance, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Stage outputs are keyed by execution id and cluster logs by cluster id: prefix wildcards are "
                   "the narrowest grant. cloudwatch:PutMetricData has no resource type, limited by namespace.",
            applies_to=[RegexAppliesTo(regex="/^Resource::.*\\*$/")])], apply_to_children=True)
        iam.CfnInstanceProfile(self, "EmrInstanceProfile", instance_profile_name=cluster.instanceProfile,
                               roles=[instance.role_name])
        return [service, instance]

    def _glue_security_configuration(self) -> glue.CfnSecurityConfiguration:
        key = self.shared.key.key_arn
        s3_encryption = ({"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": key} if self.settings.encryption == "kms"
                         else {"s3EncryptionMode": "SSE-S3"})
        return glue.CfnSecurityConfiguration(
            self, "GlueSecurity", name=self.name,
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key),
                s3_encryptions=[glue.CfnSecurityConfiguration.S3EncryptionProperty(**{
                    "s3_encryption_mode" if k == "s3EncryptionMode" else "kms_key_arn": v
                    for k, v in s3_encryption.items()})]))

    def _glue_job(self, spec: GlueJobSpec, security: glue.CfnSecurityConfiguration) -> glue.CfnJob:
        s = self.settings
        code = s.artifacts_uri
        job = glue.CfnJob(
            self, f"Job-{spec.job.name}", name=spec.job.name, role=self.glue_role.role_arn,
            description=f"Baton {self.pipeline.name}: jobs/{spec.job.module}.py",
            command=glue.CfnJob.JobCommandProperty(name="glueetl", python_version="3",
                                                   script_location=f"{code}/{spec.job.script}"),
            glue_version=GLUE_VERSION, worker_type=s.glue.worker_type, number_of_workers=s.glue.number_of_workers,
            max_retries=0,  # Step Functions retries (one retry layer, DESIGN 8)
            timeout=math.ceil(spec.timeout_seconds / 60),
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=spec.concurrent_runs),
            security_configuration=security.ref,
            default_arguments={
                "--extra-py-files": f"{code}/baton-jobs.zip",
                "--additional-python-modules": ",".join(GLUE_PYTHON_MODULES),
                "--enable-continuous-cloudwatch-log": "true",
                "--enable-metrics": "true",
                "--job-language": "python",
            })
        return job

    # -- state machine -----------------------------------------------------------------------------------
    def _state_machine(self) -> sfn.StateMachine:
        s = self.settings
        log_group = logs.LogGroup(self, "StateMachineLogs", log_group_name=f"/aws/vendedlogs/states/{self.name}",
                                  encryption_key=self.shared.key, removal_policy=cdk.RemovalPolicy.RETAIN)
        # conf holds the number of days (a value CloudWatch Logs accepts, checked in settings).
        log_group.node.default_child.retention_in_days = s.log_retention_days
        role = iam.Role(self, "StateMachineRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                        description=f"State machine {self.name}: its Glue jobs, its EMR cluster, verdicts, alerts")
        for statement in self._state_machine_statements():
            role.add_to_policy(statement)
        machine = sfn.StateMachine(
            self, "StateMachine", state_machine_name=self.name, state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(deployed_definition(self.pipeline, s)),
            definition_substitutions={ALERT_TOPIC_ARN: self.shared.alert_topic.topic_arn},
            role=role, tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True))
        NagSuppressions.add_resource_suppressions(role, [NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Verdict keys carry the execution id (executions/<id>/<stage>/quality/verdict.json). "
                   "CloudWatch Logs delivery and X-Ray actions have no resource type: AWS requires Resource '*' "
                   "(Step Functions developer guide, logging and X-Ray IAM policies). A transient cluster's id "
                   "exists only at run time: cluster/* is limited by the pipeline's tag; the EMR clean-up "
                   "service-linked role path is the one AWS names.",
            applies_to=[RegexAppliesTo(regex="/^Resource::.*/executions/\\*/.*verdict.json$/"), "Resource::*",
                        RegexAppliesTo(regex="/^Resource::arn:aws:elasticmapreduce:.*:cluster/\\*$/"),
                        RegexAppliesTo(regex="/^Resource::arn:aws:iam::.*/AWSServiceRoleForEMRCleanup\\*$/")])],
            apply_to_children=True)
        return machine

    def _state_machine_statements(self) -> list[iam.PolicyStatement]:
        s = self.settings
        pipeline = self.pipeline
        statements = []
        if self.jobs:
            # The .sync Glue integration: start the run, poll it, stop it when the task is cancelled.
            statements.append(iam.PolicyStatement(
                sid="RunOwnGlueJobs",
                actions=["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                resources=[s.arn("glue", f"job/{spec.job.name}") for spec in self.jobs]))
        if self._uses_emr():
            statements += self._emr_statements()
        gated = [stage.name for stage in pipeline.all_stages() if stage.gated]
        if gated:
            statements.append(iam.PolicyStatement(
                sid="ReadVerdicts", actions=["s3:GetObject"],
                resources=[self.shared.workflow_bucket.arn_for_objects(f"executions/*/{name}/quality/verdict.json")
                           for name in gated]))
        statements.append(iam.PolicyStatement(
            sid="PublishAlerts", actions=["sns:Publish"], resources=[self.shared.alert_topic.topic_arn]))
        statements.append(iam.PolicyStatement(
            sid="UseEnvironmentKey", actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[self.shared.key.key_arn]))
        return statements

    def _emr_statements(self) -> list[iam.PolicyStatement]:
        """The addStep.sync actions (and createCluster.sync, terminateCluster.sync in transient mode).

        Step Functions developer guide, "IAM policies for Amazon EMR". A transient cluster's id is known
        only at run time: the actions name any cluster of the account tagged with this pipeline.
        """
        s = self.settings
        steps = ["elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps"]
        if s.emr_mode == "existing":
            return [iam.PolicyStatement(sid="StepsOnOwnCluster", actions=steps,
                                        resources=[s.arn("elasticmapreduce", f"cluster/{s.emr_cluster_id}")])]
        tag = {"elasticmapreduce:ResourceTag/baton:pipeline": self.pipeline.name}
        return [
            # RunJobFlow creates the cluster: no ARN exists yet, AWS requires Resource "*"; the request tag limits it.
            iam.PolicyStatement(sid="CreateOwnCluster", actions=["elasticmapreduce:RunJobFlow"], resources=["*"],
                                conditions={"StringEquals": {
                                    "elasticmapreduce:RequestTag/baton:pipeline": self.pipeline.name}}),
            iam.PolicyStatement(sid="RunAndEndOwnCluster",
                                actions=[*steps, "elasticmapreduce:DescribeCluster",
                                         "elasticmapreduce:TerminateJobFlows"],
                                resources=[s.arn("elasticmapreduce", "cluster/*")],
                                conditions={"StringEquals": tag}),
            iam.PolicyStatement(sid="PassClusterRoles", actions=["iam:PassRole"],
                                resources=[role.role_arn for role in self.emr_roles]),
            # createCluster needs the EMR clean-up service-linked role (developer guide, IAM policies for EMR).
            iam.PolicyStatement(sid="EmrCleanupRole", actions=["iam:CreateServiceLinkedRole"],
                                resources=[f"arn:aws:iam::{s.account}:role/aws-service-role/"
                                           "elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*"],
                                conditions={"StringLike": {"iam:AWSServiceName": "elasticmapreduce.amazonaws.com"}}),
        ]

    # -- trigger -----------------------------------------------------------------------------------------
    def _queue_trigger(self) -> None:
        key = self.shared.key
        self.dlq = sqs.Queue(self, "TriggerDeadLetters", queue_name=f"{self.name}-trigger-dlq",
                             encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
                             retention_period=cdk.Duration.days(14))
        NagSuppressions.add_resource_suppressions(self.dlq, [NagPackSuppression(
            id="AwsSolutions-SQS3", reason="This queue is the dead-letter queue of the trigger queue.")])
        # The pipe starts an execution and lets go (FIRE_AND_FORGET) within seconds; 5 minutes of visibility
        # leaves room for its retries before a message shows again.
        queue = sqs.Queue(self, "TriggerQueue", queue_name=f"{self.name}-trigger",
                          encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
                          visibility_timeout=cdk.Duration.minutes(5),
                          dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=3))
        topic = sns.Topic(self, "TriggerTopic", topic_name=f"{self.name}-trigger", master_key=key,
                          display_name=f"Baton {self.pipeline.name} trigger", enforce_ssl=True)
        topic.add_subscription(subscriptions.SqsSubscription(queue, raw_message_delivery=True))
        role = iam.Role(self, "PipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"),
                        description=f"Pipe of {self.name}: read its trigger queue, start its state machine")
        role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            resources=[queue.queue_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"],
                                               resources=[self.state_machine.state_machine_arn]))
        pipes.CfnPipe(
            self, "TriggerPipe", name=f"{self.name}-trigger", role_arn=role.role_arn,
            desired_state="STOPPED" if self.settings.standby else "RUNNING",
            source=queue.queue_arn, target=self.state_machine.state_machine_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(batch_size=1)),
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template='{"initialData": <$.body>}',
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type="FIRE_AND_FORGET")))

    def _schedule(self) -> None:
        trigger = self.settings.trigger
        role = iam.Role(self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                        description=f"Schedule of {self.name}: start its state machine")
        role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"],
                                               resources=[self.state_machine.state_machine_arn]))
        scheduler.CfnSchedule(
            self, "Schedule", name=f"{self.name}-schedule", schedule_expression=trigger.schedule,
            state="DISABLED" if self.settings.standby else "ENABLED",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.state_machine.state_machine_arn, role_arn=role.role_arn,
                input=json.dumps(trigger.schedule_input or {"initialData": {}})))

    # -- alerts and monitoring ---------------------------------------------------------------------------
    def _alerts(self) -> None:
        topic = self.shared.alert_topic
        machine = self.state_machine
        events.Rule(self, "ExecutionFailed", rule_name=f"{self.name}-execution-failed",
                    description=f"Executions of {self.name} that failed, timed out or were aborted",
                    event_pattern=events.EventPattern(
                        source=["aws.states"], detail_type=["Step Functions Execution Status Change"],
                        detail={"status": FAILED_STATUSES, "stateMachineArn": [machine.state_machine_arn]}),
                    targets=[targets.SnsTopic(topic, message=events.RuleTargetInput.from_text(
                        f"Baton {self.pipeline.name}: execution {events.EventField.from_path('$.detail.name')} "
                        f"{events.EventField.from_path('$.detail.status')}: "
                        f"{events.EventField.from_path('$.detail.cause')} "
                        f"({events.EventField.from_path('$.detail.executionArn')})"))])
        if self.jobs:
            events.Rule(self, "GlueJobFailed", rule_name=f"{self.name}-glue-job-failed",
                        description=f"Glue job runs of {self.name} that failed or timed out",
                        event_pattern=events.EventPattern(
                            source=["aws.glue"], detail_type=["Glue Job State Change"],
                            detail={"jobName": [spec.job.name for spec in self.jobs],
                                    "state": ["FAILED", "TIMEOUT"]}),
                        targets=[targets.SnsTopic(topic, message=events.RuleTargetInput.from_text(
                            f"Baton {self.pipeline.name}: Glue job {events.EventField.from_path('$.detail.jobName')}"
                            f" run {events.EventField.from_path('$.detail.jobRunId')} "
                            f"{events.EventField.from_path('$.detail.state')}: "
                            f"{events.EventField.from_path('$.detail.message')}"))])
        action = cw_actions.SnsAction(topic)
        alarms = [("ExecutionsFailed", machine.metric_failed()),
                  ("ExecutionsTimedOut", machine.metric_timed_out()),
                  ("ExecutionThrottled", machine.metric_throttled())]
        if self.dlq is not None:
            alarms.append(("TriggerDeadLetters", self.dlq.metric_approximate_number_of_messages_visible()))
        for name, metric in alarms:
            alarm = cw.Alarm(self, f"Alarm{name}", alarm_name=f"{self.name}-{name}",
                             metric=metric.with_(period=cdk.Duration.minutes(5), statistic="Maximum"),
                             threshold=0, evaluation_periods=1,
                             comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                             treat_missing_data=cw.TreatMissingData.NOT_BREACHING)
            alarm.add_alarm_action(action)

    def _dashboard(self) -> None:
        machine = self.state_machine
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=self.name)
        dashboard.add_widgets(
            cw.GraphWidget(title="Executions", left=[machine.metric_started(), machine.metric_succeeded(),
                                                     machine.metric_failed(), machine.metric_timed_out(),
                                                     machine.metric_aborted()]),
            cw.GraphWidget(title="Execution time", left=[machine.metric_time()]))
        stage_times = [cw.Metric(namespace="Glue", metric_name="glue.driver.aggregate.elapsedTime",
                                 dimensions_map={"JobName": spec.job.name, "JobRunId": "ALL", "Type": "count"},
                                 statistic="Average", label=spec.job.name) for spec in self.jobs]
        widgets: list[cw.IWidget] = []
        if stage_times:
            widgets.append(cw.GraphWidget(title="Glue stage duration (ms)", left=stage_times))
        if self.dlq is not None:
            widgets.append(cw.GraphWidget(title="Trigger dead letters",
                                          left=[self.dlq.metric_approximate_number_of_messages_visible()]))
        if widgets:
            dashboard.add_widgets(*widgets)

