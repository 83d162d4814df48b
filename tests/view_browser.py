"""One headless Chromium for the view tests, driven over the DevTools protocol on a pipe.

``Browser.load(url)`` loads a page with every host name unresolvable, and returns the URLs the page
requested, so that a test takes a screenshot, evaluates DOM assertions and checks the network of the
same single page load. Needs /usr/bin/chromium: ``scripts/install-chromium.sh``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe"]
TIMEOUT = 60


class Browser:
    def __init__(self) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="baton-chromium-")
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()

        def as_devtools_fds() -> None:  # Chromium reads commands on fd 3 and writes answers on fd 4
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen([str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile.name}"],
                                        preexec_fn=as_devtools_fds, close_fds=False, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._reader = os.fdopen(self._answers, "rb")
        self._next_id = 0
        self._buffer = b""
        self._messages: deque[dict[str, Any]] = deque()
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Network.enable"):
            self.call(method, session=self.session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1800, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=self.session)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def _read(self) -> dict[str, Any]:
        """The next message; the pipe carries JSON messages each ended by a NUL byte."""
        while not self._messages:
            chunk = self._reader.read1(65536)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            *complete, self._buffer = (self._buffer + chunk).split(b"\0")
            self._messages.extend(json.loads(m) for m in complete)
        return self._messages.popleft()

    def load(self, url: str) -> list[str]:
        """Load ``url`` and wait for its load event; return the URLs it requested."""
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=self.session)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read())
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                         session=self.session)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        os.close(self._commands)
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.close()
        self.profile.cleanup()
