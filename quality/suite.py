"""Load Baton quality suites: GE 1.x suite JSON plus routing hints under ``meta.baton``.

A suite file is ordinary Great Expectations 1.x suite JSON (ids stripped). Baton reads its
routing hints from ``meta.baton`` of the suite (``tolerance``) and of each expectation
(``name``, ``on_fail``, ``reason``). This module does not import Great Expectations, so
loading and checking a suite is instant.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.errors import BatonError

ON_FAIL_VALUES = ("quarantine", "correct", "warn")
PARAMETER_KEY = "$PARAMETER"


class SuiteError(BatonError):
    """A suite file or dict is malformed, or a suite parameter is missing; the message starts with where."""


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite with its Baton routing hints.

    ``kwargs`` are the GE kwargs as written (``$PARAMETER`` references unresolved);
    ``meta`` is the expectation's whole ``meta`` dict.
    """

    type: str
    kwargs: dict
    name: str
    on_fail: str
    reason: str | None
    meta: dict

    @property
    def columns(self) -> list[str]:
        """The columns the expectation reads (empty for table-level expectations)."""
        return expectation_columns(self.kwargs)


@dataclass(frozen=True)
class Suite:
    """A loaded suite.

    ``raw`` is the GE suite dict ready for ``gx.ExpectationSuite(**raw)``: ids removed and
    every expectation's ``meta.baton.name`` filled in, so validation results can be matched
    back to Baton expectations by name.
    """

    name: str
    expectations: tuple[Expectation, ...]
    tolerance: float
    raw: dict
    source: str

    def resolve(self, parameters: Mapping[str, Any]) -> list[tuple[Expectation, dict]]:
        """Return each expectation with its kwargs, each ``{"$PARAMETER": expression}`` replaced by its value.

        A supplied name is taken as is; any other expression (``now() - timedelta(weeks=52)``,
        ``limit * 2``) is evaluated by GE's own suite-parameter parser, so the value is GE's.
        """
        return [(exp, self._resolve_kwargs(exp, parameters)) for exp in self.expectations]

    def _resolve_kwargs(self, exp: Expectation, parameters: Mapping[str, Any]) -> dict:
        resolved = {}
        for key, value in exp.kwargs.items():
            parameter = parameter_name(value)
            if parameter is None:
                resolved[key] = copy.deepcopy(value)
            elif parameter in parameters:
                resolved[key] = parameters[parameter]
            else:
                resolved[key] = self._evaluate(exp, key, parameter, parameters)
        return resolved

    def _evaluate(self, exp: Expectation, key: str, expression: str, parameters: Mapping[str, Any]) -> Any:
        """``expression`` as GE evaluates it (GE's parser; imported only for expressions)."""
        from great_expectations.core.suite_parameters import parse_suite_parameter

        try:
            return parse_suite_parameter(expression, suite_parameters=dict(parameters))
        except Exception as exc:  # GE's SuiteParameterError, or a pyparsing error for odd input
            raise SuiteError(
                f"suite {self.name!r} ({self.source}): expectation {exp.name!r} needs parameter "
                f"{expression!r} for {key!r}, but Great Expectations cannot evaluate it with the supplied "
                f"parameters (supplied: {sorted(parameters) or 'none'}): {exc}"
            ) from exc


def check_with_great_expectations(suite: Suite) -> None:
    """Refuse what Great Expectations would drop without a word or fail on late.

    GE 1.24 leaves an expectation of an unknown type out of a suite silently (a typo would turn a
    check off); its models refuse bad kwargs (no ``column``, a ``min_value`` that is not a number)
    only once the suite is built. Imports GE: the gate calls it, loading a suite does not.
    """
    from great_expectations.compatibility.pydantic import ValidationError
    from great_expectations.exceptions import ExpectationNotFoundError, InvalidExpectationConfigurationError
    from great_expectations.expectations.registry import get_expectation_impl

    for index, exp in enumerate(suite.expectations):
        where = f"{suite.source}: expectation #{index} ({exp.name!r})"
        try:
            model = get_expectation_impl(exp.type)
        except ExpectationNotFoundError:
            raise SuiteError(f"{where}: unknown expectation type {exp.type!r}; Great Expectations has no such "
                             "expectation (see its gallery for the names)") from None
        try:
            model(**exp.kwargs)
        except ValidationError as err:
            first = {".".join(map(str, e["loc"])): e["msg"] for e in reversed(err.errors())}
            problems = "; ".join(f"{key}: {message}" for key, message in reversed(first.items()))
            raise SuiteError(f"{where}: kwargs that {exp.type} refuses: {problems}") from None
        except InvalidExpectationConfigurationError as err:
            raise SuiteError(f"{where}: kwargs that {exp.type} refuses: {err}") from None


def parameter_name(value: Any) -> str | None:
    """The parameter name if ``value`` is a ``{"$PARAMETER": name}`` reference, else None."""
    if isinstance(value, Mapping) and set(value) == {PARAMETER_KEY}:
        return str(value[PARAMETER_KEY])
    return None


