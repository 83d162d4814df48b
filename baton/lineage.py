"""OpenLineage run events of a stage, emitted by the stage runtime through openlineage-python.

For each stage run: a START event when the job begins, then COMPLETE (or FAIL, with the error)
when it ends. The job is ``baton.<pipeline>.<stage>``; every stage of an execution carries a
parent run facet naming the execution's run (job ``baton.<pipeline>``, run id derived from the
execution id, so every stage of one execution names the same parent without coordination).

The pipeline's name is derived from the job's name: jobs are named ``<pipeline>_<step>``
(``flights_conform`` runs in pipeline ``flights``), the one convention ``jobs/`` follows.

Datasets are named by their workflow-bucket URIs: namespace ``s3://bucket`` or ``file``,
name the rest of the URI. Inputs are the committed datasets the stage read; outputs are what it
committed (outputs, quarantines and warehouse tables), with schema and output statistics
(rows, bytes). A gated dataset carries the dataQualityAssertions facet, one assertion per
expectation of its Great Expectations result.

Transports come from the ``lineage`` section of ``conf/<env>.json``:

    {"transport": "file"}                                    executions/{id}/_lineage.jsonl
    {"transport": "http", "url": "http://marquez:5000", "timeoutSeconds": 5, "retries": 1}
    {"transport": "console"}                                 the log (logger openlineage)

A transport failure never fails the stage: it is logged. HTTP events that could not be sent
are kept in ``executions/{id}/_lineage_pending.jsonl`` and re-sent before the next event.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, uuid5

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    error_message_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Config, Transport
from openlineage.client.uuid import generate_new_uuid

from baton import paths
from baton.errors import SettingError
from baton.storage import Storage, read_json

if TYPE_CHECKING:
    from baton.stage import StageContext
    from conf.settings import LineageSettings

log = logging.getLogger("baton")

NAMESPACE = "baton"
PRODUCER = "urn:baton:stage-runtime"  # an event's producer is a URI; its facets name the client's
LINEAGE_FILE = "_lineage.jsonl"
PENDING_FILE = "_lineage_pending.jsonl"
VALIDATION_FILE = "validation_result.json"
TRANSPORTS = ("file", "http", "console")
AssertionsFacet = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet


def lineage_key(execution_id: str) -> str:
    return f"{paths.execution_prefix(execution_id)}/{LINEAGE_FILE}"


def pending_key(execution_id: str) -> str:
    return f"{paths.execution_prefix(execution_id)}/{PENDING_FILE}"


class StorageTransport(Transport):
    """Appends each event as one JSON line to an object of the workflow bucket."""

    kind = "baton-storage"
    config_class = Config

    def __init__(self, storage: Storage, key: str) -> None:
        self.storage, self.key = storage, key

    def emit(self, event: Any) -> None:
        self.storage.append_line(self.key, Serde.to_json(event))


class KeptHttpTransport(Transport):
    """openlineage-python's HTTP transport; what it cannot deliver is kept and re-sent first next time."""

    kind = "baton-http"
    config_class = Config

    def __init__(self, http: HttpTransport, storage: Storage, key: str) -> None:
        self.http, self.storage, self.key = http, storage, key

    def emit(self, event: Any) -> None:
        pending = self._pending()
        for index, line in enumerate(pending):
            try:
                self.http.emit(json.loads(line))  # Serde passes a dict through as it is
            except Exception as err:
                self._keep(pending[index:] + [Serde.to_json(event)], err)
                return
        try:
            self.http.emit(event)
        except Exception as err:
            self._keep([Serde.to_json(event)], err)
            return
        if pending:
            self.storage.delete(self.key)
            log.info("lineage: re-sent %d kept event(s) to %s", len(pending), self.http.url)

    def _pending(self) -> list[str]:
        if not self.storage.exists(self.key):
            return []
        return [line for line in self.storage.read_bytes(self.key).decode("utf-8").splitlines() if line]

    def _keep(self, lines: list[str], err: Exception) -> None:
        self.storage.write_bytes(self.key, "".join(f"{line}\n" for line in lines).encode("utf-8"))
        log.warning("lineage: %s did not take the event (%s); %d event(s) kept in %s for the next try",
                    self.http.url, err, len(lines), self.key)


def transport_for(settings: LineageSettings, storage: Storage, execution_id: str) -> Transport:
    """The transport the ``lineage`` settings name (see the module's docstring)."""
    if settings.transport == "file":
        return StorageTransport(storage, lineage_key(execution_id))
    if settings.transport == "console":
        return ConsoleTransport(ConsoleConfig())
    if settings.transport == "http":
        if not settings.url:
            raise SettingError("transport http needs a url", setting="lineage.url")
        http = HttpTransport(HttpConfig.from_dict({
            "type": "http", "url": settings.url, "endpoint": settings.endpoint,
            "timeout": float(settings.timeout_seconds),
            "retry": {"total": settings.retries, "backoff_factor": 0.3,
                      "status_forcelist": [500, 502, 503, 504], "allowed_methods": ["POST"]}}))
        return KeptHttpTransport(http, storage, pending_key(execution_id))
    raise SettingError(f"unknown lineage transport {settings.transport!r}; expected one of {list(TRANSPORTS)}",
                       setting="lineage.transport")


def pipeline_of(job: str) -> str:
    """``flights`` for job ``flights_conform``: jobs are named ``<pipeline>_<step>``."""
    return job.split("_", 1)[0]


