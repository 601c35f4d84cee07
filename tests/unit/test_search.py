"""Search components with the deterministic fake embedder (no model)."""

import pytest

from knowledge_base.embedders import FakeEmbedder
from knowledge_base.index import build_index, load_index
from knowledge_base.search import Filters, KnowledgeSearch
from knowledge_base.text import Thesaurus
from knowledge_base.schema import Term

pytestmark = pytest.mark.unit


def test_run_returns_documented_keys(fake_search):
    out = fake_search.run("food bank voucher")
    assert set(out) == {"hits", "confidence", "query"}
    assert out["confidence"] in {"answer", "show", "choose", "none"}
    assert 1 <= len(out["hits"]) <= 3
    scores = [h.score for h in out["hits"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "😀😀😀", "🙏", "x" * 10_000,
                                   "<script>alert(1)</script>", "'; DROP TABLE items; --",
                                   "{{7*7}} ${jndi:ldap://x}", "Ma mère ne peut pas payer le gaz",
                                   "لا أستطيع دفع الإيجار", "/show_item{\"item_id\": \"x\"}"])
def test_bad_input_never_crashes(fake_search, query):
    out = fake_search.run(query)
    assert out["confidence"] in {"answer", "show", "choose", "none"}


def test_empty_and_symbol_only_queries_find_nothing(fake_search):
    for q in ["", "   ", "😀😀", "!!!"]:
        assert fake_search.run(q) == {"hits": [], "confidence": "none", "query": q.strip()}


def test_long_query_is_truncated(fake_search):
    assert len(fake_search.run("rent " * 5000)["query"]) <= 1000


def test_filters_restrict_results(fake_search):
    out = fake_search.run("help", Filters(category="housing"), top_k=10)
    assert out["hits"] and all("housing" in h.item.categories for h in out["hits"])
    out = fake_search.run("food", Filters(borough="newham"), top_k=10)
    assert all({"newham", "national", "london"} & set(h.item.boroughs) for h in out["hits"])


def test_thesaurus_expands_resident_words():
    th = Thesaurus([Term(term="electricity", variants=["lecky", "leccy"]),
                    Term(term="council tax reduction", variants=["ctr", "council tax support"])])
    assert "electricity" in th.expand("no lecky on the meter")
    assert th.canonical_terms("needs council tax support asap") == ["council tax reduction"]
    assert th.expand("nothing here") == "nothing here"


def test_bm25_finds_exact_terms(content, tmp_path):
    ks = KnowledgeSearch(content=content, embedder=FakeEmbedder(), mode="bm25", index_dir=tmp_path)
    hits = ks.run("Immigration Advice Authority regulated adviser", top_k=5)["hits"]
    assert any("immigration" in h.item.categories for h in hits)


def test_index_build_is_incremental_and_swaps_atomically(content, tmp_path):
    emb = FakeEmbedder()
    first = build_index(content, emb, tmp_path, progress=False)
    assert first.embedded == first.vectors > 0
    again = build_index(content, emb, tmp_path, progress=False)
    assert again.skipped
    forced = build_index(content, emb, tmp_path, progress=False, force=True)
    assert forced.embedded == 0 and forced.reused == forced.vectors
    # change one item: only its texts are re-embedded
    changed = content.items[0].model_copy(update={"title": content.items[0].title + " (updated)"})
    from knowledge_base.loader import Content
    c2 = Content(items=[changed, *content.items[1:]], terms=content.terms)
    rebuilt = build_index(c2, emb, tmp_path, progress=False)
    assert 0 < rebuilt.embedded <= 6
    idx = load_index(tmp_path)
    assert (tmp_path / "current").is_symlink() and idx.manifest["items"] == len(content.items)


