"""Distributed Map in the local executor: the Developer Guide's behaviours, one test each.

Each test names the guide's page it follows (ItemReader, ItemBatcher, ItemSelector, ResultWriter,
tolerated failure threshold, Map Run, Label). The bucket is a directory (``LocalStorage``): the
executor is given ``buckets={"demo-bucket": storage}``.
"""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import UTC, datetime

import pytest

from baton.storage import LocalStorage, S3Storage
from orchestration.asl import AbortExecution, DefinitionError, FakeClock, TaskFailure, load_definition

BUCKET = "demo-bucket"
LAMBDA = "arn:aws:states:::lambda:invoke"
START = datetime(2024, 1, 1, tzinfo=UTC)
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / BUCKET)


def counter():
    numbers = itertools.count(1)
    return lambda: f"id-{next(numbers)}"


def machine(processor=None, **fields):
    """A machine whose only state M is a Distributed Map with ``fields``."""
    processor = {**(processor or ECHO), "ProcessorConfig": dict(DISTRIBUTED)}
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}}}


def run(definition, data=None, storage=None, **kwargs):
    kwargs.setdefault("buckets", {BUCKET: storage} if storage is not None else {})
    return load_definition(definition, name="Demo").execute(data, name="run-1", clock=FakeClock(START),
                                                             uuid_factory=counter(), **kwargs)


def fail_when(key):
    """A processor that fails (error Boom) when the item has ``key`` true, else returns the item's n."""
    return {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"And": [{"Variable": f"$.{key}", "IsPresent": True},
                                                         {"Variable": f"$.{key}", "BooleanEquals": True}],
                                                 "Next": "Boom"}],
                  "Default": "Done"},
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "bad item"},
        "Done": {"Type": "Pass", "InputPath": "$.n", "End": True}}}


def types(history):
    return [event["type"] for event in history]


# --- Map Run: child executions and the parent's history (concepts-examine-map-run) ---------------------

def test_each_item_runs_as_a_child_execution_recorded_with_its_own_history():
    execution = run(machine(ItemsPath="$.items", Label="Echoes"), {"items": [{"n": 1}, {"n": 2}]})
    assert execution.status == "SUCCEEDED"
    assert execution.output == [{"n": 1}, {"n": 2}]
    assert types(execution.history) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted",
                                        "MapRunSucceeded", "MapStateSucceeded", "MapStateExited",
                                        "ExecutionSucceeded"]
    (map_run,) = execution.map_runs
    assert map_run.arn == "arn:aws:states:us-east-1:123456789012:mapRun:Demo/Echoes:id-1"
    assert execution.history[3]["mapRunStartedEventDetails"] == {"mapRunArn": map_run.arn}
    assert map_run.status == "SUCCEEDED" and map_run.item_counts["succeeded"] == 2
    first = map_run.executions[0]
    assert first.arn == f"arn:aws:states:us-east-1:123456789012:execution:Demo/Echoes:{first.name}"
    assert first.state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:Demo/Echoes"
    assert first.input == {"n": 1}
    assert types(first.history) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_without_a_label_the_map_run_is_labelled_by_a_uuid():
    execution = run(machine(), [1])
    assert execution.map_runs[0].arn == "arn:aws:states:us-east-1:123456789012:mapRun:Demo/id-1:id-2"


def test_a_child_execution_has_its_own_context_object():
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name",
                                                                                 "input.$": "$$.Execution.Input"},
                                                  "End": True}}}
    execution = run(machine(processor), [7])
    child = execution.map_runs[0].executions[0]
    assert execution.output == [{"name": child.name, "input": 7}]


@pytest.mark.parametrize("label", ["has space", "a/b", "x" * 41, ""])
def test_a_label_is_refused_when_an_execution_name_could_not_hold_it(label):
    with pytest.raises(DefinitionError, match="Label"):
        load_definition(machine(Label=label))


