import numpy as np
import pytest

from knowledge_base.embedders import FakeEmbedder, SentenceTransformerEmbedder, sha256_file
from knowledge_base.errors import ModelIntegrityError

pytestmark = pytest.mark.unit


def test_fake_embedder_is_deterministic_and_normalised():
    a = FakeEmbedder().run(["food bank", "food bank", "eviction notice"])["embeddings"]
    assert np.allclose(a[0], a[1])
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert a[0] @ a[1] > a[0] @ a[2]


def test_swapped_weights_are_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    emb = SentenceTransformerEmbedder(model=str(tmp_path), expected_sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="does not match the pinned"):
        emb.warm_up()


def test_missing_model_folder_is_refused(tmp_path):
    with pytest.raises(ModelIntegrityError, match="not found"):
        SentenceTransformerEmbedder(model=str(tmp_path / "nope")).warm_up()


def test_sha256_file(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
