"""The quality gate: validate a DataFrame with a suite, flag failing rows, decide a verdict.

The validation result is GE's (the contract and the report); Baton's own Spark predicates
(:mod:`quality.predicates`) mark which rows failed which expectations, so rows can be routed
without collecting anything to the driver. The evaluation is swappable through the
:class:`quality.evaluators.Evaluator` protocol (importable from here too, as is
:class:`~quality.evaluators.GreatExpectationsEvaluator`). The default,
:class:`quality.compiled.CompiledEvaluator`, computes GE's result in one projection and one
aggregation, and the flags come from that projection; ``evaluator=GreatExpectationsEvaluator()``
(or ``Evaluators("great_expectations").get()``) runs Great Expectations itself. A caller that gates
several datasets passes one evaluator to all (:class:`Evaluators` creates each kind once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark import StorageLevel
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from baton.errors import ArgumentError
from quality.compiled import CompiledEvaluator
from quality.evaluators import Evaluator, GreatExpectationsEvaluator
from quality.predicates import ROW_LEVEL_TYPES, PredicateError, unexpected_condition
from quality.spark_metrics import measure
from quality.suite import Expectation, Suite, check_with_great_expectations
from quality.verdict import Verdict

FAILED_COLUMN = "_baton_failed"
QUARANTINE_COLUMN = "_baton_failed_expectations"
ROUTED = ("quarantine", "correct")
EVALUATORS = ("compiled", "great_expectations")
ROUTED_PREFIX = "__baton_routed_"
_SPARK_ERRORS = (PySparkException, Py4JJavaError)
logger = logging.getLogger("baton.gate")


class Evaluators:
    """The gate's evaluators of one caller (a stage, a check), each created on first use.

    ``default`` names the one :meth:`get` gives without a name: ``"compiled"`` (Baton's compiled
    gate, which delegates what it does not compile to this holder's ``"great_expectations"``) or
    ``"great_expectations"``. Great Expectations builds its context once per evaluator, on first use.
    """

    def __init__(self, default: str = "compiled") -> None:
        self.default = _evaluator_name(default)
        self._made: dict[str, Evaluator] = {}

    def get(self, name: str | None = None) -> Evaluator:
        name = _evaluator_name(name or self.default)
        if name not in self._made:
            if name == "great_expectations":
                self._made[name] = GreatExpectationsEvaluator()
            else:
                self._made[name] = CompiledEvaluator(fallback=self.get("great_expectations"))
        return self._made[name]


def _evaluator_name(name: str) -> str:
    if name not in EVALUATORS:
        raise ArgumentError(f"unknown gate evaluator {name!r}; choose one of {list(EVALUATORS)}", argument="evaluator")
    return name


@dataclass
class GateResult:
    """Outcome of :func:`evaluate`.

    ``flagged`` is the input plus ``_baton_failed: array<string>``: the names of the
    quarantine/correct expectations each row failed (empty when none; warn-only failures
    leave it empty). :meth:`passing` and :meth:`quarantined` split the same rows; they filter
    on the boolean flags, so only quarantined rows build the array. ``expectations``
    summarises every expectation (see :func:`summarize`). ``cost`` is what the evaluation
    cost Spark: ``{"sparkJobs": n, "sqlExecutions": m}``. ``cached`` is what :func:`evaluate`
    persisted for ``storage_level`` (the projection the split reads), ``keys`` the compiled
    gate's persisted duplicated keys, ``kept`` the rows to quarantine when the compiled gate
    persisted them while it listed unexpected values; :meth:`release` unpersists them.
    """

    suite: Suite
    validation: dict
    flagged: DataFrame
    expectations: list[dict]
    passing_rows: DataFrame
    quarantined_rows: DataFrame
    source: DataFrame  # the input, without ``drop``'s columns
    cost: dict | None = None
    cached: DataFrame | None = None
    counts: tuple[int, int, int] | None = None
    keys: tuple[DataFrame, ...] = ()
    kept: DataFrame | None = None

    def row_counts(self) -> tuple[int, int, int]:
        """``(rows, failed_rows, correctable_rows)``: from the evaluation's own aggregation when it had
        them (the compiled gate), else one aggregation of ``flagged`` (:func:`count_rows`)."""
        if self.counts is None:
            self.counts = count_rows(self.flagged, self.suite)
        return self.counts

    def release(self) -> None:
        """Unpersist what :func:`evaluate` persisted: the projection, the duplicated keys, the kept rows."""
        for persisted in (self.cached, *self.keys, self.kept):
            if persisted is not None:
                persisted.unpersist()

    def passing(self) -> DataFrame:
        """Rows that failed no quarantine/correct expectation, with the input's columns.

        When the row counts are known: the input itself if no row failed (no filter to evaluate),
        empty without a scan if every row failed.
        """
        if self.counts is not None and self.counts[1] == 0:
            return self.source
        if self.counts is not None and self.counts[1] == self.counts[0]:
            return self.passing_rows.limit(0)
        return self.passing_rows

    def quarantined(self) -> DataFrame:
        """Rows that failed at least one, with the names in ``_baton_failed_expectations``.

        Empty without a scan when the row counts are known and no row failed.
        """
        if self.counts is not None and self.counts[1] == 0:
            return self.quarantined_rows.limit(0)
        return self.quarantined_rows

    def verdict(self, rows: int, failed_rows: int, correctable_rows: int) -> Verdict:
        """The verdict for these row counts (see :func:`count_rows` and :func:`make_verdict`)."""
        return make_verdict(self.suite, self.expectations, rows, failed_rows, correctable_rows)


def evaluate(
    df: DataFrame,
    suite: Suite,
    parameters: Mapping[str, Any] | None = None,
    evaluator: Evaluator | None = None,
    storage_level: StorageLevel | None = None,
    drop: Sequence[str] = (),
) -> GateResult:
    """Validate ``df`` with ``suite`` and flag the rows that failed routed expectations.

    ``drop`` names columns of ``df`` that only the suite reads: the passing and quarantined rows
    are without them.

    Suite parameters, columns and kwargs are checked before the (slow) validation runs. With
    an evaluator that compiles the suite (it has ``compile``), the flags come from the
    projection the evaluation aggregates, and the verdict's row counts come from the same
    aggregation (:meth:`GateResult.row_counts`). With ``storage_level`` that projection is
    persisted when it holds a shuffle (a uniqueness window), so the split reads it back instead of
    shuffling again; a projection without one is cheaper to recompute than to cache (measured in
    docs/benchmarks.md: caching 2 M rows with a string column cost more than two re-scans).
    With other evaluators ``storage_level`` persists the flags' projection. Without ``evaluator``, a
    compiled evaluator of this call's own (:class:`Evaluators`).
    """
    if FAILED_COLUMN in df.columns:
        raise ValueError(f"the DataFrame already has a {FAILED_COLUMN!r} column; drop it before the gate")
    parameters = dict(parameters or {})
    check_with_great_expectations(suite)
    conditions = routed_conditions(suite, parameters, df)
    evaluator = evaluator or Evaluators().get()
    cached, counts, keys, kept = None, None, (), None
    with measure(df.sparkSession) as cost:
        if hasattr(evaluator, "compile"):
            compiled = evaluator.compile(df, suite, parameters)
            # routed expectations without a compiled flag (delegated ones) get theirs in the projection
            own, flags = {}, []
            for i, (name, condition) in enumerate(conditions):
                flag = compiled.flag(name)
                if flag is None:
                    own[f"{ROUTED_PREFIX}{i}"] = condition
                    flag = F.col(f"{ROUTED_PREFIX}{i}")
                flags.append((name, flag))
            compiled.extend(own)
            validation = compiled.validate(row_count_aggregates(suite, flags), storage_level, keep=_any(flags))
            rows, hidden = compiled.projection, compiled.hidden_columns
            cached, keys, kept = compiled.cached, tuple(compiled.keys.values()), compiled.kept
            if compiled.extra_values:
                counts = tuple(int(v) for v in compiled.extra_values)
        else:
            # the conditions go into a projection first: a uniqueness window cannot filter
            hidden = tuple(f"{ROUTED_PREFIX}{i}" for i in range(len(conditions)))
            rows = df.select("*", *[condition.alias(h) for (_, condition), h in zip(conditions, hidden, strict=True)])
            flags = [(name, F.col(h)) for (name, _), h in zip(conditions, hidden, strict=True)]
            if storage_level is not None:
                rows = cached = rows.persist(storage_level)
            validation = evaluator.validate(df, suite, parameters)
    failed = _any(flags)
    hidden = (*hidden, *drop)
    return GateResult(
        suite, validation, flag_rows(rows, flags).drop(*hidden), summarize(suite, validation),
        passing_rows=rows.where(~failed).drop(*hidden),
        quarantined_rows=flag_rows((rows if kept is None else kept).where(failed), flags).drop(*hidden)
        .withColumnRenamed(FAILED_COLUMN, QUARANTINE_COLUMN),
        source=df.drop(*drop), cost=cost.as_dict(), cached=cached, counts=counts, keys=keys, kept=kept)


def _any(flags: list[tuple[str, Column]]) -> Column:
    """TRUE where any of the (never-NULL) flags is."""
    return reduce(lambda a, b: a | b, [flag for _, flag in flags], F.lit(False))


def row_count_aggregates(suite: Suite, flags: list[tuple[str, Column]]) -> list[Column]:
    """``rows``, ``failed_rows``, ``correctable_rows`` as aggregate expressions over never-NULL boolean flags.

    A failed row is correctable when every expectation it failed has ``on_fail == "correct"``.
    """
    correct = {exp.name for exp in suite.expectations if exp.on_fail == "correct"}
    failed = _any(flags)
    blocking = reduce(lambda a, b: a | b, [flag for name, flag in flags if name not in correct], F.lit(False))
    return [F.count(F.lit(1)), F.count_if(failed), F.count_if(failed & ~blocking)]


def routed_conditions(suite: Suite, parameters: Mapping[str, Any], df: DataFrame) -> list[tuple[str, Column]]:
    """``(name, unexpected condition)`` of every quarantine/correct expectation with a row predicate.

    The conditions never raise on data (:mod:`quality.predicates` guards every comparison across
    types with ``try_cast``). A condition Spark cannot even analyse on ``df`` (a boolean compared
    with a number) cannot be evaluated on any row: every row fails it, and Great Expectations' error
    for that expectation blocks the run (see :func:`make_verdict`).
    """
    conditions = []
    for exp, kwargs in suite.resolve(parameters):
        if exp.on_fail not in ROUTED:
            continue
        try:
            condition = unexpected_condition(exp.type, kwargs, df.schema)
        except PredicateError as exc:
            where = f"suite {suite.name!r} ({suite.source}): expectation {exp.name!r}"
            raise PredicateError(f"{where}: {exc}") from exc
        if condition is not None:
            conditions.append((exp.name, condition))
    try:
        df.select(*[condition for _, condition in conditions])
    except _SPARK_ERRORS:
        conditions = [(name, _analysed_or_failing(df, suite, name, condition)) for name, condition in conditions]
    return conditions


def _analysed_or_failing(df: DataFrame, suite: Suite, name: str, condition: Column) -> Column:
    """``condition``, or TRUE when Spark rejects it on ``df`` (logged with suite and expectation)."""
    try:
        df.select(condition)
    except _SPARK_ERRORS as exc:
        logger.warning("suite %r: expectation %r cannot be evaluated on these columns, every row fails it: %s",
                       suite.name, name, str(exc).splitlines()[0])
        return F.lit(True)
    return condition


def flag_rows(df: DataFrame, conditions: list[tuple[str, Column]]) -> DataFrame:
    """``df`` plus ``_baton_failed``, the names of the conditions each row meets, in one projection."""
    if FAILED_COLUMN in df.columns:
        raise ValueError(f"the DataFrame already has a {FAILED_COLUMN!r} column; drop it before the gate")
    # a concatenation of one-name arrays (array_compact and filter were measured slower)
    empty = F.array().cast("array<string>")
    names = [F.when(condition, F.array(F.lit(name))).otherwise(empty) for name, condition in conditions]
    failed = F.concat(*names) if names else empty
    return df.select("*", failed.cast("array<string>").alias(FAILED_COLUMN))


def count_rows(flagged: DataFrame, suite: Suite) -> tuple[int, int, int]:
    """``(rows, failed_rows, correctable_rows)`` of a flagged DataFrame in a single aggregation.

    A failed row is correctable when every expectation it failed has ``on_fail == "correct"``.
    """
    correct = [exp.name for exp in suite.expectations if exp.on_fail == "correct"]
    failed = F.size(FAILED_COLUMN) > 0
    all_correct = F.forall(FAILED_COLUMN, lambda name: name.isin(correct)) if correct else F.lit(False)
    row = flagged.agg(
        F.count(F.lit(1)),
        F.count(F.when(failed, 1)),
        F.count(F.when(failed & all_correct, 1)),
    ).first()
    return int(row[0]), int(row[1]), int(row[2])


def summarize(suite: Suite, validation: Mapping[str, Any]) -> list[dict]:
    """One dict per suite expectation, in suite order, from GE's validation result."""
    results = {_result_name(result): result for result in validation.get("results", [])}
    summaries = []
    for exp in suite.expectations:
        if exp.name not in results:
            raise ValueError(
                f"the validation result of suite {suite.name!r} has no result for expectation {exp.name!r}"
            )
        summaries.append(_summary(exp, results[exp.name]))
    return summaries


def _result_name(result: Mapping[str, Any]) -> str | None:
    config = result.get("expectation_config") or {}
    return ((config.get("meta") or {}).get("baton") or {}).get("name")


def _summary(exp: Expectation, result: Mapping[str, Any]) -> dict:
    details = result.get("result") or {}
    summary = {
        "name": exp.name,
        "type": exp.type,
        "columns": exp.columns,
        "on_fail": exp.on_fail,
        "row_level": exp.type in ROW_LEVEL_TYPES,
        "success": result.get("success"),
        "unexpected_count": details.get("unexpected_count"),
        "reason": exp.reason,
        "error": _exception_message(result.get("exception_info")),
    }
    if "observed_value" in details:
        summary["observed_value"] = details["observed_value"]
    return summary


def _exception_message(info: Any) -> str | None:
    """GE's exception message, from a single ``exception_info`` or one keyed by metric."""
    if not isinstance(info, Mapping):
        return None
    if "raised_exception" in info:
        return (info.get("exception_message") or "exception") if info["raised_exception"] else None
    messages = [_exception_message(item) for item in info.values()]
    return "; ".join(message for message in messages if message) or None


def make_verdict(
    suite: Suite, expectations: list[dict], rows: int, failed_rows: int, correctable_rows: int
) -> Verdict:
    """Decide whether the run continues (``passed``), needs correction (``correctable``), or stops.

    Rows failing only ``correct`` expectations are correctable; the others stay quarantined
    and may be at most ``suite.tolerance`` of all rows. A failed quarantine/correct
    expectation without row counts (table-level, or GE raised) blocks the run.
    """
    uncorrectable = failed_rows - correctable_rows
    within = uncorrectable == 0 if rows == 0 else uncorrectable / rows <= suite.tolerance
    blocking = [exp["name"] for exp in expectations if _blocks(exp)]
    return Verdict(
        passed=within and correctable_rows == 0 and not blocking,
        correctable=within and correctable_rows > 0 and not blocking,
        rows=rows,
        failed_rows=failed_rows,
        correctable_rows=correctable_rows,
        failed_expectations=tuple(
            {
                "name": exp["name"],
                "type": exp["type"],
                "onFail": exp["on_fail"],
                "unexpectedCount": exp["unexpected_count"],
                "success": exp["success"],
            }
            for exp in expectations
            if exp["success"] is False or (exp["unexpected_count"] or 0) > 0
        ),
        tolerance=suite.tolerance,
        suite=suite.name,
        reason=_reason(suite, rows, failed_rows, correctable_rows, within, blocking),
    )


def _blocks(exp: Mapping[str, Any]) -> bool:
    """A failed routed expectation that cannot be settled row by row."""
    no_row_counts = not exp.get("row_level") or exp.get("error") is not None
    return exp["success"] is False and exp["on_fail"] in ROUTED and no_row_counts


def _reason(suite: Suite, rows: int, failed: int, correctable: int, within: bool, blocking: list[str]) -> str:
    """One sentence explaining the verdict."""
    if blocking:
        return (
            f"Suite {suite.name!r} failed expectation(s) {', '.join(blocking)} that cannot be settled "
            f"row by row (table-level, or Great Expectations could not evaluate them)."
        )
    uncorrectable = failed - correctable
    share = uncorrectable / max(rows, 1)
    kept = f"{uncorrectable} of {rows} rows ({share:.1%}) failed uncorrectable expectations"
    if not within:
        return f"{kept}, above the suite tolerance of {suite.tolerance:.1%}."
    if correctable:
        return (
            f"{correctable} of {rows} rows failed only correctable expectations and go to correction; "
            f"{kept}, within the tolerance of {suite.tolerance:.1%}."
        )
    if uncorrectable:
        return f"{kept} and are quarantined, within the tolerance of {suite.tolerance:.1%}."
    return f"All {rows} rows passed suite {suite.name!r}."
