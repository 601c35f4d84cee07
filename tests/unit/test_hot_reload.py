"""The action server swaps in rebuilt content without failing a request."""

import shutil
import threading

import pytest

import actions.knowledge as knowledge
from knowledge_base.embedders import FakeEmbedder
from knowledge_base.index import build_index
from knowledge_base.loader import CONTENT_DIR, load_content

pytestmark = pytest.mark.unit

NEW_ITEM = """
  - id: zz-hot-reload-test-item
    type: service
    title: Quokka grooming advice line
    organisation: Test org
    description: Entirely fictional service used to prove hot reload works.
    categories: [general]
    boroughs: [national]
    say_this: ["This is a test."]
    steps: ["Nothing to do."]
    contacts: [{kind: web, value: "https://example.org"}]
    source: https://example.org
    owner: training-team
    last_reviewed: 2026-01-01
    review_by: 2030-01-01
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content, ignore=shutil.ignore_patterns("flows", "refreshers", "tests"))
    data = tmp_path / "var"
    monkeypatch.setenv("FRONTLINE_CONTENT_DIR", str(content))
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(data))
    monkeypatch.setattr(knowledge, "_search", None)
    monkeypatch.setattr(knowledge, "_state", None)
    monkeypatch.setattr(knowledge, "_embedder", FakeEmbedder())
    build_index(load_content(content), knowledge._embedder, data / "index", progress=False)
    return content, data


def test_rebuild_while_requests_are_in_flight_fails_none(env):
    content, data = env
    ks = knowledge.get_search()
    assert "zz-hot-reload-test-item" not in ks.items
    failures, done, calls = [], threading.Event(), [0]

    def worker():
        while not done.is_set():
            try:
                knowledge.get_search().run("food bank voucher")
                calls[0] += 1
            except Exception as exc:  # pragma: no cover - the assertion reports it
                failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        path = content / "services" / "food.yml"
        path.write_text(path.read_text() + NEW_ITEM)
        build_index(load_content(content), knowledge._embedder, data / "index", progress=False)
        assert knowledge.reload_if_changed()
    finally:
        done.set()
        for t in threads:
            t.join()
    assert failures == [] and calls[0] > 0
    hits = knowledge.get_search().run("quokka grooming advice line")["hits"]
    assert hits[0].id == "zz-hot-reload-test-item"


def test_invalid_new_content_keeps_the_old_and_says_why(env, caplog):
    content, _ = env
    before = knowledge.get_search()
    (content / "services" / "broken.yml").write_text("items:\n  - id: X\n")
    assert not knowledge.reload_if_changed()
    assert knowledge.get_search() is before
    assert "still serving the previous version" in caplog.text and "broken.yml" in caplog.text


def test_unchanged_content_does_not_reload(env):
    knowledge.get_search()
    assert not knowledge.reload_if_changed()