def test_a_distributed_processor_needs_an_execution_type():
    definition = machine()
    del definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"]
    with pytest.raises(DefinitionError, match="ExecutionType"):
        load_definition(definition)


def test_max_concurrency_path_is_read_from_the_input_and_recorded_on_the_map_run():
    execution = run(machine(ItemsPath="$.items", MaxConcurrencyPath="$.limit"), {"limit": 3, "items": [1, 2]})
    assert (execution.output, execution.map_runs[0].max_concurrency) == ([1, 2], 3)
    bad = run(machine(ItemsPath="$.items", MaxConcurrencyPath="$.limit"), {"limit": "3", "items": [1]})
    assert (bad.error, "MaxConcurrencyPath" in bad.cause) == ("States.Runtime", True)


# --- ItemSelector (input-output-itemselector) ----------------------------------------------------------

def test_item_selector_reads_the_state_input_and_the_item_from_the_context():
    selector = {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"}
    execution = run(machine(ItemsPath="$.items", ItemSelector=selector), {"tag": "t", "items": ["a", "b"]})
    assert execution.output == [{"index": 0, "value": "a", "tag": "t"}, {"index": 1, "value": "b", "tag": "t"}]


# --- ItemReader (input-output-itemreader) --------------------------------------------------------------

def test_list_objects_v2_items_are_the_objects_under_the_prefix(storage):
    storage.write_bytes("images/b.jpg", b"bb")
    storage.write_bytes("images/a.jpg", b"a")
    storage.write_bytes("imagesX/c.jpg", b"c")
    storage.write_bytes("other/d.jpg", b"d")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": BUCKET, "Prefix": "images/"}}
    execution = run(machine(ItemReader=reader), storage=storage)
    assert [item["Key"] for item in execution.output] == ["images/a.jpg", "images/b.jpg"]
    first = execution.output[0]
    assert sorted(first) == ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    assert (first["Etag"], first["Size"], first["StorageClass"]) == ('"0cc175b9c0f1b6a831c399e269772661"', 1,
                                                                     "STANDARD")
    assert isinstance(first["LastModified"], int)


def test_list_objects_v2_reads_an_s3_bucket_through_s3_storage(monkeypatch):
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="b/2.txt", Body=b"22")
        client.put_object(Bucket=BUCKET, Key="a.txt", Body=b"1")
        reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": BUCKET}}
        execution = run(machine(ItemReader=reader), storage=S3Storage(BUCKET, client=client))
        listed = client.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [(item["Key"], item["Size"], item["Etag"], item["LastModified"]) for item in execution.output] == [
        (entry["Key"], entry["Size"], entry["ETag"], int(entry["LastModified"].timestamp())) for entry in listed]


def test_a_prefix_that_is_not_a_folder_matches_the_start_of_keys(storage):
    for key in ("logs/2013-01.json", "logs/2013-02.json", "logs/2014-01.json"):
        storage.write_bytes(key, b"{}")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": BUCKET, "Prefix": "logs/2013"}}
    execution = run(machine(ItemReader=reader), storage=storage)
    assert [item["Key"] for item in execution.output] == ["logs/2013-01.json", "logs/2013-02.json"]


def get_object(input_type, key="data/items", **config):
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type, **config},
            "Parameters": {"Bucket": BUCKET, "Key": key}}


def test_a_json_object_holds_the_array_of_items(storage):
    storage.write_bytes("data/items", json.dumps([{"verdict": "true"}, {"verdict": "false"}]).encode())
    assert run(machine(ItemReader=get_object("JSON")), storage=storage).output == [{"verdict": "true"},
                                                                                   {"verdict": "false"}]


def test_a_json_lines_object_holds_an_item_per_line(storage):
    storage.write_bytes("data/items", b'{"a": 1}\n{"a": 2}\n\n')
    assert run(machine(ItemReader=get_object("JSONL")), storage=storage).output == [{"a": 1}, {"a": 2}]


