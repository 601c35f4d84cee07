"""Redact resident identifiers from a worker's message before anything stores it.

``redact(text)`` returns the text with each identifier replaced by a typed
placeholder (``[PHONE]``, ``[EMAIL]``, ``[POSTCODE]``, ``[NI_NUMBER]``,
``[NHS_NUMBER]``, ``[DOB]``, ``[ADDRESS]``, ``[NAME]``) and the spans found, as
``(type, start, end)`` offsets into the ORIGINAL text. ``redact_text(text)`` returns
only the text. Redacting twice changes nothing; placeholders are never redacted.

What must survive (public service numbers, organisation, place and benefit names,
words that are never names) lives in ``content/redaction_allowlist.yml``, which
trainers edit.

Why hand-written patterns and not a library: this module runs in BOTH the Rasa
environment (Python 3.10, pydantic 1, only stdlib + Rasa's own packages) and the
app environment (Python 3.11). Microsoft Presidio (presidio-analyzer 2.2.x) needs
Python >= 3.11, pydantic 2, spaCy plus a spaCy model that is downloaded separately,
and tldextract (which fetches the public-suffix list at run time), so it cannot run
offline in the Rasa environment. ``phonenumbers`` is not installed there either.
UK identifiers have simple, published shapes (NI prefixes, NHS modulus 11,
postcodes, UK dialling plan), so stdlib regular expressions cover them; names are
found from the words around them (called, Mr, my client, her son, ...), which a
general NER model would also get wrong on hurried lower-case typing.

Stdlib + PyYAML only (PyYAML is present in both environments). The allow-list is
read once per process: restart Rasa and the front door after editing it.

Names are also found without a cue from a hand-kept lexicon of given names common in
east London (``_FIRST_NAMES``, any case), lists after "kids are", an age after a word
("emeka, 45"), initials ("J. Okafor") and a person as a sentence's subject.

Known limits (see ``python -m bench.redaction_eval``): a lone first name that is not
in the lexicon, with no cue, mid-sentence in lower case; names that are also
ordinary words without a cue; and organisation landlines that are not on the
allow-list (they are redacted: the safe side).
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

import yaml

from .paths import CONTENT_DIR

ALLOWLIST_PATH = CONTENT_DIR / "redaction_allowlist.yml"

TYPES = ("EMAIL", "BANK", "REFERENCE", "NI_NUMBER", "NHS_NUMBER", "PHONE", "POSTCODE", "DOB", "ADDRESS", "NAME")
_PRIORITY = {t: i for i, t in enumerate(TYPES)}  # earlier wins an overlap
_PLACEHOLDER_RE = re.compile(r"\[(?:%s)\]" % "|".join(TYPES))

Span = Tuple[str, int, int]


class RedactionResult(NamedTuple):
    text: str
    spans: List[Span]


class Allowlist(NamedTuple):
    numbers: FrozenSet[str]
    number_prefixes: Tuple[str, ...]
    email_domains: Tuple[str, ...]
    terms_re: Optional["re.Pattern[str]"]
    term_words: FrozenSet[str]
    not_names: FrozenSet[str]
    role_email_words: FrozenSet[str] = frozenset()
    # lower-case words of the knowledge base's own prose (see ``content_words``): typed in lower
    # case after a word for a person they are words, not names ("res housebound", "her mum full time")
    content_words: FrozenSet[str] = frozenset()


class AllowlistError(ValueError):
    """``redaction_allowlist.yml`` is malformed; the message lists every problem."""


_ALLOWLIST_KEYS = ("phone_numbers", "keep_number_prefixes", "keep_email_domains", "role_email_words",
                   "protected_terms", "not_names")


def _digits(s: str) -> str:
    """A phone number as national digits: "+44 (0)20 7946 0018" -> "02079460018"."""
    d = re.sub(r"\D", "", s)
    if d.startswith("0044"):
        d = "0" + d[4:].lstrip("0")
    elif d.startswith("44") and s.lstrip().startswith("+"):
        d = "0" + d[2:].lstrip("0")
    return d


def _check_allowlist(path: Path, text: str) -> dict:
    """The parsed file, or AllowlistError listing every problem as ``file:line: message``."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise AllowlistError(f"{path}: not valid YAML: {exc}") from None
    if root is None:
        return {}
    problems = []
    if not isinstance(root, yaml.MappingNode):
        raise AllowlistError(f"{path}:1: expected a mapping of {', '.join(_ALLOWLIST_KEYS)}")
    for key, value in root.value:
        where = f"{path}:{key.start_mark.line + 1}"
        if key.value not in _ALLOWLIST_KEYS:
            problems.append(f"{where}: unknown key {key.value!r} (hint: one of {', '.join(_ALLOWLIST_KEYS)})")
        elif key.value == "not_names":
            if not isinstance(value, yaml.ScalarNode):
                problems.append(f"{where}: not_names must be one block of space-separated words")
        elif not isinstance(value, yaml.SequenceNode):
            problems.append(f"{where}: {key.value} must be a list (hint: one '- item' per line)")
        else:
            problems += [f"{path}:{v.start_mark.line + 1}: {key.value} entries must be plain text"
                         for v in value.value if not isinstance(v, yaml.ScalarNode) or not v.value.strip()]
    if problems:
        raise AllowlistError("\n".join(problems))
    return yaml.safe_load(text) or {}


# the trainers' prose: what they write in lower case is English, never a resident's name
PROSE_DIRS = ("guidance", "services", "refreshers", "flows")
_LINK = re.compile(r"\S*(?:://|@|www\.)\S*")  # web addresses and emails may hold a person's name
_LOWER_WORD = re.compile(r"(?<![\w'’\-])[a-z][a-z]+(?![\w'’\-])")


def content_words(content_dir: Path = CONTENT_DIR) -> FrozenSet[str]:
    """Every lower-case word of the knowledge base's prose (items, services, refreshers and
    guides, read as text: no schema needed in Rasa's environment), less the given names of the
    lexicon ("grace period", "will", "may" stay names when a cue and a capital say so)."""
    words = set()
    for sub in PROSE_DIRS:
        for f in sorted((Path(content_dir) / sub).glob("*.yml")):
            words.update(_LOWER_WORD.findall(_LINK.sub(" ", f.read_text(encoding="utf-8"))))
    return frozenset(w for w in words if w not in _FIRST_NAMES and w not in _WORD_NAMES)


@lru_cache(maxsize=4)
def load_allowlist(path: Path = ALLOWLIST_PATH, content_dir: Optional[Path] = CONTENT_DIR) -> Allowlist:
    data = _check_allowlist(Path(path), Path(path).read_text(encoding="utf-8"))
    terms = sorted({str(t).strip() for t in data.get("protected_terms") or [] if str(t).strip()},
                   key=len, reverse=True)
    terms_re = (re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(re.escape(t) for t in terms), re.I)
                if terms else None)
    # a given name inside a protected term ("CLR James" library) protects the term where it
    # appears; it does not stop "James" being a name everywhere else
    words = {w.lower() for t in terms for w in re.findall(r"[^\W\d_]+", t)
             if len(w) > 1 and _fold(w) not in _FIRST_NAMES}
    return Allowlist(
        numbers=frozenset(_digits(str(n)) for n in data.get("phone_numbers") or []),
        number_prefixes=tuple(str(p) for p in data.get("keep_number_prefixes") or []),
        email_domains=tuple(str(d).lower().lstrip("@.") for d in data.get("keep_email_domains") or []),
        terms_re=terms_re,
        term_words=frozenset(words),
        not_names=frozenset(str(data.get("not_names") or "").lower().split()),
        role_email_words=frozenset(str(w).lower() for w in data.get("role_email_words") or []),
        content_words=content_words(content_dir) if content_dir is not None else frozenset(),
    )


# ---------------------------------------------------------------- patterns
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# NI-shaped: two letters, six digits, A-D. Prefixes never issued (GB, ZZ, D or Q first ...)
# are redacted too: a typo or a made-up example next to a real name still identifies.
_NI = re.compile(r"(?<![\w])[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D](?![\w])", re.I)
# bank details: a sort code or an account number after its cue
_SORT_CODE = re.compile(r"\b(?:sort\s*code|s/c)\s*(?:is)?\s*[:\-]?\s*(\d{2}[ -]?\d{2}[ -]?\d{2})(?![\w])"
                        # shorthand cues ("sort 60-83-71", "sc 09-01-28"): only the hyphenated NN-NN-NN shape
                        r"|\b(?:sort|sc)\s*(?:is)?\s*[:\-]?\s*(\d{2}-\d{2}-\d{2})(?![\w])(?!-\d)", re.I)
# "sort 309634 acc 01238845": six plain digits after the shorthand, only beside an account number
_SORT_PLAIN = re.compile(r"\b(?:sort|sc)\s*[:\-]?\s*(\d{6})(?![\w])(?=[ \t,;/]*(?:and[ \t]+)?"
                         r"(?:bank\s+)?(?:account|acct|acc|a/c|ac)\b)", re.I)
_ACCOUNT = re.compile(r"\b(?:bank\s+)?(?:account|acct|acc|a/c|ac)\s*(?:no|number|num)?\.?\s*(?:is)?\s*[:#]?\s*"
                      r"(\d{4}[ -]?\d{4})(?![\w])(?![ -]\d)", re.I)
# references that identify a person: passport, BRP (two letters, seven digits), Home Office,
# UC, council tax, housing and case references: a token with 5+ digits after its cue
_BRP = re.compile(r"(?<![\w])[A-Z]{2}\d{7}(?![\w])", re.I)
_REF = re.compile(r"\b(?:passport|brp|home\s+office|ho|ukvi|uan|ref(?:erence)?|claim|case|customer|tenancy|complaint|"
                  r"rent|council\s+tax|ctax|ct|uc|housing|application|booking|account|acct|acc|a/c)"
                  r"\s*(?:reg(?:ister|istration)?\s*)?(?:ref(?:erence)?|no|number|num|id)?\.?\s*(?:is)?\s*[:#]?\s*"
                  # an upper-case scheme prefix before the number: "HB 4471902", "CAD 4471/03DEC"
                  r"((?:(?!(?:UC|CT|HO)[ ])(?-i:[A-Z]{1,4})[ ](?=\d))?[A-Z0-9][A-Z0-9/\-]*\d[A-Z0-9/\-]*(?:[ ]\d+)*)(?![\w])", re.I)
