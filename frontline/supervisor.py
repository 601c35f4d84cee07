"""Start the action server, the Rasa server and the front door; stop them together.

- Refuses to start if a port is taken, naming the port and what needed it.
- Waits until each process answers, showing progress, then prints one URL.
- Ctrl-C (or SIGTERM) stops all three; if one crashes, the others are stopped
  and the log of the one that crashed is named.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .logfiles import DailyLog
from .retention import RetentionError, RetentionTimer, retention_days, tracker_url
from .settings import Settings
from .training import model_path, rasa_env


class StartupError(Exception):
    exit_code = 1


@dataclass
class Service:
    name: str
    label: str
    cmd: list[str]
    port: int
    host: str
    ready_url: str
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    _threads: list[threading.Thread] = field(default_factory=list)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return 200 <= r.status < 500
    except urllib.error.HTTPError as e:
        return e.code < 500
    except Exception:
        return False


def build_services(settings: Settings) -> list[Service]:
    root = settings.root
    py = sys.executable
    base = dict(os.environ)
    base.setdefault("HF_HUB_OFFLINE", "1")
    base.setdefault("TRANSFORMERS_OFFLINE", "1")
    base["PYTHONPATH"] = str(root)
    base["FRONTLINE_DATA_DIR"] = str(settings.data_dir)
    model = model_path(settings)
    if not model.exists():
        raise StartupError(f"no trained Rasa model at {model}; run `make train` first")
    renv = rasa_env()
    renv.update(ACTION_SERVER_URL=settings.action_url, FRONTLINE_TRACKER_DB=str(settings.tracker_db))
    rasa_cmd = [str(settings.rasa_bin), "run", "--model", str(model), "--interface", "127.0.0.1",
                "--port", str(settings.rasa_port), "--credentials", "bot/credentials.yml",
                "--endpoints", "bot/endpoints.yml"]
    if os.environ.get("FRONTLINE_RASA_API_TOKEN"):  # Rasa's HTTP API is off unless a token is given
        rasa_cmd += ["--enable-api", "--auth-token", os.environ["FRONTLINE_RASA_API_TOKEN"]]
    return [
        Service("actions", "action server", [py, "-m", "actions.server", "--port", str(settings.actions_port)],
                settings.actions_port, "127.0.0.1", f"http://127.0.0.1:{settings.actions_port}/health",
                base),
        Service("rasa", "Rasa server", rasa_cmd,
                settings.rasa_port, "127.0.0.1", f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/",
                renv),
        Service("web", "front door", [py, "-m", "uvicorn", "web.app:app", "--host", settings.web_host,
                                      "--port", str(settings.web_port), "--no-access-log"],
                settings.web_port, settings.web_host, f"http://127.0.0.1:{settings.web_port}/healthz",
                {**base, "FRONTLINE_RASA_URL": settings.rasa_url}),
    ]


def run_shell(settings: Settings | None = None) -> int:
    """``frontline shell``: the action server in the background and ``rasa shell`` in this
    terminal, for trainers and developers to walk a flow or try a question. Conversations are
    kept in memory only (``bot/endpoints.shell.yml``): the command line has no redaction."""
    settings = settings or Settings()
    os.environ["FRONTLINE_QUIET_LOGS"] = "1"  # the action server's log goes to its file, not over the chat
    services = build_services(settings)  # checks the model exists
    sup = Supervisor(settings, [s for s in services if s.name == "actions"])
    renv = rasa_env()
    renv.update(ACTION_SERVER_URL=settings.action_url)
    with socket.socket() as s:  # rasa shell runs its own server: any free port, so `make run` can go on
        s.bind(("127.0.0.1", 0))
        shell_port = s.getsockname()[1]
    cmd = [str(settings.rasa_bin), "shell", "--model", str(model_path(settings)), "--endpoints",
           "bot/endpoints.shell.yml", "--port", str(shell_port)]
    try:
        sup.start()
        print("loading the knowledge base and the model (about 20 s) ...", flush=True)
        sup.wait_ready()
        return subprocess.call(cmd, cwd=settings.root, env=renv)
    except KeyboardInterrupt:
        return 130
    finally:
        sup.stop()


def _child_setup() -> None:
    """Run in each child before exec: own process group (so a stop reaches its
    children too) and, on Linux, die with the supervisor even if it is killed
    with SIGKILL, so no orphan keeps a port."""
    os.setsid()
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _pump(svc: Service, stream, logfile) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace")
        logfile.write(line)
        logfile.flush()
        if os.environ.get("FRONTLINE_QUIET_LOGS") != "1":
            sys.stdout.write(f"[{svc.name}] {line}")
            sys.stdout.flush()


class Supervisor:
    def __init__(self, settings: Settings | None = None, services: list[Service] | None = None,
                 ready_timeout: float = 240.0):
        self.settings = settings or Settings()
        self.services = services if services is not None else build_services(self.settings)
        self.ready_timeout = ready_timeout
        self._stopping = False
        self._retention: RetentionTimer | None = None

    def check_ports(self) -> None:
        for svc in self.services:
            if port_in_use(svc.port, "0.0.0.0" if svc.host == "0.0.0.0" else "127.0.0.1"):
                raise StartupError(
                    f"port {svc.port} is in use, so the {svc.label} cannot start. Stop whatever is "
                    f"listening there (e.g. `ss -ltnp 'sport = :{svc.port}'`) or choose another port."
                )

    def start(self) -> None:
        try:
            retention_days()
        except RetentionError as exc:
            raise StartupError(str(exc)) from exc
        self.check_ports()
        logs = self.settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for svc in self.services:
            svc.log_path = logs / f"{svc.name}.log"
            fh = DailyLog(svc.log_path)  # one file per day, purged after FRONTLINE_LOG_RETENTION_DAYS
            svc.proc = subprocess.Popen(svc.cmd, cwd=self.settings.root, env=svc.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, preexec_fn=_child_setup)
            t = threading.Thread(target=_pump, args=(svc, svc.proc.stdout, fh), daemon=True)
            t.start()
            svc._threads.append(t)
            print(f"starting {svc.label} on port {svc.port} ...", flush=True)

    def crashed(self) -> Service | None:
        return next((s for s in self.services if s.proc and s.proc.poll() is not None), None)

    def wait_ready(self) -> float:
        started = time.monotonic()
        pending = list(self.services)
        while pending:
            dead = self.crashed()
            if dead:
                raise StartupError(self._crash_message(dead))
            for svc in list(pending):
                if _ready(svc.ready_url):
                    pending.remove(svc)
                    print(f"  ready: {svc.label} ({time.monotonic() - started:.1f}s)", flush=True)
            if time.monotonic() - started > self.ready_timeout:
                names = ", ".join(s.label for s in pending)
                raise StartupError(f"timed out after {self.ready_timeout:.0f}s waiting for: {names}")
            time.sleep(0.25)
        return time.monotonic() - started

    def _crash_message(self, svc: Service) -> str:
        return (f"the {svc.label} stopped unexpectedly (exit code {svc.proc.returncode}); "
                f"stopping the others. Its log: {svc.log_path}")

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        for svc in self.services:
            if svc.proc and svc.proc.poll() is None:
                try:
                    os.killpg(svc.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for svc in self.services:
            if svc.proc is None:
                continue
            try:
                svc.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(svc.proc.pid, signal.SIGKILL)
                svc.proc.wait()

    def run_forever(self) -> int:
        def on_signal(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, on_signal)
        # explicitly: a process started in the background by a non-interactive shell
        # inherits SIGINT as ignored, and Ctrl-C / `kill -INT` would do nothing
        signal.signal(signal.SIGINT, on_signal)
        try:
            # the application database migrated to the latest revision before anything uses it
            from store import current_revision, engine_for

            print(f"Database {self.settings.data_dir / 'frontline.db'} at revision "
                  f"{current_revision(engine_for(self.settings.data_dir))}", flush=True)
            self.start()
            took = self.wait_ready()
            self._retention = RetentionTimer(url=tracker_url(self.settings)).start()  # purge now, then daily
            host = "localhost" if self.settings.web_host in ("0.0.0.0", "127.0.0.1") else self.settings.web_host
            print(f"\nAll processes are up in {took:.1f}s. Open http://{host}:{self.settings.web_port}/ "
                  f"(Ctrl-C stops everything)\n", flush=True)
            while True:
                dead = self.crashed()
                if dead:
                    print(f"\nerror: {self._crash_message(dead)}", file=sys.stderr, flush=True)
                    return 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
            return 0
        except StartupError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return exc.exit_code
        finally:
            if self._retention:  # a daemon thread: never let a slow purge hold up Ctrl-C
                self._retention.stop(timeout=2)
            self.stop()
            print("stopped: action server, Rasa server, front door", flush=True)
