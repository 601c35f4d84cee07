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


def test_precision_is_checked_when_configured_and_named_in_the_model_id(monkeypatch):
    from knowledge_base.errors import EmbedderConfigError

    assert SentenceTransformerEmbedder().model_id.endswith("#int8")  # the default
    assert "#" not in SentenceTransformerEmbedder(precision="fp32").model_id
    monkeypatch.setenv("FRONTLINE_EMBEDDING_PRECISION", "fp16")
    with pytest.raises(EmbedderConfigError, match="FRONTLINE_EMBEDDING_PRECISION=int8 or fp32") as exc:
        SentenceTransformerEmbedder()
    assert exc.value.exit_code == 2


def test_dense_text_leaves_phone_numbers_and_links_to_bm25():
    from knowledge_base.schema import Guidance
    from knowledge_base.text import item_lexical_text, item_views

    item = Guidance.model_construct(
        id="x", categories=[], title="Galop helpline", tags=["LGBT", "abuse"], summary="s", steps=[],
        say_this=["Call 0800 999 5428 or see https://galop.org.uk or write to help@galop.org.uk today.",
                  "A second line."],
    )
    (text,) = item_views(item)
    assert text == "Galop helpline. LGBT, abuse Call or see or write to today."
    assert "0800 999 5428" in item_lexical_text(item)
