"""Supply chain (#17): hashed lock files installed with --require-hashes, test tools apart,
and `make audit` never passing when it could not look."""

import os
import re
import subprocess

import pytest

from common.paths import ROOT

pytestmark = pytest.mark.unit

LOCKS = ["app.lock.txt", "test.lock.txt", "rasa.lock.txt"]


def requirements(name):
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return [" ".join(r.split()) for r in re.sub(r"\\\n\s*", " ", text).splitlines() if r.strip() and not r.startswith("#")]


@pytest.mark.parametrize("name", LOCKS)
def test_every_locked_requirement_is_pinned_with_a_sha256(name):
    reqs = requirements(name)
    assert reqs
    for req in reqs:
        assert re.match(r"^[A-Za-z0-9_.\-]+==\S+ --hash=sha256:[0-9a-f]{64}( --hash=sha256:[0-9a-f]{64})*$", req), req


def test_installs_require_hashes_and_test_tools_stay_out_of_the_runtime_lock():
    install = (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")
    pip_lines = [line for line in install.splitlines() if "pip install" in line and "-r " in line]
    assert len(pip_lines) == 3 and all("--require-hashes" in line for line in pip_lines), pip_lines
    runtime = {r.split("==")[0].lower() for r in requirements("app.lock.txt")}
    for tool in ("pytest", "playwright", "aiosmtpd", "pip-audit", "import-linter"):
        assert tool not in runtime, tool


def _fake_pip_audit(tmp_path, flags_everything: bool):
    fake = tmp_path / "pip-audit"
    vulns = '[{"id": "PYSEC-0", "fix_versions": ["9"]}]' if flags_everything else "[]"
    fake.write_text(f"""#!/usr/bin/env bash
out=""; while [[ $# -gt 0 ]]; do [[ $1 == --output ]] && out=$2; shift; done
echo '{{"dependencies": [{{"name": "x", "version": "1", "vulns": {vulns}}}]}}' > "$out"
{"exit 1" if flags_everything else "exit 0"}
""")
    fake.chmod(0o755)
    return fake


def _audit(tmp_path, flags_everything):
    env = {**os.environ, "FRONTLINE_PIP_AUDIT": str(_fake_pip_audit(tmp_path, flags_everything))}
    return subprocess.run(["bash", str(ROOT / "scripts" / "audit.sh")], capture_output=True, text=True, env=env,
                          timeout=60)


def test_make_audit_fails_when_it_could_not_look(tmp_path):
    """The canary (a pin with a well-known advisory) is not flagged: NOT AUDITED, exit 3."""
    done = _audit(tmp_path, flags_everything=False)
    assert done.returncode == 3 and "NOT AUDITED" in done.stderr


def test_make_audit_fails_on_a_finding(tmp_path):
    done = _audit(tmp_path, flags_everything=True)
    assert done.returncode == 1 and "KNOWN VULNERABILITIES" in done.stdout and "PYSEC-0" in done.stdout
