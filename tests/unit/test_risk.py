"""The risk router with the fake embedder: cue phrases on word forms, questions ABOUT a
topic, close routes offered together, and the reasons recorded with each decision."""

import pytest

from knowledge_base.embedders import FakeEmbedder
from knowledge_base.risk import NONE, RiskRouter, RiskRoutes, RouterSettings, load_routes
from knowledge_base.risk import cues as C
from knowledge_base.risk.router import Nearest, RiskDecision

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def router():
    # the fake embedder is not semantic: a zero margin tests the mechanism, not the tuning
    r = RiskRouter(FakeEmbedder(), settings=RouterSettings(margin=0.0))
    r.warm_up()
    return r


@pytest.mark.parametrize("cue, said", [
    ("partner hit", "her partner hit her last night"),
    ("partner hit", "partner hits her"),
    ("partner hit", "her partner has just hit her"),
    ("being groomed", "14 year old being groomed online"),
    ("grooming", "worried it's online grooming"),
    ("grooming", "she thinks he groomed her daughter"),
    ("cuts on her arms", "she showed me fresh cuts on her arm"),
    ("kill herself", "she said she will kill herself"),
    ("can't talk he's here", "cant talk hes here"),
])
def test_cues_match_word_forms_and_small_gaps(cue, said):
    assert C.matches(C.words(cue), C.words(said))


@pytest.mark.parametrize("cue, said", [
    ("partner hit", "her partner was singing along to a hit song"),
    ("partner hit", "hit by a partner"),
    ("county lines", "county of the old railway lines"),
    ("grooming", "notice of marriage: groom 40, bride 71"),  # a wedding's groom is not grooming (blind29)
    ("being groomed", "she will be the groom's best woman at the wedding"),
])
def test_cues_need_order_and_closeness(cue, said):
    assert not C.matches(C.words(cue), C.words(said))


@pytest.mark.parametrize("cue, said, found", [
    ("kid says", "mum with 2 kids under 5, says she has leave to remain", False),  # check9's NRPF call note
    ("kid says", "the kid next door says his dad hits him", True),
    ("partner hit", "her partner. hit the wall and left", False),
    ("partner hit", "her partner just hit her, she says", True),
    ("cant talk hes here", "cant talk hes here", True),
])
def test_a_cues_words_stand_in_one_clause(cue, said, found):
    """Punctuation that ends a clause stops a cue: its words must stand in one clause."""
    assert C.matches(C.words(cue), C.said_words(said)) is found
    assert C.matches(C.words(cue), C.words(said))  # without the clause stops, each would match
    assert C.without_stops(C.said_words(said)) == C.words(said)  # the router derives one from the other


@pytest.mark.parametrize("said, found", [
    ("police checked, no cuckooing, the lads were his cousins", False),
    ("she was not trafficked, it was a family visit", False),
    ("worried about cuckooing at no 14", True),          # the negation must stand directly before the cue
    ("they're cuckooing him, not the first time", True),
])
def test_a_denied_cue_does_not_count(router, said, found):
    """``not_risk.negation_words``: a cue directly after one of them is denied, not reported."""
    cue = "cuckooing" if "cuckoo" in said else "trafficked"
    assert router.negations and C.matches(C.words(cue), C.said_words(said)) is True
    assert C.matches(C.words(cue), C.said_words(said), unless_before=router.negations) is found


def test_no_route_example_loses_its_cue_to_a_negation_word(router):
    """A negation word must deny, never hide a disclosure: every example of a route that
    matches one of the route's cues still matches it with ``negation_words`` in force."""
    for route in load_routes().routes:
        for cue in route.cues + route.urgent_cues + route.question_cues:
            w = C.words(cue)
            for example in route.examples:
                said = C.said_words(example)
                if C.matches(w, said):
                    assert C.matches(w, said, unless_before=router.negations), (route.id, cue, example)


def test_each_example_route_goes_home(router):
    routes = load_routes()
    for route in routes.routes:
        for example in route.examples[:3]:
            d = router.run(example)
            assert route.id in (d.route, *d.alternatives) or d.route == route.id, (example, d.route)


def test_word_forms_reach_the_route_the_phrase_list_missed(router):
    assert router.run("14 year old is being groomed online").flow in {"safeguarding-child", "child-exploitation"}
    assert router.run("res says her partner hit her").flow == "domestic-abuse"


@pytest.mark.parametrize("text", ["what is county lines", "what counts as coercive control",
                                  "refresher on modern slavery please"])
def test_questions_about_a_topic_start_no_guide(router, text):
    d = router.run(text)
    assert d.route == NONE and d.flow is None


@pytest.mark.parametrize("text", ["yes", "2", "no", "/start_flow", "   ", "😀"])
def test_answers_and_commands_are_never_routed(router, text):
    assert router.run(text).route == NONE


