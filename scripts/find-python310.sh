#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 supports 3.8-3.10 only).
# Order: $PYTHON310, pyenv's 3.10.x, python3.10 on PATH, /usr/bin/python3.10.
set -u
try() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo "$1"; exit 0; }; }
try "${PYTHON310:-}"
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do try "$p"; done
fi
for p in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10; do try "$p"; done
try "$(command -v python3.10 2>/dev/null || true)"
try /usr/bin/python3.10
try /usr/local/bin/python3.10
cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa Open Source 3.6 runs on Python 3.8-3.10 only.
  Install one, e.g. `pyenv install 3.10.13` (or your OS package python3.10 with venv),
  or point PYTHON310=/path/to/python3.10 at an existing one, then run make again.
MSG
exit 1
