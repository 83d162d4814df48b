"""Gate a dataset inside a stage and write what the contract asks for.

For one dataset: evaluate its suite, write GE's validation result to ``quality/{dataset}/``,
commit passing rows to ``output/{dataset}`` and failing rows (whole, plus the names of the
expectations they failed) to ``quarantine/{dataset}``. For the stage: write the report site
(``quality/index.html``, a Data Docs page per dataset, vendored assets: it works offline)
and combine the datasets' verdicts into ``quality/verdict.json``, the small object the
state machine reads. Jobs call these; how a suite is evaluated lives in
``quality.gate`` and can be swapped without touching them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from baton.errors import BatonError
from baton.paths import validate_name
from baton.stage import StageContext
from baton.storage import read_json
from quality.gate import QUARANTINE_COLUMN, Evaluator, GateResult, evaluate, make_verdict
from quality.references import KeyReference, no_orphans, orphans
from quality.report import run_name, with_names, write_report_site
from quality.suite import Suite, suite_from_dict
from quality.verdict import Verdict

log = logging.getLogger("baton.checkpoint")

REASON_COLUMN = "_baton_reason"
VALIDATION_FILE = "validation_result.json"


class UnbalancedCountsError(BatonError):
    """A gated or corrected dataset whose rows in are not its rows out + quarantined + dropped."""


@dataclass(frozen=True)
class Accounting:
    """Where the rows of one gated or corrected dataset went (DESIGN.md section 8: counts balance).

    ``rows_in`` + ``added`` = ``rows_out`` + ``quarantined`` + ``dropped``; ``dropped`` and ``added``
    count rows by their reason (e.g. ``{"duplicate of a corrected row": 31}``,
    ``{"supplied from quality/reference/airports.csv": 4}``).
    """

    stage: str
    dataset: str
    rows_in: int
    rows_out: int
    quarantined: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    added: Mapping[str, int] = field(default_factory=dict)

    @property
    def dropped_rows(self) -> int:
        return sum(self.dropped.values())

    @property
    def added_rows(self) -> int:
        return sum(self.added.values())

    def check(self) -> None:
        """Raise :class:`UnbalancedCountsError` unless the counts balance and every drop has a reason."""
        if any(not reason.strip() for reason in (*self.dropped, *self.added)):
            raise UnbalancedCountsError(f"{self.dataset}: rows dropped or added need a reason, got "
                                        f"{dict(self.dropped)} dropped, {dict(self.added)} added", stage=self.stage)
        accounted = self.rows_out + self.quarantined + self.dropped_rows
        if self.rows_in + self.added_rows != accounted:
            added = f" + {self.added_rows:,} added" if self.added else ""
            raise UnbalancedCountsError(
                f"{self.dataset}: {self.rows_in:,} rows in{added} but {self.rows_out:,} out + {self.quarantined:,} "
                f"quarantined + {self.dropped_rows:,} dropped = {accounted:,}: "
                f"{self.rows_in + self.added_rows - accounted:,} rows unaccounted for", stage=self.stage)

    def on(self, verdict: Verdict) -> Verdict:
        """``verdict`` with what it carries of the accounting."""
        return verdict.with_accounting(self.rows_in, self.dropped, self.added)


def load(name: str) -> Suite:
    """Suite ``name`` from quality/suites/, shipped inside the package (also inside the job zip)."""
    validate_name(name, "suite name")
    text = resources.files("quality").joinpath("suites", f"{name}.json").read_text(encoding="utf-8")
    return suite_from_dict(json.loads(text), source=f"quality/suites/{name}.json")


def gate_dataset(ctx: StageContext, dataset: str, df: DataFrame, suite: Suite,
                 parameters: Mapping[str, Any] | None = None,
                 evaluator: Evaluator | None = None, drop: Sequence[str] = (),
                 references: Mapping[KeyReference, DataFrame] | None = None, pass_through: bool = False) -> Verdict:
    """Evaluate ``suite`` on ``df``; commit passing rows, quarantine, reports. Returns the verdict.

    ``drop`` names columns only the suite reads (e.g. reference flags): the committed rows are
    without them. ``references`` maps each reference flagged in ``df`` (see
    :mod:`quality.references`) to its parent: the verdict's ``orphans`` counts and samples the keys
    without a parent of each reference whose check failed. What the evaluation persists is reused
    by the split, then released. With ``pass_through``, ``df`` is the previous stage's committed
    ``dataset`` as read (plus only the ``drop`` columns): when no row failed, its files are committed
    unchanged (:meth:`StageContext.pass_through`) instead of rewritten. The rows in must equal the
    rows committed and quarantined.
    """
    if pass_through:
        _require_committed_columns(ctx, dataset, df.drop(*drop))
    result = evaluate(df, suite, parameters or {}, evaluator, storage_level=StorageLevel.MEMORY_AND_DISK,
                      drop=drop)
    try:
        rows, failed, correctable = result.row_counts()
        verdict = make_verdict(suite, result.expectations, rows, failed, correctable)
        write_reports(ctx, dataset, result)
        summary = quality_summary(verdict) | {"cost": result.cost}
        output = (ctx.pass_through(dataset, quality=summary) if pass_through and failed == 0
                  else ctx.write(dataset, result.passing(), quality=summary))
        kept = ctx.write(dataset, with_reasons(result.quarantined(), suite), kind="quarantine", quality=summary)
    finally:
        result.release()
    accounting = Accounting(ctx.current_stage, dataset, rows, output["rows"], kept["rows"])
    accounting.check()
    if references:
        verdict = replace(verdict, orphans=tuple(orphan_reports(df, suite, verdict, references)))
    return accounting.on(verdict)


def _require_committed_columns(ctx: StageContext, dataset: str, df: DataFrame) -> None:
    """Refuse to pass ``dataset`` through when ``df`` does not even have the committed dataset's columns."""
    committed = StructType.fromJson(ctx.committed_manifest(dataset)["schema"])
    if df.schema != committed:
        raise ValueError(f"dataset {dataset!r} passes through only as read: its committed columns are "
                         f"{committed.simpleString()}, the gated ones {df.schema.simpleString()}")


