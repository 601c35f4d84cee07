"""The fine-tuned route classifier as the router uses it, without a model: a stand-in gives
fixed probabilities, so these tests check the wiring (which probabilities route, when a model
is trained, what a stale or damaged one does), not the model. One integration test trains a
real one (tests/integration/test_risk_tuned_train.py)."""

import json

import numpy as np
import pytest

from knowledge_base.embedders import FakeEmbedder
from knowledge_base.errors import ModelIntegrityError
from knowledge_base.risk import (NONE, RiskRouter, RouterSettings, TunedClassifier, TunedSettings, load_routes,
                                 tuned_dir_for)
from knowledge_base.risk.router import EVERYDAY
from knowledge_base.risk.tuned import CURRENT, STALE, UNUSABLE, training_key

pytestmark = pytest.mark.unit


class StandIn:
    """What the router needs of a ``TunedClassifier``: its settings, ``state``, ``warm_up``,
    ``run`` and ``train``. It gives every text all its probability on ``favourite``."""

    def __init__(self, state=CURRENT, favourite="modern-slavery", shares=None, whole=None):
        self.settings = TunedSettings()
        self.folder = "stand-in"
        self._state, self.favourite = state, favourite
        self.shares = shares  # {class: probability} instead of all on ``favourite``
        self.whole = whole  # (text, {class: probability}): that text's own probabilities
        self.trained = []
        self.calls = 0

    def state(self, key, classes):
        self.classes = list(classes)
        return self._state

    def warm_up(self):
        pass

    def run(self, texts, temperature=1.0):
        self.calls += 1
        p = np.zeros((len(texts), len(self.classes)), "float32")
        for c, share in (self.shares or {self.favourite: 1.0}).items():
            p[:, self.classes.index(c)] = share
        for i, text in enumerate(texts):
            if self.whole and text == self.whole[0]:
                p[i] = 0.0
                for c, share in self.whole[1].items():
                    p[i, self.classes.index(c)] = share
        return {"probabilities": p}

    def train(self, texts, labels, classes, key, progress=True):
        self.trained.append((len(texts), key))
        self._state = CURRENT


@pytest.fixture(scope="module")
def small_routes():
    """The shipped routes with five examples each (the logistic regression fits in milliseconds)."""
    routes = load_routes()
    for r in routes.routes:
        r.examples[:] = r.examples[:5]
    routes.not_risk.examples[:] = routes.not_risk.examples[:5]
    routes.not_risk.everyday_examples[:] = routes.not_risk.everyday_examples[:5]
    return routes


def _router(tuned, routes, **settings):
    r = RiskRouter(FakeEmbedder(), routes, tuned=tuned,
                   settings=RouterSettings(margin=0.0, knn_weight=0.0, near_floor=-1.0, **settings))
    r.warm_up()
    return r


def test_a_current_model_gives_the_probabilities(small_routes):
    tuned = StandIn(favourite="modern-slavery")
    r = _router(tuned, small_routes)
    d = r.run("res says the weather has been odd this week")
    assert d.route == "modern-slavery" and r.tuned_state == CURRENT and tuned.calls == 1


def test_with_the_model_its_own_cue_veto_silences_a_cue(small_routes):
    """Half "no guide": the fine-tuned classifier's veto (``tuned_cue_veto``) silences the cue
    'trafficked'; at the logistic regression's value (``cue_veto``, 0.6) the cue would count."""
    text = "res says the lad next door was trafficked"
    halves = {NONE: 0.5, "modern-slavery": 0.5}
    assert RouterSettings().tuned_cue_veto < 0.5 < RouterSettings().cue_veto
    vetoed = _router(StandIn(shares=halves), small_routes).run(text)
    assert vetoed.route == NONE and vetoed.cues == {}
    d = _router(StandIn(shares=halves), small_routes, tuned_cue_veto=0.6).run(text)
    assert d.route == "modern-slavery" and "trafficked" in d.cues["modern-slavery"]


def test_a_long_note_asks_the_model_once_for_all_its_clauses(small_routes):
    tuned = StandIn(favourite=NONE)
    r = _router(tuned, small_routes, segment_min_words=10)
    text = ("Rang about the council tax bill for the flat, she has paid it. Asked about the bins on "
            "Tuesday, they were missed again. Wants the parking permit renewed before the new year starts.")
    assert r.run(text).route == NONE
    assert tuned.calls == 2  # the whole note, then its clauses in one call


def test_a_long_note_that_reads_as_a_look_alike_starts_no_guide_from_one_clause(small_routes):
    """A clause read out of its note ("he rang to say thanks, he's doing much better") may look
    like a disclosure; when the whole note reads as a look-alike (``segment_lookalike_veto``) it
    starts no guide, and the clause's route is only offered after the answer."""
    text = ("Just a reflection after my shift, nothing to action. A man I first spoke to last year rang "
            "today to say thanks for everything, he is doing much better now and back at work.")
    tuned = StandIn(favourite="mental-health-crisis", whole=(text, {NONE: 0.7, "mental-health-crisis": 0.3}))
    d = _router(tuned, small_routes, segment_min_words=10, segment_near_floor=-1.0, segment_lookalike_veto=0.5).run(text)
    assert d.route == NONE and d.check == "mental-health-crisis"
    off = _router(tuned, small_routes, segment_min_words=10, segment_near_floor=-1.0, segment_lookalike_veto=1.0,
                  segment_none_veto=1.0).run(text)
    assert off.route == "mental-health-crisis" and off.segment


