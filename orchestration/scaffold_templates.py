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

FACTS = '''"""The ${name} domain's facts: its raw sources (where, format, schema, null token) and its datasets.

Declarations, jobs and tests import this module (jobs never import each other); it imports no
pyspark. Written by `baton new pipeline ${name}`: edit a source here when its files change.
"""

from baton.raw_source import RawSource

SOURCES = {
$sources}
DATASETS = tuple(SOURCES)
# the suite of each dataset: quality/suites/<suite>.json
SUITES = {dataset: f"${name}_validate_{dataset}" for dataset in DATASETS}
SUMMARY = "${name}_row_counts"  # the warehouse table Load writes
'''

INGEST = '''"""Ingest one raw source of the ${name} pipeline into Parquet.

Its path, format, schema and null token are in domains/${name}.py. A line that does not fit
the schema stops the stage with the file, stage and column named.

$run
"""

from baton.ingest import ingest_source
from baton.stage import StageContext, stage_job
from domains.${name} import SOURCES


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
    for dataset, conform_dataset in t.CONFORM.items():
        ctx.write(dataset, ctx.read(dataset).transform(conform_dataset()))
'''

VALIDATE = '''"""Gate the conformed ${name} datasets with their suites in quality/suites/ (drafted: review them).

Passing rows go to output/, failing rows to quarantine/ with the expectations they failed, GE's
results and Data Docs to quality/, and the stage's verdict to quality/verdict.json.

$run
"""

from baton.stage import StageContext, stage_job
from domains.${name} import SUITES
from quality import checkpoint


@stage_job()
def validate(ctx: StageContext) -> None:
    """GE suite gate with quarantine"""
    verdicts = {dataset: checkpoint.gate_dataset(ctx, dataset, ctx.read(dataset), checkpoint.load(suite),
                                                 pass_through=True)
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
from domains.${name} import DATASETS, SUMMARY
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
from domains.${name} import SUMMARY


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


CONFORM = {  # what jobs/${name}_conform.py applies to each dataset
$conform_map}
'''

CONFORM_FUNCTION = '''
def conform_${dataset}() -> Callable[[DataFrame], DataFrame]:
    """The conformed ${dataset} rows: as ingested$what."""
    def apply(df: DataFrame) -> DataFrame:
        return $body
    return apply

'''

TESTS = '''"""Tests of transforms/${name}.py: tiny inline DataFrames on the shared ``spark`` fixture."""

from domains.${name} import SOURCES
from transforms import ${name} as t

$tests'''

TEST_DATASET = '''
def test_conform_${dataset}_keeps_the_rows(spark):
    df = spark.createDataFrame([(None,) * ${width}] * 2, SOURCES["${dataset}"].schema)
    conformed = df.transform(t.conform_${dataset}())
    assert conformed.columns == ${columns}
    assert [tuple(r) for r in conformed.collect()] == [tuple(r) for r in df.collect()]


def test_row_count_of_${dataset}(spark):
    df = spark.createDataFrame([(None,) * ${width}] * 3, SOURCES["${dataset}"].schema)
    counted = df.transform(t.row_count("${dataset}"))
    assert [tuple(r) for r in counted.collect()] == [("${dataset}", 3)]

'''

DECLARATION = '''"""The ${name} pipeline: Ingest, Conform, Validate (gated), Aggregate, Load.

Written by `baton new pipeline`; the CLI finds it by its module name.

    baton run ${name}                  # the declared sources (domains/${name}.py)
    baton run ${name} --input '{"initialData": {"sources": {"$first": "s3://bucket/raw/$first.$fmt"}}}'
"""

from domains.${name} import SOURCES
from orchestration.pipeline import Extraction, Job, Pipeline, Stage

PIPELINE = Pipeline(
    name="${name}",
    description="${name}: scaffolded from its sources (domains/${name}.py)",
    extraction=Extraction(
        name="Ingest",
        sources=tuple(SOURCES),
        jobs_by_format={"$fmt": Job("baton-${name}-ingest-$fmt", "${name}_ingest")},
        default_format="$fmt",
    ),
    stages=(
        Stage("Conform", Job("baton-${name}-conform", "${name}_conform"),
              previous="Ingest"),
        Stage("Validate", Job("baton-${name}-validate", "${name}_validate"),
              previous="Conform", gated=True),
        Stage("Aggregate", Job("baton-${name}-aggregate", "${name}_aggregate"),
              previous="Validate"),
        Stage("Load", Job("baton-${name}-load", "${name}_load"),
              previous="Aggregate"),
    ),
)
'''

