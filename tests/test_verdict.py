"""The verdict contract: one class owns its JSON form, and the state machine reads only what that form has."""

import json
import re

import pytest
from deployments import deployment

from orchestration.generate import QUERY_LANGUAGES, generate, generate_backfill
from orchestration.pipelines import PIPELINES
from quality.verdict import Verdict

DEPLOYMENT = deployment("s3://baton-prod-workflow")
# where the generated machine keeps a stage's verdict: $.quality.<Stage>.verdict, or $quality_<Stage>.verdict
VERDICT_READ = re.compile(r"(?:\$\.quality\.|\$quality_)[A-Za-z0-9_]+\.verdict((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")

MINIMAL = Verdict(passed=False, correctable=True, rows=10, failed_rows=2, correctable_rows=2,
                  failed_expectations=({"name": "id_unique", "type": "expect_column_values_to_be_unique",
                                        "onFail": "correct", "unexpectedCount": 2, "success": False},),
                  reason="2 of 10 rows failed only correctable expectations")


def states_of(machine: dict):
    """Every state of a definition, inside Parallel branches and Map processors too."""
    for state in machine["States"].values():
        yield state
        for branch in state.get("Branches", []):
            yield from states_of(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from states_of(state[key])


def rule_reads(rule: dict) -> list[str]:
    """The text a Choice rule reads: its Variable (JSONPath) or Condition (JSONata), nested rules too."""
    nested = [*rule.get("And", []), *rule.get("Or", []), *([rule["Not"]] if "Not" in rule else [])]
    own = [rule[k] for k in ("Variable", "Condition") if k in rule]
    return own + [text for item in nested for text in rule_reads(item)]


def definitions():
    for name, pipeline in PIPELINES.items():
        for language in QUERY_LANGUAGES:
            yield f"{name}-{language}", generate(pipeline, DEPLOYMENT, query_language=language)
        if pipeline.backfill is not None:
            yield f"{name}-backfill", generate_backfill(pipeline, DEPLOYMENT)


DEFINITIONS = dict(definitions())


def verdict_fields(texts) -> set[tuple[str, ...]]:
    return {tuple(match.group(1)[1:].split(".")) for text in texts for match in VERDICT_READ.finditer(text)}


def resolves(form: dict, keys: tuple[str, ...]) -> bool:
    value = form
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_verdict_path_the_choice_states_read_is_in_the_verdict(name):
    machine = DEFINITIONS[name]
    choices = [text for state in states_of(machine) if state["Type"] == "Choice"
               for rule in state["Choices"] for text in rule_reads(rule)]
    read = verdict_fields(choices)
    assert read, f"{name}: no Choice state reads a verdict"
    missing = [keys for keys in read if not resolves(MINIMAL.to_json(), keys)]
    assert not missing, f"{name}: the Choice states read {missing}, which Verdict.to_json() does not have"


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_verdict_path_the_definition_reads_is_in_the_verdict(name):
    """Beyond the Choice rules: the failure notification's cause reads the verdict's reason."""
    read = verdict_fields([json.dumps(DEFINITIONS[name])])
    missing = [keys for keys in read if not resolves(MINIMAL.to_json(), keys)]
    assert not missing, f"{name}: the definition reads {missing}, which Verdict.to_json() does not have"


def test_a_path_the_verdict_lacks_is_caught():
    assert not resolves(MINIMAL.to_json(), ("passes",))
    assert verdict_fields(["($quality_Validate.verdict.passes = true)"]) == {("passes",)}


def test_the_json_form_leaves_out_what_is_not_set_and_reads_back():
    form = MINIMAL.to_json()
    assert list(form) == ["passed", "correctable", "rows", "failedRows", "correctableRows", "failedExpectations",
                          "reason"]
    assert Verdict.from_json(form) == MINIMAL
    stage = Verdict.from_json(form | {"datasets": {"games": form}, "droppedRows": 0, "executionId": "e-1",
                                      "stage": "Validate"})
    assert stage.datasets == {"games": MINIMAL}
    assert json.dumps(stage.to_json(), sort_keys=True) == json.dumps(
        form | {"datasets": {"games": form}, "droppedRows": 0, "executionId": "e-1", "stage": "Validate"},
        sort_keys=True)


def test_an_accounted_verdict_carries_its_counts():
    accounted = MINIMAL.with_accounting(12, {"duplicate": 1}, {"supplied": 1})
    assert {k: accounted.to_json()[k] for k in ("rowsIn", "droppedRows", "dropped", "addedRows", "added")} == {
        "rowsIn": 12, "droppedRows": 1, "dropped": {"duplicate": 1}, "addedRows": 1, "added": {"supplied": 1}}


def test_a_json_form_with_unknown_or_missing_fields_is_refused():
    with pytest.raises(ValueError, match=r"not fields of a verdict: \['passes'\]"):
        Verdict.from_json(MINIMAL.to_json() | {"passes": True})
    form = MINIMAL.to_json()
    del form["correctable"]
    with pytest.raises(ValueError, match=r"a verdict needs \['correctable'\]"):
        Verdict.from_json(form)
