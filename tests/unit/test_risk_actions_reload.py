"""A content reload never makes a message wait for the risk router: an unchanged router is
reused; a changed one is fitted in the background while the previous one keeps routing."""

import threading
import time

import pytest

pytestmark = pytest.mark.unit


class _Router:
    fits = 0

    def __init__(self, key, slow=0.0):
        self.key, self.slow, self.ready = key, slow, threading.Event()

    def source_key(self):
        return self.key

    def warm_up(self):
        time.sleep(self.slow)
        _Router.fits += 1
        self.ready.set()


def test_reload_reuses_or_refits_in_the_background(monkeypatch):
    from actions import risk

    keys = iter(["a", "a", "b"])
    made = []

    def shipped(embedder, items, vector_cache=None, tuned_dir=None):
        made.append(_Router(next(keys), slow=0.3))
        return made[-1]

    monkeypatch.setattr(risk.RiskRouter, "shipped", staticmethod(shipped))
    for name, value in (("_router", None), ("_router_for", None), ("_fitted", {}), ("_fitting", set()),
                        ("_pending", {})):
        monkeypatch.setattr(risk, name, value)
    search = [type("S", (), {"embedder": None, "items": {}})() for _ in range(3)]
    first = risk._router_for_search(search[0])  # the very first fit blocks
    assert first.key == "a" and first.ready.is_set()
    assert risk._router_for_search(search[1]) is first  # same inputs: reused, no refit
    fits = _Router.fits
    t = time.perf_counter()
    assert risk._router_for_search(search[2]) is first  # changed: the old one routes meanwhile
    assert time.perf_counter() - t < 0.2
    made[-1].ready.wait(5)
    time.sleep(0.05)
    assert risk._router_for_search(search[2]).key == "b" and _Router.fits == fits + 1
