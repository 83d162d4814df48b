"""Reading and shaping state data, compiled once at load.

* :class:`Selector`: a path field that reads (InputPath, OutputPath, ItemsPath, a Choice
  ``Variable``); ``$$``-prefixed paths read the context object, ``$name...`` paths the variable
  ``name``. A missing path is ``States.Runtime``.
* :class:`ResultPath`: where a result goes in the state's raw input (``null`` keeps the input).
* :func:`exceeds_quota`: the 256 KiB quota on payloads, measured on JSON text already serialized.
* :func:`execution_input_json`: an execution's input as StartExecution takes it, or
  :class:`InvalidExecutionInput` as StartExecution refuses it (not JSON, over the quota).
* :class:`Template`: a payload template (Parameters, ResultSelector, ItemSelector): keys ending in
  ``.$`` take a path, a ``$$`` context path or an intrinsic function; the others are copied.

Values are never modified in place: templates build new containers, ResultPath copies along its path,
so the executor can share unchanged data between states without deep copies.
"""

from __future__ import annotations

from typing import Any

from orchestration.asl.errors import INTRINSIC_FAILURE, RESULT_PATH_MATCH_FAILURE, RUNTIME, DefinitionError, StatesError
from orchestration.asl.eval_env import EvalEnv
from orchestration.asl.history import dumps
from orchestration.asl.intrinsic_functions import IntrinsicError
from orchestration.asl.intrinsics import is_intrinsic, parse_intrinsic, read_variable
from orchestration.asl.jsonpath import JsonPath, PathAssignmentError, PathNotFound
from orchestration.asl.jsonpath_syntax import compile_path, compile_reference_path
from orchestration.asl.validation import field, require_object

MAX_PAYLOAD_BYTES = 262_144  # 256 KiB: the quota on a state's, task's or execution's input and output


def exceeds_quota(text: str) -> bool:
    """Whether JSON text is over :data:`MAX_PAYLOAD_BYTES` once UTF-8 encoded.

    A character takes 1 to 4 bytes, so only texts between a quarter of the quota and the quota in
    characters are encoded to count their bytes: every payload is measured, few are copied.
    """
    if len(text) <= MAX_PAYLOAD_BYTES // 4:
        return False
    return len(text) > MAX_PAYLOAD_BYTES or len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES


class InvalidExecutionInput(ValueError):
    """An execution input StartExecution refuses (AWS: ``InvalidExecutionInput``): not JSON, or over the quota."""


def execution_input_json(input: Any) -> str:
    """``input`` (``None``: ``{}``) as the compact JSON text an execution starts from.

    Raises :class:`InvalidExecutionInput` for a value JSON cannot carry (``NaN``, a set) or a text
    over :data:`MAX_PAYLOAD_BYTES`, so a caller can refuse an input before it records anything.
    """
    try:
        text = dumps({} if input is None else input)
    except (TypeError, ValueError) as error:
        raise InvalidExecutionInput(f"the execution input is not JSON: {error}") from None
    if exceeds_quota(text):
        raise InvalidExecutionInput(f"the execution input is {len(text.encode('utf-8'))} bytes of JSON; Step "
                                    f"Functions accepts at most {MAX_PAYLOAD_BYTES} bytes (256 KiB)")
    return text


class Selector:
    """A path that reads from the state's data, or from the context object when written ``$$...``."""

    __slots__ = ("text", "_path", "_context", "_root")

    def __init__(self, text: str, path: JsonPath, context: bool):
        self.text = text
        self._path = path
        self._context = context
        self._root = text == "$"

    def find(self, data: Any, env: EvalEnv) -> Any:
        """The selected value; raises ``PathNotFound`` when a definite path selects nothing."""
        if self._root:
            return data
        if self._path.variable is not None:
            return self._path.find(read_variable(self._path, env))
        return self._path.find(env.context if self._context else data)

    def select(self, data: Any, env: EvalEnv) -> Any:
        """The selected value; a missing path fails the execution with ``States.Runtime``."""
        try:
            return self.find(data, env)
        except PathNotFound as missing:
            cause = f"Invalid path '{self.text}' : No results for path: {missing.normalized}"
            raise StatesError(RUNTIME, cause) from None


class _EmptySelector(Selector):
    """``"InputPath": null`` / ``"OutputPath": null``: the state sees / passes on ``{}``."""

    def __init__(self) -> None:
        super().__init__("null", compile_path("$"), False)

    def find(self, data: Any, env: EvalEnv) -> Any:
        return {}


ROOT = Selector("$", compile_path("$"), False)


def compile_selector(text: Any, where: str, reference: bool = False) -> Selector:
    """Compile a path field value (``reference`` restricts it to a reference path, e.g. ItemsPath)."""
    if not isinstance(text, str):
        raise DefinitionError(where, "must be a path string starting with '$'")
    context = text.startswith("$$")
    try:
        source = text[1:] if context else text
        path = compile_reference_path(source) if reference else compile_path(source)
    except ValueError as error:
        raise DefinitionError(where, str(error)) from None
    return Selector(text, path, context)