_STAGES = {"ingest": ("Ingest", None), "conform": ("Conform", "Ingest"), "validate": ("Validate", "Conform"),
           "aggregate": ("Aggregate", "Validate"), "load": ("Load", "Aggregate")}
_JOBS = {"ingest": INGEST, "conform": CONFORM, "validate": VALIDATE, "aggregate": AGGREGATE, "load": LOAD}


def render(name: str, sources: Sequence[RawSource], renames: Mapping[str, Mapping[str, str]],
           suites: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """The text of every file, by the keys of ``orchestration.scaffold.planned_files``.

    ``renames`` are, per dataset, the columns Conform gives a plain name.
    """
    datasets = [s.name for s in sources]
    common = {"name": name, "first": datasets[0], "fmt": sources[0].format}
    texts = {f"job_{job}": Template(_JOBS[job]).substitute(common, run=_run(name, job, datasets[0]))
             for job in JOB_STAGES}
    texts["facts"] = Template(FACTS).substitute(common, sources="".join(_source_entry(s) for s in sources))
    texts["transforms"] = Template(TRANSFORMS).substitute(
        common, conform_functions="".join(_conform_function(d, renames[d]) for d in datasets),
        conform_map="".join(f'    "{d}": conform_{d},\n' for d in datasets))
    texts["tests"] = Template(TESTS).substitute(common, tests="".join(
        Template(TEST_DATASET).substitute(dataset=s.name, width=len(_columns(s)),
                                          columns=_list([renames[s.name].get(c, c) for c in _columns(s)]))
        for s in sources).rstrip("\n") + "\n")
    texts["declaration"] = Template(DECLARATION).substitute(common)
    texts |= {f"suite_{d}": json.dumps(suite, indent=2, default=str) + "\n" for d, suite in suites.items()}
    return texts


def _run(name: str, job: str, first: str) -> str:
    stage, previous = _STAGES[job]
    return Template(_RUN).substitute(name=name, job=job, stage=stage,
                                     previous=f"--previous-stage {previous} " if previous else "",
                                     extra=f" --source {first}" if job == "ingest" else "")


def _source_entry(source: RawSource) -> str:
    name, fmt, token = (json.dumps(v) for v in (source.name, source.format, source.null_token))
    indent = " " * (4 + len(name) + len(": RawSource("))
    return (f"    {name}: RawSource({name}, format={fmt}, null_token={token},\n"
            f"{indent}path={_literal(source.path, '/', indent + ' ' * len('path=('))},\n"
            f"{indent}schema={_literal(source.schema, ', ', indent + ' ' * len('schema=('))}),\n")


def _literal(text: str, sep: str, indent: str) -> str:
    """``text`` as a Python string literal; a long one as adjacent literals, cut after ``sep``, one per line."""
    width = 116 - len(indent)
    parts = [p + sep for p in text.split(sep)[:-1]] + [text.split(sep)[-1]]
    lines = [""]
    for part in parts:
        if lines[-1] and len(json.dumps(lines[-1] + part)) > width:
            lines.append("")
        lines[-1] += part
    if len(lines) == 1:
        return json.dumps(text)
    return "(" + f"\n{indent}".join(json.dumps(line) for line in lines) + ")"


def _conform_function(dataset: str, renames: Mapping[str, str]) -> str:
    if not renames:
        return Template(CONFORM_FUNCTION).substitute(dataset=dataset, what="", body="df")
    pairs = "".join(f"            {json.dumps(old)}: {json.dumps(new)},\n" for old, new in renames.items())
    return Template(CONFORM_FUNCTION).substitute(dataset=dataset, what=", with plain column names",
                                                 body=f"df.withColumnsRenamed({{\n{pairs}        }})")


def _columns(source: RawSource) -> list[str]:
    """The column names of the source's DDL (names never hold a comma or a backtick: the scaffold refuses them)."""
    return [field.strip().rsplit(" ", 1)[0].strip("`") for field in source.schema.split(",")]


def _list(items: Sequence[str]) -> str:
    """A Python list literal of strings, one per line when it is long."""
    flat = json.dumps(list(items))
    return flat if len(flat) <= 60 else "[\n" + "".join(f"        {json.dumps(i)},\n" for i in items) + "    ]"
