"""Correct the rows the Validate stage quarantined, re-validate them, and let them rejoin.

- Airports whose coordinates or time zone failed their suite are replaced by the entry
  of quality/reference/airports.csv (sign-flipped longitudes, swapped coordinates,
  missing time zones); destinations missing from airports are supplied from it.
- Flights whose only failures are correctable (a destination missing from airports) are
  re-validated against the corrected airports and rejoin the output.
- Every other row stays quarantined, with the reason from its suite.

    spark-submit jobs/flights_correct.py --execution-id demo-1 --current-stage Correct \\
        --previous-stage Validate --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

import csv
import io
from importlib import resources

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from baton.sources import schema
from baton.stage import JobSpec, StageContext, main_entry, run_stage
from jobs.flights_validate import PASS_THROUGH, SUITES, reference_parameters
from quality import checkpoint
from quality.gate import QUARANTINE_COLUMN, GateResult, evaluate
from transforms import corrections as c

REFERENCE_SCHEMA = schema("faa STRING, name STRING, lat DOUBLE, lon DOUBLE, alt INT, tz INT, dst STRING, "
                          "tzone STRING, note STRING")


def reference_airports(spark: SparkSession) -> DataFrame:
    """quality/reference/airports.csv, shipped inside the package (works from a zip too)."""
    text = resources.files("quality").joinpath("reference", "airports.csv").read_text(encoding="utf-8")
    rows = [_typed(row, REFERENCE_SCHEMA) for row in csv.DictReader(io.StringIO(text))]
    return spark.createDataFrame(rows, REFERENCE_SCHEMA)


def _typed(row: dict[str, str], struct: T.StructType) -> tuple:
    cast = {T.IntegerType: int, T.DoubleType: float, T.StringType: str}
    return tuple(cast[type(f.dataType)](row[f.name]) if row[f.name] != "" else None for f in struct.fields)


def correct_airports(validated: DataFrame, quarantined: DataFrame,
                     reference: DataFrame) -> tuple[DataFrame, DataFrame, GateResult]:
    """(airports, still quarantined, re-validation): reference fixes and supplements, re-validated."""
    suite = checkpoint.load(SUITES["airports"])
    bad = quarantined.drop(QUARANTINE_COLUMN, checkpoint.REASON_COLUMN)
    fixed = bad.transform(c.apply_reference(reference, "faa")).drop(c.CORRECTION_COLUMN)
    supplied = reference.transform(c.missing_from([validated, bad], "faa")).select(*validated.columns)
    recheck = evaluate(fixed.unionByName(supplied), suite)
    unfixable = quarantined.transform(c.without_reference(reference, "faa"))
    still = unfixable.unionByName(checkpoint.with_reasons(recheck.quarantined(), suite))
    return validated.unionByName(recheck.passing()), still, recheck


def correct_flights(validated: DataFrame, quarantined: DataFrame,
                    parameters: dict) -> tuple[DataFrame, DataFrame, GateResult]:
    """(flights, still quarantined, re-validation): correctable rows re-validated against corrected airports."""
    suite = checkpoint.load(SUITES["flights"])
    correctable = c.failed_only([e.name for e in suite.expectations if e.on_fail == "correct"], QUARANTINE_COLUMN)
    recheck = evaluate(quarantined.filter(correctable).drop(QUARANTINE_COLUMN, checkpoint.REASON_COLUMN),
                       suite, parameters)
    still = quarantined.filter(~correctable).unionByName(checkpoint.with_reasons(recheck.quarantined(), suite))
    return validated.unionByName(recheck.passing()), still, recheck


def correct(ctx: StageContext) -> None:
    validated = {name: ctx.read(name) for name in (*SUITES, *PASS_THROUGH)}
    quarantined = {name: ctx.read(name, kind="quarantine") for name in SUITES}
    airports, airports_q, airports_check = correct_airports(validated["airports"], quarantined["airports"],
                                                            reference_airports(ctx.spark))
    parameters = reference_parameters(airports, validated["planes"], validated["airlines"])
    flights, flights_q, flights_check = correct_flights(validated["flights"], quarantined["flights"], parameters)
    # GE's results and Data Docs of the re-validation of corrected rows
    checkpoint.write_reports(ctx, "airports", airports_check)
    checkpoint.write_reports(ctx, "flights", flights_check)
    results = {"flights": (flights, flights_q), "airports": (airports, airports_q),
               "weather": (validated["weather"], quarantined["weather"])}
    verdicts = {}
    try:
        for name, (good, still) in results.items():
            output = ctx.write(name, good)
            kept = ctx.write(name, still, kind="quarantine")
            verdicts[name] = checkpoint.correction_verdict(
                checkpoint.load(SUITES[name]), output, kept,
                remaining=ctx.read(name, ctx.current_stage, "quarantine"),
                quarantined_before=ctx.committed_manifest(name, kind="quarantine")["rows"])
    finally:  # what the re-validations persisted (duplicated keys of uniqueness checks)
        airports_check.release()
        flights_check.release()
    for name in PASS_THROUGH:
        ctx.write(name, validated[name])
    checkpoint.write_stage_verdict(ctx, verdicts)


SPEC = JobSpec(name="flights_correct", body=correct, description="correction of quarantined rows")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
