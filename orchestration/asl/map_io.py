"""What a Distributed Map reads and writes: its items from S3 (ItemReader), their batches (ItemBatcher), its
results to S3 (ResultWriter).

S3 is the storage the executor is given per bucket name (``buckets={"my-bucket": Storage}``):
``baton.storage.LocalStorage`` (a directory) or ``S3Storage``; the keys in a definition are the
object keys in that bucket. Supported readers::

    arn:aws:states:::s3:listObjectsV2  Parameters {Bucket, Prefix}   items {Etag, Key, LastModified, Size, StorageClass}
    arn:aws:states:::s3:getObject      Parameters {Bucket, Key}, ReaderConfig.InputType JSON | JSONL | CSV | MANIFEST
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import TYPE_CHECKING, Any

from orchestration.asl.distributed import MapRun, Setting, transform
from orchestration.asl.errors import DefinitionError, StatesError
from orchestration.asl.history import dumps
from orchestration.asl.jsonata import Value, value_field
from orchestration.asl.jsonpath import json_type
from orchestration.asl.payload import MAX_PAYLOAD_BYTES, Template, template_field
from orchestration.asl.validation import check_fields, field, get_string, require_object

if TYPE_CHECKING:
    from orchestration.asl.state_base import Visit

LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
GET_OBJECT = "arn:aws:states:::s3:getObject"
PUT_OBJECT = "arn:aws:states:::s3:putObject"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
_INPUT_TYPES = ("JSON", "JSONL", "CSV", "MANIFEST")
_DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
_TRANSFORMATIONS = ("NONE", "COMPACT", "FLATTEN")


class _Arguments:
    """The S3 parameters of a reader or writer: ``Parameters`` (JSONPath) or ``Arguments`` (JSONata)."""

    def __init__(self, spec: dict, where: str, jsonata: bool):
        self._value: Value | None = value_field(spec, "Arguments", where) if jsonata else None
        self._template: Template | None = None if jsonata else template_field(spec, "Parameters", where)

    def evaluate(self, effective: Any, visit: Visit) -> Any:
        if self._value is not None:
            return self._value.evaluate({"input": effective, "context": visit.context}, visit)
        if self._template is not None:
            return self._template.evaluate(effective, visit)
        return {}


def _bucket_and(arguments: Any, key: str, error: str, visit: Visit, required: bool = True) -> tuple[Any, str]:
    """The Storage of ``arguments["Bucket"]`` and the string ``arguments[key]``."""
    if not isinstance(arguments, dict):
        raise StatesError(error, f"the S3 parameters must be an object, got {dumps(arguments)}")
    bucket, value = arguments.get("Bucket"), arguments.get(key, "" if not required else None)
    if not isinstance(bucket, str) or not isinstance(value, str):
        raise StatesError(error, f"the S3 parameters need a Bucket and a {key} string, got {dumps(arguments)}")
    storage = visit.storage_for(bucket)
    if storage is None:
        raise StatesError(error, f"no storage is given for the bucket '{bucket}' (the executor's buckets)")
    return storage, value


class ItemReader:
    """``ItemReader``: where a Distributed Map's items come from."""

    def __init__(self, spec: Any, where: str, jsonata: bool):
        spec = require_object(spec, where)
        allowed = {"Resource", "ReaderConfig"} | ({"Arguments"} if jsonata else {"Parameters"})
        check_fields(spec, where, frozenset(allowed), "ItemReader")
        self.resource = get_string(spec, "Resource", where, required=True)
        if self.resource not in (LIST_OBJECTS, GET_OBJECT):
            raise DefinitionError(field(where, "Resource"), f"must be {LIST_OBJECTS} or {GET_OBJECT}, got "
                                                            f"{self.resource!r}")
        self.arguments = _Arguments(spec, where, jsonata)
        config_where = field(where, "ReaderConfig")
        config = require_object(spec.get("ReaderConfig", {}), config_where)
        check_fields(config, config_where, frozenset({"InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter",
                                                      "MaxItems", "MaxItemsPath"}), "ReaderConfig")
        self.input_type = get_string(config, "InputType", config_where, required=self.resource == GET_OBJECT)
        if self.resource == LIST_OBJECTS and self.input_type is not None:
            raise DefinitionError(field(config_where, "InputType"), "is for s3:getObject; s3:listObjectsV2 lists "
                                                                    "objects")
        if self.input_type is not None and self.input_type not in _INPUT_TYPES:
            raise DefinitionError(field(config_where, "InputType"), f"must be one of {', '.join(_INPUT_TYPES)}, "
                                                                    f"got {self.input_type!r}")
        self.header_location = get_string(config, "CSVHeaderLocation", config_where) or "FIRST_ROW"
        if self.header_location not in ("FIRST_ROW", "GIVEN"):
            raise DefinitionError(field(config_where, "CSVHeaderLocation"), "must be FIRST_ROW or GIVEN")
        self.headers = config.get("CSVHeaders")
        if self.header_location == "GIVEN" and (not isinstance(self.headers, list) or not self.headers
                                                or not all(isinstance(h, str) for h in self.headers)):
            raise DefinitionError(field(config_where, "CSVHeaders"), "must list the column names (strings) when "
                                                                     "CSVHeaderLocation is GIVEN")
        delimiter = get_string(config, "CSVDelimiter", config_where) or "COMMA"
        if delimiter not in _DELIMITERS:
            raise DefinitionError(field(config_where, "CSVDelimiter"), f"must be one of {', '.join(_DELIMITERS)}")
        self.delimiter = _DELIMITERS[delimiter]
        self.max_items = Setting(config, "MaxItems", config_where, jsonata, 100_000_000)

    def read(self, effective: Any, visit: Visit) -> list:
        """The items, in order (``States.ItemReaderFailed`` when they cannot be read)."""
        arguments = self.arguments.evaluate(effective, visit)
        limit = self.max_items.value(effective, visit)
        if self.resource == LIST_OBJECTS:
            items = self._listed(arguments, visit)
        else:
            storage, key = _bucket_and(arguments, "Key", ITEM_READER_FAILED, visit)
            items = self._parsed(storage, key)
        return items[:limit] if limit else items

    @staticmethod
    def _listed(arguments: dict, visit: Visit) -> list[dict]:
        storage, prefix = _bucket_and(arguments, "Prefix", ITEM_READER_FAILED, visit, required=False)
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        items = []
        for key in sorted(k for k in storage.list_keys(folder) if k.startswith(prefix)):  # S3 lists in key order
            stat = storage.stat(key)
            items.append({"Etag": stat.etag, "Key": key, "LastModified": int(stat.last_modified.timestamp()),
                          "Size": stat.size, "StorageClass": "STANDARD"})
        return items

    def _parsed(self, storage: Any, key: str) -> list:
        try:
            if not storage.exists(key):
                raise ValueError(f"the object '{key}' does not exist")
            text = storage.read_bytes(key).decode("utf-8")
            if self.input_type == "JSON":
                items = json.loads(text)
                if not isinstance(items, list):
                    raise ValueError(f"the JSON object '{key}' must hold an array, got {json_type(items)}")
                return items
            if self.input_type == "JSONL":
                return [json.loads(line) for line in text.splitlines() if line.strip()]
            if self.input_type == "CSV":
                return self._rows(text, self.headers if self.header_location == "GIVEN" else None)
            return self._manifest(storage, json.loads(text))
        except (ValueError, KeyError, OSError) as error:
            raise StatesError(ITEM_READER_FAILED, f"reading '{key}' ({self.input_type}): {error}") from None

    def _rows(self, text: str, headers: list[str] | None, delimiter: str | None = None) -> list[dict]:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter or self.delimiter) if row]
        if headers is None:
            if not rows:
                return []
            headers, rows = rows[0], rows[1:]
        items = []
        for number, row in enumerate(rows, 1):
            if len(row) != len(headers):
                raise ValueError(f"row {number} has {len(row)} fields, the header {len(headers)}")
            items.append(dict(zip(headers, row, strict=True)))
        return items

    def _manifest(self, storage: Any, manifest: dict) -> list[dict]:
        """An S3 Inventory ``manifest.json``: its CSV files (gzip or plain), read with its ``fileSchema``."""
        if manifest.get("fileFormat", "CSV") != "CSV":
            raise ValueError(f"only CSV inventories are read, got {manifest.get('fileFormat')!r}")
        schema = [name.strip() for name in manifest["fileSchema"].split(",")]
        items = []
        for entry in manifest["files"]:
            data = storage.read_bytes(entry["key"])
            if entry["key"].endswith(".gz"):
                data = gzip.decompress(data)
            items.extend(self._rows(data.decode("utf-8"), schema, ","))
        return items


