"""The local executor's exact AWS semantics (issue 17, items 1-8), each test citing the behaviour it pins.

Sources: the AWS Step Functions Developer Guide ("Handling errors", "Service quotas", "Intrinsic
functions", "Context object", "Wait for a Callback with Task Token", "Wait") and execution histories
recorded against AWS where the guide does not give the exact text.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration.asl import DefinitionError, FakeClock, load_definition
from orchestration.asl.payload import MAX_PAYLOAD_BYTES

LAMBDA = "arn:aws:states:::lambda:invoke"
SQS_CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
START = datetime(2024, 1, 1, tzinfo=UTC)
TOO_BIG = "x" * MAX_PAYLOAD_BYTES
DATA_LIMIT_CAUSE = ("The state/task '{}' returned a result with a size exceeding the maximum number of bytes "
                    "service limit.")


def run(definition, data=None, **kwargs):
    kwargs.setdefault("clock", FakeClock(START))
    kwargs.setdefault("name", "test-run")
    return load_definition(definition).execute(data, **kwargs)


def single(state: dict) -> dict:
    if state["Type"] not in ("Choice", "Succeed", "Fail"):
        state = {**state, "End": True}
    return {"StartAt": "S", "States": {"S": state}}


def task(resource: str = LAMBDA, **fields) -> dict:
    return {"Type": "Task", "Resource": resource, **fields}


def catching(state: dict, errors: list[str]) -> dict:
    """``state`` named T with a Catch on ``errors`` to a Pass state named Caught."""
    return {"StartAt": "T", "States": {
        "T": {**state, "Catch": [{"ErrorEquals": errors, "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}


def types(execution) -> list[str]:
    return [event["type"] for event in execution.history]


# --- 3. TimeoutSeconds: States.Timeout without a cause -----------------------------------------------------------
# Recorded on AWS: taskTimedOutEventDetails has only the error; a Catch sees "Cause": "".


def test_a_task_timeout_has_no_cause():
    def slow(parameters, context):
        context.clock.advance(5)

    execution = run(catching(task(TimeoutSeconds=1), ["States.Timeout"]), handlers={LAMBDA: slow})
    assert execution.output == {"Error": "States.Timeout", "Cause": ""}
    timed_out = next(event for event in execution.history if event["type"] == "TaskTimedOut")
    assert "cause" not in timed_out["taskTimedOutEventDetails"]


# --- 4. $$.State.RetryCount exists only in Task states -----------------------------------------------------------
# Context object: "State": {"EnteredTime", "Name", "RetryCount"}, RetryCount for Task states.


def test_retry_count_is_absent_outside_task_states():
    execution = run(single({"Type": "Pass", "Parameters": {"state.$": "$$.State"}}))
    assert execution.output == {"state": {"EnteredTime": "2024-01-01T00:00:00Z", "Name": "S"}}


def test_retry_count_is_present_in_task_states():
    execution = run(single(task(Parameters={"state.$": "$$.State"})), handlers={LAMBDA: lambda p, c: p})
    assert execution.output["state"]["RetryCount"] == 0


# --- 5. States.MathAdd / States.MathRandom round non-integers half up ----------------------------------------------
# Intrinsic functions: "If you specify a non-integer value for one or both the arguments, Step
# Functions will round it off to the nearest integer" (Java's Math.round: halves go up).


@pytest.mark.parametrize(("expression", "expected"), [
    ("States.MathAdd(1.49, 1.5)", 3), ("States.MathAdd(-1.5, 0)", -1), ("States.MathAdd(2.5, -2.5)", 1),
    ("States.MathAdd($.n, 0.5)", 112),
])
def test_math_add_rounds_half_up(expression, expected):
    assert run(single({"Type": "Pass", "Parameters": {"r.$": expression}}), {"n": 111}).output == {"r": expected}


def test_math_random_rounds_its_bounds():
    execution = run(single({"Type": "Pass", "Parameters": {"r.$": "States.MathRandom(2.5, 3.4)"}}))
    assert execution.output == {"r": 3}


# --- 6. States.Format renders objects and arrays as Java does --------------------------------------------------


def test_format_renders_objects_and_arrays_java_style():
    definition = single({"Type": "Pass", "Parameters": {"r.$": "States.Format('{} and {}', $.obj, $.arr)"}})
    execution = run(definition, {"obj": {"Arg1": 1, "Arg2": [], "Arg3": {"s": "t"}}, "arr": [1, "a", None]})
    assert execution.output == {"r": "{Arg1=1, Arg2=[], Arg3={s=t}} and [1, a, null]"}


# --- 7. States.Runtime causes worded as AWS words them ---------------------------------------------------------


def runtime_cause(wait: dict, data: dict) -> str:
    execution = run(single({"Type": "Wait", **wait}), data)
    assert execution.error == "States.Runtime"
    prefix = "An error occurred while executing the state 'S' (entered at the event id #2). "
    assert execution.cause.startswith(prefix)
    return execution.cause.removeprefix(prefix)


@pytest.mark.parametrize(("wait", "data", "cause"), [
    ({"SecondsPath": "$.s"}, {"s": -1}, "The SecondsPath parameter references a negative value: $.s == -1"),
    ({"SecondsPath": "$.s"}, {"s": "5"}, "The SecondsPath parameter cannot be parsed as a long value: $.s == 5"),
    ({"SecondsPath": "$.s"}, {}, "The SecondsPath parameter does not reference an input value: $.s"),
    ({"TimestampPath": "$.t"}, {"t": "tomorrow"},
     "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
     "$.t == tomorrow"),
    ({"TimestampPath": "$.t"}, {}, "The TimestampPath parameter does not reference an input value: $.t"),
])
def test_wait_path_causes_are_aws_wording(wait, data, cause):
    assert runtime_cause(wait, data) == cause


# --- 8. what AWS accepts is accepted ---------------------------------------------------------------------------


def test_an_unescaped_open_brace_in_an_intrinsic_string_is_text():
    execution = run(single({"Type": "Pass", "Parameters": {"r.$": "States.Format('a { b {}', $.x)"}}), {"x": 1})
    assert execution.output == {"r": "a { b 1"}


def test_a_legacy_iterator_accepts_an_inline_processor_config():
    state = {"Type": "Map", "Iterator": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "X",
                                         "States": {"X": {"Type": "Pass", "End": True}}}}
    assert run(single(state), [1, 2]).output == [1, 2]
    distributed = {**state, "Iterator": {**state["Iterator"], "ProcessorConfig": {"Mode": "DISTRIBUTED"}}}
    with pytest.raises(DefinitionError, match="only INLINE Map"):
        load_definition(single(distributed))
