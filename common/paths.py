"""Where the repository's folders are: the one content home (``content/``, all
trainer-owned YAML) and its wording files."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
WORDING_DIR = CONTENT_DIR / "wording"
