"""JSONPath as AWS Step Functions evaluates it, compiled once when a definition is loaded.

Step Functions evaluates JSONPath with Jayway JsonPath semantics:

* a *definite* path (field names and single array indexes only, e.g. ``$.a.b[0]`` or ``$['a']``)
  yields exactly one value and raises :class:`PathNotFound` when a part is missing;
* an *indefinite* path (``*``, deep scan ``..``, slices ``[1:3]``, index lists ``[0,2]`` or
  filters ``[?(...)]``) yields the list of every match, empty when nothing matches.

So ``$.arr[0].val`` is the value itself and ``$.arr[?(@.val == 'x')].n`` is a (possibly empty) list.

A path may start from a workflow variable instead of the state's data: ``$name.field`` (variables
are assigned with ``Assign``; :attr:`JsonPath.variable` names it).

A *reference path* (ResultPath, ItemsPath) is a definite path; :meth:`ReferencePath.assign`
writes a value into a document without modifying it (copy on write along the path), creating
missing objects on the way, as ResultPath does.

Filters support ``@``/``$`` paths (definite), string/number/true/false/null literals, the
comparisons ``== != < <= > >=``, existence (``[?(@.x)]``), ``&&``, ``||``, ``!`` and parentheses.
Comparisons between values of different JSON types are false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

_MISSING = object()

_FIELD, _INDEX, _WILDCARD, _SLICE, _INDEXES, _FILTER, _SCAN = range(7)
_DEFINITE_STEPS = (_FIELD, _INDEX)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[^.\[\]()'\"\s=!<>&|,*@$]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"\s*-?\d+\s*$")
_COMPARATORS = ("==", "!=", "<=", ">=", "<", ">")


class JsonPathSyntaxError(ValueError):
    """A path that is not valid (or not supported) JSONPath."""


class PathNotFound(LookupError):
    """A definite path that selects nothing in the given document."""

    def __init__(self, path: str, normalized: str):
        self.path = path
        self.normalized = normalized
        super().__init__(f"Invalid path '{path}' : No results for path: {normalized}")


class PathAssignmentError(ValueError):
    """A reference path that cannot be written into the given document (ResultPath mismatch)."""


def json_type(value: Any) -> str:
    """The JSON type of a Python value (booleans are not numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def json_equal(left: Any, right: Any) -> bool:
    """Deep equality with JSON typing: ``1 == 1.0`` but ``true != 1``."""
    kind = json_type(left)
    if kind != json_type(right):
        return False
    if kind == "array":
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    if kind == "object":
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return left == right


class JsonPath:
    """A compiled JSONPath; :meth:`find` evaluates it against a document.

    ``variable`` names the workflow variable a path like ``$order.items[0]`` starts from (None for
    ``$...``): the caller passes that variable's value as the document.
    """

    __slots__ = ("text", "definite", "_steps", "variable")

    def __init__(self, text: str, steps: tuple, variable: str | None = None):
        self.text = text
        self._steps = steps
        self.variable = variable
        self.definite = all(kind in _DEFINITE_STEPS for kind, _ in steps)

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    def find(self, data: Any) -> Any:
        """The selected value (definite path) or list of values (indefinite path)."""
        if self.definite:
            return self._find_definite(data)
        nodes = [data]
        for step in self._steps:
            nodes = [child for node in nodes for child in _children(step, node, data)]
        return nodes

    def get(self, data: Any) -> Any:
        """Like :meth:`find`, but returns an internal sentinel instead of raising (filters)."""
        try:
            return self.find(data)
        except PathNotFound:
            return _MISSING

    def _find_definite(self, data: Any) -> Any:
        node = data
        for position, (kind, arg) in enumerate(self._steps):
            if kind == _FIELD:
                node = node.get(arg, _MISSING) if isinstance(node, dict) else _MISSING
            elif isinstance(node, list) and -len(node) <= arg < len(node):
                node = node[arg]
            else:
                node = _MISSING
            if node is _MISSING:
                raise PathNotFound(self.text, _normalized(self._steps[: position + 1]))
        return node


class ReferencePath(JsonPath):
    """A definite path that can also be written into (ResultPath)."""

    __slots__ = ()

    def assign(self, data: Any, value: Any) -> Any:
        """A copy of ``data`` with ``value`` at this path; ``data`` itself is never modified."""
        return _assign(data, self._steps, 0, value, self.text)


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


def _normalized(steps: tuple) -> str:
    parts = ["$"]
    for kind, arg in steps:
        parts.append(f"['{arg}']" if kind == _FIELD else f"[{arg}]")
    return "".join(parts)


def _children(step: tuple, node: Any, root: Any) -> Iterator[Any]:
    kind, arg = step
    if kind == _FIELD:
        if isinstance(node, dict) and arg in node:
            yield node[arg]
    elif kind == _INDEX:
        if isinstance(node, list) and -len(node) <= arg < len(node):
            yield node[arg]
    elif kind == _WILDCARD:
        if isinstance(node, dict):
            yield from node.values()
        elif isinstance(node, list):
            yield from node
    elif kind == _SLICE:
        if isinstance(node, list):
            yield from node[arg[0]:arg[1]]
    elif kind == _INDEXES:
        if isinstance(node, list):
            yield from (node[i] for i in arg if -len(node) <= i < len(node))
    elif kind == _FILTER:
        if isinstance(node, list):
            yield from (item for item in node if arg(item, root))
        elif isinstance(node, dict) and arg(node, root):
            yield node
    else:  # _SCAN: apply the inner step to the node and every descendant, in document order
        for descendant in _descendants_or_self(node):
            yield from _children(arg, descendant, root)


def _descendants_or_self(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for child in node.values():
            yield from _descendants_or_self(child)
    elif isinstance(node, list):
        for child in node:
            yield from _descendants_or_self(child)


def _assign(node: Any, steps: tuple, position: int, value: Any, text: str) -> Any:
    if position == len(steps):
        return value
    kind, arg = steps[position]
    if kind == _FIELD:
        if not isinstance(node, dict):
            raise PathAssignmentError(f"cannot set field {arg!r} of a {json_type(node)} ({text})")
        copy = dict(node)
        child = node.get(arg, _MISSING)
        copy[arg] = _assign({} if child is _MISSING else child, steps, position + 1, value, text)
        return copy
    if not isinstance(node, list) or not -len(node) <= arg < len(node):
        raise PathAssignmentError(f"cannot set index [{arg}] of a {json_type(node)} ({text})")
    copy = list(node)
    copy[arg] = _assign(node[arg], steps, position + 1, value, text)
    return copy


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
                steps.append((_SCAN, self.step_after_dot(scan=True)))
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
            return _WILDCARD, None
        if scan and self.peek() == "[":
            return self.bracket()
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a field name")
        self.pos = match.end()
        return _FIELD, match.group()

    def bracket(self) -> tuple:
        self.pos += 1
        self.skip_spaces()
        char = self.peek()
        if char == "*":
            self.pos += 1
            step = (_WILDCARD, None)
        elif char == "?":
            self.pos += 1
            self.expect("(")
            predicate = self.expression()
            self.expect(")")
            step = (_FILTER, predicate)
        elif char in "'\"":
            step = (_FIELD, self.quoted())
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
            return _SLICE, (start, stop)
        parts = content.split(",")
        if not all(_INTEGER.match(p) for p in parts):
            raise self.fail(f"unsupported bracket expression [{content}]")
        indexes = tuple(int(p) for p in parts)
        return (_INDEX, indexes[0]) if len(indexes) == 1 else (_INDEXES, indexes)

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
            return lambda node, root: left(node, root) is not _MISSING
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
        return left is not _MISSING and right is not _MISSING and json_equal(left, right)
    if operator == "!=":
        return not (left is not _MISSING and right is not _MISSING and json_equal(left, right))
    kind = json_type(left) if left is not _MISSING else None
    if kind not in ("number", "string") or right is _MISSING or json_type(right) != kind:
        return False
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    if operator == ">":
        return left > right
    return left >= right