def test_a_decision_says_why(router):
    d = router.run("she says her partner hits her")
    assert d.cues["domestic-abuse"] and d.reason().startswith("cue 'partner hit")
    assert d.nearest and all(n.similarity <= 1.0 for n in d.nearest)


def test_a_decision_without_a_cue_gives_its_scores():
    """Without a cue the probabilities decided: the reason shows them beside the nearest examples."""
    near = (Nearest("he has a rope in the shed", "mental-health-crisis", 0.71),)
    routed = RiskDecision("mental-health-crisis", "crisis", nearest=near,
                          scores={"mental-health-crisis": 0.62, "domestic-abuse": 0.1, NONE: 0.21})
    assert routed.reason() == ("mental-health-crisis 0.62 against no guide 0.21; "
                               "nearest examples: 'he has a rope in the shed' (0.71)")
    held = RiskDecision(NONE, None, nearest=near, scores={"mental-health-crisis": 0.3, NONE: 0.65},
                        check="mental-health-crisis")
    assert held.reason() == ("no route (check mental-health-crisis): mental-health-crisis 0.30 against no guide 0.65; "
                             "nearest 'he has a rope in the shed' (mental-health-crisis)")
    # the route to check came close in one clause of a long note: its own score is named
    other = RiskDecision(NONE, None, scores={"domestic-abuse": 0.2, "mental-health-crisis": 0.03, NONE: 0.7},
                         check="mental-health-crisis", check_score=0.31)
    assert other.reason() == "no route (check mental-health-crisis 0.31): domestic-abuse 0.20 against no guide 0.70; -"
    assert RiskDecision(NONE, None).reason() == "no route: -"


def test_close_routes_are_offered_together(router):
    d = router.run("her husband hits her and the kids")
    assert d.flow == "domestic-abuse" and d.alternatives == ("safeguarding-child",)


def test_routes_schema_is_strict():
    data = {"routes": [{"id": "x-route", "flow": "domestic-abuse", "title": "X", "examples": ["a b c"] * 3,
                        "typo": 1}], "not_risk": {"examples": ["a b c"] * 3}}
    with pytest.raises(Exception, match="typo"):
        RiskRoutes.model_validate(data)


def test_a_hypothetical_question_is_not_a_disclosure(router):
    assert router.is_question_about(C.words("what's the procedure if a caller says they will self harm"))
    assert not router.is_question_about(C.words("what's the procedure, she says she will self harm tonight"))


def test_a_cue_naming_an_event_or_a_resource_does_not_count(router):
    nouns = frozenset(C.words("poster session awareness"))
    assert not C.matches(C.words("trafficked"), C.words("says our anti-trafficking poster is offensive"), unless_next=nouns)
    assert C.matches(C.words("trafficked"), C.words("says she was trafficked here in a lorry"), unless_next=nouns)
    d = router.run("the radicalisation awareness session at the hub got cancelled, when is it rescheduled")
    assert not d.cues.get("radicalisation")


def test_training_and_fiction_frames_are_questions_about_a_topic(router):
    assert router.is_question_about(C.words("for a role play I'll play a caller whose husband checks her phone"))
    assert router.is_question_about(C.words("training scenario: resident says her son is being radicalised"))
    assert not router.is_question_about(C.words("resident says her son is being radicalised, he has a knife"))


def test_a_question_about_a_topic_needs_more_evidence(router):
    assert router.settings.question_margin > router.settings.margin


def test_cues_do_not_count_when_the_examples_clearly_say_no_guide():
    veto = RiskRouter(FakeEmbedder(), settings=RouterSettings(margin=0.0, cue_veto=0.0))  # every message vetoed
    veto.warm_up()
    d = veto.run("res says her partner hit her")
    assert not d.cues  # the examples alone decide
    # ... unless a live word says the worker speaks of a real person now
    d = veto.run("can I book the DV training? asking because my friend says her partner hit her today")
    assert d.cues.get("domestic-abuse")


def test_without_a_cue_a_far_message_starts_no_guide():
    """"that boxset nearly gave me a heart attack": the classifier may lean to a route, but
    no example of it is near, so no guide starts (a cue would still count)."""
    strict = RiskRouter(FakeEmbedder(), settings=RouterSettings(margin=0.0, near_floor=1.01))
    strict.warm_up()
    assert strict.run("that boxset was so tense I nearly had a heart attack").route == NONE
    assert strict.run("res says her partner hit her").flow == "domestic-abuse"  # its cue counts


