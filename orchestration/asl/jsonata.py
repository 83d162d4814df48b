"""JSONata of Step Functions' JSONata mode: ``"{% expression %}"`` values, compiled at load, evaluated per state.

A field value is an expression when it is a whole string starting with ``{%`` and ending with ``%}``;
inside objects and arrays every such string is evaluated and the rest is copied (:class:`Value`).
Expressions see ``$states`` (``input``, ``context``, and ``result`` or ``errorOutput`` where the
state has one) and every variable in scope, by name.

Step Functions runs JSONata 2.0 with its own functions added, and without ``$eval``:

* ``$partition(array, size)``, ``$range(start, end, step)``, ``$hash(text, algorithm)``: as the
  intrinsics ``States.ArrayPartition``, ``States.ArrayRange`` and ``States.Hash``;
* ``$random()`` (the execution's random generator) and ``$random(seed)`` (the same number for the
  same seed), ``$uuid()`` (the execution's UUID factory), ``$parse(json_text)``.

An expression that fails, returns nothing (undefined) or returns a function fails the state with
``States.QueryEvaluationError``, which Retry and Catch handle like any error; the history records an
``EvaluationFailed`` event (state, error, cause, location: the field) first.

The engine is jsonatapy (docs/architecture.md says why); it is imported when the first JSONata
definition is loaded, so a JSONPath machine costs nothing more.
"""

from __future__ import annotations

import contextvars
import json
import random
from typing import Any

from orchestration.asl.errors import QUERY_EVALUATION_ERROR, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.intrinsic_functions import IntrinsicError, call_function
from orchestration.asl.jsonpath import json_type

_ENV: contextvars.ContextVar[EvalEnv] = contextvars.ContextVar("jsonata_env")


def is_expression(value: Any) -> bool:
    """Whether a field value is a JSONata expression: a string ``{% ... %}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


class Expression:
    """One ``{% ... %}`` string, compiled; ``field`` names where it is, for error causes."""

    __slots__ = ("text", "field", "_compiled", "_exists")

    def __init__(self, text: str, field: str, where: str):
        self.text = text[2:-2].strip()
        self.field = field
        self._compiled = _compile(self.text, where)
        self._exists = None

    def evaluate(self, states: dict[str, Any], env: EvalEnv) -> Any:
        """The expression's value, given ``$states`` and the variables ``env`` sees."""
        bindings = {**env.variables.visible(), "states": states}
        token = _ENV.set(env)
        try:
            value = self._compiled.evaluate(None, bindings)
            if value is None and not self._defined(bindings):
                raise self._error("returned nothing (undefined)")
        except ValueError as error:
            raise self._error(f"failed: {error}") from None
        finally:
            _ENV.reset(token)
        if callable(value):
            raise self._error("returned an unsupported result type (a function)")
        return value

    def _defined(self, bindings: dict[str, Any]) -> bool:
        """Null or undefined? jsonatapy returns None for both: ask ``$exists`` (rare: only on None)."""
        if self._exists is None:
            self._exists = _compile(f"$exists(({self.text}))", self.field)
        return bool(self._exists.evaluate(None, bindings))

    def _error(self, what: str) -> StatesError:
        return StatesError(QUERY_EVALUATION_ERROR,
                           f"The JSONata expression '{self.text}' specified for the field '{self.field}' {what}",
                           location=self.field)


class Value:
    """A field value that may hold expressions (Arguments, Output, Assign, Items, ItemSelector...)."""

    __slots__ = ("_node",)

    def __init__(self, spec: Any, field: str, where: str):
        self._node = _compile_value(spec, field, where)

    def evaluate(self, states: dict[str, Any], env: EvalEnv) -> Any:
        return _evaluate(self._node, states, env)


def value_field(spec: dict, key: str, where: str) -> Value | None:
    """``spec[key]`` as a :class:`Value`, None when absent."""
    if key not in spec:
        return None
    return Value(spec[key], key, f"{where}.{key}" if where else key)


# A compiled node is ("const", value), ("expr", Expression), ("object", [(key, node)]) or ("array", [node]).

def _compile_value(spec: Any, field: str, where: str) -> tuple:
    if is_expression(spec):
        return "expr", Expression(spec, field, where)
    if isinstance(spec, dict):
        entries = [(key, _compile_value(value, f"{field}/{key}", f"{where}.{key}")) for key, value in spec.items()]
        return ("const", spec) if all(node[0] == "const" for _, node in entries) else ("object", entries)
    if isinstance(spec, list):
        items = [_compile_value(value, f"{field}/{index}", f"{where}[{index}]") for index, value in enumerate(spec)]
        return ("const", spec) if all(node[0] == "const" for node in items) else ("array", items)
    return "const", spec


def _evaluate(node: tuple, states: dict[str, Any], env: EvalEnv) -> Any:
    kind, value = node
    if kind == "const":
        return value
    if kind == "expr":
        return value.evaluate(states, env)
    if kind == "object":
        return {key: _evaluate(child, states, env) for key, child in value}
    return [_evaluate(child, states, env) for child in value]


def _compile(text: str, where: str) -> Any:
    import jsonatapy  # here, not at the top: JSONPath machines never load the engine

    try:
        compiled = jsonatapy.compile(text)
    except ValueError as error:
        raise DefinitionError(where, f"invalid JSONata expression {text!r}: {error}") from None
    for name, function in _FUNCTIONS.items():
        if f"${name}" in text:
            compiled.register(name, function)
    for name, function in _OVERRIDES.items():
        if f"${name}" in text:
            compiled.register_override(name, function)
    return compiled


def _intrinsic(function: str, intrinsic: str, *args: Any) -> Any:
    try:
        return call_function(intrinsic, list(args), _ENV.get())
    except IntrinsicError as error:
        raise ValueError(f"{function}: {error}") from None


def _partition(array: Any, size: Any) -> list:
    return _intrinsic("$partition", "States.ArrayPartition", array, size)


def _range(start: Any, end: Any, step: Any) -> list:
    return _intrinsic("$range", "States.ArrayRange", start, end, step)


def _hash(text: Any, algorithm: Any) -> str:
    return _intrinsic("$hash", "States.Hash", text, algorithm)


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise ValueError(f"$parse: expected a string, got {json_type(text)}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"$parse: not JSON: {error}") from None


def _uuid() -> str:
    return _ENV.get().new_uuid()


def _random(seed: Any = None) -> float:
    if seed is None:
        return _ENV.get().rng.random()
    return random.Random(seed).random()


def _no_eval(*args: Any) -> Any:
    raise ValueError("$eval is not available in Step Functions (use $parse)")


_FUNCTIONS = {"partition": _partition, "range": _range, "hash": _hash, "parse": _parse, "uuid": _uuid}
_OVERRIDES = {"random": _random, "eval": _no_eval}
