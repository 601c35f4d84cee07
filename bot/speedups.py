"""Small, tested speed-ups for Rasa 3.6, installed when Rasa imports ``bot.channels``.

1. Validate action-server responses without re-checking the schema.

Rasa validates every action server response with ``jsonschema.validate(result, schema)``.
That function first checks the *schema itself* against the JSON Schema metaschema, on
every call; Rasa's events schema is large, and profiling our stack (py-spy on the Rasa
process, search messages) put 46% of Rasa's busy time in that check. The schema is a
constant, so we check it once, keep one compiled validator and validate each response
with it: the same errors, the same message, a fraction of the time.

2. Look up event classes by name from a cache. Rasa walks every ``Event`` subclass for
each event it reads back from the tracker store (``Event.resolve_by_type``): 6% of
Rasa's busy time after (1). The cache returns the class the walk would find first.

3. SQLite tracker store in WAL mode with ``synchronous=NORMAL`` (SQLite's recommended
setting for WAL): a commit no longer waits for two fsyncs (0.75 ms -> 0.01 ms per commit
on this disk) and readers no longer block the writer. A committed turn can be lost on a
power cut, never corrupted. Only SQLite connections are touched; PostgreSQL (scale-out)
is unchanged.

4. Count a conversation's stored events with one prepared SQL statement: a method of our
tracker store now (``bot.tracker_store``), no longer a patch; the self-test checks it
returns Rasa's count, session by session.

5. Keep SQLite connections open between turns. With SQLAlchemy 1.4 a file SQLite database
gets no connection pool, so each tracker read and each save opened the file again and ran
the pragmas above (4% of Rasa's busy time). The tracker store's SQLite engine now gets a
``QueuePool``, the default SQLAlchemy 2.0 chose for file databases; PostgreSQL keeps Rasa's
own pool settings.

``install()`` is called when Rasa imports ``bot.channels``. It patches only Rasa 3.6
(the version pinned in requirements/rasa.lock.txt); on anything else it does nothing.
``self_test()`` (run by ``make test-rasa``) checks the patched method against Rasa's own.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)
_installed = False


def _patched_validate(validator, docs_base_url: Text):
    from jsonschema.exceptions import best_match

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (  # Rasa's own wording (rasa/core/actions/action.py)
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{docs_base_url}/custom-actions"
        )
        raise error

    return _validate_action_result


def _cached_resolve_by_type(event_cls, all_subclasses):
    cache: dict = {}

    def resolve_by_type(type_name, default=None):
        cls = cache.get(type_name)
        if cls is None:
            cls = next((c for c in all_subclasses(event_cls) if c.type_name == type_name), None)
            if cls is not None:
                cache[type_name] = cls
        if cls is not None:
            return cls
        if type_name == "topic":  # Rasa's own backwards compatibility
            return None
        if default is not None:
            return default
        raise ValueError(f"Unknown event name '{type_name}'.")

    return resolve_by_type


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def _pooled_sqlite(original):
    import functools

    @functools.wraps(original)
    def create_engine_kwargs(url):
        import sqlalchemy as sa
        from sqlalchemy.pool import QueuePool

        kwargs = original(url)
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", QueuePool)
            # one connection serves one session at a time, whichever thread runs it
            kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        return kwargs

    return create_engine_kwargs


def install() -> bool:
    """Install the speed-ups; True when patched (Rasa 3.6 only)."""
    global _installed
    if _installed:
        return True
    try:
        import rasa
        from jsonschema.validators import validator_for
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.constants import DOCS_BASE_URL
    except ImportError:  # not inside Rasa
        return False
    if not rasa.__version__.startswith("3.6.") or not hasattr(RemoteAction, "_validate_action_result"):
        logger.info("bot.speedups: Rasa %s is not 3.6; action responses validated the stock way", rasa.__version__)
        return False
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here
    RemoteAction._validate_action_result = _patched_validate(cls(schema), DOCS_BASE_URL)

    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    Event.resolve_by_type = staticmethod(_cached_resolve_by_type(Event, rasa.shared.utils.common.all_subclasses))

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)

    import rasa.core.tracker_store

    rasa.core.tracker_store.create_engine_kwargs = _pooled_sqlite(rasa.core.tracker_store.create_engine_kwargs)
    _installed = True
    return True


def self_test() -> None:
    """The patched validation accepts and rejects exactly what Rasa's own does, with the
    same message; raises AssertionError otherwise. Run in the Rasa environment."""
    import time

    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.core.tracker_store import SQLTrackerStore

    original = RemoteAction._validate_action_result
    assert install(), "bot.speedups did not install on this Rasa"
    patched = RemoteAction._validate_action_result
    assert patched is not original
    action = RemoteAction("action_search_knowledge", None)
    good = [{"events": [{"event": "slot", "name": "flow_state", "value": None, "timestamp": None},
                        {"event": "followup", "name": "flow_form", "timestamp": None}],
             "responses": [{"response": "utter_kb_answer", "text": "x", "buttons": []}]},
            {"events": [], "responses": []}, {}]
    bad = [{"events": [{"event": "slot", "name": 3}]}, {"responses": "not a list"}, {"events": [{"nope": 1}]}]
    for result in good:
        assert original(action, result) is True and patched(action, result) is True, result
    for result in bad:
        messages = []
        for fn in (original, patched):
            try:
                fn(action, result)
            except ValidationError as exc:
                messages.append(exc.message)
            else:
                raise AssertionError(f"not rejected: {result}")
        assert messages[0] == messages[1], messages
    # 2. event classes: the cache finds what Rasa's walk finds, and raises the same way
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    for cls in rasa.shared.utils.common.all_subclasses(Event):
        first = next(c for c in rasa.shared.utils.common.all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is first, cls
    assert Event.resolve_by_type("topic") is None and Event.resolve_by_type("nope", default=Event) is Event
    try:
        Event.resolve_by_type("nope")
    except ValueError as exc:
        assert "Unknown event name 'nope'" in str(exc)
    else:
        raise AssertionError("unknown event name accepted")
    # 3. a SQLite engine comes up in WAL mode
    import tempfile

    import sqlalchemy

    with tempfile.TemporaryDirectory() as tmp:
        engine = sqlalchemy.create_engine(f"sqlite:///{tmp}/t.db")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        engine.dispose()
    # 4. our store's prepared count returns Rasa's count: no session, one, several, unknown sender
    count_times = _check_event_count(SQLTrackerStore._additional_events)

    t = time.perf_counter()
    for _ in range(50):
        original(action, good[0])
    slow = (time.perf_counter() - t) / 50
    t = time.perf_counter()
    for _ in range(50):
        patched(action, good[0])
    fast = (time.perf_counter() - t) / 50
    print(f"bot.speedups OK: action response validation {slow * 1000:.2f} ms -> {fast * 1000:.2f} ms per call; "
          f"count before save {count_times[0] * 1000:.2f} ms -> {count_times[1] * 1000:.2f} ms")


def _check_event_count(original) -> tuple[float, float]:
    import asyncio
    import tempfile
    import time

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    def turn(ts: float, text: str) -> list:
        return [UserUttered(text, timestamp=ts), ActionExecuted("utter_x", timestamp=ts + 0.1),
                BotUttered("reply", timestamp=ts + 0.2), ActionExecuted("action_listen", timestamp=ts + 0.3)]

    session = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
               ActionExecuted("action_listen", timestamp=1.0)]
    conversations = {
        "no-session": turn(1.0, "a") + turn(2.0, "b"),
        "one-session": session + turn(2.0, "a") + [SlotSet("s", 1, timestamp=3.0)] + turn(4.0, "b"),
        "two-sessions": session + turn(2.0, "a") + [ActionExecuted("action_session_start", timestamp=9.0),
                                                    SessionStarted(timestamp=9.0)] + turn(10.0, "b"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        from bot.tracker_store import FrontlineTrackerStore

        store = FrontlineTrackerStore(Domain.empty(), dialect="sqlite", db=f"{tmp}/tracker.db")
        assert type(store.engine.pool).__name__ == "QueuePool", store.engine.pool  # 5.
        for sender, events in conversations.items():
            half = len(events) // 2
            tracker = DialogueStateTracker.from_events(sender, events[:half])
            asyncio.run(store.save(tracker))
            tracker = DialogueStateTracker.from_events(sender, events)  # the rest: a second save
            with store.session_scope() as db:
                ours = list(store._additional_events(db, tracker))
                rasas = list(original(store, db, tracker))
            assert ours == rasas and ours, (sender, len(ours), len(rasas))
            asyncio.run(store.save(tracker))
        unknown = DialogueStateTracker.from_events("unknown", turn(1.0, "x"))
        with store.session_scope() as db:
            assert list(store._additional_events(db, unknown)) == list(original(store, db, unknown))
            timings = []
            for fn in (original, FrontlineTrackerStore._additional_events):
                t = time.perf_counter()
                for _ in range(50):
                    list(fn(store, db, tracker))
                timings.append((time.perf_counter() - t) / 50)
        store.engine.dispose()
    return timings[0], timings[1]
