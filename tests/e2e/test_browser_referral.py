"""A worker's whole referral journey in headless Chromium against the whole stack:
ask in the chat → "Refer to this service" on the answer card → add a second
service → consent and the resident's details → check → send → both services
receive their own email at a real local SMTP server, once each.

The stack runs on a copy of the shipped content in which two real services take
referrals by email at ``example.org`` addresses (the shipped services use forms,
portals and phone lines), so the email route is exercised end to end. The time
from "Refer" to "Sent" is written to ``var/test-artifacts/referral-journey.txt``
(a measurement, not a pass/fail threshold).
"""

from __future__ import annotations

import email
import re
import shutil
import time
from email import policy
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import ROOT, free_port, start_stack, stop_stack
from web.testing import add_user, collect_page_errors, launch_chromium

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "var" / "test-artifacts"
NAME, PASSWORD = "referral-worker", "violet harbour kettle 4"
BY_EMAIL = {"hackney-foodbank": "referrals@foodbank.example.org",
            "hackney-money-hub": "moneyhub@hackney.example.org"}


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


def content_with_email_routes(dest: Path) -> Path:
    """A copy of the shipped content where the two services take referrals by email."""
    shutil.copytree(ROOT / "content", dest)
    patched = set()
    for path in (dest / "services").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        changed = False
        for item in data.get("items", []):
            if item.get("id") in BY_EMAIL:
                item["referral"].update(route="email", email=BY_EMAIL[item["id"]])
                patched.add(item["id"])
                changed = True
        if changed:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert patched == set(BY_EMAIL), f"services not found in the shipped content: {set(BY_EMAIL) - patched}"
    # as information governance would: allow the test addresses' domain for referral e-mail
    domains = yaml.safe_load((dest / "referral_domains.yml").read_text(encoding="utf-8"))
    domains["allowed_domains"] = [*domains["allowed_domains"], *sorted({a.split("@")[1] for a in BY_EMAIL.values()})]
    (dest / "referral_domains.yml").write_text(yaml.safe_dump(domains, sort_keys=False), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def inbox():
    box = Inbox()
    ctrl = Controller(box, hostname="127.0.0.1", port=free_port())
    ctrl.start()
    box.port = ctrl.port
    yield box
    ctrl.stop()


@pytest.fixture(scope="module")
def referral_stack(tmp_path_factory, inbox):
    tmp = tmp_path_factory.mktemp("referral-stack")
    content = content_with_email_routes(tmp / "content")
    stack = start_stack(tmp, {"FRONTLINE_CONTENT_DIR": str(content), "FRONTLINE_SMTP_HOST": "127.0.0.1",
                              "FRONTLINE_SMTP_PORT": str(inbox.port), "FRONTLINE_SMTP_STARTTLS": "0",
                              "FRONTLINE_REFERRAL_FROM": "referrals@council.example.org"})
    try:
        add_user(stack.data_dir, NAME, "worker", PASSWORD)
        yield stack
    finally:
        stop_stack(stack)


@pytest.fixture(scope="module")
def page(referral_stack):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        ctx = browser.new_context(viewport={"width": 1024, "height": 900}, base_url=referral_stack.web)
        pg = ctx.new_page()
        errors = collect_page_errors(pg)
        yield pg
        browser.close()
        assert errors == [], errors


def assert_no_axe_violations(page, name: str) -> None:
    results = Axe().run(page)
    (ARTIFACTS / f"axe-{name}.txt").write_text(results.generate_report() if results.violations_count else "0\n")
    assert results.violations_count == 0, results.generate_report()


def test_refer_one_resident_to_two_services_from_an_answer_card(page, inbox):
    page.goto("/login")
    page.get_by_label("Username").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    box = page.get_by_label("Situation or question")
    box.fill("hackney foodbank")
    box.press("Enter")
    card = page.locator("article.app-card[data-item-id='hackney-foodbank']")
    expect(card).to_be_visible(timeout=60_000)

    started = time.monotonic()
    card.get_by_role("link", name="Refer to this service").click()
    expect(page.get_by_role("heading", name="Refer the resident")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("Hackney Foodbank"))).to_be_checked()
    assert_no_axe_violations(page, "referral-form")

    # a second service, added without leaving the form
    page.get_by_label("Add another service (optional)").select_option("hackney-money-hub")
    page.get_by_role("button", name="Update the list of services").click()
    expect(page.locator("#chosen-services input[type=checkbox]:checked")).to_have_count(2)

    page.get_by_label(re.compile("The resident has agreed")).check()
    page.get_by_label("Full name").fill("Ada Example")
    page.get_by_label("Address and postcode").fill("1 Example Road, London E8 1AA")
    page.get_by_label("Preferred language").fill("Turkish – needs an interpreter")
    page.get_by_label("What do they need help with?").fill("No food in the house since her benefits stopped.")
    page.get_by_label("Since when?").fill("2 weeks")
    page.get_by_label(re.compile("^Urgent")).check()
    page.get_by_label("Phone call").check()
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_label("Phone number").press("Enter")  # Enter checks the referral (not "update the list")

    expect(page.get_by_role("heading", name="Check the referral before sending")).to_be_visible()
    for address in BY_EMAIL.values():
        expect(page.get_by_text(address)).to_be_visible()
    assert_no_axe_violations(page, "referral-preview")
    page.get_by_role("button", name="Send referral").click()

    tags = page.locator("strong.govuk-tag[data-status]")
    expect(tags).to_have_count(2)
    for sid in BY_EMAIL:
        expect(page.locator(f"strong.govuk-tag[data-service='{sid}']")).to_have_attribute("data-status", "sent")
    elapsed = time.monotonic() - started
    reference = re.search(r"Reference: ([0-9A-F]{8})", page.locator("main").inner_text()).group(1)
    (ARTIFACTS / "referral-journey.txt").write_text(
        f"scripted journey, Refer on the card to 'Sent' for 2 services: {elapsed:.1f} s\n")
    print(f"referral journey (scripted): {elapsed:.1f} s")

    # each service gets its own email, once, with what the worker wrote
    deadline = time.monotonic() + 10
    while len(inbox.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the background queue must not send a second copy
    assert sorted(r[0] for r, _ in inbox.messages) == sorted(BY_EMAIL.values())
    for _, msg in inbox.messages:
        assert reference in msg["Subject"] and "Ada Example" not in msg["Subject"]
        body = msg.get_body(preferencelist=("plain",)).get_content()
        assert "No food in the house" in body and "Ada Example" in body and "/referrals/ack/" in body

    # the worker finds it again under "My referrals"
    page.get_by_role("link", name="My referrals").click()
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    assert_no_axe_violations(page, "referral-list")


def test_the_end_of_a_guide_offers_one_referral_to_the_services_it_names(page):
    """The eviction guide names two services at its end: the web panel shows one
    "Refer the resident" link that opens the form with both already chosen."""
    from knowledge_base import flows as F

    flow = F.default_engine().flows["eviction-homelessness"]
    path = min((p for p in F.all_paths(flow) if p[-1].step_id == "end"), key=len)
    page.goto("/")
    box = page.get_by_label("Situation or question")
    replies = page.locator(".app-reply")

    def say(text):
        n = replies.count()
        box.fill(text)
        box.press("Enter")
        expect(replies).to_have_count(n + 1, timeout=60_000)

    say('/start_flow{"flow_id": "eviction-homelessness"}')
    for hop in path[:-1]:
        say(str(hop.choice + 1) if hop.choice is not None else "1")
    expect(replies.last).to_contain_text("Case note")
    link = replies.last.get_by_role("link", name=re.compile("Refer the resident"))
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Refer the resident")).to_be_visible()
    expect(page.locator("#chosen-services input[type=checkbox]:checked")).to_have_count(2)
    for sid in ("hackney-homeless-help", "shelter-england-housing-advice"):
        expect(page.locator(f"#chosen-services input[value='{sid}']")).to_be_checked()
