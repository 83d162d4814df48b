"""The contract arguments every job takes, parsed the way Glue parses them.

The definition passes ``--execution-id``, ``--current-stage`` and the optional ones below to every
job; a job's own arguments are declared by its :class:`~baton.stage.JobSpec`.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import conf
from baton.errors import ArgumentError

if TYPE_CHECKING:
    from baton.stage import JobSpec

CONTRACT_REQUIRED = ("execution-id", "current-stage")
CONTRACT_OPTIONAL = ("workflow-bucket", "previous-stage", "initial-data", "warehouse")
log = logging.getLogger("baton.stage")


def parse_job_args(argv: Sequence[str], spec: JobSpec) -> dict[str, str]:
    """Parse ``--name value`` pairs the way Glue does; ignore what Glue injects.

    Returns a dict keyed by the argument names with '-' (``execution-id``...).
    """
    from awsglue.utils import GlueArgumentError, getResolvedOptions

    required = list(CONTRACT_REQUIRED) + list(spec.required_args)
    if "--JOB_NAME" in argv:  # Glue passes it; getResolvedOptions returns it only when asked
        required.append("JOB_NAME")
    try:
        resolved = getResolvedOptions(list(argv), required)
    except GlueArgumentError as err:
        raise ArgumentError(f"job {spec.name}: {err}", argument=_missing_arg(str(err))) from None
    args = {name: resolved[name.replace("-", "_")] for name in required}
    optional = {name: "" for name in CONTRACT_OPTIONAL} | dict(spec.optional_args)
    parser = argparse.ArgumentParser(add_help=False)
    for name, default in optional.items():
        parser.add_argument(f"--{name}", default=default)
    known, _ = parser.parse_known_args(list(argv)[1:])
    args.update({name: getattr(known, name.replace("-", "_")) for name in optional})
    return args


def _missing_arg(message: str) -> str | None:
    # argparse: "the following arguments are required: --execution-id, --current-stage"
    marker = "required: "
    return message.split(marker, 1)[1].split(",")[0].strip() if marker in message else None


def contract_arg(args: Mapping[str, str], name: str, stage: str, master: Callable[[], str]) -> str:
    """The contract argument ``--name`` (the definition passes it to every job).

    Missing, it is an ``ArgumentError`` naming it and the stage, except in the local environment
    (``BATON_ENV`` unset or ``local``) with Spark in local mode (``master()``), where conf/local.json
    gives it, as a log line says: a job run by hand on a Glue or EMR driver (whose master is not
    ``local``, whatever ``BATON_ENV`` says) would otherwise write to the driver's local disk and "succeed".
    """
    if args.get(name):
        return args[name]
    env = conf.environment()
    if env != "local":
        raise ArgumentError(f"missing: the state machine passes it to every job (BATON_ENV={env})",
                            argument=f"--{name}", stage=stage)
    if not (spark_master := master()).startswith("local"):
        raise ArgumentError(f"missing: the state machine passes it to every job (Spark master {spark_master!r} is "
                            f"not local, so conf/local.json does not apply)", argument=f"--{name}", stage=stage)
    settings = conf.load(env)
    value = {"workflow-bucket": settings.workflow_bucket, "warehouse": settings.warehouse}[name]
    log.info("stage %s: --%s not given; %s gives %r (local environment)", stage, name, settings.file, value)
    return value
