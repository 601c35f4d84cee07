"""Refresher schema, validation (file:line), shipped modules and the quick-check engine."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge_base import refreshers as R

pytestmark = pytest.mark.unit

SHIPPED = R.REFRESHERS_DIR
REQUIRED = {"core-conversations", "safeguarding-basics", "immigration-advice-boundaries", "eviction-homelessness",
            "making-a-good-referral", "digital-inclusion"}


@pytest.fixture(scope="module")
def shipped():
    modules, problems = R.validate_refreshers(SHIPPED)
    return modules, problems


@pytest.fixture(scope="module")
def engine():
    return R.RefresherEngine.from_content(SHIPPED)


def test_shipped_modules_are_valid(shipped):
    modules, problems = shipped
    assert [str(p) for p in problems if p.level == "error"] == []
    assert REQUIRED <= set(modules)


def test_every_module_has_three_questions_with_feedback_for_every_option(shipped):
    modules, _ = shipped
    for m in modules.values():
        assert len(m.quick_check) == 3, m.id
        for q in m.quick_check:
            assert sum(o.correct for o in q.options) == 1, (m.id, q.question)
            assert all(len(o.feedback) >= 3 for o in q.options), (m.id, q.question)


def test_legal_modules_have_primary_sources(shipped):
    modules, _ = shipped
    for mid in ("safeguarding-basics", "immigration-advice-boundaries", "eviction-homelessness", "making-a-good-referral"):
        assert modules[mid].legal and any(s.primary for s in modules[mid].sources), mid


def _copy_kb(tmp_path: Path) -> Path:
    """A content folder with the shipped items and refreshers (flows left out)."""
    root = tmp_path / "content"
    src = SHIPPED.parent
    for sub in ("services", "guidance", "thesaurus", "refreshers"):
        shutil.copytree(src / sub, root / sub)
    return root


def test_schema_errors_reported_with_file_and_line(tmp_path):
    root = _copy_kb(tmp_path)
    path = root / "refreshers" / "digital-inclusion.yml"
    lines = path.read_text().splitlines()
    data = yaml.safe_load(path.read_text())
    # 1) unknown field, 2) second correct answer, 3) unknown related item id
    lines.insert(2, "colour: blue")
    text = "\n".join(lines) + "\n"
    text = text.replace("      - text: \"Nothing - broadband isn't an essential.\"\n",
                        "      - text: \"Nothing - broadband isn't an essential.\"\n        correct: true\n")
    text = text.replace("  - universal-credit-helpline\n", "  - no-such-item\n")
    path.write_text(text)
    modules, problems = R.validate_refreshers(root)
    assert "digital-inclusion" not in modules
    msgs = {(Path(p.file).name, p.line): p.message for p in problems if p.level == "error"}
    new_lines = text.splitlines()
    assert msgs[("digital-inclusion.yml", 3)].startswith("colour: Extra inputs are not permitted")
    unknown_line = new_lines.index("  - no-such-item") + 1
    assert "unknown knowledge-base item id 'no-such-item'" in msgs[("digital-inclusion.yml", unknown_line)]
    q2_line = next(i for i, ln in enumerate(new_lines, 1) if ln.startswith("  - question: A resident on Universal Credit"))
    assert "exactly one option must have correct: true (found 2)" in msgs[("digital-inclusion.yml", q2_line)]
    assert len(data["quick_check"]) == 3
    # every problem names the file and a line
    assert all(p.file.endswith(".yml") and p.line >= 1 for p in problems)


def test_wrong_question_count_and_missing_feedback(tmp_path):
    root = _copy_kb(tmp_path)
    path = root / "refreshers" / "core-conversations.yml"
    data = yaml.safe_load(path.read_text())
    del data["quick_check"][0]["options"][1]["feedback"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    _, problems = R.validate_refreshers(root)
    assert "quick_check.0.options.1.feedback: Field required" in " | ".join(p.message for p in problems)
    data = yaml.safe_load((SHIPPED / "core-conversations.yml").read_text())
    data["quick_check"] = data["quick_check"][:2]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    _, problems = R.validate_refreshers(root)
    assert "quick_check: List should have at least 3 items" in " | ".join(p.message for p in problems)


def test_unknown_flow_and_dates(tmp_path):
    root = _copy_kb(tmp_path)
    path = root / "refreshers" / "safeguarding-basics.yml"
    text = path.read_text().replace("related_flows: [safeguarding-adult, safeguarding-child, domestic-abuse]",
                                    "related_flows: [safeguarding-adult, no-such-flow]")
    text = re.sub(r"(?m)^review_by: .*$", "review_by: 2026-01-01", text)
    path.write_text(text)
    modules, problems = R.validate_refreshers(root, flow_ids={"safeguarding-adult"})
    msgs = [p.message for p in problems]
    assert any("unknown flow id 'no-such-flow'" in m for m in msgs)
    assert any("review_by must be after last_reviewed" in m for m in msgs)
    assert "safeguarding-basics" not in modules


def test_card_by_id_topic_and_tag(engine):
    card = engine.card("safeguarding-basics")
    assert card.title and len(card.key_points) >= 2 and card.questions == 3 and card.minutes == 2
    assert engine.card("Active listening").id == "core-conversations"
    assert engine.card("section 21").id == "eviction-homelessness"
    assert engine.card("IAA").id == "immigration-advice-boundaries"
    json.dumps(card.model_dump(mode="json"))
    assert "Key points:" in engine.render_card(card)
    with pytest.raises(R.UnknownRefresher):
        engine.card("quantum chromodynamics")


def test_related_refresher_offered_once(engine):
    card = engine.related("duty-to-refer-homelessness-s213b")
    assert card is not None and card.id == "making-a-good-referral"
    assert engine.related("eviction-homelessness").id == "eviction-homelessness"  # the flow id
    assert engine.related("eviction-homelessness", offered=["eviction-homelessness"]).id == "making-a-good-referral"
    assert engine.related("no-such-item") is None


def _correct(engine, mid, n):
    q = engine.modules[mid].quick_check[n]
    return str(next(i for i, o in enumerate(q.options) if o.correct) + 1)


def _wrong(engine, mid, n):
    q = engine.modules[mid].quick_check[n]
    return str(next(i for i, o in enumerate(q.options) if not o.correct) + 1)


def test_quick_check_scoring_and_feedback(engine):
    mid = "safeguarding-basics"
    turn = engine.start(mid)
    assert turn.view.status == "question" and turn.view.number == 1 and turn.view.of == 3
    assert turn.view.feedback is None and len(turn.view.options) >= 2
    turn = engine.answer(turn.state, _correct(engine, mid, 0))
    assert turn.view.feedback.correct and turn.view.feedback.verdict == "Correct."
    assert turn.view.number == 2 and turn.view.score == 1
    turn = engine.answer(turn.state, _wrong(engine, mid, 1))
    fb = turn.view.feedback
    assert not fb.correct and fb.verdict == "Not quite." and fb.correct_answer
    chosen = engine.modules[mid].quick_check[1].options[int(_wrong(engine, mid, 1)) - 1]
    assert fb.text == chosen.feedback
    # an answer by letter
    letter = "abcde"[int(_correct(engine, mid, 2)) - 1]
    turn = engine.answer(turn.state, letter.upper())
    assert turn.view.status == "done" and turn.view.score == 2
    assert turn.view.result.startswith("You got 2 out of 3.")
    again = engine.answer(turn.state, "1")  # answering after the end changes nothing
    assert again.state == turn.state and again.view.status == "done"


def test_quick_check_not_understood_keeps_question(engine):
    turn = engine.start("digital-inclusion")
    turn2 = engine.answer(turn.state, "banana")
    assert turn2.state == turn.state and turn2.view.not_understood and turn2.view.number == 1
    turn3 = engine.answer(turn.state, "9")
    assert turn3.view.not_understood


def test_quick_check_answer_by_option_text(engine):
    mid = "digital-inclusion"
    q = engine.modules[mid].quick_check[0]
    right = next(o for o in q.options if o.correct)
    turn = engine.answer(engine.start(mid).state, right.text.upper() + "!")
    assert turn.view.feedback.correct


def test_state_round_trips_through_json(engine):
    mid = "making-a-good-referral"
    turn = engine.start(mid)
    for n in range(3):
        state = json.loads(json.dumps(turn.state))  # what a Rasa slot does
        turn = engine.answer(state, _correct(engine, mid, n))
        json.dumps(turn.view.model_dump(mode="json"))
    assert turn.view.status == "done" and turn.view.score == 3
    assert "Well done" in turn.view.result


def test_bad_state_and_changed_questions(engine):
    with pytest.raises(R.BadCheckState):
        engine.answer({"refresher": "nope"}, "1")
    with pytest.raises(R.BadCheckState):
        engine.answer("not a dict", "1")
    turn = engine.answer(engine.start("core-conversations").state, "1")
    stale = {**turn.state, "fp": "000000000000"}  # trainers changed the questions meanwhile
    again = engine.answer(stale, "1")
    assert again.view.number == 2 and again.state["answers"] == [0]  # restarted, then answered


def test_module_api_over_shipped_content():
    assert R.get_refresher("safeguarding-basics").id == "safeguarding-basics"
    turn = R.quick_check_start("eviction-homelessness")
    turn = R.quick_check_answer(turn.state, "2")
    assert turn.view.number == 2
    assert R.related_refresher("illegal-eviction-lockout").id == "eviction-homelessness"


@pytest.mark.parametrize("text, wanted", [
    ("quick refresher on open questions", "core-conversations"),
    ("doing a session in 10 minutes on eviction", "eviction-homelessness"),
    ("can you recap the immigration advice rules", "immigration-advice-boundaries"),
    ("res needs a food bank voucher", None),
    ("lost his job, how does he claim UC", None),
])
def test_a_refresher_is_found_from_free_words(text, wanted):
    found = R.default_engine().requested(text)
    assert (found.id if found else None) == wanted
