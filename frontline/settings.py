"""Paths and ports, overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from common.paths import ROOT


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    root: Path = ROOT
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var")))
    models_dir: Path = field(default_factory=lambda: Path(os.environ.get("FRONTLINE_MODELS_DIR", ROOT / "models")))
    rasa_venv: Path = field(default_factory=lambda: Path(os.environ.get("FRONTLINE_RASA_VENV", ROOT / ".venv-rasa")))
    actions_port: int = field(default_factory=lambda: _port("FRONTLINE_ACTIONS_PORT", 5055))
    rasa_port: int = field(default_factory=lambda: _port("FRONTLINE_RASA_PORT", 5005))
    web_port: int = field(default_factory=lambda: _port("FRONTLINE_WEB_PORT", 8000))
    web_host: str = field(default_factory=lambda: os.environ.get("FRONTLINE_WEB_HOST", "0.0.0.0"))

    @property
    def rasa_bin(self) -> Path:
        return self.rasa_venv / "bin" / "rasa"

    @property
    def tracker_db(self) -> Path:
        return self.data_dir / "tracker.db"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}/webhook"
