"""The intrinsic functions' implementations, by family (JSON, arrays, encoding and hashing, math, strings,
UUID), on evaluated arguments; ``States.Format``, which depends on its parsed template, is in
:mod:`orchestration.asl.intrinsics`. A failure raises :class:`IntrinsicError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.jsonpath import json_equal, json_type

_MAX_STRING = 10_000
_MAX_RANGE = 1000
_HASHES = {"MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256,
           "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


class IntrinsicError(Exception):
    """A failure while evaluating an intrinsic function (``States.IntrinsicFailure``)."""


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
    return FUNCTIONS[name][2](args, env)


FUNCTIONS: dict[str, tuple[int, int | None, Callable[[list, EvalEnv], Any]]] = {
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
