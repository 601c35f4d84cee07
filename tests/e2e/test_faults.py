"""Faults: what a worker sees when a part of the stack fails, and that it recovers.

One Rasa server (PostgreSQL tracker store, Redis lock store) and one action server,
started here so they can be broken:

- action server down -> the reply still carries the 999 rule; it recovers when the
  action server returns;
- tracker store database down -> a clear reply (with the 999 rule), and recovery
  when the database returns, without restarting Rasa;
- a corrupt or truncated index published -> refused; the previous index keeps serving.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from .services import FlowWalk, Services, say, scale_env, text_of, unavailable_text

pytestmark = pytest.mark.slow

SECRET = "faults-secret"
QUESTION = "food bank voucher"


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    with Services(tmp_path_factory.mktemp("faults")) as s:
        s.pg = s.postgres()
        redis_port, _ = s.redis()
        s.data = s.data_dir("data")
        s.act = s.action_server(s.data, secret=SECRET)
        s.rasa = s.rasa_server(f"http://127.0.0.1:{s.act.port}/webhook", scale_env(s.pg, redis_port, SECRET))
        s.act.wait_ready()
        s.rasa.wait_ready()
        yield s


def answered(replies: list[dict]) -> bool:
    """A knowledge answer (not the 'can't search right now' fallback)."""
    return "Source: http" in text_of(replies)


def searched(replies: list[dict]) -> bool:
    """A working search reply: a direct answer or 'did you mean' choices (not the fallback)."""
    return answered(replies) or any(m.get("buttons") for m in replies)


def eventually(fn, timeout: float = 90, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def test_action_server_down_still_gives_the_999_rule_and_recovers(rig):
    assert answered(say(rig.rasa.url, "fault-act", QUESTION))
    rig.act.kill()
    replies = say(rig.rasa.url, "fault-act", QUESTION)
    text = text_of(replies)
    assert "999" in text and "safeguarding" in text and not answered(replies)
    rig.act.start()  # same port, same data
    rig.act.wait_ready()
    assert answered(say(rig.rasa.url, "fault-act", QUESTION))


def _stored(rig, sender: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(rig.pg.url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    finally:
        engine.dispose()


def test_tracker_database_down_then_back_recovers_without_restarting_rasa(rig):
    assert answered(say(rig.rasa.url, "fault-db", QUESTION))
    rig.pg.stop()
    try:
        replies = say(rig.rasa.url, "fault-db-down", QUESTION)
        assert replies and rig.rasa.alive()  # Rasa carries on (on a throwaway in-memory tracker)
    finally:
        rig.pg.start()
    # the connection pool reconnects by itself; the first attempt may still meet a dead connection
    assert eventually(lambda: answered(say(rig.rasa.url, "fault-db-back", QUESTION)), timeout=60)
    assert _stored(rig, "fault-db-back") > 0  # stored in PostgreSQL again
    assert _stored(rig, "fault-db-down") == 0  # nothing from the outage was kept anywhere durable
    assert rig.rasa.alive()


def test_tracker_database_down_gives_the_worker_a_clear_reply(rig):
    walk = FlowWalk("eviction-homelessness", seed=3)
    first = walk.start()
    say(rig.rasa.url, "fault-db-flow", first)
    rig.pg.stop()
    try:
        replies = say(rig.rasa.url, "fault-db-flow", walk.answer(choice=1))
    finally:
        rig.pg.start()
    text = text_of(replies)
    # not the guide silently restarted or a search from an empty conversation: the unavailable reply (999 rule)
    assert text.startswith(unavailable_text()), text
    # once the database is back the worker repeats the answer and the guide carries on where it was
    assert eventually(lambda: walk.expected in text_of(say(rig.rasa.url, "fault-db-flow", "2")), timeout=60)


def _publish(index_dir: Path, name: str, breaker) -> Path:
    """Publish a broken copy of the current build the way `kb build` does (atomic symlink swap)."""
    current = index_dir / "current"
    good = current.resolve()
    bad = index_dir / "builds" / name
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(good, bad)
    breaker(bad)
    tmp = index_dir / f".current.tmp-{name}"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(Path("builds") / name)
    os.replace(tmp, current)
    return good


def _restore(index_dir: Path, good: Path) -> None:
    tmp = index_dir / ".current.tmp-restore"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(Path("builds") / good.name)
    os.replace(tmp, index_dir / "current")


def _refusals(rig) -> int:
    return rig.act.log.read_text(errors="replace").count("cannot be loaded; still serving the previous version")


def _truncate_faiss(build: Path) -> None:
    f = build / "dense.faiss"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])


def _garbage_faiss(build: Path) -> None:
    (build / "dense.faiss").write_bytes(b"\x00not a faiss index\xff" * 64)


@pytest.mark.parametrize("breaker", [_truncate_faiss, _garbage_faiss], ids=["truncated", "corrupt"])
def test_a_broken_index_is_refused_and_the_previous_one_keeps_serving(rig, breaker):
    index_dir = rig.data / "index"
    before = _refusals(rig)
    good = _publish(index_dir, f"broken-{breaker.__name__}", breaker)
    try:
        assert eventually(lambda: _refusals(rig) > before, timeout=60), rig.act.tail()
        assert answered(say(rig.rasa.url, f"fault-{breaker.__name__}", QUESTION))
    finally:
        _restore(index_dir, good)


def _short_rows(build: Path) -> None:
    """Files that each parse, but disagree: rows.json lists half the vectors."""
    rows = json.loads((build / "rows.json").read_text())
    (build / "rows.json").write_text(json.dumps(rows[: len(rows) // 2]))


def test_an_inconsistent_index_is_refused_and_the_previous_one_keeps_serving(rig):
    index_dir = rig.data / "index"
    log_before = rig.act.log.read_text(errors="replace")
    good = _publish(index_dir, "broken-short-rows", _short_rows)
    try:
        # wait until the watcher looked at it (refused or, today, swapped in)
        eventually(lambda: len(rig.act.log.read_text(errors="replace")) > len(log_before)
                   and ("reloaded knowledge search" in rig.act.log.read_text(errors="replace")[len(log_before):]
                        or _refusals(rig) > log_before.count("cannot be loaded")), timeout=60)
        results = [searched(say(rig.rasa.url, f"fault-rows-{i}", q)) for i, q in enumerate(
            [QUESTION, "council tax support", "can't get to the shops and can't order online"])]
        assert all(results), results
    finally:
        _restore(index_dir, good)
