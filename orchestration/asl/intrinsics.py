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

import base64
import binascii
import functools
import hashlib
import json
import random
import re
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any, Protocol

from orchestration.asl.jsonpath import JsonPath, PathNotFound, json_equal, json_type, parse_path_prefix

if TYPE_CHECKING:
    from orchestration.asl.variables import Variables

_FUNCTION_NAME = re.compile(r"States\.([A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_MAX_STRING = 10_000
_MAX_RANGE = 1000
_HASHES = {"MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256,
           "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


class IntrinsicSyntaxError(ValueError):
    """An invocation that does not parse, names an unknown function or has a wrong argument count."""


class IntrinsicError(Exception):
    """A failure while evaluating an intrinsic function (``States.IntrinsicFailure``)."""


class EvalEnv(Protocol):
    """What expressions need besides the state's data: the ``$$`` context object, variables and randomness."""

    @property
    def context(self) -> dict: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def variables(self) -> Variables: ...

    def new_uuid(self) -> str: ...


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


def _string(value: Any, function: str, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise IntrinsicError(f"{function}: expected a string, got {json_type(value)}")
    if limit is not None and len(value) > limit:
        raise IntrinsicError(f"{function}: the string exceeds {limit} characters")
    return value


def _array(value: Any, function: str) -> list:
    if not isinstance(value, list):
        raise IntrinsicError(f"{function}: expected an array, got {json_type(value)}")
    return value


def _object(value: Any, function: str) -> dict:
    if not isinstance(value, dict):
        raise IntrinsicError(f"{function}: expected an object, got {json_type(value)}")
    return value


def _integer(value: Any, function: str) -> int:
    if json_type(value) != "number" or (isinstance(value, float) and not value.is_integer()):
        raise IntrinsicError(f"{function}: expected an integer, got {json.dumps(value)}")
    return int(value)


def _rounded(value: Any, function: str) -> int:
    """A number rounded to the nearest integer, halves up, as Java's ``Math.round`` (Step Functions runs on Java).

    ``Decimal`` keeps the float's exact value, so 0.49999999999999994 rounds to 0 as in Java 7+.
    """
    if json_type(value) != "number":
        raise IntrinsicError(f"{function}: expected a number, got {json.dumps(value)}")
    if isinstance(value, int):
        return value
    return int((Decimal(value) + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR))


def _string_to_json(args: list, env: EvalEnv) -> Any:
    text = _string(args[0], "States.StringToJson")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise IntrinsicError(f"States.StringToJson: invalid JSON ({error})") from None


def _json_to_string(args: list, env: EvalEnv) -> str:
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _array_partition(args: list, env: EvalEnv) -> list:
    array = _array(args[0], "States.ArrayPartition")
    size = _integer(args[1], "States.ArrayPartition")
    if size <= 0:
        raise IntrinsicError("States.ArrayPartition: the chunk size must be a positive integer")
    return [array[i:i + size] for i in range(0, len(array), size)]


def _array_contains(args: list, env: EvalEnv) -> bool:
    return any(json_equal(item, args[1]) for item in _array(args[0], "States.ArrayContains"))


def _array_range(args: list, env: EvalEnv) -> list:
    start, end, step = (_integer(value, "States.ArrayRange") for value in args)
    if step == 0:
        raise IntrinsicError("States.ArrayRange: the step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > _MAX_RANGE:
        raise IntrinsicError(f"States.ArrayRange: the array would have more than {_MAX_RANGE} items")
    return values


def _array_get_item(args: list, env: EvalEnv) -> Any:
    array = _array(args[0], "States.ArrayGetItem")
    index = _integer(args[1], "States.ArrayGetItem")
    if not 0 <= index < len(array):
        raise IntrinsicError(f"States.ArrayGetItem: index {index} is out of bounds (length {len(array)})")
    return array[index]


def _array_unique(args: list, env: EvalEnv) -> list:
    unique: list = []
    for item in _array(args[0], "States.ArrayUnique"):
        if not any(json_equal(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _base64_encode(args: list, env: EvalEnv) -> str:
    text = _string(args[0], "States.Base64Encode", _MAX_STRING)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(args: list, env: EvalEnv) -> str:
    text = _string(args[0], "States.Base64Decode", _MAX_STRING)
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise IntrinsicError(f"States.Base64Decode: invalid input ({error})") from None


def _hash(args: list, env: EvalEnv) -> str:
    data = _string(args[0], "States.Hash", _MAX_STRING)
    algorithm = args[1]
    if algorithm not in _HASHES:
        raise IntrinsicError(f"States.Hash: unknown algorithm {algorithm!r}; expected one of {sorted(_HASHES)}")
    return _HASHES[algorithm](data.encode("utf-8")).hexdigest()


def _json_merge(args: list, env: EvalEnv) -> dict:
    first, second = _object(args[0], "States.JsonMerge"), _object(args[1], "States.JsonMerge")
    if args[2] is not False:
        raise IntrinsicError("States.JsonMerge: only shallow merging is supported; the third argument must be false")
    return {**first, **second}


def _math_random(args: list, env: EvalEnv) -> int:
    """A random integer in [start, end] (both inclusive, non-integers rounded); a seed makes it reproducible."""
    start, end = _rounded(args[0], "States.MathRandom"), _rounded(args[1], "States.MathRandom")
    if start > end:
        raise IntrinsicError(f"States.MathRandom: start {start} is greater than end {end}")
    generator = random.Random(_integer(args[2], "States.MathRandom")) if len(args) == 3 else env.rng
    return generator.randint(start, end)


def _math_add(args: list, env: EvalEnv) -> int:
    """The sum of two numbers, each rounded to an integer first (1.49 + 1.5 = 3)."""
    return _rounded(args[0], "States.MathAdd") + _rounded(args[1], "States.MathAdd")


def _string_split(args: list, env: EvalEnv) -> list:
    """Java StringTokenizer semantics: every character of the delimiter splits, empty parts are dropped."""
    text = _string(args[0], "States.StringSplit")
    delimiters = _string(args[1], "States.StringSplit")
    if not delimiters:
        return [text] if text else []
    return [part for part in re.split(f"[{re.escape(delimiters)}]", text) if part]


def call_function(name: str, args: list, env: EvalEnv) -> Any:
    """Call the intrinsic ``name`` on evaluated arguments (JSONata's $partition, $range and $hash share them)."""
    return _FUNCTIONS[name][2](args, env)


_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[list, EvalEnv], Any]]] = {
    "States.Format": (1, None, _format),  # bound to its template argument by the parser
    "States.StringToJson": (1, 1, _string_to_json),
    "States.JsonToString": (1, 1, _json_to_string),
    "States.Array": (0, None, lambda args, env: args),
    "States.ArrayPartition": (2, 2, _array_partition),
    "States.ArrayContains": (2, 2, _array_contains),
    "States.ArrayRange": (3, 3, _array_range),
    "States.ArrayGetItem": (2, 2, _array_get_item),
    "States.ArrayLength": (1, 1, lambda args, env: len(_array(args[0], "States.ArrayLength"))),
    "States.ArrayUnique": (1, 1, _array_unique),
    "States.Base64Encode": (1, 1, _base64_encode),
    "States.Base64Decode": (1, 1, _base64_decode),
    "States.Hash": (2, 2, _hash),
    "States.JsonMerge": (3, 3, _json_merge),
    "States.MathRandom": (2, 3, _math_random),
    "States.MathAdd": (2, 2, _math_add),
    "States.StringSplit": (2, 2, _string_split),
    "States.UUID": (0, 0, lambda args, env: env.new_uuid()),
}