def test_csv_rows_become_objects_of_strings_keyed_by_the_first_row(storage):
    storage.write_bytes("data/items", b"date,temp\n2013-01-01,4\n2013-01-02,-1\n")
    assert run(machine(ItemReader=get_object("CSV", CSVHeaderLocation="FIRST_ROW")), storage=storage).output == [
        {"date": "2013-01-01", "temp": "4"}, {"date": "2013-01-02", "temp": "-1"}]


def test_csv_headers_can_be_given_with_another_delimiter(storage):
    storage.write_bytes("data/items", b"a|1\nb|2\n")
    reader = get_object("CSV", CSVHeaderLocation="GIVEN", CSVHeaders=["name", "n"], CSVDelimiter="PIPE")
    assert run(machine(ItemReader=reader), storage=storage).output == [{"name": "a", "n": "1"},
                                                                       {"name": "b", "n": "2"}]


def test_an_s3_inventory_manifest_lists_the_objects_of_its_csv_files(storage):
    storage.write_bytes("inventory/data/part-0.csv.gz", gzip.compress(b'"src","a/1.txt","10"\n"src","a/2.txt","20"\n'))
    storage.write_bytes("inventory/data/part-1.csv", b'"src","b/3.txt","30"\n')
    manifest = {"sourceBucket": "src", "destinationBucket": f"arn:aws:s3:::{BUCKET}", "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size",
                "files": [{"key": "inventory/data/part-0.csv.gz"}, {"key": "inventory/data/part-1.csv"}]}
    storage.write_bytes("inventory/manifest.json", json.dumps(manifest).encode())
    execution = run(machine(ItemReader=get_object("MANIFEST", key="inventory/manifest.json")), storage=storage)
    assert execution.output == [{"Bucket": "src", "Key": "a/1.txt", "Size": "10"},
                                {"Bucket": "src", "Key": "a/2.txt", "Size": "20"},
                                {"Bucket": "src", "Key": "b/3.txt", "Size": "30"}]


def test_max_items_reads_only_the_first_items(storage):
    storage.write_bytes("data/items", json.dumps(list(range(10))).encode())
    assert run(machine(ItemReader=get_object("JSON", MaxItems=3)), storage=storage).output == [0, 1, 2]
    reader = get_object("JSON", MaxItemsPath="$.limit")
    assert run(machine(ItemReader=reader), {"limit": 2}, storage=storage).output == [0, 1]


def test_reader_parameters_take_paths_from_the_state_input(storage):
    storage.write_bytes("runs/42.json", b"[1, 2]")
    reader = {**get_object("JSON"), "Parameters": {"Bucket": BUCKET, "Key.$": "States.Format('runs/{}.json', $.run)"}}
    assert run(machine(ItemReader=reader), {"run": 42}, storage=storage).output == [1, 2]


@pytest.mark.parametrize(("setup", "reader", "cause"), [
    (None, get_object("JSON", key="missing.json"), "does not exist"),
    (b'{"not": "an array"}', get_object("JSON"), "must hold an array"),
    (b"a,b\n1\n", get_object("CSV", CSVHeaderLocation="FIRST_ROW"), "row 1 has 1 fields"),
    (None, {**get_object("JSON"), "Parameters": {"Bucket": "elsewhere", "Key": "k"}}, "no storage is given"),
])
def test_a_reader_that_cannot_read_fails_with_item_reader_failed(storage, setup, reader, cause):
    if setup is not None:
        storage.write_bytes("data/items", setup)
    execution = run(machine(ItemReader=reader), storage=storage)
    assert (execution.status, execution.error) == ("FAILED", "States.ItemReaderFailed")
    assert cause in execution.cause


