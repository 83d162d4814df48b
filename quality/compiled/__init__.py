"""A quality gate at the single-pass limit: a suite compiled into Spark expressions.

:class:`CompiledEvaluator` returns the same validation result as Great Expectations 1.24
(``ExpectationSuiteValidationResult.to_json_dict()``) with far fewer Spark passes:

1. every row-level expectation becomes a boolean column of ONE projection of the input
   (:func:`quality.predicates.unexpected_condition`);
2. every count and aggregate GE would compute (row counts, null counts, unexpected counts,
   filtered row counts, min, max, mean, sum, stdev, distinct counts) comes from ONE
   aggregation over that projection, in GE's row order;
3. then the duplicated keys of all uniqueness expectations together
   (:func:`quality.compiled.uniqueness.find_duplicates`): their key hashes sorted on the driver (ONE Arrow
   query, up to :data:`DRIVER_HASHES` rows) or aggregated by Spark (ONE shuffle), exact keys
   only for the repeated hashes; the uniqueness flags join the duplicated keys (a window only
   past :data:`BROADCAST_KEYS`);
4. only expectations with unexpected rows (or values) get a follow-up query for their
   ``partial_unexpected_list``: ONE shared query in GE's scan order for the column-map types
   (:func:`quality.compiled.samples.own_samples`; null checks need none), GE's own metric provider for the
   others, so the values and their order are GE's; schema metrics (``table.columns``,
   ``table.column_types``) cost no Spark job.

The metric values are then handed to each expectation's own ``metrics_validate`` (the code
GE's validator runs), so success, ``mostly``, percentages and result fields are GE's by
construction. Whatever the compiler does not cover runs through Great Expectations itself on
a sub-suite: types outside :data:`COMPILED_TYPES`, columns missing from the DataFrame,
aggregates on column types GE rejects, kwargs the predicates reject, and any expectation whose
follow-up metric GE could not resolve; an expectation GE refuses for its column's type (GE's own
check), or whose values GE's Spark query cannot compare (counted in the aggregation), or whose
aggregates Spark raises on. Only that expectation goes to GE; each result's
``expectation_config.meta.baton.evaluator`` says which path produced it (``"compiled"`` or ``"great_expectations"``).

Results are in suite order (GE orders them by column, errors first). Ids, times, the batch id
and the traceback text of errors are new per run, as they are in GE.

The modules, by concern: :mod:`~quality.compiled.plan` (the passes), :mod:`~quality.compiled.metrics`
(the aggregate metrics), :mod:`~quality.compiled.uniqueness`, :mod:`~quality.compiled.samples` and
:mod:`~quality.compiled.results`; :mod:`~quality.compiled.items` holds what they share.
"""

from quality.compiled.items import COMPILED, GREAT_EXPECTATIONS, CompileError
from quality.compiled.metrics import COMPILED_TYPES
from quality.compiled.plan import CompiledEvaluator, CompiledSuite
from quality.compiled.uniqueness import BROADCAST_KEYS, DRIVER_HASHES

__all__ = [
    "BROADCAST_KEYS",
    "COMPILED",
    "COMPILED_TYPES",
    "DRIVER_HASHES",
    "GREAT_EXPECTATIONS",
    "CompileError",
    "CompiledEvaluator",
    "CompiledSuite",
]
