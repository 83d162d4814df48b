"""JSONPath text parsed into the steps that :class:`orchestration.asl.jsonpath.JsonPath` evaluates.

Filters support ``@``/``$`` paths (definite), string/number/true/false/null literals, the
comparisons ``== != < <= > >=``, existence (``[?(@.x)]``), ``&&``, ``||``, ``!`` and parentheses.
Comparisons between values of different JSON types are false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from orchestration.asl.jsonpath import (
    FIELD,
    FILTER,
    INDEX,
    INDEXES,
    MISSING,
    SCAN,
    SLICE,
    WILDCARD,
    JsonPath,
    ReferencePath,
    json_equal,
    json_type,
)

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[^.\[\]()'\"\s=!<>&|,*@$]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"\s*-?\d+\s*$")
_COMPARATORS = ("==", "!=", "<=", ">=", "<", ">")


class JsonPathSyntaxError(ValueError):
    """A path that is not valid (or not supported) JSONPath."""


def compile_path(text: str) -> JsonPath:
    """Compile a JSONPath starting with ``$`` (raises :class:`JsonPathSyntaxError`)."""
    path, end = parse_path_prefix(text, 0)
    if end != len(text):
        raise JsonPathSyntaxError(f"unexpected {text[end]!r} at position {end} in path {text!r}")
    return path


def compile_reference_path(text: str) -> ReferencePath:
    """Compile a reference path: only field names and single array indexes."""
    path = compile_path(text)
    if not path.definite:
        raise JsonPathSyntaxError(f"{text!r} is not a reference path (only fields and single indexes)")
    return ReferencePath(path.text, path._steps, path.variable)


def parse_path_prefix(text: str, start: int) -> tuple[JsonPath, int]:
    """Parse the JSONPath that begins at ``text[start]`` (a ``$``); return it and where it ends."""
    parser = _Parser(text, start)
    if parser.peek() != "$":
        raise JsonPathSyntaxError(f"a path must start with '$': {text[start:]!r}")
    parser.pos += 1
    variable = _VARIABLE.match(text, parser.pos)
    if variable:
        parser.pos = variable.end()
    steps = parser.steps()
    return JsonPath(text[start:parser.pos], steps, variable.group() if variable else None), parser.pos


class _Parser:
    """Recursive-descent parser over ``text`` from ``pos``: path steps and filter expressions."""

    def __init__(self, text: str, pos: int):
        self.text = text
        self.pos = pos

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def fail(self, message: str) -> JsonPathSyntaxError:
        return JsonPathSyntaxError(f"{message} at position {self.pos} in path {self.text!r}")

    def expect(self, token: str) -> None:
        self.skip_spaces()
        if not self.text.startswith(token, self.pos):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def steps(self) -> tuple:
        steps = []
        while True:
            if self.text.startswith("..", self.pos):
                self.pos += 2
                steps.append((SCAN, self.step_after_dot(scan=True)))
            elif self.peek() == ".":
                self.pos += 1
                steps.append(self.step_after_dot(scan=False))
            elif self.peek() == "[":
                steps.append(self.bracket())
            else:
                return tuple(steps)

    def step_after_dot(self, scan: bool) -> tuple:
        if self.peek() == "*":
            self.pos += 1
            return WILDCARD, None
        if scan and self.peek() == "[":
            return self.bracket()
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a field name")
        self.pos = match.end()
        return FIELD, match.group()

    def bracket(self) -> tuple:
        self.pos += 1
        self.skip_spaces()
        char = self.peek()
        if char == "*":
            self.pos += 1
            step = (WILDCARD, None)
        elif char == "?":
            self.pos += 1
            self.expect("(")
            predicate = self.expression()
            self.expect(")")
            step = (FILTER, predicate)
        elif char in "'\"":
            step = (FIELD, self.quoted())
            self.skip_spaces()
            if self.peek() == ",":
                raise self.fail("multi-property brackets are not supported")
        else:
            step = self.index_step()
        self.expect("]")
        return step

    def index_step(self) -> tuple:
        end = self.text.find("]", self.pos)
        if end < 0:
            raise self.fail("unterminated '['")
        content = self.text[self.pos:end]
        self.pos = end
        if ":" in content:
            parts = content.split(":")
            if len(parts) != 2 or not all(p.strip() == "" or _INTEGER.match(p) for p in parts):
                raise self.fail(f"unsupported slice [{content}]")
            start, stop = (int(p) if p.strip() else None for p in parts)
            return SLICE, (start, stop)
        parts = content.split(",")
        if not all(_INTEGER.match(p) for p in parts):
            raise self.fail(f"unsupported bracket expression [{content}]")
        indexes = tuple(int(p) for p in parts)
        return (INDEX, indexes[0]) if len(indexes) == 1 else (INDEXES, indexes)

    def quoted(self) -> str:
        quote = self.peek()
        self.pos += 1
        chars = []
        while self.peek() != quote:
            if self.peek() == "":
                raise self.fail("unterminated string")
            if self.peek() == "\\" and self.peek(1) in (quote, "\\"):
                self.pos += 1
            chars.append(self.peek())
            self.pos += 1
        self.pos += 1
        return "".join(chars)

    # Filter expressions: or -> and -> unary -> comparison -> operand

    def expression(self) -> Callable[[Any, Any], bool]:
        terms = [self.conjunction()]
        while self.consume("||"):
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        return lambda node, root: any(term(node, root) for term in terms)

    def conjunction(self) -> Callable[[Any, Any], bool]:
        terms = [self.unary()]
        while self.consume("&&"):
            terms.append(self.unary())
        if len(terms) == 1:
            return terms[0]
        return lambda node, root: all(term(node, root) for term in terms)

    def unary(self) -> Callable[[Any, Any], bool]:
        if self.consume("!"):
            inner = self.unary()
            return lambda node, root: not inner(node, root)
        if self.consume("("):
            inner = self.expression()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[Any, Any], bool]:
        left = self.operand()
        self.skip_spaces()
        if self.text.startswith("=~", self.pos):
            raise self.fail("regular expression filters (=~) are not supported")
        operator = next((op for op in _COMPARATORS if self.text.startswith(op, self.pos)), None)
        if operator is None:
            return lambda node, root: left(node, root) is not MISSING
        self.pos += len(operator)
        right = self.operand()
        return lambda node, root: _compare(operator, left(node, root), right(node, root))

    def operand(self) -> Callable[[Any, Any], Any]:
        self.skip_spaces()
        char = self.peek()
        if char in "@$":
            self.pos += 1
            path = JsonPath(char, self.steps())
            if not path.definite:
                raise self.fail("filter paths must be definite")
            if char == "@":
                return lambda node, root: path.get(node)
            return lambda node, root: path.get(root)
        if char in "'\"":
            text = self.quoted()
            return lambda node, root: text
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return lambda node, root: value
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a filter operand")
        self.pos = match.end()
        number = json.loads(match.group())
        return lambda node, root: number

    def consume(self, token: str) -> bool:
        self.skip_spaces()
        if self.text.startswith(token, self.pos) and not (token == "!" and self.peek(1) == "="):
            self.pos += len(token)
            return True
        return False


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator == "==":
        return left is not MISSING and right is not MISSING and json_equal(left, right)
    if operator == "!=":
        return not (left is not MISSING and right is not MISSING and json_equal(left, right))
    kind = json_type(left) if left is not MISSING else None
    if kind not in ("number", "string") or right is MISSING or json_type(right) != kind:
        return False
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    if operator == ">":
        return left > right
    return left >= right
