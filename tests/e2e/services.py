"""Start real PostgreSQL, Redis, Rasa servers and action servers on loopback for tests.

Every process is registered in a ``Services`` group; leaving the ``with`` block
(or calling ``stop_all``) stops all of them, even when a test failed. Children
also get PR_SET_PDEATHSIG, so a killed pytest leaves no orphan holding a port.
Missing Debian packages (postgresql, redis-server) are installed with apt-get
the first time (root only; anything else is a clear error, never a skip).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from frontline.settings import Settings
from frontline.training import model_path, rasa_env

from .conftest import ROOT, free_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SCALE_ENDPOINTS = ROOT / "deploy" / "endpoints.scale.yml"


class ServiceError(RuntimeError):
    pass


def _child_setup() -> None:
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # die with pytest
    except OSError:
        pass


_apt_updated = False


def ensure_debian_packages(binaries: dict[str, str]) -> None:
    """``{binary: package}``: apt-get install the packages whose binary is missing."""
    global _apt_updated
    missing = [pkg for binary, pkg in binaries.items() if not _which(binary)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise ServiceError(f"missing {', '.join(missing)}: install them (apt-get install -y {' '.join(missing)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        _apt_updated = True
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, capture_output=True)
    # the Debian packages may start system-wide services; ours run on their own ports, so leave them


def _which(binary: str) -> str | None:
    if binary in ("initdb", "pg_ctl", "postgres"):
        for d in PG_BIN_DIRS + sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (d / binary).exists():
                return str(d / binary)
    return shutil.which(binary)


@dataclass
class Proc:
    name: str
    cmd: list[str]
    env: dict
    log: Path
    ready_url: str | None = None
    cwd: Path = ROOT
    popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        fh = open(self.log, "ab")
        self.popen = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                      preexec_fn=_child_setup)
        fh.close()
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServiceError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            if self.ready_url is None or _answers(self.ready_url):
                return
            time.sleep(0.5)
        raise ServiceError(f"{self.name} not ready after {timeout:.0f}s:\n{self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def kill(self) -> None:
        """Hard crash: SIGKILL, no clean shutdown."""
        self.stop(signal.SIGKILL)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _pg_user_prefix() -> list[str]:
    """As root, PostgreSQL's tools run as the postgres user, through ``runuser`` (in /usr/sbin)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise RuntimeError("runuser is not on PATH (it is in /usr/sbin): add /usr/sbin to PATH to run these tests as root")
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster in a temp dir, trusting loopback connections."""

    port: int
    datadir: Path
    proc: Proc
    db: str = "frontline"
    user: str = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{self.db}"

    def env(self) -> dict[str, str]:
        return {"FRONTLINE_PG_HOST": "127.0.0.1", "FRONTLINE_PG_PORT": str(self.port), "FRONTLINE_PG_DB": self.db,
                "FRONTLINE_PG_USER": self.user, "FRONTLINE_PG_PASSWORD": ""}

    def stop(self) -> None:
        self.proc.stop(signal.SIGINT)  # fast shutdown

    def start(self) -> None:
        self.proc.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ok = subprocess.run([_which("pg_isready") or "pg_isready", "-h", "127.0.0.1", "-p", str(self.port)],
                                capture_output=True).returncode == 0
            if ok:
                return
            if not self.proc.alive():
                break
            time.sleep(0.3)
        raise ServiceError(f"PostgreSQL did not start:\n{self.proc.tail()}")


@dataclass
class Services:
    """Owns every process a test module starts; ``stop_all`` stops them in reverse order."""

    tmp: Path
    procs: list = field(default_factory=list)
    _dirs: list = field(default_factory=list)

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            try:
                p.stop(signal.SIGINT) if isinstance(p, Postgres) else p.stop()
            except Exception:  # keep stopping the others
                pass
        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)

    # --- databases -----------------------------------------------------------------
    def postgres(self) -> Postgres:
        ensure_debian_packages({"initdb": "postgresql", "pg_isready": "postgresql-client"})
        # the cluster must be owned by (and reachable for) the postgres user: not under pytest's 0700 tmp
        datadir = Path(tempfile.mkdtemp(prefix="frontline-pg-")) / "data"
        self._dirs.append(datadir.parent)
        datadir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(datadir.parent, "postgres")
            shutil.chown(datadir, "postgres")
        subprocess.run([*_pg_user_prefix(), _which("initdb"), "-D", str(datadir), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        port = free_port()
        proc = Proc("postgres", [*_pg_user_prefix(), _which("postgres"), "-D", str(datadir), "-p", str(port),
                                 "-h", "127.0.0.1", "-k", str(datadir), "-c", "fsync=off"],
                    dict(os.environ), self.tmp / "postgres.log", cwd=datadir.parent)
        pg = Postgres(port, datadir, proc)
        self.procs.append(pg)
        pg.start()
        subprocess.run([_which("psql") or "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q",
                        "-c", f"CREATE DATABASE {pg.db}"], check=True, capture_output=True)
        return pg

    def redis(self) -> tuple[int, Proc]:
        ensure_debian_packages({"redis-server": "redis-server"})
        port = free_port()
        proc = Proc("redis", [_which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--daemonize", "no"], dict(os.environ), self.tmp / "redis.log")
        self.procs.append(proc.start())
        deadline = time.monotonic() + 30
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline or not proc.alive():
                raise ServiceError(f"Redis did not start:\n{proc.tail()}")
            time.sleep(0.2)
        return port, proc

    # --- the assistant -------------------------------------------------------------
    def data_dir(self, name: str) -> Path:
        """A data folder with a copy of the built search index (tests may break their copy)."""
        data = self.tmp / name
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        src = ROOT / "var" / "index"
        if not (src / "current" / "manifest.json").exists():
            raise ServiceError("no built search index in var/index: run `make index` first")
        shutil.copytree(src, data / "index", symlinks=True, dirs_exist_ok=True)
        return data

    def action_server(self, data: Path, secret: str | None = None, port: int | None = None,
                      name: str = "actions") -> Proc:
        port = port or free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "FRONTLINE_DATA_DIR": str(data), "FRONTLINE_RELOAD_SECONDS": "1",
               "FRONTLINE_WARM_AT_IMPORT": "1"}  # as in production: warm before healthy, watch the index
        env.pop("FRONTLINE_ACTIONS_SECRET", None)
        if secret:
            env["FRONTLINE_ACTIONS_SECRET"] = secret
        proc = Proc(name, [sys.executable, "-m", "actions.server", "--port", str(port)], env,
                    self.tmp / f"{name}.log", ready_url=f"http://127.0.0.1:{port}/health")
        proc.port = port
        self.procs.append(proc.start())
        return proc

    def rasa_server(self, action_url: str, extra_env: dict, endpoints: Path = SCALE_ENDPOINTS,
                    name: str = "rasa", port: int | None = None,
                    credentials: Path = ROOT / "bot" / "credentials.yml") -> Proc:
        settings = Settings()
        model = model_path(settings)
        if not model.exists():
            raise ServiceError(f"no trained Rasa model at {model}: run `make train` first")
        port = port or free_port()
        env = {**rasa_env(), "ACTION_SERVER_URL": action_url, **extra_env}
        proc = Proc(name, [str(settings.rasa_bin), "run", "--model", str(model), "--interface", "127.0.0.1",
                           "--port", str(port), "--credentials", str(credentials), "--endpoints",
                           str(endpoints)], env, self.tmp / f"{name}.log",
                    ready_url=f"http://127.0.0.1:{port}/webhooks/rest/")
        proc.port = port
        proc.url = f"http://127.0.0.1:{port}"
        self.procs.append(proc.start())
        return proc


CHANNEL_TOKEN = "test-channel-token-3b9e"  # scale-out: Rasa's REST channel requires it


def scale_env(pg: Postgres, redis_port: int, secret: str) -> dict[str, str]:
    """What deploy/endpoints.scale.yml reads, and the channel token."""
    return {**pg.env(), "FRONTLINE_REDIS_HOST": "127.0.0.1", "FRONTLINE_REDIS_PORT": str(redis_port),
            "FRONTLINE_REDIS_DB": "0", "FRONTLINE_REDIS_PASSWORD": "", "FRONTLINE_ACTIONS_SECRET": secret,
            "FRONTLINE_CHANNEL_TOKEN": CHANNEL_TOKEN}


def say(url: str, sender: str, message: str, timeout: float = 120) -> list[dict]:
    """One message through the REST channel (with the scale-out channel token; a server
    without one ignores the header)."""
    r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=timeout,
                   headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})
    r.raise_for_status()
    return r.json()


def unavailable_text() -> str:
    """The channel's guaranteed reply (domain response utter_assistant_unavailable, with the 999 rule)."""
    import yaml

    responses = yaml.safe_load((ROOT / "bot" / "domain" / "core.yml").read_text())["responses"]
    return responses["utter_assistant_unavailable"][0]["text"]


def text_of(replies: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


class FlowWalk:
    """A worker's own path through a guided flow, with the step text each answer must produce.

    The expected texts come from the same flow engine the action server runs, fed
    with this walk's own answers, so a reply from another conversation's state
    cannot match (cross-talk shows up as a wrong step).
    """

    def __init__(self, flow_id: str, seed: int):
        import random

        from knowledge_base import flows as F

        self._F = F
        self.flow_id = flow_id
        self.rng = random.Random(seed)
        self.turn = None

    def start(self) -> str:
        self.turn = self._F.start(self.flow_id)
        return f'/start_flow{{"flow_id": "{self.flow_id}"}}'

    @property
    def active(self) -> bool:
        return self.turn is not None and self.turn.view.status == "active"

    @property
    def expected(self) -> str:
        return self.turn.view.text

    def answer(self, choice: int | None = None) -> str:
        options = [o.value for o in self.turn.view.options]
        value = options[choice] if choice is not None else self.rng.choice(options)
        self.turn = self._F.answer(self.turn.state, value)
        return value
