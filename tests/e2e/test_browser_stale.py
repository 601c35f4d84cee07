"""The out-of-date warning in a real browser from the whole stack: a stack of its
own runs on a copy of the content where one item's review_by is in the past
(``FRONTLINE_CONTENT_DIR``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from tests.e2e.conftest import start_stack, stop_stack
from playwright.sync_api import expect, sync_playwright

from knowledge_base.loader import CONTENT_DIR
from web.testing import add_user, launch_chromium

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts"
NAME, PASSWORD = "stale-worker", "plum tractor violin 8"
QUERY, ITEM = "food bank voucher", "how-food-bank-vouchers-work"


def content_with_stale_item(dest: Path) -> Path:
    shutil.copytree(CONTENT_DIR, dest)
    for path in [*dest.glob("services/*.y*ml"), *dest.glob("guidance/*.y*ml")]:
        data = yaml.safe_load(path.read_text())
        for item in data.get("items", []):
            if item.get("id") == ITEM:
                item["last_reviewed"], item["review_by"] = "2025-01-02", "2025-07-02"
                path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
                return dest
    raise AssertionError(f"content item {ITEM} not found: pick another item for this test")


@pytest.fixture(scope="module")
def stale_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stale-stack")
    s = start_stack(tmp, {"FRONTLINE_CONTENT_DIR": str(content_with_stale_item(tmp / "content"))})
    try:
        add_user(s.data_dir, NAME, "worker", PASSWORD)
        yield s
    finally:
        stop_stack(s)


def test_out_of_date_answer_shows_the_warning(stale_stack):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 400, "height": 800}, base_url=stale_stack.web)
            page.goto("/login")
            page.get_by_label("Username").fill(NAME)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            box = page.get_by_label("Situation or question")
            box.fill(QUERY)
            box.press("Enter")
            reply = page.locator(".app-reply").last
            expect(reply).to_be_visible(timeout=60_000)
            warning = reply.locator(".govuk-warning-text")
            expect(warning).to_contain_text("out of date")
            expect(warning).to_contain_text("2 July 2025")
            page.screenshot(path=str(ARTIFACTS / "stack-stale.png"), full_page=True)
        finally:
            browser.close()
