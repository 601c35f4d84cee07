"""Referrals go only to domains information governance has allowed, and reply links are
never sent over plain http to a real host."""

import pytest

from knowledge_base.loader import load_content
from knowledge_base.referral_domains import load_referral_domains, referral_email_problems
from referrals.config import ReferralSettings

pytestmark = pytest.mark.unit


def test_the_shipped_allow_list_matches_subdomains_only():
    d = load_referral_domains("content")
    assert d.allows("mash@hackney.gov.uk") and d.allows("team@nhs.net")
    assert not d.allows("me@gmail.com") and not d.allows("x@evilgov.uk") and not d.allows("x@gov.uk.evil.com")


def test_kb_validate_refuses_a_referral_email_outside_the_list(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "referral_domains.yml").write_text(
        "owner: ig\nlast_reviewed: 2026-12-04\nreview_by: 2027-06-04\nallowed_domains: [gov.uk]\n")
    item = """items:
  - id: some-service
    type: service
    title: Some service
    organisation: Some org
    description: A service that takes referrals by e-mail for testing.
    categories: [food]
    boroughs: [hackney]
    audience: [all]
    referral:
      route: email
      how: Send the referral by e-mail.
      email: intake@charity.example.org
    contacts:
      - {kind: web, value: "https://example.org/"}
    say_this: ["They can help with food."]
    steps: [Send the referral.]
    source: https://example.org/
    owner: test-team
    last_reviewed: 2026-12-04
    review_by: 2027-12-04
"""
    (tmp_path / "services" / "s.yml").write_text(item)
    problems = referral_email_problems(tmp_path, load_content(tmp_path))
    assert len(problems) == 1 and problems[0].line == 2 and "not in an allowed domain" in problems[0].message


@pytest.mark.parametrize("url, ok", [("https://frontline.hackney.gov.uk", True), ("http://127.0.0.1:8000", True),
                                     ("http://testserver", True), ("http://frontline.hackney.gov.uk", False),
                                     ("ftp://x.y", False)])
def test_reply_links_need_https_for_a_real_host(url, ok, tmp_path):
    s = ReferralSettings(data_dir=tmp_path, public_url=url)
    if ok:
        s.check()
    else:
        with pytest.raises(ValueError, match="https"):
            s.check()