class ItemBatcher:
    """``ItemBatcher``: groups of items, each the input ``{"BatchInput": ..., "Items": [...]}`` of one child."""

    def __init__(self, spec: Any, where: str, jsonata: bool):
        spec = require_object(spec, where)
        allowed = {"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"}
        if not jsonata:
            allowed |= {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
        check_fields(spec, where, frozenset(allowed), "ItemBatcher")
        self.max_items = Setting(spec, "MaxItemsPerBatch", where, jsonata, 100_000_000)
        self.max_bytes = Setting(spec, "MaxInputBytesPerBatch", where, jsonata, MAX_PAYLOAD_BYTES)
        if not (self.max_items.given or self.max_bytes.given):
            raise DefinitionError(where, "needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)")
        if jsonata:
            self.batch_input: Value | Template | None = value_field(spec, "BatchInput", where)
        else:
            self.batch_input = template_field(spec, "BatchInput", where)
        self._jsonata = jsonata

    def batches(self, items: list, effective: Any, visit: Visit) -> list[tuple[list[int], Any]]:
        """``(item indexes, child input)`` of each batch, in order."""
        max_items = self.max_items.value(effective, visit) or len(items) or 1
        max_bytes = self.max_bytes.value(effective, visit) or MAX_PAYLOAD_BYTES
        shared: dict = {}
        if self.batch_input is not None:
            if self._jsonata:
                shared = {"BatchInput": self.batch_input.evaluate({"input": effective, "context": visit.context},
                                                                  visit)}
            else:
                shared = {"BatchInput": self.batch_input.evaluate(effective, visit)}
        base = len(dumps({**shared, "Items": []}).encode("utf-8"))
        batches: list[tuple[list[int], Any]] = []
        indexes: list[int] = []
        size = base
        for index, item in enumerate(items):
            item_size = len(dumps(item).encode("utf-8")) + (1 if indexes else 0)  # and a comma
            if indexes and (len(indexes) >= max_items or size + item_size > max_bytes):
                batches.append((indexes, {**shared, "Items": [items[i] for i in indexes]}))
                indexes, size, item_size = [], base, item_size - 1
            indexes.append(index)
            size += item_size
        if indexes:
            batches.append((indexes, {**shared, "Items": [items[i] for i in indexes]}))
        return batches


class ResultWriter:
    """``ResultWriter``: the children's results exported to S3 and/or transformed (``WriterConfig``)."""

    def __init__(self, spec: Any, where: str, jsonata: bool):
        spec = require_object(spec, where)
        allowed = {"Resource", "WriterConfig"} | ({"Arguments"} if jsonata else {"Parameters"})
        check_fields(spec, where, frozenset(allowed), "ResultWriter")
        self.resource = get_string(spec, "Resource", where)
        if self.resource is not None and self.resource != PUT_OBJECT:
            raise DefinitionError(field(where, "Resource"), f"must be {PUT_OBJECT}, got {self.resource!r}")
        has_arguments = "Arguments" in spec or "Parameters" in spec
        if (self.resource is None) != (not has_arguments):
            raise DefinitionError(where, "Resource and its Parameters (Arguments in JSONata) go together")
        if self.resource is None and "WriterConfig" not in spec:
            raise DefinitionError(where, "needs Resource and Parameters, WriterConfig, or all three")
        self.arguments = _Arguments(spec, where, jsonata)
        config_where = field(where, "WriterConfig")
        config = require_object(spec.get("WriterConfig", {}), config_where)
        check_fields(config, config_where, frozenset({"Transformation", "OutputType"}), "WriterConfig")
        default = "NONE" if self.resource is not None else "COMPACT"
        self.transformation = get_string(config, "Transformation", config_where) or default
        if self.transformation not in _TRANSFORMATIONS:
            raise DefinitionError(field(config_where, "Transformation"), f"must be one of "
                                                                         f"{', '.join(_TRANSFORMATIONS)}")
        self.output_type = get_string(config, "OutputType", config_where) or "JSON"
        if self.output_type not in ("JSON", "JSONL"):
            raise DefinitionError(field(config_where, "OutputType"), "must be JSON or JSONL")

    def write(self, map_run: MapRun, records: list[dict], effective: Any, visit: Visit) -> dict:
        """Write ``manifest.json`` and one file per status under ``<Prefix>/<map run id>/``; the Map's output."""
        arguments = self.arguments.evaluate(effective, visit)
        storage, prefix = _bucket_and(arguments, "Prefix", RESULT_WRITER_FAILED, visit, required=False)
        folder = "/".join(part for part in (prefix.strip("/"), map_run.arn.rsplit(":", 1)[1]) if part)
        files: dict[str, list[dict]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in files:
            chosen = [record for record in records if record["Status"] == status
                      or (status == "FAILED" and record["Status"] != "SUCCEEDED")]
            if not chosen:
                continue
            key = f"{folder}/{status}_0.json"
            body = transform(chosen, self.transformation) if status == "SUCCEEDED" else chosen
            if self.output_type == "JSONL":
                data = "".join(dumps(entry) + "\n" for entry in body).encode("utf-8")
            else:
                data = dumps(body).encode("utf-8")
            storage.write_bytes(key, data)
            files[status].append({"Key": key, "Size": len(data)})
        manifest_key = f"{folder}/manifest.json"
        manifest = {"DestinationBucket": arguments["Bucket"], "MapRunArn": map_run.arn, "ResultFiles": files}
        storage.write_bytes(manifest_key, dumps(manifest).encode("utf-8"))
        return {"MapRunArn": map_run.arn, "ResultWriterDetails": {"Bucket": arguments["Bucket"],
                                                                  "Key": manifest_key}}
