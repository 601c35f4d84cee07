"""Scale-out on Rasa's own design: two Rasa servers, one PostgreSQL tracker store, one
Redis lock store, two action servers behind a shared secret (deploy/endpoints.scale.yml).

- a conversation alternating between the two Rasa servers keeps its state;
- the action servers refuse calls without the shared secret;
- retention deletes from PostgreSQL (the same code as on SQLite);
- when one Rasa server dies mid-run, RasaPool fails over and no message is lost.
"""

from __future__ import annotations

import concurrent.futures as cf
import time

import httpx
import pytest

from web.rasa_pool import RasaPool
from frontline.retention import delete_conversation, purge_conversations

from .services import CHANNEL_TOKEN, FlowWalk, Services, say, scale_env, text_of

pytestmark = pytest.mark.slow

SECRET = "test-shared-secret-7c1f"
FLOW = "eviction-homelessness"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Services(tmp_path_factory.mktemp("scaleout")) as s:
        pg = s.postgres()
        redis_port, _ = s.redis()
        env = scale_env(pg, redis_port, SECRET)
        actions = [s.action_server(s.data_dir(f"data-{n}"), secret=SECRET, name=f"actions-{n}") for n in "ab"]
        rasas = [s.rasa_server(f"http://127.0.0.1:{a.port}/webhook", env, name=f"rasa-{n}")
                 for a, n in zip(actions, "ab")]
        for p in actions + rasas:
            p.wait_ready()
        s.pg, s.actions, s.rasas = pg, actions, rasas
        yield s


def test_a_conversation_alternating_between_servers_keeps_its_state(cluster):
    a, b = (r.url for r in cluster.rasas)
    walk = FlowWalk(FLOW, seed=1)
    first = walk.start()
    assert walk.expected in text_of(say(a, "alt-1", first))
    for i, server in enumerate([b, a, b, a]):
        if not walk.active:
            break
        answer = walk.answer(choice=[1, 0, 0, 0][i])  # "2" (No), "1" (Yes), then the first options
        replies = say(server, "alt-1", answer)
        # the next step of the same guide, not a new search
        assert walk.expected in text_of(replies), (server, answer, replies)


def test_the_action_servers_refuse_calls_without_the_shared_secret(cluster):
    for a in cluster.actions:
        url = f"http://127.0.0.1:{a.port}"
        body = {"next_action": "action_search_knowledge", "sender_id": "x", "tracker": {}, "domain": {}}
        assert httpx.post(f"{url}/webhook", json=body, timeout=30).status_code == 401
        wrong = httpx.post(f"{url}/webhook", json=body, timeout=30, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = httpx.post(f"{url}/webhook", json=body, timeout=30, headers={"Authorization": f"Bearer {SECRET}"})
        assert ok.status_code != 401
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200


def test_the_rest_channel_refuses_callers_without_the_channel_token(cluster):
    body = {"sender": "intruder", "message": "hello"}
    for r in cluster.rasas:
        url = f"{r.url}/webhooks/rest/webhook"
        assert httpx.post(url, json=body, timeout=30).status_code == 401
        assert httpx.post(url, json=body, timeout=30, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_rasa_http_api_is_off(cluster):
    for r in cluster.rasas:
        assert httpx.get(f"{r.url}/status", timeout=30).status_code == 404


def test_retention_deletes_conversations_from_postgresql(cluster):
    a, b = (r.url for r in cluster.rasas)
    walk = FlowWalk(FLOW, seed=2)
    say(a, "forget-me", walk.start())
    say(b, "keep-me", "hello")
    assert delete_conversation("forget-me", url=cluster.pg.url) > 0
    assert delete_conversation("forget-me", url=cluster.pg.url) == 0
    walk.answer(choice=1)  # "2": what the next step would be had the guide survived
    assert walk.expected not in text_of(say(b, "forget-me", "2"))
    assert purge_conversations(30, url=cluster.pg.url) == 0
    gone = purge_conversations(30, url=cluster.pg.url, now=time.time() + 31 * 24 * 3600)
    assert gone >= 2  # keep-me, forget-me (its new turn) and the other tests' conversations


def test_a_rasa_server_dying_mid_run_loses_no_message(cluster, monkeypatch):
    """Kill server A after every worker's second turn; RasaPool carries on through B."""
    monkeypatch.setenv("FRONTLINE_CHANNEL_TOKEN", CHANNEL_TOKEN)  # as the front door has it in scale-out
    a, b = cluster.rasas
    pool = RasaPool([a.url, b.url])
    senders = [s for s in (f"failover-{i}" for i in range(40)) if pool.url_for(s) == a.url][:3]
    senders += [s for s in (f"failover-{i}" for i in range(40)) if pool.url_for(s) == b.url][:3]
    walks = {s: FlowWalk(FLOW, seed=i) for i, s in enumerate(senders)}
    sent = {s: 0 for s in senders}

    def turn(sender: str) -> None:
        walk = walks[sender]
        message = walk.start() if walk.turn is None else walk.answer()
        replies = pool.send_sync(sender, message)
        sent[sender] += 1
        if walk.active:
            assert walk.expected in text_of(replies), (sender, message, replies)

    with cf.ThreadPoolExecutor(len(senders)) as ex:
        for _ in range(2):
            list(ex.map(turn, senders))
        a.kill()
        assert not a.alive()
        for _ in range(4):
            list(ex.map(turn, [s for s in senders if walks[s].active]))
    assert all(n >= 3 for n in sent.values()), sent  # every worker carried on after the crash