def test_items_are_read_once_the_map_run_has_started_and_a_read_failure_fails_it(storage):
    storage.write_bytes("data/items", b"[1, 2, 3]")
    execution = run(machine(ItemReader=get_object("JSON")), storage=storage)
    started = next(event for event in execution.history if event["type"] == "MapStateStarted")
    assert started["mapStateStartedEventDetails"] == {"length": 0}  # as AWS records it with an ItemReader
    failed = run(machine(ItemReader=get_object("JSON", key="missing")), storage=storage)
    assert types(failed.history)[-5:] == ["MapStateStarted", "MapRunStarted", "MapRunFailed", "MapStateFailed",
                                          "ExecutionFailed"]
    assert failed.map_runs[0].status == "FAILED"


def test_item_reader_fields_are_checked_at_load():
    with pytest.raises(DefinitionError, match="InputType"):
        load_definition(machine(ItemReader={"Resource": "arn:aws:states:::s3:getObject",
                                            "Parameters": {"Bucket": BUCKET, "Key": "k"}}))
    with pytest.raises(DefinitionError, match="must be .*listObjectsV2"):
        load_definition(machine(ItemReader={"Resource": "arn:aws:states:::s3:putObject"}))
    with pytest.raises(DefinitionError, match="CSVHeaders"):
        load_definition(machine(ItemReader=get_object("CSV", CSVHeaderLocation="GIVEN")))


# --- ItemBatcher (input-output-itembatcher) -------------------------------------------------------------

def test_batches_hold_at_most_max_items_and_the_batch_input():
    batcher = {"MaxItemsPerBatch": 2, "BatchInput": {"factor.$": "$.factor"}}
    execution = run(machine(ItemsPath="$.items", ItemBatcher=batcher), {"factor": 10, "items": [1, 2, 3, 4, 5]})
    assert execution.output == [{"BatchInput": {"factor": 10}, "Items": [1, 2]},
                                {"BatchInput": {"factor": 10}, "Items": [3, 4]},
                                {"BatchInput": {"factor": 10}, "Items": [5]}]
    assert len(execution.map_runs[0].executions) == 3


def test_batches_are_cut_before_their_input_exceeds_max_bytes():
    items = ["x" * 10] * 4  # 12 bytes each as JSON; {"Items":[]} is 12 bytes
    execution = run(machine(ItemBatcher={"MaxInputBytesPerBatch": 40}), items)
    assert [len(batch["Items"]) for batch in execution.output] == [2, 2]
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 40 for batch in execution.output)


def test_a_batcher_needs_a_limit():
    with pytest.raises(DefinitionError, match="MaxItemsPerBatch or MaxInputBytesPerBatch"):
        load_definition(machine(ItemBatcher={"BatchInput": {}}))


# --- Tolerated failure threshold (maprun-fail-threshold) -------------------------------------------------

