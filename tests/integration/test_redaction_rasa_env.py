"""The redactor imports and runs in the Rasa environment (Python 3.10), where bot/channels.py calls it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def test_redactor_runs_under_the_rasa_python():
    assert RASA_PYTHON.exists(), f"{RASA_PYTHON} missing: create the Rasa environment first"
    proc = subprocess.run(
        [str(RASA_PYTHON), "-c",
         "import sys, common.redact as r; print(sys.version_info[:2]); print(r.redact_text('call me on 07700 900123'))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    version, text = proc.stdout.strip().splitlines()
    assert version == "(3, 10)"
    assert text == "call me on [PHONE]"
