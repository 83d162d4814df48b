"""Intrinsic functions (``States.Format(...)`` and friends): parsed at load, evaluated per state.

Grammar of an invocation (the value of a ``.$`` field starting with ``States.``)::

    call    := 'States.' Name '(' [arg (',' arg)*] ')'
    arg     := string | number | 'true' | 'false' | 'null' | path | call
    string  := "'" ... "'"   escapes: \\' \\{ \\} \\\\ (any other backslash is an error); a lone
               unescaped '{' is text, as AWS accepts it; '{}' is a States.Format placeholder
    path    := '$...' (JSONPath on the state's data) | '$$...' (on the context object)
             | '$name...' (on the workflow variable ``name``)

Semantics follow the AWS documentation of each function; a failure at run time (wrong argument
type, bad JSON, index out of range, ...) raises :class:`IntrinsicError`, which the executor reports
as ``States.IntrinsicFailure``. ``States.MathRandom`` and ``States.UUID`` use the execution's
injectable random generator and UUID factory.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.intrinsic_functions import FUNCTIONS, IntrinsicError
from orchestration.asl.jsonpath import JsonPath, PathNotFound, json_type
from orchestration.asl.jsonpath_syntax import parse_path_prefix

_FUNCTION_NAME = re.compile(r"States\.([A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


class IntrinsicSyntaxError(ValueError):
    """An invocation that does not parse, names an unknown function or has a wrong argument count."""


def is_intrinsic(text: str) -> bool:
    """Whether a ``.$`` value is an intrinsic invocation rather than a path."""
    return text.startswith("States.")


def read_variable(path: JsonPath, env: EvalEnv) -> Any:
    """The value of the variable a path starts from (``PathNotFound`` when no state assigned it)."""
    variables = env.variables.visible()
    if path.variable not in variables:
        raise PathNotFound(path.text, f"${path.variable}")
    return variables[path.variable]


def parse_intrinsic(text: str) -> Call:
    """Parse a whole invocation (raises :class:`IntrinsicSyntaxError`)."""
    parser = _Parser(text)
    call = parser.call()
    if parser.pos != len(text):
        raise IntrinsicSyntaxError(f"unexpected {text[parser.pos:]!r} after the invocation in {text!r}")
    return call


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def evaluate(self, data: Any, env: EvalEnv) -> Any:
        return self.value

    def to_jsonata(self, path: Callable[[str], str]) -> str:
        return json.dumps(self.value, ensure_ascii=False)


class _Text(_Literal):
    """A string literal; ``pieces`` is the text split at its unescaped ``{}`` placeholders."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list[str]):
        super().__init__("{}".join(pieces))
        self.pieces = pieces


class _Path:
    __slots__ = ("path", "context")

    def __init__(self, path: JsonPath, context: bool):
        self.path = path
        self.context = context

    def to_jsonata(self, path: Callable[[str], str]) -> str:
        return path(("$" if self.context else "") + self.path.text)

    def evaluate(self, data: Any, env: EvalEnv) -> Any:
        try:
            if self.path.variable is not None:
                return self.path.find(read_variable(self.path, env))
            return self.path.find(env.context if self.context else data)
        except PathNotFound as missing:
            if self.context:
                missing.path = "$" + missing.path  # report the path as written: $$...
            raise


