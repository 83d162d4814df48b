"""A quality gate at the single-pass limit: a suite compiled into Spark expressions.

:class:`CompiledEvaluator` returns the same validation result as Great Expectations 1.24
(``ExpectationSuiteValidationResult.to_json_dict()``) with far fewer Spark passes:

1. every row-level expectation becomes a boolean column of ONE projection of the input
   (:func:`quality.predicates.unexpected_condition`);
2. every count and aggregate GE would compute (row counts, null counts, unexpected counts,
   filtered row counts, min, max, mean, sum, stdev, distinct counts) comes from ONE
   aggregation over that projection, in GE's row order;
3. then the duplicated keys of all uniqueness expectations together
   (:meth:`CompiledSuite._find_duplicates`): their key hashes sorted on the driver (ONE Arrow
   query, up to :data:`DRIVER_HASHES` rows) or aggregated by Spark (ONE shuffle), exact keys
   only for the repeated hashes; the uniqueness flags join the duplicated keys (a window only
   past :data:`BROADCAST_KEYS`);
4. only expectations with unexpected rows (or values) get a follow-up query for their
   ``partial_unexpected_list``: ONE shared query in GE's scan order for the column-map types
   (:meth:`CompiledSuite._own_samples`; null checks need none), GE's own metric provider for the
   others, so the values and their order are GE's; schema metrics (``table.columns``,
   ``table.column_types``) cost no Spark job.

The metric values are then handed to each expectation's own ``metrics_validate`` (the code
GE's validator runs), so success, ``mostly``, percentages and result fields are GE's by
construction. Whatever the compiler does not cover runs through Great Expectations itself on
a sub-suite: types outside :data:`COMPILED_TYPES`, columns missing from the DataFrame,
aggregates on column types GE rejects, kwargs the predicates reject, and any expectation whose
follow-up metric GE could not resolve. If Spark rejects the compiled plan at run time, the
whole suite runs through GE. Each result's ``expectation_config.meta.baton.evaluator`` says
which path produced it (``"compiled"`` or ``"great_expectations"``).

Results are in suite order (GE orders them by column, errors first). Ids, times, the batch id
and the traceback text of errors are new per run, as they are in GE.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import itertools
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark import StorageLevel
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from quality.gate import RESULT_FORMAT, GreatExpectationsEvaluator, _json_safe
from quality.predicates import (
    ROW_LEVEL_TYPES,
    WINDOW_TYPES,
    PredicateError,
    _col,
    _kept_by_ignore_row_if,
    _row_condition,
    is_in,
    unevaluable_condition,
    unexpected_condition,
    uniqueness_key,
)
from quality.suite import Suite, suite_from_dict

COMPILED = "compiled"
GREAT_EXPECTATIONS = "great_expectations"
DATASOURCE_NAME = "baton_compiled"
FLAG_PREFIX = "__baton_unexpected_"

_NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)
_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
# GE's column.mean raises TypeError for any other type (expectations/metrics/column_aggregate_metrics/column_mean.py).
_MEAN_TYPES = (T.DecimalType, T.IntegerType, T.DoubleType, T.FloatType, T.LongType)
_ATOMIC = (T.AtomicType,)

# Aggregate and schema expectations the compiler covers, with the column types it accepts.
_AGGREGATE_TYPES: dict[str, tuple[type, ...] | None] = {
    "expect_column_to_exist": None,
    "expect_table_columns_to_match_ordered_list": None,
    "expect_table_columns_to_match_set": None,
    "expect_table_column_count_to_equal": None,
    "expect_table_column_count_to_be_between": None,
    "expect_table_row_count_to_be_between": None,
    "expect_table_row_count_to_equal": None,
    "expect_column_values_to_be_of_type": None,
    "expect_column_values_to_be_in_type_list": None,
    "expect_column_min_to_be_between": _ATOMIC,
    "expect_column_max_to_be_between": _ATOMIC,
    "expect_column_mean_to_be_between": _MEAN_TYPES,
    "expect_column_sum_to_be_between": _NUMERIC,
    "expect_column_stdev_to_be_between": _NUMERIC,
    "expect_column_proportion_of_unique_values_to_be_between": _ATOMIC,
    "expect_column_unique_value_count_to_be_between": _ATOMIC,
    "expect_column_distinct_values_to_be_in_set": _ATOMIC,
}
COMPILED_TYPES = frozenset(ROW_LEVEL_TYPES | set(_AGGREGATE_TYPES))

# GE counts these by filtering and counting (0 on an empty domain), as it does the uniqueness
# types (counted by CompiledSuite._find_duplicates); the other map metrics sum a CASE over the
# domain, which is NULL when the domain has no rows (expectations/metrics/map_metric_provider/).
_COUNTED_AFTER_FILTER = frozenset(
    {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_select_column_values_to_be_unique_within_record",
    }
)
_SCHEMA_METRICS = frozenset({"table.columns", "table.column_types", "table.column_count"})
_DOMAIN_COLUMN_KEYS = ("column", "column_A", "column_B")
_SPARK_ERRORS = (PySparkException, Py4JJavaError)
# Column-map types whose unexpected values Baton lists itself (GE lists the others): no window in
# their predicate, so a filter on the input keeps GE's scan order.
_OWN_SAMPLE_TYPES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_value_lengths_to_be_between",
    }
)
SAMPLE_QUERY_ROWS = 10_000  # an expectation with more unexpected rows gets its own limit query
BROADCAST_KEYS = 200_000  # a uniqueness expectation with more duplicated keys keeps its window
DRIVER_HASHES = 16_000_000  # up to this many key hashes (8 bytes each) are sorted on the driver, not shuffled
KEEP_SHARE = 0.1  # validate(keep=...) persists kept rows up to this share of all rows (caching a row costs ~2 scans)
KEY_PREFIX = "__baton_key_"
# Arrow batches of the hash query: 100,000 hashes (0.8 MB a column) instead of Spark's 10,000 cut
# its transfer from 0.3 to 0.1 s for 2 x 2 M hashes; set for that query only.
ARROW_BATCH_CONF, ARROW_BATCH_ROWS = "spark.sql.execution.arrow.maxRecordsPerBatch", 100_000


class CompileError(ValueError):
    """GE rejects an expectation's configuration (names the suite and the expectation)."""


