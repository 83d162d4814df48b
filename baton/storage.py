"""Small objects of the workflow bucket: manifests, verdicts, reports, notifications.

Spark reads and writes the data itself (Parquet); everything else, and the commit of a
stage's output (moving a staged prefix into place), goes through ``Storage``. Keys are
always relative to the workflow bucket and use '/'.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from baton import s3
from baton.errors import InvalidNameError
from baton.paths import WorkflowBucket

FILE_MODE = 0o644  # what a plain open() gives under the usual umask 022


@dataclass(frozen=True)
class ObjectStat:
    """What S3 lists of one object: size in bytes, last modification, ETag (quoted MD5 of a simple upload)."""

    size: int
    last_modified: datetime
    etag: str


class Storage(Protocol):
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def create_exclusive(self, key: str, data: bytes) -> bool: ...
    def append_line(self, key: str, line: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def stat(self, key: str) -> ObjectStat: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def size_of_prefix(self, prefix: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def move_prefix(self, src: str, dst: str) -> None: ...
    def move(self, src: str, dst: str) -> None: ...
    def copy(self, src: str, dst: str) -> None: ...


def read_json(storage: Storage, key: str) -> Any:
    return json.loads(storage.read_bytes(key))


def write_json(storage: Storage, key: str, value: Any) -> None:
    storage.write_bytes(key, (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode())


class LocalStorage:
    """A directory on this machine; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._real_root = self.root.resolve()

    def _path(self, key: str) -> Path:
        """The file of ``key``; refused if it leads out of the root (a symbolic link or '..' in the key)."""
        path = self.root.joinpath(*key.strip("/").split("/")) if key else self.root
        real = path.resolve()
        if not real.is_relative_to(self._real_root):
            raise InvalidNameError(f"key {key!r} leads out of the workflow bucket {self.root} to {real} "
                                   "(a symbolic link or '..'); Baton follows none out of the bucket", path=key)
        return path

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.fchmod(fd, FILE_MODE)  # mkstemp makes 0600: reports and manifests are for every reader
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def create_exclusive(self, key: str, data: bytes) -> bool:
        """Write ``data`` at ``key`` only if nothing is there, in one atomic step; False if something was.

        The bytes go to a temporary file first, then ``link`` publishes them whole: it fails on an
        existing name, so of two processes creating one key at the same moment exactly one succeeds.
        """
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        return True

    def append_line(self, key: str, line: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line.rstrip("\n") + "\n")

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def stat(self, key: str) -> ObjectStat:
        path = self._path(key)
        digest = hashlib.md5()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        status = path.stat()
        return ObjectStat(status.st_size, datetime.fromtimestamp(status.st_mtime, UTC), f'"{digest.hexdigest()}"')

    def list_keys(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def size_of_prefix(self, prefix: str) -> int:
        return sum(self._path(k).stat().st_size for k in self.list_keys(prefix))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def move_prefix(self, src: str, dst: str) -> None:
        """Rename a directory into place (one atomic rename on a local file system)."""
        target = self._path(dst)
        if target.exists():
            raise FileExistsError(f"cannot move {src} onto existing {dst}")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(src), target)

    def move(self, src: str, dst: str) -> None:
        """Rename one object, replacing ``dst`` if it exists."""
        self._path(dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(src), self._path(dst))

    def copy(self, src: str, dst: str) -> None:
        """``dst`` with the bytes of ``src``: a hard link where possible (committed data files are never
        modified in place, only moved or deleted), else a copy."""
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self._path(src), target)
        except OSError:
            shutil.copyfile(self._path(src), target)