def test_a_long_call_note_is_routed_clause_by_clause(monkeypatch):
    from knowledge_base.risk import RiskDecision

    note = ("long call about her council tax reduction form, we went through income and outgoings and the "
            "shortfall on the rent; then she said her partner hit her last night; anyway she just wants the "
            "form sent out and a call back next week about the payment plan")

    def decide(text, q=None):  # a stand-in classifier: only the clause with "hit" is a risk
        scores = {"domestic-abuse": 0.9 if "hit" in text and q is not None else 0.1, NONE: 0.5}
        route = "domestic-abuse" if scores["domestic-abuse"] > 0.5 else NONE
        return RiskDecision(route, route if route != NONE else None, scores=scores,
                            segment=text if q is not None else None)

    seen = []
    for min_words, expect in ((10_000, NONE), (25, "domestic-abuse")):
        r = RiskRouter(FakeEmbedder(), settings=RouterSettings(segment_min_words=min_words))
        r.warm_up()
        monkeypatch.setattr(r, "_decide", lambda text, q=None, reassured=False, tp=None: seen.append(text) or decide(text, q))
        d = r.run(note)
        assert d.route == expect
    assert d.segment == "then she said her partner hit her last night"
    assert d.reason().startswith("in 'then she said her partner hit her last night': ")
    assert len(seen) > 3  # the whole note, then each clause


def test_example_vectors_are_cached_between_starts(tmp_path):
    class Counting(FakeEmbedder):
        calls = 0

        def run(self, texts):
            Counting.calls += len(texts)
            return super().run(texts)

    cache = tmp_path / "risk.npz"
    first = RiskRouter(Counting(), vector_cache=cache)
    first.warm_up()
    encoded = Counting.calls
    assert cache.exists() and encoded > 100
    again = RiskRouter(Counting(), vector_cache=cache)
    again.warm_up()
    assert Counting.calls == encoded  # nothing encoded twice
    assert (again.vectors == first.vectors).all()
    cache.write_bytes(b"not a cache")  # a damaged cache is rebuilt, never fatal
    RiskRouter(Counting(), vector_cache=cache).warm_up()
    assert Counting.calls == 2 * encoded


def test_only_the_first_examples_of_each_everyday_need_vote_no_guide():
    """Search reads every example of the needs map; the router's "no guide" class takes only
    the first EVERYDAY_PER_NEED of each everyday need (more drowned disclosures typed inside
    an everyday request), and none of a safeguarding need or a need with a risk route."""
    from types import SimpleNamespace as NS

    from knowledge_base.risk.router import EVERYDAY_PER_NEED, everyday_examples

    needs = [NS(area="food", risk_route=None, examples=[f"food {i}" for i in range(7)]),
             NS(area="safeguarding", risk_route=None, examples=["s 1"]),
             NS(area="housing", risk_route="domestic-abuse", examples=["h 1"])]
    assert everyday_examples([], needs) == [f"food {i}" for i in range(EVERYDAY_PER_NEED)]


def _fixed_scores(router, monkeypatch, lead: float | None = 0.0, none: float = 0.3, everyday: float = 0.0,
                  routes: dict[str, float] | None = None):
    """The examples give the adult route ``lead`` over "none" (``None``: no support at all), of
    which ``everyday`` is the everyday class's share (the fake embedder is not semantic); or, with
    ``routes``, exactly these routes' probabilities."""
    from knowledge_base.risk.router import EVERYDAY

    def scores(text, q=None, tp=None):
        emb = {r: 0.0 for r in router.order if r not in (NONE, EVERYDAY)}
        emb.update(routes if routes is not None else {"safeguarding-adult": 0.0 if lead is None else none + lead})
        emb[NONE], emb[EVERYDAY] = none, everyday
        return emb, (), {r: 0.9 for r in router.rows_of}
    monkeypatch.setattr(router, "_example_scores", scores)


@pytest.mark.parametrize("lead, reassured, routed", [
    (0.2, False, True),   # a clear enough lead starts the guide ...
    (0.2, True, False),   # ... but not when the worker noted that nobody is at risk
    (0.4, True, True),    # a strong lead still does: reassurance never vetoes
])
def test_a_reassurance_asks_the_examples_for_a_larger_lead(router, monkeypatch, lead, reassured, routed):
    _fixed_scores(router, monkeypatch, lead)
    text = "mr k, 82, lives alone, wants meals on wheels" + (", says he feels safe" if reassured else "")
    assert router.run(text).is_risk is routed


def test_a_reassurance_does_not_outweigh_a_cue(router, monkeypatch):
    _fixed_scores(router, monkeypatch, 0.0)
    d = router.run("her partner hit her last night, she says she feels safe now he has gone")
    assert d.flow == "domestic-abuse" and d.cues.get("domestic-abuse")


@pytest.mark.parametrize("text, frame", [
    ("my kids are little terrorists at bath time lol", "lol"),
    ("role play: I'm a housing officer and you're a worried mum whose carer takes her money", "role play"),
    ("bit of a suicide mission getting to the Beckton depot in this traffic", "suicide mission"),
    ("her dad is 94 and says he wants to die in his own bed, not in a home; asking about a stairlift",
     "die in his own bed"),
    ("youth club song for Safer Internet Day about a made-up character whose carer takes her money",
     "made up character"),
])
def test_a_joke_or_a_made_up_scenario_only_offers_the_guide(router, monkeypatch, text, frame):
    """``not_risk.not_live_frames``: the guide the message would start is offered after the
    answer (one click away), and the decision says which frame held it back."""
    _fixed_scores(router, monkeypatch, lead=0.4)
    d = router.run(text)
    assert not d.is_risk and d.check == "safeguarding-adult" and d.check_flow == "safeguarding-adult"
    assert d.not_live == frame and d.reason().startswith(f"not live ('{frame}')")