def orphan_reports(df: DataFrame, suite: Suite, verdict: Verdict,
                   references: Mapping[KeyReference, DataFrame]) -> list[dict[str, Any]]:
    """Each reference's orphans (:func:`quality.references.orphans`); Spark runs only for a failed check."""
    failed = set(verdict.failed_names())
    failed_columns = {c for e in suite.expectations if e.name in failed for c in e.columns}
    return [orphans(df, parent, ref) if ref.flag in failed_columns else no_orphans(ref)
            for ref, parent in references.items()]


def revalidate(validated: DataFrame, corrected: DataFrame, suite: Suite,
               parameters: Mapping[str, Any] | None = None, evaluator: Evaluator | None = None) -> GateResult:
    """Evaluate ``suite`` on what the next stage will read: the rows that passed plus the corrected rows.

    Re-validating the corrected rows alone would miss a collision with a row that already passed
    (two rows of one key, each unique in its half). The caller releases the result.
    """
    return evaluate(validated.unionByName(corrected), suite, parameters or {}, evaluator,
                    storage_level=StorageLevel.MEMORY_AND_DISK)


def with_reasons(quarantined: DataFrame, suite: Suite) -> DataFrame:
    """Add ``_baton_reason``: the suite's reasons for the expectations a row failed, joined by '; '."""
    reasons = F.create_map(*[F.lit(x) for e in suite.expectations for x in (e.name, e.reason or e.name)])
    failed = F.col(QUARANTINE_COLUMN)
    return quarantined.withColumn(
        REASON_COLUMN, F.array_join(F.transform(failed, lambda name: F.coalesce(reasons[name], name)), "; "))