def execution_run_id(execution_id: str) -> str:
    """The execution's run id: the same for every stage of one execution."""
    return str(uuid5(NAMESPACE_URL, f"baton:execution:{execution_id}"))


def dataset_address(uri: str) -> tuple[str, str]:
    """OpenLineage's (namespace, name) of a URI: ``s3://bucket`` and the key, or ``file`` and the path."""
    scheme, _, rest = uri.partition("://")
    if scheme == "file":
        return "file", rest
    bucket, _, key = rest.partition("/")
    return f"{scheme}://{bucket}", key


class StageLineage:
    """START, then COMPLETE or FAIL, of one stage run. Emission never raises."""

    def __init__(self, ctx: StageContext, settings: LineageSettings) -> None:
        self.ctx = ctx
        self.pipeline = pipeline_of(ctx.job)
        self.run_id = str(generate_new_uuid())
        self.client = OpenLineageClient(transport=transport_for(settings, ctx.storage, ctx.execution_id))

    def start(self) -> None:
        self._emit(RunState.START, inputs=[], outputs=[])

    def complete(self) -> None:
        self._emit(RunState.COMPLETE, inputs=self._inputs(), outputs=self._outputs())

    def fail(self, err: BaseException) -> None:
        facet = error_message_run.ErrorMessageRunFacet(
            message=str(err) or type(err).__name__, programmingLanguage="python",
            stackTrace="".join(traceback.format_exception(err)))
        self._emit(RunState.FAIL, inputs=self._inputs(), outputs=self._outputs(), errorMessage=facet)

    def _emit(self, state: RunState, inputs: list[InputDataset], outputs: list[OutputDataset],
              **run_facets: Any) -> None:
        try:
            event = RunEvent(
                eventType=state, eventTime=datetime.now(UTC).isoformat(), producer=PRODUCER,
                run=Run(runId=self.run_id, facets={"parent": self._parent()} | run_facets),
                job=Job(namespace=NAMESPACE, name=f"baton.{self.pipeline}.{self.ctx.current_stage}"),
                inputs=inputs, outputs=outputs)
            self.client.emit(event)
        except Exception as err:  # lineage never fails a stage
            log.warning("lineage: %s event of stage %s not emitted: %s", state.value, self.ctx.current_stage, err)

    def _parent(self) -> parent_run.ParentRunFacet:
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=execution_run_id(self.ctx.execution_id)),
            job=parent_run.Job(namespace=NAMESPACE, name=f"baton.{self.pipeline}"))

    def _inputs(self) -> list[InputDataset]:
        inputs = []
        own = f"{self.ctx.paths.prefix}/"
        for key, schema in self.ctx.inputs():
            if key.startswith(own):  # a re-read of what this stage committed is not an input of it
                continue
            namespace, name = dataset_address(self.ctx.bucket.uri(key))
            fields = [schema_dataset.SchemaDatasetFacetFields(name=f.name, type=f.dataType.simpleString())
                      for f in schema.fields]
            inputs.append(InputDataset(namespace=namespace, name=name,
                                       facets={"schema": schema_dataset.SchemaDatasetFacet(fields=fields)}))
        return inputs

    def _outputs(self) -> list[OutputDataset]:
        outputs = []
        for committed, manifest in self.ctx.committed.items():
            kind, _, dataset = committed.partition("/")
            key = manifest["table"] if kind == "warehouse" else self.ctx.paths.dataset(kind, dataset)
            namespace, name = dataset_address(self.ctx.bucket.uri(key))
            facets: dict[str, Any] = {}
            if manifest.get("schema"):
                facets["schema"] = schema_dataset.SchemaDatasetFacet(fields=[
                    schema_dataset.SchemaDatasetFacetFields(name=f["name"], type=_type_name(f["type"]))
                    for f in manifest["schema"]["fields"]])
            if kind == "output" and manifest.get("quality"):
                assertions = self._assertions(dataset)
                if assertions:
                    facets["dataQualityAssertions"] = assertions
            statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=manifest.get("rows"), size=manifest.get("bytes"))
            outputs.append(OutputDataset(namespace=namespace, name=name, facets=facets,
                                         outputFacets={"outputStatistics": statistics}))
        return outputs

    def _assertions(self, dataset: str) -> AssertionsFacet | None:
        key = f"{self.ctx.paths.quality(dataset)}/{VALIDATION_FILE}"
        if not self.ctx.storage.exists(key):
            return None
        return assertions_facet(read_json(self.ctx.storage, key))


def assertions_facet(validation: Mapping[str, Any]) -> AssertionsFacet:
    """One assertion per expectation of a GE 1.x validation result (``to_json_dict()``)."""
    assertions = []
    for result in validation.get("results", []):
        config = result.get("expectation_config") or {}
        kwargs = config.get("kwargs") or {}
        details = result.get("result") or {}
        baton = (config.get("meta") or {}).get("baton") or {}
        actual = details.get("unexpected_count", details.get("observed_value"))
        assertions.append(data_quality_assertions_dataset.Assertion(
            assertion=config.get("type", "unknown"), success=bool(result.get("success")),
            column=kwargs.get("column"), name=baton.get("name"),
            actual=None if actual is None else json.dumps(actual, default=str)))
    return AssertionsFacet(assertions=assertions)


def _type_name(spark_type: Any) -> str:
    """A Spark JSON schema type as a name: ``long``, or ``struct``/``array``/``map`` when nested."""
    return spark_type if isinstance(spark_type, str) else str(spark_type.get("type"))
