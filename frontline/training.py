"""Train the Rasa model only when the bot data or config changed.

The model file is named after a hash of ``config.yml`` and every file under
``bot/domain`` and ``bot/data`` (and the Rasa version), so an unchanged bot is
never retrained and a changed one always is.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .settings import Settings

RASA_VERSION = "3.6.21"


def bot_fingerprint(root: Path) -> str:
    h = hashlib.sha256(RASA_VERSION.encode())
    files = [root / "config.yml", *sorted((root / "bot" / "domain").rglob("*.yml")),
             *sorted((root / "bot" / "data").rglob("*.yml"))]
    for path in files:
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"frontline-{bot_fingerprint(settings.root)}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env["PYTHONPATH"] = str(Settings().root)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def train(settings: Settings | None = None, force: bool = False) -> Path:
    settings = settings or Settings()
    target = model_path(settings)
    if target.exists() and not force:
        print(f"Rasa model up to date: {target.relative_to(settings.root) if target.is_relative_to(settings.root) else target}")
        return target
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    print("Training the Rasa model (the bot data or config changed) ...", flush=True)
    cmd = [str(settings.rasa_bin), "train", "--config", "config.yml", "--domain", "bot/domain",
           "--data", "bot/data", "--out", str(settings.models_dir),
           "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    subprocess.run(cmd, cwd=settings.root, env=rasa_env(), check=True)
    for old in settings.models_dir.glob("frontline-*.tar.gz"):
        if old != target:
            old.unlink()
    return target


if __name__ == "__main__":
    train(force="--force" in sys.argv)
