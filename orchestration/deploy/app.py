"""The CDK app: the shared stack of an environment and one stack per pipeline, checked by cdk-nag.

``build`` is what ``baton synth`` and the CDK CLI (``baton deploy``, through ``cdk.json``'s
``app`` command) both run, so what is tested offline is what is deployed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from orchestration import pipelines
from orchestration.deploy.code import stage_code
from orchestration.deploy.pipeline_stack import PipelineStack
from orchestration.deploy.settings import DeploySettings
from orchestration.deploy.settings import load as load_settings
from orchestration.deploy.shared import SharedStack

log = logging.getLogger("baton")

# Server access logs are granted by a bucket policy on the log bucket (ACLs stay disabled everywhere);
# pipeline stacks import the shared stack's outputs, and a strong reference keeps them while imported.
CONTEXT = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
           "@aws-cdk/core:defaultCrossStackReferences": "strong"}


def stack_name(settings: DeploySettings, part: str) -> str:
    return f"Baton-{settings.env}{'-dr' if settings.standby else ''}-{part}"


def build(env: str, pipeline_names: list[str], outdir: Path) -> cdk.App:
    """The app of ``env`` with the stacks of ``pipeline_names``; cdk-nag AwsSolutions runs at synthesis."""
    settings = load_settings(env)
    outdir.mkdir(parents=True, exist_ok=True)
    code = stage_code(outdir.parent / f"{outdir.name}.code")
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    regions = [settings] if settings.dr is None else [settings.for_dr(), settings]  # the replica first
    shared_stacks = []
    for each in regions:
        where = cdk.Environment(account=each.account, region=each.region)
        role = "DR standby" if each.standby else "primary"
        shared = SharedStack(app, stack_name(each, "shared"), settings=each, code_dir=code, env=where,
                             description=f"Baton {env} ({role}, {each.region}): key, buckets, code, alert topic")
        for stack in shared_stacks:  # replication needs the replica bucket to exist
            shared.add_stack_dependency(stack)
        shared_stacks.append(shared)
        for name in pipeline_names:
            pipeline = pipelines.get(name)
            PipelineStack(app, stack_name(each, name), pipeline=pipeline, settings=each, shared=shared, env=where,
                          description=f"Baton {env} ({role}) pipeline {name}: {pipeline.description}")
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


def synth(env: str, pipeline_names: list[str], outdir: Path) -> cdk.cx_api.CloudAssembly:
    assembly = build(env, pipeline_names, outdir).synth()
    log.info("synthesized %s to %s", ", ".join(s.stack_name for s in assembly.stacks), outdir)
    return assembly