def test_by_default_one_failed_child_fails_the_map_run():
    execution = run(machine(fail_when("bad")), [{"n": 1}, {"n": 2, "bad": True}, {"n": 3}])
    assert (execution.status, execution.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert types(execution.history)[-4:] == ["MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    (map_run,) = execution.map_runs
    assert map_run.status == "FAILED"
    assert map_run.item_counts == {"total": 3, "succeeded": 1, "failed": 1, "pending": 1}
    assert [child.status for child in map_run.executions] == ["SUCCEEDED", "FAILED"]
    assert (map_run.executions[1].error, map_run.executions[1].cause) == ("Boom", "bad item")


def test_failures_within_the_tolerated_count_let_the_map_succeed_and_show_in_the_output():
    execution = run(machine(fail_when("bad"), ToleratedFailureCount=1), [{"n": 1}, {"n": 2, "bad": True}])
    assert execution.status == "SUCCEEDED"
    assert execution.output[0] == 1
    failed = execution.output[1]
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Boom", "bad item")
    assert json.loads(failed["Input"]) == {"n": 2, "bad": True}


@pytest.mark.parametrize(("fields", "data", "status"), [
    ({"ToleratedFailurePercentage": 50}, {}, "SUCCEEDED"),  # 1 of 2 items: 50% is not more than 50%
    ({"ToleratedFailurePercentage": 49.9}, {}, "FAILED"),
    ({"ToleratedFailurePercentagePath": "$.pct"}, {"pct": 50}, "SUCCEEDED"),
    ({"ToleratedFailureCountPath": "$.count"}, {"count": 0}, "FAILED"),
    ({"ToleratedFailureCount": 0, "ToleratedFailurePercentage": 100}, {}, "FAILED"),  # either threshold fails it
])
def test_tolerated_failure_thresholds(fields, data, status):
    definition = machine(fail_when("bad"), ItemsPath="$.items", **fields)
    execution = run(definition, {**data, "items": [{"n": 1}, {"n": 2, "bad": True}]})
    assert execution.status == status


def test_a_failed_batch_counts_all_its_items():
    items = [{"n": n} for n in range(1, 6)]
    processor = {"StartAt": "Check", "States": {  # the batch of items 1 and 2 fails
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.Items[0].n", "NumericEquals": 1, "Next": "Boom"}],
                  "Default": "Done"},
        "Boom": {"Type": "Fail", "Error": "Boom"},
        "Done": {"Type": "Succeed"}}}
    definition = machine(processor, ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailureCount=1)
    assert run(definition, items).error == "States.ExceedToleratedFailureThreshold"
    definition["States"]["M"]["ToleratedFailureCount"] = 2
    assert run(definition, items).status == "SUCCEEDED"


def test_the_threshold_error_is_caught_like_any_other():
    definition = machine(fail_when("bad"))
    definition["States"]["M"] |= {"Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                                              "Next": "Handled"}], "End": None}
    del definition["States"]["M"]["End"]
    definition["States"]["M"]["Next"] = "After"
    definition["States"]["After"] = {"Type": "Succeed"}
    definition["States"]["Handled"] = {"Type": "Pass", "Result": "handled", "End": True}
    assert run(definition, [{"n": 1, "bad": True}]).output == "handled"


def test_a_task_in_a_child_uses_the_parent_executions_handlers():
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True}}}

    def double(parameters, context):
        if parameters == 3:
            raise TaskFailure("Odd", "three")
        return parameters * 2

    execution = run(machine(processor, ToleratedFailureCount=1), [1, 2, 3], handlers={LAMBDA: double})
    assert execution.output[:2] == [2, 4]
    assert execution.output[2]["Error"] == "Odd"


def test_an_abort_in_a_child_aborts_the_whole_execution():
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True}}}

    def stop(parameters, context):
        raise AbortExecution("stopped by the operator")

    execution = run(machine(processor, ToleratedFailurePercentage=100), [1, 2], handlers={LAMBDA: stop})
    assert (execution.status, execution.cause) == ("ABORTED", "stopped by the operator")
    (map_run,) = execution.map_runs
    assert (map_run.status, [child.status for child in map_run.executions]) == ("ABORTED", ["ABORTED"])
    assert "MapRunAborted" in types(execution.history)


# --- ResultWriter (input-output-resultwriter) -----------------------------------------------------------

