"""Unit tests of the local ASL executor (orchestration.asl): semantics, errors, history, validation."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from orchestration.asl import (
    AbortExecution,
    DefinitionError,
    FakeClock,
    RealClock,
    TaskFailure,
    load_definition,
)
from orchestration.asl.clock import format_timestamp, parse_timestamp
from orchestration.asl.jsonpath import PathNotFound
from orchestration.asl.jsonpath_syntax import JsonPathSyntaxError, compile_path, compile_reference_path

LAMBDA = "arn:aws:states:::lambda:invoke"
GLUE = "arn:aws:states:::glue:startJobRun.sync"
START = datetime(2024, 1, 1, tzinfo=UTC)


def run(definition, data=None, **kwargs):
    """Load and execute with a FakeClock and a fixed name unless the test gives its own."""
    kwargs.setdefault("clock", FakeClock(START))
    kwargs.setdefault("name", "test-run")
    return load_definition(definition).execute(data, **kwargs)


def single(state: dict) -> dict:
    """A machine of one state named S (End added unless the type ends by itself)."""
    if state["Type"] not in ("Choice", "Succeed", "Fail"):
        state = {**state, "End": True}
    return {"StartAt": "S", "States": {"S": state}}


def pass_with(parameters: dict) -> dict:
    return single({"Type": "Pass", "Parameters": parameters})


def task(**fields) -> dict:
    return {"Type": "Task", "Resource": LAMBDA, **fields}


def types(execution) -> list[str]:
    return [event["type"] for event in execution.history]


def failing(error: str, cause: str = "bad"):
    def handler(parameters, context):
        raise TaskFailure(error, cause)
    return handler


# --- input and output processing -------------------------------------------------------------------------


def test_input_path_parameters_result_path_output_path_in_aws_order():
    definition = single({"Type": "Pass", "InputPath": "$.in", "Parameters": {"doubled.$": "$.value", "fixed": 1},
                         "ResultPath": "$.out.result", "OutputPath": "$.out"})
    execution = run(definition, {"in": {"value": 5}, "keep": True})
    assert execution.status == "SUCCEEDED"
    # ResultPath merges into the *raw* input (creating "out"), then OutputPath selects from it.
    assert execution.output == {"result": {"doubled": 5, "fixed": 1}}


def test_result_path_creates_missing_objects_and_keeps_the_rest():
    execution = run(single({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a.b"}), {"a": {"c": 2}, "d": 3})
    assert execution.output == {"a": {"c": 2, "b": {"x": 1}}, "d": 3}


def test_result_path_null_discards_the_result():
    execution = run(single({"Type": "Pass", "Result": {"x": 1}, "ResultPath": None}), {"keep": "me"})
    assert execution.output == {"keep": "me"}


def test_input_path_and_output_path_null_give_empty_objects():
    assert run(single({"Type": "Pass", "InputPath": None}), {"a": 1}).output == {}
    assert run(single({"Type": "Pass", "OutputPath": None}), {"a": 1}).output == {}


def test_result_path_into_a_non_object_is_a_result_path_match_failure():
    execution = run(single({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b"}), {"a": "text"})
    assert execution.status == "FAILED"
    assert execution.error == "States.ResultPathMatchFailure"
    assert "$.a.b" in execution.cause


def test_result_path_match_failure_in_a_task_can_be_caught():
    definition = {"StartAt": "T", "States": {
        "T": task(ResultPath="$.x", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}], End=True),
        "Done": {"Type": "Succeed"}}}
    execution = run(definition, [1, 2], handlers={LAMBDA: lambda p, c: "r"})
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "States.ResultPathMatchFailure"


def test_parameters_with_context_object_fields():
    definition = pass_with({"name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id", "state.$": "$$.State.Name",
                            "machine.$": "$$.StateMachine.Name", "input.$": "$$.Execution.Input.k",
                            "entered.$": "$$.State.EnteredTime", "started.$": "$$.Execution.StartTime"})
    execution = load_definition(definition, name="pipeline").execute({"k": "v"}, name="run-7",
                                                                      clock=FakeClock(START))
    assert execution.output == {
        "name": "run-7", "id": "arn:aws:states:us-east-1:123456789012:execution:pipeline:run-7", "state": "S",
        "machine": "pipeline", "input": "v", "entered": "2024-01-01T00:00:00Z", "started": "2024-01-01T00:00:00Z"}
    assert execution.arn.endswith(":execution:pipeline:run-7")


def test_parameters_templates_nest_objects_and_arrays():
    execution = run(pass_with({"outer": {"inner.$": "$.a", "list": [{"x.$": "$.b"}, 3]}}), {"a": 1, "b": 2})
    assert execution.output == {"outer": {"inner": 1, "list": [{"x": 2}, 3]}}


def test_missing_parameters_path_is_states_runtime_with_aws_cause():
    execution = run(pass_with({"x.$": "$.missing"}), {"a": 1})
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime"
    assert execution.cause == ("An error occurred while executing the state 'S' (entered at the event id #2). "
                               "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the "
                               "input '{\"a\":1}'")


def test_missing_input_path_is_runtime_and_not_caught_by_states_all():
    calls = []
    definition = {"StartAt": "T", "States": {
        "T": task(InputPath="$.nope", Retry=[{"ErrorEquals": ["States.ALL"]}],
                  Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], End=True),
        "Caught": {"Type": "Succeed"}}}
    execution = run(definition, {}, handlers={LAMBDA: lambda p, c: calls.append(p)})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "Invalid path '$.nope'" in execution.cause
    assert calls == []


def test_runtime_error_in_parameters_is_not_retried():
    calls = []
    definition = single(task(Parameters={"x.$": "$.missing"}, Retry=[{"ErrorEquals": ["States.ALL"]}]))
    clock = FakeClock(START)
    execution = run(definition, {}, handlers={LAMBDA: lambda p, c: calls.append(p)}, clock=clock)
    assert execution.error == "States.Runtime"
    assert clock.sleeps == [] and calls == []


def test_result_selector_shapes_the_task_result():
    definition = single(task(ResultSelector={"id.$": "$.JobRunId", "state.$": "$.JobRunState", "const": 1},
                             ResultPath="$.job"))
    execution = run(definition, {"k": 1}, handlers={LAMBDA: lambda p, c: {"JobRunId": "jr_1",
                                                                          "JobRunState": "SUCCEEDED", "x": 9}})
    assert execution.output == {"k": 1, "job": {"id": "jr_1", "state": "SUCCEEDED", "const": 1}}


def test_task_result_goes_into_the_raw_input_not_the_effective_input():
    definition = single(task(InputPath="$.args", Parameters={"x.$": "$.x"}, ResultPath="$.result"))
    execution = run(definition, {"args": {"x": 1}, "other": 2}, handlers={LAMBDA: lambda p, c: {"echo": p}})
    assert execution.output == {"args": {"x": 1}, "other": 2, "result": {"echo": {"x": 1}}}


def test_parallel_and_map_apply_output_path_to_their_result():
    parallel = single({"Type": "Parallel", "ResultPath": "$.r", "OutputPath": "$.r[0]",
                       "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}}]})
    mapped = single({"Type": "Map", "ItemsPath": "$.items", "OutputPath": "$[1]",
                     "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}})
    assert run(parallel, {"x": 1}).output == "a"
    assert run(mapped, {"items": [7, 8]}).output == 8


def test_output_is_a_copy_so_callers_cannot_corrupt_the_definition():
    machine = load_definition(single({"Type": "Pass", "Result": {"n": [1]}}))
    first = machine.execute({}, name="a", clock=FakeClock(START))
    first.output["n"].append(2)
    assert machine.execute({}, name="b", clock=FakeClock(START)).output == {"n": [1]}


def test_input_is_not_modified():
    data = {"a": {"b": 1}}
    run(single({"Type": "Pass", "Result": 2, "ResultPath": "$.a.c"}), data)
    assert data == {"a": {"b": 1}}


# --- JSONPath -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("$.arr[0].val", "one"),  # definite: the value, not a one-element list (moto deviates, see the moto tests)
    ("$.arr[-1].val", "three"),
    ("$['arr'][1]['val']", "two"),
    ("$.arr[*].val", ["one", "two", "three"]),
    ("$.arr[?(@.val == 'zzz')].n", []),  # indefinite and empty: [] in AWS (moto fails the execution)
    ("$.arr[?(@.n > 1 && @.val != 'three')].val", ["two"]),
    ("$.arr[?(@.n <= 1 || @.val == 'three')].n", [1, 3]),
    ("$.arr[?(@.extra)].val", ["three"]),
    ("$.arr[?(!(@.n == 2))].n", [1, 3]),
    ("$.arr[0:2].n", [1, 2]),
    ("$.arr[-2:].n", [2, 3]),
    ("$.arr[0,2].n", [1, 3]),
    ("$..n", [1, 2, 3]),
    ("$.obj.*", [1, "x"]),
    ("$['with space']", True),
    ("$.error-info", "dash"),
])
def test_jsonpath_queries(path, expected):
    data = {"arr": [{"val": "one", "n": 1}, {"val": "two", "n": 2}, {"val": "three", "n": 3, "extra": None}],
            "obj": {"a": 1, "b": "x"}, "with space": True, "error-info": "dash"}
    assert compile_path(path).find(data) == expected


def test_jsonpath_filter_compares_with_json_types():
    data = [{"v": 1}, {"v": True}, {"v": "1"}, {"v": 1.0}]
    assert compile_path("$[?(@.v == 1)].v").find(data) == [1, 1.0]


def test_definite_path_not_found_raises():
    with pytest.raises(PathNotFound, match=r"No results for path: \$\['a'\]\['b'\]"):
        compile_path("$.a.b").find({"a": {}})


@pytest.mark.parametrize("path", ["a.b", "$.a[", "$.a[?(@.x =~ /y/)]", "$9foo", "$.a['x','y']", "$.a[1:2:3]"])
def test_invalid_or_unsupported_paths_are_rejected(path):
    with pytest.raises(JsonPathSyntaxError):
        compile_path(path)


def test_reference_paths_assign_without_modifying_and_reject_wildcards():
    data = {"a": [{"b": 1}]}
    assert compile_reference_path("$.a[0].c").assign(data, 2) == {"a": [{"b": 1, "c": 2}]}
    assert data == {"a": [{"b": 1}]}
    with pytest.raises(JsonPathSyntaxError):
        compile_reference_path("$.a[*]")


# --- intrinsic functions ------------------------------------------------------------------------------------

INTRINSIC_INPUT = {"name": "Arnav", "template": "Hello, my name is {}.", "nums": [1, 2, 3, 4, 5, 6, 7, 8, 9],
                   "s": "{\"a\": [1, 2]}", "obj": {"name": "Foo", "year": 2020}, "csv": "a,b,c", "n": 111,
                   "json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}


@pytest.mark.parametrize(("expression", "expected"), [
    ("States.Format('Hello, {}! {} {} {}', $.name, 42, true, null)", "Hello, Arnav! 42 true null"),
    ("States.Format('\\{{}\\} it\\'s a \\\\ backslash', $.name)", "{Arnav} it's a \\ backslash"),
    ("States.Format($.template, $.name)", "Hello, my name is Arnav."),
    ("States.Format('{}', $$.Execution.Name)", "test-run"),
    ("States.StringToJson($.s)", {"a": [1, 2]}),
    ("States.JsonToString($.obj)", "{\"name\":\"Foo\",\"year\":2020}"),
    ("States.Array('Foo', 2020, $.obj, null)", ["Foo", 2020, {"name": "Foo", "year": 2020}, None]),
    ("States.Array()", []),
    ("States.ArrayPartition($.nums, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains($.nums, 5)", True),
    ("States.ArrayContains(States.Array(1, 2), true)", False),
    ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
    ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
    ("States.ArrayGetItem($.nums, 5)", 6),
    ("States.ArrayLength($.nums)", 9),
    ("States.ArrayUnique(States.Array(1, 2, 2, 'a', 'a', true, 1.0))", [1, 2, "a", True]),
    ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
    ("States.JsonMerge($.json1, $.json2, false)", {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
    ("States.MathAdd($.n, -1)", 110),
    ("States.StringSplit('1,2,,3', ',')", ["1", "2", "3"]),
    ("States.StringSplit('a-b_c', '-_')", ["a", "b", "c"]),
    ("States.ArrayLength(States.StringSplit($.csv, ','))", 3),
    ("States.UUID()", "00000000-0000-4000-8000-000000000001"),
])
def test_intrinsic_functions(expression, expected):
    execution = run(pass_with({"r.$": expression}), INTRINSIC_INPUT,
                    uuid_factory=lambda: "00000000-0000-4000-8000-000000000001")
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"r": expected}


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_states_hash(algorithm):
    execution = run(pass_with({"r.$": f"States.Hash($.data, '{algorithm}')"}), {"data": "input data"})
    digest = getattr(hashlib, algorithm.replace("-", "").lower())(b"input data").hexdigest()
    assert execution.output == {"r": digest}


def test_math_random_uses_the_injected_rng_and_a_seed_is_reproducible():
    definition = pass_with({"r.$": "States.MathRandom(1, 999)", "seeded.$": "States.MathRandom(1, 999, 42)"})
    first = run(definition, rng=random.Random(7)).output
    second = run(definition, rng=random.Random(8)).output
    assert first["r"] == random.Random(7).randint(1, 999)
    assert first["seeded"] == second["seeded"] == random.Random(42).randint(1, 999)


@pytest.mark.parametrize("expression", [
    "States.StringToJson('not json')", "States.ArrayGetItem($.nums, 99)", "States.ArrayPartition($.nums, 0)",
    "States.ArrayRange(1, 2000, 1)", "States.Base64Decode('!!')", "States.JsonMerge($.json1, $.json2, true)",
    "States.MathAdd('1', 2)", "States.Hash($.name, 'SHA-3')", "States.ArrayLength($.name)",
    "States.MathRandom(5, 1)", "States.Format($.template)",
])
def test_intrinsic_failures_are_states_intrinsic_failure(expression):
    execution = run(pass_with({"r.$": expression}), INTRINSIC_INPUT)
    assert (execution.status, execution.error) == ("FAILED", "States.IntrinsicFailure")


def test_intrinsic_failure_in_task_parameters_can_be_caught():
    definition = {"StartAt": "T", "States": {
        "T": task(Parameters={"x.$": "States.StringToJson($.s)"}, ResultPath="$.r",
                  Catch=[{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.err", "Next": "Done"}],
                  End=True),
        "Done": {"Type": "Succeed"}}}
    execution = run(definition, {"s": "{bad"}, handlers={LAMBDA: lambda p, c: p})
    assert execution.status == "SUCCEEDED"
    assert execution.output["err"]["Error"] == "States.IntrinsicFailure"


@pytest.mark.parametrize(("expression", "message"), [
    ("States.Frmat('x')", "unknown intrinsic function 'States.Frmat'"),
    ("States.ArrayLength()", "takes 1 argument"),
    ("States.Format('{} {}', 1)", "2 placeholder(s) but 1 value(s)"),
    ("States.Format('a\\b')", "open escape backslash"),
    ("States.Format('a } b')", "unescaped '}'"),
    ("States.UUID() x", "unexpected"),
])
def test_invalid_intrinsics_are_rejected_at_load(expression, message):
    with pytest.raises(DefinitionError) as raised:
        load_definition(pass_with({"r.$": expression}))
    assert raised.value.path == "States.S.Parameters.r.$"
    assert message in str(raised.value)


# --- Choice -------------------------------------------------------------------------------------------------

CHOICE_INPUT = {"s": "b", "n": 5, "f": 5.0, "t": True, "z": None, "ts": "2024-01-01T00:00:00Z",
                "other_s": "b", "other_n": 7, "other_ts": "2024-01-01T01:00:00+01:00", "star": "a*b",
                "slash": "a\\b", "file": "log-2024.txt", "bad_ts": "2024-01-01 00:00:00", "one": 1}


@pytest.mark.parametrize(("rule", "expected"), [
    ({"Variable": "$.s", "StringEquals": "b"}, True),
    ({"Variable": "$.n", "StringEquals": "5"}, False),
    ({"Variable": "$.s", "StringLessThan": "c"}, True),
    ({"Variable": "$.s", "StringGreaterThan": "c"}, False),
    ({"Variable": "$.s", "StringLessThanEquals": "b"}, True),
    ({"Variable": "$.s", "StringGreaterThanEquals": "c"}, False),
    ({"Variable": "$.s", "StringEqualsPath": "$.other_s"}, True),
    ({"Variable": "$.s", "StringLessThanPath": "$.other_s"}, False),
    ({"Variable": "$.s", "StringGreaterThanEqualsPath": "$.other_s"}, True),
    ({"Variable": "$.s", "StringLessThanEqualsPath": "$.other_s"}, True),
    ({"Variable": "$.s", "StringGreaterThanPath": "$.other_s"}, False),
    ({"Variable": "$.f", "NumericEquals": 5}, True),
    ({"Variable": "$.s", "NumericEquals": 5}, False),
    ({"Variable": "$.t", "NumericEquals": 1}, False),
    ({"Variable": "$.n", "NumericLessThan": 5}, False),
    ({"Variable": "$.n", "NumericGreaterThan": 4.5}, True),
    ({"Variable": "$.n", "NumericLessThanEquals": 5}, True),
    ({"Variable": "$.n", "NumericGreaterThanEquals": 6}, False),
    ({"Variable": "$.n", "NumericEqualsPath": "$.f"}, True),
    ({"Variable": "$.n", "NumericLessThanPath": "$.other_n"}, True),
    ({"Variable": "$.n", "NumericGreaterThanPath": "$.other_n"}, False),
    ({"Variable": "$.n", "NumericLessThanEqualsPath": "$.f"}, True),
    ({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.other_n"}, False),
    ({"Variable": "$.n", "NumericEqualsPath": "$.s"}, False),
    ({"Variable": "$.t", "BooleanEquals": True}, True),
    ({"Variable": "$.one", "BooleanEquals": True}, False),
    ({"Variable": "$.t", "BooleanEqualsPath": "$.t"}, True),
    ({"Variable": "$.ts", "TimestampEquals": "2024-01-01T01:00:00+01:00"}, True),
    ({"Variable": "$.ts", "TimestampLessThan": "2024-01-01T00:00:00.5Z"}, True),
    ({"Variable": "$.ts", "TimestampGreaterThan": "2023-12-31T23:59:59Z"}, True),
    ({"Variable": "$.ts", "TimestampLessThanEquals": "2023-12-31T23:59:59Z"}, False),
    ({"Variable": "$.ts", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"}, True),
    ({"Variable": "$.ts", "TimestampEqualsPath": "$.other_ts"}, True),
    ({"Variable": "$.ts", "TimestampLessThanPath": "$.other_ts"}, False),
    ({"Variable": "$.ts", "TimestampGreaterThanPath": "$.other_ts"}, False),
    ({"Variable": "$.ts", "TimestampLessThanEqualsPath": "$.other_ts"}, True),
    ({"Variable": "$.ts", "TimestampGreaterThanEqualsPath": "$.other_ts"}, True),
    ({"Variable": "$.bad_ts", "TimestampEquals": "2024-01-01T00:00:00Z"}, False),
    ({"Variable": "$.file", "StringMatches": "log-*.txt"}, True),
    ({"Variable": "$.file", "StringMatches": "log-*.csv"}, False),
    ({"Variable": "$.file", "StringMatches": "*"}, True),
    ({"Variable": "$.star", "StringMatches": "a\\*b"}, True),
    ({"Variable": "$.file", "StringMatches": "log\\*"}, False),
    ({"Variable": "$.slash", "StringMatches": "a\\\\b"}, True),
    ({"Variable": "$.z", "IsNull": True}, True),
    ({"Variable": "$.n", "IsNull": False}, True),
    ({"Variable": "$.n", "IsNumeric": True}, True),
    ({"Variable": "$.t", "IsNumeric": True}, False),
    ({"Variable": "$.s", "IsString": True}, True),
    ({"Variable": "$.t", "IsBoolean": True}, True),
    ({"Variable": "$.ts", "IsTimestamp": True}, True),
    ({"Variable": "$.bad_ts", "IsTimestamp": True}, False),
    ({"Variable": "$.missing", "IsPresent": True}, False),
    ({"Variable": "$.missing", "IsPresent": False}, True),
    ({"Variable": "$$.Execution.Name", "StringEquals": "test-run"}, True),
    ({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "StringEquals": "x"}]}, False),
    ({"Or": [{"Variable": "$.n", "NumericEquals": 4}, {"Variable": "$.s", "StringEquals": "b"}]}, True),
    ({"Not": {"Variable": "$.s", "StringEquals": "b"}}, False),
    ({"And": [{"Variable": "$.missing", "IsPresent": True}, {"Variable": "$.missing", "StringEquals": "x"}]},
     False),
])
def test_choice_operators(rule, expected):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": True, "End": True},
        "No": {"Type": "Pass", "Result": False, "End": True}}}
    execution = run(definition, CHOICE_INPUT)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output is expected


def test_choice_takes_the_first_matching_rule_and_applies_input_and_output_path():
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v", "Default": "D", "Choices": [
            {"Variable": "$.v", "NumericGreaterThan": 1, "Next": "A"},
            {"Variable": "$.v", "NumericGreaterThan": 0, "Next": "B"}]},
        "A": {"Type": "Succeed"}, "B": {"Type": "Fail"}, "D": {"Type": "Fail"}}}
    execution = run(definition, {"in": {"v": 2}})
    assert (execution.status, execution.output) == ("SUCCEEDED", 2)
    assert [e["stateEnteredEventDetails"]["name"] for e in execution.history if e["type"].endswith("Entered")] == [
        "C", "A"]


def test_choice_without_match_or_default_is_no_choice_matched():
    definition = single({"Type": "Choice", "Choices": [{"Variable": "$.v", "StringEquals": "x", "Next": "S"}]})
    execution = run(definition, {"v": "y"})
    assert (execution.status, execution.error) == ("FAILED", "States.NoChoiceMatched")


def test_choice_on_a_missing_variable_is_states_runtime():
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.missing", "StringEquals": "x", "Next": "D"}],
              "Default": "D"},
        "D": {"Type": "Succeed"}}}
    execution = run(definition, {})
    assert execution.error == "States.Runtime"
    assert "Invalid path '$.missing': The choice state's condition path references an invalid value." in (
        execution.cause)


# --- Retry and Catch ----------------------------------------------------------------------------------------


def test_retry_waits_grow_by_backoff_rate_capped_by_max_delay_then_catch():
    attempts = []

    def handler(parameters, context):
        attempts.append((parameters["rc"], context.retry_count))
        raise TaskFailure("Glue.ConcurrentRunsExceededException", "busy")

    definition = {"StartAt": "T", "States": {
        "T": task(Parameters={"rc.$": "$$.State.RetryCount"},
                  Retry=[{"ErrorEquals": ["Glue.ConcurrentRunsExceededException"], "IntervalSeconds": 3,
                          "MaxAttempts": 4, "BackoffRate": 2.0, "MaxDelaySeconds": 10}],
                  Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}], End=True),
        "Notify": {"Type": "Pass", "End": True}}}
    clock = FakeClock(START)
    execution = run(definition, {"job": "x"}, handlers={LAMBDA: handler}, clock=clock)
    assert clock.sleeps == [3, 6, 10, 10]
    assert attempts == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
    assert execution.output == {"job": "x", "error": {"Error": "Glue.ConcurrentRunsExceededException",
                                                      "Cause": "busy"}}


def test_retry_defaults_are_interval_1_backoff_2_three_attempts():
    clock = FakeClock(START)
    execution = run(single(task(Retry=[{"ErrorEquals": ["States.ALL"]}])), handlers={LAMBDA: failing("E")},
                    clock=clock)
    assert clock.sleeps == [1, 2, 4]
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "E", "bad")


def test_max_attempts_zero_never_retries():
    clock = FakeClock(START)
    definition = single(task(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]))
    execution = run(definition, handlers={LAMBDA: failing("E")}, clock=clock)
    assert clock.sleeps == []
    assert execution.error == "E"


def test_retry_counters_are_per_retrier_as_in_the_aws_example():
    # AWS docs, "Complex retry scenarios": errors A, B, C, B -> waits 1 and 2 (first retrier), 5 (second);
    # the fourth error finds the first retrier at its MaxAttempts (2, counting A and B) -> the catcher.
    errors = iter(["ErrorA", "ErrorB", "ErrorC", "ErrorB"])

    def handler(parameters, context):
        raise TaskFailure(next(errors), "")

    definition = {"StartAt": "X", "States": {
        "X": task(Retry=[{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0,
                          "MaxAttempts": 2},
                         {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
                  Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Z"}], End=True),
        "Z": {"Type": "Pass", "End": True}}}
    clock = FakeClock(START)
    execution = run(definition, handlers={LAMBDA: handler}, clock=clock)
    assert clock.sleeps == [1, 2, 5]
    assert execution.output == {"Error": "ErrorB", "Cause": ""}


def test_full_jitter_waits_a_uniform_fraction_from_the_injected_rng():
    clock = FakeClock(START)
    definition = single(task(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 10, "MaxAttempts": 2,
                                     "JitterStrategy": "FULL"}]))
    run(definition, handlers={LAMBDA: failing("E")}, clock=clock, rng=random.Random(3))
    expected = random.Random(3)
    assert clock.sleeps == [expected.uniform(0, 10), expected.uniform(0, 20)]


def test_a_retried_task_succeeds_and_history_shows_failed_then_scheduled_after_the_wait():
    outcomes = iter([TaskFailure("E", "once"), {"ok": True}])

    def handler(parameters, context):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    execution = run(single(task(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 30}])), handlers={LAMBDA: handler})
    assert execution.output == {"ok": True}
    assert types(execution) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
                                "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
                                "ExecutionSucceeded"]
    failed, rescheduled = execution.history[4], execution.history[5]
    assert failed["taskFailedEventDetails"] == {"resourceType": "lambda", "resource": "invoke", "error": "E",
                                                "cause": "once"}
    assert rescheduled["timestamp"] == "2024-01-01T00:00:30Z"


def test_first_matching_catcher_wins_and_output_path_is_not_applied_to_caught_errors():
    definition = {"StartAt": "T", "States": {
        "T": task(OutputPath="$.never", Catch=[{"ErrorEquals": ["Other"], "Next": "Wrong"},
                                               {"ErrorEquals": ["E", "X"], "ResultPath": "$.err", "Next": "Right"},
                                               {"ErrorEquals": ["States.ALL"], "Next": "Wrong"}], End=True),
        "Wrong": {"Type": "Fail"}, "Right": {"Type": "Succeed"}}}
    execution = run(definition, {"in": 1}, handlers={LAMBDA: failing("E", "why")})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"in": 1, "err": {"Error": "E", "Cause": "why"}}
    assert types(execution)[4:6] == ["TaskFailed", "TaskStateExited"]


def test_catch_result_path_null_keeps_the_input():
    definition = {"StartAt": "T", "States": {
        "T": task(Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Done"}], End=True),
        "Done": {"Type": "Succeed"}}}
    assert run(definition, {"in": 1}, handlers={LAMBDA: failing("E")}).output == {"in": 1}


def test_handler_exception_is_task_failed_with_a_lambda_like_cause():
    def handler(parameters, context):
        raise ValueError("no such table")

    execution = run(single(task()), handlers={LAMBDA: handler})
    assert execution.error == "States.TaskFailed"
    assert json.loads(execution.cause) == {"errorMessage": "no such table", "errorType": "ValueError"}


def test_task_failed_matches_custom_errors_but_not_timeout():
    def slow(parameters, context):
        context.clock.advance(11)
        return "late"

    definition = {"StartAt": "T", "States": {
        "T": task(TimeoutSeconds=10, Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "TaskFailed"},
                                            {"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}], End=True),
        "TaskFailed": {"Type": "Pass", "Result": "task-failed", "End": True},
        "TimedOut": {"Type": "Pass", "Result": "timed-out", "End": True}}}
    assert run(definition, handlers={LAMBDA: failing("Custom.Error")}).output == "task-failed"
    timed_out = run(definition, handlers={LAMBDA: slow})
    assert timed_out.output == "timed-out"
    event = next(e for e in timed_out.history if e["type"] == "TaskTimedOut")
    assert event["taskTimedOutEventDetails"]["error"] == "States.Timeout"


def test_states_all_catches_timeout():
    def slow(parameters, context):
        context.clock.advance(5)

    definition = {"StartAt": "T", "States": {
        "T": task(TimeoutSeconds=1, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}], End=True),
        "Done": {"Type": "Succeed"}}}
    assert run(definition, handlers={LAMBDA: slow}).output["Error"] == "States.Timeout"


def test_task_within_its_timeout_succeeds_and_sees_its_deadline():
    seen = {}

    def handler(parameters, context):
        seen["remaining"] = context.remaining_seconds()
        context.clock.advance(10)
        context.heartbeat()
        return "done"

    execution = run(single(task(TimeoutSeconds=10, HeartbeatSeconds=5)), handlers={LAMBDA: handler})
    assert execution.output == "done"
    assert seen == {"remaining": 10.0}
    scheduled = execution.history[2]["taskScheduledEventDetails"]
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (10, 5)


def test_heartbeat_after_the_deadline_stops_a_cooperative_handler():
    progress = []

    def handler(parameters, context):
        for step in range(5):
            context.clock.advance(3)
            context.heartbeat()
            progress.append(step)

    execution = run(single(task(TimeoutSeconds=7)), handlers={LAMBDA: handler})
    assert (execution.error, progress) == ("States.Timeout", [0, 1])


# --- Task handlers ------------------------------------------------------------------------------------------


def test_task_handler_gets_parameters_and_context_and_history_names_the_resource():
    seen = {}

    def handler(parameters, context):
        seen.update(parameters=parameters, state=context.state_name, execution=context.execution_name,
                    arn=context.execution_arn, resource=context.resource)
        parameters["mutated"] = True
        return {"JobRunState": "SUCCEEDED"}

    definition = single(task(Resource=GLUE, Parameters={"JobName": "clean", "Arguments": {"--in.$": "$.key"}},
                             TimeoutSeconds=600))
    execution = run(definition, {"key": "raw/a.json"}, handlers={GLUE: handler}, name="run-1")
    assert seen == {"parameters": {"JobName": "clean", "Arguments": {"--in": "raw/a.json"}, "mutated": True},
                    "state": "S", "execution": "run-1", "resource": GLUE,
                    "arn": "arn:aws:states:us-east-1:123456789012:execution:StateMachine:run-1"}
    assert execution.output == {"JobRunState": "SUCCEEDED"}
    scheduled = execution.history[2]["taskScheduledEventDetails"]
    assert scheduled == {"resourceType": "glue", "resource": "startJobRun.sync", "region": "us-east-1",
                         "parameters": "{\"JobName\":\"clean\",\"Arguments\":{\"--in\":\"raw/a.json\"}}",
                         "timeoutInSeconds": 600}
    succeeded = execution.history[4]
    assert succeeded["type"] == "TaskSucceeded"
    assert succeeded["taskSucceededEventDetails"]["output"] == "{\"JobRunState\":\"SUCCEEDED\"}"


def test_handlers_match_exactly_or_by_a_star_prefix_longest_first():
    definition = {"StartAt": "A", "States": {
        "A": task(Resource="arn:aws:states:::aws-sdk:s3:getObject", ResultPath="$.a", Next="B"),
        "B": task(Resource="arn:aws:states:::aws-sdk:sns:publish", ResultPath="$.b", End=True)}}
    handlers = {"arn:aws:states:::aws-sdk:*": lambda p, c: "any-sdk",
                "arn:aws:states:::aws-sdk:s3:*": lambda p, c: "s3"}
    execution = run(definition, {}, handlers=handlers)
    assert execution.output == {"a": "s3", "b": "any-sdk"}
    assert execution.history[2]["taskScheduledEventDetails"]["resourceType"] == "aws-sdk:s3"


def test_no_handler_for_a_resource_fails_with_states_runtime_and_is_not_caught():
    definition = {"StartAt": "T", "States": {
        "T": task(Resource=GLUE, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}], End=True),
        "Done": {"Type": "Succeed"}}}
    handler_for_the_base_arn = {"arn:aws:states:::glue:startJobRun": lambda p, c: "wrong"}
    execution = run(definition, handlers=handler_for_the_base_arn)
    assert execution.error == "States.Runtime"
    assert GLUE in execution.cause


def test_a_non_json_result_fails_the_task():
    execution = run(single(task()), handlers={LAMBDA: lambda p, c: {"when": datetime.now(UTC)}})
    assert execution.error == "States.TaskFailed"
    assert json.loads(execution.cause)["errorType"] == "TypeError"


# --- Parallel and Map ---------------------------------------------------------------------------------------


def branch(*states: tuple[str, dict]) -> dict:
    """A branch of chained states (each gets Next to the following one; the last ends)."""
    names = [name for name, _ in states]
    built = {}
    for index, (name, state) in enumerate(states):
        if state["Type"] in ("Fail", "Succeed", "Choice") or "End" in state or "Next" in state:
            built[name] = state
        else:
            built[name] = {**state, **({"Next": names[index + 1]} if index + 1 < len(names) else {"End": True})}
    return {"StartAt": names[0], "States": built}


def test_parallel_output_is_the_array_of_branch_outputs_in_order():
    definition = single({"Type": "Parallel", "ResultPath": "$.par", "Branches": [
        branch(("A", {"Type": "Pass", "Parameters": {"a.$": "$.x"}})),
        branch(("B1", {"Type": "Pass", "Parameters": {"b.$": "$.x"}}),
               ("B2", {"Type": "Pass", "Result": "yes", "ResultPath": "$.seen"}))]})
    execution = run(definition, {"x": 1})
    assert execution.output == {"x": 1, "par": [{"a": 1}, {"b": 1, "seen": "yes"}]}


def test_parallel_branch_failure_is_caught_by_the_parallel_state():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Ok", "Branches": [
            branch(("A", {"Type": "Pass"})),
            branch(("B", {"Type": "Fail", "Error": "DQ.Failed", "Cause": "3 rows"}))],
              "Catch": [{"ErrorEquals": ["DQ.Failed"], "ResultPath": "$.dq", "Next": "Handle"}]},
        "Ok": {"Type": "Succeed"}, "Handle": {"Type": "Pass", "End": True}}}
    execution = run(definition, {"in": 1})
    assert execution.output == {"in": 1, "dq": {"Error": "DQ.Failed", "Cause": "3 rows"}}
    assert "ParallelStateFailed" in types(execution)
    assert types(execution)[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_parallel_retry_reruns_all_branches():
    definition = single({"Type": "Parallel", "Branches": [branch(("A", {"Type": "Pass"})),
                                                          branch(("B", {"Type": "Fail", "Error": "E"}))],
                         "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2, "MaxAttempts": 2}]})
    clock = FakeClock(START)
    execution = run(definition, clock=clock)
    assert clock.sleeps == [2, 4]
    assert types(execution).count("ParallelStateStarted") == 3
    assert types(execution).count("ParallelStateFailed") == 1
    assert (execution.error, execution.cause) == ("E", None)


def test_fail_without_cause_gives_an_empty_cause_to_the_catcher():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [branch(("B", {"Type": "Fail", "Error": "E"}))],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": True}}}
    assert run(definition).output == {"Error": "E", "Cause": ""}


def test_runtime_error_in_a_branch_is_not_caught_by_states_all():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [branch(("B", {"Type": "Pass", "InputPath": "$.x"}))],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": True}}}
    execution = run(definition, {})
    assert execution.error == "States.Runtime"
    assert execution.cause.startswith("An error occurred while executing the state 'B' (entered at the event id #4)")


def test_no_choice_matched_in_a_branch_is_caught_by_task_failed():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [branch(
            ("C", {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "D"}]}),
            ("D", {"Type": "Succeed"}))],
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": True}}}
    assert run(definition, {"v": 2}).output["Error"] == "States.NoChoiceMatched"


def test_map_item_selector_with_map_item_context_and_output_in_order():
    definition = single({"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.out",
                         "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
                                          "prefix.$": "$.prefix"},
                         "ItemProcessor": branch(("M", {"Type": "Pass", "Parameters": {
                             "label.$": "States.Format('{}{}-{}', $.prefix, $.i, $.v)"}}))})
    execution = run(definition, {"items": ["a", "b", "c"], "prefix": "p"})
    assert execution.output["out"] == [{"label": "p0-a"}, {"label": "p1-b"}, {"label": "p2-c"}]


def test_map_legacy_iterator_and_parameters_and_empty_items():
    definition = single({"Type": "Map", "Parameters": {"v.$": "$$.Map.Item.Value"},
                         "Iterator": branch(("M", {"Type": "Pass"}))})
    assert run(definition, [1, 2]).output == [{"v": 1}, {"v": 2}]
    assert run(definition, []).output == []


def test_map_item_context_is_only_available_in_item_selector():
    in_iteration = single({"Type": "Map", "ItemProcessor": branch(
        ("M", {"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index"}}))})
    in_result_selector = single({"Type": "Map", "ItemSelector": {"i.$": "$$.Map.Item.Index"},
                                 "ResultSelector": {"i.$": "$$.Map.Item.Index"},
                                 "ItemProcessor": branch(("M", {"Type": "Pass"}))})
    assert run(in_iteration, [1]).error == "States.Runtime"
    assert run(in_result_selector, [1]).error == "States.Runtime"


def test_map_iteration_failure_is_caught_with_its_error():
    definition = {"StartAt": "Map", "States": {
        "Map": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.out", "End": True,
                "Catch": [{"ErrorEquals": ["DQ.Negative"], "ResultPath": "$.dqError", "Next": "Correct"}],
                "ItemProcessor": branch(
                    ("Check", {"Type": "Choice", "Default": "Ok",
                               "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Bad"}]}),
                    ("Ok", {"Type": "Pass", "End": True}),
                    ("Bad", {"Type": "Fail", "Error": "DQ.Negative", "Cause": "negative value"}))},
        "Correct": {"Type": "Pass", "End": True}}}
    execution = run(definition, {"items": [1, -1, 2]})
    assert execution.output == {"items": [1, -1, 2],
                                "dqError": {"Error": "DQ.Negative", "Cause": "negative value"}}
    assert types(execution).count("MapIterationSucceeded") == 1
    assert types(execution).count("MapIterationFailed") == 1
    assert "MapStateFailed" in types(execution)


def test_map_items_must_be_an_array():
    execution = run(single({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": branch(("M", {"Type": "Pass"}))}),
                    {"items": {"not": "a list"}})
    assert execution.error == "States.Runtime"


# --- Wait, Succeed, Fail, execution timeout -----------------------------------------------------------------


@pytest.mark.parametrize(("wait", "data", "slept"), [
    ({"Seconds": 30}, {}, [30]),
    ({"Seconds": 0}, {}, [0]),
    ({"SecondsPath": "$.s"}, {"s": 12}, [12]),
    ({"Timestamp": "2024-01-01T00:01:00Z"}, {}, [60.0]),
    ({"TimestampPath": "$.t"}, {"t": "2024-01-01T01:00:00+01:00"}, [0.0]),
    ({"Timestamp": "2023-01-01T00:00:00Z"}, {}, [0.0]),
])
def test_wait_sleeps_on_the_clock(wait, data, slept):
    clock = FakeClock(START)
    execution = run(single({"Type": "Wait", **wait}), data, clock=clock)
    assert (execution.status, clock.sleeps) == ("SUCCEEDED", slept)
    assert execution.output == data


@pytest.mark.parametrize(("wait", "data"), [({"SecondsPath": "$.s"}, {"s": -1}),
                                            ({"SecondsPath": "$.s"}, {"s": "5"}),
                                            ({"TimestampPath": "$.t"}, {"t": "tomorrow"})])
def test_wait_path_with_a_bad_value_is_runtime(wait, data):
    assert run(single({"Type": "Wait", **wait}), data).error == "States.Runtime"


def test_fail_error_and_cause_from_paths():
    definition = single({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"})
    execution = run(definition, {"e": "Pipeline.Failed", "n": 3})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Pipeline.Failed", "bad 3")
    assert types(execution) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert execution.history[-1]["executionFailedEventDetails"] == {"error": "Pipeline.Failed", "cause": "bad 3"}


def test_succeed_applies_input_and_output_path():
    assert run(single({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}), {"a": {"b": 1}}).output == 1


def test_execution_timeout_caps_waits_and_ends_timed_out():
    definition = {"TimeoutSeconds": 60, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "Never"}, "Never": {"Type": "Succeed"}}}
    clock = FakeClock(START)
    execution = run(definition, clock=clock)
    assert (execution.status, execution.error) == ("TIMED_OUT", "States.Timeout")
    assert clock.sleeps == [60.0]
    assert types(execution)[-1] == "ExecutionTimedOut"


def test_execution_timeout_after_a_slow_task():
    def slow(parameters, context):
        context.clock.advance(100)

    definition = {"TimeoutSeconds": 60, "StartAt": "T", "States": {
        "T": task(Next="After"), "After": {"Type": "Succeed"}}}
    assert run(definition, handlers={LAMBDA: slow}).status == "TIMED_OUT"


def test_abort_from_a_handler_or_the_event_callback():
    def stop(parameters, context):
        raise AbortExecution("operator stopped it")

    execution = run(single(task()), handlers={LAMBDA: stop})
    assert (execution.status, execution.cause) == ("ABORTED", "operator stopped it")
    assert types(execution)[-1] == "ExecutionAborted"

    def on_event(event):
        if event["type"] == "PassStateExited":
            raise AbortExecution()

    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    aborted = run(definition, on_event=on_event)
    assert aborted.status == "ABORTED"
    assert "SucceedStateEntered" not in types(aborted)


# --- history --------------------------------------------------------------------------------------------------


def test_history_ids_chain_and_the_callback_sees_every_event_live():
    seen = []
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    execution = run(definition, {"k": 1}, on_event=seen.append)
    assert seen == execution.history
    assert [e["id"] for e in execution.history] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in execution.history] == [0, 0, 2, 3, 4, 5]
    assert execution.history[0]["executionStartedEventDetails"] == {
        "input": "{\"k\":1}", "inputDetails": {"truncated": False},
        "roleArn": "arn:aws:iam::123456789012:role/baton-local"}
    assert execution.history[1]["stateEnteredEventDetails"] == {"name": "A", "input": "{\"k\":1}",
                                                                "inputDetails": {"truncated": False}}
    assert execution.history[2]["stateExitedEventDetails"] == {"name": "A", "output": "{\"k\":1}",
                                                               "outputDetails": {"truncated": False}}
    assert execution.history[-1]["executionSucceededEventDetails"]["output"] == "{\"k\":1}"


def test_branch_and_iteration_events_point_back_to_their_start_event():
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [branch(("A", {"Type": "Pass"})),
                                                              branch(("B", {"Type": "Pass"}))]},
        "M": {"Type": "Map", "End": True, "ItemsPath": "$[0]", "ItemProcessor": branch(("X", {"Type": "Pass"}))}}}
    execution = run(definition, [1, 2])
    by_id = {e["id"]: e for e in execution.history}
    started = next(e["id"] for e in execution.history if e["type"] == "ParallelStateStarted")
    branch_starts = [e for e in execution.history if e["type"] == "PassStateEntered"
                     and e["stateEnteredEventDetails"]["name"] in ("A", "B")]
    assert [e["previousEventId"] for e in branch_starts] == [started, started]
    for event in execution.history:
        if event["type"] == "PassStateEntered" and event["stateEnteredEventDetails"]["name"] == "X":
            assert by_id[event["previousEventId"]]["type"] == "MapIterationStarted"
    map_started = next(e for e in execution.history if e["type"] == "MapStateStarted")
    assert map_started["mapStateStartedEventDetails"] == {"length": 2}
    iterations = [e for e in execution.history if e["type"] == "MapIterationStarted"]
    assert [e["mapIterationStartedEventDetails"] for e in iterations] == [{"name": "M", "index": 0},
                                                                          {"name": "M", "index": 1}]
    assert all(e["previousEventId"] == map_started["id"] for e in iterations)
    assert types(execution) == [
        "ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "PassStateEntered", "PassStateExited",
        "PassStateEntered", "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited", "MapStateEntered",
        "MapStateStarted", "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
        "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded", "MapStateSucceeded",
        "MapStateExited", "ExecutionSucceeded"]


def test_history_timestamps_come_from_the_clock():
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 90, "Next": "D"},
                                             "D": {"Type": "Succeed"}}}
    execution = run(definition)
    assert [e["timestamp"] for e in execution.history] == ["2024-01-01T00:00:00Z"] * 2 + [
        "2024-01-01T00:01:30Z"] * 4
    assert execution.stop_date - execution.start_date == timedelta(seconds=90)
    assert [e["type"] for e in execution.history][1:3] == ["WaitStateEntered", "WaitStateExited"]


# --- executions -------------------------------------------------------------------------------------------------


def test_default_execution_name_comes_from_the_uuid_factory():
    machine = load_definition(single({"Type": "Pass"}))
    execution = machine.execute(clock=FakeClock(START), uuid_factory=lambda: "fixed-uuid")
    assert (execution.name, execution.input, execution.output) == ("fixed-uuid", {}, {})


@pytest.mark.parametrize("name", ["has space", "a/b", "x" * 81, ""])
def test_invalid_execution_names_are_rejected(name):
    with pytest.raises(ValueError, match="invalid execution name"):
        load_definition(single({"Type": "Pass"})).execute({}, name=name, clock=FakeClock(START))


def test_non_json_input_is_rejected():
    with pytest.raises(ValueError, match="not JSON"):
        load_definition(single({"Type": "Pass"})).execute({"x": object()}, name="n", clock=FakeClock(START))


def test_definition_can_be_json_text():
    assert run(json.dumps(single({"Type": "Pass", "Result": 1}))).output == 1


# --- validation at load -------------------------------------------------------------------------------------

GOOD = {"StartAt": "Fetch", "States": {
    "Fetch": {"Type": "Task", "Resource": GLUE, "Next": "Route",
              "Retry": [{"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Bad"}]},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fan"}],
              "Default": "Bad"},
    "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [{"StartAt": "B1", "States": {
        "B1": {"Type": "Pass", "End": True}}}]},
    "Done": {"Type": "Succeed"},
    "Bad": {"Type": "Fail", "Error": "E"}}}


def mutate(path: str, value, *more) -> dict:
    """A deep copy of GOOD with ``path`` (dotted; list indexes as numbers) set to ``value`` (None deletes).

    ``more`` holds further (path, value) pairs to apply.
    """
    definition = json.loads(json.dumps(GOOD))
    for change_path, change_value in ((path, value), *more):
        *parents, last = change_path.split(".")
        node = definition
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if change_value is None:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = change_value
        else:
            node[last] = change_value
    return definition


def test_the_reference_definition_is_valid():
    assert load_definition(GOOD).program.start_at == "Fetch"


@pytest.mark.parametrize(("definition", "path", "message"), [
    (mutate("States.Fetch.QueryLanguage", "JSONata", ("States.Fetch.Parameters", {"a.$": "$.a"})),
     "States.Fetch.Parameters", "a JSONPath field"),
    (mutate("QueryLanguage", "JSONata"), "States.Route.Choices[0].Variable", "a JSONPath field"),
    (mutate("QueryLanguage", "JSONPATH"), "QueryLanguage", "must be JSONPath or JSONata"),
    (mutate("States.Fetch.Type", "Foo"), "States.Fetch.Type", "unknown state type 'Foo'"),
    (mutate("States.Fetch.Output", {}), "States.Fetch.Output", "a JSONata field"),
    (mutate("States.Fetch.Arguments", {}), "States.Fetch.Arguments", "a JSONata field"),
    (mutate("States.Fetch.Assign", {"states": 1}), "States.Fetch.Assign.states", "'states' is reserved"),
    (mutate("States.Fetch.Assign", {"1st": 1}), "States.Fetch.Assign.1st", "invalid variable name"),
    (mutate("States.Fetch.Retry.0.MaxAttemps", 2), "States.Fetch.Retry[0].MaxAttemps", "unknown field"),
    (mutate("States.Fetch.Retry.0.BackoffRate", 0.5), "States.Fetch.Retry[0].BackoffRate", "must be >= 1.0"),
    (mutate("States.Fetch.Retry.0.JitterStrategy", "HALF"), "States.Fetch.Retry[0].JitterStrategy", "FULL or NONE"),
    (mutate("States.Fetch.Retry.0.ErrorEquals", ["States.ALL", "X"]), "States.Fetch.Retry[0].ErrorEquals",
     "States.ALL must appear alone"),
    (mutate("States.Fetch.Retry", [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]),
     "States.Fetch.Retry[0]", "must be the last one"),
    (mutate("States.Fetch.Catch.0.ErrorEquals", ["States.Tiemout"]), "States.Fetch.Catch[0].ErrorEquals[0]",
     "unknown error name"),
    (mutate("States.Fetch.Catch.0.Next", "Nowhere"), "States.Fetch.Catch[0].Next", "no state named 'Nowhere'"),
    (mutate("States.Fetch.Next", "Nowhere"), "States.Fetch.Next", "no state named 'Nowhere'"),
    (mutate("States.Fetch.Next", None), "States.Fetch", "needs one of Next, End"),
    (mutate("States.Fetch.End", True), "States.Fetch", "use only one of Next, End"),
    (mutate("States.Fetch.Resource", "glue:startJobRun"), "States.Fetch.Resource", "must be an ARN"),
    (mutate("States.Fetch.TimeoutSecondsPath", "$.t"), "States.Fetch.TimeoutSecondsPath", "is not supported"),
    (mutate("States.Fetch.HeartbeatSeconds", 100, ("States.Fetch.TimeoutSeconds", 100)),
     "States.Fetch.HeartbeatSeconds", "must be smaller"),
    (mutate("States.Fetch.Parameters", {"x.$": "not-a-path"}), "States.Fetch.Parameters.x.$", "must be a path"),
    (mutate("States.Fetch.Parameters", {"x.$": "$9stage"}), "States.Fetch.Parameters.x.$", "unexpected '9'"),
    (mutate("States.Fetch.ResultPath", "$stage"), "States.Fetch.ResultPath", "cannot write a variable"),
    (mutate("States.Fetch.ResultPath", "$.a[*]"), "States.Fetch.ResultPath", "not a reference path"),
    (mutate("States.Fetch.Parameters", {"x": 1, "x.$": "$.x"}), "States.Fetch.Parameters.x.$",
     "duplicates the field 'x'"),
    (mutate("States.Route.Choices.0.Next", None), "States.Route.Choices[0].Next", "is required"),
    (mutate("States.Route.Choices.0.BooleanEquals", "yes"), "States.Route.Choices[0].BooleanEquals",
     "must be a boolean"),
    (mutate("States.Route.Choices.0", {"Not": {"Variable": "$.a", "IsNull": True, "Next": "Done"}, "Next": "Done"}),
     "States.Route.Choices[0].Not.Next", "only top-level"),
    (mutate("States.Route.Choices.0", {"Variable": "$.t", "TimestampEquals": "2024-01-01", "Next": "Done"}),
     "States.Route.Choices[0].TimestampEquals", "RFC 3339"),
    (mutate("States.Route.Choices.0", {"Variable": "$.t", "StringContains": "x", "Next": "Done"}),
     "States.Route.Choices[0].StringContains", "unknown comparison operator"),
    (mutate("States.Fan.Branches.0.States.B1", {"Type": "Pass", "Next": "Done"}),
     "States.Fan.Branches[0].States.B1.Next", "no state named 'Done'"),
    (mutate("States.Fan.Branches.0", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}), "States.Done",
     "duplicate state name"),
    (mutate("States.Fan.Type", "Map"), "States.Fan.Branches", "unknown field for a Map state"),
    (mutate("States.Bad.ErrorPath", "$.e"), "States.Bad", "use only one of Error, ErrorPath"),
    (mutate("States.Bad.CausePath", "States.ArrayLength($.a)"), "States.Bad.CausePath", "only States.Format"),
    (mutate("StartAt", "Nowhere"), "StartAt", "no state named 'Nowhere'"),
    (mutate("TimeoutSeconds", 0), "TimeoutSeconds", "between 1 and"),
    (mutate("Version", "2.0"), "Version", "must be \"1.0\""),
    (mutate("Extra", 1), "Extra", "unknown field"),
    ({**GOOD, "States": {**GOOD["States"], "x" * 81: {"Type": "Succeed"}}}, "States." + "x" * 81,
     "1 to 80 characters"),
    ({**GOOD, "States": {**GOOD["States"], "Orphan": {"Type": "Succeed"}}}, "States.Orphan",
     "is not reachable from StartAt"),
])
def test_load_rejects_definitions_outside_the_subset_naming_the_field(definition, path, message):
    with pytest.raises(DefinitionError) as raised:
        load_definition(definition)
    assert raised.value.path == path
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("map_fields", "path", "message"), [
    ({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject"}}, "States.M.ItemReader",
     "only a distributed Map"),
    ({"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "X",
                        "States": {"X": {"Type": "Pass", "End": True}}}},
     "States.M.ItemProcessor.ProcessorConfig.ExecutionType", "needs STANDARD or EXPRESS"),
    ({"ItemProcessor": {"ProcessorConfig": {"Mode": "PARALLEL"}, "StartAt": "X",
                        "States": {"X": {"Type": "Pass", "End": True}}}},
     "States.M.ItemProcessor.ProcessorConfig.Mode", "must be INLINE or DISTRIBUTED"),
    ({"ToleratedFailurePercentage": 5}, "States.M.ToleratedFailurePercentage", "only a distributed Map"),
    ({"ItemSelector": {}, "Parameters": {}}, "States.M", "use only one of ItemSelector, Parameters"),
    ({"ItemsPath": "$.a[*]"}, "States.M.ItemsPath", "not a reference path"),
])
def test_load_rejects_distributed_map_fields_on_an_inline_map(map_fields, path, message):
    state = {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
             "End": True, **map_fields}
    with pytest.raises(DefinitionError) as raised:
        load_definition({"StartAt": "M", "States": {"M": state}})
    assert (raised.value.path, message in str(raised.value)) == (path, True)


def test_load_rejects_invalid_json_text():
    with pytest.raises(DefinitionError, match="not valid JSON"):
        load_definition("{")


# --- clocks ---------------------------------------------------------------------------------------------------


def test_fake_clock_records_sleeps_but_not_advances():
    clock = FakeClock(START)
    clock.sleep(2.5)
    clock.advance(10)
    assert clock.sleeps == [2.5]
    assert clock.now() == START + timedelta(seconds=12.5)


def test_real_clock_scales_sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr("orchestration.asl.clock.time.sleep", slept.append)
    RealClock(wait_factor=0.01).sleep(60)
    RealClock(wait_factor=0).sleep(60)
    RealClock().sleep(0)
    assert slept == [0.6]
    assert RealClock().now().tzinfo is not None


def test_timestamp_format_and_parse_follow_step_functions():
    assert format_timestamp(datetime(2024, 1, 1, 0, 0, 0, 192000, tzinfo=UTC)) == "2024-01-01T00:00:00.192Z"
    assert format_timestamp(datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)) == "2024-01-01T00:00:00.5Z"
    assert parse_timestamp("2024-01-01T00:00:00.123456789Z") == datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert parse_timestamp("2024-01-01t00:00:00Z") is None
    assert parse_timestamp("2024-01-01T00:00:00") is None
    assert parse_timestamp("2024-13-01T00:00:00Z") is None
