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
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from baton.paths import validate_name
from baton.stage import StageContext
from baton.storage import read_json
from quality.gate import QUARANTINE_COLUMN, Evaluator, GateResult, evaluate, make_verdict
from quality.report import run_name, with_names, write_report_site
from quality.suite import Suite, suite_from_dict

REASON_COLUMN = "_baton_reason"
VALIDATION_FILE = "validation_result.json"


def load(name: str) -> Suite:
    """Suite ``name`` from quality/suites/, shipped inside the package (also inside the job zip)."""
    validate_name(name, "suite name")
    text = resources.files("quality").joinpath("suites", f"{name}.json").read_text(encoding="utf-8")
    return suite_from_dict(json.loads(text), source=f"quality/suites/{name}.json")


def gate_dataset(ctx: StageContext, dataset: str, df: DataFrame, suite: Suite,
                 parameters: Mapping[str, Any] | None = None,
                 evaluator: Evaluator | None = None, drop: Sequence[str] = ()) -> dict[str, Any]:
    """Evaluate ``suite`` on ``df``; commit passing rows, quarantine, reports. Returns the verdict.

    ``drop`` names columns only the suite reads (e.g. reference flags): the committed rows are
    without them. What the evaluation persists is reused by the split, then released. When no
    row failed, the passing rows are the input itself: a committed dataset passing through
    unchanged is committed by copying its files (see ``StageContext.write``).
    """
    result = evaluate(df, suite, parameters or {}, evaluator, storage_level=StorageLevel.MEMORY_AND_DISK,
                      drop=drop)
    try:
        rows, failed, correctable = result.row_counts()
        verdict = make_verdict(suite, result.expectations, rows, failed, correctable)
        write_reports(ctx, dataset, result)
        summary = quality_summary(verdict) | {"cost": result.cost}
        ctx.write(dataset, result.passing(), quality=summary)
        ctx.write(dataset, with_reasons(result.quarantined(), suite), kind="quarantine", quality=summary)
    finally:
        result.release()
    return verdict


def with_reasons(quarantined: DataFrame, suite: Suite) -> DataFrame:
    """Add ``_baton_reason``: the suite's reasons for the expectations a row failed, joined by '; '."""
    reasons = F.create_map(*[F.lit(x) for e in suite.expectations for x in (e.name, e.reason or e.name)])
    failed = F.col(QUARANTINE_COLUMN)
    return quarantined.withColumn(
        REASON_COLUMN, F.array_join(F.transform(failed, lambda name: F.coalesce(reasons[name], name)), "; "))


def correction_verdict(suite: Suite, output: Mapping[str, Any], kept: Mapping[str, Any],
                       remaining: DataFrame, quarantined_before: int) -> dict[str, Any]:
    """The verdict after a correction job: what is still quarantined, against the suite's tolerance.

    ``output`` and ``kept`` are the manifests of the committed output and quarantine;
    ``remaining`` is the committed quarantine (read back, small).
    """
    rows = output["rows"] + kept["rows"]
    still = kept["rows"]
    by_name = dict(remaining.select(F.explode(QUARANTINE_COLUMN).alias("name")).groupBy("name").count().collect())
    on_fail = {e.name: e for e in suite.expectations}
    within = still <= suite.tolerance * rows if rows else still == 0
    return {
        "suite": suite.name, "passed": within, "correctable": False, "rows": rows, "failedRows": still,
        "correctableRows": 0, "correctedRows": quarantined_before - still, "tolerance": suite.tolerance,
        "failedExpectations": [
            {"name": n, "type": on_fail[n].type if n in on_fail else None,
             "onFail": on_fail[n].on_fail if n in on_fail else None, "unexpectedCount": k, "success": False}
            for n, k in sorted(by_name.items())],
        "reason": (f"{quarantined_before - still} of {quarantined_before} quarantined rows corrected; "
                   f"{still} of {rows} rows stay quarantined "
                   f"({'within' if within else 'above'} the tolerance of {suite.tolerance:.2%})"),
    }


def write_reports(ctx: StageContext, dataset: str, result: GateResult) -> None:
    """GE's validation result of ``dataset``; its Data Docs page comes with the stage's report site.

    The result names its data asset (``dataset``) and its run (job/stage/execution id: the stage
    does not know the pipeline's name, its job's name stands for it).
    """
    run = run_name(ctx.job, ctx.current_stage, ctx.execution_id)
    ctx.write_object(f"{ctx.paths.quality(dataset)}/{VALIDATION_FILE}", with_names(result.validation, dataset, run))


def quality_summary(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """What a manifest carries of a verdict: enough to read without opening the reports."""
    keys = ("suite", "passed", "correctable", "rows", "failedRows", "correctableRows")
    return {k: verdict[k] for k in keys if k in verdict} | {
        "failedExpectations": [e["name"] for e in verdict.get("failedExpectations", [])]}


def stage_verdict(parts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One verdict for the stage from its datasets' verdicts (passed only if all passed)."""
    failed_hard = [d for d, v in parts.items() if not v["passed"] and not v["correctable"]]
    correctable = [d for d, v in parts.items() if v["correctable"]]
    reasons = [f"{d}: {v['reason']}" for d, v in parts.items() if not v["passed"]]
    return {
        "passed": not failed_hard and not correctable,
        "correctable": not failed_hard and bool(correctable),
        "rows": sum(v["rows"] for v in parts.values()),
        "failedRows": sum(v["failedRows"] for v in parts.values()),
        "correctableRows": sum(v.get("correctableRows", 0) for v in parts.values()),
        "failedExpectations": [dict(e, dataset=d) for d, v in parts.items() for e in v["failedExpectations"]],
        "reason": "; ".join(reasons) if reasons else "all datasets passed their suites",
        "datasets": {d: dict(v) for d, v in parts.items()},
    }


def write_stage_verdict(ctx: StageContext, parts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Write the report site (GE's Data Docs of every gated dataset with its verdict, offline), then
    ``quality/verdict.json``.

    The verdict comes last, after every dataset of the stage is committed.
    """
    verdict = stage_verdict(parts) | {"executionId": ctx.execution_id, "stage": ctx.current_stage}
    reports = {d: f"{ctx.paths.quality(d)}/{VALIDATION_FILE}" for d in parts}
    pages = {d: read_json(ctx.storage, key) for d, key in reports.items() if ctx.storage.exists(key)}
    write_report_site(ctx.storage.write_bytes, f"{ctx.paths.prefix}/quality", pages, verdicts=parts)
    ctx.write_object(ctx.paths.verdict, verdict)
    # stderr: a `baton run --json` prints only its JSON object on stdout
    print(f"baton: {ctx.current_stage} verdict: " + json.dumps(
        {k: verdict[k] for k in ("passed", "correctable", "rows", "failedRows", "correctableRows")}), file=sys.stderr)
    return verdict
