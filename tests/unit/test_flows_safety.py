"""Safety invariants, checked on EVERY path of EVERY shipped flow (all_paths)."""

from __future__ import annotations

import re

import pytest

from knowledge_base.flows import FLOWS_DIR, FlowEngine, Hop, all_paths

pytestmark = pytest.mark.unit

SAFEGUARDING_FLOWS = ("safeguarding-adult", "safeguarding-child", "domestic-abuse", "mental-health-crisis",
                      "child-exploitation", "modern-slavery", "radicalisation")

# Wording that would be immigration advice on a person's case (Immigration and Asylum
# Act 1999 s82/s84): eligibility statements and named applications, routes or forms.
FORBIDDEN_IMMIGRATION = [
    "you qualify", "you will qualify", "you don't qualify", "you do not qualify", "you are eligible",
    "you're eligible", "you are not eligible", "you're not eligible", "you are entitled to stay",
    "you should apply", "you need to apply", "you can apply for", "apply for a visa", "apply for leave",
    "fill in the form", "use form", "form flr", "flr(", "flr (", "set(o)", "set (o)", "set(m)",
    "change of conditions", "indefinite leave", "settlement scheme", "settled status", "pre-settled",
    "spouse visa", "partner visa", "appendix fm", "10-year route", "5-year route", "ten year route",
    "five year route", "private life route", "naturalisation", "your visa allows", "your status allows",
    "you can claim benefits", "you can't claim benefits", "you cannot claim benefits",
]
REGULATED_ADVISER_URLS = ("https://www.gov.uk/find-an-immigration-adviser", "https://www.sra.org.uk")

S21 = re.compile(r"section\s*21|\bs\.?\s?21\b|no[- ]fault", re.I)
S21_SAFE = ("abolished", "cannot", "can't", "no longer", "before 1 may 2026", "31 july 2026")
S21_FORBIDDEN = ("serve a section 21", "valid section 21", "section 21 notice is valid", "section 21 notice gives",
                 "accelerated possession", "2 months' notice under section 21", "section 21 still")

PHONE = re.compile(r"(?:\+44\s?|\b0)\d(?:[\s-]?\d){8,10}\b")


@pytest.fixture(scope="module")
def engine() -> FlowEngine:
    return FlowEngine.from_content()


def _paths(engine):
    for flow in engine.flows.values():
        for path in all_paths(flow):
            yield flow, path


def _statements(flow, path: list[Hop]) -> list[str]:
    """Everything the worker is told on a path (not the option labels, which describe
    the resident's situation)."""
    out = list(flow.critical)
    for hop in path:
        s = flow.step(hop.step_id)
        out += [s.text, *s.say_this]
        out += list(getattr(s, "do", [])) + list(getattr(s, "items", []))
        if s.kind == "escalate":
            out += [s.who, s.how]
        if s.kind == "end":
            out += [*s.record, *s.next_actions]
    return out


def _walk(engine, flow, path: list[Hop], junk: str | None = None):
    """Drive the engine along a path; returns every view seen and the final state."""
    turn = engine.start(flow.id)
    views = [turn.view]
    for k, hop in enumerate(path[:-1]):
        assert turn.state["step"] == hop.step_id
        if junk and k == 0:
            turn = engine.answer(turn.state, junk)   # unrecognised: re-asked, not stored
            views.append(turn.view)
        turn = engine.answer(turn.state, str(hop.choice + 1) if hop.choice is not None else "1")
        views.append(turn.view)
    assert turn.state["step"] == path[-1].step_id and turn.state["status"] == "done"
    return views, turn.state


def test_every_flow_has_paths(engine):
    counts = {f.id: len(all_paths(f)) for f in engine.flows.values()}
    assert set(counts) == {*SAFEGUARDING_FLOWS, "immigration-advice-boundaries", "eviction-homelessness"}
    assert all(n >= 5 for n in counts.values()), counts


def test_every_risk_choice_reaches_an_escalate_step(engine):
    checked = 0
    for flow, path in _paths(engine):
        for k, hop in enumerate(path):
            if hop.choice is not None and flow.step(hop.step_id).options[hop.choice].risk:
                later = [flow.step(h.step_id).kind for h in path[k + 1:]]
                assert "escalate" in later, (flow.id, [h.step_id for h in path])
                checked += 1
    assert checked > 100


