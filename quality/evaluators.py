"""How a suite is evaluated: the :class:`Evaluator` protocol and Great Expectations' own evaluator.

:mod:`quality.compiled` implements the protocol in fewer Spark passes and delegates what it does not
compile to :class:`GreatExpectationsEvaluator`; :mod:`quality.gate` picks one and routes rows with it.
Imports point one way: gate -> compiled -> evaluators.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from pyspark.sql import DataFrame

from quality.suite import Suite

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}


class Evaluator(Protocol):
    """Validates a DataFrame against a suite.

    Returns ``ExpectationSuiteValidationResult.to_json_dict()`` of GE 1.x, with one result per
    suite expectation whose ``expectation_config.meta.baton.name`` is the Baton name (as in
    ``Suite.raw``). An evaluator may also offer ``compile(df, suite, parameters)``, returning an
    object with ``extend(columns)``, ``flag(name)``, ``validate(extra_aggregates, storage_level, keep)``
    and, once validated, ``projection``, ``hidden_columns``, ``extra_values``, ``cached``, ``kept`` and ``keys``
    (see :class:`quality.compiled.CompiledSuite`); :func:`quality.gate.evaluate` then flags rows from it.
    """

    def validate(self, df: DataFrame, suite: Suite, parameters: Mapping[str, Any]) -> dict: ...


class GreatExpectationsEvaluator:
    """Runs Great Expectations 1.x in one ephemeral context, reused across calls.

    Each call registers a fresh dataframe asset and validation definition (unique names)
    plus the suite, runs the validation, then removes them again, so repeated or
    interleaved calls never clash and the context does not grow.
    """

    def __init__(self, result_format: Mapping[str, Any] | None = None) -> None:
        self.result_format = dict(result_format or RESULT_FORMAT)
        self._context: Any = None
        self._datasource: Any = None
        self._run_ids = itertools.count(1)
        self._lock = threading.Lock()

    def validate(self, df: DataFrame, suite: Suite, parameters: Mapping[str, Any]) -> dict:
        """Validate ``df`` with GE and return the JSON-able result dict."""
        import great_expectations as gx

        with self._lock:
            context, datasource = self._ensure_context()
            run_name = f"{suite.name}-{next(self._run_ids)}"
            asset = datasource.add_dataframe_asset(name=run_name)
            try:
                gx_suite = context.suites.add(gx.ExpectationSuite(**copy.deepcopy(suite.raw)))
                definition = context.validation_definitions.add(
                    gx.ValidationDefinition(
                        name=run_name,
                        data=asset.add_batch_definition_whole_dataframe("whole"),
                        suite=gx_suite,
                    )
                )
                result = definition.run(
                    batch_parameters={"dataframe": df},
                    expectation_parameters=dict(parameters),
                    result_format=self.result_format,
                )
            finally:
                self._forget(context, datasource, run_name, suite.name)
        return json_safe(result.to_json_dict())

    def _ensure_context(self) -> tuple[Any, Any]:
        """Create the ephemeral context (progress bars off) and its Spark data source once."""
        if self._context is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            # persist=False: GE would otherwise cache every validated DataFrame and never release it
            self._datasource = context.data_sources.add_spark(name="baton_spark", persist=False)
            self._context = context
        return self._context, self._datasource

    @staticmethod
    def _forget(context: Any, datasource: Any, run_name: str, suite_name: str) -> None:
        """Remove what one run registered (whatever of it exists)."""
        removals = (
            lambda: context.validation_definitions.delete(run_name),
            lambda: context.suites.delete(suite_name),
            lambda: datasource.delete_asset(run_name),
        )
        for remove in removals:
            with contextlib.suppress(Exception):  # not registered: the run failed before that step
                remove()


def json_safe(value: dict) -> dict:
    """A plain-JSON copy of GE's dict (GE converts dates and decimals; anything left becomes a string)."""
    return json.loads(json.dumps(value, default=str))
