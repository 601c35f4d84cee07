"""Shared fixtures.

Markers (``--strict-markers``): ``unit`` (no model, no network, milliseconds),
``integration`` (real model / FAISS / a real local server), ``slow`` (trains or
starts the whole stack). Unit tests may not open network connections.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("FRONTLINE_WARM_AT_IMPORT", "0")  # tests inject their own search
# logs, SQL store and the like go to a throwaway folder, never the working copy's var/
os.environ.setdefault("FRONTLINE_DATA_DIR", tempfile.mkdtemp(prefix="frontline-test-"))


@pytest.fixture(autouse=True)
def _no_network_in_unit_tests(request):
    """Unit tests must not touch the network: sockets are disabled for them."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    import pytest_socket

    pytest_socket.disable_socket(allow_unix_socket=True)
    try:
        yield
    finally:
        pytest_socket.enable_socket()


@pytest.fixture(scope="session")
def content():
    from knowledge_base.loader import load_content

    return load_content()


@pytest.fixture(scope="session")
def fake_search(tmp_path_factory, content):
    """The shipped search pipeline over the real content, with the fake embedder."""
    from knowledge_base.embedders import FakeEmbedder
    from knowledge_base.index import build_index
    from knowledge_base.search import KnowledgeSearch

    index_dir = tmp_path_factory.mktemp("index")
    emb = FakeEmbedder()
    build_index(content, emb, index_dir, progress=False)
    ks = KnowledgeSearch(content=content, embedder=emb, index_dir=index_dir)
    ks.warm_up()
    return ks


@pytest.fixture
def cheap_argon2(monkeypatch):
    """Production Argon2 parameters cost ~0.5 s a hash; the algorithm is the same with cheap
    ones. Front-door tests use it (``pytest.mark.usefixtures("cheap_argon2")``)."""
    from argon2 import PasswordHasher

    from web import auth

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("dummy"))
