"""Guided flows: schema/graph validation (all problems at once, file:line) and the
pure engine (buttons, free text, back, restart, stop, re-ask, flow changed)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from knowledge_base.flows import (
    FLOWS_DIR,
    BadState,
    Flow,
    FlowEngine,
    FlowError,
    FlowsInvalid,
    UnknownFlow,
    all_paths,
    load_messages,
    validate_flows,
)

pytestmark = pytest.mark.unit

BROKEN = """\
id: broken-flow
title: A deliberately broken flow
description: Used by the tests to check every problem is reported at once.
categories: [safeguarding]
critical: ["If anyone is in immediate danger call 999."]
start: first
owner: test-team
last_reviewed: 2026-11-01
review_by: 2027-05-01
sources:
  - {title: Care Act 2014, url: "https://www.legislation.gov.uk/ukpga/2014/23/section/42", primary: true}
steps:
  - id: first
    kind: question
    text: Is anyone in danger?
    options:
      - {label: "Yes", next: nowhere, risk: true}
      - {label: "No", next: stuck}
  - id: stuck
    kind: info
    text: This step has no next step.
  - id: lonely
    kind: info
    text: Nothing links to this step.
    next: done
  - id: done
    kind: end
    text: The end.
    record: [what happened]
    next_actions: [follow up]
