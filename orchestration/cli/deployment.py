"""Deployment and AWS: ``baton package``, ``synth``, ``deploy``, ``start``, ``upload`` and ``redrive``.

The CDK app (aws-cdk-lib starts Node.js) and the AWS clients are imported by the commands that use them.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
from pathlib import Path

from orchestration import pipelines
from orchestration.cli import common
from orchestration.package import build_zip


def cmd_package(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = build_zip(out)
    jobs = sorted(n for n in names if n.startswith("jobs/") and n.endswith(".py") and "__init__" not in n)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(names)} files, {len(jobs)} jobs)")
    print("EMR step:  spark-submit --py-files " + out.name + " jobs/<job>.py --execution-id ...")
    print("Glue job:  --extra-py-files s3://<bucket>/" + out.name)
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from orchestration.deploy.app import synth

    assembly = synth(common.deploy_env(args), [args.pipeline], Path(args.out))
    for stack in assembly.stacks:
        print(f"{stack.stack_name}: {stack.template_full_path}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from orchestration.deploy.main import deploy_command

    command = deploy_command(args.pipeline, common.deploy_env(args), Path(args.out))
    if args.print:
        print(shlex.join(command))
        return 0
    return subprocess.run(command, check=False).returncode


def cmd_start(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    started = remote.start(load_settings(common.deploy_env(args)), args.pipeline, common.read_input(args.input),
                           common.execution_id(args))
    print(json.dumps(started, indent=2) if args.json else f"{started['executionArn']} started {started['startDate']}")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    settings = load_settings(common.deploy_env(args))
    keys = remote.upload(settings, Path(args.staging))
    print(f"uploaded {len(keys)} files to s3://{settings.artifacts_bucket}/{settings.artifacts_prefix}")
    return 0


def cmd_redrive(args: argparse.Namespace) -> int:
    from orchestration.deploy import remote
    from orchestration.deploy.settings import load as load_settings

    redriven = remote.redrive(load_settings(common.deploy_env(args)), args.execution_id)
    print(f"{redriven['executionArn']} redriven {redriven['redriveDate']}")
    return 0


def add_package(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    package = sub.add_parser("package", help="build the zip of Baton's packages for Glue and EMR", parents=[shared])
    package.add_argument("--out", default="dist/baton-jobs.zip", help="zip to write (default: %(default)s)")
    package.set_defaults(func=cmd_package)


def add_aws(sub: common.Subcommands, shared: argparse.ArgumentParser) -> None:
    synth = sub.add_parser("synth", help="write the CDK app's CloudFormation templates and assets (offline)",
                           parents=[shared])
    synth.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    synth.add_argument("--out", default="cdk.out", help="cloud assembly directory (default: %(default)s)")
    synth.set_defaults(func=cmd_synth)

    deploy = sub.add_parser("deploy", help="deploy a pipeline and its environment with the CDK CLI (npx aws-cdk)",
                            parents=[shared])
    deploy.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    deploy.add_argument("--out", default="cdk.out", help="cloud assembly directory (default: %(default)s)")
    deploy.add_argument("--print", action="store_true", help="print the CDK CLI command instead of running it")
    deploy.set_defaults(func=cmd_deploy)

    start = sub.add_parser("start", help="start an execution of a deployed pipeline on AWS", parents=[shared])
    start.add_argument("pipeline", choices=sorted(pipelines.PIPELINES))
    start.add_argument("--input", help="execution input, shaped as for run")
    start.add_argument("--execution-id", help="execution name (default: <pipeline>-<utc time>-<random>)")
    start.add_argument("--json", action="store_true")
    start.set_defaults(func=cmd_start)

    upload = sub.add_parser("upload", help="upload the code to conf's artifacts address on AWS", parents=[shared])
    upload.add_argument("--staging", default="dist/upload", help="local staging directory (default: %(default)s)")
    upload.set_defaults(func=cmd_upload)

    redrive = sub.add_parser("redrive", help="redrive a failed execution on AWS from its failed state",
                             parents=[shared])
    redrive.add_argument("execution_id")
    redrive.set_defaults(func=cmd_redrive)
