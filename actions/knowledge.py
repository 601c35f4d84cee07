"""The knowledge search, loaded once per action-server process, hot-reloaded.

Loading sentence-transformers takes seconds, so it happens at import time (the
server reports healthy only once it is warm), never per request. The embedder
is kept across reloads; only content and index are swapped.

Hot reload: a background thread watches the published index (the ``current``
symlink that ``kb build`` swaps atomically) and the content files. When either
changes it loads and validates the new content and index *beside* the old one
and swaps a single reference, so in-flight requests finish on the old search
and new ones use the new. If the new content is invalid, or the index cannot
be read, it keeps serving the old one and logs why.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass

from knowledge_base.embedders import make_embedder
from knowledge_base.index import default_index_dir
from knowledge_base.loader import CONTENT_DIR, content_fingerprint
from knowledge_base.search import KnowledgeSearch

log = logging.getLogger(__name__)
_lock = threading.Lock()
_search: KnowledgeSearch | None = None
_state: "Watched | None" = None
_embedder = None
RELOAD_SECONDS = float(os.environ.get("FRONTLINE_RELOAD_SECONDS", "2"))


@dataclass(frozen=True)
class Watched:
    index_target: str
    content: str


def _content_dir():
    return os.environ.get("FRONTLINE_CONTENT_DIR") or str(CONTENT_DIR)


def _watched() -> Watched:
    current = default_index_dir() / "current"
    target = os.path.realpath(current) if current.exists() else ""
    return Watched(target, content_fingerprint(_content_dir()))


def _load() -> KnowledgeSearch:
    global _embedder
    if _embedder is None:
        _embedder = make_embedder()
    ks = KnowledgeSearch.create(content_dir=_content_dir(), embedder=_embedder)
    if ks.content.errors:
        first = ks.content.errors[0]
        raise ValueError(f"{len(ks.content.errors)} content error(s), first: {first}")
    ks.warm_up()
    return ks


def get_search() -> KnowledgeSearch:
    global _search, _state
    if _search is not None:
        return _search
    with _lock:
        if _search is None:
            started = dt.datetime.now()
            state = _watched()
            _search = _load()
            _state = state
            log.info("knowledge search ready: %d items in %.1fs", len(_search.items),
                     (dt.datetime.now() - started).total_seconds())
        return _search


_reload_hooks: list = []


def on_reload(hook) -> None:
    """Call ``hook(new_search)`` in the watcher thread after new content loads and before it
    is served, so what depends on it (the risk router) is ready for the first message."""
    _reload_hooks.append(hook)


def reload_if_changed() -> bool:
    """Swap in new content/index if they changed. Returns True when swapped."""
    global _search, _state
    state = _watched()
    if state == _state:
        return False
    with _lock:
        try:
            fresh = _load()
        except Exception as exc:  # keep serving the old content
            log.error("content or index changed but cannot be loaded; still serving the previous version: %s", exc)
            _state = state  # don't retry the same broken version every tick
            return False
        for hook in list(_reload_hooks):  # e.g. the risk router, ready before the first message needs it
            try:
                hook(fresh)
            except Exception:  # noqa: BLE001 - a hook's failure must not stop the reload
                log.exception("reload hook failed")
        _search, _state = fresh, state
    log.info("reloaded knowledge search: %d items", len(fresh.items))
    return True


def _watch_forever() -> None:
    import time

    while True:
        time.sleep(RELOAD_SECONDS)
        try:
            reload_if_changed()
        except Exception:  # the watcher must never die
            log.exception("reload check failed")


def start_watcher() -> None:
    threading.Thread(target=_watch_forever, name="kb-reloader", daemon=True).start()


if os.environ.get("FRONTLINE_WARM_AT_IMPORT", "1") == "1":
    get_search()
    start_watcher()