@dataclass
class _Item:
    """One suite expectation on its way through the compiler."""

    index: int
    name: str
    raw: dict
    config: Any = None  # the evaluated ExpectationConfiguration (parameters substituted, batch_id set)
    expectation: Any = None  # GE's Expectation built from ``config``
    dependencies: dict = field(default_factory=dict)  # GE metric name -> MetricConfiguration
    flag: str | None = None  # projection column of the row-level unexpected condition
    delegate_reason: str | None = None

    @property
    def compiled(self) -> bool:
        """True unless the expectation is delegated to GE."""
        return self.delegate_reason is None


class CompiledEvaluator:
    """Evaluates suites in one projection and one aggregation; GE runs what is not compiled.

    Implements :class:`quality.gate.Evaluator`. ``result_format`` may be BOOLEAN_ONLY, BASIC or
    SUMMARY (default: the gate's SUMMARY with ``partial_unexpected_count`` 20); formats that
    need unexpected rows or indices are GE's job. ``fallback`` runs delegated expectations.
    """

    def __init__(
        self,
        result_format: Mapping[str, Any] | None = None,
        fallback: GreatExpectationsEvaluator | None = None,
    ) -> None:
        self.result_format = _supported_result_format(result_format or RESULT_FORMAT)
        self.fallback = fallback or GreatExpectationsEvaluator()
        self._run_ids = itertools.count(1)

    def validate(self, df: DataFrame, suite: Suite, parameters: Mapping[str, Any]) -> dict:
        """Validate ``df`` and return GE's JSON-able suite validation result."""
        compiled = self.compile(df, suite, parameters)
        try:
            return compiled.validate()
        finally:
            compiled.release()

    def compile(self, df: DataFrame, suite: Suite, parameters: Mapping[str, Any]) -> CompiledSuite:
        """Plan the validation: GE configurations, the projection and the metrics to aggregate."""
        suite.resolve(parameters)  # Baton's error for a missing parameter names suite, expectation and parameter
        return CompiledSuite(
            df=df,
            suite=suite,
            parameters=dict(parameters),
            result_format=copy.deepcopy(self.result_format),
            fallback=self.fallback,
            asset_name=f"{suite.name}-{next(self._run_ids)}",
        )


