#!/usr/bin/env bash
# Audit both lock files for known vulnerabilities with pip-audit (PyPI's advisory data).
#
#   scripts/audit.sh            (make audit)
#
# - requirements/app.lock.txt: any finding fails (exit 1).
# - requirements/rasa.lock.txt: findings listed in deploy/audit-accepted.txt (Rasa 3.6's
#   own pins we cannot upgrade; reasons in docs/security.md) are reported but accepted;
#   any other finding fails.
# - If the vulnerability service cannot be reached (no network, or a mirror that does not
#   serve PyPI's per-release data), it says "NOT AUDITED" on one clear line and exits 3:
#   a canary pin with a well-known advisory must be flagged, or the run counts as offline.
#   (make audit is not part of make test, which must pass offline.)
set -euo pipefail
cd "$(dirname "$0")/.."

AUDIT=${FRONTLINE_PIP_AUDIT:-.venv/bin/pip-audit}  # a stand-in only in tests
SERVICE=${FRONTLINE_AUDIT_SERVICE:-pypi}          # or osv
ACCEPTED=deploy/audit-accepted.txt
CANARY="requests==2.19.1"                          # PYSEC-2018-28 / CVE-2018-18074
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [[ ! -x $AUDIT ]]; then
  echo "audit: pip-audit is not installed in .venv; run 'make install-test' (or .venv/bin/pip install pip-audit)" >&2
  exit 1
fi

run_audit() {  # lock-file, json-out, extra args...
  local lock=$1 out=$2; shift 2
  "$AUDIT" --vulnerability-service "$SERVICE" --requirement "$lock" --no-deps --disable-pip \
           --progress-spinner off --format json --output "$out" "$@" 2>"$out.log"
}

# 1. canary: is the advisory service really answering?
echo "$CANARY" > "$TMP/canary.txt"
run_audit "$TMP/canary.txt" "$TMP/canary.json" || true
if ! grep -q '"vulns": \[{' "$TMP/canary.json" 2>/dev/null && ! grep -q '"id"' "$TMP/canary.json" 2>/dev/null; then
  reason=$(grep -o '"skip_reason": "[^"]*"' "$TMP/canary.json" 2>/dev/null | head -1 || true)
  [[ -z $reason ]] && reason=$(tail -1 "$TMP/canary.json.log" 2>/dev/null || true)
  echo "audit: NOT AUDITED - the '$SERVICE' vulnerability service is unreachable from here (canary $CANARY was not flagged: ${reason:-no answer}). Run 'make audit' where PyPI's JSON API or osv.dev is reachable." >&2
  exit 3
fi

accepted_ids() { grep -v '^\s*#' "$ACCEPTED" 2>/dev/null | awk 'NF {print $1}' || true; }

status=0
for lock in requirements/app.lock.txt requirements/test.lock.txt requirements/rasa.lock.txt; do
  args=()
  if [[ $lock == requirements/rasa.lock.txt ]]; then
    for id in $(accepted_ids); do args+=(--ignore-vuln "$id"); done
  fi
  # pip-audit exits 1 when it finds something; the JSON tells us what
  if run_audit "$lock" "$TMP/out.json" "${args[@]}"; then
    echo "audit: $lock - no known vulnerabilities$([[ ${#args[@]} -gt 0 ]] && echo " (accepted: $(accepted_ids | paste -sd' '), see docs/security.md)")"
  else
    if [[ ! -s $TMP/out.json ]]; then
      echo "audit: pip-audit failed on $lock: $(tail -1 "$TMP/out.json.log")" >&2
      status=1
      continue
    fi
    echo "audit: $lock - KNOWN VULNERABILITIES:"
    .venv/bin/python - "$TMP/out.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for dep in data.get("dependencies", []):
    for v in dep.get("vulns", []):
        fix = ", ".join(v.get("fix_versions") or []) or "no fix released"
        print(f"  {dep['name']}=={dep['version']}  {v['id']}  (fixed in: {fix})")
PY
    status=1
  fi
done
exit $status
