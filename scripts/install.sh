#!/usr/bin/env bash
# Create or update the two environments from the lock files. Idempotent: a
# stamp records the hash of each lock file, so a second run installs nothing.
#   scripts/install.sh          runtime (what `make run` needs)
#   scripts/install.sh --test   plus test tools: Debian chromium, npm assets
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; [ "${1:-}" = "--test" ] && want_test=1

hash_of() { cat "$@" | sha256sum | cut -c1-16; }
step() { printf '\n==> %s\n' "$*"; }

# --- Rasa environment (Python 3.10) --------------------------------------
RASA_LOCK=requirements/rasa.lock.txt
stamp=.venv-rasa/.installed-$(hash_of "$RASA_LOCK")
if [ ! -f "$stamp" ]; then
  PY310=$(scripts/find-python310.sh)
  step "Rasa environment (.venv-rasa, $($PY310 --version)) from $RASA_LOCK"
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/python -m pip install --quiet --upgrade "pip==26.3" "wheel==0.45.1" "setuptools==70.3.0"
  .venv-rasa/bin/python -m pip install --progress-bar on --require-hashes -r "$RASA_LOCK"
  rm -f .venv-rasa/.installed-*; touch "$stamp"
else
  echo "Rasa environment up to date (.venv-rasa)"
fi

# --- App environment (Python 3.11) ---------------------------------------
APP_LOCK=requirements/app.lock.txt
stamp=.venv/.installed-$(hash_of "$APP_LOCK" pyproject.toml)
if [ ! -f "$stamp" ]; then
  PY311=$(scripts/find-python311.sh)
  step "App environment (.venv, $($PY311 --version)) from $APP_LOCK"
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade "pip==26.3" "wheel==0.48.0" "setuptools==84.2.1"
  # torch==2.13.0 (CPU) is pinned in the lock; pip finds the local CPU wheel.
  .venv/bin/python -m pip install --progress-bar on --require-hashes -r "$APP_LOCK"
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  rm -f .venv/.installed-*; touch "$stamp"
else
  echo "App environment up to date (.venv)"
fi

[ "$want_test" = 1 ] || exit 0

# --- Test tools ------------------------------------------------------------
TEST_LOCK=requirements/test.lock.txt
stamp=.venv/.installed-test-$(hash_of "$TEST_LOCK")
if [ ! -f "$stamp" ]; then
  step "Test tools into .venv from $TEST_LOCK (pytest, Playwright, aiosmtpd, pip-audit, import-linter)"
  .venv/bin/python -m pip install --progress-bar on --require-hashes -r "$APP_LOCK" -r "$TEST_LOCK"
  rm -f .venv/.installed-test-*; touch "$stamp"
fi
# npm (node) trusts only its own CA list; on a machine behind a TLS-inspecting proxy the
# system bundle holds the proxy's CA (pip reads it from pip.conf)
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
if [ -f tests/oidc/package-lock.json ]; then
  stamp=tests/oidc/node_modules/.installed-$(hash_of tests/oidc/package-lock.json)
  if [ ! -f "$stamp" ]; then
    step "Test identity provider (npm ci in tests/oidc: node oidc-provider, for the SSO tests)"
    npm ci --prefix tests/oidc --no-audit --no-fund
    touch "$stamp"
  fi
fi
if [ -f web/package-lock.json ]; then
  stamp=web/node_modules/.installed-$(hash_of web/package-lock.json)
  if [ ! -f "$stamp" ]; then
    step "Front-end packages (npm ci in web/)"
    npm ci --prefix web --no-audit --no-fund
    touch "$stamp"
  fi
fi
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ -f scripts/apt-packages.txt ]; then
  while read -r pkg bin; do
    [ -z "$pkg" ] || [[ "$pkg" == \#* ]] && continue
    command -v "${bin:-$pkg}" >/dev/null 2>&1 || need_apt+=("$pkg")
  done < scripts/apt-packages.txt
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  step "Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
echo "Test tools ready"
