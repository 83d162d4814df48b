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

Paths are parsed by :mod:`orchestration.asl.jsonpath_syntax` (``compile_path``); this module evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MISSING = object()

FIELD, INDEX, WILDCARD, SLICE, INDEXES, FILTER, SCAN = range(7)
_DEFINITE_STEPS = (FIELD, INDEX)


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
            return MISSING

    def _find_definite(self, data: Any) -> Any:
        node = data
        for position, (kind, arg) in enumerate(self._steps):
            if kind == FIELD:
                node = node.get(arg, MISSING) if isinstance(node, dict) else MISSING
            elif isinstance(node, list) and -len(node) <= arg < len(node):
                node = node[arg]
            else:
                node = MISSING
            if node is MISSING:
                raise PathNotFound(self.text, _normalized(self._steps[: position + 1]))
        return node


class ReferencePath(JsonPath):
    """A definite path that can also be written into (ResultPath)."""

    __slots__ = ()

    def assign(self, data: Any, value: Any) -> Any:
        """A copy of ``data`` with ``value`` at this path; ``data`` itself is never modified."""
        return _assign(data, self._steps, 0, value, self.text)


def _normalized(steps: tuple) -> str:
    parts = ["$"]
    for kind, arg in steps:
        parts.append(f"['{arg}']" if kind == FIELD else f"[{arg}]")
    return "".join(parts)


def _children(step: tuple, node: Any, root: Any) -> Iterator[Any]:
    kind, arg = step
    if kind == FIELD:
        if isinstance(node, dict) and arg in node:
            yield node[arg]
    elif kind == INDEX:
        if isinstance(node, list) and -len(node) <= arg < len(node):
            yield node[arg]
    elif kind == WILDCARD:
        if isinstance(node, dict):
            yield from node.values()
        elif isinstance(node, list):
            yield from node
    elif kind == SLICE:
        if isinstance(node, list):
            yield from node[arg[0]:arg[1]]
    elif kind == INDEXES:
        if isinstance(node, list):
            yield from (node[i] for i in arg if -len(node) <= i < len(node))
    elif kind == FILTER:
        if isinstance(node, list):
            yield from (item for item in node if arg(item, root))
        elif isinstance(node, dict) and arg(node, root):
            yield node
    else:  # SCAN: apply the inner step to the node and every descendant, in document order
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
    if kind == FIELD:
        if not isinstance(node, dict):
            raise PathAssignmentError(f"cannot set field {arg!r} of a {json_type(node)} ({text})")
        copy = dict(node)
        child = node.get(arg, MISSING)
        copy[arg] = _assign({} if child is MISSING else child, steps, position + 1, value, text)
        return copy
    if not isinstance(node, list) or not -len(node) <= arg < len(node):
        raise PathAssignmentError(f"cannot set index [{arg}] of a {json_type(node)} ({text})")
    copy = list(node)
    copy[arg] = _assign(node[arg], steps, position + 1, value, text)
    return copy