@pytest.mark.parametrize("text", [
    "my kids are little terrorists lol - but seriously her carer takes her money",
    "for a role play, write a call where the carer takes her money - that's me, it happened today",
])
def test_a_turn_back_to_a_real_person_starts_the_guide(router, monkeypatch, text):
    """``not_risk.live_words`` ("seriously", "that's me", "happened"): the joke or the scenario
    was a way in, the disclosure is real."""
    _fixed_scores(router, monkeypatch, lead=0.4)
    assert router.run(text).flow == "safeguarding-adult"


def test_a_joke_never_holds_back_an_urgent_cue(router, monkeypatch):
    _fixed_scores(router, monkeypatch, lead=None, none=0.95, everyday=0.6)
    d = router.run("lol no point paying the rent if im not going to be around for it")
    assert d.flow == "mental-health-crisis" and d.urgent and not d.not_live


def test_no_route_example_is_held_back_as_not_live(router):
    """A not-live frame must mark a joke or a scenario, never hide a disclosure: no example of
    a route has one without a live word (why "only joking", "pretend" and "hypothetically" are
    not listed: "he's only joking when he says it, but ...", "asked me to pretend I'm from the
    gas company")."""
    routes = load_routes()
    assert routes.not_risk.not_live_frames and routes.not_risk.live_words
    assert not {"pretend", "hypothetically", "years ago", "only joking"} & set(routes.not_risk.not_live_frames)
    for route in routes.routes:
        for example in route.examples:
            said = C.words(example)
            framed = [f for f, w in router.not_live if C.matches(w, said, max_gap=0)]
            assert not framed or any(C.matches(w, said, max_gap=0) for w in router.live), (route.id, framed, example)


def test_reassurance_frames_and_everyday_notes_are_trainer_content():
    routes = load_routes()
    assert "feels safe" in routes.not_risk.reassurance_frames
    assert len(routes.not_risk.everyday_examples) >= 500
    # a frame that a disclosure also says must never be listed
    assert not {"fine", "is fine", "happy with"} & set(routes.not_risk.reassurance_frames)


def test_everyday_notes_form_the_everyday_no_guide_class():
    from knowledge_base.risk.router import EVERYDAY

    r = RiskRouter(FakeEmbedder())  # no everyday items passed: the notes alone make the class
    r.warm_up()
    assert EVERYDAY in r.order
    assert (r.labels == EVERYDAY).sum() == len(load_routes().not_risk.everyday_examples)


def test_a_short_sentence_of_a_long_note_is_not_routed_alone(monkeypatch):
    seen = []
    r = RiskRouter(FakeEmbedder(), settings=RouterSettings(segment_min_words=10))
    r.warm_up()
    monkeypatch.setattr(r, "_decide", lambda text, q=None, reassured=False, tp=None: seen.append(text) or
                        r.__class__._decide(r, text, q, reassured))
    r.run("Mrs O rang about the council tax change after her husband died last week. Her sister is with her. "
          "She would like the bereavement support payment form sent out.")
    assert "Her sister is with her" not in seen  # 5 words: below clause_min_words


def test_an_urgent_cue_opens_the_crisis_guide_whatever_the_examples_say(router, monkeypatch):
    _fixed_scores(router, monkeypatch, lead=None, none=0.95, everyday=0.6)  # read as an everyday need about the rent
    d = router.run("no point paying the rent if im not going to be around for it")
    assert d.flow == "mental-health-crisis" and "not going to be around" in d.cues["mental-health-crisis"]
    # a question about the topic is still a question
    assert not router.run("what do I say if a caller says they dont want to be here anymore").is_risk


@pytest.mark.parametrize("said, cue", [
    ("no one will miss me tbh. got a rope in the shed. just tell the housing officer the keys are under the mat",
     "no one will miss me"),
    ("nobody would miss me anyway, can you close my account", "nobody would miss me"),
    ("he bought a rope yesterday and won't say what for", "bought a rope"),
    # blind37/38 (2026-12-06): a webchat typo, letters to the children
    ("no point paying the fine im ending it tonite, got the stuff ready", "end it tonite"),
    ("asked about the arrangement, then said he's written letters to his kids", "written letters to his kids"),
])
def test_warning_signs_of_suicide_open_the_crisis_guide_whatever_the_examples_say(router, monkeypatch, said, cue):
    """Feeling a burden and the means at hand are urgent cues (dev sets, 2026-12-06): the
    examples read "no one will miss me tbh. got a rope in the shed" as a housing question."""
    _fixed_scores(router, monkeypatch, lead=None, none=0.95, everyday=0.3)
    d = router.run(said)
    assert d.flow == "mental-health-crisis" and d.urgent and cue in d.cues["mental-health-crisis"]


