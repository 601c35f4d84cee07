"""The chat panel in headless Chromium against the real front door, with a loopback
HTTP server standing in for Rasa's REST channel. It sends the answer-card payload
(``custom.card``, built from real content by knowledge_base.present.answer_fields)
that the whole stack does not send yet, plus stale warnings and failures that the
stack cannot produce on demand. Whole-stack browser tests: test_browser_stack.py."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from knowledge_base.loader import load_content
from knowledge_base.present import answer_fields
from web.app import create_app
from web.config import WebSettings
from web.testing import LiveServer, StubRasa, add_user, collect_page_errors

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts"
USERS = {"wendy": ("worker", "plum tractor violin 1"), "terry": ("trainer", "plum tractor violin 2"),
         "ada": ("admin", "plum tractor violin 3")}
STALE_TEXT = ("Warning: this answer may be out of date. It was due for review by 1 January 2026. "
              "Check the source before you rely on it: https://www.gov.uk/")


@pytest.fixture(scope="module")
def cards():
    items = {i.id: i for i in load_content().items}
    fresh = answer_fields(items["citizens-advice-adviceline"]) if "citizens-advice-adviceline" in items else \
        answer_fields(next(iter(items.values())))
    stale = answer_fields(next(i for i in items.values() if i.id != fresh["item_id"]), today=dt.date(2100, 1, 1))
    assert stale["stale"] and not fresh["stale"]
    return {"fresh": fresh, "stale": stale}


@pytest.fixture(scope="module")
def server(tmp_path_factory, cards):
    data = tmp_path_factory.mktemp("web") / "var"
    for name, (role, pw) in USERS.items():
        add_user(data, name, role, pw)

    def respond(sender, message):
        if message == "card":
            return [{"text": cards["fresh"]["title"], "custom": {"card": cards["fresh"]}}]
        if message == "stale card":
            return [{"text": cards["stale"]["title"], "custom": {"card": cards["stale"]}}]
        if message == "stale text":
            return [{"text": "Some answer\nSecond line"}, {"text": STALE_TEXT}]
        if message == "choose":
            return [{"text": "Did you mean one of these?", "buttons": [
                {"title": "First choice", "payload": "card"}, {"title": "Second choice", "payload": "stale card"}]}]
        if message == "resident has no money for food":  # realistic wording for docs/panel.png
            return [{"text": "Did you mean one of these?", "buttons": [
                {"title": cards["fresh"]["title"], "payload": "card"},
                {"title": cards["stale"]["title"], "payload": "stale card"}]}]
        if message == "down":
            raise RuntimeError("Rasa is broken")
        return [{"text": f"echo: {message}"}]

    with StubRasa(respond) as rasa, LiveServer(create_app(rasa_url=rasa.url, settings=WebSettings(data_dir=data))) as srv:
        srv.data_dir = data
        yield srv


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 400, "height": 800}, base_url=server.url)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    pg = ctx.new_page()
    errors = collect_page_errors(pg)
    yield pg
    ctx.close()
    # HTTP error statuses are what some tests ask for; anything else (a CSP refusal, a script error) fails
    assert [e for e in errors if not e.startswith("Failed to load resource")] == [], errors


def sign_in(page, name):
    page.goto("/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(USERS[name][1])
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url("/login")


def ask(page, text):
    before = page.locator(".app-reply").count()
    box = page.get_by_label("Situation or question")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".app-reply")).to_have_count(before + 1)
    expect(page.locator("#typing-text")).to_be_hidden()


def assert_axe_clean(page, name):
    results = Axe().run(page)
    (ARTIFACTS / f"axe-{name}.txt").write_text(results.generate_report() if results.violations_count else "0 violations\n")
    assert results.violations_count == 0, results.generate_report()


def feedback_rows(server):
    con = sqlite3.connect(server.data_dir / "frontline.db")
    try:
        return con.execute("select item_id, helpful, reason from feedback order by id").fetchall()
    finally:
        con.close()


def test_answer_card_copy_and_feedback(page, server, cards):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, "wendy")
    ask(page, "card")
    card = page.locator(".app-card").last
    fresh = cards["fresh"]
    expect(card.get_by_role("heading", name=fresh["title"])).to_be_visible()
    expect(card.locator(".app-card__quote")).to_have_text(fresh["say_this"])
    expect(card.get_by_role("link", name=fresh["source"])).to_have_attribute("href", fresh["source"])
    expect(card).to_contain_text(f"Last checked: {fresh['last_checked']}")
    expect(card.locator(".govuk-warning-text")).to_have_count(0)
    card.get_by_role("button", name="Copy").click()
    expect(page.locator("#announce")).to_have_text("Copied to the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == fresh["say_this"]
    assert_axe_clean(page, "chat-card")
    page.screenshot(path=str(ARTIFACTS / "chat-card-400px.png"), full_page=True)
    card.get_by_role("button", name="Yes").click()
    expect(card).to_contain_text("Thank you for your feedback.")
    expect(page.get_by_label("Situation or question")).to_be_focused()
    ask(page, "card")
    second = page.locator(".app-card").last
    second.get_by_role("button", name="No").click()
    reason = second.get_by_label("What was wrong or missing?")
    expect(reason).to_be_focused()
    reason.fill("The number for Mrs Jones 07700 900123 was wrong")
    second.get_by_role("button", name="Send feedback").click()
    expect(second).to_contain_text("Thank you for your feedback.")
    rows = feedback_rows(server)
    assert rows[0] == (fresh["item_id"], 1, None)
    assert rows[1][:2] == (fresh["item_id"], 0)
    assert "07700" not in (rows[1][2] or "") and "Jones" not in (rows[1][2] or "")


def test_docs_panel_screenshot(page, cards, tmp_path):
    """The README's picture of the panel. Written to a temp folder, so a test run leaves the
    working tree clean; `make docs-screenshot` (UPDATE_DOCS_SCREENSHOT=1) replaces docs/panel.png."""
    target = ROOT / "docs" / "panel.png" if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1" else tmp_path / "panel.png"
    sign_in(page, "wendy")
    ask(page, "resident has no money for food")
    page.keyboard.press("1")
    expect(page.locator(".app-card")).to_have_count(1)
    page.set_viewport_size({"width": 400, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    shot = page.screenshot(path=str(target))
    assert len(shot) < 400_000


def test_out_of_date_warning_from_text_and_from_card(page, cards):
    sign_in(page, "wendy")
    ask(page, "stale text")
    first = page.locator(".app-reply").last
    expect(first.locator(".app-msg:not(.app-msg--stale) .app-msg__text")).to_have_text("Some answer\nSecond line")
    expect(first.locator(".app-msg").first).to_have_class(re.compile("app-msg--stale"))  # warning first
    expect(first.locator(".app-msg--stale .govuk-warning-text")).to_contain_text(
        "Warning: this answer may be out of date")
    ask(page, "stale card")
    card = page.locator(".app-card").last
    expect(card.locator(".govuk-warning-text")).to_contain_text("This answer may be out of date")
    expect(card.locator(".govuk-warning-text")).to_contain_text(cards["stale"]["review_by"])
    assert_axe_clean(page, "chat-stale")


def test_keyboard_only_buttons_cards_and_escape(page):
    sign_in(page, "wendy")
    page.keyboard.press("Tab")  # focus starts in the message box; move away from it
    page.keyboard.press("Alt+Slash")
    box = page.get_by_label("Situation or question")
    expect(box).to_be_focused()
    page.keyboard.type("choose")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Second choice")).to_be_visible()
    expect(box).to_be_focused()
    page.keyboard.press("2")
    card = page.locator(".app-card").last
    expect(card).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    # the new card is reachable: Shift+Tab from the message box goes back into it
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('.app-card') !== null")
    page.keyboard.press("Escape")
    expect(card.locator(".app-card__body")).to_be_hidden()
    expect(box).to_be_focused()
    page.locator("#main").focus()
    expect(box).not_to_be_focused()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    card.get_by_role("button", name="Show card again").press("Enter")
    expect(card.locator(".app-card__body")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "keyboard-path.png"), full_page=True)


def test_unreachable_assistant_shows_the_safety_banner(page):
    sign_in(page, "wendy")
    box = page.get_by_label("Situation or question")
    box.fill("down")
    box.press("Enter")
    banner = page.get_by_role("alert")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("call 999")
    expect(banner).to_contain_text("safeguarding team")
    expect(box).to_be_focused()
    assert_axe_clean(page, "chat-banner")
    page.screenshot(path=str(ARTIFACTS / "banner.png"), full_page=True)
    ask(page, "hello again")
    expect(banner).to_be_hidden()


def test_network_failure_also_shows_the_banner(page):
    sign_in(page, "wendy")
    page.route("**/api/message", lambda route: route.abort())
    box = page.get_by_label("Situation or question")
    box.fill("hello")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("call 999")


@pytest.mark.parametrize("name,path,title", [("terry", "/trainer", "Trainer console"), ("ada", "/admin", "Users")])
def test_trainer_and_admin_pages_are_accessible(page, name, path, title):
    sign_in(page, name)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_axe_clean(page, path.strip("/"))
    page.screenshot(path=str(ARTIFACTS / f"{path.strip('/')}.png"), full_page=True)


def test_other_roles_are_refused_in_the_browser(page):
    sign_in(page, "wendy")
    for path in ("/trainer", "/admin"):
        response = page.goto(path)
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page.")
    page.get_by_role("link", name="Chat").click()
    expect(page.get_by_label("Situation or question")).to_be_visible()


def test_login_page_and_its_error_are_accessible(page):
    page.goto("/login")
    assert_axe_clean(page, "login")
    page.get_by_label("Username").fill("wendy")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The username or password is not right")
    assert_axe_clean(page, "login-error")
    page.screenshot(path=str(ARTIFACTS / "login-error.png"), full_page=True)


@pytest.mark.parametrize("width,height,scale,label", [(400, 800, 1, "panel-400px"), (640, 400, 2, "zoom-200pc"),
                                                      (320, 640, 1, "reflow-320px")])
def test_no_horizontal_scrolling_in_a_narrow_panel_or_at_200_percent_zoom(browser, server, width, height, scale, label):
    """200% zoom of a 1280×800 window is a 640×400 CSS-pixel viewport at device scale 2."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                              base_url=server.url)
    page = ctx.new_page()
    try:
        sign_in(page, "wendy")
        ask(page, "card")
        ask(page, "choose")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{label}: page scrolls sideways by {overflow}px"
        box = page.get_by_label("Situation or question")
        expect(box).to_be_in_viewport()
        expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
        page.screenshot(path=str(ARTIFACTS / f"{label}.png"), full_page=True)
        assert_axe_clean(page, label)
    finally:
        ctx.close()
