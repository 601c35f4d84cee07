"""common/redact.py: resident identifiers are replaced before Rasa, logs or analytics see them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bot/ and bench/ are not installed packages
    sys.path.insert(0, str(ROOT))

from bench.redaction_eval import LABELLED, RECALL_TARGET, evaluate, load_labelled  # noqa: E402
from common.redact import (  # noqa: E402
    ALLOWLIST_PATH, TYPES, AllowlistError, load_allowlist, redact, redact_text,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, expected", [
    ("call me on 07700 900123", "call me on [PHONE]"),
    ("mob +44 (0)7700-900-123", "mob [PHONE]"),
    ("landline (020) 7946 0018", "landline [PHONE]"),
    ("ring 0208-946-0999 pls", "ring [PHONE] pls"),
    ("email sarah.j88@gmail.com", "email [EMAIL]"),
    ("postcode e8 1hl", "postcode [POSTCODE]"),
    ("ni ab 12 34 56 c", "ni [NI_NUMBER]"),
    ("NINO JC445566D", "NINO [NI_NUMBER]"),
    ("nhs no 943 476 5919", "nhs no [NHS_NUMBER]"),
    ("9434765919", "[NHS_NUMBER]"),
    ("dob 12/03/1958", "dob [DOB]"),
    ("DOB 03.03.58", "DOB [DOB]"),
    ("born 3 March 1958", "born [DOB]"),
    ("d.o.b. 1/9/1990", "d.o.b. [DOB]"),
    ("lives at 12 Mare Street", "lives at [ADDRESS]"),
    ("Flat 3, 45 High Road", "[ADDRESS]"),
    ("flat 12 Bradwell House", "[ADDRESS]"),
    ("lady called maria", "lady called [NAME]"),
    ("Mr Patel's landlord", "Mr [NAME]'s landlord"),
    ("my client Sarah Jones", "my client [NAME]"),
    ("her son Jamal is 15", "her son [NAME] is 15"),
    ("his name is tomasz nowak", "his name is [NAME]"),
    ("spoke to Grace Osei", "spoke to [NAME]"),
    ("client Rose Green needs help", "client [NAME] needs help"),
    ("73 Downs Park Road", "[ADDRESS]"),
    # gaps found in review (#17): references, bank details, ISO dates, unissued NI prefixes,
    # a person's own address at an organisation
    ("case ref HAC-2026-44812, claim ref 6666555329", "case ref [REFERENCE], claim ref [REFERENCE]"),
    ("GB123456A is on the letter", "[NI_NUMBER] is on the letter"),
    ("ni qq 12 34 56 c", "ni [NI_NUMBER]"),
    ("dob 1985-03-12", "dob [DOB]"),
    ("sort code 12-34-56 account 12345678", "sort code [BANK] account [BANK]"),
    ("passport number 123456789", "passport number [REFERENCE]"),
    ("her BRP is ZU1234567", "her BRP is [REFERENCE]"),
    ("home office ref B1234567", "home office ref [REFERENCE]"),
    ("council tax account 4645758386 shows arrears", "council tax account [REFERENCE] shows arrears"),
    ("UC claim number 123456789", "UC claim number [REFERENCE]"),
    ("tenancy ref 00451239", "tenancy ref [REFERENCE]"),
    ("email jane.doe@hackney.gov.uk", "email [EMAIL]"),
    ("send to safeguarding.adults@hackney.gov.uk", "send to safeguarding.adults@hackney.gov.uk"),
    ("mash@newham.gov.uk", "mash@newham.gov.uk"),
])
def test_each_type_is_replaced_by_its_placeholder(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "section 21 notice dated 1 May 2026",
    "rent is £1,450 pcm and HB only covers £1,100",
    "called back, no answer",
    "she called the police last night",
    "her son is autistic and wont leave the house",
    "he sleeps in the doorway on Mare Street",
    "he's in E2 somewhere",
    "she walks 2 days a week to the food bank on Ridley Road",
    "called Citizens Advice Newham and Refuge",
    "Universal Credit, Pension Credit and PIP all stopped",
])
def test_things_that_are_not_identifiers_survive(text):
    assert redact(text).spans == []


def test_nhs_check_digit_decides_without_a_cue_but_not_with_one():
    assert redact_text("9434765919") == "[NHS_NUMBER]"            # valid modulus 11
    assert redact_text("9434765918") == "9434765918"              # invalid, no cue: kept
    assert redact_text("nhs no 9434765918") == "nhs no [NHS_NUMBER]"  # invalid but labelled NHS


def _allowlist_data():
    return yaml.safe_load(ALLOWLIST_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("number", _allowlist_data()["phone_numbers"])
def test_allow_listed_service_numbers_survive(number):
    for text in (f"gave her {number} and Refuge", f"call them on {number}", f"tel: {number}"):
        assert redact_text(text) == text


def test_every_protected_term_survives_after_a_name_cue():
    damaged = []
    for term in _allowlist_data()["protected_terms"]:
        for text in (f"called {term} today", f"my client rang {term}", f"{term} said no"):
            if redact_text(text) != text:
                damaged.append(f"{text!r} -> {redact_text(text)!r}")
    assert not damaged, "protected terms redacted:\n" + "\n".join(damaged)


def _kb_phone_numbers():
    for path in sorted((ROOT / "content").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("items") or []:
            for contact in item.get("contacts") or []:
                if isinstance(contact, dict) and contact.get("kind") == "phone":
                    yield path.name, str(contact.get("value"))


def test_every_knowledge_base_phone_number_is_allow_listed():
    allow = load_allowlist()
    from common.redact import _digits  # the same normalisation the redactor uses

    missing = sorted({f"{name}: {num}" for name, num in _kb_phone_numbers()
                      if _digits(num) not in allow.numbers and not _digits(num).startswith(allow.number_prefixes)})
    assert not missing, ("add these knowledge-base numbers to content/redaction_allowlist.yml "
                         "phone_numbers:\n" + "\n".join(missing))


def test_knowledge_base_numbers_were_found():
    assert len(list(_kb_phone_numbers())) >= 10  # guards the test above against a schema rename


def test_a_trainer_can_allow_list_a_number_in_the_data_file(tmp_path):
    data = _allowlist_data()
    data["phone_numbers"] = list(data["phone_numbers"]) + ["020 7946 0999"]
    path = tmp_path / "allow.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    text = "the hub is on 020 7946 0999"
    assert redact_text(text) == "the hub is on [PHONE]"
    assert redact(text, allowlist=load_allowlist(path)).text == text


def test_international_forms_of_an_allow_listed_number_survive():
    for text in ("hub +44 (0)20 8356 3000", "hub 0044 20 8356 3000", "hub +442083563000"):
        assert redact_text(text) == text


def test_a_malformed_allowlist_reports_every_problem_with_its_line(tmp_path):
    path = tmp_path / "allow.yml"
    path.write_text("phone_numbers: 0808 2000 247\nprotected_terms:\n  - Shelter\n  - [a, b]\nservices: []\n",
                    encoding="utf-8")
    with pytest.raises(AllowlistError) as err:
        load_allowlist(path)
    lines = str(err.value).splitlines()
    assert lines == [
        f"{path}:1: phone_numbers must be a list (hint: one '- item' per line)",
        f"{path}:4: protected_terms entries must be plain text",
        f"{path}:5: unknown key 'services' (hint: one of phone_numbers, keep_number_prefixes, "
        "keep_email_domains, role_email_words, protected_terms, not_names)",
    ]


# ---------------------------------------------------------------- labelled set gate
@pytest.fixture(scope="module")
def labelled():
    return load_labelled(LABELLED)


def test_labelled_set_is_large_and_well_formed(labelled):
    assert len(labelled) >= 200
    assert sum(1 for i in labelled if i.spans) >= 100
    assert sum(1 for i in labelled if not i.spans) >= 80
    assert {t for i in labelled for t, _, _ in i.spans} == set(TYPES)


def test_labelled_set_meets_recall_and_removes_no_protected_term(labelled):
    report = evaluate(labelled)
    missed = "\n".join(f"{m['type']} {m['value']!r} in {m['text']!r}" for m in report["missed"])
    assert report["overall"]["recall"] >= RECALL_TARGET, "missed:\n" + missed
    assert report["protected_removed"] == []
    assert report["overall"]["precision"] >= 0.95, report["spurious"]


def test_redacting_twice_changes_nothing(labelled):
    for item in labelled:
        once = redact_text(item.text)
        assert redact_text(once) == once, item.text


def test_placeholders_are_never_redacted():
    text = " ".join(f"[{t}]" for t in TYPES) + " called [NAME] on [PHONE] at [ADDRESS] [POSTCODE]"
    assert redact(text).spans == [] and redact_text(text) == text


def test_spans_point_into_the_original_text(labelled):
    for item in labelled:
        result = redact(item.text)
        rebuilt, last = [], 0
        for kind, start, end in result.spans:
            assert kind in TYPES and 0 <= last <= start < end <= len(item.text)
            rebuilt += [item.text[last:start], f"[{kind}]"]
            last = end
        assert "".join(rebuilt) + item.text[last:] == result.text


def test_long_input_is_redacted_throughout(labelled):
    text = " ".join(i.text for i in labelled) * 2
    text = (text + " ")[:10_000]
    out = redact_text(text)
    assert "07700 900123" not in out and "943 476 5919" not in out
    assert out.count("[PHONE]") > 20


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏🙏", "👍🏽" * 2000, "\n\n", "😀 07700 900123 😀"])
def test_empty_whitespace_and_emoji_input(text):
    out = redact_text(text)
    assert isinstance(out, str)
    if "07700" in text:
        assert out == "😀 [PHONE] 😀"
    else:
        assert out == text


def test_worker_shorthand_at_the_start_is_not_a_name_but_a_name_after_it_is():
    """'Res cant pay gas' is how workers type: 'Res' (resident) was taken for a name, which
    also hid the word from search. A real name after the shorthand is still removed."""
    from common.redact import redact_text

    assert redact_text("Res cant pay gas UC not come through") == "Res cant pay gas UC not come through"
    assert redact_text("Client wants a food bank") == "Client wants a food bank"
    assert redact_text("Res Mary Smith needs food") == "Res [NAME] needs food"
    assert redact_text("Caller John Brown rang again") == "Caller [NAME] rang again"


def test_held_out_sets_stay_above_their_floor_and_keep_every_service_word():
    """The held-out sets (199 messages, written blind, never read by anyone tuning the rules):
    recall at least 0.98 (0.991 today). No service or organisation name may be removed (all
    of them kept, above the 0.95 asked). Fresh sets from new writers land lower at first
    (0.963, 0.916, 0.915): see the README."""
    from bench.redaction_eval import HOLDOUT_FLOOR, HOLDOUTS

    items = [i for h in HOLDOUTS for i in load_labelled(h)]
    assert len(items) >= 150
    report = evaluate(items)
    assert report["overall"]["recall"] >= HOLDOUT_FLOOR
    assert report["protected_removed"] == []


# ---------------------------------------------------------------- names without the usual cues (2026-12)
@pytest.mark.parametrize("text, expected", [
    # a known given name, any case, no cue, with the surname after it
    ("kwame and his partner abena both lost their jobs", "[NAME] and his partner [NAME] both lost their jobs"),
    ("spoke to shahida khatun re PIP", "spoke to [NAME] re PIP"),
    ("Hodan needs help with the gas", "[NAME] needs help with the gas"),
    # lists of children after a cue
    ("kids are amira, yusuf and zain", "kids are [NAME], [NAME] and [NAME]"),
    ("kids: Oliwia 7, Zuzanna 4", "kids: [NAME] 7, [NAME] 4"),
    ("kids are nimo, salman and hawo", "kids are [NAME], [NAME] and [NAME]"),
    # a person word, then is/was; ordinary words that are names after a cue
    ("mum is Luana, dad is Thiago", "mum is [NAME], dad is [NAME]"),
    ("her son Will does her shopping", "her son [NAME] does her shopping"),
    ("Grace needs a food parcel", "[NAME] needs a food parcel"),
    # particles, initials, ages, subjects of a sentence
    ("client Maria de Souza works nights", "client [NAME] works nights"),
    ("Mrs van der Berg's son", "Mrs [NAME]'s son"),
    ("mrs tran thi lan needs help", "mrs [NAME] needs help"),
    ("J. Okafor from flat 9 rang", "[NAME] from flat 9 rang"),
    ("emeka, 45, rough sleeping", "[NAME], 45, rough sleeping"),
    ("Przemek lost his job", "[NAME] lost his job"),
    ("neighbour florica keeps shouting", "neighbour [NAME] keeps shouting"),
    ("a lady named fatma came in", "a lady named [NAME] came in"),
])
def test_names_without_the_usual_cues(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "will call back tomorrow, hope she is ok",
    "Will ring back later",
    "Grace period on the rent",
    "kids are cold and hungry",
    "kids are sick, tired and hungry",
    "children: infant feeding and parenting",
    "on a partner visa",
    "the named account holder",
    "with named suppliers excluded",
    "food bank at St Mary's church",
    "Queen Elizabeth Hospital",
    "EPC rating D to G. Low-income homes",
    "Nursery lost her form",
    "mum is polish and dad is nigerian",
    "neighbour upstairs keeps banging",
    "Marie Curie and Macmillan both do grants",
    "Modern Slavery & Exploitation Helpline",
])
def test_ordinary_words_and_services_are_not_taken_for_names(text):
    assert redact(text).spans == []


# ---------------------------------------------------------------- shapes from the holdout4 review (2026-12)
@pytest.mark.parametrize("text, expected", [
    # references: share codes, account numbers, scheme prefixes, register and police refs
    ("share code W7X 9KP 4RT for right to rent", "share code [REFERENCE] for right to rent"),
    ("council tax acct no 601948372", "council tax acct no [REFERENCE]"),
    ("a/c 55012345 in arrears", "a/c [BANK] in arrears"),
    ("claim ref HB 4471902", "claim ref [REFERENCE]"),
    ("housing reg number HR-773310", "housing reg number [REFERENCE]"),
    ("police ref CAD 4471/03DEC", "police ref [REFERENCE]"),
    ("case no AB12CD34 closed", "case no [REFERENCE] closed"),
    # sort codes after shorthand cues
    ("acc 10293847 sc 09-01-28", "acc [BANK] sc [BANK]"),
    ("sort 60-83-71", "sort [BANK]"),
    # an address with the flat after the street
    ("she's at 88 Stoke Newington High Street flat b now", "she's at [ADDRESS] now"),
    # names
    ("Will Thompson, dob 3rd of May 1988", "[NAME], dob [DOB]"),
    ("Olumide and Funmilayo Adebisi, joint tenants", "[NAME] and [NAME], joint tenants"),
    ("mum (Tanya) wants to complain", "mum ([NAME]) wants to complain"),
    ("jamal's mum rang again", "[NAME]'s mum rang again"),
    ("tenant name Sinead Murphy", "tenant name [NAME]"),
])
def test_holdout4_shapes_are_redacted(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "gas meter no 7Y8K-2213 showing error",
    "see https://education.hackney.gov.uk/node/3470",
    "statutory noise-nuisance-epa-1990 guidance",
    "sort them 12-34-56",
    "tenant v scared",
    "help with the Windrush Compensation Scheme",
    "Dalston CLR James and Homerton library",
    "Serious Crime Act 2015 s75A",
    "mum (see notes) wants a call back",
    "the council's son was rude",
    "Tower Hamlets and Newham",
])
def test_holdout4_lookalikes_survive(text):
    assert redact(text).spans == []


@pytest.mark.parametrize("text, kept", [
    ("Skills, Economy and Growth Scrutiny Commission", "Economy"),  # a list of titles, not a shared surname
    ("Seaside & Country Homes for over 60s", "Seaside"),
])
def test_a_capitalised_word_before_and_is_not_always_a_first_name(text, kept):
    assert kept in redact_text(text)


def test_a_given_name_in_a_protected_term_is_still_a_name_elsewhere():
    assert redact_text("Dalston CLR James library") == "Dalston CLR James library"
    assert redact_text("spoke to James Okoro") == "spoke to [NAME]"


# ---------------------------------------------------------------- shapes from the holdout5 review (2026-12)
@pytest.mark.parametrize("text, expected", [
    # dictated dates, numbers and addresses
    ("dob twenty first of january nineteen eighty two", "dob [DOB]"),
    ("born on the third of May two thousand and four", "born on the [DOB]"),
    ("Date of birth the twelfth of March nineteen fifty nine.", "Date of birth the [DOB]."),
    ("his nhs no is four zero one, two three four, five six seven eight", "his nhs no is [NHS_NUMBER]"),
    ("mob oh seven seven double oh nine zero zero one two three", "mob [PHONE]"),
    ("Lives at forty two Rushmore Road now", "Lives at [ADDRESS] now"),
    # addresses: a floor before the number, the area after a named building, a flat beside a postcode
    ("lives 2nd floor 30 Downs Park Road - lift ok", "lives [ADDRESS] - lift ok"),
    ("Flat 4, Tower Court, Clapton Common — arrears", "[ADDRESS] — arrears"),
    ("pc E9 7HD flat 31, lift broken", "pc [POSTCODE] [ADDRESS], lift broken"),
    # bank details and references
    ("sort 309634 acc 01238845", "sort [BANK] acc [BANK]"),
    ("SC 60-83-71, AC 20419963", "SC [BANK], AC [BANK]"),
    ("Met said CAD 4417/03DEC.", "Met said [REFERENCE]."),
    ("complaint COMP/2025/0412 still open", "complaint [REFERENCE] still open"),
    ("share code for Mr Tesfaye (dob 1/1/1990): HX9 4T2 7KP", "share code for Mr [NAME] (dob [DOB]): [REFERENCE]"),
    # names
    ("client Omar al-Farouq was taken in", "client [NAME] was taken in"),
    ("mum Aisha bint Salim, dad absent", "mum [NAME], dad absent"),
    ("mariana dos santos, brazilian", "[NAME], brazilian"),
    ("her name is 'Rose Marie' on the form", "her name is '[NAME]' on the form"),
    ("send Kerry-Ann a reminder", "send [NAME] a reminder"),
    ("PA is Jordan from leaving care", "PA is [NAME] from leaving care"),
    ("fwd from Jamal: client wants a call", "fwd from [NAME]: client wants a call"),
    ("grace rang again about the boiler", "[NAME] rang again about the boiler"),
    ("patience (the client from yesterday) is on hold", "[NAME] (the client from yesterday) is on hold"),
    ("Joy and Precious (twins, 8) are not in school", "[NAME] and [NAME] (twins, 8) are not in school"),
    ("his name was Mr Hope? or Hopes.", "his name was Mr [NAME]? or [NAME]."),
    ("Mr Józef Zieliński (J.Z.), reports noise", "Mr [NAME] ([NAME]), reports noise"),
    ("user Baker needs help - name is Summer Baker", "user [NAME] needs help - name is [NAME]"),
])
def test_holdout5_shapes_are_redacted(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "year 6 at Sir John Cass school",
    "no its Star primary",
    "school Mandeville Primary",
    "Salvation Army involved",
    "What's Helen's Law?",
    "customer read out the letter",
    "she writes surname first",
    "the Border Security Act",
    "lives at one way street",
    "appointment on the twenty first of May two thousand twenty five",
    "the AC 2 units are broken",
    "sort them 309634",
    "called 'Best Start in Life'",
    "a dedicated SEND Information service",
])
def test_holdout5_lookalikes_survive(text):
    assert redact(text).spans == []


# ---------------------------------------------------------------- shapes from the holdout6 review (2026-12)
@pytest.mark.parametrize("text, expected", [
    # names after job titles, in brackets after a pronoun, after "ring back", "patient", "name as"
    ("DC Pearce from Forest Gate asked for her number", "DC [NAME] from Forest Gate asked for her number"),
    ("my manager Philippa says no", "my manager [NAME] says no"),
    ("rewrite: 'I told him (Desmond) the form is late'", "rewrite: 'I told him ([NAME]) the form is late'"),
    ("call back Marguerite re the form", "call back [NAME] re the form"),
    ("patient Rosalind, discharged today", "patient [NAME], discharged today"),
    ("gave his name as only 'Teo' and hung up", "gave his name as only '[NAME]' and hung up"),
    ("tenant is 'Sparky' on the estate", "tenant is '[NAME]' on the estate"),
    ("Note: Desmond from flat 2 rang", "Note: [NAME] from flat 2 rang"),
    ("custmer nme is petra novak", "custmer nme is [NAME]"),
    # neighbours of a found name: nickname then surname, another spelling, a phone in brackets, the first name again
    ("client Bartholomew (Bart) Quaye needs a call", "client [NAME] ([NAME]) [NAME] needs a call"),
    ("it's Mrs Ilona Kowal or Kowalik", "it's Mrs [NAME] or [NAME]"),
    ("chase Philippa (07700 900 555) about rent", "chase [NAME] ([PHONE]) about rent"),
    ("tenant - Winifred Parkes - but Winifred forgets", "tenant - [NAME] - but [NAME] forgets"),
    ("yusuf ali nino JB482917C", "[NAME] nino [NI_NUMBER]"),
    # spelt out names and emails
    ("surname spelt O-K-O-R-O", "surname spelt [NAME]"),
    ("name is tunde bello, that's b e l l o", "name is [NAME], that's [NAME]"),
    ("it's Molly, M O double L Y, ok", "it's [NAME], [NAME], ok"),
    ("email is t-u-n-d-e dot b at gmail dot com", "email is [EMAIL]"),
    # notes in capitals, tables, dates and addresses in other shapes
    ("KEMI ADEYEMI DOB 04 MAY 1970 NEEDS HELP", "[NAME] DOB [DOB] NEEDS HELP"),
    ("Name | DOB | Case ref\nTom Reid | 01/02/1980 | HX-22019", "Name | DOB | Case ref\n[NAME] | [DOB] | [REFERENCE]"),
    ("dob 3 11 1961", "dob [DOB]"),
    ("DOB: 02-JAN-1966", "DOB: [DOB]"),
    ("flat 2 / 14 mare st", "[ADDRESS]"),
    ("UC ref UC 6612 0039 11 - is that right", "UC ref UC [REFERENCE] - is that right"),
    ("boy at the centre - 'Jaylen' - 14, no surname", "boy at the centre - '[NAME]' - 14, no surname"),
    ("claim number on the letter is 88-XQ-10442 and", "claim number on the letter is [REFERENCE] and"),
    ("she read it out as 6 1 0 2 9 3 7 7 4", "she read it out as [REFERENCE]"),
    ("dob is the 9th of the 11th 71", "dob is the [DOB]"),
])
def test_holdout6_shapes_are_redacted(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "Customer ID on Capita is different",
    "refer to Newham Youth Justice service",
    "the Tenancy Sustainment team",
    "email Sanctuary about repairs",
    "nino and dob needed",
    "Warm Homes: Local Grant",
    "the A-Z of services",
    "plan A B C",
    "find us at the hub",
    "Column | Value\nrent | 120",
    "see the MoJ fact sheet",
    "PC World sells laptops",
    "steps 1 2 3 4 of the form",
    "meeting on the 2nd of the 7th 25",
    "the 'Warm Homes' - 12 months",
])
def test_holdout6_lookalikes_survive(text):
    assert redact(text).spans == []


@pytest.mark.parametrize("text", [
    "res housebound no internet needs shopping",
    "looks after her mum full time, is there money for that",
    "res sofa surfing in Hackney, needs housing advice",
    "son wants frozen meals delivered for his dad, happy to pay",
])
def test_an_english_word_typed_in_lower_case_after_a_person_word_is_kept(text):
    # words of the knowledge base's own prose are words, not names (they reach the search intact)
    assert redact_text(text) == text


@pytest.mark.parametrize("text, redacted", [
    ("res sarah wisniewska rang", "res [NAME] rang"),       # a given name in lower case is still a name
    ("her mum fatima is ill", "her mum [NAME] is ill"),
    ("tenant mr green rang", "tenant mr [NAME] rang"),       # a surname that is also a word, after a title
    ("Mrs Begum rang about Pension Credit", "Mrs [NAME] rang about Pension Credit"),
])
def test_names_after_a_person_word_are_still_redacted(text, redacted):
    assert redact_text(text) == redacted


def test_content_words_leave_out_given_names_and_web_addresses(tmp_path):
    from common.redact import content_words

    (tmp_path / "guidance").mkdir()
    (tmp_path / "guidance" / "a.yml").write_text(
        "summary: a grace period for the housebound; see https://example.org/jonesy or ask amira.k@example.org\n",
        encoding="utf-8")
    words = content_words(tmp_path)
    assert "housebound" in words and "period" in words
    assert not {"grace", "jonesy", "amira"} & words
