"""Referrals, pure logic: form validation and consent (and sharing without it with
safeguarding services), reply-link tokens, back-off, the wording file, and the
referral email check in `kb validate`."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from knowledge_base.cli import main as kb
from knowledge_base.schema import ItemFile, Service
from referrals.errors import BadToken, ConsentRequired, ReferralInvalid
from referrals.forms import ReferralInput, referable, required_by_services, shares_without_consent, validate
from referrals.queue import backoff
from referrals.text import CONSENT_REASONS, ReferralTextError, load_text, render_email
from referrals.tokens import make_token, read_token

pytestmark = pytest.mark.unit

TEXT = load_text()
NOW = dt.datetime(2026, 11, 26, 10, 0)


def service(sid="food-bank-hackney", route="email", email="referrals@foodbank.example.org", needs=(),
            professional=True, categories=("food",)) -> Service:
    referral = {"route": route, "how": "Send the referral by email.", "needs": list(needs),
                "accepts_professional_referrals": professional}
    if email:
        referral["email"] = email
    return ItemFile.model_validate({"items": [{
        "id": sid, "type": "service", "title": f"Service {sid}", "organisation": f"Org {sid}",
        "description": "A service used in tests only.", "categories": list(categories), "boroughs": ["hackney"],
        "say_this": ["We can help."], "steps": ["Refer."], "contacts": [{"kind": "web", "value": "https://example.org"}],
        "source": "https://example.org", "owner": "training-team", "last_reviewed": "2026-01-01",
        "review_by": "2027-01-01", "referral": referral}]}).items[0]


def good_input(**over) -> ReferralInput:
    base = dict(service_ids=["food-bank-hackney"], consent=True, resident_name="Ada Example", phone="07700 900123",
                contact_preference="phone", need_what="No food in the house since benefits stopped.",
                need_since="2 weeks", urgency="urgent", language="English")
    return ReferralInput(**{**base, **over})


def mash(sid="children-mash", route="email", categories=("safeguarding",)) -> Service:
    return service(sid, route=route, email="mash@council.example.org" if route == "email" else None,
                   categories=categories)


WHY = "Bruises on the child's arms.\nThe mother said asking the father would put her at risk."


def test_consent_not_answered_is_refused():
    with pytest.raises(ConsentRequired) as exc:
        validate(good_input(consent=None), [service()], TEXT)
    assert exc.value.problems == {"consent": TEXT.errors.consent}


def test_consent_missing_reports_other_problems_too():
    with pytest.raises(ConsentRequired) as exc:
        validate(good_input(consent=None, resident_name="  ", urgency="whenever"), [service()], TEXT)
    assert list(exc.value.problems) == ["consent", "resident_name", "urgency"]  # in page order


@pytest.mark.parametrize("svc", [service(), service("debt-advice", categories=["money-debt"]),
                                 service("homeless-duty-to-refer", categories=["housing"])])
def test_no_consent_to_a_service_that_is_not_safeguarding_is_refused_with_what_to_do(svc):
    """Food bank, debt advice, the homelessness duty to refer (s213B): consent always needed,
    even with a reason; the message says why and to give the resident the contact details."""
    with pytest.raises(ConsentRequired) as exc:
        validate(good_input(service_ids=[svc.id], consent=False, consent_reason="serious_crime", consent_why=WHY),
                 [svc], TEXT)
    message = exc.value.problems["consent"]
    assert message == TEXT.errors.consent_needed.format(services=f"{svc.organisation} – {svc.title}")
    assert "safeguarding" in message and "contact details" in message
    assert set(exc.value.problems) == {"consent"}
    with pytest.raises(ConsentRequired) as exc:  # no reason asked for: none would make it lawful
        validate(good_input(service_ids=[svc.id], consent=False), [svc], TEXT)
    assert set(exc.value.problems) == {"consent"}


def test_no_consent_to_a_safeguarding_service_with_a_reason_and_why_is_accepted():
    for svc in (mash(), mash("adult-safeguarding", route="professional-form"),
                mash("domestic-abuse-service", route="phone", categories=["domestic-abuse"])):
        clean = validate(good_input(service_ids=[svc.id], consent=False, consent_reason="child_significant_harm",
                                    consent_why=f"  {WHY}  "), [svc], TEXT)
        assert (clean.consent, clean.consent_reason, clean.consent_why) == (False, "child_significant_harm", WHY)


def test_no_consent_to_a_safeguarding_service_needs_a_listed_reason_and_why():
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(consent=False, consent_why="   ", resident_name=""), [mash()], TEXT)
    assert not isinstance(exc.value, ConsentRequired)
    assert exc.value.problems == {"consent_reason": TEXT.errors.consent_reason, "consent_why": TEXT.errors.consent_why,
                                  "resident_name": TEXT.errors.resident_name}  # in page order
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(consent=False, consent_reason="felt_like_it", consent_why=WHY), [mash()], TEXT)
    assert list(exc.value.problems) == ["consent_reason"]
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(consent=False, consent_reason="serious_crime", consent_why="x" * 2001), [mash()], TEXT)
    assert exc.value.problems == {"consent_why": TEXT.errors.too_long}


def test_no_consent_with_a_safeguarding_and_another_service_names_the_other_one():
    with pytest.raises(ConsentRequired) as exc:
        validate(good_input(consent=False), [mash(), service()], TEXT)
    assert list(exc.value.problems) == ["consent", "consent_reason", "consent_why"]
    assert "Org food-bank-hackney" in exc.value.problems["consent"]
    assert "Org children-mash" not in exc.value.problems["consent"]


def test_with_consent_no_reason_is_kept():
    clean = validate(good_input(consent_reason="serious_crime", consent_why=WHY), [mash()], TEXT)
    assert (clean.consent, clean.consent_reason, clean.consent_why) == (True, "", "")


def test_safeguarding_receivers_in_the_shipped_content():
    """Children's MASH, adult safeguarding and council domestic abuse services can be told without
    consent; a food bank, debt advice and homelessness (s213B duty to refer) cannot, nor a helpline
    the resident has to call themselves (a self-referral cannot be made without them)."""
    from knowledge_base.loader import load_content

    items = {i.id: i for i in load_content().items if isinstance(i, Service)}
    yes = ["hackney-children-mash", "newham-children-mash", "hackney-report-adult-safeguarding-concern",
           "newham-report-adult-safeguarding-concern", "hackney-domestic-abuse-intervention-service"]
    no = ["hackney-foodbank", "hackney-homeless-help", "stepchange-debt-advice",
          "national-domestic-abuse-helpline-refuge", "nspcc-helpline"]
    assert [sid for sid in yes if not shares_without_consent(items[sid])] == []
    assert [sid for sid in no if shares_without_consent(items[sid])] == []


def test_a_good_referral_is_cleaned():
    clean = validate(good_input(resident_name="  Ada   Example "), [service()], TEXT)
    assert clean.resident_name == "Ada Example"


def test_needs_of_the_chosen_services_make_fields_required():
    svc = service(needs=["Date of birth", "Address and postcode", "what the problem is"])
    assert required_by_services([svc]) == {"date_of_birth", "address"}
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(), [svc], TEXT)
    assert set(exc.value.problems) == {"date_of_birth", "address"}
    assert not isinstance(exc.value, ConsentRequired)


def test_needs_match_whole_words_only():
    # Hackney Foodbank asks for "household size and ages": that is not a date of birth
    svc = service(needs=["household size and ages", "phone number", "Email if they have one", "age"])
    assert required_by_services([svc]) == {"phone", "email", "date_of_birth"}
    assert required_by_services([service(needs=["household size and ages", "messages"])]) == set()


@pytest.mark.parametrize("pref, missing", [("phone", "phone"), ("text", "phone"), ("email", "email"),
                                           ("letter", "address")])
def test_contact_preference_needs_its_detail(pref, missing):
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(contact_preference=pref, phone=""), [service()], TEXT)
    assert missing in exc.value.problems


def test_resident_email_is_checked():
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(email="ada at example"), [service()], TEXT)
    assert exc.value.problems == {"email": TEXT.errors.email_invalid}


def test_services_that_do_not_take_professional_referrals_are_not_referable():
    assert referable(service())
    assert not referable(service(professional=False))
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(), [service(professional=False)], TEXT)
    assert "services" in exc.value.problems


def test_invalid_messages_carry_no_personal_data():
    with pytest.raises(ReferralInvalid) as exc:
        validate(good_input(email="ada.secret at example", consent=True), [service()], TEXT)
    assert "ada.secret" not in str(exc.value)


def test_reply_token_round_trip_tamper_and_expiry():
    key = b"k" * 32
    token = make_token(key, 42, NOW + dt.timedelta(days=90))
    assert read_token(key, token, NOW) == 42
    with pytest.raises(BadToken):
        read_token(b"other-key", token, NOW)
    payload, sig = token.split(".")
    forged = make_token(b"attacker", 43, NOW + dt.timedelta(days=90)).split(".")[0] + "." + sig
    with pytest.raises(BadToken):
        read_token(key, forged, NOW)
    with pytest.raises(BadToken):
        read_token(key, token, NOW + dt.timedelta(days=91))
    with pytest.raises(BadToken):
        read_token(key, "not-a-token", NOW)


def test_backoff_doubles_up_to_the_cap():
    delays = [backoff(n, 60, 3600).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_email_subject_has_no_personal_data():
    ctx = {k: "" for k in ("date_of_birth", "address", "phone", "email", "contact_notes", "need_tried",
                           "access_needs", "language")}
    ctx.update(resident_name="Ada Example", need_what="food", need_since="2 weeks", ref="AB12CD34",
               urgency="Urgent", contact_preference="Phone call", consent_at="26 November 2026 10:00 UTC",
               organisation="Org", service_title="Service", worker="alice", ack_url="http://x/referrals/ack/t",
               other_services=["Other org"], consent=True, consent_reason="", consent_why="")
    subject, body = render_email(TEXT, ctx)
    assert "Ada" not in subject and "AB12CD34" in subject
    assert "Name: Ada Example" in body and "http://x/referrals/ack/t" in body and "also going to: Other org" in body
    assert "explicit consent" in body and "without consent" not in body
    label = TEXT.form.consent_reasons["marac_high_risk"].label
    subject, body = render_email(TEXT, {**ctx, "consent": False, "consent_reason": label, "consent_why": WHY})
    assert "Ada" not in subject and "consent" not in subject.lower()
    assert f"shared without consent under safeguarding: {label}" in body and WHY in body
    assert "explicit consent" not in body


def test_every_reason_to_share_without_consent_has_wording_and_a_source(tmp_path):
    from referrals.text import CONTENT

    assert list(TEXT.form.consent_reasons) == list(CONSENT_REASONS)
    for reason in TEXT.form.consent_reasons.values():
        assert reason.label and ("Act" in reason.source or "guidance" in reason.source or "advice" in reason.source)
    assert "If they do not agree, do not make the referral" not in CONTENT.read_text()
    bad = tmp_path / "content.yml"  # a reason left out of the file is an error, not a shorter list
    bad.write_text(CONTENT.read_text().replace("    serious_crime:", "    serious_crimes:"))
    with pytest.raises(ReferralTextError) as exc:
        load_text(bad)
    assert "consent_reasons" in str(exc.value)
    bad.write_text(CONTENT.read_text().replace("{services}", "{service}"))  # the refusal page must not break
    with pytest.raises(ReferralTextError, match="errors.consent_needed"):
        load_text(bad)


def test_broken_wording_file_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "content.yml"
    from referrals.text import CONTENT

    bad.write_text(CONTENT.read_text().replace("  summary_title:", "  sumary_title:"))
    with pytest.raises(ReferralTextError) as exc:
        load_text(bad)
    lines = [p.line for p in exc.value.problems]
    expected = next(i for i, ln in enumerate(bad.read_text().splitlines(), 1) if "sumary_title" in ln)
    assert expected in lines


def test_kb_validate_catches_a_bad_referral_email(tmp_path, capsys):
    text = textwrap.dedent("""\
        items:
          - id: test-service
            type: service
            title: Test service
            organisation: Test org
            description: A service used in tests only.
            categories: [food]
            boroughs: [hackney]
            say_this: ["We can help with food."]
            steps: ["Give the number."]
            contacts: [{kind: web, value: "https://example.org"}]
            referral:
              route: email
              how: Email the referral team.
              email: referrals at example dot org
            source: https://example.org
            owner: training-team
            last_reviewed: 2026-01-01
            review_by: 2027-01-01
    """)
    path = tmp_path / "services" / "bad.yml"
    path.parent.mkdir()
    path.write_text(text)
    assert kb(["--content", str(tmp_path), "validate"]) == 1
    err = capsys.readouterr().err
    assert "bad.yml:15:" in err and "referral.email" in err and "not a valid email address" in err


def test_kb_accepts_a_good_referral_email():
    svc = service(email="referrals.team+hackney@foodbank.example.org.uk")
    assert svc.referral.email == "referrals.team+hackney@foodbank.example.org.uk"
