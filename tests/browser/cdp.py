"""Headless Chromium driven over the Chrome DevTools Protocol on a pipe.

With --remote-debugging-pipe the browser reads commands on its fd 3 and writes replies and
events on its fd 4, each a NUL-terminated JSON message. That needs no driver binary, no
websocket library and no network port: Debian's chromium package and the standard library.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium dials Google's services at start-up,
# which a machine without a network refuses (and which a test has no business doing).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


class CdpError(RuntimeError):
    """A DevTools command that failed, a page script that threw, or a wait that ran out."""


class Browser:
    """One Chromium process with one page; `events` keeps every protocol event it sent."""

    def __init__(self, profile_dir: Path, width: int = 1440, height: int = 900) -> None:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        # The child's ends, numbered above 4 so that moving them to 3 and 4 clobbers neither.
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_read, replies_write)]
        os.close(commands_read)
        os.close(replies_write)
        commands_read, replies_write = ends
        # bash puts them where Chromium expects them, then becomes Chromium (a preexec_fn would
        # run Python in the forked child, which can deadlock in a test run with threads).
        move = (
            f'exec "$@" 3<&{commands_read} 4>&{replies_write} {commands_read}<&- {replies_write}>&-'
        )
        command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile_dir}", "about:blank"]
        self.log_path = profile_dir / "chromium.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", move, "chromium", *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=ends,
            )
        os.close(commands_read)
        os.close(replies_write)
        self.events: list[dict[str, Any]] = []
        self._answers: dict[int, dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._replies, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._changed:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(message)
                self._changed.notify_all()
        with self._changed:  # the browser is gone: wake every waiter
            self._changed.notify_all()

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """One command to the browser (or, with `session`, to the page); its result."""
        with self._changed:
            self._next_id += 1
            command_id = self._next_id
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        with self._changed:
            while command_id not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise CdpError(f"{method}: no answer from Chromium (see {self.log_path})")
                self._changed.wait(left)
            answer = self._answers.pop(command_id)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        return answer["result"]

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A command to the page."""
        return self.send(method, params, self.session)

    def page_events(self, method: str) -> list[dict[str, Any]]:
        """The params of every event of this kind the page sent so far."""
        with self._changed:
            return [
                event["params"]
                for event in self.events
                if event["method"] == method and event.get("sessionId") == self.session
            ]

    def open(self, url: str, timeout: float = 30) -> None:
        """Navigates and waits for the load event."""
        loaded = len(self.page_events("Page.loadEventFired"))
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.page_events("Page.loadEventFired")) == loaded:
                if time.monotonic() > deadline:
                    raise CdpError(f"{url} did not load in {timeout} s")
                self._changed.wait(0.2)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a page expression (awaited if it is a promise)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Polls a page expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"still falsy after {timeout} s: {expression}")
            time.sleep(0.2)

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the viewport, or of `clip` ({x, y, width, height} in CSS pixels)."""
        params: dict[str, Any] = {"format": "png"}
        if clip:
            params["clip"] = {**clip, "scale": 1}
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        with contextlib.suppress(CdpError):  # it may close before it answers
            self.send("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        os.close(self._commands)
        self._reader.join(timeout=5)
        os.close(self._replies)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
