"""Small checks shared by the definition loader; each failure names the field path it is about.

Field paths read like ``States.Fetch.Retry[0].BackoffRate``.
"""

from __future__ import annotations

from typing import Any

from orchestration.asl.errors import DefinitionError

_DISTRIBUTED = "a field of distributed Map states only (Map with ItemProcessor.ProcessorConfig.Mode DISTRIBUTED)"
_JSONPATH_ONLY = "a JSONPath field: a JSONata state uses Arguments, Output and Assign (or QueryLanguage JSONPath)"
_JSONATA_ONLY = "a JSONata field: set QueryLanguage to JSONata (JSONPath uses Parameters, ResultSelector, ResultPath)"
UNSUPPORTED_FIELDS = {
    **dict.fromkeys(("InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath", "Result",
                     "SecondsPath", "TimestampPath", "ErrorPath", "CausePath", "Variable"), _JSONPATH_ONLY),
    **dict.fromkeys(("Arguments", "Output", "Items", "Condition"), _JSONATA_ONLY),
    **dict.fromkeys(("ItemReader", "ItemBatcher", "ResultWriter", "Label", "ToleratedFailureCount",
                     "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
                    _DISTRIBUTED),
    "MaxConcurrencyPath": "a field of Map states (JSONPath; JSONata gives MaxConcurrency as an expression)",
    "TimeoutSecondsPath": "TimeoutSecondsPath is not supported (use TimeoutSeconds)",
    "HeartbeatSecondsPath": "HeartbeatSecondsPath is not supported (use HeartbeatSeconds)",
    "Credentials": "Task Credentials (cross-account roles) are not supported",
}


def field(where: str, key: str | int) -> str:
    """The path of a member: ``field("States.A", "Next")``, ``field("States.A.Retry", 0)``."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def check_fields(spec: dict, where: str, allowed: frozenset[str], what: str) -> None:
    """Reject every key of ``spec`` not in ``allowed``, with a specific message when we know why."""
    for key in spec:
        if key not in allowed:
            raise DefinitionError(field(where, key), UNSUPPORTED_FIELDS.get(key, f"unknown field for {what}"))


def query_language(spec: dict, where: str, default: str) -> str:
    """The ``QueryLanguage`` of a machine or state: ``JSONPath`` or ``JSONata``, ``default`` when absent."""
    value = spec.get("QueryLanguage", default)
    if value not in ("JSONPath", "JSONata"):
        raise DefinitionError(field(where, "QueryLanguage"), f"must be JSONPath or JSONata, got {value!r}")
    return value


def require_object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise DefinitionError(where, f"must be an object, got {_type(value)}")
    return value


def require_list(value: Any, where: str, non_empty: bool = True) -> list:
    if not isinstance(value, list):
        raise DefinitionError(where, f"must be an array, got {_type(value)}")
    if non_empty and not value:
        raise DefinitionError(where, "must not be empty")
    return value


def get_string(spec: dict, key: str, where: str, required: bool = False) -> str | None:
    """``spec[key]`` as a string, None when absent (an error when ``required``)."""
    if key not in spec:
        if required:
            raise DefinitionError(field(where, key), "is required")
        return None
    value = spec[key]
    if not isinstance(value, str):
        raise DefinitionError(field(where, key), f"must be a string, got {_type(value)}")
    return value


def get_integer(spec: dict, key: str, where: str, minimum: int, maximum: int = 99_999_999) -> int | None:
    """``spec[key]`` as an integer within [minimum, maximum], None when absent."""
    if key not in spec:
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(field(where, key), f"must be an integer, got {_type(value)}")
    if not minimum <= value <= maximum:
        raise DefinitionError(field(where, key), f"must be between {minimum} and {maximum}, got {value}")
    return value


def get_number(spec: dict, key: str, where: str, minimum: float) -> float | None:
    """``spec[key]`` as a number >= ``minimum``, None when absent."""
    if key not in spec:
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(field(where, key), f"must be a number, got {_type(value)}")
    if value < minimum:
        raise DefinitionError(field(where, key), f"must be >= {minimum}, got {value}")
    return value


def one_of(spec: dict, keys: tuple[str, ...], where: str, required: bool) -> str | None:
    """The single key of ``keys`` present in ``spec`` (error if several, or none when ``required``)."""
    present = [key for key in keys if key in spec]
    if len(present) > 1:
        raise DefinitionError(where, f"use only one of {', '.join(present)}")
    if not present and required:
        raise DefinitionError(where, f"needs one of {', '.join(keys)}")
    return present[0] if present else None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__)