class Call:
    """A parsed invocation; :meth:`evaluate` runs it (paths may raise ``PathNotFound``)."""

    __slots__ = ("name", "args", "_function")

    def __init__(self, name: str, args: list, function: Callable[[list, EvalEnv], Any]):
        self.name = name
        self.args = args
        self._function = function

    def evaluate(self, data: Any, env: EvalEnv) -> Any:
        return self._function([arg.evaluate(data, env) for arg in self.args], env)

    def to_jsonata(self, path: Callable[[str], str]) -> str:
        """The same computation as a JSONata expression; ``path`` translates each JSONPath argument.

        Covers the functions with a JSONata equivalent of the same result on the values Baton passes
        (strings, arrays, objects); raises ``ValueError`` for the others.
        """
        args = [arg.to_jsonata(path) for arg in self.args]
        if self.name == "States.Format" and isinstance(self.args[0], _Text):
            pieces = [json.dumps(piece, ensure_ascii=False) for piece in self.args[0].pieces]
            parts = [pieces[0]] + [part for value, piece in zip(args[1:], pieces[1:], strict=True)
                                   for part in (f"({value})", piece)]
            parts = [part for part in parts if part != '""']
            if len(args) == 2 and parts == [f"({args[1]})"]:
                return f"$string{parts[0]}"
            return "(" + " & ".join(parts or ['""']) + ")"
        simple = {"States.JsonToString": "$string", "States.StringToJson": "$parse", "States.ArrayPartition":
                  "$partition", "States.ArrayRange": "$range", "States.Hash": "$hash", "States.UUID": "$uuid"}
        if self.name in simple:
            return f"{simple[self.name]}({', '.join(args)})"
        if self.name == "States.Array":
            return f"[{', '.join(args)}]"
        raise ValueError(f"{self.name} has no JSONata form here")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(f"{message} at position {self.pos} in {self.text!r}")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        match = _FUNCTION_NAME.match(self.text, self.pos)
        if not match:
            raise self.fail("expected an intrinsic function such as States.Format(")
        name = f"States.{match.group(1)}"
        if name not in _FUNCTIONS:
            raise self.fail(f"unknown intrinsic function {name!r}")
        self.pos = match.end()
        args = self.arguments()
        low, high, function = _FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            expected = f"{low}" if low == high else f"{low}-{high}" if high is not None else f"at least {low}"
            raise IntrinsicSyntaxError(f"{name} takes {expected} argument(s), got {len(args)} in {self.text!r}")
        if name == "States.Format":
            _check_format_template(args, self.text)
            function = functools.partial(_format, args[0])
        return Call(name, args, function)

    def arguments(self) -> list:
        args = []
        self.skip_spaces()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return args
        while True:
            self.skip_spaces()
            args.append(self.argument())
            self.skip_spaces()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return args
            if not self.text.startswith(",", self.pos):
                raise self.fail("expected ',' or ')'")
            self.pos += 1

    def argument(self) -> Any:
        rest = self.text[self.pos:]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("$"):
            context = rest.startswith("$$")
            try:
                path, end = parse_path_prefix(self.text, self.pos + 1 if context else self.pos)
            except ValueError as error:
                raise self.fail(str(error)) from None
            self.pos = end
            return _Path(path, context)
        if rest.startswith("States."):
            return self.call()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if rest.startswith(word):
                self.pos += len(word)
                return _Literal(value)
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail("expected an argument")
        self.pos = match.end()
        return _Literal(json.loads(match.group()))

    def string(self) -> _Text:
        self.pos += 1
        pieces, chars = [], []
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated string literal")
            char = self.text[self.pos]
            if char == "'":
                self.pos += 1
                pieces.append("".join(chars))
                return _Text(pieces)
            if char == "\\":
                escaped = self.text[self.pos + 1:self.pos + 2]
                if escaped not in ("'", "{", "}", "\\"):
                    raise self.fail("open escape backslash (escape only ' { } and \\)")
                chars.append(escaped)
                self.pos += 2
            elif self.text.startswith("{}", self.pos):
                pieces.append("".join(chars))
                chars = []
                self.pos += 2
            elif char == "}":
                raise self.fail("unescaped '}' in a string literal (write \\})")
            else:
                chars.append(char)
                self.pos += 1


def _check_format_template(args: list, text: str) -> None:
    template = args[0]
    if isinstance(template, _Literal) and not isinstance(template, _Text):
        raise IntrinsicSyntaxError(f"the first argument of States.Format must be a string in {text!r}")
    if isinstance(template, _Text) and len(template.pieces) - 1 != len(args) - 1:
        raise IntrinsicSyntaxError(f"States.Format has {len(template.pieces) - 1} placeholder(s) but "
                                   f"{len(args) - 1} value(s) in {text!r}")


def _format(template_arg: Any, values: list, env: EvalEnv) -> str:
    """``{}`` placeholders of a literal template are known at parse time (escaped braces are text)."""
    template, arguments = values[0], values[1:]
    if not isinstance(template, str):
        raise IntrinsicError(f"States.Format: the template must be a string, got {json_type(template)}")
    pieces = template_arg.pieces if isinstance(template_arg, _Text) else template.split("{}")
    if len(pieces) - 1 != len(arguments):
        raise IntrinsicError(f"States.Format: {len(pieces) - 1} placeholder(s) but {len(arguments)} value(s)")
    out = [pieces[0]]
    for value, piece in zip(arguments, pieces[1:], strict=True):
        out.append(_format_value(value))
        out.append(piece)
    return "".join(out)


def _format_value(value: Any) -> str:
    """A value as Step Functions' Java renders it: strings bare, ``{Arg1=1, Arg2=[]}``, ``[1, a, null]``."""
    kind = json_type(value)
    if kind == "string":
        return value
    if kind == "object":
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    if kind == "array":
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return json.dumps(value)


_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[list, EvalEnv], Any]]] = {
    "States.Format": (1, None, _format),  # bound to its template argument by the parser
    **FUNCTIONS,
}
