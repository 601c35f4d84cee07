"""Example vectors are encoded once and read back from disk: a restart or a content reload
encodes only new texts; a broken or read-only cache only means encoding again."""

import numpy as np
import pytest

from knowledge_base.embedders import FakeEmbedder
from knowledge_base.vector_cache import BATCH, cached_vectors

pytestmark = pytest.mark.unit


class Counting(FakeEmbedder):
    def __init__(self):
        super().__init__()
        self.calls: list[int] = []

    def run(self, texts):
        self.calls.append(len(texts))
        return super().run(texts)


def test_only_new_texts_are_encoded_and_the_vectors_match(tmp_path):
    path = tmp_path / "v.npz"
    emb = Counting()
    texts = [f"example {i}" for i in range(BATCH + 5)]
    first = cached_vectors(emb, texts, path)
    assert emb.calls == [BATCH, 5]  # fixed batches, in order
    again = cached_vectors(emb, texts + ["a new one"], path)
    assert emb.calls == [BATCH, 5, 1]
    assert np.allclose(again[:-1], first) and again.shape == (len(texts) + 1, first.shape[1])


def test_an_unreadable_cache_is_encoded_again(tmp_path):
    path = tmp_path / "v.npz"
    path.write_bytes(b"not a numpy file")
    emb = Counting()
    out = cached_vectors(emb, ["a", "b"], path)
    assert out.shape[0] == 2 and emb.calls == [2]
    assert cached_vectors(emb, ["a", "b"], path).shape[0] == 2 and emb.calls == [2]


def test_canonical_encodes_everything_again_when_a_text_is_new(tmp_path):
    path = tmp_path / "v.npz"
    emb = Counting()
    cached_vectors(emb, ["a", "b", "c"], path, canonical=True)
    cached_vectors(emb, ["a", "b", "c"], path, canonical=True)
    cached_vectors(emb, ["a", "b", "c", "d"], path, canonical=True)
    assert emb.calls == [3, 4]
