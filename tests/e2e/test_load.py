"""Load on the running stack: 50 simulated workers x 20 turns, guided flows and searches.

Through Rasa's REST channel (the front door adds one session lookup per message).
Asserts zero errors and zero cross-talk: every reply is addressed to its own
conversation, and every guided-flow step is the one that worker's own answers
lead to (each worker walks its own seeded path). Latency p50/p95 and throughput
are printed, not asserted.
"""

from __future__ import annotations

import concurrent.futures as cf
import statistics
import time

import httpx
import pytest

from knowledge_base import flows as F

from .services import FlowWalk, text_of, unavailable_text

pytestmark = pytest.mark.slow

WORKERS = 50
TURNS = 20
FLOW_TURNS = 10  # at most; the rest are searches
SEARCHES = ["food bank voucher", "council tax support", "can't get to the shops and can't order online",
            "how do I refer to Citizens Advice", "help with energy bills", "free school meals"]


def test_the_rasa_http_api_is_off_in_the_running_stack(stack):
    """No --enable-api: Rasa's HTTP API (status, tracker, model endpoints) does not exist."""
    assert httpx.get(f"{stack.rasa}/status", timeout=30).status_code == 404
    assert httpx.get(f"{stack.rasa}/conversations/x/tracker", timeout=30).status_code == 404


def test_fifty_workers_twenty_turns_no_errors_no_cross_talk(stack):
    flow_ids = [f["id"] for f in F.list_flows()]
    fallback = unavailable_text()
    latencies: list[float] = []
    problems: list[str] = []

    def worker(i: int) -> None:
        sender = f"load-{i}"
        walk = FlowWalk(flow_ids[i % len(flow_ids)], seed=1000 + i)
        with httpx.Client(base_url=stack.rasa, timeout=120) as client:
            for turn in range(TURNS):
                if turn == 0:
                    message = walk.start()
                elif walk.active and turn < FLOW_TURNS:
                    message = walk.answer()
                elif walk.active:
                    message, walk.turn = "stop", None
                else:
                    message = SEARCHES[(i + turn) % len(SEARCHES)]
                started = time.perf_counter()
                try:
                    r = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
                    r.raise_for_status()
                    replies = r.json()
                except Exception as exc:  # counted, reported below
                    problems.append(f"{sender} turn {turn}: {exc!r}")
                    continue
                finally:
                    latencies.append(time.perf_counter() - started)
                text = text_of(replies)
                if not replies:
                    problems.append(f"{sender} turn {turn} ({message!r}): no reply")
                if any(m.get("recipient_id") != sender for m in replies):
                    problems.append(f"{sender} turn {turn}: a reply addressed to another conversation")
                if fallback in text:
                    problems.append(f"{sender} turn {turn} ({message!r}): 'assistant unavailable'")
                if walk.turn is not None and walk.active and walk.expected not in text:
                    problems.append(f"{sender} turn {turn} ({message!r}): expected step {walk.expected[:60]!r}, "
                                    f"got {text[:120]!r}")

    started = time.perf_counter()
    with cf.ThreadPoolExecutor(WORKERS) as ex:
        list(ex.map(worker, range(WORKERS)))
    took = time.perf_counter() - started
    lat = sorted(latencies)
    p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
    print(f"\nload: {WORKERS} workers x {TURNS} turns = {len(lat)} messages in {took:.1f}s "
          f"({len(lat) / took:.1f} msg/s); latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    assert len(lat) == WORKERS * TURNS
    assert problems == [], "\n".join(problems[:20])
