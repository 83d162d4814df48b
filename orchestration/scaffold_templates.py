"""The files ``baton new pipeline`` writes, as templates (``$name`` is the pipeline's name)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from string import Template
from typing import Any

from baton.raw_source import RawSource

JOB_STAGES = ("ingest", "conform", "validate", "aggregate", "load")

_RUN = """    spark-submit jobs/${name}_$job.py --execution-id demo-1 --current-stage $stage \\\\
        $previous--workflow-bucket ./workflow --initial-data '{}'$extra"""

FACTS = '''"""The ${name} pipeline's facts: its raw sources (where, format, schema, null token) and its datasets.

Declarations, jobs and tests import this module; it imports no pyspark. Written by
`baton new pipeline ${name}`: edit a source here when its files change.
"""

from baton.raw_source import RawSource

SOURCES = {
$sources}
DATASETS = tuple(SOURCES)
SUITES = {dataset: f"${name}_validate_{dataset}" for dataset in DATASETS}  # quality/suites/<suite>.json
SUMMARY = "${name}_row_counts"  # the warehouse table Load writes
'''

INGEST = '''"""Ingest one raw source of the ${name} pipeline into Parquet.

Its path, format, schema and null token are in jobs/${name}_facts.py. A line that does not fit
the schema stops the stage with the file, stage and column named.

$run
"""

from baton.ingest import ingest_source
from baton.stage import StageContext, stage_job
from jobs.${name}_facts import SOURCES


@stage_job(required_args=("source",))
def ingest(ctx: StageContext) -> None:
    """raw files -> Parquet, one source per run"""
    ingest_source(ctx, SOURCES)
'''

CONFORM = '''"""Conform the ${name} datasets with transforms/${name}.py.

$run
"""

from baton.stage import StageContext, stage_job
from transforms import ${name} as t


@stage_job()
def conform(ctx: StageContext) -> None:
    """conformed datasets"""
$conform_lines'''

VALIDATE = '''"""Gate the conformed ${name} datasets with their suites in quality/suites/ (drafted: review them).

Passing rows go to output/, failing rows to quarantine/ with the expectations they failed, GE's
results and Data Docs to quality/, and the stage's verdict to quality/verdict.json.

$run
"""

from baton.stage import StageContext, stage_job
from jobs.${name}_facts import SUITES
from quality import checkpoint


@stage_job()
def validate(ctx: StageContext) -> None:
    """GE suite gate with quarantine"""
    verdicts = {dataset: checkpoint.gate_dataset(ctx, dataset, ctx.read(dataset), checkpoint.load(suite))
                for dataset, suite in SUITES.items()}
    checkpoint.write_stage_verdict(ctx, verdicts)
'''

AGGREGATE = '''"""Aggregate the validated ${name} datasets: for now, the row count of each.

Replace it with the pipeline's marts (and Load's partitioning with theirs).

$run
"""

from functools import reduce

from pyspark.sql import DataFrame

from baton.stage import StageContext, stage_job
from jobs.${name}_facts import DATASETS, SUMMARY
from transforms import ${name} as t


@stage_job()
def aggregate(ctx: StageContext) -> None:
    """row counts per dataset"""
    counts = [ctx.read(dataset).transform(t.row_count(dataset)) for dataset in DATASETS]
    ctx.write(SUMMARY, reduce(DataFrame.unionByName, counts))
'''

LOAD = '''"""Load the ${name} marts into the warehouse, replacing only the partitions this execution produced.

$run
"""

from baton.stage import StageContext, stage_job
from jobs.${name}_facts import SUMMARY


@stage_job()
def load(ctx: StageContext) -> None:
    """warehouse tables, partition overwrite"""
    ctx.publish(SUMMARY, ctx.read(SUMMARY), partition_by=("dataset",))
'''

TRANSFORMS = '''"""Transforms of the ${name} pipeline: pure DataFrame -> DataFrame functions, no I/O.

Written by `baton new pipeline ${name}`: each conform_<dataset>() keeps its rows as ingested and
row_count() is the placeholder mart. Put the pipeline's logic here and test it in
tests/test_transforms_${name}.py.
"""

from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

$conform_functions
def row_count(dataset: str) -> Callable[[DataFrame], DataFrame]:
    """One row: ``dataset`` and its number of rows."""
    def apply(df: DataFrame) -> DataFrame:
        return df.agg(F.count(F.lit(1)).alias("rows")).select(F.lit(dataset).alias("dataset"), "rows")
    return apply
'''

CONFORM_FUNCTION = '''
def conform_${dataset}() -> Callable[[DataFrame], DataFrame]:
    """The conformed ${dataset} rows: as ingested, until this pipeline says otherwise."""
    def apply(df: DataFrame) -> DataFrame:
        return df
    return apply

'''

TESTS = '''"""Tests of transforms/${name}.py: tiny inline DataFrames on the shared ``spark`` fixture."""

from jobs.${name}_facts import SOURCES
from transforms import ${name} as t

$tests'''

TEST_DATASET = '''
def test_conform_${dataset}_keeps_the_rows_and_columns(spark):
    df = spark.createDataFrame([${nulls}] * 2, SOURCES["${dataset}"].schema)
    conformed = df.transform(t.conform_${dataset}())
    assert conformed.schema == df.schema
    assert conformed.collect() == df.collect()


def test_row_count_of_${dataset}(spark):
    df = spark.createDataFrame([${nulls}] * 3, SOURCES["${dataset}"].schema)
    assert [tuple(r) for r in df.transform(t.row_count("${dataset}")).collect()] == [("${dataset}", 3)]

'''

DECLARATION = '''"""The ${name} pipeline: Ingest, Conform, Validate (gated), Aggregate, Load.