"""


def _flows_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "flows"
    d.mkdir()
    shutil.copy(FLOWS_DIR / "_messages.yml", d / "_messages.yml")
    for name, text in files.items():
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def _minimal(**over) -> str:
    body = {
        "steps": """\
            steps:
              - id: ask
                kind: question
                text: Is anyone in danger?
                options:
                  - {label: "Yes", next: esc, risk: true}
                  - {label: "No", next: done}
                  - {label: "Not sure", next: esc, risk: true}
              - id: esc
                kind: escalate
                text: Call for help now.
                who: Police
                how: Call 999
                urgency: immediate
                contacts: [{kind: phone, value: "999", label: Police}]
                next: info
              - id: info
                kind: info
                text: Tell your safeguarding lead.
                next: done
              - id: done
                kind: end
                text: Finish.
                record: [what happened]
                next_actions: [follow up]
                contacts: [{kind: web, value: "https://www.gov.uk", label: GOV.UK}]
            """,
    }
    body.update(over)
    head = """\
        id: mini
        title: Minimal flow
        description: A small valid flow for engine tests.
        categories: [safeguarding]
        critical: ["If anyone is in immediate danger call 999."]
        start: ask
        owner: test-team
        last_reviewed: 2026-11-01
        review_by: 2027-05-01
        sources:
          - {title: Care Act 2014, url: "https://www.legislation.gov.uk/ukpga/2014/23/section/42", primary: true}
        """
    return textwrap.dedent(head) + textwrap.dedent(body["steps"])


# ------------------------------------------------------------------ validation
def test_shipped_flows_are_valid_with_no_warnings():
    flows, problems = validate_flows()
    assert [str(p) for p in problems] == []
    assert set(flows) == {"safeguarding-adult", "safeguarding-child", "domestic-abuse",
                          "immigration-advice-boundaries", "eviction-homelessness", "mental-health-crisis",
                          "child-exploitation", "modern-slavery", "radicalisation"}


def test_broken_flow_reports_every_problem_at_once_with_lines(tmp_path):
    d = _flows_dir(tmp_path, {"broken-flow.yml": BROKEN})
    flows, problems = validate_flows(d)
    assert flows == {}
    text = [str(p) for p in problems]
    name = str(d / "broken-flow.yml")

    def at(line: int, fragment: str) -> bool:
        return any(t.startswith(f"{name}:{line}: error:") and fragment in t for t in text)

    assert at(17, "unknown next step 'nowhere'"), text          # unknown step id, on the option line
    assert at(19, "dead end: step 'stuck' leads nowhere"), text  # no next
    assert at(22, "unreachable step 'lonely'"), text
    assert at(26, "contacts"), text                              # end step without contacts
    assert all(p.hint for p in problems if p.level == "error")


def test_cycle_and_risk_without_escalate_are_errors(tmp_path):
    cyc = _minimal(steps="""\
        steps:
          - id: ask
            kind: question
            text: Is anyone in danger?
            options:
              - {label: "Yes", next: loop, risk: true}
              - {label: "No", next: done}
          - id: loop
            kind: info
            text: Goes back to the question.
            next: ask
          - id: done
            kind: end
            text: Finish.
            record: [what happened]
            next_actions: [follow up]
            contacts: [{kind: web, value: "https://www.gov.uk", label: GOV.UK}]
        """)
    norisk = _minimal(steps="""\
        steps:
          - id: ask
            kind: question
            text: Is anyone in danger?
            options:
              - {label: "Yes", next: done, risk: true}
              - {label: "No", next: done}
          - id: done
            kind: end
            text: Finish.
            record: [what happened]
            next_actions: [follow up]
            contacts: [{kind: web, value: "https://www.gov.uk", label: GOV.UK}]
        """).replace("id: mini", "id: norisk")
    d = _flows_dir(tmp_path, {"mini.yml": cyc, "norisk.yml": norisk})
    flows, problems = validate_flows(d)
    text = "\n".join(map(str, problems))
    assert "cycle: ask -> loop -> ask" in text
    assert "risk option 'Yes' has a path that never reaches an escalate step" in text
    assert flows == {}


def test_schema_errors_dates_and_bare_yes_are_reported(tmp_path):
    bad = _minimal().replace("review_by: 2027-05-01", "review_by: 2026-01-01").replace(
        '{label: "No", next: done}', "{label: no, next: done}")
    future = _minimal().replace("id: mini", "id: future").replace("last_reviewed: 2026-11-01", "last_reviewed: 2030-01-01") \
        .replace("review_by: 2027-05-01", "review_by: 2031-01-01")
    d = _flows_dir(tmp_path, {"mini.yml": bad, "future.yml": future})
    _, problems = validate_flows(d, today=__import__("datetime").date(2026, 11, 26))
    text = "\n".join(map(str, problems))
    assert "review_by must be after last_reviewed" in text
    assert "quote the text" in text                     # bare `no` parsed as False
    assert "last_reviewed 2030-01-01 is in the future" in text


def test_duplicate_step_ids_and_unknown_start(tmp_path):
    dup = _minimal().replace("  - id: info\n", "  - id: esc\n").replace("start: ask", "start: nope")
    d = _flows_dir(tmp_path, {"mini.yml": dup})
    _, problems = validate_flows(d)
    text = "\n".join(map(str, problems))
    assert "duplicate step id 'esc'" in text
    assert "unknown start step 'nope'" in text


def test_messages_file_problems_are_reported(tmp_path):
    d = _flows_dir(tmp_path, {"mini.yml": _minimal()})
    msgs = (d / "_messages.yml").read_text().replace('  restart: ["restart"', '  restrt: ["restart"')
    (d / "_messages.yml").write_text(msgs)
    _, problems = validate_flows(d)
    assert any("_messages.yml" in str(p) and "commands" in str(p) for p in problems)
    with pytest.raises(FlowsInvalid):
        FlowEngine.from_content(d)


def test_all_paths_enumerates_and_rejects_cycles():
    flows, _ = validate_flows()
    for flow in flows.values():
        paths = all_paths(flow)
        assert paths and all(flow.step(p[-1].step_id).kind == "end" for p in paths)
        assert all(p[0].step_id == flow.start for p in paths)
    data = flows["safeguarding-child"].model_dump(mode="json")
    for s in data["steps"]:
        if s["id"] == "listen":
            s["next"] = "danger"
    with pytest.raises(FlowError):
        all_paths(Flow.model_validate(data))


# ---------------------------------------------------------------------- engine
@pytest.fixture(scope="module")
def engine() -> FlowEngine:
    return FlowEngine.from_content()


@pytest.fixture()
def mini(tmp_path) -> tuple[FlowEngine, Path]:
    d = _flows_dir(tmp_path, {"mini.yml": _minimal()})
    return FlowEngine.from_content(d), d


def test_start_shows_critical_before_first_question(engine):
    turn = engine.start("safeguarding-adult")
    assert turn.view.kind == "question" and turn.view.critical
    assert turn.view.options[0].value == "1"
    assert engine.render(turn.view).index(turn.view.critical[0]) < engine.render(turn.view).index(turn.view.text)
    assert json.loads(json.dumps(turn.state)) == turn.state
    assert json.loads(json.dumps(turn.view.model_dump(mode="json")))["critical"] == turn.view.critical


@pytest.mark.parametrize("said,option", [
    ("1", 0), ("2", 1), ("3", 2), ("Y", 0), ("yes!", 0), ("Yeah", 0), ("n", 1), ("Nope.", 1),
    ("not sure", 2), ("DUNNO", 2), ("Not sure!!!", 2), ("  no  ", 1), ("yes - in danger now", 0),
])
def test_free_text_and_buttons_choose_options(engine, said, option):
    turn = engine.answer(engine.start("safeguarding-child").state, said)
    assert turn.state["trail"] == [["danger", option]]


def test_option_label_and_prefix_match(engine):
    t = engine.start("eviction-homelessness")
    t = engine.answer(t.state, "no")          # danger
    t = engine.answer(t.state, "yes")         # somewhere to sleep tonight
    assert t.view.step_id == "landlord"
    t2 = engine.answer(t.state, "Housing Association")
    assert t2.state["step"] == "social-what"
    t3 = engine.answer(t.state, "private landlord")
    assert t3.state["step"] == "private-what"
    t4 = engine.answer(t.state, "yes")        # no yes-option here: re-ask, not a guess
    assert t4.view.notices == ["not_understood"] and t4.state["step"] == "landlord"


def test_non_question_steps_continue(mini):
    eng, _ = mini
    t = eng.answer(eng.start("mini").state, "yes")
    assert t.view.kind == "escalate" and t.view.escalate.urgency == "immediate"
    assert t.view.options[0].label == eng.messages.continue_label["escalate"]
    t = eng.answer(t.state, "ok")
    assert t.view.kind == "info"
    t = eng.answer(t.state, "1")
    assert t.view.kind == "end" and t.view.status == "done" and t.view.end.contacts
    t = eng.answer(t.state, "1")
    assert t.view.notices == ["finished"] and t.view.kind == "end"


def test_back_restart_stop(mini):
    eng, _ = mini
    s0 = eng.start("mini").state
    t = eng.answer(s0, "back")
    assert t.view.notices == ["at_start"] and t.state["step"] == "ask"
    t = eng.answer(s0, "y")
    t = eng.answer(t.state, "Go back")
    assert t.state["step"] == "ask" and t.state["trail"] == [] and t.view.critical
    t = eng.answer(eng.answer(s0, "y").state, "restart")
    assert t.view.notices == ["restarted"] and t.state["step"] == "ask" and t.state["trail"] == []
    t = eng.answer(eng.answer(s0, "y").state, "STOP")
    assert t.view.kind == "stopped" and t.state["status"] == "stopped" and not t.view.options
    t2 = eng.answer(t.state, "1")
    assert t2.view.kind == "stopped" and t2.state["step"] == "esc"
    t3 = eng.answer(t.state, "back")          # resume after a mistaken stop, where it stopped
    assert t3.state["status"] == "active" and t3.view.step_id == "esc"
    assert eng.answer(t3.state, "back").view.step_id == "ask"  # then back goes back a step
    assert "stopped before the end" in eng.summary(t.state)
    t4 = eng.answer(eng.answer(s0, "stop").state, "back")   # stopped at the first step
    assert t4.state["status"] == "active" and t4.view.kind == "question"


def test_reask_once_then_offer_to_stop(mini):
    eng, _ = mini
    s = eng.start("mini").state
    t1 = eng.answer(s, "purple")
    assert t1.view.notices == ["not_understood"] and t1.view.options and t1.state["reasks"] == 1
    assert t1.view.notice_texts == [eng.messages.notices["not_understood"]]
    t2 = eng.answer(t1.state, "banana")
    assert t2.view.notices == ["not_understood", "offer_stop"] and t2.state["reasks"] == 2
    t3 = eng.answer(t2.state, "no")
    assert t3.state["reasks"] == 0 and t3.view.kind == "end"


def test_flow_changed_under_running_state_restarts_cleanly(mini):
    eng, d = mini
    t = eng.answer(eng.start("mini").state, "y")
    assert t.state["step"] == "esc"
    path = d / "mini.yml"
    path.write_text(path.read_text().replace("id: esc", "id: escalate-now").replace("next: esc", "next: escalate-now"))
    eng2 = FlowEngine.from_content(d)
    t2 = eng2.answer(t.state, "ok")
    assert t2.view.notices == ["flow_changed"] and t2.state["step"] == "ask" and t2.state["trail"] == []
    assert t2.view.critical
    # a trail entry whose option no longer exists is also a changed flow
    broken = {**t.state, "step": "ask", "trail": [["ask", 7]]}
    assert eng.view(broken).view.notices == ["flow_changed"]
    # same step ids, but the chosen option now leads somewhere else
    rerouted = {**t.state, "step": "info", "trail": [["ask", 0]]}
    assert eng.view(rerouted).view.notices == ["flow_changed"]


def test_bad_state_and_unknown_flow(engine):
    with pytest.raises(UnknownFlow):
        engine.start("no-such-flow")
    with pytest.raises(BadState):
        engine.answer({"flow": "domestic-abuse"}, "yes")
    with pytest.raises(UnknownFlow):
        engine.answer({"v": 1, "flow": "gone", "step": "x", "trail": [], "reasks": 0, "status": "active"}, "yes")


def test_progress_counts_steps(engine):
    t = engine.start("domestic-abuse")
    assert t.view.progress.step == 1 and t.view.progress.of >= 5
    t = engine.answer(t.state, "yes")
    assert t.view.progress.step == 2 and t.view.progress.of >= t.view.progress.step


def test_summary_uses_flow_wording_only(mini):
    eng, _ = mini
    t = eng.start("mini")
    t = eng.answer(t.state, "Mrs Smith at 12 Acacia Road, 07700 900123")
    for said in ("yes", "ok", "ok"):
        t = eng.answer(t.state, said)
    text = eng.summary(t.state)
    assert "Acacia" not in text and "07700" not in text and "Smith" not in text
    assert "Is anyone in danger? - Yes" in text and "completed" in text
    assert "Police (" in text                       # escalated, with urgency wording from _messages.yml


def test_messages_load_from_content():
    messages, problems = load_messages()
    assert problems == [] and messages.answer_words["yes"]
    assert all(isinstance(w, str) for words in messages.answer_words.values() for w in words)


def test_module_level_api_over_shipped_content():
    from knowledge_base import flows as F

    t = F.start("immigration-advice-boundaries")
    t = F.answer(t.state, "no")
    assert t.view.kind == "info" and F.render(t.view) and F.summary(t.state)


def test_cli_validate_exit_codes(tmp_path, capsys):
    from knowledge_base.flows import main

    assert main(["validate"]) == 0
    assert "OK: 9 flows" in capsys.readouterr().out
    d = _flows_dir(tmp_path, {"broken-flow.yml": BROKEN})
    assert main(["validate", "--content", str(d)]) == 1
    captured = capsys.readouterr()
    assert "unknown next step 'nowhere'" in captured.err and "FAILED" in captured.out


def test_summary_lists_checklists_without_claiming_each_item(engine):
    t = engine.start("safeguarding-adult")
    for said in ("no", "ok", "ok"):
        t = engine.answer(t.state, said)
    text = engine.summary(t.state)
    assert "Which kinds of abuse or neglect could this be?" in text
    assert "Modern slavery" not in text             # items are prompts, not findings


def test_reload_default_engine():
    from knowledge_base import flows as F

    assert F.reload_default_engine() is F.default_engine()
    assert {f["id"] for f in F.list_flows()} >= {"domestic-abuse"}


def test_refer_to_must_name_a_real_referable_service(tmp_path):
    """`kb validate` refuses an end step that offers a referral to an unknown, non-referable
    or illustrative service, with the flow file and line."""
    import shutil

    from knowledge_base.loader import CONTENT_DIR
    from knowledge_base.validate import validate_all

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    flow = content / "flows" / "domestic-abuse.yml"
    text = flow.read_text()
    assert "refer_to: [hackney-domestic-abuse-intervention-service]" in text
    flow.write_text(text.replace("refer_to: [hackney-domestic-abuse-intervention-service]",
                                 "refer_to: [no-such-service, hackney-community-food-hubs]"))
    report = validate_all(content)
    messages = [str(p) for p in report.errors]
    assert any("domestic-abuse.yml:" in m and "'no-such-service' is not a service" in m for m in messages)
    assert any("'hackney-community-food-hubs' has no referral route" in m for m in messages)
    assert validate_all(CONTENT_DIR).errors == []


def test_the_annotated_examples_in_docs_and_readme_are_up_to_date():
    """docs/flows.md and README's flow examples are generated by the engine (`make docs`)."""
    from knowledge_base.flows.examples import main as examples

    assert examples(check=True) == 0, "run `make docs` and commit docs/flows.md and README.md"