@pytest.mark.parametrize("said, cue", [
    ("interpreter: she said in Polish if they take my wages I will hang myself", "hang myself"),
    ("dad left a goodbye note on the table, not answering his phone", "goodbye note"),
])
def test_stated_suicide_intent_and_a_goodbye_note_are_crisis_cues(router, monkeypatch, said, cue):
    """blind33/34's misses (2026-12-06): "I will hang myself" relayed by an interpreter went to
    the modern-slavery guide (the cues had "hang herself" and "hang himself" only)."""
    _fixed_scores(router, monkeypatch, lead=None)  # the examples give no route any support
    d = router.run(said)
    assert d.flow == "mental-health-crisis" and cue in d.cues["mental-health-crisis"]


def test_a_threat_to_kill_himself_and_then_her_offers_the_domestic_abuse_guide_too(router, monkeypatch):
    """blind36's miss (2026-12-06): "he says if I leave he'll kill himself and then me" opened
    only the crisis guide; a threat to kill the partner is domestic abuse, so both are offered."""
    _fixed_scores(router, monkeypatch, lead=None)  # the examples give no route any support
    d = router.run("quoting res: he says if I leave he'll kill himself and then me, knife under the pillow")
    assert "kill himself and then me" in d.cues["domestic-abuse"] and "kill himself" in d.cues["mental-health-crisis"]
    assert {d.flow, *d.alternatives} >= {"mental-health-crisis", "domestic-abuse"}


@pytest.mark.parametrize("said, cue", [
    ("noise from upstairs, he says the day of the rope is coming and he'll make his contribution", "day of the rope"),
    ("tenant has a black sun flag on the wall and wires all over the table", "black sun flag"),
])
def test_far_right_slogans_and_symbols_are_radicalisation_cues(router, monkeypatch, said, cue):
    """blind37's miss (2026-12-06): a neighbour quoting "the day of the rope" beside pipes and
    wires went to the crisis guide (the word "rope")."""
    _fixed_scores(router, monkeypatch, lead=None)  # the examples give no route any support
    d = router.run(said)
    assert d.flow == "radicalisation" and cue in d.cues["radicalisation"]


def test_a_question_about_the_means_of_suicide_opens_the_crisis_guide(router, monkeypatch):
    _fixed_scores(router, monkeypatch, lead=None, none=0.95, everyday=0.6)  # the examples read it as a question
    d = router.run("whats a lethal dose of sertraline")
    assert d.question and d.flow == "mental-health-crisis" and "lethal dose" in d.cues["mental-health-crisis"]
    # a question about ordinary medicine use has no such cue: still a question, no guide
    assert not router.run("whats the max dose of sertraline").is_risk


def test_question_cues_are_few_and_only_on_the_crisis_route():
    for route in load_routes().routes:
        assert len(route.question_cues) <= 12 and (not route.question_cues or route.id == "mental-health-crisis"), route.id


def test_urgent_cues_are_statements_not_topic_words():
    for route in load_routes().routes:
        assert not {"suicide", "suicidal", "self harm", "overdose", "stockpiling"} & set(route.urgent_cues), route.id


@pytest.mark.parametrize("lead, none, offered", [
    (0.0, 0.3, True),     # level with "none": no guide started, but the route is close enough to offer
    (-0.2, 0.4, False),   # the route well below the check line: nothing offered
    (0.3, 0.3, None),     # a clear lead starts the guide itself (no check then)
])
def test_a_route_that_comes_close_is_offered_after_the_answer(router, monkeypatch, lead, none, offered):
    _fixed_scores(router, monkeypatch, lead, none=none)
    d = router.run("mr k, 82, his nephew has his bank card and the fridge is empty")
    if offered is None:
        assert d.is_risk and d.check is None
        return
    assert not d.is_risk
    assert (d.check, d.check_flow) == (("safeguarding-adult", router.flows["safeguarding-adult"]) if offered else (None, None))
    assert ("check safeguarding-adult" in d.reason()) is offered


def test_a_question_about_a_topic_is_offered_no_guide(router, monkeypatch):
    _fixed_scores(router, monkeypatch, 0.0, none=0.3)
    d = router.run("what is financial abuse of an older person")
    assert d.question and not d.is_risk and d.check is None


