"""Samples: the ``partial_unexpected_list`` values and schema metrics, after the aggregation.

Only expectations with unexpected rows (or values) get a follow-up query: ONE shared query in GE's scan
order for the column-map types (null checks need none), GE's own metric provider for the others, so
the values and their order are GE's; schema metrics cost no Spark job.
"""

from __future__ import annotations

import copy
from functools import reduce
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F

from quality.compiled.items import Item, sample_count_id
from quality.compiled.metrics import metric_kind
from quality.predicates import _col

if TYPE_CHECKING:
    from quality.compiled.plan import CompiledSuite

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


def resolve_with_ge(compiled: CompiledSuite, metrics: dict[Any, Any]) -> dict[Any, Any]:
    """Schema metrics, and unexpected values where there are any, from GE's own providers.

    GE's dependency graph is seeded with the compiled metrics (its row counts among them),
    so it only runs the queries that list values. Where the count is 0 (or None) GE's query
    would return no rows: the value is ``[]``. An expectation whose metric GE cannot
    resolve is delegated to GE.
    """
    from great_expectations.validator.metrics_calculator import MetricsCalculator

    wanted, resolved, needed_by = [], {}, {}
    own: list[tuple[Item, Any, int]] = []
    for item in (item for item in compiled.items if item.compiled):
        for name, mc in item.dependencies.items():
            kind = metric_kind(item, name)
            count = metrics.get(sample_count_id(item)) if kind == "sample" else None
            if kind == "none":
                resolved[mc.id] = None
            elif kind == "sample" and count and item.config.type in _OWN_SAMPLE_TYPES and item.flag:
                own.append((item, mc, count))
            elif kind == "schema" or (kind == "sample" and count):
                wanted.append(mc)
                needed_by.setdefault(mc.id, []).append(item)
            elif kind == "sample":
                resolved[mc.id] = []
    resolved.update(own_samples(compiled, own))
    if wanted:
        runtime_configuration = copy.deepcopy(compiled.runtime_configuration)
        calculator = MetricsCalculator(execution_engine=compiled.engine, show_progress_bars=False)
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


def own_samples(compiled: CompiledSuite, wanted: list[tuple[Item, Any, int]]) -> dict[Any, list]:
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
    shared: list[tuple[Item, Any, int]] = []
    for item, mc, count in wanted:
        limit = _sample_limit(mc)
        if item.config.type == "expect_column_values_to_not_be_null":
            resolved[mc.id] = [None] * min(count, limit)
        elif count <= SAMPLE_QUERY_ROWS:
            shared.append((item, mc, limit))
        else:
            column = item.config.kwargs["column"]
            query = compiled.df.filter(compiled.conditions[item.index]).select(_col(column).alias("value")).limit(limit)
            resolved[mc.id] = [row[0] for row in query.collect()]
    if shared:
        columns = list(dict.fromkeys(item.config.kwargs["column"] for item, _, _ in shared))
        source, flags = compiled.df, [compiled.conditions[item.index] for item, _, _ in shared]
        if compiled.keep_rows is not None:
            keep, storage_level = compiled.keep_rows
            flags = [F.col(item.flag) for item, _, _ in shared]
            compiled.kept = compiled.projection.where(keep | reduce(lambda a, b: a | b, flags)).persist(storage_level)
            source = compiled.kept
        any_flag = reduce(lambda a, b: a | b, flags)
        rows = source.filter(any_flag).select(*[_col(c).alias(f"c{n}") for n, c in enumerate(columns)],
                                              *[flag.alias(f"f{n}") for n, flag in enumerate(flags)]).collect()
        for n, (item, mc, limit) in enumerate(shared):
            position = columns.index(item.config.kwargs["column"])
            flag = len(columns) + n
            resolved[mc.id] = [row[position] for row in rows if row[flag]][:limit]
    return resolved


def _sample_limit(mc: Any) -> int:
    """How many unexpected values GE lists for this sample metric (its ``partial_unexpected_count``)."""
    from great_expectations.constants import MAX_RESULT_RECORDS

    result_format = mc.metric_value_kwargs["result_format"]
    if result_format["result_format"] == "COMPLETE":
        return MAX_RESULT_RECORDS
    return min(result_format["partial_unexpected_count"], MAX_RESULT_RECORDS)
