"""The CDK app, synthesized once per environment (session fixture): cfn-lint, cdk-nag, IAM, each item of issue 15.

Synthesis runs Node.js (jsii) and takes seconds: every test here reads the same cloud assemblies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

import conf
from orchestration import cli, pipelines
from orchestration.deploy.app import synth
from orchestration.deploy.pipeline_stack import ALERT_TOPIC_ARN, GLUE_PYTHON_MODULES, glue_jobs
from orchestration.deploy.settings import load as load_settings
from orchestration.generate import generate

ENVS = ("dev", "prod")

# cfn-lint rules ignored, each with its reason.
CFN_LINT_IGNORED = {
    # CDK writes an explicit DependsOn on a role next to the GetAtt of its ARN; redundant, and harmless.
    "W3005",
}

# Actions that AWS allows only on Resource "*", with where AWS documents it.
STAR_RESOURCE_ALLOWED = {
    # Step Functions logging to CloudWatch Logs (developer guide, "IAM policies for logging to CloudWatch Logs").
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    # X-Ray tracing of a state machine (developer guide, "IAM policies for using AWS X-Ray in Step Functions").
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    # CloudWatch PutMetricData has no resource type (Service Authorization Reference); limited by namespace.
    "cloudwatch:PutMetricData",
    # createCluster.sync: RunJobFlow creates the cluster, so no ARN exists yet (developer guide, "IAM policies
    # for Amazon EMR"); limited by the request tag baton:pipeline.
    "elasticmapreduce:RunJobFlow",
}
# In a KMS key policy, Resource "*" means the key itself (KMS developer guide, "Key policies").
KEY_POLICY = "AWS::KMS::Key"


@pytest.fixture(scope="session")
def assemblies(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """env -> stack name -> template, every declared pipeline; the assembly directory under "_outdir"."""
    found = {}
    for env in ENVS:
        outdir = tmp_path_factory.mktemp(f"cdk-{env}") / "cdk.out"
        assembly = synth(env, sorted(pipelines.PIPELINES), outdir)
        found[env] = {stack.stack_name: stack.template for stack in assembly.stacks} | {"_outdir": outdir}
    return found


def _stack_count(env: str) -> int:
    """Shared and pipeline stacks, in the primary region and the DR region if conf names one."""
    regions = 2 if load_settings(env).dr else 1
    return regions * (1 + len(pipelines.PIPELINES))


def _templates(assemblies) -> list[tuple[str, str, dict]]:
    return [(env, name, template) for env, stacks in assemblies.items()
            for name, template in stacks.items() if name != "_outdir"]


def _template(assemblies, env: str, part: str) -> Template:
    """``env`` is dev, prod, or prod-dr (prod's stacks in its DR region)."""
    return Template.from_json(assemblies[env.removesuffix("-dr")][f"Baton-{env}-{part}"])


def test_cfn_lint_reports_nothing(assemblies):
    paths = [str(path) for env in ENVS for path in sorted(assemblies[env]["_outdir"].glob("*.template.json"))]
    assert len(paths) == sum(_stack_count(env) for env in ENVS)
    lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(lint), "--ignore-checks", *sorted(CFN_LINT_IGNORED), "--", *paths],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cdk_nag_aws_solutions_has_no_unsuppressed_finding(assemblies):
    findings = []
    for env in ENVS:
        outdir = assemblies[env]["_outdir"]
        reports = sorted(outdir.glob("AwsSolutions-*-NagReport.csv"))
        assert len(reports) == _stack_count(env)  # cdk-nag ran on every stack
        for report in reports:
            findings += [line for line in report.read_text().splitlines() if '"Non-Compliant"' in line]
        for metadata in outdir.glob("*.metadata.json"):
            findings += [entry["data"] for entries in json.loads(metadata.read_text()).values()
                         for entry in entries if entry["type"] == "aws:cdk:error"]
    assert findings == []


