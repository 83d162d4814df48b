"""Planning the passes: GE's configurations, what is compiled or delegated, the projection and the aggregation.

:class:`CompiledEvaluator` compiles a suite against a DataFrame into a :class:`CompiledSuite`, whose
:meth:`~CompiledSuite.validate` runs the aggregation, then the uniqueness pass
(:mod:`quality.compiled.uniqueness`) and the samples (:mod:`quality.compiled.samples`), and assembles
GE's result (:mod:`quality.compiled.results`).
"""

from __future__ import annotations

import copy
import datetime
import itertools
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from quality.compiled.items import (
    DATASOURCE_NAME,
    FLAG_PREFIX,
    SPARK_ERRORS,
    CompileError,
    Item,
    considered_id,
    domain_columns,
    sample_count_id,
    unevaluable_id,
)
from quality.compiled.metrics import AGGREGATE_TYPES, COMPILED_TYPES, aggregate_metric, first, metric_kind
from quality.compiled.results import compiled_result, delegated_results, suite_result, supported_result_format
from quality.compiled.samples import resolve_with_ge
from quality.compiled.uniqueness import find_duplicates
from quality.evaluators import RESULT_FORMAT, GreatExpectationsEvaluator
from quality.predicates import (
    ROW_LEVEL_TYPES,
    WINDOW_TYPES,
    PredicateError,
    _col,
    uncastable_literals,
    unevaluable_condition,
    unexpected_condition,
    uniqueness_key,
)
from quality.suite import Suite

KEEP_SHARE = 0.1  # validate(keep=...) persists kept rows up to this share of all rows (caching a row costs ~2 scans)


