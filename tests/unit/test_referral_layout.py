"""The referral pages use the front door's header and navigation (one layout), and the
public reply page a receiving service opens shows no staff navigation."""

import pytest
from fastapi.testclient import TestClient

from web import auth
from web.app import create_app
from web.config import WebSettings
from web.db import make_sessionmaker
from web.testing import sign_in

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("cheap_argon2")]
PW = "plum tractor violin 1"


def test_referral_pages_share_the_front_door_header(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(tmp_path))
    with make_sessionmaker(tmp_path)() as s:
        auth.add_user(s, "terry", "trainer", PW)
    c = TestClient(create_app(rasa_url="http://127.0.0.1:9", secret="s" * 32, settings=WebSettings(data_dir=tmp_path)))
    sign_in(c, "terry", PW)
    chat, referrals = c.get("/").text, c.get("/referrals").text
    header = chat.split('<header class="app-header">', 1)[1].split("</header>", 1)[0]
    assert '<header class="app-header">' in referrals
    for link in ('href="/"', 'href="/referrals"', 'href="/trainer"', 'action="/logout"'):
        assert link in header and link in referrals, link
    assert 'href="/admin"' not in referrals  # the same role-based navigation
    assert 'aria-current="page">' in referrals.split('href="/referrals"', 1)[1][:40]
    ack = c.get("/referrals/ack/not-a-real-token").text
    assert "app-header__nav" not in ack and 'action="/logout"' not in ack
