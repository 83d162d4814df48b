"""The app command the CDK CLI runs (``baton deploy`` passes it as ``--app``).

    python -m orchestration.deploy.main --env prod flights

The CDK CLI sets CDK_OUTDIR to the directory it reads the cloud assembly from.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from orchestration.deploy.app import stack_name, synth
from orchestration.deploy.settings import load as load_settings

CDK_CLI = "aws-cdk@2"  # the npm package of the CDK CLI; any 2.x reads what aws-cdk-lib 2 synthesizes


def deploy_command(pipeline: str, env: str, outdir: Path, python: str = sys.executable) -> list[str]:
    """The CDK CLI command that deploys ``pipeline`` of ``env``: its stack and the shared stack it needs,
    and the same in the DR region first when conf names one."""
    settings = load_settings(env)
    app = shlex.join([python, "-m", "orchestration.deploy.main", "--env", env, pipeline])
    regions = [settings] if settings.dr is None else [settings.for_dr(), settings]
    stacks = [stack_name(each, part) for each in regions for part in ("shared", pipeline)]
    return ["npx", "--yes", CDK_CLI, "deploy", "--app", app, "--output", str(outdir),
            "--require-approval", "broadening", *stacks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("pipeline")
    args = parser.parse_args(argv)
    synth(args.env, [args.pipeline], Path(os.environ.get("CDK_OUTDIR", "cdk.out")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