def correction_verdict(suite: Suite, accounting: Accounting, remaining: DataFrame,
                       quarantined_before: int) -> Verdict:
    """The verdict after a correction job: what is still quarantined, against the suite's tolerance.

    ``accounting`` counts the dataset's rows: in (the gated stage's output and quarantine), added,
    out, still quarantined, dropped; it must balance (else :class:`UnbalancedCountsError`).
    ``remaining`` is the committed quarantine (read back, small). ``correctedRows`` is what joined
    the output beyond the rows that had passed and the rows added: quarantined rows corrected, less
    any passed row the re-validation quarantined.
    """
    accounting.check()
    rows = accounting.rows_out + accounting.quarantined
    still = accounting.quarantined
    corrected = accounting.rows_out - (accounting.rows_in - quarantined_before) - accounting.added_rows
    by_name = dict(remaining.select(F.explode(QUARANTINE_COLUMN).alias("name")).groupBy("name").count().collect())
    on_fail = {e.name: e for e in suite.expectations}
    within = still <= suite.tolerance * rows if rows else still == 0
    dropped = ""
    if accounting.dropped_rows:
        reasons = ", ".join(f"{reason}: {n:,}" for reason, n in accounting.dropped.items())
        dropped = f"{accounting.dropped_rows:,} dropped ({reasons}); "
    return accounting.on(Verdict(
        suite=suite.name, passed=within, correctable=False, rows=rows, failed_rows=still,
        correctable_rows=0, corrected_rows=corrected, tolerance=suite.tolerance,
        failed_expectations=tuple(
            {"name": n, "type": on_fail[n].type if n in on_fail else None,
             "onFail": on_fail[n].on_fail if n in on_fail else None, "unexpectedCount": k, "success": False}
            for n, k in sorted(by_name.items())),
        reason=(f"{corrected:,} of {quarantined_before:,} quarantined rows corrected; {dropped}"
                f"{still:,} of {rows:,} rows stay quarantined "
                f"({'within' if within else 'above'} the tolerance of {suite.tolerance:.2%})"),
    ))


def write_reports(ctx: StageContext, dataset: str, result: GateResult) -> None:
    """GE's validation result of ``dataset``; its Data Docs page comes with the stage's report site.

    The result names its data asset (``dataset``) and its run (job/stage/execution id: the stage
    does not know the pipeline's name, its job's name stands for it).
    """
    run = run_name(ctx.job, ctx.current_stage, ctx.execution_id)
    ctx.write_object(f"{ctx.paths.quality(dataset)}/{VALIDATION_FILE}", with_names(result.validation, dataset, run))


def quality_summary(verdict: Verdict) -> dict[str, Any]:
    """What a manifest carries of a verdict: enough to read without opening the reports."""
    keys = ("suite", "passed", "correctable", "rows", "failedRows", "correctableRows")
    form = verdict.to_json()
    return {k: form[k] for k in keys if k in form} | {"failedExpectations": verdict.failed_names()}


def stage_verdict(parts: Mapping[str, Verdict], execution_id: str | None = None,
                  stage: str | None = None) -> Verdict:
    """One verdict for the stage from its datasets' verdicts (passed only if all passed)."""
    failed_hard = [d for d, v in parts.items() if not v.passed and not v.correctable]
    correctable = [d for d, v in parts.items() if v.correctable]
    reasons = [f"{d}: {v.reason}" for d, v in parts.items() if not v.passed]
    return Verdict(
        passed=not failed_hard and not correctable,
        correctable=not failed_hard and bool(correctable),
        rows=sum(v.rows for v in parts.values()),
        failed_rows=sum(v.failed_rows for v in parts.values()),
        correctable_rows=sum(v.correctable_rows for v in parts.values()),
        dropped_rows=sum(v.dropped_rows or 0 for v in parts.values()),
        failed_expectations=tuple(dict(e, dataset=d) for d, v in parts.items() for e in v.failed_expectations),
        reason="; ".join(reasons) if reasons else "all datasets passed their suites",
        datasets=dict(parts),
        execution_id=execution_id,
        stage=stage,
    )


def write_stage_verdict(ctx: StageContext, parts: Mapping[str, Verdict]) -> Verdict:
    """Write the report site (GE's Data Docs of every gated dataset with its verdict, offline), then
    ``quality/verdict.json``.

    The verdict comes last, after every dataset of the stage is committed.
    """
    verdict = stage_verdict(parts, ctx.execution_id, ctx.current_stage)
    reports = {d: f"{ctx.paths.quality(d)}/{VALIDATION_FILE}" for d in parts}
    pages = {d: read_json(ctx.storage, key) for d, key in reports.items() if ctx.storage.exists(key)}
    write_report_site(ctx.storage.write_bytes, f"{ctx.paths.prefix}/quality", pages,
                      verdicts={d: v.to_json() for d, v in parts.items()})
    ctx.write_object(ctx.paths.verdict, verdict.to_json())
    form = verdict.to_json()
    log.info("%s verdict: %s", ctx.current_stage,
             json.dumps({k: form[k] for k in ("passed", "correctable", "rows", "failedRows", "correctableRows")}))
    return verdict