class CompiledEvaluator:
    """Evaluates suites in one projection and one aggregation; GE runs what is not compiled.

    Implements :class:`quality.evaluators.Evaluator`. ``result_format`` may be BOOLEAN_ONLY, BASIC or
    SUMMARY (default: the gate's SUMMARY with ``partial_unexpected_count`` 20); formats that
    need unexpected rows or indices are GE's job. ``fallback`` runs delegated expectations.
    """

    def __init__(
        self,
        result_format: Mapping[str, Any] | None = None,
        fallback: GreatExpectationsEvaluator | None = None,
    ) -> None:
        self.result_format = supported_result_format(result_format or RESULT_FORMAT)
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
        self.keep_rows: tuple[Column, StorageLevel] | None = None  # validate()'s ``keep``, when samples persist it
        self.conditions: dict[int, Column] = {}  # the plain predicates (windows for uniqueness), by item index
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
            except SPARK_ERRORS:
                self._delegate_failing()  # only the expectations whose Spark expressions raise go to GE
                metrics = self._aggregate(extra)
            find_duplicates(self, metrics, extra, storage_level)
            if keep is not None and storage_level is not None:
                rows, kept = self.extra_values[-2:]
                self.extra_values = self.extra_values[:-2]
                if kept and kept <= KEEP_SHARE * rows and not self.windows:
                    self.keep_rows = (keep, storage_level)
            metrics.update(resolve_with_ge(self, metrics))
        except SPARK_ERRORS as exc:
            fallback_reason = f"Spark rejected the compiled plan, Great Expectations evaluated the suite: {exc}"
            for item in self.items:
                item.delegate_reason = item.delegate_reason or "Spark rejected the compiled plan (see meta.baton)"
            metrics = {}
        results = {item.name: compiled_result(self, item, metrics) for item in self.items if item.compiled}
        results.update(delegated_results(self))
        ordered = [results[item.name] for item in self.items]
        return suite_result(self, ordered, run_time, fallback_reason)

    def _configure(self, index: int, raw: dict) -> Item:
        """GE's evaluated configuration of one expectation, and whether the compiler covers it."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        item = Item(index=index, name=raw["meta"]["baton"]["name"], raw=raw)
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

    def _refused_by_ge(self, item: Item) -> str | None:
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

    def _delegate_reason(self, item: Item) -> str | None:
        """Why GE must evaluate this expectation itself, or None when the compiler covers it."""
        exp_type = item.config.type
        if exp_type not in COMPILED_TYPES:
            return f"{exp_type} is not compiled"
        item.dependencies = dict(
            item.expectation.get_validation_dependencies(
                execution_engine=self.engine, runtime_configuration=copy.deepcopy(self.runtime_configuration)
            ).metric_configurations
        )
        missing = [name for name in domain_columns(item) if name not in self.df.columns]
        if missing:
            return f"column(s) {missing} are not columns of the DataFrame"
        kwargs = {k: v for k, v in item.config.kwargs.items() if k != "batch_id"}
        bad = uncastable_literals(exp_type, kwargs, self.df.schema, self.df.sparkSession)
        if bad:
            return (f"value_set string(s) {bad} cannot be cast as Great Expectations' Spark query casts them "
                    "(ANSI); Great Expectations raises")
        allowed = AGGREGATE_TYPES.get(exp_type)
        column = item.config.kwargs.get("column")
        if allowed and not isinstance(self.df.schema[column].dataType, allowed):
            return f"column {column!r} has type {self.df.schema[column].dataType.simpleString()}"
        refused = self._refused_by_ge(item)
        if refused:
            return refused
        unknown = [name for name in item.dependencies if metric_kind(item, name) is None]
        if unknown:
            return f"metric(s) {unknown} are not compiled"
        return None

    def _project(self) -> DataFrame:
        """The input plus one flag column per compiled row-level expectation, in one projection.

        A uniqueness flag is FALSE until :func:`~quality.compiled.uniqueness.find_duplicates` knows the
        duplicated keys. An expectation whose predicate Spark cannot analyse on this DataFrame (e.g. a regex on a map
        column) is delegated, so GE reports its own error for it.
        """
        flags: dict[int, Column] = {}
        for item in self.items:
            if item.compiled and item.config.type in ROW_LEVEL_TYPES:
                kwargs = {k: v for k, v in item.config.kwargs.items() if k != "batch_id"}
                try:
                    self.conditions[item.index] = unexpected_condition(item.config.type, kwargs, self.df.schema)
                    unevaluable = unevaluable_condition(item.config.type, kwargs, self.df.schema)
                    if unevaluable is not None:
                        self.unevaluable[item.index] = unevaluable
                    if item.config.type in WINDOW_TYPES:
                        self.unique[item.index] = uniqueness_key(item.config.type, kwargs, self.df.columns)
                except PredicateError as exc:
                    item.delegate_reason = f"no Spark predicate: {exc}"
                    self.conditions.pop(item.index, None)
                    continue
                flags[item.index] = F.lit(False) if item.index in self.unique else self.conditions[item.index]
        try:
            return self._select_flags(flags)
        except SPARK_ERRORS:
            for index, condition in list(flags.items()):  # find the predicate(s) Spark rejects
                try:
                    self.df.select(condition)
                except SPARK_ERRORS as exc:
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

    def _aggregate(self, extra: list[Column]) -> dict[Any, Any]:
        """Every count and aggregate metric (and ``extra``) in one aggregation.

        A uniqueness expectation's unexpected count is
        :func:`~quality.compiled.uniqueness.find_duplicates`'s; here it gets its considered rows
        counted instead (under :func:`considered_id`). An expectation with a value that GE's Spark
        query cannot compare (:func:`quality.predicates.unevaluable_condition`) is then delegated:
        GE raises on it, and its result is GE's error.
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
            failing = metrics.pop(unevaluable_id(item.index), 0)
            if failing and item.compiled:
                column = ", ".join(map(repr, domain_columns(item)))
                item.delegate_reason = (
                    f"{failing} value(s) of column {column} cannot be compared as Great Expectations' Spark "
                    "query compares them (ANSI cast); Great Expectations raises"
                )
        return metrics

    def _item_aggregates(self, item: Item, known: Mapping[Any, Any]) -> dict[Any, tuple[list[Column], Callable]]:
        """The aggregates one expectation needs that ``known`` does not hold yet."""
        aggregates: dict[Any, tuple[list[Column], Callable[[list], Any]]] = {}
        deferred = sample_count_id(item) if item.index in self.unique and item.flag else None
        if deferred is not None:
            aggregates[considered_id(item.index)] = [F.count_if(self.unique[item.index][1])], first
        if item.index in self.unevaluable and item.flag:
            aggregates[unevaluable_id(item.index)] = [F.count_if(self.unevaluable[item.index])], first
        for name, mc in item.dependencies.items():
            wanted = mc.id not in known and mc.id not in aggregates and mc.id != deferred
            if wanted and metric_kind(item, name) == "aggregate":
                aggregates[mc.id] = aggregate_metric(item, name, mc, self.df.schema)
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
            except SPARK_ERRORS as exc:
                item.delegate_reason = f"Spark raised on its compiled aggregates: {str(exc).splitlines()[0]}"
                failing.add(item.index)
        flagged = [item.index for item in self.items if item.flag]
        self.projection = self._select_flags({
            index: F.lit(True) if index in failing else F.lit(False) if index in self.unique
            else self.conditions[index] for index in flagged})
