"""The one place the real bundled model runs in the fast suites."""

import pytest

from knowledge_base.embedders import PINNED_WEIGHTS_SHA256, SentenceTransformerEmbedder, bundled_model_path, sha256_file
from knowledge_base.index import build_index
from knowledge_base.search import KnowledgeSearch

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_search(content, tmp_path_factory):
    emb = SentenceTransformerEmbedder()
    index_dir = tmp_path_factory.mktemp("real-index")
    build_index(content, emb, index_dir, progress=False)
    ks = KnowledgeSearch(content=content, embedder=emb, index_dir=index_dir)
    ks.warm_up()
    return ks


def test_bundled_weights_match_the_pin():
    assert sha256_file(bundled_model_path() / "model.safetensors") == PINNED_WEIGHTS_SHA256


def test_first_slice_shops_and_online(real_search):
    out = real_search.run("she can't get to the shops and can't order online")
    top = out["hits"][0].item
    assert "food" in top.categories, [h.id for h in out["hits"]]
    assert top.say_this and top.steps and top.contacts


@pytest.mark.parametrize("query,category", [
    ("landlord changed the locks and put her stuff outside", "housing"),
    ("lady says her son hits her and takes her pension", "safeguarding"),
    ("no lecky on the key meter", "energy"),
    ("needs immigration advice about his visa", "immigration"),
])
def test_hurried_lines_find_the_right_area(real_search, query, category):
    hits = real_search.run(query)["hits"]
    cats = {c for h in hits for c in h.item.categories}
    assert category in cats or (category == "safeguarding" and "domestic-abuse" in cats), [h.id for h in hits]


def test_int8_vectors_stay_close_to_the_original_arithmetic():
    texts = ["res cant pay gas, UC not come through", "how do i refer to CAB",
             "Food bank vouchers for families in Hackney. food, hungry, voucher"]
    int8 = SentenceTransformerEmbedder(precision="int8").run(texts)["embeddings"]
    fp32 = SentenceTransformerEmbedder(precision="fp32").run(texts)["embeddings"]
    assert (int8 * fp32).sum(axis=1).min() > 0.95


def test_the_same_content_always_gives_the_same_int8_index(content, tmp_path):
    import faiss
    import numpy as np

    emb = SentenceTransformerEmbedder(precision="int8")
    vectors = []
    for name in ("a", "b"):
        build_index(content, emb, tmp_path / name, progress=False)
        index = faiss.read_index(str(tmp_path / name / "current" / "dense.faiss"))
        vectors.append(index.reconstruct_n(0, index.ntotal))
    assert np.array_equal(vectors[0], vectors[1])


@pytest.mark.parametrize("precision", ["int8", "fp32"])
def test_the_one_batch_fast_path_gives_the_vectors_of_encode(precision):
    """Queries and clauses skip SentenceTransformer.encode's per-call bookkeeping and run the
    traced forward pass; the vectors must be the same (same batch, same tokens, same
    normalisation; the traced pass may sum in another order: 1e-6)."""
    import numpy as np

    emb = SentenceTransformerEmbedder(precision=precision)
    emb.warm_up()
    assert emb._forward is not None, "the shipped model's forward pass should trace and check out"
    batches = [["res has no gas and no money till friday"],
               ["no credit on the meter", "toddler at home", "UC not due till next week and she has nothing"],
               ["x", "a much longer message about council tax arrears, bailiffs at the door and a sick child"],
               # past the model's 256 tokens (truncated), beside short texts: sixteen, a full batch
               ["council tax arrears letter, bailiffs at the door " * 60, "no gas"] + [f"rent arrears note {i}" for i in range(14)]]
    for batch in batches:
        slow = emb._st.encode(batch, batch_size=emb.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False)
        assert np.allclose(np.asarray(slow, dtype="float32"), emb.run(batch)["embeddings"], atol=1e-6, rtol=0), batch
