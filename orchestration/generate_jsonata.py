"""The JSONata form of a generated definition: the same machine with Arguments, Output and Assign.

What a state produces and only later states read (task results, verdicts, caught errors) becomes a
variable (Assign); what an execution's input may give (execution, initialData, gated, resumeFromStage)
and the $.error the failure report reads from the notification's input (orchestration/failure.py) stay
in the state's data, set with Output.
"""

from __future__ import annotations

import json
import re
from typing import Any

from orchestration.asl.intrinsics import is_intrinsic, parse_intrinsic

_VARIABLE_ROOTS = {"results": 2, "quality": 2, "caught": 1, "notification": 1, "notificationError": 1}  # keys
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def to_jsonata(states: dict[str, Any]) -> dict[str, Any]:
    """The JSONata form of the JSONPath states :class:`~orchestration.pipeline_states.StatesBuilder` generates
    (Arguments, Output, Assign).

    Every state keeps its name, type, transitions, Retry and timeouts; Parameters become Arguments,
    ResultSelector and ResultPath become Assign (a variable named after the path: ``$.quality.Conform``
    -> ``$quality_Conform``) or Output, Choice rules become Conditions. Raises ``ValueError`` on a
    construct outside what the builder emits.
    """
    return {name: _JsonataState(spec).convert() for name, spec in states.items()}


class _JsonataState:
    _KEPT = ("Type", "Comment", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Retry", "Next", "End",
             "Default", "Error", "Cause")
    _ORDER = ("Type", "Comment", "Resource", "Arguments", "Branches", "Choices", "Default", "TimeoutSeconds",
              "HeartbeatSeconds", "Assign", "Output", "Retry", "Catch", "Error", "Cause", "Next", "End")

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    def convert(self) -> dict[str, Any]:
        spec = self.spec
        unknown = set(spec) - set(self._KEPT) - {"Parameters", "Result", "ResultSelector", "ResultPath",
                                                 "OutputPath", "Catch", "Branches", "Choices"}
        if unknown:
            raise ValueError(f"no JSONata form for the fields {sorted(unknown)}")
        out = {key: spec[key] for key in self._KEPT if key in spec}
        kind = spec["Type"]
        if kind == "Choice":
            out["Choices"] = [{"Condition": f"{{% {_condition(rule)} %}}", "Next": rule["Next"]}
                              for rule in spec["Choices"]]
            return {key: out[key] for key in self._ORDER if key in out}
        if kind == "Parallel":
            out["Branches"] = [{"StartAt": branch["StartAt"], "States": to_jsonata(branch["States"])}
                               for branch in spec["Branches"]]
        if "Parameters" in spec and kind != "Pass":
            out["Arguments"] = _template(spec["Parameters"], "$states.input")
        if kind in ("Task", "Parallel", "Pass"):
            out |= self._result(kind)
        if "Catch" in spec:
            out["Catch"] = [{"ErrorEquals": catcher["ErrorEquals"],
                             **_place(catcher.get("ResultPath", "$"), "{% $states.errorOutput %}",
                                      "$states.errorOutput", keeps_input=False),
                             "Next": catcher["Next"]} for catcher in spec["Catch"]]
        return {key: out[key] for key in self._ORDER if key in out}

    def _result(self, kind: str) -> dict[str, Any]:
        """Where the state's result goes: Output and/or Assign, from ResultSelector/ResultPath/OutputPath."""
        spec = self.spec
        if kind == "Pass":
            if "Result" in spec:
                value = spec["Result"]
            elif "Parameters" in spec:
                value = _template(spec["Parameters"], "$states.input")
            else:
                return {}
        else:
            value = _template(spec["ResultSelector"], "$states.result") if "ResultSelector" in spec \
                else "{% $states.result %}"
        result_path = spec.get("ResultPath", "$")
        if "OutputPath" in spec:
            if spec["OutputPath"] != result_path:
                raise ValueError(f"no JSONata form for OutputPath {spec['OutputPath']!r} after ResultPath "
                                 f"{result_path!r}")
            return {"Output": value}
        return _place(result_path, value, _expression(value), keeps_input=kind == "Pass")


