"""What the command groups share: the environment, the local executions, the execution input.

Nothing here imports PySpark at module level: ``baton asl``, ``baton graph`` and ``baton --help``
load this module and must start without it. The executor's local runs (``orchestration.local``)
and the SparkSession are imported by the functions that build them.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import conf
from baton.errors import ArgumentError
from baton.faults import Faults
from orchestration import pipelines
from orchestration.asl.payload import InvalidExecutionInput, execution_input_json

if TYPE_CHECKING:
    from orchestration.executions import LocalExecutions
    from orchestration.local import LocalRun

# argparse's ``add_subparsers()`` result, which each group adds its commands to (its class is private).
Subcommands = Any


def env(args: argparse.Namespace) -> str:
    return conf.environment(args.env)


def deployed(args: argparse.Namespace) -> bool:
    """status, history, list and resume go to AWS for an environment with a deployment section."""
    return args.workflow_bucket is None and conf.load(env(args)).deployment is not None


def deploy_env(args: argparse.Namespace) -> str:
    name = args.env or os.environ.get(conf.ENV_VARIABLE)
    if name is None:
        raise ArgumentError(f"missing: say which environment to deploy (or set {conf.ENV_VARIABLE}), "
                            "e.g. --env dev", argument="--env")
    return conf.environment(name)


def execution_id(args: argparse.Namespace) -> str:
    return args.execution_id or f"{args.pipeline}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"


def runner(args: argparse.Namespace, pipeline: str, query_language: str = "jsonpath") -> LocalRun:
    from orchestration.local import LocalRun

    settings = conf.load(args.env)
    if getattr(args, "master", None):
        settings = replace(settings, spark=replace(settings.spark, master=args.master))
    return LocalRun(pipelines.get(pipeline), settings, args.workflow_bucket, query_language=query_language,
                    faults=Faults.from_environment(os.environ))


def local_executions(args: argparse.Namespace) -> LocalExecutions:
    """The local executions of every pipeline: status, history, list, report, cost and check read them
    without a pipeline (an execution's record names its own)."""
    from orchestration.executions import LocalExecutions

    return LocalExecutions(conf.load(args.env), args.workflow_bucket)


def spark(args: argparse.Namespace, name: str) -> Any:
    """The SparkSession of the commands that read data (check, new pipeline, suite draft)."""
    from baton.spark import get_spark

    return get_spark(name, conf.load(args.env).spark)


def read_input(raw: str | None) -> dict[str, Any]:
    """The execution input ``--input`` gives (JSON, or ``@file``), refused here when StartExecution would refuse it."""
    from orchestration.executions import RunRefused

    if raw is None:
        return {"initialData": {}}
    try:
        text = Path(raw[1:]).read_text() if raw.startswith("@") else raw
    except OSError as err:
        raise RunRefused(f"cannot read the input file: {err.strerror}", argument="--input", path=raw[1:]) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunRefused(f"--input is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise RunRefused("--input must be a JSON object, e.g. '{\"initialData\": {\"format\": \"csv\"}}'")
    input = execution_input(value)
    try:
        execution_input_json(input)
    except InvalidExecutionInput as err:
        raise RunRefused(str(err), argument="--input") from None
    return input


# The execution input keys the generated definition reads; any other key is a job parameter.
EXECUTION_KEYS = ("initialData", "execution", "resumeFromStage", "gated")


def execution_input(value: dict[str, Any]) -> dict[str, Any]:
    """The execution input for ``value``; ``{"scaleFactor": 1}`` means ``{"initialData": {"scaleFactor": 1}}``.

    The definition hands the jobs only ``initialData``, so a job parameter given at the top level
    would otherwise be silently ignored. A key given both ways is refused.
    """
    from orchestration.executions import RunRefused

    initial = value.get("initialData", {})
    if not isinstance(initial, dict):
        raise RunRefused(f"--input: initialData must be a JSON object, got {json.dumps(initial)}")
    shorthand = {key: item for key, item in value.items() if key not in EXECUTION_KEYS}
    both = sorted(set(shorthand) & set(initial))
    if both:
        raise RunRefused(f"--input: {', '.join(both)} given both at the top level and in initialData")
    return {key: item for key, item in value.items() if key in EXECUTION_KEYS} | {"initialData": initial | shorthand}