def test_an_example_whose_answers_no_longer_fit_the_flow_is_reported(tmp_path):
    import pytest as _pytest
    import yaml as _yaml

    from knowledge_base.flows.examples import SPEC, ExampleError, render_all

    spec = _yaml.safe_load(SPEC.read_text())
    spec["examples"][0]["answers"] = [9]
    bad = tmp_path / "spec.yml"
    bad.write_text(_yaml.safe_dump(spec))
    with _pytest.raises(ExampleError, match="not an option"):
        render_all(bad)
    spec["examples"][0]["answers"] = [2]
    bad.write_text(_yaml.safe_dump(spec))
    with _pytest.raises(ExampleError, match="before the end"):
        render_all(bad)


def _hit(title: str, categories: list[str]):
    item = type("Item", (), {"title": title, "categories": categories})()
    return type("Hit", (), {"item": item, "id": title})()


@pytest.mark.parametrize("text, title, categories, first", [
    # six guides share "safeguarding": the words of the message and the answer choose among them
    ("how do I make a MASH referral", "Newham children's MASH - making a referral", ["safeguarding"], "safeguarding-child"),
    ("how do I raise an adult safeguarding concern", "Report an adult safeguarding concern", ["safeguarding"],
     "safeguarding-adult"),
    ("what is county lines", "Silver Line helpline", ["safeguarding"], "child-exploitation"),
    # a word one guide has ("fgm") outweighs one several share ("duty": duty to refer, duty to notify)
    ("what is the fgm duty", "FGM - the law, the mandatory reporting duty, and what a non-regulated worker must do",
     ["safeguarding"], "safeguarding-child"),
    # a category one guide has comes before one six share
    ("clare's law request", "Clare's Law", ["domestic-abuse", "safeguarding"], "domestic-abuse"),
])
def test_guides_offered_beside_an_answer_closest_first(text, title, categories, first):
    from knowledge_base.flows import flows_for_hits

    offered = flows_for_hits([_hit(title, categories)], text=text)
    assert offered[0]["id"] == first and len(offered) == 2
    assert first not in [f["id"] for f in flows_for_hits([_hit(title, categories)], text=text, exclude=first)]
    assert flows_for_hits([_hit(title, ["council-tax"])], text=text) == []