def _policy_documents(template: dict) -> list[tuple[str, str, dict]]:
    documents = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("PolicyDocument", "KeyPolicy"):
            if key in props:
                documents.append((logical_id, resource["Type"], props[key]))
        for inline in props.get("Policies", []):
            documents.append((logical_id, resource["Type"], inline["PolicyDocument"]))
    return documents


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_iam_no_star_action_and_star_resource_only_where_aws_requires_it(assemblies):
    wrong = []
    for env, stack, template in _templates(assemblies):
        for logical_id, resource_type, document in _policy_documents(template):
            for statement in document["Statement"]:
                actions = _as_list(statement.get("Action", []))
                if "*" in actions:
                    wrong.append((env, stack, logical_id, "Action *"))
                if "*" in _as_list(statement.get("Resource", [])) and resource_type != KEY_POLICY:
                    extra = sorted(set(actions) - STAR_RESOURCE_ALLOWED)
                    if extra:
                        wrong.append((env, stack, logical_id, f"Resource * for {extra}"))
    assert wrong == []


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("name", sorted(pipelines.PIPELINES))
def test_deployed_definition_is_what_baton_asl_prints(assemblies, env, name, capsys):
    assert cli.main(["--env", env, "asl", name]) == 0
    printed = json.loads(capsys.readouterr().out)
    machines = _template(assemblies, env, name).find_resources("AWS::StepFunctions::StateMachine")
    (machine,) = machines.values()
    props = machine["Properties"]
    topic = conf.load(env).notifications.topic
    substituted = props["DefinitionString"].replace("${" + ALERT_TOPIC_ARN + "}", topic)
    assert json.loads(substituted) == printed
    # The ARN is the stack's: the shared stack's topic, imported.
    assert "Fn::ImportValue" in props["DefinitionSubstitutions"][ALERT_TOPIC_ARN]


# -- 2. storage ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("env", "algorithm"), [("prod", "aws:kms"), ("dev", "AES256")])
def test_workflow_bucket_is_private_encrypted_versioned_and_expires_executions_only(assemblies, env, algorithm):
    settings = load_settings(env)
    shared = _template(assemblies, env, "shared")
    shared.has_resource_properties("AWS::S3::Bucket", {
        "BucketName": settings.workflow_bucket,
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            Match.object_like({"ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": algorithm})})]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LifecycleConfiguration": {"Rules": [Match.object_like({
            "Prefix": "executions/", "Status": "Enabled",
            "ExpirationInDays": settings.executions_retention_days,
            "NoncurrentVersionExpiration": {"NoncurrentDays": settings.executions_retention_days}})]},
    })
    policies = shared.find_resources("AWS::S3::BucketPolicy")
    tls_only = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
                if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(tls_only) == 3  # workflow, artifacts and access-log buckets


def test_code_is_a_cdk_asset_copied_to_the_artifacts_prefix(assemblies):
    shared = _template(assemblies, "prod", "shared")
    shared.has_resource_properties("Custom::CDKBucketDeployment", {"DestinationBucketKeyPrefix": "baton",
                                                                  "Prune": False})
    outdir = assemblies["prod"]["_outdir"]
    staged = [p for p in outdir.iterdir() if p.name.startswith("asset.") and (p / "baton-jobs.zip").exists()]
    assert len(staged) == 1
    assert (staged[0] / "jobs" / "flights_conform.py").exists()


# -- 3. Glue jobs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(pipelines.PIPELINES))
def test_one_glue_job_per_glue_job_of_the_declaration(assemblies, name):
    settings = load_settings("prod")
    stack = _template(assemblies, "prod", name)
    specs = glue_jobs(pipelines.get(name))
    stack.resource_count_is("AWS::Glue::Job", len(specs))
    for spec in specs:
        stack.has_resource_properties("AWS::Glue::Job", {
            "Name": spec.job.name, "GlueVersion": "6.0", "MaxRetries": 0,
            "Timeout": spec.timeout_seconds // 60,
            "WorkerType": settings.glue.worker_type, "NumberOfWorkers": settings.glue.number_of_workers,
            "Command": {"Name": "glueetl", "PythonVersion": "3",
                        "ScriptLocation": f"{settings.artifacts_uri}/{spec.job.script}"},
            "DefaultArguments": Match.object_like({
                "--extra-py-files": f"{settings.artifacts_uri}/baton-jobs.zip",
                "--additional-python-modules": "great-expectations==1.24.1,openlineage-python==1.54.0",
                "--enable-continuous-cloudwatch-log": "true"}),
            "SecurityConfiguration": Match.any_value(),
        })


def test_glue_installs_the_pins_of_the_lock_file():
    lock = Path(__file__).parents[1].joinpath("requirements.lock").read_text().splitlines()
    pins = {line.split()[0].lower().replace("_", "-") for line in lock if line and not line.startswith("#")}
    assert set(GLUE_PYTHON_MODULES) <= pins