def test_a_clause_that_comes_close_offers_its_guide(monkeypatch):
    """A long note: the whole reads as everyday, one clause comes close to a route."""
    from knowledge_base.risk.router import EVERYDAY

    r = RiskRouter(FakeEmbedder(), settings=RouterSettings(segment_min_words=10, check_floor=0.25))
    r.warm_up()

    def scores(text, q=None, tp=None):
        emb = {x: 0.0 for x in r.order}
        emb[NONE] = emb[EVERYDAY] = 0.5
        if "nephew" in text and "council" not in text:
            emb["safeguarding-adult"], emb[NONE], emb[EVERYDAY] = 0.3, 0.4, 0.1
        return emb, (), {x: 0.9 for x in r.rows_of}
    monkeypatch.setattr(r, "_example_scores", scores)
    d = r.run("Called about his council tax bill and the single person discount form. "
              "His nephew keeps his bank card and gives him twenty pounds a week.")
    assert not d.is_risk and d.check == "safeguarding-adult"


def test_no_guide_is_offered_for_a_message_that_reads_as_an_everyday_need(router, monkeypatch):
    """A route close enough to offer, but the everyday "no guide" class is strong: nothing offered."""
    _fixed_scores(router, monkeypatch, 0.0, none=0.45, everyday=0.4)
    d = router.run("she's been evicted and has nowhere to go tonight")
    assert not d.is_risk and d.check is None
    _fixed_scores(router, monkeypatch, 0.0, none=0.45, everyday=0.1)
    assert router.run("she's been evicted and has nowhere to go tonight").check == "safeguarding-adult"


@pytest.mark.parametrize("everyday, cue, started", [
    (0.02, False, True),   # the clause reads as a disclosure: its guide starts
    (0.10, False, False),  # its route beats "none" (0.45 v 0.30), not "none" and three times the everyday evidence
    (0.10, True, True),    # a cue in the clause: the everyday evidence counts as before
])
def test_a_clause_must_beat_its_everyday_evidence(router, monkeypatch, everyday, cue, started):
    """One sentence of a long note, read out of its context ("tearful, but her daughters are
    with her"), starts a guide only when it reads as a disclosure against its own everyday
    evidence (``segment_everyday_weight``), unless a cue of the route stands in it."""
    from knowledge_base.risk.router import EVERYDAY

    r = router
    # the whole note's own "no guide" is high here, so ``segment_none_veto`` is off: this tests the clause alone
    monkeypatch.setattr(r, "settings", RouterSettings(segment_min_words=10, segment_everyday_weight=3.0,
                                                      segment_none_veto=1.0))
    clause = "she said her partner hit her again last night" if cue else "she said he has been very quiet with her lately"

    def scores(text, q=None, tp=None):
        emb = {x: 0.0 for x in r.order}
        emb[NONE], emb[EVERYDAY] = 0.9, 0.8
        if text.rstrip(".") == clause:
            emb["domestic-abuse"], emb[NONE], emb[EVERYDAY] = 0.45, 0.30, everyday
        return emb, (), {x: 0.9 for x in r.rows_of}
    monkeypatch.setattr(r, "_example_scores", scores)
    d = r.run(f"Called about the council tax bill and the single person discount form. {clause}.")
    assert d.is_risk is started
    if started:
        assert d.route == "domestic-abuse" and d.segment.rstrip(".") == clause


@pytest.mark.parametrize("closest, whole, started", [
    (0.60, False, True),   # the clause is close to a route example: its guide starts
    (0.45, False, False),  # a clause only loosely like any example ("the kids don't know how tight things are") does not
    (0.45, True, True),    # ... while a whole message keeps the lower ``near_floor``
])
def test_a_clause_must_be_close_to_an_example_of_its_route(router, monkeypatch, closest, whole, started):
    """``segment_near_floor``: a sentence read out of its call note, with no cue, starts a guide
    only when it is close to one of the route's own examples."""
    r = router
    monkeypatch.setattr(r, "settings", RouterSettings(margin=0.0, segment_min_words=10, segment_near_floor=0.5))
    clause = "she said he has been very quiet with her lately"

    from knowledge_base.risk.router import EVERYDAY

    def scores(text, q=None, tp=None):
        emb = {x: 0.0 for x in r.order}
        emb[NONE], emb[EVERYDAY] = 0.6, 0.5  # the note reads as an everyday need (below ``segment_none_veto``)
        if text.rstrip(".") == clause or whole:
            emb["domestic-abuse"], emb[NONE], emb[EVERYDAY] = 0.6, 0.2, 0.0
        return emb, (), {x: closest for x in r.rows_of}
    monkeypatch.setattr(r, "_example_scores", scores)
    text = clause if whole else f"Called about the council tax bill and the single person discount form. {clause}."
    assert r.run(text).is_risk is started


@pytest.mark.parametrize("said, found", [
    ("res told me she self-harmed as a teenager, over 20 years ago, asking about the form", False),
    ("she was trafficked here in the 90s and is a british citizen now", False),
    ("she is self harming again, they split two years ago", True),  # the date stands in another clause
])
def test_a_cue_in_a_clause_dated_long_past_does_not_count(router, said, found):
    """``not_risk.past_frames``: a cue in the same clause as "years ago", "as a teenager" ... is a
    past event mentioned in passing; a cue in another clause of the message still counts."""
    cue = "self harm" if "harm" in said else "trafficked"
    masked = router._without_past(C.said_words(said))
    assert C.matches(C.words(cue), C.said_words(said)) is True
    assert C.matches(C.words(cue), masked) is found