class CompiledSuite:
    """A suite compiled against one DataFrame.

    ``projection`` is the input plus one boolean column per compiled row-level expectation
    (:attr:`hidden_columns`); :meth:`validate` aggregates it once, then runs the follow-up
    queries (uniqueness hashes, unexpected values). What it persists for a caller's split
    (:attr:`cached`, :attr:`kept`, :attr:`keys`) stays until :meth:`release`.
    """

    def __init__(
        self,
        df: DataFrame,
        suite: Suite,
        parameters: dict,
        result_format: dict,
        fallback: GreatExpectationsEvaluator,
        asset_name: str,
    ) -> None:
        from great_expectations.execution_engine import SparkDFExecutionEngine

        self.df = df
        self.suite = suite
        self.parameters = parameters
        self.fallback = fallback
        self.asset_name = asset_name
        self.batch_id = f"{DATASOURCE_NAME}-{asset_name}"
        self.runtime_configuration = {"result_format": result_format}
        self.engine = SparkDFExecutionEngine(spark=df.sparkSession, persist=False)
        self.engine.load_batch_data(self.batch_id, df)
        self.items = [self._configure(index, raw) for index, raw in enumerate(suite.raw["expectations"])]
        self.extended: dict[str, Column] = {}  # extend()'s columns, kept when the uniqueness flags join in
        self.keys: dict[int, DataFrame] = {}  # duplicated keys of uniqueness expectations, persisted
        self.unique: dict[int, tuple[Column, Column]] = {}  # uniqueness expectations: (key, considered)
        self.windows: set[int] = set()  # uniqueness expectations whose flag is GE's window
        self.cached: DataFrame | None = None  # the projection, persisted for a window flag
        self.kept: DataFrame | None = None  # projection rows validate()'s ``keep`` selected, persisted
        self._keep: tuple[Column, StorageLevel] | None = None
        self.extra_values: list | None = None
        self.unevaluable: dict[int, Column] = {}  # rows whose value GE's Spark query cannot compare (it raises)
        self.projection = self._project()

    @property
    def hidden_columns(self) -> tuple[str, ...]:
        """The projection's flag columns and :meth:`extend`'s columns (not part of the input)."""
        return tuple(item.flag for item in self.items if item.flag) + tuple(self.extended)

    def release(self) -> None:
        """Unpersist what the evaluation persisted: the duplicated keys, a projection with a window."""
        for persisted in (*self.keys.values(), self.cached, self.kept):
            if persisted is not None:
                persisted.unpersist()
        self.keys, self.cached, self.kept = {}, None, None

    def extend(self, columns: Mapping[str, Column]) -> None:
        """Add named columns to the projection (before :meth:`validate`), e.g. a caller's own row flags."""
        if not columns:
            return
        clash = set(columns) & (set(self.projection.columns))
        if clash:
            raise ValueError(f"suite {self.suite.name!r}: the projection already has column(s) {sorted(clash)}")
        self.projection = self.projection.select("*", *[column.alias(name) for name, column in columns.items()])
        self.extended.update(columns)

    def flag(self, name: str) -> Column | None:
        """The projection column that is TRUE for rows expectation ``name`` counts as unexpected."""
        for item in self.items:
            if item.name == name and item.flag:
                return F.col(item.flag)
        return None

    def validate(self, extra_aggregates: list[Column] | None = None,
                 storage_level: StorageLevel | None = None, keep: Column | None = None) -> dict:
        """Run the aggregation and the follow-up queries; return GE's result dict.

        ``extra_aggregates`` (aggregate expressions over :attr:`projection`) join the same
        aggregation; their values are left in :attr:`extra_values` (None if Spark rejected the
        plan). Where uniqueness flags turn out to be TRUE somewhere, they are computed again, on
        the final projection. With ``storage_level``:

        * a projection that needs a window (many duplicated keys) is persisted (:attr:`cached`)
          before it is aggregated, for the split;
        * the rows where the boolean ``keep`` holds (e.g. the rows to quarantine) are persisted
          (:attr:`kept`, projection rows) by the query that lists unexpected values, when that
          query runs on the projection and they are at most :data:`KEEP_SHARE` of all rows: the
          split then reads them back instead of scanning the input once more.
        """
        run_time = datetime.datetime.now(datetime.UTC)
        fallback_reason = None
        extra = list(extra_aggregates or [])
        if keep is not None and storage_level is not None:
            extra += [F.count(F.lit(1)), F.count_if(keep)]
        try:
            try:
                metrics = self._aggregate(extra)
            except _SPARK_ERRORS:
                self._delegate_failing()  # only the expectations whose Spark expressions raise go to GE
                metrics = self._aggregate(extra)
            self._find_duplicates(metrics, extra, storage_level)
            if keep is not None and storage_level is not None:
                rows, kept = self.extra_values[-2:]
                self.extra_values = self.extra_values[:-2]
                if kept and kept <= KEEP_SHARE * rows and not self.windows:
                    self._keep = (keep, storage_level)
            metrics.update(self._resolve_with_ge(metrics))
        except _SPARK_ERRORS as exc:
            fallback_reason = f"Spark rejected the compiled plan, Great Expectations evaluated the suite: {exc}"
            for item in self.items:
                item.delegate_reason = item.delegate_reason or "Spark rejected the compiled plan (see meta.baton)"
            metrics = {}
        results = {item.name: self._compiled_result(item, metrics) for item in self.items if item.compiled}
        results.update(self._delegated_results())
        ordered = [results[item.name] for item in self.items]
        return _suite_result(self, ordered, run_time, fallback_reason)

    # --- compile ---------------------------------------------------------------------------

    def _configure(self, index: int, raw: dict) -> _Item:
        """GE's evaluated configuration of one expectation, and whether the compiler covers it."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        item = _Item(index=index, name=raw["meta"]["baton"]["name"], raw=raw)
        try:
            config = ExpectationConfiguration(**copy.deepcopy(raw)).to_domain_obj().configuration
            config.process_suite_parameters(self.parameters, interactive_evaluation=True, data_context=None)
            config.kwargs["batch_id"] = self.batch_id
            config.id = str(uuid.uuid4())
            item.config = config
            item.expectation = config.to_domain_obj()
        except Exception as exc:  # GE raises pydantic, GE and parser errors for bad kwargs
            raise CompileError(
                f"suite {self.suite.name!r} ({self.suite.source}): expectation {item.name!r} "
                f"({raw.get('type')}): Great Expectations rejects its configuration: {exc}"
            ) from exc
        item.delegate_reason = self._delegate_reason(item)
        return item

    def _refused_by_ge(self, item: _Item) -> str | None:
        """GE's own refusal of the column's type, when its Spark metric provider would raise before reading
        a row: ``column_values.between`` on a string or boolean column with bounds that are not all
        strings (GE's ``_should_reject_incomparable_spark_column_type`` and ``_raise_if_invalid_column_type``)."""
        from great_expectations.expectations.metrics.column_map_metrics import column_values_between as between

        for mc in item.dependencies.values():
            if not mc.metric_name.startswith("column_values.between."):
                continue
            bounds = mc.metric_value_kwargs or {}
            if not between._should_reject_incomparable_spark_column_type(bounds.get("min_value"),
                                                                          bounds.get("max_value")):
                return None
            try:
                between._raise_if_invalid_column_type(str(self.df.schema[item.config.kwargs["column"]].dataType))
            except between.InvalidColumnTypeError as exc:
                return f"Great Expectations refuses the column: {exc}"
        return None

    def _delegate_reason(self, item: _Item) -> str | None:
        """Why GE must evaluate this expectation itself, or None when the compiler covers it."""
        exp_type = item.config.type
        if exp_type not in COMPILED_TYPES:
            return f"{exp_type} is not compiled"
        item.dependencies = dict(
            item.expectation.get_validation_dependencies(
                execution_engine=self.engine, runtime_configuration=copy.deepcopy(self.runtime_configuration)
            ).metric_configurations
        )
        missing = [name for name in _domain_columns(item) if name not in self.df.columns]
        if missing:
            return f"column(s) {missing} are not columns of the DataFrame"
        allowed = _AGGREGATE_TYPES.get(exp_type)
        column = item.config.kwargs.get("column")
        if allowed and not isinstance(self.df.schema[column].dataType, allowed):
            return f"column {column!r} has type {self.df.schema[column].dataType.simpleString()}"
        refused = self._refused_by_ge(item)
        if refused:
            return refused
        unknown = [name for name in item.dependencies if _metric_kind(item, name) is None]
        if unknown:
            return f"metric(s) {unknown} are not compiled"
        return None

    def _project(self) -> DataFrame:
        """The input plus one flag column per compiled row-level expectation, in one projection.

        A uniqueness flag is FALSE until :meth:`_find_duplicates` knows the duplicated keys. An
        expectation whose predicate Spark cannot analyse on this DataFrame (e.g. a regex on a map
        column) is delegated, so GE reports its own error for it.
        """
        flags: dict[int, Column] = {}
        self._conditions = dict[int, Column]()  # the plain predicates (windows for uniqueness)
        for item in self.items:
            if item.compiled and item.config.type in ROW_LEVEL_TYPES:
                kwargs = {k: v for k, v in item.config.kwargs.items() if k != "batch_id"}
                try:
                    self._conditions[item.index] = unexpected_condition(item.config.type, kwargs, self.df.schema)
                    unevaluable = unevaluable_condition(item.config.type, kwargs, self.df.schema)
                    if unevaluable is not None:
                        self.unevaluable[item.index] = unevaluable
                    if item.config.type in WINDOW_TYPES:
                        self.unique[item.index] = uniqueness_key(item.config.type, kwargs, self.df.columns)
                except PredicateError as exc:
                    item.delegate_reason = f"no Spark predicate: {exc}"
                    self._conditions.pop(item.index, None)
                    continue
                flags[item.index] = F.lit(False) if item.index in self.unique else self._conditions[item.index]
        try:
            return self._select_flags(flags)
        except _SPARK_ERRORS:
            for index, condition in list(flags.items()):  # find the predicate(s) Spark rejects
                try:
                    self.df.select(condition)
                except _SPARK_ERRORS as exc:
                    self.items[index].delegate_reason = f"Spark rejects the predicate: {exc}"
                    self.unique.pop(index, None)
                    del flags[index]
            return self._select_flags(flags)

    def _select_flags(self, flags: dict[int, Column], base: DataFrame | None = None) -> DataFrame:
        """``df`` plus the flag columns ``__baton_unexpected_<index>`` and :meth:`extend`'s columns
        (computed on ``base``, ``df`` joined with duplicated keys, when given)."""
        for item in self.items:
            item.flag = f"{FLAG_PREFIX}{item.index}" if item.index in flags else None
        clash = set(self.hidden_columns) & set(self.df.columns)
        if clash:
            raise ValueError(f"suite {self.suite.name!r}: the DataFrame already has column(s) {sorted(clash)}")
        columns = [condition.alias(f"{FLAG_PREFIX}{index}") for index, condition in flags.items()]
        columns += [column.alias(name) for name, column in self.extended.items()]
        if base is None:
            return self.df.select("*", *columns) if columns else self.df
        return base.select(*[_col(name) for name in self.df.columns], *columns)

    def _find_duplicates(self, metrics: dict[Any, Any], extra: list[Column], storage_level: StorageLevel | None):
        """Find the duplicated keys of every uniqueness expectation and set their flags and counts.

        1. The candidates: hashes (``xxhash64`` of the key, NaN and -0.0 normalized as Spark's
           grouping does) seen on more than one considered row. Up to :data:`DRIVER_HASHES` considered
           rows in all (the aggregation counted them), ONE query brings every uniqueness expectation's
           hashes to the driver as Arrow, where numpy sorts them (8 bytes a row, no shuffle); beyond,
           ONE Spark aggregation of ``(check, hash)`` pairs (one shuffle) finds them.
        2. Only where there are candidates, the rows holding them are grouped by their exact key, so
           a hash collision never flags a row; the duplicated keys and their row counts are persisted
           (:attr:`keys`). Their counts are the expectation's ``unexpected_count``.
        A flag is then ``considered AND key is duplicated``: FALSE when nothing is duplicated, else a
        broadcast join with the duplicated keys, which keeps the scan order and needs no shuffle. An
        expectation with more than :data:`BROADCAST_KEYS` candidates keeps GE's window (a shuffle
        and sort of the rows), as does every one of them if Spark cannot hash their keys. Where a
        flag is not FALSE, ONE more aggregation of the final projection counts the window flags and
        recomputes ``extra``.
        """
        unique = {index: self.unique[index] for index in self.unique if self.items[index].flag}
        if not unique:
            return
        considered = {index: metrics.pop(_considered_id(index)) for index in unique}
        try:
            hashes = {index: _key_hash(_normalized(key, self.df.select(key).schema[0].dataType))
                      for index, (key, _) in unique.items()}
            wanted = {index: hashes[index] for index in unique if considered[index] > 1}
            if sum(considered[index] for index in wanted) <= DRIVER_HASHES:
                candidates = self._candidates_on_driver(wanted, unique)
            else:
                candidates = self._candidates_by_shuffle(wanted, unique)
            counts = self._exact_duplicates(candidates, hashes, unique)
        except _SPARK_ERRORS:
            self.release()
            counts = {index: None for index in unique}  # a window for each
        flags: dict[int, Column] = {}
        base = self.df
        for index, (key, considered_row) in unique.items():
            item = self.items[index]
            if counts[index] is None:
                self.windows.add(index)
                flags[index] = self._conditions[index]
            elif index in self.keys:
                name = f"{KEY_PREFIX}{index}"
                duplicated = self.keys[index].select(F.col("k").alias(name), F.lit(True).alias(f"{name}_dup"))
                base = base.join(F.broadcast(duplicated), key == F.col(name), "left")
                flags[index] = considered_row & F.coalesce(F.col(f"{name}_dup"), F.lit(False))
            metrics[_sample_count_id(item)] = counts[index]
        if not flags:
            return
        current = {item.index: self._conditions[item.index] for item in self.items if item.flag}
        current.update({index: F.lit(False) for index in unique} | flags)
        self.projection = self._select_flags(current, base)
        if self.windows and storage_level is not None:
            self.cached = self.projection.persist(storage_level)
        windowed = sorted(self.windows)
        row = list(self.projection.agg(*[F.count_if(F.col(self.items[i].flag)) for i in windowed], *extra).first()) \
            if windowed or extra else []
        for index, count in zip(windowed, row, strict=False):
            metrics[_sample_count_id(self.items[index])] = count
        self.extra_values = row[len(windowed):]

    def _candidates_on_driver(self, hashes: dict[int, Column], unique: dict) -> dict[int, Any]:
        """Duplicated hashes per expectation, from ONE Arrow query of the considered rows' hashes.

        Each value is a numpy array, or None past :data:`BROADCAST_KEYS` of them.
        """
        import numpy as np

        if not hashes:
            return {}
        columns = [F.when(unique[index][1], hash_).alias(f"h{index}") for index, hash_ in hashes.items()]
        with _session_conf(self.df.sparkSession, ARROW_BATCH_CONF, str(ARROW_BATCH_ROWS)):
            table = self.df.select(*columns).toArrow()
        candidates = {}
        for index in hashes:
            values = np.sort(table.column(f"h{index}").drop_null().to_numpy())
            found = np.unique(values[1:][values[1:] == values[:-1]])
            candidates[index] = found if len(found) <= BROADCAST_KEYS else None
        return candidates

    def _candidates_by_shuffle(self, hashes: dict[int, Column], unique: dict) -> dict[int, Any]:
        """Duplicated hashes per expectation, from ONE aggregation of ``(check, hash)`` pairs (one shuffle).

        Each value is a numpy array, or None past :data:`BROADCAST_KEYS` of them (never collected).
        """
        if not hashes:
            return {}
        if len(hashes) == 1:
            ((index, hash_),) = hashes.items()
            keyed = self.df.where(unique[index][1]).select(F.lit(index).alias("check"), hash_.alias("h"))
        else:
            pairs = [F.when(unique[index][1], F.struct(F.lit(index).alias("check"), hash_.alias("h")))
                     for index, hash_ in hashes.items()]
            # explode then filter: array_compact here made the same aggregation 2.5x slower
            keyed = (self.df.select(F.explode(F.array(*pairs)).alias("e")).where(F.col("e").isNotNull())
                     .select("e.*"))
        found = (keyed.groupBy("check", "h").count().where(F.col("count") > 1).select("check", "h")
                 .persist(StorageLevel.MEMORY_AND_DISK))
        try:
            counts = dict(found.groupBy("check").count().collect())
            few = [index for index in hashes if counts.get(index, 0) <= BROADCAST_KEYS]
            table = found.where(F.col("check").isin(few)).toArrow() if few else None
        finally:
            found.unpersist()
        candidates: dict[int, Any] = dict.fromkeys(hashes)
        if table is not None:
            checks, values = table.column("check").to_numpy(), table.column("h").to_numpy()
            candidates.update({index: values[checks == index] for index in few})
        return candidates

    def _exact_duplicates(self, candidates: dict[int, Any], hashes: dict[int, Column], unique: dict) -> dict:
        """Per expectation: the considered rows that hold a duplicated key (None: too many keys, use a window).

        The rows whose hash is a candidate are grouped by their exact key; the duplicated keys (with
        their row counts) are persisted in :attr:`keys` for the flags' broadcast join.
        """
        import pyarrow as pa

        counts: dict[int, int | None] = {}
        for index, (key, considered) in unique.items():
            if index in candidates and candidates[index] is None:
                counts[index] = None
                continue
            found = candidates.get(index, ())
            if len(found) == 0:
                counts[index] = 0
                continue
            hashed = f"{KEY_PREFIX}hash"
            wanted = self.df.sparkSession.createDataFrame(pa.table({hashed: pa.array(found, pa.int64())}))
            rows = self.df.where(considered).withColumn(hashed, hashes[index]).join(F.broadcast(wanted), hashed,
                                                                                    "left_semi")
            duplicated = rows.groupBy(key.alias("k")).count().where(F.col("count") > 1)
            self.keys[index] = duplicated.persist(StorageLevel.MEMORY_AND_DISK)
            counts[index] = self.keys[index].agg(F.sum("count")).first()[0] or 0
            if counts[index] == 0:  # the candidates were hash collisions
                self.keys.pop(index).unpersist()
        return counts

    # --- evaluate --------------------------------------------------------------------------

    def _aggregate(self, extra: list[Column]) -> dict[Any, Any]:
        """Every count and aggregate metric (and ``extra``) in one aggregation.

        A uniqueness expectation's unexpected count is :meth:`_find_duplicates`'s; here it gets
        its considered rows counted instead (under :func:`_considered_id`). An expectation with a
        value that GE's Spark query cannot compare (:func:`quality.predicates.unevaluable_condition`)
        is then delegated: GE raises on it, and its result is GE's error.
        """
        from great_expectations.util import convert_to_json_serializable

        aggregates: dict[Any, tuple[list[Column], Callable[[list], Any]]] = {}
        for item in self.items:
            if item.compiled:
                aggregates.update(self._item_aggregates(item, aggregates))
        columns = [column for expressions, _ in aggregates.values() for column in expressions]
        # GE hands bundled aggregates on as JSON-able values: datetimes become ISO strings, NaN None
        # (SparkDFExecutionEngine.resolve_metric_bundle); counts are unchanged by it.
        row = list(self.projection.agg(*columns, *extra).first()) if columns or extra else []
        self.extra_values = row[len(columns):]
        values = [convert_to_json_serializable(v) for v in row[: len(columns)]]
        metrics: dict[Any, Any] = {}
        position = 0
        for metric_id, (expressions, finish) in aggregates.items():
            metrics[metric_id] = finish(values[position : position + len(expressions)])
            position += len(expressions)
        for item in self.items:
            failing = metrics.pop(_unevaluable_id(item.index), 0)
            if failing and item.compiled:
                column = ", ".join(map(repr, _domain_columns(item)))
                item.delegate_reason = (
                    f"{failing} value(s) of column {column} cannot be compared as Great Expectations' Spark "
                    "query compares them (ANSI cast); Great Expectations raises"
                )
        return metrics

    def _item_aggregates(self, item: _Item, known: Mapping[Any, Any]) -> dict[Any, tuple[list[Column], Callable]]:
        """The aggregates one expectation needs that ``known`` does not hold yet."""
        aggregates: dict[Any, tuple[list[Column], Callable[[list], Any]]] = {}
        deferred = _sample_count_id(item) if item.index in self.unique and item.flag else None
        if deferred is not None:
            aggregates[_considered_id(item.index)] = [F.count_if(self.unique[item.index][1])], _first
        if item.index in self.unevaluable and item.flag:
            aggregates[_unevaluable_id(item.index)] = [F.count_if(self.unevaluable[item.index])], _first
        for name, mc in item.dependencies.items():
            wanted = mc.id not in known and mc.id not in aggregates and mc.id != deferred
            if wanted and _metric_kind(item, name) == "aggregate":
                aggregates[mc.id] = _aggregate_metric(item, name, mc, self.df.schema)
        return aggregates

    def _delegate_failing(self) -> None:
        """Delegate the expectations whose own aggregates Spark cannot compute (one query each, only
        after the shared aggregation raised); their row flags become TRUE: rows that cannot be evaluated
        fail. The others stay compiled."""
        failing = set()
        for item in self.items:
            expressions = [e for exprs, _ in self._item_aggregates(item, {}).values() for e in exprs]
            if not item.compiled or not expressions:
                continue
            try:
                self.projection.agg(*expressions).first()
            except _SPARK_ERRORS as exc:
                item.delegate_reason = f"Spark raised on its compiled aggregates: {str(exc).splitlines()[0]}"
                failing.add(item.index)
        flagged = [item.index for item in self.items if item.flag]
        self.projection = self._select_flags({
            index: F.lit(True) if index in failing else F.lit(False) if index in self.unique
            else self._conditions[index] for index in flagged})

    def _resolve_with_ge(self, metrics: dict[Any, Any]) -> dict[Any, Any]:
        """Schema metrics, and unexpected values where there are any, from GE's own providers.

        GE's dependency graph is seeded with the compiled metrics (its row counts among them),
        so it only runs the queries that list values. Where the count is 0 (or None) GE's query
        would return no rows: the value is ``[]``. An expectation whose metric GE cannot
        resolve is delegated to GE.
        """
        from great_expectations.validator.metrics_calculator import MetricsCalculator

        wanted, resolved, needed_by = [], {}, {}
        own: list[tuple[_Item, Any, int]] = []
        for item in (item for item in self.items if item.compiled):
            for name, mc in item.dependencies.items():
                kind = _metric_kind(item, name)
                count = metrics.get(_sample_count_id(item)) if kind == "sample" else None
                if kind == "none":
                    resolved[mc.id] = None
                elif kind == "sample" and count and item.config.type in _OWN_SAMPLE_TYPES and item.flag:
                    own.append((item, mc, count))
                elif kind == "schema" or (kind == "sample" and count):
                    wanted.append(mc)
                    needed_by.setdefault(mc.id, []).append(item)
                elif kind == "sample":
                    resolved[mc.id] = []
        resolved.update(self._own_samples(own))
        if wanted:
            runtime_configuration = copy.deepcopy(self.runtime_configuration)
            calculator = MetricsCalculator(execution_engine=self.engine, show_progress_bars=False)
            graph = calculator.build_metric_dependency_graph(wanted, runtime_configuration)
            known = dict(metrics)
            aborted = graph._resolve(known, runtime_configuration, show_progress_bars=False)
            for mc in wanted:
                if mc.id in known:
                    resolved[mc.id] = known[mc.id]
                    continue
                for item in needed_by[mc.id]:
                    item.delegate_reason = f"Great Expectations could not resolve {mc.metric_name}: {list(aborted)}"
        return resolved

    def _own_samples(self, wanted: list[tuple[_Item, Any, int]]) -> dict[Any, list]:
        """``partial_unexpected_list`` values of column-map expectations, as GE's query lists them.

        GE's query (``_spark_column_map_condition_values``) is ``filter(unexpected).select(column)
        .limit(n)`` on the input: the first ``n`` unexpected values in scan order. A null check's
        values are all None, so they need no query. The others share ONE query on the input, its
        rows in scan order (no shuffle), holding every unexpected row of the expectations with at
        most :data:`SAMPLE_QUERY_ROWS` of them; an expectation with more gets GE's own limit query.
        Where rows are to be kept (see :meth:`validate`), the shared query filters the projection
        instead (the same rows in the same order: it has no window then) and persists the kept rows
        with the listed ones.
        """
        resolved: dict[Any, list] = {}
        shared: list[tuple[_Item, Any, int]] = []
        for item, mc, count in wanted:
            limit = _sample_limit(mc)
            if item.config.type == "expect_column_values_to_not_be_null":
                resolved[mc.id] = [None] * min(count, limit)
            elif count <= SAMPLE_QUERY_ROWS:
                shared.append((item, mc, limit))
            else:
                column = item.config.kwargs["column"]
                query = self.df.filter(self._conditions[item.index]).select(_col(column).alias("value")).limit(limit)
                resolved[mc.id] = [row[0] for row in query.collect()]
        if shared:
            columns = list(dict.fromkeys(item.config.kwargs["column"] for item, _, _ in shared))
            source, flags = self.df, [self._conditions[item.index] for item, _, _ in shared]
            if self._keep is not None:
                keep, storage_level = self._keep
                flags = [F.col(item.flag) for item, _, _ in shared]
                self.kept = self.projection.where(keep | reduce(lambda a, b: a | b, flags)).persist(storage_level)
                source = self.kept
            any_flag = reduce(lambda a, b: a | b, flags)
            rows = source.filter(any_flag).select(*[_col(c).alias(f"c{n}") for n, c in enumerate(columns)],
                                                  *[flag.alias(f"f{n}") for n, flag in enumerate(flags)]).collect()
            for n, (item, mc, limit) in enumerate(shared):
                position = columns.index(item.config.kwargs["column"])
                flag = len(columns) + n
                resolved[mc.id] = [row[position] for row in rows if row[flag]][:limit]
        return resolved

    def _compiled_result(self, item: _Item, metrics: dict[Any, Any]) -> dict:
        """The expectation's own ``metrics_validate`` on the compiled metrics, as GE's validator calls it."""
        from great_expectations.core.expectation_validation_result import ExpectationValidationResult
        from great_expectations.validator.exception_info import ExceptionInfo

        try:
            result = item.config.to_domain_obj().metrics_validate(
                metrics=metrics,
                execution_engine=self.engine,
                runtime_configuration=copy.deepcopy(self.runtime_configuration),
            )
        except Exception as exc:  # GE's validator turns any exception into a failed result
            info = ExceptionInfo(exception_traceback=traceback.format_exc(), exception_message=str(exc))
            result = ExpectationValidationResult(success=False, exception_info=info, expectation_config=item.config)
        return _with_evaluator(_json_safe(result.to_json_dict()), COMPILED)

    def _delegated_results(self) -> dict[str, dict]:
        """Results of the expectations GE evaluates, from one GE run on a sub-suite."""
        delegated = [item for item in self.items if not item.compiled]
        if not delegated:
            return {}
        sub_suite = suite_from_dict(
            {
                "name": self.suite.name,
                "meta": copy.deepcopy(self.suite.raw.get("meta") or {}),
                "expectations": [copy.deepcopy(item.raw) for item in delegated],
            },
            source=self.suite.source,
        )
        validation = self.fallback.validate(self.df, sub_suite, self.parameters)
        reasons = {item.name: item.delegate_reason for item in delegated}
        results = {}
        for result in validation["results"]:
            result["expectation_config"]["kwargs"]["batch_id"] = self.batch_id
            name = result["expectation_config"]["meta"]["baton"]["name"]
            results[name] = _with_evaluator(result, GREAT_EXPECTATIONS, reasons[name])
        return results


# --- metrics -------------------------------------------------------------------------------


def _metric_kind(item: _Item, name: str) -> str | None:
    """How the compiler gets GE metric ``name`` of ``item``: aggregate, schema, sample, none, or None."""
    map_metric = getattr(item.expectation, "map_metric", None)
    if name in _SCHEMA_METRICS:
        return "schema"
    if name in ("column.distinct_values.not_in_set",) or (map_metric and name == f"{map_metric}.unexpected_values"):
        return "sample"
    if map_metric and name in (f"{map_metric}.unexpected_index_list", f"{map_metric}.unexpected_index_query"):
        return "none"  # only filled for unexpected_index_column_names / return_unexpected_index_query
    if (
        name == "table.row_count"
        or name in _AGGREGATE_METRICS
        or (map_metric and name in (f"{map_metric}.unexpected_count", f"{map_metric}.filtered_row_count"))
    ):
        return "aggregate"
    return None


@contextlib.contextmanager
def _session_conf(spark: Any, key: str, value: str) -> Iterator[None]:
    """``key`` set to ``value`` for the block, then restored (or unset)."""
    before = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def _key_hash(key: Column) -> Column:
    """The 64-bit hash that finds uniqueness candidates (equal keys, equal hashes; collisions are checked)."""
    return F.xxhash64(key)


def _normalized(column: Column, data_type: T.DataType) -> Column:
    """``column`` with -0.0 as 0.0 in its float fields (hashes tell them apart; groupings do not)."""
    if isinstance(data_type, T.StructType):
        return F.struct(*[_normalized(column.getField(f.name), f.dataType).alias(f.name) for f in data_type.fields])
    if isinstance(data_type, T.FloatType | T.DoubleType):
        return F.when(column == 0, F.lit(0.0).cast(data_type)).otherwise(column)
    return column


def _unevaluable_id(index: int) -> tuple[str, int]:
    """The key under which :meth:`CompiledSuite._aggregate` counts an expectation's unevaluable rows."""
    return ("baton.unevaluable", index)


def _considered_id(index: int) -> tuple[str, int]:
    """The key under which :meth:`CompiledSuite._aggregate` leaves a uniqueness expectation's considered rows."""
    return ("baton.uniqueness.considered", index)


def _sample_limit(mc: Any) -> int:
    """How many unexpected values GE lists for this sample metric (its ``partial_unexpected_count``)."""
    from great_expectations.constants import MAX_RESULT_RECORDS

    result_format = mc.metric_value_kwargs["result_format"]
    if result_format["result_format"] == "COMPLETE":
        return MAX_RESULT_RECORDS
    return min(result_format["partial_unexpected_count"], MAX_RESULT_RECORDS)


def _sample_count_id(item: _Item) -> Any:
    """The id of the metric that counts what the expectation's sample metric lists."""
    map_metric = getattr(item.expectation, "map_metric", None)
    name = f"{map_metric}.unexpected_count" if map_metric else "column.distinct_values.not_in_set.count"
    return item.dependencies[name].id


def _aggregate_metric(
    item: _Item, name: str, mc: Any, schema: T.StructType
) -> tuple[list[Column], Callable[[list], Any]]:
    """Aggregate expressions for one GE metric and how to turn their values into GE's metric value.

    Every expression only sees the expectation's domain (its ``row_condition``), as GE
    computes each metric on ``get_domain_records``.
    """
    in_domain = _row_condition(getattr(item.expectation, "row_condition", None))
    domain = mc.metric_domain_kwargs
    map_metric = getattr(item.expectation, "map_metric", None)
    if map_metric and name == f"{map_metric}.unexpected_count":
        flag = F.col(item.flag)
        if item.config.type in _COUNTED_AFTER_FILTER:
            return [F.count(F.when(flag, 1))], _first
        return [_case_sum(in_domain, flag)], _first
    if map_metric and name == f"{map_metric}.filtered_row_count":
        columns = domain.get("column_list") or [domain["column_A"], domain["column_B"]]
        kept = _kept_by_ignore_row_if(domain, list(columns))
        return [F.count(F.when(in_domain & kept, 1))], _first
    if name == "table.row_count":
        return [F.count(F.when(in_domain, 1))], _first
    return _AGGREGATE_METRICS[name](in_domain, domain["column"], mc.metric_value_kwargs or {}, schema)


def _first(values: list) -> Any:
    """The metric is the single aggregate's value."""
    return values[0]


def _case_sum(in_domain: Column, condition: Column) -> Column:
    """GE's ``sum(CASE WHEN condition THEN 1 ELSE 0 END)`` over the domain: NULL when it has no rows."""
    return F.sum(F.when(in_domain, F.when(condition, 1).otherwise(0)))


def _column_aggregate(function: Callable[[Column], Column]) -> Callable:
    """A GE column aggregate that is one Spark aggregate function over the domain's values."""

    def build(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
        return [function(F.when(in_domain, _col(column)))], _first

    return build


def _null_count(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
    """GE's ``column_values.nonnull.unexpected_count``: the domain's nulls (NULL for an empty domain)."""
    return [_case_sum(in_domain, _col(column).isNull())], _first


def _sum(in_domain: Column, column: str, _value_kwargs: Mapping, schema: T.StructType):
    """GE on Spark 4 sums integral columns as doubles (column_aggregate_metrics/column_sum.py)."""
    values = _col(column)
    if isinstance(schema[column].dataType, _INTEGRAL):
        values = values.cast(T.DoubleType())
    return [F.sum(F.when(in_domain, values))], _first


def _unique_proportion(in_domain: Column, column: str, _value_kwargs: Mapping, _schema: T.StructType):
    """GE's ``unique_proportion`` of the domain's row count, distinct count and null count."""
    from great_expectations.expectations.metrics.column_aggregate_metrics.column_proportion_of_unique_values import (
        unique_proportion,
    )

    values = _col(column)
    expressions = [
        F.count(F.when(in_domain, 1)),
        F.countDistinct(F.when(in_domain, values)),
        _case_sum(in_domain, values.isNull()),
    ]

    def finish(counts: list) -> Any:
        rows, distinct, nulls = counts
        return unique_proportion(
            {
                "table.row_count": rows,
                "column.distinct_values.count": distinct,
                "column_values.nonnull.unexpected_count": nulls,
            }
        )

    return expressions, finish


def _distinct_not_in_set_count(in_domain: Column, column: str, value_kwargs: Mapping, _schema: T.StructType):
    """GE's count of distinct non-null values outside ``value_set`` (column_distinct_values_not_in_set.py)."""
    values = _col(column)
    outside = in_domain & values.isNotNull()
    if value_kwargs.get("value_set"):
        outside = outside & ~is_in(column, value_kwargs["value_set"])
    return [F.countDistinct(F.when(outside, values))], lambda counts: counts[0] or 0


# Column metrics by GE metric name; row counts and map metrics are built in _aggregate_metric.
_AGGREGATE_METRICS: dict[str, Callable] = {
    "column_values.nonnull.unexpected_count": _null_count,
    "column.min": _column_aggregate(F.min),
    "column.max": _column_aggregate(F.max),
    "column.mean": _column_aggregate(F.mean),
    "column.standard_deviation": _column_aggregate(F.stddev_samp),
    "column.distinct_values.count": _column_aggregate(F.countDistinct),
    "column.sum": _sum,
    "column.unique_proportion": _unique_proportion,
    "column.distinct_values.not_in_set.count": _distinct_not_in_set_count,
}


# --- results -------------------------------------------------------------------------------


def _domain_columns(item: _Item) -> list[str]:
    """The DataFrame columns the expectation's metrics read (from GE's metric domains)."""
    names: list[str] = []
    for mc in item.dependencies.values():
        domain = mc.metric_domain_kwargs
        names += [domain[key] for key in _DOMAIN_COLUMN_KEYS if domain.get(key) is not None]
        names += list(domain.get("column_list") or [])
    return list(dict.fromkeys(names))


def _with_evaluator(result: dict, evaluator: str, reason: str | None = None) -> dict:
    """``result`` with ``expectation_config.meta.baton.evaluator`` (and ``delegated_because``) set."""
    config = result["expectation_config"]
    config["meta"] = config.get("meta") or {}
    baton = config["meta"].setdefault("baton", {})
    baton["evaluator"] = evaluator
    if reason is not None:
        baton["delegated_because"] = reason
    return result


def _suite_result(compiled: CompiledSuite, results: list[dict], run_time: datetime.datetime, fallback: str | None):
    """GE's suite-level result around ``results``, with GE's statistics and meta fields."""
    from great_expectations import __version__ as ge_version
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier

    evaluated = len(results)
    successful = sum(1 for result in results if result["success"])
    run_id = RunIdentifier(run_time=run_time)
    counts = {
        COMPILED: sum(1 for item in compiled.items if item.compiled),
        GREAT_EXPECTATIONS: sum(1 for item in compiled.items if not item.compiled),
    }
    meta = {
        "great_expectations_version": ge_version,
        "batch_spec": {"batch_data": "SparkDataFrame"},
        "batch_markers": {"ge_load_time": run_time.strftime("%Y%m%dT%H%M%S.%fZ")},
        "active_batch_definition": {
            "datasource_name": DATASOURCE_NAME,
            "data_connector_name": "fluent",
            "data_asset_name": compiled.asset_name,
            "batch_identifiers": {"dataframe": "<DATAFRAME>"},
        },
        "validation_id": str(uuid.uuid4()),
        "checkpoint_id": None,
        "run_id": run_id,
        "validation_time": run_id.run_time,
        "batch_parameters": {"dataframe": "<DATAFRAME>"},
        "baton": {"evaluator": COMPILED, "expectations_by_evaluator": counts, "fallback": fallback},
    }
    suite_result = ExpectationSuiteValidationResult(
        success=successful == evaluated,
        results=[],
        suite_name=compiled.suite.name,
        statistics={
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": successful / evaluated * 100 if evaluated else None,
        },
        meta=meta,
    ).to_json_dict()
    suite_result["results"] = results
    return _json_safe(suite_result)


def _supported_result_format(result_format: Mapping[str, Any]) -> dict:
    """``result_format`` if the compiler can reproduce it, else ValueError."""
    from great_expectations.expectations.expectation_configuration import parse_result_format

    parsed = parse_result_format(copy.deepcopy(dict(result_format)))
    needs_rows = (
        parsed.get("result_format") not in ("BOOLEAN_ONLY", "BASIC", "SUMMARY")
        or parsed.get("include_unexpected_rows")
        or parsed.get("unexpected_index_column_names")
        or parsed.get("return_unexpected_index_query")
    )
    if needs_rows:
        raise ValueError(
            f"result_format {dict(result_format)!r} needs unexpected rows or indices; "
            "use GreatExpectationsEvaluator for it"
        )
    return dict(result_format)
