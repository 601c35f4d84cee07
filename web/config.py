"""Front-door settings from the environment, and the server secret."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir_from_env() -> Path:
    return Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var"))


def load_secret(data_dir: Path) -> bytes:
    """``FRONTLINE_SECRET_KEY`` if set, else a random key kept in ``<data dir>/secret_key``
    (created once, mode 0600), so sender ids survive a restart."""
    env = os.environ.get("FRONTLINE_SECRET_KEY")
    if env:
        return env.encode()
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass
class WebSettings:
    rasa_url: str = field(default_factory=lambda: os.environ.get("FRONTLINE_RASA_URL", "http://127.0.0.1:5005"))
    data_dir: Path = field(default_factory=data_dir_from_env)
    content_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["FRONTLINE_CONTENT_DIR"]) if os.environ.get("FRONTLINE_CONTENT_DIR") else None)
    session_hours: float = field(default_factory=lambda: float(os.environ.get("FRONTLINE_SESSION_HOURS", "10")))
    login_max_failures: int = 5
    login_window_seconds: float = 300.0
    assets_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "FRONTLINE_GOVUK_DIST", ROOT / "web" / "node_modules" / "govuk-frontend" / "dist" / "govuk")))