def test_no_route_example_loses_its_cue_to_a_past_frame(router):
    """A past frame must date a settled event, never hide a current disclosure: every route
    example that matches one of its route's cues still matches it with ``past_frames`` in force."""
    routes = load_routes()
    assert routes.not_risk.past_frames and not {"last year", "back in the"} & set(routes.not_risk.past_frames)
    for route in routes.routes:
        for cue in route.cues:
            w = C.words(cue)
            for example in route.examples:
                said = C.said_words(example)
                if C.matches(w, said):
                    assert C.matches(w, router._without_past(said)), (route.id, cue, example)


def test_an_older_parent_harmed_by_an_adult_child_is_offered_both_guides(router, monkeypatch):
    """Abuse by a relative aged 16 or over is domestic abuse (Domestic Abuse Act 2021, ss.1-2) and,
    where the parent has care and support needs, adult safeguarding: the same cue words stand in
    both routes, so the first reply offers both guides."""
    _fixed_scores(router, monkeypatch, lead=None, none=0.2)  # no route supported by the examples: the cues decide
    d = router.run("tnt is 78, her son pushed her down the stairs and her son takes her pension every week")
    assert {d.flow, *d.alternatives} >= {"domestic-abuse", "safeguarding-adult"}
    assert d.cues.get("domestic-abuse") and d.cues.get("safeguarding-adult")


def test_a_note_with_one_long_clause_is_routed_by_that_clause(monkeypatch):
    """"Rang re council tax reduction. Pt mentioned she cut her arms again last night, ...": the short
    opening is no clause of its own, so the note has one clause, yet that clause is not the whole
    note: it is routed alone as well, without the everyday opening that held the whole note back."""
    from knowledge_base.risk import RiskDecision

    note = ("Rang re council tax reduction. Pt mentioned she cut her arms again last night, deeper than "
            "usual, hasnt had it looked at and says she deserves it")

    def decide(text, q=None):  # a stand-in classifier: only a text without the council tax opening is a risk
        risk = "council tax" not in text
        return RiskDecision("mental-health-crisis" if risk else NONE, "mental-health-crisis" if risk else None,
                            scores={"mental-health-crisis": 0.6 if risk else 0.3, NONE: 0.4},
                            segment=text if q is not None else None)

    r = RiskRouter(FakeEmbedder(), settings=RouterSettings(segment_min_words=25))
    r.warm_up()
    monkeypatch.setattr(r, "_decide", lambda text, q=None, reassured=False, tp=None: decide(text, q))
    d = r.run(note)
    assert d.route == "mental-health-crisis" and d.segment.startswith("Pt mentioned she cut her arms")


def test_a_clause_is_reassured_only_by_what_the_note_says_from_it_on(monkeypatch):
    """"mum says all fine, rent up to date ... then the eldest came out with a burn on her hand": the
    reassurance before a clause does not soften it; one after it ("he's well cared for") still does."""
    from knowledge_base.risk import RiskDecision

    r = RiskRouter(FakeEmbedder(), settings=RouterSettings(segment_min_words=12))
    r.warm_up()
    seen = {}

    def decide(text, q=None, reassured=False, tp=None):
        seen[text] = reassured
        return RiskDecision(NONE, None, segment=text if q is not None else None)

    monkeypatch.setattr(r, "_decide", decide)
    r.run("tenancy check at the maisonette, mum says all fine and the rent is up to date; "
          "then the eldest girl came out with a big burn on her hand from the hob")
    assert seen["then the eldest girl came out with a big burn on her hand from the hob"] is False
    seen.clear()
    r.run("her little boy hit another child at the nursery over a scooter this week; "
          "he is a lovely boy and well cared for at home by his mum")
    assert seen["her little boy hit another child at the nursery over a scooter this week"] is True
    assert seen["he is a lovely boy and well cared for at home by his mum"] is True


def test_a_ligature_round_the_neck_is_a_crisis_cue(router, monkeypatch):
    """blind39's miss (2026-12-06): a hostel night log found a new resident with a ligature round
    his neck; the note's everyday handover held it back."""
    _fixed_scores(router, monkeypatch, lead=None)  # the examples give no route any support
    d = router.run("found him at 03:15 with a ligature round his neck, cut it off")
    assert d.flow == "mental-health-crisis" and "ligature round" in d.cues["mental-health-crisis"]


@pytest.mark.parametrize("said, found", [
    ("he does runs for older boys and comes back with cash", True),
    ("his mum thinks he's doing drug runs to Kent", True),
    ("the neighbourhood team are doing shopping runs for the top floors", False),
    ("she does the school runs for her sister in the mornings", False),
])
def test_runs_for_older_people_are_exploitation_cues_but_a_school_run_is_not(router, said, found):
    """blind39 (2026-12-06): "do runs for" matched "doing shopping runs for the top floors" (two words
    may stand between a cue's words)."""
    assert bool(router._matched(router.cues, C.said_words(said)).get("child-exploitation")) is found


