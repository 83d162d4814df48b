"""Differential tests: Baton's ASL executor against moto's Step Functions parser, and statelint.

moto (5.2.5) runs ASL with a vendored copy of LocalStack's interpreter, whose behaviour LocalStack
records against real AWS. Each control-flow-only machine below (no Task states) runs under both, and
status, output, error and cause must agree. Where moto is known to deviate from AWS, the test says so,
asserts AWS's documented behaviour for Baton and moto's current behaviour (so that a moto upgrade that
fixes it is noticed). moto sleeps for real between retries; the retrier's ``time`` module is replaced
with a recorder (see ../shared/notes/local-step-functions.md, 1.3).

statelint (the ``statelint`` CLI of the venv, given file paths) must accept every machine used here.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import types
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.asl import FakeClock, load_definition

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
retrier_decl = pytest.importorskip(
    "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl",
    reason="moto's Step Functions parser needs moto[stepfunctions] (antlr4, jsonpath-ng)")

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sf"
EXECUTION = "run-1"
STATELINT = Path(sys.executable).with_name("statelint")


@dataclass
class Outcome:
    status: str
    output: object
    error: str | None
    cause: str | None
    event_types: list[str]


class MotoStepFunctions:
    """Create a machine in moto, start one named execution, wait for its end."""

    def __init__(self, client, sleeps: list[float]):
        self.client = client
        self.sleeps = sleeps

    def run(self, machine_name: str, definition: dict, data) -> Outcome:
        arn = self.client.create_state_machine(name=machine_name, definition=json.dumps(definition),
                                               roleArn=ROLE)["stateMachineArn"]
        # Always name the execution: without a name moto's $$.Execution.Name is null.
        execution_arn = self.client.start_execution(stateMachineArn=arn, name=EXECUTION,
                                                    input=json.dumps(data))["executionArn"]
        deadline = time.monotonic() + 30
        while True:
            described = self.client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            assert time.monotonic() < deadline, f"moto execution of {machine_name} did not finish in 30 s"
            time.sleep(0.005)
        events = self.client.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        output = described.get("output")
        return Outcome(described["status"], json.loads(output) if output is not None else None,
                       described.get("error"), described.get("cause"), [event["type"] for event in events])


@pytest.fixture(scope="module")
def moto_sfn():
    sleeps: list[float] = []
    patch = pytest.MonkeyPatch()
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        patch.setenv(variable, "testing")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto's retrier calls time.sleep(interval): record the intervals instead of waiting.
    patch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=sleeps.append))
    logging.disable(logging.CRITICAL)  # moto logs huge ERROR dumps for every Fail or caught error
    try:
        with moto.mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            yield MotoStepFunctions(boto3.client("stepfunctions", region_name=REGION), sleeps)
    finally:
        logging.disable(logging.NOTSET)
        patch.undo()


def run_baton(machine_name: str, definition: dict, data) -> tuple[Outcome, FakeClock]:
    clock = FakeClock()
    execution = load_definition(definition, name=machine_name).execute(data, name=EXECUTION, clock=clock)
    return Outcome(execution.status, execution.output, execution.error, execution.cause,
                   [event["type"] for event in execution.history]), clock


def both(moto_sfn: MotoStepFunctions, machine_name: str, definition: dict, data) -> tuple[Outcome, Outcome]:
    moto_sfn.sleeps.clear()
    return run_baton(machine_name, definition, data)[0], moto_sfn.run(machine_name, definition, data)


def pass_result(value) -> dict:
    return {"Type": "Pass", "Result": value, "ResultPath": "$.route", "End": True}


# --- machines: name -> (definition, inputs) ------------------------------------------------------------------

MACHINES: dict[str, tuple[dict, list]] = {
    "paths": ({"StartAt": "Shape", "States": {
        "Shape": {"Type": "Pass", "InputPath": "$.order", "ResultPath": "$.shaped", "Next": "Defaults",
                  "Parameters": {"id.$": "$.id", "skus.$": "$.lines[*].sku", "first.$": "$.lines[0]",
                                 "deep.$": "$..qty", "fixed": {"nested": [1, {"k": "v"}], "id.$": "$.id"}}},
        "Defaults": {"Type": "Pass", "Result": {"region": "eu", "retries": 2}, "ResultPath": "$.config.defaults",
                     "Next": "Keep"},
        "Keep": {"Type": "Pass", "Result": "ignored", "ResultPath": None, "Next": "Trim"},
        "Trim": {"Type": "Pass", "OutputPath": "$.shaped", "End": True}}},
        [{"order": {"id": "o-1", "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}, "other": True}]),
    "intrinsics": ({"StartAt": "Build", "States": {"Build": {"Type": "Pass", "End": True, "Parameters": {
        "greeting.$": "States.Format('Hello, {}! You have {} items', $.name, $.count)",
        "parsed.$": "States.StringToJson($.json)",
        "text.$": "States.JsonToString($.obj)",
        "array.$": "States.Array('a', 1, $.obj, true)",
        "chunks.$": "States.ArrayPartition($.nums, 4)",
        "has5.$": "States.ArrayContains($.nums, 5)",
        "hasObj.$": "States.ArrayContains($.objs, $.obj)",
        "range.$": "States.ArrayRange(1, 9, 2)",
        "sixth.$": "States.ArrayGetItem($.nums, 5)",
        "length.$": "States.ArrayLength($.nums)",
        "unique.$": "States.ArrayUnique($.dups)",
        "b64.$": "States.Base64Encode($.name)",
        "decoded.$": "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
        "sha256.$": "States.Hash($.name, 'SHA-256')",
        "md5.$": "States.Hash($.name, 'MD5')",
        "sha512.$": "States.Hash($.json, 'SHA-512')",
        "merged.$": "States.JsonMerge($.obj, $.obj2, false)",
        "sum.$": "States.MathAdd($.count, -1)",
        "parts.$": "States.StringSplit($.csv, ',')",
        "nested.$": "States.ArrayLength(States.StringSplit($.csv, ','))",
        "key.$": "States.Format('raw/{}/part-{}.json', $$.Execution.Name, States.MathAdd($.count, 1))",
        "executionName.$": "$$.Execution.Name",
        "executionId.$": "$$.Execution.Id",
        "machine.$": "$$.StateMachine.Name",
        "machineId.$": "$$.StateMachine.Id",
        "state.$": "$$.State.Name",
        "fromInput.$": "$$.Execution.Input.name"}}}},
        [{"name": "Arnav", "count": 3, "json": "{\"a\": [1, 2], \"b\": null}", "obj": {"k": "v", "n": 1},
          "obj2": {"n": 2, "m": 3}, "nums": [1, 2, 3, 4, 5, 6, 7, 8, 9], "dups": [1, 2, 2, "a", "a", 3],
          "objs": [{"n": 1, "k": "v"}], "csv": "x,y,,z"}]),
    "choice_compare": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Other", "Choices": [
            {"Variable": "$.kind", "StringEquals": "csv", "Next": "Csv"},
            {"Variable": "$.size", "NumericGreaterThanEquals": 100, "Next": "Big"},
            {"Variable": "$.size", "NumericLessThanPath": "$.limit", "Next": "Small"},
            {"Variable": "$.name", "StringGreaterThan": "m", "Next": "LateName"},
            {"Variable": "$.name", "StringLessThanEqualsPath": "$.kind", "Next": "EarlyName"},
            {"Variable": "$.flag", "BooleanEquals": True, "Next": "Flagged"},
            {"Variable": "$.size", "NumericEqualsPath": "$.limit", "Next": "AtLimit"}]},
        **{name: pass_result(name) for name in
           ("Csv", "Big", "Small", "LateName", "EarlyName", "Flagged", "AtLimit", "Other")}}},
        [{"kind": "csv", "size": 1, "limit": 0, "name": "a", "flag": False},
         {"kind": "json", "size": 150, "limit": 0, "name": "a", "flag": False},
         {"kind": "json", "size": 5, "limit": 10, "name": "a", "flag": False},
         {"kind": "json", "size": 50, "limit": 10, "name": "zed", "flag": False},
         {"kind": "json", "size": 50, "limit": 10, "name": "j", "flag": False},
         {"kind": "json", "size": 50, "limit": 10, "name": "k", "flag": True},
         {"kind": "json", "size": 10.0, "limit": 10, "name": "k", "flag": "true"},
         {"kind": "json", "size": "150", "limit": "200", "name": 5, "flag": 1}]),
    "choice_logic": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Minor", "Choices": [
            {"And": [{"Variable": "$.user", "IsPresent": True},
                     {"Variable": "$.user.age", "NumericGreaterThanEquals": 18},
                     {"Not": {"Variable": "$.user.banned", "BooleanEquals": True}}], "Next": "Adult"},
            {"Or": [{"Variable": "$.user", "IsPresent": False},
                    {"Variable": "$.user.guardian", "IsString": True}], "Next": "Guarded"}]},
        **{name: pass_result(name) for name in ("Adult", "Guarded", "Minor")}}},
        [{"user": {"age": 20, "banned": False, "guardian": None}}, {},
         {"user": {"age": 10, "banned": False, "guardian": "mom"}},
         {"user": {"age": 10, "banned": False, "guardian": None}},
         {"user": {"age": 30, "banned": True, "guardian": 1}}]),
    "choice_timestamps": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Late", "Choices": [
            {"Variable": "$.ts", "TimestampEquals": "2024-01-01T00:00:00Z", "Next": "Exact"},
            {"Variable": "$.ts", "TimestampLessThanPath": "$.deadline", "Next": "Early"},
            {"Variable": "$.ts", "TimestampGreaterThanEquals": "2030-01-01T00:00:00Z", "Next": "Future"},
            {"Variable": "$.ts", "IsTimestamp": False, "Next": "NotATimestamp"}]},
        **{name: pass_result(name) for name in ("Exact", "Early", "Future", "NotATimestamp", "Late")}}},
        [{"ts": "2024-01-01T00:00:00Z", "deadline": "2020-01-01T00:00:00Z"},
         {"ts": "2024-05-01T00:00:00Z", "deadline": "2024-06-01T00:00:00Z"},
         {"ts": "2031-01-01T00:00:00Z", "deadline": "2020-01-01T00:00:00Z"},
         {"ts": "yesterday", "deadline": "2020-01-01T00:00:00Z"},
         {"ts": "2025-01-01T00:00:00Z", "deadline": "2024-01-01T00:00:00Z"}]),
    "choice_matches": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Other", "Choices": [
            {"Variable": "$.file", "StringMatches": "log-*.txt", "Next": "Log"},
            {"Variable": "$.file", "StringMatches": "*.csv", "Next": "Csv"}]},
        **{name: pass_result(name) for name in ("Log", "Csv", "Other")}}},
        [{"file": "log-2024.txt"}, {"file": "axb"}, {"file": "data.csv"}, {"file": 7}]),
    "choice_types": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Other", "Choices": [
            {"Variable": "$.v", "IsNull": True, "Next": "Null"},
            {"Variable": "$.v", "IsNumeric": True, "Next": "Number"},
            {"Variable": "$.v", "IsBoolean": True, "Next": "Boolean"},
            {"Variable": "$.v", "IsString": True, "Next": "String"}]},
        **{name: pass_result(name) for name in ("Null", "Number", "Boolean", "String", "Other")}}},
        [{"v": None}, {"v": 3.5}, {"v": True}, {"v": "x"}, {"v": [1]}, {"v": {"a": 1}}]),
    "parallel": ({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Parameters": {"n.$": "$.n", "tag": "t"}, "ResultPath": "$.results",
                "ResultSelector": {"all.$": "$", "count.$": "States.ArrayLength($)"}, "Next": "Done",
                "Branches": [
                    {"StartAt": "Check", "States": {
                        "Check": {"Type": "Choice", "Default": "Low", "Choices": [
                            {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "High"}]},
                        "High": {"Type": "Pass", "Result": "high", "End": True},
                        "Low": {"Type": "Pass", "Result": "low", "End": True}}},
                    {"StartAt": "Pause", "States": {
                        "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Echo"},
                        "Echo": {"Type": "Pass", "Parameters": {"seen.$": "$.n", "tag.$": "$.tag"}, "End": True}}}]},
        "Done": {"Type": "Succeed", "OutputPath": "$.results"}}},
        [{"n": 9}, {"n": 1}]),
    "map": ({"StartAt": "PerOrder", "States": {
        "PerOrder": {"Type": "Map", "ItemsPath": "$.orders", "MaxConcurrency": 1, "ResultPath": "$.bands",
                     "End": True,
                     "ItemSelector": {"index.$": "$$.Map.Item.Index", "order.$": "$$.Map.Item.Value",
                                      "currency.$": "$.currency"},
                     "ItemProcessor": {"StartAt": "Size", "States": {
                         "Size": {"Type": "Choice", "Default": "Small", "Choices": [
                             {"Variable": "$.order.total", "NumericGreaterThan": 100, "Next": "Big"}]},
                         "Big": {"Type": "Pass", "End": True, "Parameters": {
                             "id.$": "$.order.id", "band": "big", "index.$": "$.index", "currency.$": "$.currency"}},
                         "Small": {"Type": "Pass", "End": True, "Parameters": {
                             "id.$": "$.order.id", "band": "small", "index.$": "$.index"}}}}}}},
        [{"currency": "EUR", "orders": [{"id": "a", "total": 500}, {"id": "b", "total": 5},
                                        {"id": "c", "total": 101}]},
         {"currency": "USD", "orders": []}]),
    "map_fail_catch": ({"StartAt": "Validate", "States": {
        "Validate": {"Type": "Map", "ItemsPath": "$.values", "ResultPath": "$.checked", "Next": "Done",
                     "Catch": [{"ErrorEquals": ["DQ.Negative"], "ResultPath": "$.dqError", "Next": "Correct"}],
                     "ItemProcessor": {"StartAt": "Sign", "States": {
                         "Sign": {"Type": "Choice", "Default": "Ok", "Choices": [
                             {"Variable": "$", "NumericLessThan": 0, "Next": "Negative"}]},
                         "Ok": {"Type": "Pass", "End": True},
                         "Negative": {"Type": "Fail", "Error": "DQ.Negative", "Cause": "negative value"}}}},
        "Correct": {"Type": "Pass", "Parameters": {"corrected": True, "error.$": "$.dqError.Error"},
                    "ResultPath": "$.correction", "Next": "Done"},
        "Done": {"Type": "Succeed"}}},
        [{"values": [1, 2, 3]}, {"values": [1, -1, 2]}]),
    "parallel_retry_catch": ({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Done",
                "Branches": [{"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": True}}},
                             {"StartAt": "Boom", "States": {
                                 "Boom": {"Type": "Fail", "Error": "Transient.Error", "Cause": "flaky"}}}],
                "Retry": [{"ErrorEquals": ["Other.Error"], "MaxAttempts": 5},
                          {"ErrorEquals": ["Transient.Error"], "IntervalSeconds": 1, "MaxAttempts": 2,
                           "BackoffRate": 3.0}],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Recovered"}]},
        "Recovered": {"Type": "Pass", "Result": "recovered", "ResultPath": "$.status", "Next": "Done"},
        "Done": {"Type": "Succeed"}}},
        [{"job": "x"}]),
    "catch_variants": ({"StartAt": "KeepInput", "States": {
        "KeepInput": {"Type": "Parallel", "Next": "Replace", "OutputPath": "$.never",
                      "Branches": [{"StartAt": "F1", "States": {"F1": {"Type": "Fail", "Error": "E1"}}}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Replace"}]},
        "Replace": {"Type": "Parallel", "Next": "Done",
                    "Branches": [{"StartAt": "F2", "States": {"F2": {"Type": "Fail", "Error": "E2", "Cause": "c2"}}}],
                    "Catch": [{"ErrorEquals": ["E1"], "Next": "Done"},
                              {"ErrorEquals": ["E2", "E3"], "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}},
        [{"in": 1}]),
    "fail": ({"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Stop", "Choices": [
            {"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}]},
        "Fine": {"Type": "Succeed"},
        "Stop": {"Type": "Fail", "Error": "Pipeline.Failed", "Cause": "no route"}}},
        [{"ok": True}, {"ok": False}]),
    "fail_paths": ({"StartAt": "Stop", "States": {
        "Stop": {"Type": "Fail", "ErrorPath": "$.error", "CausePath": "States.Format('stage {} failed', $.stage)"}}},
        [{"error": "Stage.Failed", "stage": "Conform"}]),
    "wait_succeed": ({"StartAt": "Zero", "States": {
        "Zero": {"Type": "Wait", "Seconds": 0, "Next": "FromPath"},
        "FromPath": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "End"},
        "End": {"Type": "Succeed", "InputPath": "$.payload", "OutputPath": "$.value"}}},
        [{"delay": 0, "payload": {"value": [1, 2]}}]),
    "map_of_parallels": ({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "End": True, "ItemsPath": "$.words",
                 "ItemProcessor": {"StartAt": "Both", "States": {
                     "Both": {"Type": "Parallel", "End": True, "ResultSelector": {"pair.$": "$"}, "Branches": [
                         {"StartAt": "Encode", "States": {"Encode": {"Type": "Pass", "End": True, "Parameters": {
                             "b64.$": "States.Base64Encode($)"}}}},
                         {"StartAt": "Split", "States": {"Split": {"Type": "Pass", "End": True, "Parameters": {
                             "letters.$": "States.ArrayLength(States.StringSplit($, 'a'))"}}}}]}}}}}},
        [{"words": ["banana", "kiwi"]}]),
}
CASES = [pytest.param(name, index, id=f"{name}-{index}") for name, (_, inputs) in MACHINES.items()
         for index in range(len(inputs))]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_baton_agrees_with_moto(moto_sfn, name, index):
    definition, inputs = MACHINES[name]
    baton, moto_outcome = both(moto_sfn, f"{name}-{index}", definition, inputs[index])
    assert (baton.status, baton.output, baton.error, baton.cause) == (
        moto_outcome.status, moto_outcome.output, moto_outcome.error, moto_outcome.cause)


def test_the_differential_machines_cover_every_outcome_they_should():
    """Guard against vacuous agreement: the inputs reach the routes and failures they were written for."""
    routes = {name: sorted({str(run_baton(name, MACHINES[name][0], data)[0].output.get("route"))
                            for data in MACHINES[name][1]})
              for name in ("choice_compare", "choice_logic", "choice_timestamps", "choice_matches", "choice_types")}
    assert routes == {
        "choice_compare": ["AtLimit", "Big", "Csv", "EarlyName", "Flagged", "LateName", "Other", "Small"],
        "choice_logic": ["Adult", "Guarded", "Minor"],
        "choice_timestamps": ["Early", "Exact", "Future", "Late", "NotATimestamp"],
        "choice_matches": ["Csv", "Log", "Other"],
        "choice_types": ["Boolean", "Null", "Number", "Other", "String"]}
    statuses = [run_baton(name, MACHINES[name][0], data)[0].status for name in ("fail", "map_fail_catch")
                for data in MACHINES[name][1]]
    assert statuses == ["SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_retry_counts_and_intervals_agree(moto_sfn):
    definition, inputs = MACHINES["parallel_retry_catch"]
    baton, clock = run_baton("retries", definition, inputs[0])
    moto_sfn.sleeps.clear()
    moto_outcome = moto_sfn.run("retries", definition, inputs[0])
    assert clock.sleeps == moto_sfn.sleeps == [1, 3]
    assert baton.event_types.count("ParallelStateStarted") == moto_outcome.event_types.count(
        "ParallelStateStarted") == 3
    assert baton.output == moto_outcome.output == {
        "job": "x", "error": {"Error": "Transient.Error", "Cause": "flaky"}, "status": "recovered"}


@pytest.mark.parametrize("name", ["paths", "choice_compare", "fail", "wait_succeed", "fail_paths"])
def test_history_event_types_agree_for_sequential_machines(moto_sfn, name):
    definition, inputs = MACHINES[name]
    for index, data in enumerate(inputs):
        baton, moto_outcome = both(moto_sfn, f"history-{name}-{index}", definition, data)
        assert baton.event_types == moto_outcome.event_types


@pytest.mark.parametrize(("name", "index"), [("parallel", 0), ("parallel", 1), ("map", 0), ("map", 1),
                                             ("map_fail_catch", 0), ("map_of_parallels", 0)])
def test_history_event_types_agree_as_multisets_for_concurrent_machines(moto_sfn, name, index):
    # moto runs branches and iterations in threads, so only the multiset of events is deterministic. (When an
    # iteration fails, moto's other threads run on while Baton stops at the failure: failing runs are left out.)
    definition, inputs = MACHINES[name]
    baton, moto_outcome = both(moto_sfn, f"multiset-{name}-{index}", definition, inputs[index])
    assert Counter(baton.event_types) == Counter(moto_outcome.event_types)


ASSIGNING = {"StartAt": "Remember", "States": {
    "Remember": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.res", "Next": "Route", "Assign": {
        "x.$": "$.r", "y": [1, {"z": "w"}], "name.$": "$$.State.Name", "s": "text",
        "f.$": "States.Format('{}!', $.r)"}},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": 5, "Next": "Fan"}], "Default": "Fan",
              "Assign": {"always": True, "input.$": "$"}},
    "Fan": {"Type": "Parallel", "Next": "Done", "ResultPath": "$.fan", "Assign": {"first.$": "$[0]"},
            "Branches": [{"StartAt": "Own", "States": {"Own": {"Type": "Pass", "Assign": {"mine": 1}, "End": True}}},
                         {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "E", "Cause": "c"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done",
                       "Assign": {"error.$": "$.Error", "cause.$": "$.Cause"}}]},
    "Done": {"Type": "Succeed"}}}


def run_moto_history(moto_sfn: MotoStepFunctions, name: str, definition: dict, data) -> list[dict]:
    arn = moto_sfn.client.create_state_machine(name=name, definition=json.dumps(definition),
                                               roleArn=ROLE)["stateMachineArn"]
    execution_arn = moto_sfn.client.start_execution(stateMachineArn=arn, name=EXECUTION,
                                                    input=json.dumps(data))["executionArn"]
    deadline = time.monotonic() + 30
    while moto_sfn.client.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"moto execution of {name} did not finish in 30 s"
        time.sleep(0.005)
    return moto_sfn.client.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def assigned(events: list[dict]) -> list[tuple[str, dict]]:
    return [(event["stateExitedEventDetails"]["name"], event["stateExitedEventDetails"]["assignedVariables"])
            for event in events if "assignedVariables" in event.get("stateExitedEventDetails", {})]


def test_assigned_variables_agree_with_moto(moto_sfn):
    # moto assigns variables (JSONPath Assign) but reads them only through its JSONata bridge, a JVM it downloads:
    # so only what each state assigns is compared here; reading them is in test_asl_jsonata.py.
    execution = load_definition(ASSIGNING).execute({"a": 5}, name=EXECUTION, clock=FakeClock())
    events = run_moto_history(moto_sfn, "assigning", ASSIGNING, {"a": 5})
    assert execution.status == "SUCCEEDED"
    assert assigned(execution.history) == assigned(events)
    assert [name for name, _ in assigned(execution.history)] == ["Remember", "Route", "Own", "Fan"]


# --- where moto deviates from AWS -------------------------------------------------------------------------------


def test_definite_path_through_an_index_is_a_value(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$.arr[0].val"},
                                                   "End": True}}}
    baton, moto_outcome = both(moto_sfn, "dev-index", definition, {"arr": [{"val": "one"}]})
    # AWS (Jayway JsonPath): a definite path yields the value. moto returns ["one"] (its fix of moto issue #7825).
    assert baton.output == {"v": "one"}
    assert moto_outcome.output == {"v": ["one"]}


def test_filter_without_matches_is_an_empty_list(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                   "Parameters": {"n.$": "$.arr[?(@.val == 'zzz')].n"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-filter", definition, {"arr": [{"val": "one", "n": 1}]})
    # AWS yields [] for an indefinite path without matches; moto fails the execution (moto issue #10078).
    assert (baton.status, baton.output) == ("SUCCEEDED", {"n": []})
    assert moto_outcome.status == "FAILED"


def test_choice_on_a_missing_variable_fails_with_states_runtime(moto_sfn):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "D", "Choices": [
            {"Variable": "$.missing", "StringEquals": "x", "Next": "D"}]},
        "D": {"Type": "Succeed"}}}
    baton, moto_outcome = both(moto_sfn, "dev-missing-variable", definition, {})
    # AWS: "Invalid path '$.missing': The choice state's condition path references an invalid value."
    # (States.Runtime; IsPresent exists to test for it). moto treats the rule as not matching.
    assert (baton.status, baton.error) == ("FAILED", "States.Runtime")
    assert moto_outcome.status == "SUCCEEDED"


def test_choice_without_a_match_and_default_is_no_choice_matched(moto_sfn):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "StringEquals": "x", "Next": "D"}]},
        "D": {"Type": "Succeed"}}}
    baton, moto_outcome = both(moto_sfn, "dev-no-choice", definition, {"v": "y"})
    # AWS documents States.NoChoiceMatched; moto raises a RuntimeError that surfaces as States.Runtime.
    assert (baton.status, baton.error) == ("FAILED", "States.NoChoiceMatched")
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")


def test_states_errors_from_a_branch_reach_the_parallel_catchers(moto_sfn):
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"}}}],
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}]},
        "H": {"Type": "Pass", "End": True}}}
    baton, moto_outcome = both(moto_sfn, "dev-branch-states-error", definition, {"v": 2})
    # AWS: States.TaskFailed matches every error but States.Timeout, so the branch's NoChoiceMatched is caught.
    # moto re-raises a branch's error as a custom error name and crashes on the "States." prefix.
    assert (baton.status, baton.output) == ("SUCCEEDED", {"Error": "States.NoChoiceMatched",
                                                          "Cause": baton.output["Cause"]})
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")
    assert "Custom Error Names MUST NOT begin with the prefix 'States.'" in moto_outcome.cause


def test_runtime_error_in_a_branch_is_not_caught(moto_sfn):
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
              "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.nope", "End": True}}}]},
        "H": {"Type": "Pass", "End": True}}}
    baton, moto_outcome = both(moto_sfn, "dev-branch-runtime", definition, {})
    # Both fail with States.Runtime (AWS: "A retry or catch on States.ALL won't catch States.Runtime errors"),
    # but moto only gets there by crashing; its cause is its own ValueError, not the path error.
    assert (baton.status, baton.error) == (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")
    assert "Invalid path '$.nope'" in baton.cause
    assert "Custom Error Names MUST NOT begin" in moto_outcome.cause


def test_result_path_into_a_non_object_is_result_path_match_failure(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": True}}}
    baton, moto_outcome = both(moto_sfn, "dev-result-path", definition, {"a": "text"})
    # AWS names this error States.ResultPathMatchFailure; moto fails with States.Runtime (a Python TypeError).
    assert (baton.status, baton.error) == ("FAILED", "States.ResultPathMatchFailure")
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")


def test_intrinsic_failures_are_states_intrinsic_failure(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                   "Parameters": {"x.$": "States.StringToJson($.s)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-intrinsic", definition, {"s": "{bad"})
    # AWS's error for a failing intrinsic is States.IntrinsicFailure; moto reports States.Runtime.
    assert (baton.status, baton.error) == ("FAILED", "States.IntrinsicFailure")
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")


def test_intrinsic_string_escapes_and_null_arguments(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
        "quote.$": "States.Format('it\\'s {}', $.name)",
        "backslash.$": "States.Format('a \\\\ b {}', $.name)",
        "array.$": "States.Array(1, null)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-escapes", definition, {"name": "N"})
    # AWS docs: \' is ', \\ is \ in intrinsic string literals, and null is a valid argument.
    # moto's grammar mangles escapes and drops null.
    assert baton.output == {"quote": "it's N", "backslash": "a \\ b N", "array": [1, None]}
    assert moto_outcome.output == {"quote": "it\\\\", "backslash": "a \\\\\\\\ b N", "array": [1]}


def test_format_renders_object_arguments_java_style(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                   "Parameters": {"x.$": "States.Format('{}', $.o)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-format-object", definition, {"o": {"a": 1}})
    # The ASL spec says a States.Format argument "MUST NOT be a JSON array or object", but AWS (and moto)
    # render it as Java prints a map.
    assert baton.output == moto_outcome.output == {"x": "{a=1}"}


def test_array_range_accepts_a_negative_step(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                   "Parameters": {"x.$": "States.ArrayRange(5, 1, -2)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-range", definition, {})
    # AWS docs: "You must specify a non-zero value for the third argument"; moto requires a positive step.
    assert baton.output == {"x": [5, 3, 1]}
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")


def test_map_item_context_only_in_item_selector(moto_sfn):
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "X", "States": {"X": {"Type": "Pass", "Parameters": {"i.$": "$$.Map.Item.Index"},
                                         "End": True}}}}}}
    baton, moto_outcome = both(moto_sfn, "dev-map-context", definition, [5, 6])
    # AWS docs: Map.Item "is available only in a Map state and can be specified in the ItemSelector field";
    # moto keeps it in the context object of the iteration's states too.
    assert (baton.status, baton.error) == ("FAILED", "States.Runtime")
    assert moto_outcome.output == [{"i": 0}, {"i": 1}]


def test_context_times_are_step_functions_timestamps(moto_sfn):
    entered = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                "Parameters": {"entered.$": "$$.State.EnteredTime"}}}}
    started = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                "Parameters": {"started.$": "$$.Execution.StartTime"}}}}
    # AWS writes "2019-03-26T20:14:13.192Z" (UTC, milliseconds, trailing zeros dropped).
    assert run_baton("dev-entered", entered, {})[0].output == {"entered": "2024-01-01T00:00:00Z"}
    assert run_baton("dev-started", started, {})[0].output == {"started": "2024-01-01T00:00:00Z"}
    # moto writes EnteredTime as Python isoformat ("...+00:00", microseconds) and keeps StartTime a datetime,
    # which its DescribeExecution then fails to serialize.
    assert moto_sfn.run("dev-entered", entered, {}).output["entered"].endswith("+00:00")
    with pytest.raises(TypeError, match="not JSON serializable"):
        moto_sfn.run("dev-started", started, {})


@pytest.mark.parametrize(("kind", "deadline"), [("fraction", "2024-06-01T00:00:00.000Z"),
                                                ("offset", "2024-06-01T00:00:00+02:00")])
def test_choice_timestamps_with_fractions_or_offsets(moto_sfn, kind, deadline):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "No", "Choices": [
            {"Variable": "$.ts", "TimestampLessThanPath": "$.deadline", "Next": "Yes"}]},
        "Yes": pass_result("yes"), "No": pass_result("no")}}
    data = {"ts": "2024-05-01T00:00:00Z", "deadline": deadline}
    baton, moto_outcome = both(moto_sfn, f"dev-timestamp-{kind}", definition, data)
    # AWS: RFC 3339 timestamps, "an uppercase Z must denote that a numeric time zone offset is not present",
    # fractional seconds allowed. moto parses only "%Y-%m-%dT%H:%M:%SZ" and crashes on the path operand.
    assert baton.output == {**data, "route": "yes"}
    assert (moto_outcome.status, moto_outcome.error) == ("FAILED", "States.Runtime")


def test_string_matches_escaped_star(moto_sfn):
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "No", "Choices": [
            {"Variable": "$.file", "StringMatches": "a\\*b", "Next": "Yes"}]},
        "Yes": pass_result("yes"), "No": pass_result("no")}}
    baton, moto_outcome = both(moto_sfn, "dev-escaped-star", definition, {"file": "a*b"})
    # AWS docs: "\\*" in StringMatches matches a literal asterisk; moto does not match it.
    assert baton.output == {"file": "a*b", "route": "yes"}
    assert moto_outcome.output == {"file": "a*b", "route": "no"}


def test_string_output_is_json_encoded(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "End": True}}}
    baton, _ = run_baton("dev-string-output", definition, {})
    assert baton.output == "done"
    # DescribeExecution's output is JSON text ("\"done\""); moto returns the bare string.
    with pytest.raises(json.JSONDecodeError):
        moto_sfn.run("dev-string-output", definition, {})


# --- statelint --------------------------------------------------------------------------------------------------

DEVIATION_MACHINES = {
    "array-index": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$.arr[0].val"},
                                                     "End": True}}},
    "map-context": {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
        "ItemSelector": {"i.$": "$$.Map.Item.Index"}}}},
}


def statelint(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([str(STATELINT), *map(str, paths)], capture_output=True, text=True, timeout=60)


def test_statelint_accepts_every_differential_machine(tmp_path):
    paths = []
    for name, definition in [*((n, d) for n, (d, _) in MACHINES.items()), *DEVIATION_MACHINES.items()]:
        path = tmp_path / f"{name}.asl.json"
        path.write_text(json.dumps(definition))
        paths.append(path)
    result = statelint(paths)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(("change", "statelint_says"), [
    (lambda d: d["States"]["Route"].update(Default="Nowhere"), "Nowhere"),
    (lambda d: d["States"]["Stop"].update(Errors="typo"), "Errors"),
    (lambda d: d["States"].update(Orphan={"Type": "Succeed"}), "Orphan"),
])
def test_statelint_and_baton_both_reject_broken_machines(tmp_path, change, statelint_says):
    definition = json.loads(json.dumps(MACHINES["fail"][0]))
    change(definition)
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(definition))
    result = statelint([path])
    assert result.returncode != 0
    assert statelint_says in result.stdout
    with pytest.raises(ValueError, match=statelint_says):
        load_definition(definition)


def test_math_add_rounds_non_integers_half_up(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
        "up.$": "States.MathAdd($.a, $.b)", "negative.$": "States.MathAdd($.c, 0)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-math-add-round", definition, {"a": 1.49, "b": 1.5, "c": -1.5})
    # AWS docs: a non-integer argument is rounded to the nearest integer (Java's Math.round, halves up).
    # Paths, not literals: moto's parser fails on a float literal argument.
    assert baton.output == moto_outcome.output == {"up": 3, "negative": -1}


def test_format_renders_arrays_java_style(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                   "Parameters": {"x.$": "States.Format('{}', $.a)"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-format-array", definition, {"a": [1, "b", {"c": []}]})
    assert baton.output == moto_outcome.output == {"x": "[1, b, {c=[]}]"}


def test_the_state_context_of_a_pass_state_has_no_retry_count(moto_sfn):
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {"s.$": "$$.State"}}}}
    baton, moto_outcome = both(moto_sfn, "dev-state-context", definition, {})
    assert sorted(baton.output["s"]) == sorted(moto_outcome.output["s"]) == ["EnteredTime", "Name"]


def test_a_negative_seconds_path_has_the_aws_cause(moto_sfn):
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    baton, moto_outcome = both(moto_sfn, "dev-wait-negative", definition, {"s": -1})
    assert (baton.error, baton.cause) == (moto_outcome.error, moto_outcome.cause) == (
        "States.Runtime", "An error occurred while executing the state 'W' (entered at the event id #2). "
                          "The SecondsPath parameter references a negative value: $.s == -1")


@pytest.mark.parametrize(("name", "wait", "data"), [
    ("seconds-missing", {"SecondsPath": "$.s"}, {}), ("seconds-float", {"SecondsPath": "$.s"}, {"s": 1.5}),
    ("timestamp-missing", {"TimestampPath": "$.t"}, {}),  # moto writes the input with spaces, AWS compact
    ("timestamp-invalid", {"TimestampPath": "$.t"}, {"t": "tomorrow"})])
def test_wait_path_failures_have_the_same_causes(moto_sfn, name, wait, data):
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", **wait, "End": True}}}
    baton, moto_outcome = both(moto_sfn, f"dev-wait-{name}", definition, data)
    assert (baton.error, baton.cause) == (moto_outcome.error, moto_outcome.cause)


def test_a_matched_choice_rule_assigns_its_variables(moto_sfn):
    # AWS (Choice state page): a rule's Assign applies when it matches, the state's whichever rule matches.
    # moto applies only the state's.
    definition = {"StartAt": "Route", "States": {
        "Route": {"Type": "Choice", "Default": "Done", "Assign": {"always": True},
                  "Choices": [{"Variable": "$.a", "NumericEquals": 5, "Next": "Done", "Assign": {"hit.$": "$.a"}}]},
        "Done": {"Type": "Succeed"}}}
    execution = load_definition(definition).execute({"a": 5}, name=EXECUTION, clock=FakeClock())
    assert assigned(execution.history) == [("Route", {"always": "true", "hit": "5"})]
    assert assigned(run_moto_history(moto_sfn, "rule-assign", definition, {"a": 5})) == [("Route", {"always": "true"})]


# --- Distributed Map ---------------------------------------------------------------------------------------------
# moto 5.2.5 runs a Distributed Map (LocalStack's Map Run), reading ItemReader objects from moto's S3 in the same
# mock: Baton reads the same objects through baton.storage.S3Storage. moto's parser refuses ItemBatcher, crashes on
# an s3:listObjectsV2 reader (it cannot serialize LastModified) and ignores the tolerated failure thresholds: those
# are tested against the Developer Guide in test_asl_distributed.py.

DISTRIBUTED_BUCKET = "demo-bucket"


def distributed(processor: dict | None = None, **fields) -> dict:
    processor = processor or {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, **fields,
        "ItemProcessor": {**processor, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}}}}


@pytest.fixture(scope="module")
def moto_s3(moto_sfn):
    from baton.storage import S3Storage

    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=DISTRIBUTED_BUCKET)
    client.put_object(Bucket=DISTRIBUTED_BUCKET, Key="in/items.json", Body=b'[{"a": 1}, {"a": 2}, {"a": 3}]')
    client.put_object(Bucket=DISTRIBUTED_BUCKET, Key="in/items.csv", Body=b"x,y\n1,2\n3,4\n")
    return S3Storage(DISTRIBUTED_BUCKET, client=client)


def run_distributed(moto_sfn, moto_s3, name, definition, data) -> tuple[Outcome, Outcome]:
    execution = load_definition(definition, name=name).execute(data, name=EXECUTION, clock=FakeClock(),
                                                               buckets={DISTRIBUTED_BUCKET: moto_s3})
    baton = Outcome(execution.status, execution.output, execution.error, execution.cause,
                    [event["type"] for event in execution.history])
    return baton, moto_sfn.run(name, definition, data)


def reader(input_type: str, key: str, **config) -> dict:
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type, **config},
            "Parameters": {"Bucket": DISTRIBUTED_BUCKET, "Key": key}}


DISTRIBUTED_MACHINES = {
    "items-selector": (distributed(ItemsPath="$.items", ItemSelector={
        "index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"}),
        {"tag": "t", "items": [1, {"k": "v"}]}),
    "json-reader": (distributed(ItemReader=reader("JSON", "in/items.json")), {}),
    "json-reader-max": (distributed(ItemReader=reader("JSON", "in/items.json", MaxItems=2)), {}),
    "csv-reader": (distributed(ItemReader=reader("CSV", "in/items.csv", CSVHeaderLocation="FIRST_ROW")), {}),
    "child-context": (distributed({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Parameters": {
        "state.$": "$$.State.Name", "item.$": "$"}}}}), [5]),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTED_MACHINES))
def test_distributed_maps_agree_with_moto(moto_sfn, moto_s3, name):
    definition, data = DISTRIBUTED_MACHINES[name]
    baton, moto_outcome = run_distributed(moto_sfn, moto_s3, f"dmap-{name}", definition, data)
    assert (baton.status, baton.output, baton.error) == (moto_outcome.status, moto_outcome.output,
                                                         moto_outcome.error)
    assert baton.event_types == moto_outcome.event_types


def test_the_map_run_arn_carries_the_label_as_in_moto(moto_sfn, moto_s3):
    definition = distributed(Label="Labelled")
    events = run_moto_history(moto_sfn, "dmap-label", definition, [1])
    execution = load_definition(definition, name="dmap-label").execute([1], name=EXECUTION, clock=FakeClock())
    moto_arn = next(e["mapRunStartedEventDetails"]["mapRunArn"] for e in events if e["type"] == "MapRunStarted")
    assert moto_arn.rsplit(":", 1)[0] == execution.map_runs[0].arn.rsplit(":", 1)[0] == (
        "arn:aws:states:us-east-1:123456789012:mapRun:dmap-label/Labelled")


def test_the_result_writer_output_and_manifest_have_moto_s_shape(moto_sfn, moto_s3):
    # moto writes only manifest.json, listing no result file: Baton also writes SUCCEEDED_0.json, as AWS does.
    definition = distributed(ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                           "Parameters": {"Bucket": DISTRIBUTED_BUCKET, "Prefix": "out"}})
    baton, moto_outcome = run_distributed(moto_sfn, moto_s3, "dmap-writer", definition, [1, 2])
    for outcome in (baton, moto_outcome):
        run_id = outcome.output["MapRunArn"].rsplit(":", 1)[1]
        assert outcome.output["ResultWriterDetails"] == {"Bucket": DISTRIBUTED_BUCKET,
                                                         "Key": f"out/{run_id}/manifest.json"}
    manifests = [json.loads(moto_s3.read_bytes(outcome.output["ResultWriterDetails"]["Key"]))
                 for outcome in (baton, moto_outcome)]
    assert [sorted(m) for m in manifests] == [["DestinationBucket", "MapRunArn", "ResultFiles"]] * 2
    assert [sorted(m["ResultFiles"]) for m in manifests] == [["FAILED", "PENDING", "SUCCEEDED"]] * 2
    assert moto_outcome.event_types == baton.event_types


def test_a_failed_child_fails_the_map_run_where_moto_outputs_null(moto_sfn, moto_s3):
    # AWS (maprun-fail-threshold): without ToleratedFailure* any failed child fails the Map Run with
    # States.ExceedToleratedFailureThreshold. moto 5.2.5 succeeds and outputs null for the failed child.
    processor = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "c"}}}
    baton, moto_outcome = run_distributed(moto_sfn, moto_s3, "dmap-fail", distributed(processor), [1])
    assert (baton.status, baton.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert (moto_outcome.status, moto_outcome.output) == ("SUCCEEDED", [None])
