"""The local executor's exact AWS semantics (issue 17, items 1-8), each test citing the behaviour it pins.

Sources: the AWS Step Functions Developer Guide ("Handling errors", "Service quotas", "Intrinsic
functions", "Context object", "Wait for a Callback with Task Token", "Wait") and execution histories
recorded against AWS where the guide does not give the exact text.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from test_asl_executor import run, single

from orchestration.asl import (
    DefinitionError,
    FakeClock,
    InvalidToken,
    RealClock,
    TaskTimedOut,
    load_definition,
)
from orchestration.asl.payload import MAX_PAYLOAD_BYTES

LAMBDA = "arn:aws:states:::lambda:invoke"
SQS_CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
START = datetime(2024, 1, 1, tzinfo=UTC)
TOO_BIG = "x" * MAX_PAYLOAD_BYTES
DATA_LIMIT_CAUSE = ("The state/task '{}' returned a result with a size exceeding the maximum number of bytes "
                    "service limit.")


def task(resource: str = LAMBDA, **fields) -> dict:
    return {"Type": "Task", "Resource": resource, **fields}


def catching(state: dict, errors: list[str]) -> dict:
    """``state`` named T with a Catch on ``errors`` to a Pass state named Caught."""
    return {"StartAt": "T", "States": {
        "T": {**state, "Catch": [{"ErrorEquals": errors, "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True}}}


def types(execution) -> list[str]:
    return [event["type"] for event in execution.history]


# --- 1. the 256 KiB payload quota ----------------------------------------------------------------------------
# Service quotas: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a
# UTF-8 encoded string". Handling errors, States.DataLimitExceeded: reported when the output of a
# connector, the output of a state, or the input of a state after Parameters is larger than the quota;
# "States.ALL ... can't catch the States.DataLimitExceeded terminal error".


def test_the_quota_is_262144_bytes_of_utf8():
    assert MAX_PAYLOAD_BYTES == 262_144


def test_a_state_output_over_the_quota_fails_the_execution_without_exiting_the_state():
    # Recorded on AWS: a Pass state with a 257 KiB Result -> PassStateEntered, then ExecutionFailed.
    execution = run(single({"Type": "Pass", "Result": {"Arg1": TOO_BIG}}))
    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")
    assert execution.cause == DATA_LIMIT_CAUSE.format("S")
    assert types(execution) == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_the_quota_counts_utf8_bytes_not_characters():
    two_byte_chars = "é" * (MAX_PAYLOAD_BYTES // 2)  # half as many characters as the quota, twice the bytes
    assert run(single({"Type": "Pass", "Result": two_byte_chars})).error == "States.DataLimitExceeded"
    just_fits = "x" * (MAX_PAYLOAD_BYTES - 2)  # with its two quotes, exactly the quota
    assert run(single({"Type": "Pass", "Result": just_fits})).status == "SUCCEEDED"


def test_a_state_output_over_the_quota_is_not_caught_by_states_all_in_a_parallel():
    branch = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": TOO_BIG, "End": True}}}
    execution = run(catching({"Type": "Parallel", "Branches": [branch]}, ["States.ALL"]))
    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")


def test_a_state_output_over_the_quota_is_caught_when_named():
    branch = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": TOO_BIG, "End": True}}}
    execution = run(catching({"Type": "Parallel", "Branches": [branch]}, ["States.DataLimitExceeded"]))
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"Error": "States.DataLimitExceeded", "Cause": DATA_LIMIT_CAUSE.format("Big")}


@pytest.mark.parametrize("errors", [["States.DataLimitExceeded"], ["States.ALL"]])
def test_a_task_result_over_the_quota_fails_the_task(errors):
    # Recorded on AWS (lambda:invoke returning a large string): TaskFailed with States.DataLimitExceeded,
    # the cause naming the integration's resource type, and the task's Catch ran, States.ALL included.
    execution = run(catching(task(), errors), handlers={LAMBDA: lambda parameters, context: TOO_BIG})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"Error": "States.DataLimitExceeded", "Cause": DATA_LIMIT_CAUSE.format("lambda")}
    failed = next(event for event in execution.history if event["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "States.DataLimitExceeded"


def test_a_task_result_of_a_function_arn_names_the_arn():
    arn = "arn:aws:lambda:us-east-1:123456789012:function:big"
    execution = run(single(task(arn)), handlers={arn: lambda parameters, context: TOO_BIG})
    assert execution.cause == DATA_LIMIT_CAUSE.format(arn)


def test_a_task_input_over_the_quota_after_parameters_fails_the_state():
    called = []
    definition = single(task(Parameters={"a.$": "$.s", "b.$": "$.s"}))
    execution = run(definition, {"s": "x" * (MAX_PAYLOAD_BYTES // 2)}, handlers={LAMBDA: called.append})
    assert (execution.error, called) == ("States.DataLimitExceeded", [])


def test_an_execution_input_over_the_quota_is_refused():
    with pytest.raises(ValueError, match="262144 bytes"):
        run(single({"Type": "Pass"}), {"s": TOO_BIG})


# --- 2. the callback pattern: .waitForTaskToken ---------------------------------------------------------------
# "Wait for a Callback with Task Token": the Task passes $$.Task.Token to the integration and pauses
# until SendTaskSuccess or SendTaskFailure is called with it; SendTaskHeartbeat resets the heartbeat
# clock; a missed heartbeat fails the task with States.HeartbeatTimeout, the TimeoutSeconds with
# States.Timeout, and the history shows TaskTimedOut.


def callback_machine(**fields) -> dict:
    return single(task(SQS_CALLBACK, Parameters={"MessageBody": {"token.$": "$$.Task.Token"}}, **fields))


def test_a_callback_task_passes_its_token_and_ends_with_send_task_success():
    clock = FakeClock(START)

    def send_message(parameters, context):
        token = parameters["MessageBody"]["token"]
        assert token == context.task_token
        clock.call_later(30, lambda: context.execution.send_task_success(token, {"approved": True}))
        return {"MessageId": "m-1"}

    execution = run(callback_machine(), handlers={SQS_CALLBACK: send_message}, clock=clock,
                    uuid_factory=iter(["tok-1"]).__next__)
    assert (execution.status, execution.output) == ("SUCCEEDED", {"approved": True})
    assert types(execution)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert execution.stop_date == datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC)


def test_a_callback_can_be_completed_by_another_thread_on_the_real_clock():
    def handler(parameters, context):
        worker = threading.Timer(0.02, context.execution.send_task_success, (context.task_token, "from a thread"))
        worker.start()
        return "pending"

    execution = run(callback_machine(TimeoutSeconds=30), handlers={SQS_CALLBACK: handler}, clock=RealClock())
    assert (execution.status, execution.output) == ("SUCCEEDED", "from a thread")
    submitted = next(event for event in execution.history if event["type"] == "TaskSubmitted")
    assert submitted["taskSubmittedEventDetails"]["output"] == '"pending"'


def test_a_callback_can_be_completed_inside_the_handler():
    def handler(parameters, context):
        context.execution.send_task_success(context.task_token, "now")

    assert run(callback_machine(), handlers={SQS_CALLBACK: handler}).output == "now"


def test_send_task_failure_fails_the_task_with_its_error_and_cause():
    def handler(parameters, context):
        context.execution.send_task_failure(context.task_token, "Rejected", "the reviewer said no")

    execution = run(callback_machine(), handlers={SQS_CALLBACK: handler})
    assert (execution.error, execution.cause) == ("Rejected", "the reviewer said no")


def test_a_missed_heartbeat_is_states_heartbeat_timeout():
    clock = FakeClock(START)

    def handler(parameters, context):
        token = context.task_token
        clock.call_later(8, lambda: context.execution.send_task_heartbeat(token))
        clock.call_later(15, lambda: context.execution.send_task_success(token, "late"))

    execution = run(callback_machine(HeartbeatSeconds=5, TimeoutSeconds=100), handlers={SQS_CALLBACK: handler},
                    clock=clock)
    assert (execution.error, execution.cause) == ("States.HeartbeatTimeout", None)
    assert execution.history[-2]["type"] == "TaskTimedOut"
    assert execution.stop_date == datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)


def test_heartbeats_keep_a_callback_task_alive_until_success():
    clock = FakeClock(START)

    def handler(parameters, context):
        token = context.task_token
        for second in (4, 8, 12):
            clock.call_later(second, lambda: context.execution.send_task_heartbeat(token))
        clock.call_later(15, lambda: context.execution.send_task_success(token, "done"))

    execution = run(callback_machine(HeartbeatSeconds=5), handlers={SQS_CALLBACK: handler}, clock=clock)
    assert execution.output == "done"


def test_a_callback_task_times_out_and_states_timeout_catches_a_heartbeat_timeout():
    execution = run(callback_machine(TimeoutSeconds=60), handlers={SQS_CALLBACK: lambda p, c: None})
    assert execution.error == "States.Timeout"
    assert execution.stop_date == datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    machine = catching(task(SQS_CALLBACK, Parameters={"t.$": "$$.Task.Token"}, HeartbeatSeconds=5),
                       ["States.Timeout"])
    assert run(machine, handlers={SQS_CALLBACK: lambda p, c: None}).output["Error"] == "States.HeartbeatTimeout"


def test_a_closed_or_unknown_token_is_refused():
    kept = {}

    def handler(parameters, context):
        kept["execution"], kept["token"] = context.execution, context.task_token
        context.execution.send_task_success(context.task_token, 1)

    run(callback_machine(), handlers={SQS_CALLBACK: handler})
    with pytest.raises(TaskTimedOut):
        kept["execution"].send_task_success(kept["token"], 2)
    with pytest.raises(InvalidToken):
        kept["execution"].send_task_heartbeat("no-such-token")


def test_the_task_token_is_only_in_the_context_of_callback_tasks():
    execution = run(single(task(Parameters={"t.$": "$$.Task.Token"})), handlers={LAMBDA: lambda p, c: p})
    assert execution.error == "States.Runtime"


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
    ({"TimestampPath": "$.t"}, {"u": 1},
     "The JSONPath '$.t' specified for the field 'TimestampPath' could not be found in the input '{\"u\":1}'"),
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
    distributed = {**state, "Iterator": {**state["Iterator"], "ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                                                 "ExecutionType": "STANDARD"}}}
    execution = run(single(distributed), [1, 2])  # a distributed Map in the legacy field runs too
    assert (execution.output, len(execution.map_runs[0].executions)) == ([1, 2], 2)
    with pytest.raises(DefinitionError, match="ExecutionType"):
        load_definition(single({**state, "Iterator": {**state["Iterator"], "ProcessorConfig": {
            "Mode": "DISTRIBUTED"}}}))
