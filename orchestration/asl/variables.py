"""Workflow variables (``Assign``) and their scopes, as AWS "Passing data between states with variables" has them.

* The states of the machine's top level share one scope. Each Parallel branch and each Map
  iteration runs in a scope of its own that reads the variables of the scopes around it, as they
  were when the branch or iteration started, and cannot assign them (``States.Runtime``): the only
  way out of a branch is its output.
* A state's ``Assign`` is evaluated with the values from before the state (like its ``Output``); the
  new values are visible from the next state on.
* Quotas: one variable's value at most 256 KiB of JSON, one ``Assign`` at most 256 KiB in all, the
  variables of an execution at most 10 MiB (``States.DataLimitExceeded``).
"""

from __future__ import annotations

import re
from typing import Any

from orchestration.asl.errors import DATA_LIMIT_EXCEEDED, RUNTIME, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.history import dumps
from orchestration.asl.jsonata import Value
from orchestration.asl.payload import MAX_PAYLOAD_BYTES, Template
from orchestration.asl.validation import field, require_object

MAX_TOTAL_BYTES = 10 * 1024 * 1024
_NAME = re.compile(r"(?!\d)\w{1,80}")
RESERVED = "states"


def check_name(name: str, where: str) -> None:
    """Refuse a variable name AWS refuses: letters, digits and ``_``, not first a digit, at most 80; not ``states``."""
    if not _NAME.fullmatch(name):
        raise DefinitionError(where, f"invalid variable name {name!r}: 1-80 letters, digits or '_', "
                                     "not starting with a digit")
    if name == RESERVED:
        raise DefinitionError(where, "'states' is reserved ($states holds the state's input, result and context)")


class Variables:
    """The variables one scope sees: its own and, read-only, a snapshot of the enclosing scopes'."""

    __slots__ = ("_outer", "_own", "_bytes", "_visible")

    def __init__(self, enclosing: Variables | None = None):
        self._outer: dict[str, Any] = enclosing.visible() if enclosing is not None else {}
        self._own: dict[str, Any] = {}
        self._bytes: dict[str, int] = {}
        self._visible: dict[str, Any] | None = self._outer

    def visible(self) -> dict[str, Any]:
        """Every variable this scope reads, by name (do not modify)."""
        if self._visible is None:
            self._visible = {**self._outer, **self._own}
        return self._visible

    def assign(self, values: dict[str, Any], state_name: str) -> dict[str, str]:
        """Store an ``Assign``'s values; returns them as JSON texts (the history's ``assignedVariables``)."""
        texts = {name: dumps(value) for name, value in values.items()}
        for name in values:
            if name in self._outer:
                raise StatesError(RUNTIME, f"The state '{state_name}' cannot assign the variable '{name}': it "
                                           "belongs to an outer scope (a Parallel branch or Map iteration reads "
                                           "the variables around it but cannot assign them)")
        sizes = {name: len(text.encode("utf-8")) for name, text in texts.items()}
        if any(size > MAX_PAYLOAD_BYTES for size in sizes.values()) or sum(sizes.values()) > MAX_PAYLOAD_BYTES:
            raise StatesError(DATA_LIMIT_EXCEEDED, f"The state '{state_name}' assigned variables over the quota "
                                                   "(256 KiB per variable and per Assign)", wildcard=False)
        total = sum({**self._bytes, **sizes}.values())
        if total > MAX_TOTAL_BYTES:
            raise StatesError(DATA_LIMIT_EXCEEDED, f"The state '{state_name}' assigned variables over the quota "
                                                   "of 10 MiB of variables per execution", wildcard=False)
        self._own.update(values)
        self._bytes.update(sizes)
        self._visible = None
        return texts


class Assign:
    """A compiled ``Assign`` field: JSONata values (``{% %}`` strings) or a JSONPath template (``name.$`` keys).

    :meth:`values` takes what the field reads: ``$states`` in JSONata, the state's result (or effective
    input, or a catcher's error output) as ``$`` in JSONPath.
    """

    __slots__ = ("_jsonata", "_value")

    def __init__(self, spec: Any, where: str, jsonata: bool):
        spec = require_object(spec, where)
        for key in spec:
            check_name(key.removesuffix(".$") if not jsonata else key, field(where, key))
        self._jsonata = jsonata
        self._value = Value(spec, "Assign", where) if jsonata else Template(spec, where)

    def values(self, source: Any, env: EvalEnv) -> dict[str, Any]:
        return self._value.evaluate(source, env)


def assign_field(spec: dict, where: str, jsonata: bool) -> Assign | None:
    """A state's, rule's or catcher's ``Assign``, None when absent."""
    if "Assign" not in spec:
        return None
    return Assign(spec["Assign"], field(where, "Assign"), jsonata)