def test_actually_is_a_live_word_but_actual_is_not():
    """blind40 (2026-12-06): "she'll 'strangle' the next driver lol. What's the actual procedure"
    read "actual" as the live word "actually" and started the domestic-abuse guide."""
    assert C.words("actually") != C.words("actual")
    assert C.words("grooms") == C.words("groom")


@pytest.mark.parametrize("said, route", [
    ("says voices are telling him staff are poisoning the food and he has to get them first", "mental-health-crisis"),
    ("older brother said a gang makes him keep a stash under his bed", "child-exploitation"),
    ("mum is bedbound and says the agency carers haven't come since July", "safeguarding-adult"),
    ("her carers stopped coming after the agency closed", "safeguarding-adult"),
])
def test_commanding_voices_a_gang_making_a_child_and_care_that_stopped_are_cues(router, said, route):
    """blind41/42's misses (2026-12-06, read after their first measurement): each went to a
    neighbouring guide or none on the examples alone."""
    assert route in router._matched(router.cues, C.said_words(said))


@pytest.mark.parametrize("said, route", [
    ("i no want to live anymore, too much pain since my husband die", "mental-health-crisis"),
    ("my dad wont come out of his room and told me he's already said his goodbyes", "mental-health-crisis"),
    ("he said he'd burn the flat down with me in it if i ever left", "domestic-abuse"),
    ("i have to ask him permission to buy sanitary pads", "domestic-abuse"),
    ("my little brother is 12 and the olders on the block use him as a lookout", "child-exploitation"),
    ("my sister who cares for me takes all my pip and i never see it", "safeguarding-adult"),
    ("my nephew's boxing club talk about a white homeland", "radicalisation"),
    ("the crisis team closed him last year but he just texted me saying goodbye", "mental-health-crisis"),
    ("resident says he has written letters to his children and tomorrow he will go to the bridge",
     "mental-health-crisis"),
    ("i dont plan to be around after the end of the month so i'm sorting my affairs", "mental-health-crisis"),
    ("said he doesnt trust himself on his own tonight", "mental-health-crisis"),
    ("MARAC closed her case but he's broken the injunction 3 times this week", "domestic-abuse"),
    ("can i get help with a bank account, my gangmaster has my card and pin", "modern-slavery"),
    ("asked a worker where he could get hydrogen peroxide and acetone in bulk", "radicalisation"),
])
def test_first_person_web_chat_disclosures_have_cues(router, said, route):
    """chat-firstperson's misses (2026-12-06, read after five measurements): a resident's own words
    in web chat, often after an everyday request, that the examples alone left without a guide."""
    assert route in router._matched(router.cues, C.said_words(said))


def test_a_lookout_cue_is_not_look_out_for():
    """"as a lookout" (a child used by older boys) does not match "look out for the parcel"."""
    assert not C.matches(C.said_words("as a lookout"), C.said_words("please look out for the parcel, I'm at work"))


@pytest.mark.parametrize("best, second, offered", [
    ("safeguarding-adult", "domestic-abuse", True),     # an adult with care needs abused by her husband: both apply
    ("domestic-abuse", "safeguarding-adult", True),      # named once, on domestic-abuse: both ways
    ("safeguarding-child", "child-exploitation", True),  # harm from outside the family is child protection too
    ("child-exploitation", "safeguarding-child", True),
    ("safeguarding-child", "domestic-abuse", True),      # a child living with domestic abuse is its victim too
    ("safeguarding-adult", "modern-slavery", True),      # forced labour of an adult with care needs: both apply
    ("safeguarding-adult", "mental-health-crisis", False),  # no overlap: the usual tie
    ("modern-slavery", "child-exploitation", False),
])
def test_an_overlapping_route_is_offered_beside_from_further_behind(router, monkeypatch, best, second, offered):
    """``overlaps`` in risk_routes.yml: guides the law applies together are offered together when the
    second is within ``overlap_tie`` of the first; any other second only within ``tie``."""
    import dataclasses

    monkeypatch.setattr(router, "settings", dataclasses.replace(router.settings, tie=0.15, overlap_tie=0.3))
    _fixed_scores(router, monkeypatch, none=0.05, routes={best: 0.6, second: 0.35})  # the second 0.25 behind
    d = router.run("she came to the desk this morning and told me about home")
    assert d.flow == best and (second in d.alternatives) is offered


def test_overlaps_must_name_another_route():
    from pydantic import ValidationError
    from knowledge_base.risk.schema import RiskRoutes

    routes = load_routes().model_dump()
    routes["routes"][0]["overlaps"] = ["no-such-route"]
    with pytest.raises(ValidationError, match="overlaps names no-such-route"):
        RiskRoutes.model_validate(routes)