def test_every_flow_has_risk_options_where_it_matters(engine):
    for fid in (*SAFEGUARDING_FLOWS, "eviction-homelessness", "immigration-advice-boundaries"):
        flow = engine.flows[fid]
        assert any(o.risk for s in flow.steps if s.kind == "question" for o in s.options), fid


@pytest.mark.parametrize("flow_id", SAFEGUARDING_FLOWS)
def test_safeguarding_paths_show_critical_rules_before_first_question(engine, flow_id):
    flow = engine.flows[flow_id]
    assert any("999" in c for c in flow.critical)
    assert any("secret" in c.lower() for c in flow.critical)
    n = 0
    for path in all_paths(flow):
        views, _ = _walk(engine, flow, path)
        first_q = next(v for v in views if v.kind == "question")
        seen_before = [v for v in views[: views.index(first_q) + 1] if v.critical]
        assert seen_before and seen_before[0].critical == list(flow.critical), [h.step_id for h in path]
        rendered = engine.render(first_q if first_q.critical else seen_before[0])
        assert rendered.index(flow.critical[0]) < rendered.index(first_q.text) or not first_q.critical
        n += 1
    assert n == len(all_paths(flow))


def test_immigration_paths_give_no_individual_advice_and_end_in_regulated_referral(engine):
    flow = engine.flows["immigration-advice-boundaries"]
    paths = all_paths(flow)
    assert len(paths) >= 10
    for path in paths:
        labels = [flow.step(h.step_id).options[h.choice].label for h in path if h.choice is not None]
        text = " ".join(_statements(flow, path) + labels).lower().replace("\u2019", "'")
        bad = [p for p in FORBIDDEN_IMMIGRATION if p in text]
        assert not bad, (bad, [h.step_id for h in path])
        end = flow.step(path[-1].step_id)
        assert end.kind == "end"
        assert any(c.value in REGULATED_ADVISER_URLS for c in end.contacts), end.id
        assert any("regulated" in a.lower() for a in end.next_actions)


def test_forbidden_phrase_check_would_catch_advice():
    sample = "From what you say you qualify, so use form FLR(M) and apply for leave."
    assert [p for p in FORBIDDEN_IMMIGRATION if p in sample.lower()]


def test_no_eviction_path_presents_section_21_as_a_current_route(engine):
    flow = engine.flows["eviction-homelessness"]
    s21_paths = 0
    for path in all_paths(flow):
        for line in _statements(flow, path):
            low = line.lower().replace("\u2019", "'")
            assert not [p for p in S21_FORBIDDEN if p in low], line
            for sentence in re.split(r"(?<=[.;!?])\s+", low):
                if S21.search(sentence):
                    assert any(w in sentence for w in S21_SAFE), sentence
        labels = [flow.step(h.step_id).options[h.choice].label for h in path if h.choice is not None]
        if any(S21.search(lab) for lab in labels):
            s21_paths += 1
            assert any("abolished" in flow.step(h.step_id).text for h in path), [h.step_id for h in path]
    assert s21_paths > 0


def test_eviction_paths_start_with_safety_and_ask_landlord_type_first(engine):
    flow = engine.flows["eviction-homelessness"]
    for path in all_paths(flow):
        ids = [h.step_id for h in path]
        assert ids[0] == "danger"
        notice_steps = {"private-what", "social-what", "ground", "s21-abolished", "lodger", "family"}
        first_notice = next((i for i, s in enumerate(ids) if s in notice_steps), None)
        if first_notice is not None:
            assert "landlord" in ids[:first_notice], ids


def test_every_end_step_has_next_actions_and_contacts(engine):
    for flow in engine.flows.values():
        for s in flow.steps:
            if s.kind == "end":
                assert s.next_actions and s.contacts, (flow.id, s.id)


def test_summary_has_no_worker_text_and_no_resident_phone_numbers(engine):
    junk = "Mrs Jane Doe, 12 Acacia Road E8, mob 07700 900123, DOB 01/02/1980"
    n, texts = 0, {}
    for flow, path in _paths(engine):
        _, state = _walk(engine, flow, path, junk=junk)
        text = engine.summary(state)
        assert "Acacia" not in text and "Jane" not in text and "07700" not in text and "1980" not in text
        flow_text = texts.setdefault(flow.id, (FLOWS_DIR / f"{flow.id}.yml").read_text(encoding="utf-8"))
        for number in PHONE.findall(text):
            assert number in flow_text, (flow.id, number)   # only the flow's own organisation numbers
        n += 1
    assert n > 300
