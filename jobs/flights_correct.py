"""Correct the rows the Validate stage quarantined, re-validate them, and let them rejoin.

- Airports whose coordinates or time zone failed their suite are replaced by the entry
  of quality/reference/airports.csv (sign-flipped longitudes, swapped coordinates,
  missing time zones); destinations missing from airports are supplied from it.
- Flights whose only failures are correctable (a destination missing from airports) are
  re-validated against the corrected airports and rejoin the output.
- Every other row stays quarantined, with the reason from its suite.

What is re-validated is what the next stage will read: the rows that passed Validate plus the
corrected rows (a corrected row may collide with one that passed). Each dataset's counts must
balance: rows in (Validate's output and quarantine) + rows supplied = out + still quarantined.

    spark-submit jobs/flights_correct.py --execution-id demo-1 --current-stage Correct \\
        --previous-stage Validate --workflow-bucket ./workflow --initial-data '{}'
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import NamedTuple

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from baton.sources import schema
from baton.stage import JobSpec, StageContext, main_entry, run_stage
from domains.flights import PASS_THROUGH, SUITES, reference_parameters
from quality import checkpoint
from quality.gate import QUARANTINE_COLUMN, GateResult
from transforms import corrections as c

SUPPLIED = "supplied from quality/reference/airports.csv (destinations missing from airports)"
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


class Corrected(NamedTuple):
    """A dataset after correction: its output, what stays quarantined, the re-validation, rows added by reason."""

    output: DataFrame
    quarantined: DataFrame
    check: GateResult
    added: dict[str, int]


def correct_airports(validated: DataFrame, quarantined: DataFrame, reference: DataFrame) -> Corrected:
    """Reference fixes and supplements, re-validated with the airports that passed."""
    suite = checkpoint.load(SUITES["airports"])
    bad = quarantined.drop(QUARANTINE_COLUMN, checkpoint.REASON_COLUMN)
    fixed = bad.transform(c.apply_reference(reference, "faa")).drop(c.CORRECTION_COLUMN)
    supplied = reference.transform(c.missing_from([validated, bad], "faa")).select(*validated.columns)
    recheck = checkpoint.revalidate(validated, fixed.unionByName(supplied), suite)
    unfixable = quarantined.transform(c.without_reference(reference, "faa"))
    still = unfixable.unionByName(checkpoint.with_reasons(recheck.quarantined(), suite))
    return Corrected(recheck.passing(), still, recheck, {SUPPLIED: supplied.count()})


def correct_flights(validated: DataFrame, quarantined: DataFrame, parameters: dict) -> Corrected:
    """Correctable rows re-validated, against the corrected airports, with the flights that passed."""
    suite = checkpoint.load(SUITES["flights"])
    correctable = c.failed_only([e.name for e in suite.expectations if e.on_fail == "correct"], QUARANTINE_COLUMN)
    recheck = checkpoint.revalidate(
        validated, quarantined.filter(correctable).drop(QUARANTINE_COLUMN, checkpoint.REASON_COLUMN), suite,
        parameters)
    still = quarantined.filter(~correctable).unionByName(checkpoint.with_reasons(recheck.quarantined(), suite))
    return Corrected(recheck.passing(), still, recheck, {})


def correct(ctx: StageContext) -> None:
    validated = {name: ctx.read(name) for name in (*SUITES, *PASS_THROUGH)}
    quarantined = {name: ctx.read(name, kind="quarantine") for name in SUITES}
    airports = correct_airports(validated["airports"], quarantined["airports"], reference_airports(ctx.spark))
    parameters = reference_parameters(airports.output, validated["planes"], validated["airlines"])
    flights = correct_flights(validated["flights"], quarantined["flights"], parameters)
    # GE's results and Data Docs of the re-validations (what the next stage reads)
    checkpoint.write_reports(ctx, "airports", airports.check)
    checkpoint.write_reports(ctx, "flights", flights.check)
    results = {"flights": (flights.output, flights.quarantined, flights.added),
               "airports": (airports.output, airports.quarantined, airports.added),
               "weather": (None, None, {})}  # not corrected: passes through
    verdicts = {}
    try:
        for name, (good, still, added) in results.items():
            output = ctx.pass_through(name) if good is None else ctx.write(name, good)
            kept = (ctx.pass_through(name, kind="quarantine") if still is None
                    else ctx.write(name, still, kind="quarantine"))
            before = ctx.committed_manifest(name, kind="quarantine")["rows"]
            accounting = checkpoint.Accounting(ctx.current_stage, name, ctx.committed_manifest(name)["rows"] + before,
                                               output["rows"], kept["rows"], added=added)
            verdicts[name] = checkpoint.correction_verdict(
                checkpoint.load(SUITES[name]), accounting,
                remaining=ctx.read(name, ctx.current_stage, "quarantine"), quarantined_before=before)
    finally:  # what the re-validations persisted
        airports.check.release()
        flights.check.release()
    for name in PASS_THROUGH:
        ctx.pass_through(name)
    checkpoint.write_stage_verdict(ctx, verdicts)


SPEC = JobSpec(name="flights_correct", body=correct, description="correction of quarantined rows")


def main(argv: list[str] | None = None) -> StageContext:
    return run_stage(SPEC, argv)


if __name__ == "__main__":
    main_entry(SPEC)