def test_a_long_note_that_reads_as_no_guide_as_a_whole_starts_no_guide_from_one_clause(small_routes):
    """A registrar's everyday note whose one sentence, read alone, sounds like a forced marriage:
    when the whole note's "no guide" (look-alikes and everyday together) reaches
    ``segment_none_veto``, that sentence's route is only offered after the answer."""
    text = ("Couple need to move their ceremony at the town hall from June to August because her nan had a "
            "stroke and they do not want to marry without her there. Asked about the fee to change the date.")
    tuned = StandIn(favourite="domestic-abuse", whole=(text, {NONE: 0.3, EVERYDAY: 0.5, "domestic-abuse": 0.2}))
    kw = dict(segment_min_words=10, segment_near_floor=-1.0, segment_everyday_weight=0.0)
    d = _router(tuned, small_routes, segment_none_veto=0.75, **kw).run(text)
    assert d.route == NONE and d.check == "domestic-abuse"
    off = _router(tuned, small_routes, segment_none_veto=1.0, **kw).run(text)
    assert off.route == "domestic-abuse" and off.segment


def test_a_stale_model_still_routes_and_the_nearest_examples_count_at_once(small_routes):
    tuned = StandIn(state=STALE, favourite="radicalisation")
    r = _router(tuned, small_routes)
    assert r.tuned_state == STALE and r.uses_tuned
    assert r.run("some message about nothing much").route == "radicalisation"


def test_an_unusable_model_leaves_the_logistic_regression(small_routes):
    tuned = StandIn(state=UNUSABLE, favourite="radicalisation")
    r = _router(tuned, small_routes)
    lr = _router(None, small_routes)
    text = "her partner hit her last night"
    assert r.tuned_state == UNUSABLE and not r.uses_tuned and not lr.uses_tuned
    assert r.run(text).scores == lr.run(text).scores and tuned.calls == 0


def test_prepare_trains_only_a_model_that_is_not_current(small_routes):
    stale = StandIn(state=STALE)
    r = RiskRouter(FakeEmbedder(), small_routes, tuned=stale)
    n = r.prepare(progress=False)
    assert stale.trained == [(n, r.tuned_key)] and r.tuned_state == CURRENT
    current = StandIn(state=CURRENT)
    RiskRouter(FakeEmbedder(), small_routes, tuned=current).prepare(progress=False)
    assert current.trained == []


def test_the_training_key_follows_examples_labels_and_settings():
    texts, labels, classes = ["a", "b"], [0, 1], ["x", NONE]
    key = training_key(texts, labels, classes, TunedSettings())
    assert key == training_key(list(texts), list(labels), list(classes), TunedSettings())
    assert key != training_key(["a", "c"], labels, classes, TunedSettings())
    assert key != training_key(texts, [1, 0], classes, TunedSettings())
    assert key != training_key(texts, labels, classes, TunedSettings(epochs=3))


def _folder(tmp_path, key="k", classes=("x", NONE), sha="0" * 64):
    folder = tmp_path / "risk-classifier"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "model.safetensors").write_bytes(b"weights")
    (folder / "meta.json").write_text(json.dumps({"key": key, "classes": list(classes), "sha256": sha,
                                                  "scale": 20.0, "max_tokens": 128}))
    return folder


def test_state_reads_the_folder(tmp_path):
    folder = _folder(tmp_path)
    t = TunedClassifier(folder)
    assert t.state("k", ["x", NONE]) == CURRENT
    assert t.state("other", ["x", NONE]) == STALE
    assert t.state("k", ["x", "y", NONE]) == UNUSABLE  # other classes: never used
    assert TunedClassifier(tmp_path / "none-here").state("k", ["x"]) == UNUSABLE
    (folder / "meta.json").write_text("{not json")
    assert t.state("k", ["x", NONE]) == UNUSABLE


def test_weights_that_do_not_match_their_meta_are_refused(tmp_path):
    with pytest.raises(ModelIntegrityError, match="does not match meta.json.s"):
        TunedClassifier(_folder(tmp_path, sha="0" * 64)).warm_up()
    with pytest.raises(ModelIntegrityError, match="kb build"):
        TunedClassifier(tmp_path / "missing").warm_up()


def test_the_fake_embedder_never_gets_a_model(tmp_path):
    assert tuned_dir_for(FakeEmbedder(), tmp_path) is None

    class Real:
        model_id = "bundled:all-MiniLM-L6-v2#int8"

    assert tuned_dir_for(Real(), tmp_path) == tmp_path / "risk-classifier"


def test_the_precision_is_checked_when_configured(monkeypatch, tmp_path):
    from knowledge_base.errors import EmbedderConfigError

    assert TunedClassifier(tmp_path).precision == "fp16"  # the default
    assert TunedClassifier(tmp_path, precision="fp32").precision == "fp32"
    monkeypatch.setenv("FRONTLINE_RISK_PRECISION", "int8")
    with pytest.raises(EmbedderConfigError, match="FRONTLINE_RISK_PRECISION=fp16 or fp32") as exc:
        TunedClassifier(tmp_path)
    assert exc.value.exit_code == 2