class S3Storage:
    """A bucket (and optional prefix) through boto3.

    The client retries transient faults (see :mod:`baton.s3`); a request that fails for good raises
    :class:`baton.s3.StorageError` naming the operation, the ``s3://`` key and, when given, ``stage``.
    """

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, stage: str | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or s3.client()
        self.stage = stage

    def _key(self, key: str) -> str:
        return "/".join(p for p in (self.prefix, key.strip("/")) if p)

    def _relative(self, full: str) -> str:
        return full[len(self.prefix) + 1:] if self.prefix else full

    def _errors(self, operation: str, full_key: str) -> AbstractContextManager[None]:
        return s3.errors(operation, f"s3://{self.bucket}/{full_key}", self.stage)

    def read_bytes(self, key: str) -> bytes:
        with self._errors("GetObject", self._key(key)):
            return s3.download(self.client, self.bucket, self._key(key))

    def write_bytes(self, key: str, data: bytes) -> None:
        with self._errors("PutObject", self._key(key)):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def create_exclusive(self, key: str, data: bytes) -> bool:
        """A conditional PutObject (``If-None-Match: *``): S3 refuses it when the key exists; False then."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
        except ClientError as err:
            # 412 when the key exists; 409 when another conditional write of it is in flight
            if err.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def append_line(self, key: str, line: str) -> None:
        # S3 has no append: read, extend, put. Notifications are rare and tiny.
        existing = self.read_bytes(key) if self.exists(key) else b""
        self.write_bytes(key, existing + line.rstrip("\n").encode() + b"\n")

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        with self._errors("HeadObject", self._key(key)):
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
                return True
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise

    def stat(self, key: str) -> ObjectStat:
        with self._errors("HeadObject", self._key(key)):
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        return ObjectStat(head["ContentLength"], head["LastModified"], head["ETag"])

    def _objects(self, prefix: str) -> list[dict]:
        full = self._key(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        found = []
        with self._errors("ListObjectsV2", full + "/" if full else ""):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full + "/" if full else ""):
                found.extend(page.get("Contents", []))
        return found

    def list_keys(self, prefix: str) -> list[str]:
        if prefix and self.exists(prefix):
            return [prefix]
        return sorted(self._relative(o["Key"]) for o in self._objects(prefix))

    def size_of_prefix(self, prefix: str) -> int:
        return sum(o["Size"] for o in self._objects(prefix))

    def delete(self, key: str) -> None:
        with self._errors("DeleteObject", self._key(key)):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> None:
        keys = [{"Key": o["Key"]} for o in self._objects(prefix)]
        for start in range(0, len(keys), 1000):
            with self._errors("DeleteObjects", self._key(prefix) + "/"):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start:start + 1000]})

    def move_prefix(self, src: str, dst: str) -> None:
        """Copy every object under ``src`` to ``dst``, then delete ``src`` (S3 has no rename).

        Not atomic by itself: callers write ``_SUCCESS`` only after the move, so a reader
        never trusts a half-moved prefix.
        """
        if self._objects(dst):
            raise FileExistsError(f"cannot move {src} onto existing {dst}")
        for obj in self._objects(src):
            relative = obj["Key"][len(self._key(src)):]
            with self._errors("CopyObject", self._key(dst) + relative):
                self.client.copy_object(Bucket=self.bucket, Key=self._key(dst) + relative,
                                        CopySource={"Bucket": self.bucket, "Key": obj["Key"]})
        self.delete_prefix(src)

    def move(self, src: str, dst: str) -> None:
        self.copy(src, dst)
        self.delete(src)

    def copy(self, src: str, dst: str) -> None:
        """A server-side copy (no bytes through this process)."""
        with self._errors("CopyObject", self._key(dst)):
            self.client.copy_object(Bucket=self.bucket, Key=self._key(dst),
                                    CopySource={"Bucket": self.bucket, "Key": self._key(src)})


def storage_for(bucket: WorkflowBucket, client: Any = None, stage: str | None = None) -> Storage:
    """The storage of ``bucket``; on S3, its errors name ``stage`` when given."""
    if bucket.is_s3:
        return S3Storage(bucket.root, bucket.prefix, client=client, stage=stage)
    return LocalStorage(bucket.root)