def test_glue_role_reads_and_writes_only_its_prefixes(assemblies):
    stack = assemblies["prod"]["Baton-prod-flights"]
    (policy,) = [r for r in stack["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
                 and "GlueJobRole" in json.dumps(r["Properties"]["Roles"])]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    written = json.dumps(statements["ReadWriteStageOutputs"]["Resource"])
    assert "/executions/*" in written and "/warehouse/*" in written
    assert statements["ReadWriteStageOutputs"]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]


# -- 5. state machine ---------------------------------------------------------------------------------------
def test_state_machine_is_standard_logged_and_traced(assemblies):
    stack = _template(assemblies, "prod", "flights")
    stack.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineName": "baton-prod-flights", "StateMachineType": "STANDARD",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True})})
    stack.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": load_settings("prod").log_retention_days,
                                                          "KmsKeyId": Match.any_value()})


def test_state_machine_role_allows_only_its_jobs_cluster_verdicts_and_topic(assemblies):
    stack = assemblies["prod"]["Baton-prod-flights"]
    (policy,) = [r for r in stack["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
                 and "StateMachineRole" in json.dumps(r["Properties"]["Roles"])]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["RunOwnGlueJobs"]["Resource"] == [
        f"arn:aws:glue:us-east-1:111122223333:job/{spec.job.name}" for spec in glue_jobs(pipelines.FLIGHTS)]
    assert by_sid["StepsOnOwnCluster"]["Resource"] == "arn:aws:elasticmapreduce:us-east-1:111122223333:cluster/" \
                                                      + conf.load("prod").emr.cluster_id
    verdicts = json.dumps(by_sid["ReadVerdicts"]["Resource"])
    assert by_sid["ReadVerdicts"]["Action"] == "s3:GetObject"
    assert "/executions/*/Validate/quality/verdict.json" in verdicts
    assert "/executions/*/Correct/quality/verdict.json" in verdicts
    assert by_sid["PublishAlerts"]["Action"] == "sns:Publish"
    actions = sorted(a for s in statements for a in _as_list(s["Action"]))
    assert not [a for a in actions if a.startswith(("s3:Put", "s3:Delete", "glue:Create", "iam:"))]


# -- 6. trigger ---------------------------------------------------------------------------------------------
def test_queue_trigger_pipes_the_message_body_as_initial_data(assemblies):
    stack = _template(assemblies, "prod", "flights")
    stack.has_resource_properties("AWS::SQS::Queue", {
        "QueueName": "baton-prod-flights-trigger",
        "RedrivePolicy": {"deadLetterTargetArn": Match.any_value(), "maxReceiveCount": 3},
        "KmsMasterKeyId": Match.any_value()})
    stack.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "sqs", "RawMessageDelivery": True})
    stack.has_resource_properties("AWS::Pipes::Pipe", {
        "TargetParameters": {"InputTemplate": '{"initialData": <$.body>}',
                             "StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"}}})


def test_schedule_starts_the_machine_with_the_configured_input(assemblies):
    settings = load_settings("prod")
    _template(assemblies, "prod", "flights").has_resource_properties("AWS::Scheduler::Schedule", {
        "ScheduleExpression": settings.trigger.schedule, "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": Match.object_like({"Input": json.dumps(settings.trigger.schedule_input)})})
    _template(assemblies, "dev", "flights").resource_count_is("AWS::Scheduler::Schedule", 0)


# -- 7. alerts and monitoring -------------------------------------------------------------------------------
def test_failed_executions_and_glue_runs_alert_the_encrypted_topic(assemblies):
    _template(assemblies, "prod", "shared").has_resource_properties("AWS::SNS::Topic", {
        "TopicName": "baton-prod-alerts", "KmsMasterKeyId": Match.any_value()})
    stack = _template(assemblies, "prod", "flights")
    stack.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                         "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"],
                                    "stateMachineArn": [Match.any_value()]}},
        "Targets": [Match.object_like({"InputTransformer": Match.object_like({
            "InputPathsMap": Match.object_like({"detail-name": "$.detail.name", "detail-status": "$.detail.status",
                                                "detail-cause": "$.detail.cause"})})})]})
    stack.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
                         "detail": {"jobName": [s.job.name for s in glue_jobs(pipelines.FLIGHTS)],
                                    "state": ["FAILED", "TIMEOUT"]}}})