def selector_field(spec: dict, key: str, where: str, reference: bool = False) -> Selector:
    """A state's InputPath/OutputPath/ItemsPath: ``$`` when absent, ``{}`` when null."""
    if key not in spec:
        return ROOT
    if spec[key] is None and not reference:
        return _EmptySelector()
    return compile_selector(spec[key], field(where, key), reference)


class ResultPath:
    """Combine a result with the state's raw input: replace it (``$``), insert it, or discard it (null)."""

    __slots__ = ("text", "_path")

    def __init__(self, text: str | None, where: str):
        self.text = text
        self._path = None
        if text is not None and text != "$":
            if not isinstance(text, str) or text.startswith("$$"):
                raise DefinitionError(where, "must be null or a reference path on the state input")
            try:
                self._path = compile_reference_path(text)
            except ValueError as error:
                raise DefinitionError(where, str(error)) from None
            if self._path.variable is not None:
                raise DefinitionError(where, "cannot write a variable (use Assign)")

    def apply(self, raw_input: Any, result: Any) -> Any:
        if self.text is None:
            return raw_input
        if self._path is None:
            return result
        try:
            return self._path.assign(raw_input, result)
        except PathAssignmentError as error:
            cause = f"Unable to apply ResultPath '{self.text}' to input {dumps(raw_input)}: {error}"
            raise StatesError(RESULT_PATH_MATCH_FAILURE, cause) from None


def result_path_field(spec: dict, where: str) -> ResultPath:
    """A state's or catcher's ResultPath (``$`` when absent)."""
    return ResultPath(spec.get("ResultPath", "$"), field(where, "ResultPath"))


class Dynamic:
    """The value of a ``.$`` field (or Fail ErrorPath/CausePath): a path or an intrinsic function."""

    __slots__ = ("_field", "_selector", "_call")

    def __init__(self, text: Any, where: str, field_name: str):
        if not isinstance(text, str) or not (text.startswith("$") or is_intrinsic(text)):
            raise DefinitionError(where, "must be a path ($..., $$...) or an intrinsic function (States.*)")
        self._field = field_name
        self._selector = self._call = None
        if is_intrinsic(text):
            try:
                self._call = parse_intrinsic(text)
            except ValueError as error:
                raise DefinitionError(where, str(error)) from None
        else:
            self._selector = compile_selector(text, where)

    def evaluate(self, data: Any, env: EvalEnv) -> Any:
        try:
            if self._call is None:
                return self._selector.find(data, env)
            return self._call.evaluate(data, env)
        except PathNotFound as missing:
            path = missing.path if self._selector is None else self._selector.text
            raise StatesError(RUNTIME, f"The JSONPath '{path}' specified for the field '{self._field}' "
                                       f"could not be found in the input '{dumps(data)}'") from None
        except IntrinsicError as error:
            raise StatesError(INTRINSIC_FAILURE, f"{self._call.name} in field '{self._field}': {error}") from None


class Template:
    """A compiled payload template; :meth:`evaluate` builds the payload from data and context."""

    __slots__ = ("_node",)

    def __init__(self, spec: Any, where: str):
        self._node = _compile(require_object(spec, where), where)

    def evaluate(self, data: Any, env: EvalEnv) -> Any:
        return _evaluate(self._node, data, env)


def template_field(spec: dict, key: str, where: str) -> Template | None:
    """A state's Parameters/ResultSelector/ItemSelector, None when absent."""
    if key not in spec:
        return None
    return Template(spec[key], field(where, key))


# A compiled node is ("const", value), ("object", [(key, node), ...]), ("array", [node, ...]) or ("dynamic", Dynamic).

def _compile(spec: Any, where: str) -> tuple:
    if isinstance(spec, dict):
        entries, dynamic = [], False
        for key, value in spec.items():
            if key.endswith(".$"):
                name = key[:-2]
                if name in spec:
                    raise DefinitionError(field(where, key), f"duplicates the field {name!r}")
                entries.append((name, ("dynamic", Dynamic(value, field(where, key), key))))
                dynamic = True
            else:
                node = _compile(value, field(where, key))
                entries.append((key, node))
                dynamic = dynamic or node[0] != "const"
        return ("object", entries) if dynamic else ("const", spec)
    if isinstance(spec, list):
        items = [_compile(value, field(where, index)) for index, value in enumerate(spec)]
        if all(item[0] == "const" for item in items):
            return "const", spec
        return "array", items
    return "const", spec


def _evaluate(node: tuple, data: Any, env: EvalEnv) -> Any:
    kind, value = node
    if kind == "const":
        return value
    if kind == "dynamic":
        return value.evaluate(data, env)
    if kind == "object":
        return {key: _evaluate(child, data, env) for key, child in value}
    return [_evaluate(child, data, env) for child in value]
