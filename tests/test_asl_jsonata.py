"""JSONata and variables in the local executor: the AWS Developer Guide's behaviours as a table of executions.

Each row is one behaviour the guide describes ("Transforming data with JSONata", "Passing data between
states with variables", the JSONata state fields, Choice rules, Catch), written as a small machine, its
input and what AWS documents as the outcome. A Task's handler echoes its arguments, so a row can show
what a task received.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from orchestration.asl import DefinitionError, FakeClock, load_definition

ECHO = "arn:aws:states:::lambda:invoke"


def run(definition: dict, input=None, **handlers):
    machine = load_definition(definition)
    return machine.execute(input if input is not None else {}, handlers={ECHO: lambda p, c: p, **handlers},
                           clock=FakeClock(), uuid_factory=lambda: "11111111-2222-3333-4444-555555555555")


def jsonata(*states: tuple[str, dict], **top) -> dict:
    """A JSONata machine of the given (name, state) pairs in order; the last ends."""
    names = [name for name, _ in states]
    body = {}
    for index, (name, state) in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in state and "End" not in state:
            state |= {"Next": names[index + 1]} if index + 1 < len(names) else {"End": True}
        body[name] = state
    return {"QueryLanguage": "JSONata", "StartAt": names[0], "States": body, **top}


def output(name: str, value) -> tuple[str, dict]:
    return name, {"Type": "Pass", "Output": value}


# (behaviour, definition, input, expected output)
SUCCEEDS = [
    ("Arguments: {% %} strings are evaluated, other strings (even '$customerName') are copied",
     jsonata(("Name", {"Type": "Pass", "Assign": {"customerName": "{% $states.input.customer %}"}}),
             ("Call", {"Type": "Task", "Resource": ECHO, "Arguments": {
                 "static": "Hello", "title": "{% $states.input.title %}", "name": "{% $customerName %}",
                 "not-evaluated": "$customerName"}})),
     {"title": "Doctor", "customer": "Ada"},
     {"static": "Hello", "title": "Doctor", "name": "Ada", "not-evaluated": "$customerName"}),
    ("Arguments may be one expression", jsonata(("Call", {"Type": "Task", "Resource": ECHO,
                                                         "Arguments": "{% $states.input.order %}"})),
     {"order": {"id": 7}}, {"id": 7}),
    ("a Task's output is its result by default", jsonata(("Call", {"Type": "Task", "Resource": ECHO,
                                                                  "Arguments": {"r": 1}})), {"x": 1}, {"r": 1}),
    ("a Pass state's output is its input by default", jsonata(("P", {"Type": "Pass"})), {"x": 1}, {"x": 1}),
    ("Output reads $states.result and $states.input",
     jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": {"n": 2},
                       "Output": {"sum": "{% $states.result.n + $states.input.n %}"}})), {"n": 40}, {"sum": 42}),
    ("Output may be any JSON value", jsonata(output("P", [1, "{% $states.input.a %}", None])), {"a": "x"},
     [1, "x", None]),
    ("$states.context: the execution input and the state's name",
     jsonata(output("Here", {"in": "{% $states.context.Execution.Input.a %}",
                             "state": "{% $states.context.State.Name %}"})), {"a": 1}, {"in": 1, "state": "Here"}),
    ("Assign is visible from the next state on; Output in the same state reads the old value",
     jsonata(("First", {"Type": "Pass", "Assign": {"x": 1}}),
             ("Second", {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}"}, "Output": {"old": "{% $x %}"}}),
             output("Third", {"new": "{% $x %}", "seen": "{% $states.input.old %}"})),
     {}, {"new": 2, "seen": 1}),
    ("every expression of an Assign reads the values from before it: a swap works",
     jsonata(("Set", {"Type": "Pass", "Assign": {"x": "a", "y": "b"}}),
             ("Swap", {"Type": "Pass", "Assign": {"x": "{% $y %}", "y": "{% $x %}"}}),
             output("Show", ["{% $x %}", "{% $y %}"])), {}, ["b", "a"]),
    ("Assign and Output of a Task both read $states.result",
     jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": {"id": 9},
                       "Assign": {"id": "{% $states.result.id %}"}, "Output": "{% $states.result.id * 2 %}"}),
             output("Show", {"id": "{% $id %}", "in": "{% $states.input %}"})), {}, {"id": 9, "in": 18}),
    ("Parallel branches read the variables around them and return data through their output",
     jsonata(("Set", {"Type": "Pass", "Assign": {"base": 10}}),
             ("Fan", {"Type": "Parallel", "Branches": [
                 {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Output": "{% $base + 1 %}", "End": True}}},
                 {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "Assign": {"own": 2},
                                                     "Next": "B3"},
                                              "B3": {"Type": "Pass", "Output": "{% $base + $own %}",
                                                     "End": True}}}]})), {}, [11, 12]),
    ("Map: Items, ItemSelector with $states.context.Map.Item, iterations reading outer variables",
     jsonata(("Set", {"Type": "Pass", "Assign": {"factor": 10}}),
             ("Each", {"Type": "Map", "Items": "{% $states.input.values %}",
                       "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}",
                                        "v": "{% $states.context.Map.Item.Value %}"},
                       "ItemProcessor": {"StartAt": "Scale", "States": {"Scale": {
                           "Type": "Pass", "Output": "{% $states.input.v * $factor + $states.input.i %}",
                           "End": True}}}})),
     {"values": [1, 2, 3]}, [10, 21, 32]),
    ("Map Items may be a literal array", jsonata(("Each", {"Type": "Map", "Items": [1, 2], "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}})), {}, [1, 2]),
    ("Choice: the first rule whose Condition is true, with its Assign and Output",
     jsonata(("Route", {"Type": "Choice", "Choices": [
         {"Condition": "{% $states.input.n > 10 %}", "Next": "Big"},
         {"Condition": "{% $states.input.n > 1 %}", "Next": "Small", "Assign": {"size": "small"},
          "Output": {"n": "{% $states.input.n %}"}}], "Default": "Big"}),
             output("Big", "big"), output("Small", {"size": "{% $size %}", "in": "{% $states.input %}"})),
     {"n": 5}, {"size": "small", "in": {"n": 5}}),
    ("Choice: the state's Assign applies whichever rule matches, the rule's too (and wins on a name)",
     jsonata(("Route", {"Type": "Choice", "Choices": [{"Condition": True, "Next": "End", "Assign": {"b": "rule"}}],
                        "Assign": {"a": "state", "b": "state"}, "Output": "{% $states.input.n %}"}),
             output("End", {"a": "{% $a %}", "b": "{% $b %}", "in": "{% $states.input %}"})), {"n": 3},
     {"a": "state", "b": "rule", "in": 3}),
    ("Choice: Default takes the state's Assign and Output",
     jsonata(("Route", {"Type": "Choice", "Choices": [{"Condition": False, "Next": "End"}], "Default": "End",
                        "Assign": {"why": "default"}, "Output": "{% $states.input.n %}"}),
             output("End", {"why": "{% $why %}", "in": "{% $states.input %}"})), {"n": 3}, {"why": "default", "in": 3}),
    ("Wait: Seconds and Timestamp may be expressions",
     jsonata(("W1", {"Type": "Wait", "Seconds": "{% $states.input.s %}"}),
             ("W2", {"Type": "Wait", "Timestamp": "{% $states.input.t %}"})),
     {"s": 5, "t": "2020-01-01T00:00:00Z"}, {"s": 5, "t": "2020-01-01T00:00:00Z"}),
    ("Catch: Output reads $states.errorOutput (the default output), Assign keeps it for later",
     jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": {"x": "{% $states.input.missing %}"},
                       "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Handled",
                                  "Assign": {"failure": "{% $states.errorOutput.Error %}"},
                                  "Output": {"input": "{% $states.input %}"}}]}),
             output("Handled", {"failure": "{% $failure %}", "in": "{% $states.input %}"})),
     {"a": 1}, {"failure": "States.QueryEvaluationError", "in": {"input": {"a": 1}}}),
    ("Catch without Output passes the error output on",
     jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": "{% $error('boom') %}",
                       "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]}),
             output("Handled", "{% $states.input.Error %}")), {}, "States.QueryEvaluationError"),
    ("$partition", jsonata(output("P", "{% $partition([1,2,3,4], 2) %}")), {}, [[1, 2], [3, 4]]),
    ("$range", jsonata(output("P", "{% $range(0, 10, 2) %}")), {}, [0, 2, 4, 6, 8, 10]),
    ("$hash", jsonata(output("P", "{% $hash('input data', 'SHA-256') %}")), {},
     hashlib.sha256(b"input data").hexdigest()),
    ("$random(seed) is the same number for the same seed",
     jsonata(output("P", "{% $random(7) = $random(7) and $random() >= 0 and $random() < 1 %}")), {}, True),
    ("$uuid", jsonata(output("P", "{% $uuid() %}")), {}, "11111111-2222-3333-4444-555555555555"),
    ("$parse", jsonata(output("P", "{% $parse($states.input.json_string) %}")),
     {"json_string": "{\"key\": \"value\"}"}, {"key": "value"}),
    ("JSONata built-ins", jsonata(output("P", "{% $sum($states.input.prices) & ' ' & $uppercase('eur') %}")),
     {"prices": [1, 2.5]}, "3.5 EUR"),
    ("a JSONata state in a JSONPath machine", {"StartAt": "J", "States": {
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"v": 1}, "Output": {"a": "{% $states.input.a %}"},
              "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"a.$": "$.a", "v.$": "$v"}, "End": True}}}, {"a": 2}, {"a": 2, "v": 1}),
    # JSONPath variables: "$name" paths wherever paths are read, Assign with name.$ keys
    ("JSONPath: Assign reads the state's result as $ (after ResultSelector), $$ the context",
     {"StartAt": "Call", "States": {
         "Call": {"Type": "Task", "Resource": ECHO, "Parameters": {"id": 4, "name": "n"},
                  "ResultSelector": {"ident.$": "$.id"}, "ResultPath": "$.r",
                  "Assign": {"id.$": "$.ident", "state.$": "$$.State.Name", "fixed": "yes"}, "Next": "Show"},
         "Show": {"Type": "Pass", "Parameters": {"id.$": "$id", "state.$": "$state", "fixed.$": "$fixed",
                                                 "r.$": "$.r", "text.$": "States.Format('id {}', $id)"},
                  "End": True}}},
     {}, {"id": 4, "state": "Call", "fixed": "yes", "r": {"ident": 4}, "text": "id 4"}),
    ("JSONPath: a Choice rule's Variable may be a variable, a rule may Assign",
     {"StartAt": "Set", "States": {
         "Set": {"Type": "Pass", "Assign": {"limit": 3}, "Next": "Route"},
         "Route": {"Type": "Choice", "Choices": [{"Variable": "$limit", "NumericGreaterThan": 2, "Next": "Done",
                                                  "Assign": {"routed": True}}], "Default": "Done"},
         "Done": {"Type": "Pass", "Parameters": {"routed.$": "$routed"}, "End": True}}}, {}, {"routed": True}),
    ("JSONPath: a catcher's Assign reads the error output as $",
     {"StartAt": "Fail", "States": {
         "Fail": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "Next": "Done",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Done",
                             "Assign": {"error.$": "$.Error"}}]},
         "Done": {"Type": "Pass", "Parameters": {"error.$": "$error", "kept.$": "$.kept"}, "End": True}}},
     {"kept": 1}, {"error": "States.TaskFailed", "kept": 1}),
    ("JSONPath: Map ItemsPath may be a variable",
     {"StartAt": "Set", "States": {
         "Set": {"Type": "Pass", "Assign": {"items": [1, 2]}, "Next": "Each"},
         "Each": {"Type": "Map", "ItemsPath": "$items", "ItemProcessor": {"StartAt": "I", "States": {
             "I": {"Type": "Pass", "End": True}}}, "End": True}}}, {}, [1, 2]),
]


def _failing_glue(parameters, context):
    raise RuntimeError("job failed")


@pytest.mark.parametrize(("definition", "input", "expected"), [row[1:] for row in SUCCEEDS],
                         ids=[row[0] for row in SUCCEEDS])
def test_documented_behaviour(definition, input, expected):
    execution = run(definition, input, **{"arn:aws:states:::glue:startJobRun.sync": _failing_glue})
    assert (execution.status, execution.error, execution.cause) == ("SUCCEEDED", None, None)
    assert execution.output == expected


# (behaviour, definition, input, error, words of the cause)
FAILS = [
    ("an expression that returns nothing (undefined)", jsonata(output("P", {"a": "{% $states.input.nope %}"})),
     {}, "States.QueryEvaluationError", "'$states.input.nope' specified for the field 'Output/a' returned nothing"),
    ("an expression that fails", jsonata(output("P", "{% $number('x') %}")), {}, "States.QueryEvaluationError",
     "$number('x')"),
    ("$eval is not available", jsonata(output("P", "{% $eval('1') %}")), {}, "States.QueryEvaluationError",
     "$eval is not available"),
    ("a Condition that is not a boolean", jsonata(("R", {"Type": "Choice", "Choices": [
        {"Condition": "{% $states.input.n %}", "Next": "E"}]}), ("E", {"Type": "Succeed"})), {"n": 1},
     "States.QueryEvaluationError", "must evaluate to a boolean"),
    ("Map Items that are not an array", jsonata(("M", {"Type": "Map", "Items": "{% $states.input %}",
                                                      "ItemProcessor": {"StartAt": "I", "States": {
                                                          "I": {"Type": "Pass", "End": True}}}})), {"a": 1},
     "States.QueryEvaluationError", "must be a JSON array"),
    ("Fail: Error and Cause may be expressions",
     jsonata(("F", {"Type": "Fail", "Error": "{% 'Bad' & $states.input.kind %}",
                    "Cause": "{% $string($states.input) %}"})),
     {"kind": "Input"}, "BadInput", "{\"kind\":\"Input\"}"),
    ("a branch cannot assign a variable of the scope around it",
     jsonata(("Set", {"Type": "Pass", "Assign": {"x": 1}}),
             ("Fan", {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {
                 "B": {"Type": "Pass", "Assign": {"x": 2}, "End": True}}}]})),
     {}, "States.Runtime", "cannot assign the variable 'x'"),
    ("no rule matched and no Default", jsonata(("R", {"Type": "Choice", "Choices": [
        {"Condition": False, "Next": "E"}]}), ("E", {"Type": "Succeed"})), {}, "States.NoChoiceMatched", "R"),
    ("a variable over 256 KiB", jsonata(("P", {"Type": "Pass", "Assign": {"big": "{% $pad('', 262145, 'x') %}"}})),
     {}, "States.DataLimitExceeded", "256 KiB"),
]


@pytest.mark.parametrize(("definition", "input", "error", "cause"), [row[1:] for row in FAILS],
                         ids=[row[0] for row in FAILS])
def test_documented_failure(definition, input, error, cause):
    execution = run(definition, input)
    assert (execution.status, execution.error) == ("FAILED", error)
    assert cause in execution.cause


def test_a_failed_expression_is_retried_and_caught_like_any_error():
    calls = []
    definition = jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": "{% $states.input.x %}",
                                   "Retry": [{"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 2}],
                                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]}),
                         ("Done", {"Type": "Succeed"}))
    execution = load_definition(definition).execute({}, handlers={ECHO: lambda p, c: calls.append(p)},
                                                    clock=FakeClock())
    assert execution.status == "SUCCEEDED" and calls == []
    assert not any(event["type"] == "TaskScheduled" for event in execution.history)
    assert (execution.stop_date - execution.start_date).total_seconds() == 1 + 2  # two retries, backoff 2
    assert execution.output["Error"] == "States.QueryEvaluationError"


def test_assigned_variables_are_recorded_in_the_state_exited_event():
    execution = run(jsonata(("P", {"Type": "Pass", "Assign": {"n": 1, "s": "x", "o": {"a": [1]}}})))
    exited = next(event for event in execution.history if event["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"n": "1", "s": "\"x\"", "o": "{\"a\":[1]}"}
    assert exited["stateExitedEventDetails"]["assignedVariablesDetails"] == {"truncated": False}


@pytest.mark.parametrize(("change", "path", "message"), [
    ({"Parameters": {"a": 1}}, "States.P.Parameters", "a JSONPath field"),
    ({"ResultPath": "$.a"}, "States.P.ResultPath", "a JSONPath field"),
    ({"InputPath": "$.a"}, "States.P.InputPath", "a JSONPath field"),
    ({"OutputPath": "$.a"}, "States.P.OutputPath", "a JSONPath field"),
    ({"Result": 1}, "States.P.Result", "a JSONPath field"),
    ({"Output": "{% 1 + %}"}, "States.P.Output", "invalid JSONata expression"),
    ({"Assign": {"states": 1}}, "States.P.Assign.states", "'states' is reserved"),
    ({"Assign": "{% {'a': 1} %}"}, "States.P.Assign", "must be an object"),
])
def test_jsonpath_fields_and_bad_expressions_are_refused_in_jsonata_states(change, path, message):
    with pytest.raises(DefinitionError) as refused:
        load_definition(jsonata(("P", {"Type": "Pass", **change})))
    assert refused.value.path == path and message in refused.value.message


def test_a_jsonata_choice_rule_needs_a_condition():
    definition = jsonata(("R", {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "E"}]}),
                         ("E", {"Type": "Succeed"}))
    with pytest.raises(DefinitionError, match="a JSONPath field"):
        load_definition(definition)


def test_an_item_reader_needs_a_distributed_processor_in_jsonata():
    definition = jsonata(("M", {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
                                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}))
    with pytest.raises(DefinitionError, match="only a distributed Map"):
        load_definition(definition)


def test_a_jsonpath_machine_does_not_load_the_jsonata_engine():
    script = ("import sys; from orchestration.asl import load_definition, FakeClock; "
              "m = load_definition({'StartAt': 'P', 'States': {'P': {'Type': 'Pass', 'Assign': {'a': 1}, "
              "'End': True}}}); "
              "m.execute({}, clock=FakeClock()); print('jsonatapy' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded.strip().lower()) is False


def test_a_failed_expression_is_recorded_once_as_an_evaluation_failed_event():
    definition = jsonata(("Call", {"Type": "Task", "Resource": ECHO, "Arguments": {"x": "{% $states.input.nope %}"},
                                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]}),
                         ("Done", {"Type": "Succeed"}))
    events = [event for event in run(definition).history if event["type"] == "EvaluationFailed"]
    assert [event["evaluationFailedEventDetails"] | {"cause": None} for event in events] == [
        {"error": "States.QueryEvaluationError", "cause": None, "location": "Arguments/x", "state": "Call"}]


def test_task_timeout_seconds_may_be_an_expression():
    definition = jsonata(("Call", {"Type": "Task", "Resource": ECHO, "TimeoutSeconds": "{% $states.input.limit %}",
                                   "Arguments": {}}))

    def slow(parameters, context):
        context.clock.sleep(10)
        return {}

    assert run(definition, {"limit": 5}, **{ECHO: slow}).error == "States.Timeout"
    assert run(definition, {"limit": 60}, **{ECHO: slow}).status == "SUCCEEDED"
    assert run(definition, {"limit": 0}, **{ECHO: slow}).error == "States.QueryEvaluationError"