# any letters-and-digits token of 6+ characters after a word that announces a number
# ("housing reg number HR-773310", "claim no AB12CD34"): letters AND digits, so a phone stays a phone
_CUED_CODE = re.compile(r"(?<![\w/.\-])(?P<cue>ref(?:erence)?|number|no|num|claim|case|id)\b\.?"
                        # "reference number on her letter is 3000-HRA-54123-KN"
                        r"(?:[ \t]+(?:on|in|from)[ \t]+(?:the|her|his|their|my|your)[ \t]+[a-z]+)?"
                        r"(?:[ \t]+is)?(?:[ \t]*[:#][ \t]*|[ \t]+)"
                        r"((?=[A-Z0-9/\-]*[A-Z])(?=(?:[A-Z/\-]*\d){2})[A-Z0-9][A-Z0-9/\-]{4,18}[A-Z0-9])(?![\w/.@])", re.I)
# a number for a thing, not a person ("gas meter no 7Y8K-2213", "serial number", "model no")
_THING_BEFORE_CUE = re.compile(r"\b(?:meter|serial|model|part|product|item|flight|train|bus|route|vehicle|"
                               r"reg(?:istration)?\s+plate|form|section|page|room|policy\s+wording)[ \t]*$", re.I)
# eVisa / right-to-work share codes: three groups of three letters or digits after "share code"
_SHARE_CODE = re.compile(r"\bshare\s*code\s*(?:is)?\s*[:\-]?\s*"
                         r"((?=[A-Z0-9 \-]*\d)[A-Z0-9]{3}[ \-]?[A-Z0-9]{3}[ \-]?[A-Z0-9]{3})(?![\w])", re.I)
# a police incident number: CAD, the log number, then the day and month ("CAD 4417/03DEC")
_CAD = re.compile(r"(?<![\w/])(?:CAD[ \t]*(?:no\.?|number|ref)?[ \t]*[:#]?[ \t]*)?\d{2,5}/\d{1,2}[ \t]?(?:%s)(?![\w/])"
                  % "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.I)
# a scheme prefix, a year and a serial, with no cue: "COMP/2025/0412", "NRM/2025/008812"
_SCHEME_YEAR_REF = re.compile(r"(?<![\w/\-])[A-Z]{2,6}[/\-](?:19|20)\d{2}[/\-]\d{3,8}(?![\w/\-])")
# a share code read out away from its cue ("share code for Mr X (dob ...): HX9 4T2 7KP"): three
# upper-case groups of three, letters and digits mixed, in a message that speaks of share codes
_SHARE_CODE_SHAPE = re.compile(r"(?<![\w\-])((?=[A-Z0-9 \-]*\d)(?=[A-Z0-9 \-]*[A-Z])[A-Z0-9]{3}[ \-][A-Z0-9]{3}[ \-][A-Z0-9]{3})(?![\w\-])")
_SHARE_CONTEXT = re.compile(r"\b(?:share\s*code|e-?visa|right\s+to\s+(?:rent|work))\b", re.I)
_TEN_DIGITS = re.compile(r"(?<![\w+])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w])")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?\(?|\(0(?=\d{2,4}\))|0)[1-9](?:[\s\-.)]{0,2}\d){8,9}(?!\d)")
# a local number without the area code ("8985 1234"): only after a cue such as "tel"
_SHORT_PHONE = re.compile(r"(?<![\w+])(?<!\d[ -])\d{3,4}[ -]?\d{4}(?![\w])(?![ -]\d)")
_PHONE_CUE = re.compile(r"(?:\b(?:tel|mob|mobile|phone|number|no|num|contact|call|ring|text|landline|on)"
                        r"\b\.?:?\s*(?:is|on)?\s*)$", re.I)
_DIGIT_WORD = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
               "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_SPOKEN_DIGITS = re.compile(
    r"(?<![\w])(?:(?:double|triple|treble)[ \t]+)?(?:zero|oh|nought|one|two|three|four|five|six|seven|eight|nine)"
    r"(?:[ \t]*,?[ \t]+(?:(?:double|triple|treble)[ \t]+)?(?:zero|oh|o|nought|one|two|three|four|five|six|seven|"
    r"eight|nine)){7,12}(?![\w])", re.I)
_READ_OUT_DIGITS = re.compile(r"(?<![\w.,/])\d(?:[ ]\d){7,12}(?![\w.,/]?\d)")
_NHS_CUE = re.compile(r"\bnhs\b[^\n]{0,15}$", re.I)
_POSTCODE = re.compile(r"(?<![\w])([A-Z]{1,2}\d[A-Z\d]?) ?(\d[ABD-HJLNP-UW-Z]{2})(?![\w])", re.I)
_NOT_INWARD = {"st", "nd", "rd", "th", "am", "pm"}

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE = re.compile(
    r"(?<![\w/.])(?:"
    r"(?P<d1>\d{1,2})[/.\-](?P<m1>\d{1,2})[/.\-](?P<y1>\d{4}|\d{2})"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?:\s+(?:of\s+)?|-)(?P<m2>%s)\.?(?:,?\s+|-)(?P<y2>\d{4}|'?\d{2})"
    r"|(?P<m3>%s)\.?\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4})"
    r"|(?P<y4>\d{4})(?P<sep>[-/.])(?P<m4>\d{1,2})(?P=sep)(?P<d4>\d{1,2})"
    r")(?![\w/])" % (_MONTHS, _MONTHS), re.I)
# "dob 19610312": eight digits read as a date only right after a birth cue
_COMPACT_DATE = re.compile(r"(?<![\w/.])(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?![\w/])")
_DOB_CUE = re.compile(r"(?:\b(?:dob|d\.o\.b|date of birth|born|birthday|bday|b\.day)\b\.?"
                      r"(?:\s+(?:is|was|on|in))?\s*[:\-]?\s*(?:the\s+)?)$", re.I)
# dictated dates: "twenty first of january nineteen eighty two", "the 3rd of May nineteen fifty"
_ORDINAL_WORDS = (r"(?:(?:twenty|thirty)[ \-])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
                  r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
                  r"nineteenth|twentieth|thirtieth|thirty[ \-]first")
_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_TEENS = r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_SPOKEN_YEAR = (r"(?:nineteen|twenty)[ \-]+(?:(?:%s)(?:[ \-]+(?:%s))?|%s|(?:oh|o|zero)[ \-]+(?:%s))"
                r"|two[ \-]+thousand(?:[ \-]+(?:and[ \-]+)?(?:(?:%s)(?:[ \-]+(?:%s))?|%s|%s))?"
                % (_TENS, _UNITS, _TEENS, _UNITS, _TENS, _UNITS, _TEENS, _UNITS))
_SPOKEN_DATE = re.compile(
    r"(?<![\w])(?:(?:%s|\d{1,2}(?:st|nd|rd|th)?)[ \t]+(?:of[ \t]+)?(?:%s)|(?:%s)[ \t]+(?:the[ \t]+)?(?:%s))"
    r",?[ \t]+(?:%s)(?![\w])" % (_ORDINAL_WORDS, _MONTHS, _MONTHS, _ORDINAL_WORDS, _SPOKEN_YEAR), re.I)
_EVENT_CUE = re.compile(r"\b(?:dated|date[ds]?|notice|letter|served|sent|since|from|until|till|by|"
                        r"before|after|expires?|expiry|deadline|hearing|appointment|appt|court|moved|"
                        r"started|start|ends?|ending|due|paid|payment|arrived|issued|received|on)\b"
                        r"[^\n.]{0,20}$", re.I)

_STREET_TYPES = (r"street|st|road|rd|lane|ln|avenue|ave|close|cl|court|ct|gardens|gdns|grove|gr|"
                 r"place|pl|way|terrace|ter|crescent|cres|drive|dr|square|sq|walk|hill|row|mews|"
                 r"park|green|parade|rise|estate|house|tower|lodge|mansions|buildings|point|yard|"
                 r"passage|broadway|villas|wharf|quay|end")
_ADDR_WORD = r"[^\W\d_][\w'’\-]*"
_ADDRESS = re.compile(
    r"(?<![\w£$€.])(?:(?:flat|flt|apt|apartment|unit|room|rm)\.?\s*\d+[a-z]?\b[ \t]*[,/]?\s*"
    r"(?:(?:%s)\s+){0,3}?(?:(?:%s)\b,?\s*)?)?"
    r"\d{1,4}[a-z]?(?:-\d{1,4}[a-z]?)?,?\s+(?P<words>(?:%s\s+){1,3}?)(?:%s)\b\.?"
    % (_ADDR_WORD, _STREET_TYPES, _ADDR_WORD, _STREET_TYPES), re.I)
_FLAT_BUILDING = re.compile(
    r"(?<![\w])(?:flat|flt|apt|apartment)\.?\s*\d+[a-z]?\b,?\s+(?:of\s+)?(?P<words>(?:%s\s+){1,3}?)"
    r"(?:house|court|tower|lodge|mansions|buildings|point|estate)\b" % _ADDR_WORD, re.I)
# a house number said in words, in a dictated note: "forty two Rushmore Road" (lower-case number,
# Capitalised street, so "Three Mills Lane" and "one way street" are not taken)
_SPOKEN_NUMBER = r"(?-i:(?:(?:%s)(?:[ \-](?:%s))?|%s|%s|a[ ]hundred(?:[ ]and[ ][a-z]+(?:[ \-][a-z]+)?)?))" % (
    _TENS, _UNITS, _TEENS, _UNITS)
_SPOKEN_ADDRESS = re.compile(
    r"(?<![\w])%s[ \t]+(?P<words>(?:(?-i:[A-Z])[\w'’\-]*[ \t]+){1,3}?)(?-i:(?=[A-Z]))(?:%s)\b\.?"
    % (_SPOKEN_NUMBER, _STREET_TYPES), re.I)
# "2nd floor 30 Downs Park Road", "ground floor, 4 Mare Street": the floor before the house number
_FLOOR_BEFORE = re.compile(r"(?:\b(?:\d{1,2}(?:st|nd|rd|th)|ground|first|second|third|fourth|fifth|top|basement)"
                           r"[ \t]+floor[ \t]*,?[ \t]*)$", re.I)
