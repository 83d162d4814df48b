"""The Choice state and its rules, compiled once: JSONPath comparison operators and And/Or/Not on the
effective input, or a JSONata ``Condition`` on ``$states``. A top-level rule may carry ``Assign`` (and
``Output`` in JSONata), used when it matches.

Semantics (AWS "Choice workflow state"):

* a comparison whose values are not of the operator's type (a string compared with
  ``NumericEquals``, an invalid timestamp with ``TimestampEquals``, ...) is false;
* a ``Variable`` (or ``...Path`` operand) that selects nothing fails the execution with
  ``States.Runtime`` ("The choice state's condition path references an invalid value"), except with
  ``IsPresent``, which exists to test exactly that; ``And``/``Or`` stop at the first decisive rule,
  so ``IsPresent`` can guard a comparison;
* ``StringMatches``: ``*`` matches any sequence of characters, ``\\*`` a literal ``*`` and
  ``\\\\`` a literal backslash;
* timestamps are RFC 3339 (uppercase ``T``, ``Z`` or numeric offset) and compare as instants.
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestration.asl.clock import parse_timestamp
from orchestration.asl.errors import NO_CHOICE_MATCHED, QUERY_EVALUATION_ERROR, RUNTIME, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.jsonata import Value, is_expression, value_field
from orchestration.asl.jsonpath import PathNotFound, json_type
from orchestration.asl.payload import Selector, compile_selector
from orchestration.asl.state_base import IO, JSONATA_IO, Compilation, State, Visit
from orchestration.asl.validation import (
    UNSUPPORTED_FIELDS,
    check_fields,
    field,
    get_string,
    require_list,
    require_object,
)
from orchestration.asl.variables import Assign, assign_field

_ORDERINGS = {"Equals": operator.eq, "LessThan": operator.lt, "GreaterThan": operator.gt,
              "LessThanEquals": operator.le, "GreaterThanEquals": operator.ge}
# type prefix -> (accepts a value, converts an accepted value for comparison, what a literal must be)
_TYPES: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any], str]] = {
    "String": (lambda v: isinstance(v, str), lambda v: v, "a string"),
    "Numeric": (lambda v: json_type(v) == "number", lambda v: v, "a number"),
    "Timestamp": (lambda v: parse_timestamp(v) is not None, parse_timestamp, "an RFC 3339 timestamp"),
    "Boolean": (lambda v: isinstance(v, bool), lambda v: v, "a boolean"),
}
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": lambda v: json_type(v) == "number",
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}
_COMPARISONS = {f"{kind}{order}": (kind, order) for kind in _TYPES for order in _ORDERINGS
                if kind != "Boolean" or order == "Equals"}
_OPERATORS = frozenset(_COMPARISONS) | {f"{name}Path" for name in _COMPARISONS} | set(_TYPE_TESTS) | {
    "IsPresent", "StringMatches"}
_BOOLEAN_RULES = ("And", "Or", "Not")


class Rule(ABC):
    """A compiled rule."""

    @abstractmethod
    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        """Whether the rule matches ``data`` (the Choice state's effective input)."""


@dataclass(frozen=True)
class Choice:
    """A top-level rule: where it leads, and the Assign (and, in JSONata, Output) used when it matches."""

    rule: Rule
    next: str
    assign: Assign | None
    output: Value | None


def compile_choices(spec: dict, where: str, jsonata: bool) -> list[Choice]:
    """The ``Choices`` of a Choice state."""
    choices = require_list(spec.get("Choices"), field(where, "Choices"))
    return [_choice(choice, field(field(where, "Choices"), index), jsonata) for index, choice in enumerate(choices)]


def _choice(spec: Any, where: str, jsonata: bool) -> Choice:
    spec = require_object(spec, where)
    target = get_string(spec, "Next", where, required=True)
    assign = assign_field(spec, where, jsonata)
    if not jsonata:
        rule_spec = {key: value for key, value in spec.items() if key != "Assign"}
        return Choice(compile_rule(rule_spec, where, top_level=True), target, assign, None)
    check_fields(spec, where, frozenset({"Condition", "Next", "Assign", "Output", "Comment"}), "a JSONata Choice rule")
    if "Condition" not in spec:
        raise DefinitionError(field(where, "Condition"), "is required (a JSONata Choice rule tests a Condition)")
    condition = spec["Condition"]
    if not isinstance(condition, bool) and not is_expression(condition):
        raise DefinitionError(field(where, "Condition"), "must be true, false or a {% JSONata expression %}")
    return Choice(_Condition(Value(condition, "Condition", field(where, "Condition"))), target, assign,
                  value_field(spec, "Output", where))


def compile_rule(spec: Any, where: str, top_level: bool) -> Rule:
    """A JSONPath rule; ``top_level`` rules carry ``Next`` (read by the caller), nested ones (in And/Or/Not) not."""
    spec = require_object(spec, where)
    if not top_level and "Next" in spec:
        raise DefinitionError(field(where, "Next"), "only top-level Choices rules may have Next")
    operators = [key for key in spec if key not in ("Variable", "Next", "Comment")]
    if len(operators) != 1:
        raise DefinitionError(where, f"a rule needs exactly one operator (or And/Or/Not), got {operators or 'none'}")
    name = operators[0]
    if name in _BOOLEAN_RULES:
        if "Variable" in spec:
            raise DefinitionError(field(where, "Variable"), f"not allowed with {name}")
        rule = _boolean_rule(name, spec[name], field(where, name))
    elif name in _OPERATORS:
        rule = _comparison(name, spec, where)
    elif name in UNSUPPORTED_FIELDS:
        raise DefinitionError(field(where, name), UNSUPPORTED_FIELDS[name])
    else:
        raise DefinitionError(field(where, name), "unknown comparison operator")
    return rule


def _boolean_rule(name: str, value: Any, where: str) -> Rule:
    if name == "Not":
        return _Not(compile_rule(value, where, top_level=False))
    rules = require_list(value, where)
    compiled = [compile_rule(item, field(where, index), top_level=False) for index, item in enumerate(rules)]
    return _And(compiled) if name == "And" else _Or(compiled)


def _comparison(name: str, spec: dict, where: str) -> Rule:
    if "Variable" not in spec:
        raise DefinitionError(field(where, "Variable"), "is required")
    variable = compile_selector(spec["Variable"], field(where, "Variable"))
    value, value_where = spec[name], field(where, name)
    if name == "IsPresent" or name in _TYPE_TESTS:
        if not isinstance(value, bool):
            raise DefinitionError(value_where, "must be true or false")
        return _TypeTest(variable, _TYPE_TESTS.get(name), value)
    if name == "StringMatches":
        if not isinstance(value, str):
            raise DefinitionError(value_where, "must be a string")
        return _Matches(variable, _wildcard_pattern(value))
    kind, order = _COMPARISONS[name.removesuffix("Path")]
    accepts, _, what = _TYPES[kind]
    if name.endswith("Path"):
        return _Compare(variable, kind, _ORDERINGS[order], None, compile_selector(value, value_where))
    if not accepts(value):
        raise DefinitionError(value_where, f"must be {what}")
    return _Compare(variable, kind, _ORDERINGS[order], value, None)


def _wildcard_pattern(pattern: str) -> re.Pattern:
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _read(selector: Selector, data: Any, env: EvalEnv) -> Any:
    try:
        return selector.find(data, env)
    except PathNotFound:
        raise StatesError(RUNTIME, f"Invalid path '{selector.text}': "
                                   "The choice state's condition path references an invalid value.") from None


class _Compare(Rule):
    def __init__(self, variable: Selector, kind: str, compare: Callable, literal: Any, operand: Selector | None):
        self._variable = variable
        self._accepts, self._convert, _ = _TYPES[kind]
        self._compare = compare
        self._literal = literal
        self._operand = operand

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        value = _read(self._variable, data, env)
        expected = self._literal if self._operand is None else _read(self._operand, data, env)
        return (self._accepts(value) and self._accepts(expected)
                and self._compare(self._convert(value), self._convert(expected)))


class _Matches(Rule):
    def __init__(self, variable: Selector, pattern: re.Pattern):
        self._variable = variable
        self._pattern = pattern

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        value = _read(self._variable, data, env)
        return isinstance(value, str) and self._pattern.fullmatch(value) is not None


class _TypeTest(Rule):
    """``IsNull``/``IsString``/... and ``IsPresent`` (``test`` None): true when the outcome equals ``expected``."""

    def __init__(self, variable: Selector, test: Callable[[Any], bool] | None, expected: bool):
        self._variable = variable
        self._test = test
        self._expected = expected

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        if self._test is None:
            try:
                self._variable.find(data, env)
                present = True
            except PathNotFound:
                present = False
            return present == self._expected
        return self._test(_read(self._variable, data, env)) == self._expected


class _Condition(Rule):
    """A JSONata rule's ``Condition``: evaluated on ``$states``; anything but a boolean is an evaluation error."""

    def __init__(self, condition: Value):
        self._condition = condition

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        value = self._condition.evaluate(data, env)
        if not isinstance(value, bool):
            raise StatesError(QUERY_EVALUATION_ERROR, f"The Condition of a Choice rule must evaluate to a boolean, "
                                                      f"got {json_type(value)}", location="Condition")
        return value


class _And(Rule):
    def __init__(self, rules: list[Rule]):
        self._rules = rules

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        return all(rule.evaluate(data, env) for rule in self._rules)


class _Or(Rule):
    def __init__(self, rules: list[Rule]):
        self._rules = rules

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        return any(rule.evaluate(data, env) for rule in self._rules)


class _Not(Rule):
    def __init__(self, rule: Rule):
        self._rule = rule

    def evaluate(self, data: Any, env: EvalEnv) -> bool:
        return not self._rule.evaluate(data, env)


class ChoiceState(State):
    """The state's Assign applies whichever rule matches, and so does the matched rule's (which wins on a name
    both set); the matched rule's Output (JSONata) replaces the state's."""

    kind = "Choice"
    fields = IO | {"Choices", "Default", "Assign"}
    jsonata_fields = JSONATA_IO | {"Choices", "Default"}
    has_transition = False

    def __init__(self, name: str, spec: dict, where: str, compilation: Compilation, jsonata: bool):
        super().__init__(name, spec, where, compilation, jsonata)
        self.choices = compile_choices(spec, where, jsonata)
        self.default = get_string(spec, "Default", where)

    def targets(self) -> list[tuple[str, str]]:
        found = [(f"Choices[{i}].Next", choice.next) for i, choice in enumerate(self.choices)]
        return found + ([("Default", self.default)] if self.default is not None else [])

    def run(self, data: Any, visit: Visit) -> tuple[str | None, Any]:
        effective = self.input_path.select(data, visit)
        source = {"input": data, "context": visit.context} if self.jsonata else effective
        matched = next((choice for choice in self.choices if choice.rule.evaluate(source, visit)), None)
        if matched is None and self.default is None:
            raise StatesError(NO_CHOICE_MATCHED, f"No Choices rule of state '{self.name}' matched and it has no "
                                                 "Default")
        target, output, values = self.default, self.output, self._assigned(source, visit)
        if matched is not None:
            target = matched.next
            output = matched.output or output
            if matched.assign is not None:
                values = {**(values or {}), **matched.assign.values(source, visit)}
        if self.jsonata:
            result = data if output is None else output.evaluate(source, visit)
        else:
            result = self.output_path.select(effective, visit)
        visit.assign(values)
        return target, result
