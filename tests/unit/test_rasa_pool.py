"""RasaPool: stable placement of conversations, failover on connection errors.

The real failover (a Rasa server killed mid-run) is in tests/e2e/test_scaleout.py;
here httpx's own MockTransport stands in for the network (unit tests have no sockets).
"""

import asyncio
from collections import Counter

import httpx
import pytest

from web.rasa_pool import NoRasaServer, RasaPool

pytestmark = pytest.mark.unit

URLS = ["http://a:5005", "http://b:5005/", " http://c:5005 "]


def test_same_sender_same_server_and_spread_over_all():
    pool = RasaPool(URLS)
    assert pool.urls == ["http://a:5005", "http://b:5005", "http://c:5005"]
    assert all(pool.url_for("worker-7") == RasaPool(URLS).url_for("worker-7") for _ in range(3))
    spread = Counter(pool.url_for(f"sender-{i}") for i in range(3000))
    assert set(spread) == set(pool.urls) and min(spread.values()) > 800
    order = pool.order("sender-1")
    assert sorted(order) == sorted(pool.urls) and len(set(order)) == 3


def test_from_env(monkeypatch):
    monkeypatch.setenv("FRONTLINE_RASA_URLS", "http://x:1,http://y:2")
    assert RasaPool.from_env().urls == ["http://x:1", "http://y:2"]
    monkeypatch.delenv("FRONTLINE_RASA_URLS")
    monkeypatch.setenv("FRONTLINE_RASA_URL", "http://z:3")
    assert RasaPool.from_env().urls == ["http://z:3"]
    monkeypatch.delenv("FRONTLINE_RASA_URL")
    with pytest.raises(ValueError):
        RasaPool.from_env()


def _transport(down: set[str], seen: list[str], fail_with=httpx.ConnectError):
    def handler(request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        seen.append(base)
        if base in down:
            raise fail_with("down", request=request)
        body = request.read().decode()
        return httpx.Response(200, json=[{"recipient_id": "s", "text": f"{base} got {body}"}])

    return handler


def test_connect_error_fails_over_to_the_next_server_sync():
    pool = RasaPool(URLS)
    first, second = pool.order("s")[:2]
    seen = []
    with httpx.Client(transport=httpx.MockTransport(_transport({first}, seen))) as client:
        replies = pool.send_sync("s", "hello", client=client)
    assert seen == [first, second] and replies[0]["text"].startswith(second)


def test_connect_error_fails_over_async_and_all_down_is_an_error():
    pool = RasaPool(URLS)

    async def go(down):
        seen = []
        async with httpx.AsyncClient(transport=httpx.MockTransport(_transport(down, seen))) as client:
            return await pool.send("s", "hi", client=client), seen

    replies, seen = asyncio.run(go({pool.order("s")[0]}))
    assert seen == pool.order("s")[:2] and '"message":"hi"' in replies[0]["text"]
    with pytest.raises(NoRasaServer, match="no Rasa server could be reached"):
        asyncio.run(go(set(pool.urls)))


def test_a_read_timeout_is_not_retried_elsewhere():
    """The message may have been processed: sending it again could process it twice."""
    pool = RasaPool(URLS)
    seen = []
    with httpx.Client(transport=httpx.MockTransport(_transport(set(pool.urls), seen, httpx.ReadTimeout))) as c:
        with pytest.raises(httpx.ReadTimeout):
            pool.send_sync("s", "x", client=c)
    assert len(seen) == 1
