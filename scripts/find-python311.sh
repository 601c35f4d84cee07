#!/usr/bin/env bash
# Print the path of a working Python 3.11 (torch 2.13 CPU wheel on this machine is cp311).
set -u
try() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys, venv; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1 && { echo "$1"; exit 0; }; }
try "${PYTHON311:-}"
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.11.*/bin/python3.11; do try "$p"; done
fi
for p in "$HOME"/.pyenv/versions/3.11.*/bin/python3.11; do try "$p"; done
try "$(command -v python3.11 2>/dev/null || true)"
try "$(command -v python3 2>/dev/null || true)"
echo "error: no Python 3.11 found; install one (e.g. pyenv install 3.11.7) or set PYTHON311=/path/to/python3.11" >&2
exit 1
