"""An S3 fault injector: an HTTP proxy on 127.0.0.1 in front of moto's server.

boto3 clients reach it as their endpoint (``AWS_ENDPOINT_URL_S3``, path-style requests). Each
request is named by the S3 operation it is (``GetObject``, ``HeadObject``, ``PutObject``,
``CopyObject``, ``ListObjectsV2``, ``DeleteObject``, ``DeleteObjects``) and its key; a
:class:`Rule` fails the first ``times`` requests whose operation matches and whose key matches a
regular expression, with one of :data:`FAULTS`:

    throttle   503 SlowDown (S3's throttling answer)
    internal   500 InternalError
    reset      the request reaches moto, then the connection is reset half-way through its answer's body (or,
               for an answer without one, inside the status line)
    denied     403 AccessDenied

Every request is logged (:attr:`FaultProxy.log`): what it was and the fault it got, if any.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

FAULTS = {
    "throttle": (503, "SlowDown", "Please reduce your request rate."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
    "denied": (403, "AccessDenied", "Access Denied"),
    "reset": None,
}


@dataclass
class Rule:
    """Fail the first ``times`` requests of ``operation`` whose key matches ``key`` (a regex, searched)."""

    operation: str
    key: str
    fault: str
    times: int
    failed: int = 0

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {sorted(FAULTS)}")

    def matches(self, operation: str, key: str) -> bool:
        return operation == self.operation and re.search(self.key, key) is not None and self.failed < self.times


@dataclass(frozen=True)
class Request:
    operation: str
    key: str
    fault: str | None


@dataclass
class FaultProxy:
    """Start with :meth:`start` (or ``with``); :attr:`endpoint` is what clients use."""

    upstream: str  # http://127.0.0.1:PORT of moto's server
    rules: list[Rule] = field(default_factory=list)
    log: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "the proxy is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, operation: str, key: str, fault: str, times: int) -> Rule:
        rule = Rule(operation, key, fault, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.log.clear()

    def requests(self, operation: str, key: str = "") -> list[Request]:
        """The logged requests of ``operation`` whose key matches ``key``, in order."""
        with self._lock:
            return [r for r in self.log if r.operation == operation and re.search(key, r.key)]

    def _fault_for(self, operation: str, key: str) -> str | None:
        with self._lock:
            rule = next((r for r in self.rules if r.matches(operation, key)), None)
            if rule is not None:
                rule.failed += 1
            self.log.append(Request(operation, key, rule.fault if rule else None))
            return rule.fault if rule else None


def operation_of(method: str, path: str, query: dict[str, list[str]], headers: http.client.HTTPMessage) -> str:
    """The S3 operation of a path-style request ``/bucket[/key]``."""
    has_key = "/" in path.lstrip("/")
    if method == "GET":
        return "GetObject" if has_key else ("ListObjectsV2" if "list-type" in query else "ListObjects")
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        if not has_key:
            return "CreateBucket"
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    return f"{method} {path}"


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

    def log_message(self, format: str, *args: object) -> None:  # the proxy's own log is FaultProxy.log
        pass

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        operation = operation_of(self.command, parts.path, query, self.headers)
        key = unquote(parts.path.lstrip("/").partition("/")[2])
        if "prefix" in query:
            key = query["prefix"][0]
        body = self._request_body()
        fault = self.owner._fault_for(operation, key)
        if fault in ("throttle", "internal", "denied"):
            self._send_error(*FAULTS[fault])
            return
        status, reason, headers, answer = self._forward(body)
        head, payload = self._response(status, reason, headers, answer)
        if fault == "reset":
            # half-way through the body; without one, inside the status line (a client takes the end of
            # the connection for the end of the headers)
            self.wfile.write(head + payload[:len(payload) // 2] if payload else head[:5])
            self.wfile.flush()
            # SO_LINGER 0: close with a TCP reset, as a dropped connection does
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.wfile.write(head + payload)

    def _request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = urlsplit(self.owner.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "content-length")}
        headers["Content-Length"] = str(len(body))
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            return response.status, response.reason, response.getheaders(), answer
        finally:
            connection.close()

    def _response(self, status: int, reason: str, headers: list[tuple[str, str]],
                  body: bytes) -> tuple[bytes, bytes]:
        """The status line and headers, and the body (none for HEAD)."""
        kept = [(k, v) for k, v in headers if k.lower() not in ("transfer-encoding", "connection", "content-length")]
        length = dict((k.lower(), v) for k, v in headers).get("content-length") if self.command == "HEAD" else None
        kept.append(("Content-Length", length or str(len(body))))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept) + "\r\n"
        return head.encode("latin-1"), b"" if self.command == "HEAD" else body

    def _send_error(self, status: int, code: str, message: str) -> None:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                f"<Resource>{escape(self.path)}</Resource><RequestId>baton-fault</RequestId></Error>").encode()
        head = (f"HTTP/1.1 {status} {http.client.responses[status]}\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {0 if self.command == 'HEAD' else len(body)}\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (b"" if self.command == "HEAD" else body))
