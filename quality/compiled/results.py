"""Results: GE's expectation and suite results from the compiled metrics, and the delegated ones merged in."""

from __future__ import annotations

import copy
import datetime
import traceback
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from quality.compiled.items import COMPILED, DATASOURCE_NAME, GREAT_EXPECTATIONS, Item
from quality.evaluators import json_safe
from quality.suite import suite_from_dict

if TYPE_CHECKING:
    from quality.compiled.plan import CompiledSuite


def compiled_result(compiled: CompiledSuite, item: Item, metrics: dict[Any, Any]) -> dict:
    """The expectation's own ``metrics_validate`` on the compiled metrics, as GE's validator calls it."""
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.validator.exception_info import ExceptionInfo

    try:
        result = item.config.to_domain_obj().metrics_validate(
            metrics=metrics,
            execution_engine=compiled.engine,
            runtime_configuration=copy.deepcopy(compiled.runtime_configuration),
        )
    except Exception as exc:  # GE's validator turns any exception into a failed result
        info = ExceptionInfo(exception_traceback=traceback.format_exc(), exception_message=str(exc))
        result = ExpectationValidationResult(success=False, exception_info=info, expectation_config=item.config)
    return with_evaluator(json_safe(result.to_json_dict()), COMPILED)


def delegated_results(compiled: CompiledSuite) -> dict[str, dict]:
    """Results of the expectations GE evaluates, from one GE run on a sub-suite."""
    delegated = [item for item in compiled.items if not item.compiled]
    if not delegated:
        return {}
    sub_suite = suite_from_dict(
        {
            "name": compiled.suite.name,
            "meta": copy.deepcopy(compiled.suite.raw.get("meta") or {}),
            "expectations": [copy.deepcopy(item.raw) for item in delegated],
        },
        source=compiled.suite.source,
    )
    validation = compiled.fallback.validate(compiled.df, sub_suite, compiled.parameters)
    reasons = {item.name: item.delegate_reason for item in delegated}
    results = {}
    for result in validation["results"]:
        result["expectation_config"]["kwargs"]["batch_id"] = compiled.batch_id
        name = result["expectation_config"]["meta"]["baton"]["name"]
        results[name] = with_evaluator(result, GREAT_EXPECTATIONS, reasons[name])
    return results


def with_evaluator(result: dict, evaluator: str, reason: str | None = None) -> dict:
    """``result`` with ``expectation_config.meta.baton.evaluator`` (and ``delegated_because``) set."""
    config = result["expectation_config"]
    config["meta"] = config.get("meta") or {}
    baton = config["meta"].setdefault("baton", {})
    baton["evaluator"] = evaluator
    if reason is not None:
        baton["delegated_because"] = reason
    return result


def suite_result(compiled: CompiledSuite, results: list[dict], run_time: datetime.datetime, fallback: str | None):
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
    return json_safe(suite_result)


def supported_result_format(result_format: Mapping[str, Any]) -> dict:
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