Written by `baton new pipeline`; the CLI finds it by its module name.

    baton run ${name}                  # the declared sources (jobs/${name}_facts.py)
    baton run ${name} --input '{"initialData": {"sources": {"$first": "s3://bucket/raw/$first.$fmt"}}}'
"""

from jobs.${name}_facts import SOURCES
from orchestration.pipeline import Extraction, Job, Pipeline, Stage

PIPELINE = Pipeline(
    name="${name}",
    description="${name}: $source_list",
    extraction=Extraction(
        name="Ingest",
        sources=tuple(SOURCES),
        jobs_by_format={"$fmt": Job("baton-${name}-ingest-$fmt", "${name}_ingest")},
        default_format="$fmt",
    ),
    stages=(
        Stage("Conform", Job("baton-${name}-conform", "${name}_conform"), previous="Ingest"),
        Stage("Validate", Job("baton-${name}-validate", "${name}_validate"), previous="Conform", gated=True),
        Stage("Aggregate", Job("baton-${name}-aggregate", "${name}_aggregate"), previous="Validate"),
        Stage("Load", Job("baton-${name}-load", "${name}_load"), previous="Aggregate"),
    ),
)
'''

_STAGES = {"ingest": ("Ingest", None), "conform": ("Conform", "Ingest"), "validate": ("Validate", "Conform"),
           "aggregate": ("Aggregate", "Validate"), "load": ("Load", "Aggregate")}
_JOBS = {"ingest": INGEST, "conform": CONFORM, "validate": VALIDATE, "aggregate": AGGREGATE, "load": LOAD}


def render(name: str, sources: Sequence[RawSource], suites: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """The text of every file, by the keys of ``orchestration.scaffold.planned_files``."""
    datasets = [s.name for s in sources]
    common = {"name": name, "first": datasets[0], "fmt": sources[0].format, "source_list": ", ".join(datasets)}
    texts = {f"job_{job}": Template(_JOBS[job]).substitute(common, run=_run(name, job, datasets[0]),
                                                           conform_lines=_conform_lines(datasets))
             for job in JOB_STAGES}
    texts["facts"] = Template(FACTS).substitute(common, sources="".join(_source_entry(s) for s in sources))
    texts["transforms"] = Template(TRANSFORMS).substitute(
        common, conform_functions="".join(Template(CONFORM_FUNCTION).substitute(dataset=d) for d in datasets))
    texts["tests"] = Template(TESTS).substitute(common, tests="".join(
        Template(TEST_DATASET).substitute(dataset=s.name, nulls=_nulls(s)) for s in sources).rstrip("\n") + "\n")
    texts["declaration"] = Template(DECLARATION).substitute(common)
    texts |= {f"suite_{d}": json.dumps(suite, indent=2, default=str) + "\n" for d, suite in suites.items()}
    return texts


def _run(name: str, job: str, first: str) -> str:
    stage, previous = _STAGES[job]
    return Template(_RUN).substitute(name=name, job=job, stage=stage,
                                     previous=f"--previous-stage {previous} " if previous else "",
                                     extra=f" --source {first}" if job == "ingest" else "")


def _conform_lines(datasets: Sequence[str]) -> str:
    return "".join(f'    ctx.write("{d}", ctx.read("{d}").transform(t.conform_{d}()))\n' for d in datasets)


def _source_entry(source: RawSource) -> str:
    name, path, fmt, ddl, token = (json.dumps(v) for v in (source.name, source.path, source.format, source.schema,
                                                           source.null_token))
    return (f"    {name}: RawSource({name}, path={path}, format={fmt},\n"
            f"                      schema={ddl},\n"
            f"                      null_token={token}),\n")


def _nulls(source: RawSource) -> str:
    """A row of nulls for the source's schema, as a Python tuple literal."""
    width = len(source.schema.split(","))
    return "(None,)" if width == 1 else "(" + ", ".join(["None"] * width) + ")"