def test_result_writer_exports_the_results_and_outputs_where_they_are(storage):
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "results"}}
    execution = run(machine(fail_when("bad"), ResultWriter=writer, ToleratedFailureCount=1),
                    [{"n": 1}, {"n": 2, "bad": True}, {"n": 3}], storage=storage)
    map_run = execution.map_runs[0]
    run_id = map_run.arn.rsplit(":", 1)[1]
    assert execution.output == {"MapRunArn": map_run.arn, "ResultWriterDetails": {
        "Bucket": BUCKET, "Key": f"results/{run_id}/manifest.json"}}
    manifest = json.loads(storage.read_bytes(f"results/{run_id}/manifest.json"))
    succeeded_key, failed_key = f"results/{run_id}/SUCCEEDED_0.json", f"results/{run_id}/FAILED_0.json"
    assert manifest == {"DestinationBucket": BUCKET, "MapRunArn": map_run.arn, "ResultFiles": {
        "FAILED": [{"Key": failed_key, "Size": len(storage.read_bytes(failed_key))}], "PENDING": [],
        "SUCCEEDED": [{"Key": succeeded_key, "Size": len(storage.read_bytes(succeeded_key))}]}}
    succeeded = json.loads(storage.read_bytes(succeeded_key))
    assert [json.loads(record["Output"]) for record in succeeded] == [1, 3]  # in item order
    assert sorted(succeeded[0]) == ["ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails",
                                    "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate",
                                    "StateMachineArn", "Status", "StopDate"]
    (failed,) = json.loads(storage.read_bytes(failed_key))
    assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Boom", "bad item")


def test_result_writer_also_writes_when_the_map_run_fails(storage):
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "out"}}
    execution = run(machine(fail_when("bad"), ResultWriter=writer), [{"n": 1, "bad": True}], storage=storage)
    assert execution.error == "States.ExceedToleratedFailureThreshold"
    assert any(key.endswith("/FAILED_0.json") for key in storage.list_keys("out"))


@pytest.mark.parametrize(("config", "expected"), [
    ({"Transformation": "COMPACT"}, [[1, 2], [3]]),
    ({"Transformation": "FLATTEN"}, [1, 2, 3]),
])
def test_writer_config_alone_transforms_the_output(config, expected):
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.Items", "End": True}}}
    definition = machine(processor, ItemBatcher={"MaxItemsPerBatch": 2}, ResultWriter={"WriterConfig": config})
    assert run(definition, [1, 2, 3]).output == expected


def test_json_lines_output_writes_a_record_per_line(storage):
    writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "p"},
              "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}}
    execution = run(machine(ResultWriter=writer), [{"a": 1}, {"a": 2}], storage=storage)
    manifest = json.loads(storage.read_bytes(execution.output["ResultWriterDetails"]["Key"]))
    key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    assert storage.read_bytes(key) == b'{"a":1}\n{"a":2}\n'


def test_result_writer_fields_are_checked_at_load():
    with pytest.raises(DefinitionError, match="go together"):
        load_definition(machine(ResultWriter={"Resource": "arn:aws:states:::s3:putObject"}))
    with pytest.raises(DefinitionError, match="Transformation"):
        load_definition(machine(ResultWriter={"WriterConfig": {"Transformation": "ALL"}}))


# --- JSONata forms (ItemReader.Arguments, ResultWriter.Arguments, expressions) -------------------------------

def test_jsonata_reader_writer_and_thresholds_take_expressions(storage):
    storage.write_bytes("in/7.json", b'[{"n": 1}, {"n": 2, "bad": true}]')
    definition = machine(
        fail_when("bad"),
        ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                    "Arguments": {"Bucket": BUCKET, "Key": "{% 'in/' & $states.input.run & '.json' %}"}},
        ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                      "Arguments": {"Bucket": BUCKET, "Prefix": "{% 'out/' & $states.input.run %}"}},
        ToleratedFailureCount="{% $states.input.tolerate %}",
        ItemSelector="{% $merge([$states.context.Map.Item.Value, {'i': $states.context.Map.Item.Index}]) %}")
    definition["QueryLanguage"] = "JSONata"
    for state in definition["States"]["M"]["ItemProcessor"]["States"].values():
        state["QueryLanguage"] = "JSONPath"
    execution = run(definition, {"run": 7, "tolerate": 1}, storage=storage)
    assert execution.status == "SUCCEEDED"
    assert execution.output["ResultWriterDetails"]["Key"].startswith("out/7/")
    assert run(definition, {"run": 7, "tolerate": 0}, storage=storage).error == (
        "States.ExceedToleratedFailureThreshold")
