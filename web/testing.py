"""Helpers for tests and scripts that drive the front door over real HTTP.

- :func:`sign_in` signs an ``httpx.Client`` in and returns the CSRF token to send
  as ``X-CSRF-Token`` on ``POST /api/message`` and ``POST /api/feedback``.
- :class:`StubRasa` is a tiny Rasa REST channel stand-in on loopback (real HTTP),
  for front-door tests that do not need the whole stack.
- :class:`LiveServer` runs an ASGI app with uvicorn in a thread on a free port.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, name: str, password: str) -> str:
    """Sign ``client`` (an ``httpx.Client`` or Starlette ``TestClient`` with a base URL) in;
    return the session's CSRF token. Raises ``RuntimeError`` if sign-in fails."""
    page = client.get("/login")
    field = CSRF_FIELD.search(page.text)
    if field is None:
        raise RuntimeError(f"no sign-in form at /login (HTTP {page.status_code})")
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": field.group(1)},
                    follow_redirects=False)
    if r.status_code != 303:
        raise RuntimeError(f"sign-in failed with HTTP {r.status_code}")
    chat = client.get("/")
    meta = CSRF_META.search(chat.text)
    if meta is None:
        raise RuntimeError("signed in, but the chat page has no CSRF token")
    return meta.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


Responder = Callable[[str, str], list[dict]]


class StubRasa:
    """A loopback HTTP server answering ``POST /webhooks/rest/webhook`` like Rasa's REST channel.
    ``responder(sender, message)`` returns the reply list; every request is kept in ``seen``."""

    def __init__(self, responder: Responder):
        self.responder = responder
        self.seen: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.seen.append(body)
                if self.path != "/webhooks/rest/webhook":
                    self.send_error(404)
                    return
                try:
                    data = json.dumps(stub.responder(body.get("sender"), body.get("message"))).encode()
                except Exception:  # a responder that raises stands for a broken Rasa
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StubRasa":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class LiveServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app, port: int | None = None):
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the front door did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def collect_page_errors(page) -> list[str]:
    """Script errors and console errors the page reports, for a test to assert on at the end
    (a CSP refusal or a JavaScript exception fails the test that caused it)."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def launch_chromium(playwright):
    """Headless Debian Chromium (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def add_user(data_dir, name: str, role: str, password: str, exist_ok: bool = False) -> None:
    """Create an account in ``data_dir`` the way an operator does: ``frontline users add`` in a subprocess.
    With ``exist_ok``, an account of that name that already exists is fine."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "FRONTLINE_DATA_DIR": str(data_dir)}
    r = subprocess.run([sys.executable, "-m", "frontline.cli", "users", "add", name, "--role", role],
                       input=password + "\n", text=True, capture_output=True, env=env)
    if r.returncode != 0 and not (exist_ok and "already exists" in r.stderr):
        raise RuntimeError(f"frontline users add failed: {r.stderr.strip()}")