def _place(result_path: str | None, value: Any, expression: str, keeps_input: bool) -> dict[str, Any]:
    """Output/Assign that put a result where ResultPath would: replace, discard, a variable, or a merge."""
    if result_path == "$":
        return {"Output": value}
    unchanged = {} if keeps_input else {"Output": "{% $states.input %}"}
    if result_path is None:
        return unchanged
    keys = _keys(result_path)
    if keys[0] in _VARIABLE_ROOTS:
        if len(keys) != _VARIABLE_ROOTS[keys[0]]:
            raise ValueError(f"no JSONata form for the ResultPath {result_path!r}")
        return {"Assign": {"_".join(keys): value}, **unchanged}
    return {"Output": f"{{% {_merged('$states.input', keys, expression)} %}}"}


def _merged(base: str, keys: list[str], value: str) -> str:
    """``base`` with ``value`` set at ``keys``, missing objects created (as ResultPath does)."""
    if not keys:
        return value
    child = f"{base}.{_name(keys[0])}"
    return f"$merge([{base}, {{{json.dumps(keys[0])}: {_merged(child, keys[1:], value)}}}])"


def _keys(path: str) -> list[str]:
    if not path.startswith("$.") or not all(_IDENTIFIER.fullmatch(key) for key in path[2:].split(".")):
        raise ValueError(f"no JSONata form for the path {path!r} (only $.name.name...)")
    return path[2:].split(".")


def _name(key: str) -> str:
    return key if _IDENTIFIER.fullmatch(key) else f"`{key}`"


def _read(path: str, root: str) -> str:
    """A JSONPath read as JSONata: ``$`` is ``root``, ``$$`` the context, a variable's path its variable."""
    if path == "$":
        return root
    if path.startswith("$$."):
        return "$states.context." + ".".join(_name(key) for key in path[3:].split("."))
    keys = _keys(path)
    depth = _VARIABLE_ROOTS.get(keys[0]) if root == "$states.input" else None
    if depth is not None:
        return ".".join(["$" + "_".join(keys[:depth]), *(_name(key) for key in keys[depth:])])
    return ".".join([root, *(_name(key) for key in keys)])


def _template(spec: Any, root: str) -> Any:
    """A Parameters/ResultSelector template as a JSONata field value: ``key.$`` becomes ``key: "{% ... %}"``."""
    if isinstance(spec, dict):
        return {(key[:-2] if key.endswith(".$") else key):
                (f"{{% {_dynamic(value, root)} %}}" if key.endswith(".$") else _template(value, root))
                for key, value in spec.items()}
    if isinstance(spec, list):
        return [_template(value, root) for value in spec]
    return spec


def _dynamic(text: str, root: str) -> str:
    if is_intrinsic(text):
        return parse_intrinsic(text).to_jsonata(lambda path: _read(path, root))
    return _read(text, root)


def _expression(value: Any) -> str:
    """A JSONata field value (JSON with ``{% %}`` strings) as one expression."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        return value[2:-2].strip()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {_expression(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_expression(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


_EQUALITIES = ("StringEquals", "BooleanEquals", "NumericEquals")


def _condition(rule: dict[str, Any]) -> str:
    """A JSONPath Choice rule as a JSONata Condition."""
    if "And" in rule or "Or" in rule:
        word = "And" if "And" in rule else "Or"
        return "(" + f" {word.lower()} ".join(_condition(item) for item in rule[word]) + ")"
    if "Not" in rule:
        return f"$not({_condition(rule['Not'])})"
    path = _read(rule["Variable"], "$states.input")
    if "IsPresent" in rule:
        return f"$exists({path})" if rule["IsPresent"] else f"$not($exists({path}))"
    operator = next((name for name in _EQUALITIES if name in rule), None)
    if operator is None:
        raise ValueError(f"no JSONata form for the Choice rule {rule}")
    return f"({path} = {json.dumps(rule[operator])})"