def expectation_columns(kwargs: Mapping[str, Any]) -> list[str]:
    """Columns named by GE kwargs: ``column``, ``column_A``/``column_B`` or ``column_list``."""
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs or "column_B" in kwargs:
        return [kwargs[key] for key in ("column_A", "column_B") if key in kwargs]
    column_list = kwargs.get("column_list")
    if isinstance(column_list, list | tuple):
        return list(column_list)
    return []


def default_name(exp_type: str, kwargs: Mapping[str, Any]) -> str:
    """``<type>:<column or columns joined by +>``, or just the type for table-level expectations."""
    columns = expectation_columns(kwargs)
    return f"{exp_type}:{'+'.join(map(str, columns))}" if columns else exp_type


def load_suite(path: str | Path) -> Suite:
    """Read and check a suite JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read suite file: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    return suite_from_dict(data, source=str(path))


def suite_from_dict(d: Mapping[str, Any], source: str = "<inline>") -> Suite:
    """Check a GE suite dict with Baton hints and build a :class:`Suite`."""
    if not isinstance(d, Mapping):
        raise SuiteError(f"{source}: a suite must be a JSON object, got {type(d).__name__}")
    raw = _without_ids(_nan_to_none(d))
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SuiteError(f"{source}: the suite needs a non-empty string 'name'")
    tolerance = _tolerance(raw, source)
    raw_expectations = raw.setdefault("expectations", [])
    if not isinstance(raw_expectations, list):
        raise SuiteError(f"{source}: 'expectations' must be a list")
    expectations = tuple(_expectation(item, index, source) for index, item in enumerate(raw_expectations))
    _check_unique_names(expectations, source)
    for item, exp in zip(raw_expectations, expectations, strict=True):
        item.setdefault("meta", {}).setdefault("baton", {})["name"] = exp.name
    return Suite(name=name, expectations=expectations, tolerance=tolerance, raw=raw, source=source)


def _without_ids(suite: dict) -> dict:
    """Drop the suite's and the expectations' ``id`` (GE regenerates them; they only churn in git)."""
    suite.pop("id", None)
    for item in suite.get("expectations") or []:
        if isinstance(item, dict):
            item.pop("id", None)
    return suite


def _nan_to_none(value: Any) -> Any:
    """A deep copy with NaN replaced by None, as GE's suite store does.

    GE serialises a suite on ``suites.add`` and NaN becomes null, so GE evaluates
    ``value_set: [1.0, NaN]`` written in a suite as ``[1.0, null]``.
    """
    if isinstance(value, Mapping):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nan_to_none(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _baton_meta(container: Mapping[str, Any], where: str) -> dict:
    meta = container.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise SuiteError(f"{where}: 'meta' must be an object")
    baton = meta.get("baton") or {}
    if not isinstance(baton, Mapping):
        raise SuiteError(f"{where}: 'meta.baton' must be an object")
    return dict(baton)


def _tolerance(raw: Mapping[str, Any], source: str) -> float:
    tolerance = _baton_meta(raw, source).get("tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance <= 1:
        raise SuiteError(
            f"{source}: meta.baton.tolerance must be a number in [0, 1] "
            f"(fraction of rows allowed to stay quarantined), got {tolerance!r}"
        )
    return float(tolerance)


def _expectation(item: Any, index: int, source: str) -> Expectation:
    where = f"{source}: expectation #{index}"
    if not isinstance(item, dict):
        raise SuiteError(f"{where}: must be an object, got {type(item).__name__}")
    exp_type = item.get("type")
    if not isinstance(exp_type, str) or not exp_type:
        raise SuiteError(f"{where}: missing 'type' (e.g. \"expect_column_values_to_not_be_null\")")
    kwargs = item.setdefault("kwargs", {})
    if not isinstance(kwargs, dict):
        raise SuiteError(f"{where} ({exp_type}): 'kwargs' must be an object")
    baton = _baton_meta(item, f"{where} ({exp_type})")
    name = baton.get("name") or default_name(exp_type, kwargs)
    if not isinstance(name, str):
        raise SuiteError(f"{where} ({exp_type}): meta.baton.name must be a string, got {name!r}")
    where = f"{where} ({name!r})"
    on_fail = baton.get("on_fail", "quarantine")
    if on_fail not in ON_FAIL_VALUES:
        choices = ", ".join(ON_FAIL_VALUES)
        raise SuiteError(f"{where}: meta.baton.on_fail must be one of {choices}; got {on_fail!r}")
    reason = baton.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise SuiteError(f"{where}: meta.baton.reason must be a string, got {reason!r}")
    return Expectation(
        type=exp_type,
        kwargs=copy.deepcopy(kwargs),
        name=name,
        on_fail=on_fail,
        reason=reason,
        meta=copy.deepcopy(item.get("meta") or {}),
    )


def _check_unique_names(expectations: tuple[Expectation, ...], source: str) -> None:
    first_index: dict[str, int] = {}
    for index, exp in enumerate(expectations):
        if exp.name in first_index:
            raise SuiteError(
                f"{source}: expectation #{index} ({exp.name!r}): duplicate name, already used by "
                f"expectation #{first_index[exp.name]}; set a distinct meta.baton.name"
            )
        first_index[exp.name] = index
