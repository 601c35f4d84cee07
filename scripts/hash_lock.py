"""Add sha256 hashes to a lock file, so that `pip install --require-hashes` refuses any file
that is not the one locked (make lock; scripts/install.sh installs with --require-hashes).

    python scripts/hash_lock.py PYTHON LOCKFILE

PYTHON is the interpreter of the environment the lock is for (its pip picks the same wheel
the install will pick: platform, Python version, local wheels in /opt/wheels). pip resolves
each pinned file without installing it (``--dry-run --report``) and the lock is rewritten as
``name==version --hash=sha256:...``, comments kept. Stdlib only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def hashes_for(python: str, lock: Path) -> dict[str, list[str]]:
    plain = "\n".join(line.split(" --hash")[0].rstrip(" \\") for line in _requirements(lock))
    with tempfile.TemporaryDirectory() as tmp:
        req, report = Path(tmp) / "req.txt", Path(tmp) / "report.json"
        req.write_text(plain + "\n", encoding="utf-8")
        done = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                               "--quiet", "--report", str(report), "-r", str(req)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"hash_lock: pip could not resolve {lock}: {done.stderr.strip().splitlines()[-1:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for entry in data["install"]:
        info = entry["download_info"].get("archive_info", {})
        found = info.get("hashes") or {}
        if "sha256" not in found:
            raise SystemExit(f"hash_lock: no sha256 for {entry['metadata']['name']} ({entry['download_info']['url']})")
        out[_norm(entry["metadata"]["name"])] = [found["sha256"]]
    return out


def _requirements(lock: Path) -> list[str]:
    """The requirement lines of ``lock``, continuation lines joined."""
    lines, current = [], ""
    for raw in lock.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        current += " " + raw.strip().rstrip("\\").strip()
        if not raw.rstrip().endswith("\\"):
            lines.append(current.strip())
            current = ""
    return lines


def rewrite(python: str, lock: Path) -> int:
    found = hashes_for(python, lock)
    comments = [line for line in lock.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    body = []
    for req in _requirements(lock):
        spec = req.split(" --hash")[0].strip()
        name = _norm(re.split(r"[=<>!~\[ ;]", spec, maxsplit=1)[0])
        if name not in found:
            raise SystemExit(f"hash_lock: pip did not resolve {spec} from {lock}")
        body.append(spec + " \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in found[name]))
    lock.write_text("\n".join(comments + body) + "\n", encoding="utf-8")
    return len(body)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    n = rewrite(sys.argv[1], Path(sys.argv[2]))
    print(f"hash_lock: {sys.argv[2]}: {n} requirements hashed")