def test_alarms_and_dashboard(assemblies):
    shared = _template(assemblies, "prod", "shared")
    shared.has_resource_properties("AWS::SNS::TopicPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Sid": "AlarmsPublish", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                           "Action": "sns:Publish"})]), "Version": "2012-10-17"}})
    stack = _template(assemblies, "prod", "flights")
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled",
                   "ApproximateNumberOfMessagesVisible"):
        stack.has_resource_properties("AWS::CloudWatch::Alarm", {
            "MetricName": metric, "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": [Match.any_value()]})
    stack.resource_count_is("AWS::CloudWatch::Dashboard", 1)


# -- 4. EMR -------------------------------------------------------------------------------------------------
def test_transient_mode_creates_the_cluster_roles_and_may_create_only_tagged_clusters(assemblies):
    cluster = load_settings("dev").deployment.emr_cluster
    stack = _template(assemblies, "dev", "flights")
    stack.has_resource_properties("AWS::IAM::Role", {
        "RoleName": cluster.serviceRole,
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({
            "Principal": {"Service": "elasticmapreduce.amazonaws.com"}})]})})
    stack.has_resource_properties("AWS::IAM::InstanceProfile", {"InstanceProfileName": cluster.instanceProfile})
    raw = assemblies["dev"]["Baton-dev-flights"]
    (policy,) = [r for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Policy"
                 and "StateMachineRole" in json.dumps(r["Properties"]["Roles"])]
    by_sid = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["CreateOwnCluster"]["Condition"] == {
        "StringEquals": {"elasticmapreduce:RequestTag/baton:pipeline": "flights"}}
    assert by_sid["RunAndEndOwnCluster"]["Condition"] == {
        "StringEquals": {"elasticmapreduce:ResourceTag/baton:pipeline": "flights"}}
    assert "elasticmapreduce:TerminateJobFlows" in by_sid["RunAndEndOwnCluster"]["Action"]
    assert len(by_sid["PassClusterRoles"]["Resource"]) == 2
    machine = next(r for r in raw["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    assert '"CreateCluster"' in machine["Properties"]["DefinitionString"]


def test_existing_mode_creates_no_cluster_roles(assemblies):
    _template(assemblies, "prod", "flights").resource_count_is("AWS::IAM::InstanceProfile", 0)


# -- 8. disaster recovery -----------------------------------------------------------------------------------
def test_executions_and_warehouse_replicate_to_the_dr_replica(assemblies):
    settings = load_settings("prod")
    dr = settings.for_dr()
    _template(assemblies, "prod", "shared").has_resource_properties("AWS::S3::Bucket", {
        "BucketName": settings.workflow_bucket,
        "ReplicationConfiguration": {"Role": Match.any_value(), "Rules": [
            Match.object_like({"Filter": {"Prefix": prefix}, "Status": "Enabled", "Destination": {
                "Bucket": f"arn:aws:s3:::{dr.workflow_bucket}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:us-west-2:111122223333:alias/"
                                                               f"{dr.name_prefix}"}}})
            for prefix in ("executions/", "warehouse/")]}})
    _template(assemblies, "prod-dr", "shared").has_resource_properties("AWS::S3::Bucket", {
        "BucketName": dr.workflow_bucket, "VersioningConfiguration": {"Status": "Enabled"},
        "BucketEncryption": Match.any_value()})
    _template(assemblies, "prod-dr", "shared").has_resource_properties("AWS::KMS::Alias", {
        "AliasName": f"alias/{dr.name_prefix}"})


@pytest.mark.parametrize("name", sorted(pipelines.PIPELINES))
def test_dr_stack_runs_the_same_definition_on_the_replica_with_its_trigger_off(assemblies, name):
    dr = load_settings("prod").for_dr()
    stack = _template(assemblies, "prod-dr", name)
    stack.has_resource_properties("AWS::Pipes::Pipe", {"DesiredState": "STOPPED"})
    stack.has_resource_properties("AWS::Scheduler::Schedule", {"State": "DISABLED"})
    (machine,) = stack.find_resources("AWS::StepFunctions::StateMachine").values()
    text = machine["Properties"]["DefinitionString"].replace("${" + ALERT_TOPIC_ARN + "}", dr.deployment.alert_topic)
    assert json.loads(text) == generate(pipelines.get(name), dr.deployment)
    assert "s3://baton-prod-workflow-dr" in text and "baton-prod-workflow\"" not in text
    _template(assemblies, "prod", name).has_resource_properties("AWS::Pipes::Pipe", {"DesiredState": "RUNNING"})