def test_batch_dependent_embedder_re_embeds_everything_when_forced_and_only_edits_otherwise(content, tmp_path):
    class BatchDependent(FakeEmbedder):
        batch_invariant = False  # like the int8 encoder

        def __init__(self):
            super().__init__()
            self.batches = []

        def run(self, texts):
            self.batches.append(list(texts))
            return super().run(texts)

    emb = BatchDependent()
    first = build_index(content, emb, tmp_path, progress=False)
    forced = build_index(content, emb, tmp_path, progress=False, force=True)
    assert first.embedded == forced.embedded == first.vectors and forced.reused == 0
    assert emb.batches[: len(emb.batches) // 2] == emb.batches[len(emb.batches) // 2 :]
    # an edit (an ordinary build) embeds only the changed item's texts, in their own batch
    from knowledge_base.loader import Content

    changed = content.items[0].model_copy(update={"title": content.items[0].title + " (updated)"})
    emb.batches.clear()
    edited = build_index(Content(items=[changed, *content.items[1:]], terms=content.terms), emb, tmp_path,
                         progress=False)
    assert 0 < edited.embedded <= 6 and edited.reused == edited.vectors - edited.embedded
    assert sum(len(b) for b in emb.batches) == edited.embedded
    # what make eval asks for: the fresh-clone index, rebuilt only when the published one is not it
    emb.batches.clear()
    edited_content = Content(items=[changed, *content.items[1:]], terms=content.terms)
    canonical = build_index(edited_content, emb, tmp_path, progress=False, canonical=True)
    assert canonical.embedded == canonical.vectors and not canonical.skipped
    assert build_index(edited_content, emb, tmp_path, progress=False, canonical=True).skipped


def test_missing_index_is_a_clear_error(content, tmp_path):
    from knowledge_base.errors import IndexMissing

    ks = KnowledgeSearch(content=content, embedder=FakeEmbedder(), index_dir=tmp_path / "nothing")
    with pytest.raises(IndexMissing, match="kb build"):
        ks.warm_up()


def test_thesaurus_phrases_match_any_personal_pronoun_and_any_apostrophes():
    th = Thesaurus([Term(term="economic abuse", variants=["takes my benefits"]),
                    Term(term="rent arrears", variants=["can't pay rent"])])
    assert th.canonical_terms("he takes her benefits every week") == ["economic abuse"]
    assert th.canonical_terms("says he takes their benefits") == ["economic abuse"]
    assert th.canonical_terms("cant pay rent since april") == ["rent arrears"]
    assert th.canonical_terms("he takes benefits") == []  # the pronoun is still a word in the phrase


def test_thesaurus_takes_the_longest_phrase_and_does_not_reread_its_words():
    th = Thesaurus([Term(term="child protection", variants=["left home alone", "home alone"]),
                    Term(term="loneliness", variants=["alone", "lonely"])])
    assert th.canonical_terms("kids left home alone all weekend") == ["child protection"]
    assert th.canonical_terms("lives alone and lonely") == ["loneliness"]


def _hit(item_id, score, categories):
    from types import SimpleNamespace

    from knowledge_base.search import Hit

    return Hit(SimpleNamespace(id=item_id, categories=categories), score, score, 0.0)


@pytest.mark.parametrize("scores_and_cats, expected", [
    ([(0.46, ["food"]), (0.38, ["food"])], "answer"),                    # above the confident line, clear margin
    ([(0.46, ["food"]), (0.40, ["food"])], "show"),                      # above it, but a lead under answer_margin
    ([(0.40, ["food"]), (0.30, ["food"])], "show"),                      # under the confident line
    ([(0.30, ["food"]), (0.29, ["food"])], "show"),                      # between the lines: best card, marked
    ([(0.30, ["housing"]), (0.295, ["money-debt"])], "choose"),          # nearly tied, different needs
    ([(0.30, ["housing"]), (0.295, ["housing", "benefits"])], "show"),   # nearly tied, same need
    ([(0.22, ["food"]), (0.10, ["food"])], "choose"),                    # under the show line
    ([(0.10, ["food"])], "none"),
    ([], "none"),
])
def test_calibration_lines(fake_search, scores_and_cats, expected):
    hits = [_hit(f"i{n}", s, c) for n, (s, c) in enumerate(scores_and_cats)]
    assert fake_search._confidence(hits) == expected


def test_run_many_gives_what_run_gives_for_each_query(fake_search):
    queries = ["food bank voucher", "", "landlord changed the locks"]
    many = fake_search.run_many(queries)
    for q, out in zip(queries, many):
        one = fake_search.run(q)
        assert [h.id for h in out["hits"]] == [h.id for h in one["hits"]] and out["confidence"] == one["confidence"]


def test_the_embedder_reuses_its_last_small_calls(monkeypatch):
    """The risk router and the search encode the same message one after the other: the second
    call is served from the embedder's small cache (same batch, same vectors); index-sized
    calls are never kept."""
    import numpy as np

    from knowledge_base.embedders import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    emb._st = object()  # no model needed: _encode is replaced below
    calls = []

    def encode(texts, show_progress):
        calls.append(list(texts))
        return np.ones((len(texts), 3), "float32")

    monkeypatch.setattr(emb, "_encode", encode)
    first = emb.run(["her partner hit her"])["embeddings"]
    first[0, 0] = 99.0  # a caller changing its copy must not change the cache
    again = emb.run(["her partner hit her"])["embeddings"]
    assert len(calls) == 1 and again[0, 0] == 1.0
    big = [f"text {i}" for i in range(emb.CACHE_BATCH + 1)]
    emb.run(big)
    emb.run(big)
    assert len(calls) == 3


def test_a_needs_map_example_finds_its_items_even_when_the_item_words_it_differently(content, tmp_path):
    """The needs map's worker-worded examples are exemplars: a message worded like one of them
    scores that need's items at exemplar_weight x its similarity (the fake embedder gives an
    identical text similarity 1.0)."""
    from dataclasses import replace

    from knowledge_base.embedders import FakeEmbedder
    from knowledge_base.index import build_index
    from knowledge_base.search import KnowledgeSearch, SearchSettings

    message = "zq the washing line of forms xv"  # words no item uses
    with_exemplar = replace(content, exemplars=[(message, ("priority-services-register",))])
    emb = FakeEmbedder()
    build_index(with_exemplar, emb, tmp_path, progress=False)
    on = KnowledgeSearch(content=with_exemplar, embedder=emb, index_dir=tmp_path)
    off = KnowledgeSearch(content=with_exemplar, embedder=emb, index_dir=tmp_path,
                          settings=SearchSettings(exemplar_weight=0.0))
    top = on.run(message)["hits"][0]
    assert top.id == "priority-services-register"
    assert top.dense == pytest.approx(SearchSettings().exemplar_weight, abs=1e-3)
    assert all(h.id != "priority-services-register" for h in off.run(message)["hits"][:1])


def test_the_shipped_content_carries_the_needs_examples_as_exemplars(content):
    ids = {i.id for i in content.items}
    assert len(content.exemplars) >= 400
    assert all(items and set(items) <= ids for _, items in content.exemplars)
