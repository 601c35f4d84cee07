"""The front door sends the channel token Rasa's REST channel requires in scale-out."""

import httpx
import pytest

from web.rasa_pool import RasaPool, channel_headers

pytestmark = pytest.mark.unit


def test_no_token_no_header(monkeypatch):
    monkeypatch.delenv("FRONTLINE_CHANNEL_TOKEN", raising=False)
    assert channel_headers() == {}


def test_the_pool_sends_the_token(monkeypatch):
    monkeypatch.setenv("FRONTLINE_CHANNEL_TOKEN", "tok-123")
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[{"text": "hi"}])

    pool = RasaPool(["http://rasa.test:5005"])
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert pool.send_sync("s1", "hello", client=client) == [{"text": "hi"}]
    assert seen == ["Bearer tok-123"]
