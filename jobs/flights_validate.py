"""Gate the conformed flights tables with their Great Expectations suites.

Flights, airports and weather are each evaluated against their suite in quality/suites/;
passing rows go to ``output/``, failing rows to ``quarantine/`` with the expectations they
failed, GE's validation results and Data Docs to ``quality/``, and the stage's verdict to
``quality/verdict.json``. Planes and airlines pass through unchanged.

    spark-submit jobs/flights_validate.py --execution-id demo-1 --current-stage Validate \\
        --previous-stage Conform --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import PASS_THROUGH, SUITES, reference_parameters
from quality import checkpoint


def validate(ctx: StageContext) -> None:
    tables = {name: ctx.read(name) for name in (*SUITES, *PASS_THROUGH)}
    parameters = reference_parameters(tables["airports"], tables["planes"], tables["airlines"])
    verdicts = {
        name: checkpoint.gate_dataset(ctx, name, tables[name], checkpoint.load(suite), parameters, pass_through=True)
        for name, suite in SUITES.items()
    }
    for name in PASS_THROUGH:
        ctx.pass_through(name)
    checkpoint.write_stage_verdict(ctx, verdicts)


SPEC = JobSpec(name="flights_validate", body=validate, description="GE suite gate with quarantine")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