# "Flat 4, Tower Court, Clapton Common": the street or area line after a flat in a named building
_AREA_AFTER = re.compile(r",[ \t]*(?-i:[A-Z])[\w'’\-]*(?:[ \t]+(?-i:[A-Z])[\w'’\-]*){0,2}(?=[ \t]*(?:[,.;:!?—–\-(]|$))")
# "pc E9 7HD flat 31": a flat number written beside a postcode belongs to that address
_FLAT_NUMBER = re.compile(r"(?<![\w])(?:flat|flt|apt|apartment)\.?[ \t]*\d{1,4}[a-z]?(?![\w'’\-/])", re.I)
_STREET_TYPE_NEXT = re.compile(r"[ \t]+(?:%s)\b\.?" % _STREET_TYPES, re.I)
# "88 Stoke Newington High Street flat b": the flat after the street
_FLAT_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:flat|flt|apt|apartment)\.?[ \t]*(?:\d{1,4}[a-z]?|[a-z])(?![\w'’\-/])", re.I)
_ADDR_STOP = {"on", "in", "at", "the", "to", "of", "for", "and", "from", "near", "by", "off", "a",
              "days", "day", "weeks", "week", "months", "month", "years", "year", "kids", "children",
              "times", "hours", "mins", "minutes", "pounds", "quid", "people", "bed", "bedroom",
              "floor", "storey", "is", "was", "are", "her", "his", "their", "my", "with"}

_NAME_TOKEN = r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*"
_NAME_TOKEN_RE = re.compile(_NAME_TOKEN)
# a Capitalised word without an apostrophe, so "Sandra's" splits into "Sandra" + "'s"
_CAP_WORD_NO_APOS = r"(?=[A-ZÀ-ÖØ-Þ])[^\W\d_](?:[^\W\d_]|-(?=[^\W\d_]))*"
# After these, the next word is a name even in lower case ("lady called maria").
_STRONG_CUE = re.compile(
    r"\b(?:called|calls\s+(?:her|him)self|named|(?:name|nme|nmae)\s+is|name's|name\s+as(?:\s+(?:just|only))?|names\s+are|known\s+as|goes\s+by|"
    r"(?:real|full|first|last|sur|maiden|given)\s?name(?:\s+is)?|name\s*:|aka|"
    r"mr|mrs|ms|miss|mx|dr|mister)\.?\s*[:\-]?\s+", re.I)
# After these, a Capitalised word is a name ("her son Jamal", "spoke with Fatima").
_ROLE_CUE = re.compile(
    # a word for a person, then the name in brackets: "mum (Tanya)", "her partner (Dean)" (first,
    # or the plain "mum " below would win and leave the bracket as the name)
    r"\b(?:client|resident|tenant|caller|son|daughter|husband|wife|partner|boyfriend|girlfriend|ex|mum|"
    r"mother|dad|father|brother|sister|nan|gran|grandson|granddaughter|nephew|niece|aunt|auntie|uncle|cousin|"
    r"neighbour|carer|child|baby|kid|friend|perp|perpetrator|abuser|victim|landlord|landlady)['’]?s?[ \t]*"
    r"\([ \t]*|"
    # "mum is Luana, dad is Thiago", "client is ali": a person word, then is/was (first, or the
    # plain "son " below would win and leave "is" as the name)
    r"(?:\b(?:client|resident|res|cust|customer|tenant|caller|son|daughter|husband|wife|partner|boyfriend|"
    r"girlfriend|ex|mum|mother|dad|father|brother|sister|grandson|granddaughter|nephew|niece|aunt|auntie|"
    r"uncle|cousin|neighbour|carer|baby|friend|perp|perpetrator|abuser|victim|pa|sw|adviser|advisor|"
    r"(?:social|key|support)[ \t]+worker|officer)['’]?s?[ \t]+(?:name[ \t]+)?"
    r"(?:is|was)[ \t]+"
    r"|\b(?:youngest|eldest|oldest|middle[ \t]+one|twins?)[ \t]+(?:is|was|are|called)[ \t]+"
    r"|\b(?:(?:brother|sister|mother|father|son|daughter)[\s-]in[\s-]law|step-?(?:dad|mum|son|daughter)|"
    r"(?:ring|call|phone|text)[ \t]+back|"
    # a job title before a colleague's or a professional's name: "my colleague Bernadette", "PC Hollis"
    r"colleague|manager|supervisor|(?:case|housing|support|family)[ \t]+(?:officer|worker)|officer|"
    r"sergeant|sgt|inspector|constable|detective|councillor|cllr|(?-i:PC|PCSO|DC|DS|DI)|"
    r"nurse|midwife|health[ \t]+visitor|advocate|idva|interpreter|solicitor|patient|"
    r"client|resident|res|cust|customer|tenant|tnt|caller|service\s+user|lady|woman|man|gentleman|girl|boy|"
    r"son|daughter|husband|wife|partner|boyfriend|girlfriend|ex|mum|mother|dad|father|brother|"
    r"sister|nan|nana|gran|granny|grandson|granddaughter|grandmother|grandfather|nephew|niece|"
    r"aunt|auntie|uncle|cousin|neighbour|carer|child|baby|kid|friend|perp|perpetrator|abuser|"
    r"victim|(?:social|key|support)\s+worker|referral\s+for|refer(?:ring)?|ask(?:ed)?\s+for|"
    r"it's|its|this\s+is|i'm|im|i\s+am|spoke\s+(?:to|with)|speaking\s+(?:to|with)|"
    r"talked\s+to|talking\s+to|visited|visiting|met|saw|supporting|helping|name|call|ring|"
    r"phone|text|email|tell|told|ask|asked|thank|remind|contact|contacted|(?-i:[Ss]end)|write\s+to|wrote\s+to|"
    # who a forwarded note is from: "fwd from Jamal: client ..."
    r"(?:fwd|fw|forwarded|message|msg|note|email|text|voicemail)\s+from)\s*[:,\-]?\s+"
    r"|\b(?:she|he|they|her|him|them)\s*\("
    r")", re.I)
# After these, even a lower-case word is taken for a name ("his daughter sophie").
_ROLE_LOWER = re.compile(
    r"(?:\b(?:my|her|his|their|your|our)\s+(?:client|resident|tenant|son|daughter|husband|wife|partner|boyfriend|girlfriend|ex|"
    r"brother|sister|grandson|granddaughter|nephew|niece|neighbour|friend|baby|child|kid|mum|dad|carer)"
    # workers' shorthand for the person on the line, at the start of a note or after a verb of contact
    r"|(?:^|[.;,:\n]\s*|\b(?:spoke\s+(?:to|with)|called|rang|visited|saw|met)\s+)(?:res|cust|customer|client|tenant|tnt|caller))"
    r"\s*[:,\-]?\s+$", re.I)
# "Precious rang again": a Capitalised word opening a sentence, then a verb used of people.
_SENTENCE_NAME = re.compile(
    r"(?:^|(?<=[.!?;:\n])[ \t]*)(%s)(?=[ \t]+(?:rang|rings|phoned|called|calls|said|says|told|asked|"
    r"texted|emailed|came\s+in|popped\s+in|walked\s+in|turned\s+up|and\s+(?:her|his|their)|"
    r"from\s+(?:the|flat|no\.?|number|\d)|(?:is|was)\s+(?:crying|scared|upset|worried|pregnant|homeless|back)|"
    r"has\s+(?:no|been)|hasn't|can't|cant|won't|wont)\b)" % _CAP_WORD_NO_APOS)
_PLURAL = re.compile(r"(?:ers|ents|ants|ours|ors|ies|ists)$", re.I)  # "Lodgers asked to leave"
# "Sandra's son", "Patel's landlord": a capitalised possessive before a person or their things.
_POSSESSIVE_NAME = re.compile(
    r"(?<![\w'’\-\[])(%s)['’]s\s+(?:son|daughter|kids?|children|child|baby|husband|wife|partner|"
    r"boyfriend|girlfriend|ex|mum|mother|dad|father|brother|sister|carer|landlord|neighbour|flat|"
    r"grandson|granddaughter|grandkids|grandchildren|nephew|niece|cousin|aunt|auntie|uncle|friend|family|"
    r"house|home|room|rent|tenancy|benefits?|claim|phone|mobile|number|address|gp|doctor|school)\b"
    % _CAP_WORD_NO_APOS, re.I)
_LOWER_STOP_SUFFIX = re.compile(r"(?:ing|ed|ly|ic|ous|ful|less|able|ive|ness|ment|ist|ism|s)$")
_STRONG_LOWER_STOP = re.compile(r"(?:ing|ly)$")
# names that end like a past tense ("cust mohamed"): the -ed rule above must not drop them
_ED_NAMES = {"mohamed", "mohammed", "muhammed", "mohammad", "ahmed", "hamed", "saeed", "javed", "naveed", "waleed",
             "fareed", "rasheed", "majeed", "hameed", "zaheed", "abed", "mehmed", "fred", "ted", "ned", "jed", "ed"}
# "the named account holder", "with named suppliers": "named" as an adjective, not a cue, unless
# a word for a person comes before it ("a lady named fatma"; see _adjectival_named).
_ADJECTIVAL_CUE = re.compile(r"\b(\w+)\s+named\s+$", re.I)
_CAP_TOKEN = r"(?=[A-ZÀ-ÖØ-Þ])" + _NAME_TOKEN
_PAIR = re.compile(r"(?<![\w'’\-\[])(%s)[ \t]+(%s)(?:[ \t]+(%s))?(?![\w\]])" % ((_CAP_TOKEN,) * 3))
_DIGITS_ONLY = re.compile(r"\D")
_POSS = re.compile(r"['’]s$")
_PARTICLES = {"da", "de", "del", "della", "di", "do", "dos", "das", "van", "von", "der", "den", "al", "el", "bin",
              "binti", "bint", "ibn", "ben", "le", "la", "du", "mac", "ter",
              "thi"}  # Vietnamese middle name for women ("tran thi lan"); "van" is the men's


# Given names common among east London residents (a name wherever it appears, any case):
# the list and its rules are in given_names.txt, beside this file.
_FIRST_NAMES_TEXT = (Path(__file__).with_name("given_names.txt")).read_text(encoding="utf-8")
_FIRST_NAMES = frozenset(w for line in _FIRST_NAMES_TEXT.splitlines()
                         if not line.strip().startswith("#") for w in line.split())
# Given names that are also ordinary English words: a name only when Capitalised in a name
# position (after a cue, "her son Will"; opening a sentence before a verb, "Grace needs ..."),
# never on their own, because "will call back" and "hope she's ok" are everyday typing.
_WORD_NAMES = frozenset("""
  will bill hope grace rose faith joy mark may june april ruby pearl ivy holly jade amber poppy dawn
  summer jack rob pat sue ray don frank drew max miles penny carol sandy dean harry robin precious
  comfort blessing patience mercy charity gift favour promise victory peace wisdom destiny goodness
  sunny dung lan long can jan august bob guy gene""".split())
# Words for people and roles: never a name themselves ("grandson, 9", "kids are twins").
_PERSON_NOUNS = frozenset("""
  client clients resident residents res resi cust customer tenant tnt caller lady woman man gentleman
  girl girls boy boys son sons daughter daughters husband wife partner boyfriend girlfriend ex mum mother
  dad father brother brothers sister sisters nan nana gran granny grandson granddaughter grandmother
  grandfather grandkids grandchildren nephew niece aunt auntie aunty uncle cousin neighbour neighbours
  carer carers child children baby babies kid kids twins toddler teenager teen friend friends perp
  perpetrator abuser victim worker lodger landlady landlord family person people stepdad stepmum
  stepson stepdaughter parent parents student pupil patient infant infants bf gf hubby oh clt su""".split())
# Institutions named after people ("Mary Seacole House", "John Scott Health Centre"): a given
# name followed by one of these is a place or a service, not a resident.
_INSTITUTION_NEXT = re.compile(
    r"(?:[ \t]+(?-i:[A-Z])[\w'’\-]*)?[ \t]+(?:%s|hospital|hospice|centre|center|trust|foundation|school|college|"
    r"academy|ward|unit|clinic|surgery|practice|library|hall|line|fund|project|society|association|"
    r"church|mosque|primary|nursery|institute|university|medical|health|campus|scheme|programme|helpline|"
    r"(?-i:Act))\b"
    r"|['’]s[ \t]+(?-i:Law)\b" % _STREET_TYPES, re.I)  # "Helen's Law", "Clare's Law": a law, not a resident
# ... and so is one after a saint or a royal title ("St Mary's", "Queen Elizabeth Hospital").
# ("Sir John Cass school", "Dame Alice Owen's": a public figure or a place named after one)
_INSTITUTION_BEFORE = re.compile(r"\b(?:st|saint|queen|king|prince|princess|duke|duchess|sir|dame|lord)\.?[ \t]+$",
                                 re.I)
_NOT_AGED = frozenset("flat room floor bus level year section part band stage page step tier zone ward bed unit "
                      "block house number no item box gate door platform route chapter".split())


def _fold(word: str) -> str:
    """Lower case without accents, for the lexicon: "Rūta" -> "ruta", "Mícheál" -> "micheal"."""
    return "".join(c for c in unicodedata.normalize("NFKD", _POSS.sub("", word).lower())
                   if not unicodedata.combining(c))


def _in_lexicon(word: str, allow: "Allowlist") -> bool:
    """A known given name that the allow-list does not claim as a word, service or place."""
    key = _POSS.sub("", word).lower()
    folded = _fold(word)
    if "-" in folded and folded.split("-")[0] in _FIRST_NAMES and all(folded.split("-")):
        folded = folded.split("-")[0]  # "Kerry-Ann", "Mary-Jane": a double-barrelled given name
    return (folded in _FIRST_NAMES and key not in allow.not_names and key not in allow.term_words
            and not (word.isupper() and len(word) > 1))


def _nhs_valid(digits: str) -> bool:
    if len(digits) != 10:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _year(y: str) -> int:
    y = y.lstrip("'")
    if len(y) == 4:
        return int(y)
    this = _dt.date.today().year % 100
    return 2000 + int(y) if int(y) <= this else 1900 + int(y)


def _personal_local_part(local: str, allow: Allowlist) -> bool:
    """"jane.doe" or "j_smith" at an organisation is a person's address; "mash",
    "safeguarding.adults" or "referrals" is a team's (a part in ``role_email_words``)."""
    parts = [p for p in re.split(r"[._\-+]", local.lower()) if p]
    return len(parts) >= 2 and not any(p.rstrip("0123456789") in allow.role_email_words for p in parts)


def _find_numbers(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _EMAIL.finditer(text):
        local, domain = m.group(0).rsplit("@", 1)
        domain = domain.lower()
        kept_domain = any(domain == d or domain.endswith("." + d) for d in allow.email_domains)
        if not kept_domain or _personal_local_part(local, allow):
            out.append(("EMAIL", m.start(), m.end()))
    for rx in (_SORT_CODE, _ACCOUNT):
        for m in rx.finditer(text):
            g = 1 if m.group(1) else 2
            out.append(("BANK", m.start(g), m.end(g)))
    for m in _REF.finditer(text):
        if sum(ch.isdigit() for ch in m.group(1)) >= 5 and not _kept_number(m.group(1), allow):
            out.append(("REFERENCE", m.start(1), m.end(1)))
    for m in _SHARE_CODE.finditer(text):
        out.append(("REFERENCE", m.start(1), m.end(1)))
    if _SHARE_CONTEXT.search(text):
        for m in _SHARE_CODE_SHAPE.finditer(text):
            if _SHARE_CONTEXT.search(text[max(0, m.start() - 120):m.start()]):
                out.append(("REFERENCE", m.start(1), m.end(1)))
    for rx in (_CAD, _SCHEME_YEAR_REF):
        for m in rx.finditer(text):
            out.append(("REFERENCE", m.start(), m.end()))
    for m in _SORT_PLAIN.finditer(text):
        out.append(("BANK", m.start(1), m.end(1)))
    for m in _BRP.finditer(text):
        out.append(("REFERENCE", m.start(), m.end()))
    for m in _NI.finditer(text):
        out.append(("NI_NUMBER", m.start(), m.end()))
    for m in _TEN_DIGITS.finditer(text):
        d = _DIGITS_ONLY.sub("", m.group(0))
        cued = bool(_NHS_CUE.search(text[max(0, m.start() - 25):m.start()]))
        if cued or (_nhs_valid(d) and not d.startswith("0")):
            out.append(("NHS_NUMBER", m.start(), m.end()))
    for m in _SPOKEN_DIGITS.finditer(text):  # dictated numbers: ten digits after "nhs", or a phone
        d, times = "", 1
        for w in re.findall(r"[a-z]+", m.group(0).lower()):
            if w in ("double", "triple", "treble"):
                times = 2 if w == "double" else 3
                continue
            d += _DIGIT_WORD[w] * times
            times = 1
        if len(d) == 10 and _NHS_CUE.search(text[max(0, m.start() - 25):m.start()]):
            out.append(("NHS_NUMBER", m.start(), m.end()))
        elif len(d) in (10, 11) and d.startswith("0"):
            out.append(("PHONE", m.start(), m.end()))
    for m in _READ_OUT_DIGITS.finditer(text):  # "she read it out as: 4 7 2 9 1 8 3 3 0 5"
        d = _DIGITS_ONLY.sub("", m.group(0))
        if len(d) == 10 and _NHS_CUE.search(text[max(0, m.start() - 25):m.start()]):
            out.append(("NHS_NUMBER", m.start(), m.end()))
        elif d.startswith("0") and len(d) in (10, 11):
            out.append(("PHONE", m.start(), m.end()))
        elif not _kept_number(m.group(0), allow):
            out.append(("REFERENCE", m.start(), m.end()))
    kept = []
    for m in _PHONE.finditer(text):
        if _kept_number(m.group(0), allow):
            kept.append((m.start(), m.end()))
        else:
            out.append(("PHONE", m.start(), m.end()))
    for m in _SHORT_PHONE.finditer(text):
        if (_PHONE_CUE.search(text[max(0, m.start() - 20):m.start()])
                and not _kept_number(m.group(0), allow)
                and not any(m.start() < e and s < m.end() for s, e in kept)):
            out.append(("PHONE", m.start(), m.end()))
    for m in _POSTCODE.finditer(text):
        inward = m.group(2)
        if inward[1:].lower() in _NOT_INWARD and not m.group(0).isupper():
            continue
        if " " not in m.group(0) and not (m.group(0).isupper() or m.group(0).islower()):
            continue  # "s17ZA" is a section of an Act
        out.append(("POSTCODE", m.start(), m.end()))
    # last, so a shape found above keeps its own type ("ni no AB123456C" is an NI number)
    found = list(out)
    for m in _CUED_CODE.finditer(text):
        s, e = m.start(2), m.end(2)
        if (not _THING_BEFORE_CUE.search(text[max(0, m.start() - 25):m.start()])
                and not any(s < fe and fs < e for _, fs, fe in found)):
            out.append(("REFERENCE", s, e))


def _kept_number(raw: str, allow: Allowlist) -> bool:
    d = _digits(raw)
    return d in allow.numbers or d.startswith(allow.number_prefixes)


def _find_dates(text: str, out: List[Span]) -> None:
    this_year = _dt.date.today().year
    for m in _DATE.finditer(text):
        before = text[max(0, m.start() - 30):m.start()]
        y = m.group("y1") or m.group("y2") or m.group("y3") or m.group("y4")
        if m.group("m1") and not (1 <= int(m.group("m1")) <= 12 and 1 <= int(m.group("d1")) <= 31):
            continue
        if m.group("m4") and not (1 <= int(m.group("m4")) <= 12 and 1 <= int(m.group("d4")) <= 31):
            continue
        if _DOB_CUE.search(before):
            out.append(("DOB", m.start(), m.end()))
        elif _year(y) <= this_year - 5 and not _EVENT_CUE.search(before):
            out.append(("DOB", m.start(), m.end()))
    for m in _SPOKEN_DATE.finditer(text):  # a year said in words is almost always a birth year
        if _DOB_CUE.search(text[max(0, m.start() - 30):m.start()]) or \
                not _EVENT_CUE.search(text[max(0, m.start() - 30):m.start()]):
            out.append(("DOB", m.start(), m.end()))
    for m in re.finditer(r"(?<![\w/.])(\d{1,2})[ ](\d{1,2})[ ]((?:19|20)\d{2})(?![\w/])", text):
        if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(1)) <= 31 and \
                _DOB_CUE.search(text[max(0, m.start() - 30):m.start()]):
            out.append(("DOB", m.start(), m.end()))  # "dob 14 06 1958"
    for m in re.finditer(r"(?<![\w/.])\d{1,2}(?:st|nd|rd|th)[ \t]+of[ \t]+the[ \t]+\d{1,2}(?:st|nd|rd|th),?[ \t]+"
                         r"(?:19|20)?\d{2}(?![\w/])", text, re.I):
        if _DOB_CUE.search(text[max(0, m.start() - 30):m.start()]):
            out.append(("DOB", m.start(), m.end()))  # "dob is the 2nd of the 7th 83"
    for m in _COMPACT_DATE.finditer(text):
        if 1 <= int(m.group("m")) <= 12 and 1 <= int(m.group("d")) <= 31 and \
                _DOB_CUE.search(text[max(0, m.start() - 30):m.start()]):
            out.append(("DOB", m.start(), m.end()))


def _find_addresses(text: str, out: List[Span]) -> None:
    postcodes = [(m.start(), m.end()) for m in _POSTCODE.finditer(text)]
    for m in _FLAT_NUMBER.finditer(text):
        if any(re.fullmatch(r"[ \t]*,?[ \t]*", text[pe:m.start()]) or re.fullmatch(r"[ \t]*,?[ \t]*", text[m.end():ps])
               for ps, pe in postcodes):
            out.append(("ADDRESS", m.start(), m.end()))
    for rx in (_ADDRESS, _FLAT_BUILDING, _SPOKEN_ADDRESS):
        for m in rx.finditer(text):
            raw = m.group("words").replace(",", " ").split()
            typ = m.group(0)[m.end("words") - m.start():].strip()
            if typ[:1].isupper() and any(w[:1].islower() and w not in ("of", "the") for w in raw):
                continue  # "2015 report says Tower Hamlets"
            words = [w.lower() for w in raw]
            if any(w in _ADDR_STOP for w in words[1:]) or (words and words[0] in _ADDR_STOP - {"the"}):
                continue
            more = _STREET_TYPE_NEXT.match(text, m.end())  # "73 Downs Park Road"
            end = more.end() if more else m.end()
            flat = _FLAT_AFTER.match(text, end)
            end = flat.end() if flat else end
            if rx is _FLAT_BUILDING:
                area = _AREA_AFTER.match(text, end)
                if area and not re.search(r"\d", area.group(0)):
                    end = area.end()
            floor = _FLOOR_BEFORE.search(text[max(0, m.start() - 20):m.start()])
            start = m.start() - len(floor.group(0)) if floor and rx is not _FLAT_BUILDING else m.start()
            out.append(("ADDRESS", start, end))


_PARTICLE_PREFIX = re.compile(r"(?:al|el|ad|ar|as|at|an|ash|bin|ibn|abu|ul|ud)[\-‐](?=[A-ZÀ-ÖØ-Þ])")


def _capitalised(word: str) -> bool:
    """"Okafor", and "al-Farouq" (a lower-case Arabic article joined to a Capitalised surname)."""
    p = _PARTICLE_PREFIX.match(word)
    if p:
        word = word[p.end():]
    return word[0].isupper() and not (word.isupper() and len(word) > 1)


def _name_at(text: str, start: int, allow: Allowlist, strong: bool) -> Optional[Tuple[int, int]]:
    """The name starting at ``start``: its first word plus up to two more, or None.

    A surname particle ("de", "van der", "bin", "thi") may sit between the words in either case
    ("Maria de Souza", "Mrs van der Berg"); it is kept only when a name word follows it. A word
    that is also an ordinary word ("Will", "Grace") counts only Capitalised and first."""
    end, pos, count, first_capital = None, start, 0, None
    for _ in range(6):
        m = _NAME_TOKEN_RE.match(text, pos)
        if not m:
            break
        word = m.group(0)
        key = _POSS.sub("", word).lower()
        particle = key in _PARTICLES and not _POSS.search(word) and count < 2
        if particle and _NAME_TOKEN_RE.match(text, m.end() + 1):
            pass  # "mrs da silva", "mr van der Berg": a surname's particle, not a common word
        elif count == 0 and _capitalised(word) and key in _WORD_NAMES:
            pass  # "her son Will": the cue makes the ordinary word a name
        elif key in allow.not_names or (count == 0 and not strong and key in allow.term_words):
            break
        if not particle:
            if count and (_capitalised(word) != first_capital or (not first_capital and (
                    count > 1 or not strong or _LOWER_STOP_SUFFIX.search(key)))):
                break
            if count == 0:
                first_capital = _capitalised(word)
            count += 1
            end = m.end() - (2 if _POSS.search(word) else 0)
            if end != m.end() or count == 3:
                break  # a possessive ends the name: "Mr Patel's landlord"
        gap = re.match(r"[ \t]+", text[m.end():])
        if not gap:
            break
        pos = m.end() + gap.end()
    return (start, end) if end else None


def _adjectival_named(before: str) -> bool:
    """"named" ending ``before`` is an adjective unless a word for a person precedes it."""
    m = _ADJECTIVAL_CUE.search(before)
    return bool(m) and m.group(1).lower() not in _PERSON_NOUNS | {"someone", "somebody", "guy", "bloke", "one"}


def _find_names(text: str, allow: Allowlist, out: List[Span]) -> None:
    cued = {}  # start of the word after a cue -> True when the cue is strong
    for m in _ROLE_CUE.finditer(text):
        quote = re.match(r"['\"‘“](?=%s['\"’”])" % _CAP_WORD_NO_APOS, text[m.end():])
        cued[m.end() + (1 if quote else 0)] = False  # "caller is 'Bubbles'"
    for m in _STRONG_CUE.finditer(text):
        quote = re.match(r"['\"‘“]", text[m.end():])
        if quote and re.search(r"name|known|goes|aka|self", m.group(0), re.I):
            cued[m.end() + 1] = True  # "her name is 'Rose Marie'" (not "called 'Best Start'", a service)
        else:
            cued[m.end()] = True
    for start, strong in sorted(cued.items()):
        tok = _NAME_TOKEN_RE.match(text, start)
        if not tok:
            continue
        first, before = tok.group(0), text[max(0, start - 40):start]
        if not _capitalised(first) and first.lower() in _NOT_NAME_AFTER_CUE:
            continue
        if not strong and not _capitalised(first) and _POSS.sub("", first).lower() in allow.content_words:
            continue  # "res housebound", "mum full time": a word of the knowledge base, typed in lower case
        if not strong and first.isupper() and 2 <= len(first) <= 4:
            continue  # "Customer ID 0049918273", "client NFA": an acronym, not a name
        if strong:
            if not _capitalised(first) and (_STRONG_LOWER_STOP.search(first.lower())
                                            or _adjectival_named(before)):
                continue
        elif not _capitalised(first) and len(_POSS.sub("", first)) < 2:
            continue  # "tenant v scared": v is "very", not an initial
        elif not (_capitalised(first) or _in_lexicon(first, allow) or (_ROLE_LOWER.search(before) and (
                _POSS.sub("", first).lower() in _ED_NAMES
                or not _LOWER_STOP_SUFFIX.search(_POSS.sub("", first).lower())))):
            continue
        lower_pair = not strong and not _capitalised(first)  # "res sarah wisniewska": two lower-case words
        span = _name_at(text, start, allow, strong=strong or lower_pair)
        if span and not _institution_name(text, span[0], span[1]):  # "its Star primary"
            out.append(("NAME", span[0], span[1]))
    for m in _SENTENCE_NAME.finditer(text):
        if _is_name_word(m.group(1), allow) and not _PLURAL.search(m.group(1)):
            out.append(("NAME", m.start(1), m.end(1)))
    for m in _POSSESSIVE_NAME.finditer(text):
        if _is_name_word(m.group(1), allow):
            out.append(("NAME", m.start(1), m.end(1)))
    pos = 0
    while True:  # pairs of capitalised words; after a miss, try again from the second word
        m = _PAIR.search(text, pos)  # ("Res Mary Smith": not "Res Mary", but "Mary Smith")
        if not m:
            break
        if _confident_pair(m, allow):
            last = 3 if m.group(3) and _is_name_word(m.group(3), allow) and not _POSS.search(m.group(2)) else 2
            end = m.end(last) - (2 if _POSS.search(m.group(last)) else 0)
            if not _institution_name(text, m.start(), end):  # "Mary Seacole House", "Queen Elizabeth Hospital"
                out.append(("NAME", m.start(), end))
            pos = m.end()
        else:
            pos = m.start(2)
    _find_lexicon_names(text, allow, out)
    _find_name_lists(text, allow, out)
    _find_initials(text, allow, out)
    _find_aged(text, allow, out)
    _find_word_names_opening(text, allow, out)
    _find_subject_names(text, allow, out)
    _find_relation_subject(text, allow, out)
    _find_word_name_pairs(text, allow, out)
    _find_lower_possessive_opening(text, allow, out)
    _find_shared_surname(text, allow, out)
    _find_opening_word_names(text, allow, out)
    _find_named_group(text, allow, out)
    _extend_name_lists(text, allow, out)
    _find_bracketed_initials(text, out)
    _find_name_neighbours(text, allow, out)
    _repeat_found_names(text, allow, out)
    _find_spelled_names(text, out)
    _find_capitals_before_dob(text, allow, out)


# "ZAHRA NOURI DOB 03 OCT 1995 ...": a note typed in capitals, a name opening it before the birth date
_CAPITALS_BEFORE_DOB = re.compile(r"(?:^|(?<=[\n.;:]))[ \t]*(?P<name>[A-Z][A-Z'\-]+(?:[ \t]+[A-Z][A-Z'\-]+){1,2})"
                                  r"[ \t]*[,\-]?[ \t]*(?:DOB|D\.O\.B\.?|DATE OF BIRTH|NINO|NI NO)\b")


def _find_capitals_before_dob(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _CAPITALS_BEFORE_DOB.finditer(text):
        words = m.group("name").split()
        if all(w.lower() not in allow.not_names and w.lower() not in allow.term_words
               and w.lower() not in _PERSON_NOUNS and len(w) > 1 for w in words):
            out.append(("NAME", m.start("name"), m.end("name")))


# "grace rang again", "patience (the client from yesterday) ...": a known given name, or a name that is
# also a word, in lower case opening the message or a sentence, then a verb only a person does or a
# bracket saying who the person is.
_OPENING_WORD_NAME = re.compile(
    r"(?:^|(?<=[.!?;\n]))[ \t]*(?P<name>[a-z][a-z'’\-]+)(?=[ \t]+(?:rang|phoned|texted|emailed|called[ \t]+(?:back|again|in)|"
    r"came[ \t]+in|popped[ \t]+in|walked[ \t]+in)\b|[ \t]*\([ \t]*(?:the|my|our|a|your)?[ \t]*(?:%s)\b)"
    % "|".join(sorted(_PERSON_NOUNS, key=len, reverse=True)))


def _find_opening_word_names(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _OPENING_WORD_NAME.finditer(text):
        word = m.group("name")
        if (word in _WORD_NAMES or _in_lexicon(word, allow)) and word not in allow.term_words:
            out.append(("NAME", m.start("name"), m.end("name")))


# "Joy and Precious (twins, 8)", "Amir (twins, 4)": Capitalised words opening a clause, then a bracket
# saying they are children or giving an age.
_NAMED_GROUP = re.compile(
    r"(?:^|(?<=[.!?;,:\n]))[ \t]*(?P<a>%s)(?:[ \t]+(?:and|&)[ \t]+(?P<b>%s))?[ \t]*\([ \t]*"
    r"(?:(?:twins?|triplets|siblings|brothers|sisters|both|kids|children)\b[ \t]*,?[ \t]*)?(?:aged[ \t]+)?\d{1,2}"
    r"(?:[ \t]*(?:yo|y/o|yrs?|years?(?:[ \t]+old)?|and[ \t]+\d{1,2}|&[ \t]*\d{1,2}))*[ \t]*\)" % (_CAP_WORD_NO_APOS, _CAP_WORD_NO_APOS))


def _find_named_group(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _NAMED_GROUP.finditer(text):
        words = [g for g in ("a", "b") if m.group(g)]
        if all(_name_like(m.group(g), allow) and m.group(g).lower() not in _NOT_AGED
               and not _INSTITUTION_WORD.match(m.group(g).lower()) for g in words):
            out.extend(("NAME", m.start(g), m.end(g)) for g in words)


# "Mr Józef Zieliński (J.Z.)": a person's initials in brackets right after their name
_BRACKET_INITIALS = re.compile(r"[ \t]*\([ \t]*((?:[A-Z]\.[ \t]?){2,3})[ \t]*\)")


def _find_bracketed_initials(text: str, out: List[Span]) -> None:
    for _, s, e in [sp for sp in out if sp[0] == "NAME"]:
        m = _BRACKET_INITIALS.match(text, e)
        if m:
            out.append(("NAME", m.start(1), m.end(1)))


def _repeat_found_names(text: str, allow: Allowlist, out: List[Span]) -> None:
    """"library user Baker wants help ... name is Summer Baker": the surname of a full name found
    (a known given name, then the surname) is a name wherever else it appears Capitalised in the
    same message."""
    words, firsts = set(), set()
    for _, s, e in [sp for sp in out if sp[0] == "NAME"]:
        tokens = _NAME_TOKEN_RE.findall(text, s, e)
        if len(tokens) == 2 and _capitalised(tokens[0]) and _capitalised(tokens[1]):
            key = tokens[0].lower()  # "Doreen Mills - but Doreen has dementia": the given name again
            if (len(key) > 2 and _is_name_word(tokens[0], allow) and key not in _PERSON_NOUNS
                    and tokens[0][1:].islower() and not key.endswith("ing")
                    and key not in _WORD_NAMES and not _INSTITUTION_WORD.match(key) and not _PLURAL.search(key)):
                firsts.add(tokens[0])
        if len(tokens) < 2 or not (_fold(tokens[0]) in _FIRST_NAMES or tokens[0].lower() in _WORD_NAMES):
            continue
        for w in tokens[1:]:
            key = _POSS.sub("", w).lower()
            if (len(key) > 2 and _is_name_word(w, allow) and key not in _PERSON_NOUNS and key not in _WORD_NAMES
                    and key not in _PARTICLES and not re.fullmatch(_STREET_TYPES, key, re.I)
                    and not _INSTITUTION_WORD.match(key) and not _PLURAL.search(key)):
                words.add(_POSS.sub("", w))
    for w in firsts - words:  # a given name again on its own, not opening another run of Capitalised words
        for m in re.finditer(r"(?<![\w@./\-'’\[])%s(?![\w@\-])(?![ \t]+[A-Z])" % re.escape(w), text):
            if re.search(r"[A-Z][\w'’\-]*[ \t]+$", text[max(0, m.start() - 30):m.start()]):
                continue
            if not any(s <= m.start() < e for _, s, e in out if _ == "NAME"):
                if not _institution_name(text, m.start(), m.end()):
                    out.append(("NAME", m.start(), m.end()))
    for w in words:
        for m in re.finditer(r"(?<![\w@./\-'’\[])%s(?![\w@\-])" % re.escape(w), text):
            if not any(s <= m.start() < e for _, s, e in out if _ == "NAME"):
                if not _institution_name(text, m.start(), m.end()):
                    out.append(("NAME", m.start(), m.end()))


# "Anthony (Tony) Mbeki": a nickname in brackets between a found given name and the surname
_NICKNAME_SURNAME = re.compile(r"[ \t]*\([ \t]*(%s)[ \t]*\)[ \t]+(%s)" % (_CAP_WORD_NO_APOS, _CAP_TOKEN))
# "Mrs Emine Demir or Demirci", "Ms Achterberg? or Achterburg": a second spelling of a found surname
_OR_SPELLING = re.compile(r"[?]?[ \t]+or[ \t]+(?:maybe[ \t]+|possibly[ \t]+|perhaps[ \t]+)?(%s)" % _CAP_WORD_NO_APOS)
# "Gloria (07700 900 118)": a Capitalised word right before a phone number in brackets
_BEFORE_BRACKET = re.compile(r"(?:^|(?<=[\s,;:]))(%s)[ \t]*\($" % _CAP_WORD_NO_APOS)


def _find_name_neighbours(text: str, allow: Allowlist, out: List[Span]) -> None:
    """Shapes around a name already found: a bracketed nickname then the surname, a second
    spelling offered with "or", and a name given with its phone number in brackets."""
    for _, s, e in [sp for sp in out if sp[0] == "NAME"]:
        m = _NICKNAME_SURNAME.match(text, e)
        if m and _is_name_word(m.group(1), allow) and _is_name_word(m.group(2), allow) \
                and m.group(2).lower() not in _PERSON_NOUNS:
            out.append(("NAME", m.start(1), m.end(1)))
            out.append(("NAME", m.start(2), m.end(2) - (2 if _POSS.search(m.group(2)) else 0)))
        m = _OR_SPELLING.match(text, e)
        last = _NAME_TOKEN_RE.findall(text, s, e)
        if m and last and _is_name_word(m.group(1), allow) and \
                _fold(m.group(1))[:4] == _fold(last[-1])[:4] and len(last[-1]) >= 4:
            out.append(("NAME", m.start(1), m.end(1)))
    for _, s, e in [sp for sp in out if sp[0] == "PHONE"]:
        m = _BEFORE_BRACKET.search(text[max(0, s - 40):s].rstrip(" \t"))
        if m and _is_name_word(m.group(1), allow) and m.group(1).lower() not in _PERSON_NOUNS \
                and not _INSTITUTION_WORD.match(m.group(1).lower()) and not _PLURAL.search(m.group(1)):
            base = max(0, s - 40)
            out.append(("NAME", base + m.start(1), base + m.end(1)))


# a name spelt out letter by letter: "A-D-E-Y-E-M-I", "that's h u s s a i n", "K E double L Y"
_SPELLED_HYPHEN = re.compile(r"(?<![\w\-'’])[^\W\d_](?:-[^\W\d_]){3,}(?![\w\-])")
_SPELLED_SPACED = re.compile(r"(?<![\w\-'’])(?:(?:double|triple)[ \t]+)?[^\W\d_](?:[ \t]+(?:(?:double|triple)[ \t]+)?[^\W\d_]){3,}(?![\w\-])",
                             re.I)
_SPELL_CUE = re.compile(r"(?:\b(?:spelt|spelled|spelling|spell|spells|that's|thats|that\s+is|i\.?e\.?)[ \t]*[:,\-]?[ \t]*"
                        r"(?:it[ \t]+|as[ \t]+|out[ \t]+)*[:,\-]?[ \t]*)$", re.I)


def _find_spelled_names(text: str, out: List[Span]) -> None:
    for m in _SPELLED_HYPHEN.finditer(text):
        if not any(s <= m.start() < e for _, s, e in out):
            out.append(("NAME", m.start(), m.end()))
    names_end = {e for t, s, e in out if t == "NAME"}
    for m in _SPELLED_SPACED.finditer(text):
        before = text[max(0, m.start() - 30):m.start()]
        after_name = re.search(r"[,\-(][ \t]*$", before) and any(
            re.fullmatch(r"[ \t]*[,\-(][ \t]*", text[e:m.start()]) for e in names_end if e <= m.start())
        if _SPELL_CUE.search(before) or after_name:
            out.append(("NAME", m.start(), m.end()))


# an email address read out: "h-a-l-i-m-a dot y-u-s-u-f at yahoo dot com", "jo smith at gmail dot com"
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w\-])[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:[ \t]+(?:dot|underscore)[ \t]+[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*"
    r"[ \t]+at[ \t]+[A-Za-z0-9\-]+(?:[ \t]+dot[ \t]+(?:com|co|uk|org|net|ac|gov|nhs|ie))+(?![\w])", re.I)
# a table pasted from an email or spreadsheet: a header row of column names, then rows of cells
_TABLE_SEP = re.compile(r"[ \t]*(?:\||\t)[ \t]*")
_COLUMN_TYPES = (("NAME", r"(?:full[ ]|first[ ]|sur|last[ ]|client[ ]|resident[ ]|tenant[ ])?names?|surname|client|resident|tenant"),
                 ("DOB", r"dob|d\.o\.b\.?|date[ ]of[ ]birth|birth[ ]?date"),
                 ("NHS_NUMBER", r"nhs(?:[ ]no\.?|[ ]number)?"),
                 ("NI_NUMBER", r"ni(?:no)?(?:[ ]no\.?|[ ]number)?|nino"),
                 ("PHONE", r"phone|tel|mobile|mob|contact(?:[ ]no\.?|[ ]number)?|phone[ ]no\.?"),
                 ("EMAIL", r"e-?mail"),
                 ("POSTCODE", r"post[ ]?code|pc"),
                 ("ADDRESS", r"address|addr"),
                 ("REFERENCE", r"(?:\w+[ ])?(?:ref(?:erence)?|case|claim|id)(?:[ ]no\.?|[ ]number)?|account(?:[ ]no\.?)?"))


def _find_table_cells(text: str, out: List[Span]) -> None:
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    header = None
    for start, line in lines:
        if not _TABLE_SEP.search(line):
            header = None
            continue
        cells, cpos = [], 0
        for part in re.split(r"(?:\||\t)", line):
            lead = len(part) - len(part.lstrip())
            cells.append((start + cpos + lead, part.strip()))
            cpos += len(part) + 1
        if header is None:
            kinds = []
            for _, c in cells:
                kinds.append(next((t for t, rx in _COLUMN_TYPES if re.fullmatch(rx, c.strip(" :"), re.I)), None))
            header = kinds if sum(k is not None for k in kinds) >= 2 else None
            continue
        if len(cells) != len(header):
            continue
        for (s, c), kind in zip(cells, header):
            if not kind or not c or (kind != "NAME" and not re.search(r"\d", c)) or (
                    kind == "NAME" and (re.search(r"\d", c) or len(c.split()) > 4)):
                continue
            out.append((kind, s, s + len(c)))


def _surname_end(text: str, end: int, capital: bool, allow: Allowlist) -> int:
    """Where a name that ends at ``end`` really ends, taking in a surname that follows it in the
    same case ("Kofi Mensah", "shahida khatun", "Maria de Souza", "Nguyen Van Minh")."""
    pos, particles = end, 0
    for _ in range(4):
        gap = re.match(r"[ \t]+", text[pos:])
        m = gap and _NAME_TOKEN_RE.match(text, pos + gap.end())
        if not m or text[pos - 2:pos] in ("'s", "’s"):
            break
        word = m.group(0)
        key = _POSS.sub("", word).lower()
        if key in _PARTICLES and particles < 2 and not _POSS.search(word):
            particles += 1
            pos = m.end()
            continue  # kept only if a surname follows
        if re.match(r"\d", text[m.end():m.end() + 1]) or (not capital and word.isupper()):
            break  # "yusuf ali nino JB482917C": the letters of a code, not a surname
        if (_capitalised(word) != capital or key in allow.not_names or key in allow.term_words
                or key in _PERSON_NOUNS or re.fullmatch(_STREET_TYPES, key, re.I)
                or (not capital and _LOWER_STOP_SUFFIX.search(key) and not _in_lexicon(word, allow)
                    and not particles)):
            break
        end = pos = m.end() - (2 if _POSS.search(word) else 0)
        particles = 0
        if pos != m.end():
            break  # "Kofi Mensah's landlord"
    return end


def _institution_name(text: str, start: int, end: int) -> bool:
    """"St Mary's church", "Mary Seacole House": a person's name used for a place or service."""
    return bool(_INSTITUTION_BEFORE.search(text[max(0, start - 12):start])
                or _INSTITUTION_NEXT.match(text, end))


def _find_lexicon_names(text: str, allow: Allowlist, out: List[Span]) -> None:
    """A known given name, in any case and with no cue ("kwame and his partner", "Hodan needs
    help"), plus the surname after it. Not inside an email or web address."""
    for m in _NAME_TOKEN_RE.finditer(text):
        word = m.group(0)
        if not _in_lexicon(word, allow) or re.search(r"[\w@./\[]$", text[:m.start()]):
            continue
        if re.match(r"[@/]|\.\w", text[m.end():]):
            continue  # "ali.khan@", "www.kemi..."
        end = m.end() - (2 if _POSS.search(word) else 0)
        end = _surname_end(text, end, _capitalised(word), allow)
        if not _institution_name(text, m.start(), end):
            out.append(("NAME", m.start(), end))


def _name_like(word: str, allow: Allowlist) -> bool:
    """Could be a name in a list or before an age: not a common word, service, place or person word."""
    key = _POSS.sub("", word).lower()
    if len(key) < 2 or key in allow.not_names or key in allow.term_words or key in _PERSON_NOUNS:
        return False
    if word.isupper():
        return False
    if not _capitalised(word) and key in allow.content_words and not _in_lexicon(word, allow):
        return False  # "her mum full time", "his dad, happy to pay": an English word typed in lower case
    return _capitalised(word) or _in_lexicon(word, allow) or not _LOWER_STOP_SUFFIX.search(key)


# "kids are amira, yusuf and zain", "her children are Ifrah, Ayaan and Mohamed", "kids: Oliwia 7, Zuzanna 4"
_LIST_CUE = re.compile(
    r"\b(?:kids|children|sons|daughters|boys|girls|grandkids|grandchildren|twins)['’]?s?"
    r"(?P<names>[ \t]+names?)?(?:[ \t]+(?P<are>are|were|r|called|named)|[ \t]*(?P<colon>:))?[ \t]+", re.I)
_LIST_ITEM = re.compile(r"(%s)(?:[ \t]*\(?(\d{1,2})\)?(?![\w%%]))?" % _NAME_TOKEN)
_LIST_SEP = re.compile(r"[ \t]*(?:,[ \t]*(?:and|&)?|&|\band\b)[ \t]*", re.I)


def _find_name_lists(text: str, allow: Allowlist, out: List[Span]) -> None:
    """Names listed after "kids are" and the like. Lower-case lists ("kids are cold and hungry")
    are taken only when the cue says names, or some item is a known name or has an age, or there
    are three or more of them ("kids are nimo, salman and hawo")."""
    for cue in _LIST_CUE.finditer(text):
        if not (cue.group("names") or cue.group("are") or cue.group("colon")):
            continue
        items, pos = [], cue.end()
        while True:
            m = _LIST_ITEM.match(text, pos)
            if not m or not _name_like(m.group(1), allow):
                break
            sep = _LIST_SEP.match(text, m.end())
            if sep or re.match(r"[ \t]*(?:[.;:!?)\n]|$)", text[m.end():]):
                items.append(m)  # one word per item: "children: infant feeding, ..." is no list
            if not sep:
                break
            pos = sep.end()
        if not items:
            continue
        words = [m.group(1) for m in items]
        strong = cue.group("names") or cue.group("colon") or (cue.group("are") or "").lower() in ("called", "named")
        if (strong or all(_capitalised(w) for w in words) or any(m.group(2) for m in items)
                or any(_in_lexicon(w, allow) for w in words) or len(words) >= 3):
            for m in items:
                out.append(("NAME", m.start(1), m.end(1) - (2 if _POSS.search(m.group(1)) else 0)))


# "J. Okafor", "S. Begum": an initial with its full stop, then a Capitalised surname
_INITIAL = re.compile(r"(?<![\w.])[A-Z]\.[ \t]?(%s)" % _CAP_WORD_NO_APOS)
# "rating of D to G. Low-income ...", "Plan B. Then": a grade or an option, not an initial
_NOT_INITIAL_BEFORE = re.compile(r"\b(?:to|or|and|grade|grades|band|rating|class|type|plan|option|part|"
                                 r"section|schedule|appendix|annex|block|flat|vitamin|category|level)[ \t]+$", re.I)


def _find_initials(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _INITIAL.finditer(text):
        word = m.group(1)
        if _NOT_INITIAL_BEFORE.search(text[max(0, m.start() - 12):m.start()]) or re.search(r"-[a-z]", word):
            continue
        if _is_name_word(word, allow) and word.lower() not in _PERSON_NOUNS \
                and not re.fullmatch(_STREET_TYPES, word, re.I):
            out.append(("NAME", m.start(), _surname_end(text, m.end(1), True, allow)))


# "emeka, 45, rough sleeping", "Anh is 15 and not in school", "Desmond (72)": a word opening a
# sentence or clause, then an age.
_AGED = re.compile(
    r"(?:^|(?<=[.!?;,\n]))[ \t]*(?P<name>%s)(?:[ \t]*,[ \t]*|[ \t]+is[ \t]+|[ \t]*\([ \t]*)"
    r"(?:aged[ \t]+)?\d{1,2}(?:[ \t]*(?:yo|y/o|yrs?|years?(?:[ \t]+old)?))?[ \t]*(?:[,)]|$|\band\b)" % _NAME_TOKEN,
    re.I | re.M)


# "girl at the hub - 'Destiny' - 15, won't give surname": a quoted name, then an age
_QUOTED_AGED = re.compile(r"['‘\"“](?P<name>%s)['’\"”][ \t]*[-–,][ \t]*(?:aged[ \t]+)?\d{1,2}"
                          r"(?:[ \t]*(?:yo|y/o|yrs?|years?(?:[ \t]+old)?))?[ \t]*(?:[,)]|$|\band\b)" % _CAP_WORD_NO_APOS, re.M)


def _find_aged(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _QUOTED_AGED.finditer(text):
        if _name_like(m.group("name"), allow) and m.group("name").lower() not in _NOT_AGED:
            out.append(("NAME", m.start("name"), m.end("name")))
    for m in _AGED.finditer(text):
        word = m.group("name")
        if _name_like(word, allow) and word.lower() not in _NOT_AGED:
            out.append(("NAME", m.start("name"), m.end("name")))


# "Grace needs a food parcel", "Rose came in": a name that is also a word, opening a sentence,
# then a verb used of people. Only for _WORD_NAMES: "Will ring back" has no such verb.
_WORD_NAME_OPENING = re.compile(
    r"(?:^|(?<=[.!?;\n])[ \t]*)(%s)(?=[ \t]+(?:needs|wants|came|comes|keeps|lives|works|lost|got|has|is|was|"
    r"rang|phoned|called|said|says|told|asked|texted|emailed|and[ \t]+(?:her|his|their))\b)" % _CAP_WORD_NO_APOS)


def _find_word_names_opening(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _WORD_NAME_OPENING.finditer(text):
        if m.group(1).lower() in _WORD_NAMES and m.group(1).lower() not in allow.term_words:
            if not re.match(r"[ \t]+(?:is|was)[ \t]+(?:it|this|that|there|not|a|an|the)\b", text[m.end():], re.I):
                out.append(("NAME", m.start(1), m.end(1)))


# A sentence whose subject is a person: "rukhsana and her daughter ...", "Przemek lost his job",
# "Audrius and Jurga, 2 kids". The subject word must not be a word for a person, a service or a
# common word (allow-list), nor end like an institution ("Nursery lost her form" stays).
_SUBJECT_VERBS = (r"lost|took|left|got|hit|wants|needs|brought|sent|gave|keeps|kept|told|asked|moved|broke|"
                  r"threw|missed|paid|owes|visits|visited|helps|helped|applied|sold|spent|changed")
_SUBJECT = re.compile(
    r"(?:^|(?<=[.!?;\n]))[ \t]*(?P<a>%s)(?:"
    r"[ \t]+and[ \t]+(?:her|his|their)\b"
    r"|[ \t]+(?:%s)[ \t]+(?:her|his|their)\b"
    r"|[ \t]+(?:and|&)[ \t]+(?P<b>%s)(?=[ \t]*,[ \t]*\d|[ \t]+(?:both|share|live|are|have|need|want)\b))"
    % (_NAME_TOKEN, _SUBJECT_VERBS, _CAP_WORD_NO_APOS), re.I)
_INSTITUTION_WORD = re.compile(r"(?:%s|hospital|hospice|centre|center|trust|foundation|school|college|academy|ward|"
                               r"primary|secondary|infants|juniors|army|"
                               r"unit|clinic|surgery|practice|library|hall|nursery|hostel|reception|security|"
                               r"agency|company|firm|office|bank|church|mosque|charity|shop)$" % _STREET_TYPES, re.I)


def _subject_word(word: str, allow: Allowlist, capital_only: bool) -> bool:
    if capital_only and not _capitalised(word):
        return False
    return (_name_like(word, allow) and not _INSTITUTION_WORD.match(word.lower())
            and not _PLURAL.search(word) and (_capitalised(word) or not _LOWER_STOP_SUFFIX.search(word.lower())))


def _find_subject_names(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _SUBJECT.finditer(text):
        pair = m.group("b") is not None
        if not _subject_word(m.group("a"), allow, capital_only=pair):
            continue
        if pair:
            if not _subject_word(m.group("b"), allow, capital_only=True):
                continue
            out.append(("NAME", m.start("b"), m.end("b")))
        out.append(("NAME", m.start("a"), m.end("a")))


# "neighbour florica keeps shouting", "partner nikola took her phone": a lower-case word after a
# bare word for a person, when a verb shows it is the subject.
_RELATION_SUBJECT = re.compile(
    r"\b(?:husband|wife|partner|boyfriend|girlfriend|neighbour|son|daughter|brother|sister|mum|dad|"
    r"uncle|aunt|auntie|cousin|nephew|niece|grandson|granddaughter|friend)[ \t]+"
    r"(?P<name>[a-z][^\W\d_]+)[ \t]+(?:keeps|took|works|said|says|rang|called|came|left|hit|has|is|was|wants|"
    r"needs|lives|stays|shouted|threatened|pays|does|won't|wont|can't|cant|doesn't|doesnt|never|also|"
    r"always|just)\b")


def _find_relation_subject(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _RELATION_SUBJECT.finditer(text):
        word = m.group("name")
        if _name_like(word, allow) and not _LOWER_STOP_SUFFIX.search(word) and word not in _COMMON_AFTER_RELATION:
            out.append(("NAME", m.start("name"), m.end("name")))


# common verbs and words that follow "customer" or "surname" without being a name ("customer read
# out his number", "she writes surname first")
_NOT_NAME_AFTER_CUE = frozenset("""read rang came went got gave told took left lost made paid sent kept felt brought
  thought knew saw met put let set cut hit ran sat said did had can could will would should must may might
  shall cannot first last only order field spelt spelled spelling unknown withheld not and or but on in of
  the to for with is was are be has""".split())
# words that follow a word for a person without being a name ("partner visa is", "son often says")
_COMMON_AFTER_RELATION = frozenset("often opposite upstairs downstairs next door who that which then now still "
                                   "here there abroad too currently recently visa agency organisation org "
                                   "charity".split())


_AND = re.compile(r"[ \t]+(?:and|&)[ \t]+|[?]?[ \t]+or[ \t]+(?:maybe[ \t]+|possibly[ \t]+)?", re.I)

# "Will Thompson", "Grace Adeyemi": a given name that is also an ordinary word, Capitalised, then a
# Capitalised surname. The surname must not be a common word, service, street or person word.
_WORD_NAME_PAIR = re.compile(r"(?<![\w'’\-\[])(%s)[ \t]+(%s)(?![\w'’\-\]])" % (_CAP_WORD_NO_APOS, _CAP_TOKEN))


def _find_word_name_pairs(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _WORD_NAME_PAIR.finditer(text):
        first, last = m.group(1), m.group(2)
        if first.lower() not in _WORD_NAMES or first.lower() in allow.term_words:
            continue
        key = _POSS.sub("", last).lower()
        if (not _is_name_word(last, allow) or key in _PERSON_NOUNS or key in _WORD_NAMES
                or re.fullmatch(_STREET_TYPES, key, re.I) or _PLURAL.search(key)
                or _INSTITUTION_WORD.match(key)):
            continue
        end = m.end(2) - (2 if _POSS.search(last) else 0)
        end = _surname_end(text, end, True, allow)
        if not _institution_name(text, m.start(1), end):
            out.append(("NAME", m.start(1), end))


# "jamal's mum rang again": a lower-case possessive opening the message or a sentence, before a
# word for a relative.
_LOWER_POSSESSIVE_OPENING = re.compile(
    r"(?:^|(?<=[.!?;\n]))[ \t]*(?P<name>[a-z][^\W\d_]+)['’]s[ \t]+(?:son|daughter|kids?|children|child|baby|"
    r"husband|wife|partner|boyfriend|girlfriend|ex|mum|mother|dad|father|brother|sister|carer|nan|gran|"
    r"grandson|granddaughter|nephew|niece|cousin|aunt|auntie|uncle|family)\b")


def _find_lower_possessive_opening(text: str, allow: Allowlist, out: List[Span]) -> None:
    for m in _LOWER_POSSESSIVE_OPENING.finditer(text):
        word = m.group("name")
        if (_name_like(word, allow) and (_in_lexicon(word, allow) or not _LOWER_STOP_SUFFIX.search(word))
                and word not in _COMMON_AFTER_RELATION and not _INSTITUTION_WORD.match(word)):
            out.append(("NAME", m.start("name"), m.end("name")))


def _find_shared_surname(text: str, allow: Allowlist, out: List[Span]) -> None:
    """"Olumide and Funmilayo Adebisi": a Capitalised first name joined by "and" to a found
    first-name-and-surname shares that surname. The word must open a sentence or clause, or follow
    a lower-case word, so a run of Capitalised services ("Tower Hamlets and ...") is left alone."""
    for _, s, e in [sp for sp in out if sp[0] == "NAME"]:
        if not re.search(r"[ \t]", text[s:e]):
            continue  # only a name with a surname in it
        m = re.search(r"(?:^|(?<=[\s(,;:.!?]))(%s)[ \t]+and[ \t]+$" % _CAP_WORD_NO_APOS, text[:s])
        if not m:
            continue
        word = m.group(1)
        prev = re.search(r"(\S+)[ \t]*$", text[:m.start(1)])
        if prev and not re.search(r"[.!?:;(]$", prev.group(1)) and prev.group(1)[:1].isupper():
            continue  # "Skills, Economy and Growth ...", "UKALA, Cherwell and North Kesteven": a list of titles
        key = word.lower()
        if (_is_name_word(word, allow) and key not in _PERSON_NOUNS and not _PLURAL.search(key)
                and not _INSTITUTION_WORD.match(key) and not re.fullmatch(_STREET_TYPES, key, re.I)):
            out.append(("NAME", m.start(1), m.end(1)))


def _extend_name_lists(text: str, allow: Allowlist, out: List[Span]) -> None:
    """"Fatou and Mariama": a Capitalised word joined by "and" to a one-word name already found is
    a name too. Only one-word names: "Modern Slavery & Exploitation" is a service, and prose lists
    ("Paris Smith, Menzies") are not people. Known names are found anyway, in any position."""
    todo = [sp for sp in out if sp[0] == "NAME" and _NAME_TOKEN_RE.fullmatch(text, sp[1], sp[2])]
    seen = {(s, e) for _, s, e in todo}
    while todo:
        _, _, end = todo.pop()
        sep = _AND.match(text, end)
        m = sep and _NAME_TOKEN_RE.match(text, sep.end())
        if not m:
            continue
        word = m.group(0)
        if not (_is_name_word(word, allow) and word.lower() not in _PERSON_NOUNS):
            continue
        stop = _surname_end(text, m.end() - (2 if _POSS.search(word) else 0), _capitalised(word), allow)
        if (m.start(), stop) not in seen and not _institution_name(text, m.start(), stop):
            seen.add((m.start(), stop))
            out.append(("NAME", m.start(), stop))
            todo.append(("NAME", m.start(), stop))


def _is_name_word(word: str, allow: Allowlist) -> bool:
    key = re.sub(r"['’]s$", "", word).lower()
    return (word[0].isupper() and not word.isupper() and len(key) > 1
            and key not in allow.not_names and key not in allow.term_words)


def _confident_pair(m: "re.Match[str]", allow: Allowlist) -> bool:
    """Two capitalised words, neither a common word, place, service or street type."""
    a, b = m.group(1), m.group(2)
    if not (_is_name_word(a, allow) and _is_name_word(b, allow)):
        return False
    if re.fullmatch(_STREET_TYPES, re.sub(r"['’]s$", "", b), re.I):
        return False
    if _INSTITUTION_WORD.fullmatch(b.lower()):
        return False  # "Mandeville Primary", "Salvation Army"
    return not re.search(r"['’]s$", a)


def _protected(text: str, allow: Allowlist) -> List[Tuple[int, int]]:
    if allow.terms_re is None:
        return []
    return [(m.start(), m.end()) for m in allow.terms_re.finditer(text)]


def _resolve(spans: Sequence[Span], keep: Sequence[Tuple[int, int]]) -> List[Span]:
    """Drop names inside protected terms, then keep the best of overlapping spans."""
    chosen: List[Span] = []
    for t, s, e in sorted(set(spans), key=lambda x: (_PRIORITY[x[0]], -(x[2] - x[1]), x[1])):
        if t == "NAME" and any(s < ke and ks < e for ks, ke in keep):
            continue
        if all(e <= cs or s >= ce for _, cs, ce in chosen):
            chosen.append((t, s, e))
    return sorted(chosen, key=lambda x: x[1])


def redact(text: str, allowlist: Optional[Allowlist] = None) -> RedactionResult:
    """Find identifiers in ``text`` and replace each with its ``[TYPE]`` placeholder."""
    if not text:
        return RedactionResult(text or "", [])
    allow = allowlist or load_allowlist()
    found: List[Span] = []
    _find_numbers(text, allow, found)
    _find_dates(text, found)
    _find_addresses(text, found)
    for m in _SPOKEN_EMAIL.finditer(text):
        found.append(("EMAIL", m.start(), m.end()))
    _find_table_cells(text, found)
    _find_names(text, allow, found)
    placeholders = [(m.start(), m.end()) for m in _PLACEHOLDER_RE.finditer(text)]
    found = [sp for sp in found if not any(sp[1] < pe and ps < sp[2] for ps, pe in placeholders)]
    spans = _resolve(found, _protected(text, allow))
    parts, last = [], 0
    for t, s, e in spans:
        parts.append(text[last:s])
        parts.append("[%s]" % t)
        last = e
    parts.append(text[last:])
    return RedactionResult("".join(parts), spans)


def redact_text(text: str) -> str:
    """The message with every resident identifier replaced by its placeholder."""
    return redact(text).text

