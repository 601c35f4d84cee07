"""The knowledge search, loaded once per action-server process.

Loading sentence-transformers takes seconds, so it happens at import time
(the server reports healthy only once it is warm), never per request.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading

from knowledge_base.search import KnowledgeSearch

log = logging.getLogger(__name__)
_lock = threading.Lock()
_search: KnowledgeSearch | None = None


def get_search() -> KnowledgeSearch:
    global _search
    with _lock:
        if _search is None:
            started = dt.datetime.now()
            ks = KnowledgeSearch.create()
            if ks.content.errors:
                raise RuntimeError(f"{len(ks.content.errors)} content errors; run `kb validate`")
            ks.warm_up()
            _search = ks
            log.info("knowledge search ready: %d items in %.1fs", len(ks.items),
                     (dt.datetime.now() - started).total_seconds())
        return _search


if os.environ.get("FRONTLINE_WARM_AT_IMPORT", "1") == "1":
    get_search()
