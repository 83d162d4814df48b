"""Deployment to AWS: one CDK app (aws-cdk-lib) built from a pipeline declaration and conf/<env>.json.

    baton synth flights --env prod --out cdk.out     # CloudFormation templates and assets, offline
    baton deploy flights --env prod                  # the CDK CLI (npm aws-cdk) on the same app

The state machine embeds exactly the definition ``baton asl`` prints (DESIGN 8): the stack only
substitutes the ARNs it creates (``${AlertTopicArn}``) for the ones conf names.
"""

import os
import shutil
import subprocess

# jsii prints a screen-wide banner on every start under an end-of-life Node.js (Debian's Node 20 here).
# jsii reads JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION (a list of major versions) before it starts,
# so it is set here, before any aws_cdk import, for the Node that will run; a value already set wins.
_SILENCE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def _node_major() -> str | None:
    node = os.environ.get("JSII_NODE") or shutil.which("node")
    if node is None:
        return None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    return version.strip().lstrip("v").split(".")[0] or None


if _SILENCE not in os.environ and (major := _node_major()):
    os.environ[_SILENCE] = major
