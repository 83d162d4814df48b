"""What a stage commits: datasets written or passed through, and tables loaded into the warehouse.

    write under executions/{id}/{stage}/_staging/{token}/  ->  move into place
    ->  _manifest.json  ->  _SUCCESS (last)

A reader refuses a dataset without ``_SUCCESS`` (:class:`baton.stage_reads.StageReads`), so a crash at
any point leaves either the previous committed output or nothing a later stage would read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql.types import StructType

from baton import paths
from baton.parquet_footer import normalize_encodings
from baton.stage_reads import StageReads, now
from baton.storage import write_json
from baton.warehouse import replace_partitions


class StageContext(StageReads):
    """One stage of one execution: reads committed inputs, commits outputs atomically."""

    # -- writing ---------------------------------------------------------------------
    def write(self, dataset: str, df: DataFrame, kind: str = "output",
              quality: Mapping[str, Any] | None = None, partition_by: Sequence[str] = (),
              verify: Callable[[], Mapping[str, Any] | None] | None = None) -> dict[str, Any]:
        """Write ``df`` as Parquet with Spark under the staging prefix, then commit it into place.

        ``verify`` runs between the two: checks computed by the write itself (e.g.
        :meth:`baton.sources.ObservedRead.verify`); if it raises, nothing is committed. What it
        returns (facts of the read, such as the values read as null) goes into the manifest's ``read``.
        A committed dataset that passes through unchanged is :meth:`pass_through`'s.
        """
        staged = self.paths.staging(self.token, kind, dataset)
        writer = df.write.mode("overwrite")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(self.bucket.uri(staged))
        read = None
        if verify is not None:
            try:
                read = verify()
            except BaseException:
                self.storage.delete_prefix(staged)
                raise
        self.faults.check(self.current_stage, f"{kind}-staged")
        return self._commit(staged, self.paths.dataset(kind, dataset), dataset, kind, quality, read)

    def pass_through(self, dataset: str, stage: str | None = None, kind: str = "output",
                     quality: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Commit ``stage``'s (default: the previous stage's) committed ``dataset`` unchanged as this stage's.

        Its data files are copied as they are (no Spark job, the same bytes), then committed as
        :meth:`write` commits (manifest, ``_SUCCESS`` last); ``kind`` is the source's and the target's.
        """
        key = self.committed_key(dataset, stage, kind, "pass through")
        staged = self.paths.staging(self.token, kind, dataset)
        self._copy_data_files(key, staged)
        self.faults.check(self.current_stage, f"{kind}-staged")
        manifest = self._commit(staged, self.paths.dataset(kind, dataset), dataset, kind, quality)
        if all(read != key for _, read in self._reads):  # an input, as if read
            self._reads.append((StructType.fromJson(manifest["schema"]), key))
        return manifest

    def _copy_data_files(self, source: str, staged: str) -> None:
        """Stage a committed dataset's data files unchanged (no Spark job): the rows pass through as they are."""
        for key in self.storage.list_keys(source):
            name = key[len(source) + 1:]
            if name not in (paths.MANIFEST, paths.SUCCESS):
                self.storage.copy(key, f"{staged}/{name}")

    def _commit(self, staged: str, final: str, dataset: str, kind: str,
                quality: Mapping[str, Any] | None, read: Mapping[str, Any] | None = None) -> dict[str, Any]:
        written = self.spark.read.parquet(self.bucket.uri(staged))
        rows, schema = written.count(), written.schema  # the count comes from the Parquet footers
        manifest = {
            "executionId": self.execution_id, "stage": self.current_stage, "dataset": dataset,
            "kind": kind, "job": self.job, "rows": rows, "bytes": self.storage.size_of_prefix(staged),
            "schema": json.loads(schema.json()), "startedAt": self.started_at, "endedAt": now(),
            "quality": dict(quality) if quality else None, "read": dict(read) if read else None,
            "token": self.token,
        }
        manifest["files"] = sorted(k[len(staged) + 1:] for k in self.storage.list_keys(staged))
        previous = f"{self.paths.staging_root}/{self.token}/previous/{kind}/{dataset}"
        if self.storage.list_keys(final):
            # Un-trust the old output first, then swap: a crash here leaves no _SUCCESS.
            self.storage.delete(paths.success_key(final))
            self.storage.move_prefix(final, previous)
        self.storage.move_prefix(staged, final)
        self.faults.check(self.current_stage, f"{kind}-moved")
        write_json(self.storage, paths.manifest_key(final), manifest)
        self.faults.check(self.current_stage, f"{kind}-manifest")
        write_json(self.storage, paths.success_key(final), {"token": self.token, "rows": rows})
        self.storage.delete_prefix(previous)
        self.faults.check(self.current_stage, f"{kind}-committed")
        self.committed[f"{kind}/{dataset}"] = manifest
        return manifest

    def publish(self, table: str, df: DataFrame, partition_by: Sequence[str]) -> dict[str, Any]:
        """Load ``df`` into ``{warehouse}/{table}/``, replacing only the partitions it has.

        The warehouse is ``--warehouse`` (the definition passes the environment's; see ``contract_arg``).

        Each partition is written whole under staging (one file, rows in a fixed order, a fixed
        file name and, locally, a normalized footer, so a rerun writes identical bytes), then
        swapped into place under the table's lock, and the table committed whole (see
        :mod:`baton.warehouse`). Partitions this execution did not produce are never touched. The stage's own
        ``output/{table}/`` records what was loaded (manifest and ``_SUCCESS``, no data).
        """
        staged = f"{self.paths.staging_root}/{self.token}/warehouse/{table}"
        ordered = df.repartition(*partition_by).sortWithinPartitions(*df.columns)
        ordered.write.mode("overwrite").partitionBy(*partition_by).parquet(self.bucket.uri(staged))
        files = [k for k in self.storage.list_keys(staged) if k.endswith(".parquet")]
        partitions = sorted({k[len(staged) + 1:].rsplit("/", 1)[0] for k in files})
        target = paths.warehouse_table(table, self.warehouse)
        for part in partitions:
            part_files = sorted(k for k in files if k.startswith(f"{staged}/{part}/"))
            for index, key in enumerate(part_files):
                name = f"{staged}/{part}/part-{index:05d}.snappy.parquet"
                self.storage.move(key, name)
                if not self.bucket.is_s3:  # reproducible bytes (see baton.parquet_footer)
                    normalize_encodings(Path(self.bucket.root, name))
        replace_partitions(self.storage, staged, target, partitions, self.token,
                           after_each=lambda: self.faults.check(self.current_stage, "partition-replaced"))
        rows = df.sparkSession.read.parquet(*[self.bucket.uri(f"{target}/{p}") for p in partitions]).count() \
            if partitions else 0
        record = {"executionId": self.execution_id, "stage": self.current_stage, "job": self.job,
                  "table": target, "partitions": partitions, "rows": rows, "startedAt": self.started_at,
                  "endedAt": now(), "token": self.token}
        final = self.paths.output(table)
        self.storage.delete(paths.success_key(final))
        write_json(self.storage, paths.manifest_key(final), record)
        write_json(self.storage, paths.success_key(final), {"token": self.token, "rows": rows})
        self.committed[f"warehouse/{table}"] = record
        return record

    def write_object(self, key: str, value: Any) -> None:
        write_json(self.storage, key, value)

    def clean_staging(self) -> None:
        """Remove this attempt's staging prefix (parallel jobs of one stage each have their own)."""
        self.storage.delete_prefix(f"{self.paths.staging_root}/{self.token}")
