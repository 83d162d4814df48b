"""Conform the ingested TPC-H tables: the declared columns in order, exact money, dates, trimmed strings.

    spark-submit jobs/tpch_conform.py --execution-id demo-1 --current-stage Conform \\
        --previous-stage Ingest --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton import paths
from baton.errors import BadInputError
from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.tpch import TABLES, schema
from transforms import tpch as t


def conform(ctx: StageContext) -> None:
    for table in TABLES:
        raw = ctx.read(table)
        try:
            conformed = raw.transform(t.conform_table(schema(table)))
        except t.ConformError as err:
            source = paths.StagePaths(ctx.execution_id, ctx.previous_stage).output(table)
            raise BadInputError(str(err), stage=ctx.current_stage, path=ctx.bucket.uri(source),
                                column=err.column) from None
        ctx.write(table, conformed)


SPEC = JobSpec(name="tpch_conform", body=conform, description="typed, trimmed TPC-H tables")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
