"""The chat panel in headless Chromium against the whole stack (action server, Rasa,
front door) started by the ``stack`` fixture: sign in, ask, follow "Did you mean"
buttons, keyboard only, and axe-core on the chat page with real answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from web.testing import add_user, collect_page_errors

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts"
NAME, PASSWORD = "stack-worker", "plum tractor violin 7"
ANSWER_QUERY = "food bank voucher"     # a direct answer in the shipped content
CHOOSE_QUERY = "help with money"       # "Did you mean one of these?" with buttons (nearly tied, under the show line)
CARD_QUERY = "no money for food"      # the best card first, marked "check it fits", with "Not this?" alternatives


@pytest.fixture(scope="module")
def web(stack):
    add_user(stack.data_dir, NAME, "worker", PASSWORD)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return stack.web


@pytest.fixture
def page(browser, web):
    ctx = browser.new_context(viewport={"width": 400, "height": 800}, base_url=web)
    pg = ctx.new_page()
    errors = collect_page_errors(pg)
    yield pg
    ctx.close()
    assert errors == [], errors


def sign_in(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))  # signed out: sent to the sign-in page
    page.get_by_label("Username").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Situation or question")).to_be_focused()


def replies(page):
    return page.locator(".app-reply")


def test_sign_in_ask_and_see_an_answer(page):
    sign_in(page)
    box = page.get_by_label("Situation or question")
    box.fill(ANSWER_QUERY)
    box.press("Enter")
    expect(replies(page)).to_have_count(1, timeout=60_000)
    answer = replies(page).last
    expect(answer).to_contain_text("Say")
    expect(answer).to_contain_text("Source")
    expect(box).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "stack-answer.png"), full_page=True)
    results = Axe().run(page)
    (ARTIFACTS / "axe-stack-chat.txt").write_text(results.generate_report() if results.violations_count else "0\n")
    assert results.violations_count == 0, results.generate_report()


def test_follow_did_you_mean_buttons_to_an_answer(page):
    sign_in(page)
    box = page.get_by_label("Situation or question")
    box.fill(CHOOSE_QUERY)
    box.press("Enter")
    expect(replies(page)).to_have_count(1, timeout=60_000)
    choices = replies(page).last.locator(".app-choice")
    assert choices.count() >= 2
    expect(replies(page).last).to_contain_text("Did you mean one of these?")
    title = choices.nth(1).locator(".app-choice__title").inner_text()
    choices.nth(1).click()
    expect(replies(page)).to_have_count(2, timeout=60_000)
    expect(page.locator(".app-msg--user").last).to_contain_text(title)
    expect(replies(page).last).to_contain_text(title)
    expect(replies(page).last).to_contain_text("Say")
    expect(box).to_be_focused()


def test_answer_first_card_then_not_this_by_keyboard(page):
    """The best card comes first, marked when below the confident line, with the next two
    items as "Not this?" buttons; number keys reach them; axe finds nothing."""
    sign_in(page)
    box = page.get_by_label("Situation or question")
    box.fill(CARD_QUERY)
    box.press("Enter")
    expect(replies(page)).to_have_count(1, timeout=60_000)
    reply = replies(page).last
    expect(reply).to_contain_text("Say")
    expect(reply).to_contain_text("Best match - check it fits")
    expect(reply).to_contain_text("Not this?")
    choices = reply.locator(".app-choice")
    assert choices.count() >= 2
    alternative = choices.first.locator(".app-choice__title").inner_text()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    box.focus()
    page.keyboard.press("1")
    expect(replies(page)).to_have_count(2, timeout=60_000)
    expect(replies(page).last).to_contain_text(alternative)
    expect(replies(page).last).to_contain_text("Say")
    expect(box).to_be_focused()


def test_keyboard_only_from_sign_in_to_answer(page):
    page.goto("/login")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    box = page.get_by_label("Situation or question")
    expect(box).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Alt+Slash")
    expect(box).to_be_focused()
    page.keyboard.type(CHOOSE_QUERY)
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_count(1, timeout=60_000)
    expect(box).to_be_focused()
    first = replies(page).last.locator(".app-choice__title").first.inner_text()
    page.keyboard.press("1")
    expect(replies(page)).to_have_count(2, timeout=60_000)
    expect(replies(page).last).to_contain_text(first)
    expect(box).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "stack-keyboard.png"), full_page=True)



def _openings():
    import yaml

    spec = yaml.safe_load((ROOT / "docs" / "flows-examples.yml").read_text())
    return [(ex["flow"], ex["opening"]) for ex in spec["examples"]]


@pytest.mark.parametrize("flow_id,opening", _openings(), ids=[f for f, _ in _openings()])
def test_follow_each_guided_flow_to_its_end_with_the_keyboard(page, flow_id, opening):
    """Each of the five guides, started the way the README's examples start them (a risk
    disclosure or a request in words): the critical rules come first, number keys answer
    each step until the case note appears, and the page stays accessible throughout."""
    from knowledge_base import flows as F

    flow = F.default_engine().flows[flow_id]
    sign_in(page)
    box = page.get_by_label("Situation or question")
    box.fill(opening)
    box.press("Enter")
    expect(replies(page)).to_have_count(1, timeout=60_000)
    first = replies(page).last
    expect(first).to_contain_text(flow.critical[0])  # this guide, its critical rules first
    expect(first).to_contain_text("FIRST")
    for n in range(2, 40):
        if "Case note" in replies(page).last.inner_text():
            break
        box.focus()
        page.keyboard.press("1")  # number keys choose the latest reply's buttons when the box is empty
        expect(replies(page)).to_have_count(n, timeout=60_000)
    expect(replies(page).last).to_contain_text("Case note")
    expect(replies(page).last).to_contain_text(flow.title)
    page.screenshot(path=str(ARTIFACTS / f"stack-flow-end-{flow_id}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
