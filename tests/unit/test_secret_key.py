"""One server secret for the front door and referrals, created once even when several
processes start together."""

import os
import stat
from concurrent.futures import ProcessPoolExecutor

import pytest

from common.secret_key import load_secret

pytestmark = pytest.mark.unit


def test_created_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_SECRET_KEY", raising=False)
    first = load_secret(tmp_path)
    assert len(first) == 64 and first == load_secret(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_processes_starting_together_agree_on_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FRONTLINE_SECRET_KEY", raising=False)
    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(load_secret, [tmp_path] * 16))
    assert len(keys) == 1 and len(keys.pop()) == 64


def test_the_web_and_referrals_use_the_same_loader():
    import referrals.config
    import web.config

    assert web.config.load_secret is referrals.config.load_secret is load_secret
