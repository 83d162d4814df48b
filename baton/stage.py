"""The stage runtime: what every job does around its transforms.

A job module declares a ``JobSpec`` and calls ``run_stage``. The runtime parses the
contract arguments (with ``awsglue.utils.getResolvedOptions``, on Glue and off it), gets
the SparkSession, starts a Glue job (bookmarks) only where Glue's JVM classes exist, and
hands the job a ``StageContext`` that reads committed inputs (:mod:`baton.stage_reads`) and
commits outputs (:mod:`baton.stage_context`); the contract arguments are :mod:`baton.stage_args`'s.
Jobs import ``JobSpec``, ``StageContext``, ``run_stage``, ``main_entry`` and ``stage_job`` from here.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

import conf
from baton import logs
from baton.errors import BatonError
from baton.faults import Faults
from baton.lineage import StageLineage
from baton.spark import get_spark
from baton.stage_args import parse_job_args
from baton.stage_context import StageContext
from baton.storage import Storage

log = logging.getLogger("baton.stage")


@dataclass(frozen=True)
class JobSpec:
    """What a job module declares: its name, its own arguments and its body."""

    name: str
    body: Callable[[StageContext], None]
    required_args: Sequence[str] = ()
    optional_args: Mapping[str, str] = field(default_factory=dict)  # name -> default
    description: str = ""


def _glue_job(spark: SparkSession, args: Mapping[str, str]) -> Any:
    """A started awsglue Job where Glue's JVM classes exist (on AWS Glue), else None."""
    try:
        spark.sparkContext._jvm.java.lang.Class.forName("com.amazonaws.services.glue.GlueContext")
    except Exception:  # py4j raises a generic Py4JJavaError when the class is absent
        return None
    from awsglue.context import GlueContext
    from awsglue.job import Job

    job = Job(GlueContext(spark.sparkContext))
    job.init(args.get("JOB_NAME", "baton"), dict(args))
    return job


def run_stage(spec: JobSpec, argv: Sequence[str] | None = None, spark: SparkSession | None = None,
              storage: Storage | None = None, faults: Faults | None = None) -> StageContext:
    """Run one stage job in this process. Raises ``BatonError`` on bad input or arguments.

    ``faults``: what to inject (see :mod:`baton.faults`); a job started on its own reads ``BATON_FAULTS``.
    """
    argv = list(sys.argv if argv is None else argv)
    args = parse_job_args(argv, spec)
    settings = conf.load()
    faults = Faults.from_environment(os.environ) if faults is None else faults
    spark = spark or get_spark(f"baton-{spec.name}", settings.spark)
    ctx = StageContext(spark, args, spec.name, storage=storage, faults=faults)
    glue_job = _glue_job(spark, args)
    lineage = StageLineage(ctx, settings.lineage)
    lineage.start()
    try:
        faults.check(ctx.current_stage, "start")
        spec.body(ctx)
    except BaseException as err:
        lineage.fail(err)
        raise
    lineage.complete()
    ctx.clean_staging()
    if glue_job is not None:
        glue_job.commit()
    return ctx


def main_entry(spec: JobSpec) -> None:
    """``if __name__ == "__main__"`` of a job: run it, log errors plainly, exit non-zero.

    Its log lines go to stderr, prefixed ``baton:``; what it committed goes to stdout.
    """
    logs.configure(logs.JOB_FORMAT)
    try:
        ctx = run_stage(spec)
    except BatonError as err:
        log.error("%s failed: %s", spec.name, err)
        sys.exit(err.exit_code)
    except Exception:
        log.exception("%s failed", spec.name)
        sys.exit(1)
    for name, manifest in ctx.committed.items():
        print(f"baton: {spec.name} committed {name}: {manifest['rows']} rows")


def stage_job(required_args: Sequence[str] = (), optional_args: Mapping[str, str] | None = None,
              description: str = "") -> Callable[[Callable[[StageContext], None]], Callable[[StageContext], None]]:
    """Make a job module of its body and the declaration of its own arguments.

        @stage_job(required_args=("source",), optional_args={"format": "csv"})
        def ingest(ctx: StageContext) -> None:
            ...

    The module gets ``SPEC`` (named after the module's file) and ``main(argv)``, which the local
    handlers and the tests call, as a module written by hand declares them. Run as a script
    (``spark-submit jobs/<job>.py ...``), the module runs its job as soon as the body is decorated,
    so the decorated body comes last in the module.
    """
    def declare(body: Callable[[StageContext], None]) -> Callable[[StageContext], None]:
        module = body.__globals__
        taken = [name for name in ("SPEC", "main") if name in module]
        if taken:
            raise ValueError(f"{module['__name__']}: @stage_job defines {taken}; remove them from the module")
        name = module["__name__"].rsplit(".", 1)[-1]
        if name == "__main__":
            name = Path(module["__file__"]).stem
        spec = JobSpec(name=name, body=body, required_args=tuple(required_args),
                       optional_args=dict(optional_args or {}),
                       description=description or (body.__doc__ or "").strip().split("\n", 1)[0])

        def main(argv: list[str] | None = None) -> StageContext:
            return run_stage(spec, argv)

        module["SPEC"], module["main"] = spec, main
        if module["__name__"] == "__main__":
            main_entry(spec)
        return body
    return declare
