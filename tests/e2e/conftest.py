"""The whole stack, started the way `make run` starts it, on free ports.

``stack`` (session scope) runs the supervisor in a subprocess with its own data
folder and ports, waits for "All processes are up", yields the URLs and
stops it afterwards (SIGINT, like Ctrl-C). Needs a trained model and a built
index (`make train index` — `make test` does both first).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    rasa: str
    actions: str
    web: str
    data_dir: Path
    proc: subprocess.Popen
    log: Path
    env: dict


def start_stack(tmp: Path, extra_env: dict | None = None, timeout: float = 240) -> Stack:
    ports = {"FRONTLINE_RASA_PORT": free_port(), "FRONTLINE_ACTIONS_PORT": free_port(),
             "FRONTLINE_WEB_PORT": free_port()}
    data = tmp / "var"
    data.mkdir(parents=True, exist_ok=True)
    # reuse the built index (read-only) so the stack starts in seconds
    src_index = ROOT / "var" / "index"
    if src_index.exists():
        shutil.copytree(src_index, data / "index", symlinks=True)
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "FRONTLINE_DATA_DIR": str(data),
           "FRONTLINE_WEB_HOST": "127.0.0.1", "FRONTLINE_QUIET_LOGS": "1",
           "FRONTLINE_WARM_AT_IMPORT": "1",  # tests/conftest.py turns it off for in-process tests
           **(extra_env or {})}
    log = tmp / "supervisor.log"
    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "frontline.cli", "run"], cwd=ROOT, env=env,
                            stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if "All processes are up" in text:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"stack failed to start:\n{text}")
        time.sleep(0.5)
    else:
        proc.send_signal(signal.SIGINT)
        raise RuntimeError(f"stack not up after {timeout}s:\n{log.read_text()}")
    return Stack(rasa=f"http://127.0.0.1:{ports['FRONTLINE_RASA_PORT']}",
                 actions=f"http://127.0.0.1:{ports['FRONTLINE_ACTIONS_PORT']}",
                 web=f"http://127.0.0.1:{ports['FRONTLINE_WEB_PORT']}",
                 data_dir=data, proc=proc, log=log, env=env)


def stop_stack(stack: Stack) -> int:
    if stack.proc.poll() is None:
        stack.proc.send_signal(signal.SIGINT)
        try:
            return stack.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.proc.kill()
            return stack.proc.wait()
    return stack.proc.returncode


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = start_stack(tmp_path_factory.mktemp("stack"))
    yield s
    stop_stack(s)


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (the Debian package, never a download)."""
    from playwright.sync_api import sync_playwright

    from web.testing import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
