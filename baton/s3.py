"""The S3 client of the workflow bucket and of raw sources, and what its errors mean to a user.

Every boto3 S3 client Baton uses for those buckets comes from :func:`client`, configured from the
``s3`` setting of ``conf/<env>.json``::

    "s3": {"retryMode": "standard", "maxAttempts": 8}

Transient faults are retried by botocore itself (its ``standard`` or ``adaptive`` retry mode):
throttling (503 SlowDown), 500 InternalError, 502/503/504 and a connection dropped before the
whole response arrived. The body of an object being read is the one thing botocore's handler does
not cover (it returns once the headers came); :func:`download` reads it through s3transfer, which
retries a body cut mid-stream the same number of times. What still fails after the retries, and
what no retry mends (403 AccessDenied, a missing bucket), becomes a :class:`StorageError` that
names the operation, the ``s3://`` key, the stage where known and the S3 error code.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import conf
from baton.errors import BatonError
from conf.settings import S3Settings


class StorageError(BatonError):
    """An S3 request failed for good: permanently (access, missing bucket) or after every retry."""

    def __init__(self, operation: str, uri: str, code: str, detail: str, *, attempts: int | None = None,
                 stage: str | None = None):
        self.operation = operation
        self.uri = uri
        self.code = code
        tried = f" after {attempts} attempts" if attempts and attempts > 1 else ""
        super().__init__(f"S3 {operation} failed{tried} with {code}: {detail}", stage=stage, path=uri)


def retry_config(settings: S3Settings) -> dict[str, Any]:
    """botocore's ``retries`` of the ``s3`` setting (its values checked when the settings load)."""
    return {"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts}


def client(settings: S3Settings | None = None) -> Any:
    """A boto3 S3 client that retries transient faults as ``settings`` (default: ``conf.load().s3``) say.

    The endpoint and region come from the usual AWS environment (``AWS_ENDPOINT_URL_S3`` reaches
    a local server).
    """
    import boto3
    from botocore.config import Config

    settings = conf.load().s3 if settings is None else settings
    return boto3.client("s3", config=Config(retries=retry_config(settings)))


def download(s3: Any, bucket: str, key: str) -> bytes:
    """The bytes of ``bucket/key``; a body cut mid-stream is read again (s3transfer, as many attempts as botocore)."""
    from boto3.s3.transfer import TransferConfig

    # a client of client() says its attempts; another (a test's, built by hand) keeps s3transfer's default
    attempts = (s3.meta.config.retries or {}).get("total_max_attempts")
    transfer = TransferConfig(use_threads=False, **({"num_download_attempts": attempts} if attempts else {}))
    buffer = io.BytesIO()
    s3.download_fileobj(bucket, key, buffer, Config=transfer)
    return buffer.getvalue()


@contextmanager
def errors(operation: str, uri: str, stage: str | None = None) -> Iterator[None]:
    """Turn what botocore raises in the block into a :class:`StorageError` naming ``operation`` and ``uri``."""
    from botocore.exceptions import BotoCoreError, ClientError
    from s3transfer.exceptions import RetriesExceededError

    try:
        yield
    except ClientError as err:
        error = err.response.get("Error", {})
        attempts = err.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        code = str(error.get("Code") or "unknown")
        raise StorageError(operation, uri, code, error.get("Message") or str(err), attempts=attempts,
                           stage=stage) from err
    except RetriesExceededError as err:  # s3transfer gave up reading a body cut mid-stream
        cause = err.last_exception or err
        raise StorageError(operation, uri, type(cause).__name__, str(cause), stage=stage) from err
    except BotoCoreError as err:  # the connection, after botocore's own retries
        raise StorageError(operation, uri, type(err).__name__, str(err), stage=stage) from err
