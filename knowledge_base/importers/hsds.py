"""``kb import-hsds PATH``: turn Open Referral data into our service items.

PATH is an HSDS datapackage (a folder of CSV files with ``datapackage.json``, or
that file itself) or an Open Referral UK JSON feed (a list of services, or a page
from a ``/services`` endpoint with the list under ``content``). Each service is
read into a neutral :class:`Record`, mapped with the wording and tables in
``content/importers/hsds_defaults.yml`` and validated against the strict :class:`Service` schema.
A record that cannot become a valid item is skipped and reported with its source
row and the reason; parts of a kept record that had to be left out (a fax number,
a malformed email) are reported as dropped. Nothing is dropped silently.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import html
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, HttpUrl, TypeAdapter, ValidationError

from ..errors import KnowledgeBaseError
from ..loader import CONTENT_DIR
from ..schema import BOROUGHS, CATEGORIES, ItemFile, Service

DEFAULTS_FILE = CONTENT_DIR / "importers" / "hsds_defaults.yml"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = TypeAdapter(HttpUrl)
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Plain YAML for trainers: no &anchors/*aliases for repeated values."""

    def ignore_aliases(self, data):
        return True


class HsdsImportError(KnowledgeBaseError):
    """The source could not be read (missing datapackage.json, malformed CSV or JSON)."""


class Defaults(BaseModel):
    """Shape of ``content/importers/hsds_defaults.yml`` (strict, so a typo is reported, not ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    steps: list[str]
    say_this: str
    say_this_plain: str
    notes: str
    header: str
    labels: dict[str, str]
    text: dict[str, str]
    reasons: dict[str, str]
    dropped: dict[str, str]
    weekdays: dict[str, str]
    phone_types: dict[str, str]
    referral_routes: list[dict[str, str | list[str]]]
    boroughs: dict[str, dict[str, list[str]]]
    audience: dict[str, list[str]]
    categories: dict[str, list[str]]
    accessibility: dict[str, str]
    languages: dict[str, str]


@cache
def load_defaults(path: Path = DEFAULTS_FILE) -> Defaults:
    try:
        d = Defaults.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise HsdsImportError(f"{path}: {str(exc).splitlines()[0]}") from exc
    bad = [c for c in d.categories if c not in CATEGORIES]
    if bad:
        raise HsdsImportError(f"{path}: unknown categories {bad}; use values from knowledge_base/schema.py")
    return d


@dataclass
class Record:
    """One source service, before mapping. Lists keep source order."""

    ref: str
    id: str = ""
    name: str = ""
    description: str = ""
    status: str = ""
    url: str = ""
    organisation: str = ""
    application_process: str = ""
    fees: list[str] = field(default_factory=list)
    eligibility: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    phones: list[dict] = field(default_factory=list)  # number, extension, type, label
    emails: list[tuple[str, str | None]] = field(default_factory=list)
    webs: list[tuple[str, str | None]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    schedules: list[dict] = field(default_factory=list)  # day(s), opens_at, closes_at, description
    accessibility: list[tuple[str, str]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skip:
    ref: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.ref}{f' {self.name!r}' if self.name else ''}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    total: int = 0
    items: list[dict] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    dropped: list[Skip] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    owner: str = "imported"
    reviewed: dt.date = field(default_factory=dt.date.today)
    borough_default: str = "london"
    source_url: str | None = None
    illustrative: bool = False
    progress: bool = False


# ---------------------------------------------------------------- reading

def _s(value) -> str:
    return "" if value is None else str(value).strip()


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise HsdsImportError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HsdsImportError(f"{path}: cannot read: {exc}") from exc


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    rows: list[tuple[int, dict]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, strict=True)
            header = [h.strip() for h in next(reader, [])]
            start = reader.line_num + 1
            for rec in reader:
                if rec and len(rec) != len(header):
                    raise HsdsImportError(f"{path}:{start}: malformed CSV: {len(rec)} fields, the header has {len(header)}")
                if rec:
                    rows.append((start, {h: v.strip() for h, v in zip(header, rec)}))
                start = reader.line_num + 1
    except csv.Error as exc:
        raise HsdsImportError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HsdsImportError(f"{path}: cannot read: {exc}") from exc
    return header, rows


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        if r.get(key):
            out.setdefault(r[key], []).append(r)
    return out


def _address(row: dict) -> str:
    keys = ("address_1", "address_2", "address_3", "address_4", "city", "state_province", "postal_code")
    return ", ".join(_s(row.get(k)) for k in keys if _s(row.get(k)))


def read_datapackage(folder: Path) -> tuple[str, str, list[Record]]:
    """Read an HSDS tabular datapackage. Returns (label, slug source, records)."""
    dp = folder / "datapackage.json"
    if not dp.is_file():
        raise HsdsImportError(f"{folder}: no datapackage.json (give an HSDS datapackage folder or an Open Referral UK JSON file)")
    meta = _load_json(dp)
    resources = meta.get("resources") if isinstance(meta, dict) else None
    if not isinstance(resources, list):
        raise HsdsImportError(f"{dp}: no `resources` list")
    tables: dict[str, tuple[str, list[str], list[tuple[int, dict]]]] = {}
    for res in resources:
        name, rel = _s(res.get("name")), res.get("path")
        if not name or not isinstance(rel, str):
            continue
        if not (folder / rel).is_file():
            raise HsdsImportError(f"{dp}: resource '{name}' points to {rel}, which does not exist")
        tables[name] = (rel, *_read_csv(folder / rel))
    if "service" not in tables:
        raise HsdsImportError(f"{dp}: no `service` resource")
    svc_file, svc_header, svc_rows = tables["service"]
    missing = [c for c in ("id", "name") if c not in svc_header]
    if missing:
        raise HsdsImportError(f"{folder / svc_file}:1: malformed CSV: no column {', '.join(missing)}")

    def t(*names: str) -> list[dict]:
        return [r for n in names if n in tables for _, r in tables[n][2]]

    orgs = {r["id"]: r for r in t("organization") if r.get("id")}
    sal_by = _group(t("service_at_location"), "service_id")
    contacts = t("contact")
    phones = t("phone")
    addr_by = _group(t("physical_address"), "location_id")
    sched = t("regular_schedule", "schedule")
    elig_by = _group(t("eligibility"), "service_id")
    area_by = _group(t("service_area"), "service_id")
    langs = t("language")
    access_by = _group(t("accessibility_for_disabilities", "accessibility"), "location_id")
    taxonomy = {r["id"]: r for r in t("taxonomy", "taxonomy_term") if r.get("id")}
    stax_by = _group(t("service_taxonomy"), "service_id")
    cost_by = _group(t("cost_option"), "service_id")

    records = []
    for line, row in svc_rows:
        sid, oid = row.get("id", ""), row.get("organization_id", "")
        org = orgs.get(oid, {})
        sal_ids = {r["id"] for r in sal_by.get(sid, []) if r.get("id")}
        loc_ids = {r["location_id"] for r in sal_by.get(sid, []) if r.get("location_id")}
        rec = Record(ref=f"{svc_file}:{line} (id {sid or '-'})", id=sid, name=row.get("name", ""),
                     description=row.get("description", ""), status=row.get("status", ""), url=row.get("url", ""),
                     organisation=_s(org.get("name")), application_process=row.get("application_process", ""))
        rec.fees = [row[k] for k in ("fees", "fees_description") if row.get(k)]
        rec.fees += [_cost(c) for c in cost_by.get(sid, [])]
        own = [c for c in contacts if c.get("service_id") == sid or c.get("service_at_location_id") in sal_ids]
        contact_ids = {c["id"] for c in own if c.get("id")}
        for p in phones:
            links = (p.get("service_id"), p.get("service_at_location_id"), p.get("location_id"), p.get("contact_id"))
            if p.get("service_id") == sid or links[1] in sal_ids or links[2] in loc_ids or links[3] in contact_ids or (
                    oid and p.get("organization_id") == oid and not any(links)):
                label = p.get("description") or p.get("department") or (rec.organisation if not any(links) else "")
                rec.phones.append({"number": p.get("number", ""), "extension": p.get("extension", ""),
                                   "type": p.get("type", ""), "label": label})
        rec.emails = [(row["email"], None)] if row.get("email") else []
        rec.emails += [(c["email"], c.get("name") or c.get("title") or None) for c in own if c.get("email")]
        if org.get("email"):
            rec.emails.append((org["email"], "organisation"))
        rec.webs = [(row["url"], None)] if row.get("url") else []
        rec.webs += [(org["url"], "organisation")] if org.get("url") else []
        rec.addresses = [_address(a) for lid in sorted(loc_ids) for a in addr_by.get(lid, [])]
        rec.schedules = [s for s in sched if s.get("service_id") == sid or s.get("service_at_location_id") in sal_ids]
        rec.eligibility = [e["eligibility"] for e in elig_by.get(sid, []) if e.get("eligibility")]
        rec.eligibility += [row[k] for k in ("eligibility_description",) if row.get(k)]
        rec.eligibility += _ages(row)
        rec.areas = [" ".join(filter(None, (a.get("service_area"), a.get("description")))) for a in area_by.get(sid, [])]
        rec.languages = [x["language"] for x in langs if x.get("language") and (
            x.get("service_id") == sid or x.get("location_id") in loc_ids)]
        rec.accessibility = [(a.get("accessibility", ""), a.get("details", "")) for lid in sorted(loc_ids)
                             for a in access_by.get(lid, [])]
        tax_ids = [x.strip() for x in row.get("taxonomy_ids", "").split(",") if x.strip()]
        tax_ids += [r.get("taxonomy_id", "") for r in stax_by.get(sid, [])]
        for tid in tax_ids:
            term = taxonomy.get(tid, {})
            rec.terms += [v for v in (term.get("name"), term.get("parent_name")) if v]
        records.append(rec)
    label = _s(meta.get("title")) or _s(meta.get("name")) or folder.name
    return label, _s(meta.get("name")) or label, records


def _cost(c: dict) -> str:
    if _s(c.get("amount_description")):
        return _s(c["amount_description"])
    option, amount, currency = _s(c.get("option")), _s(c.get("amount")), _s(c.get("currency")).upper()
    if not amount:
        return option
    try:
        amount = f"{float(amount):.2f}"
    except ValueError:
        pass
    key = "cost_amount_gbp" if currency in ("", "GBP") else "cost_amount"
    return load_defaults().text[key].format(option=option, amount=amount, currency=currency).strip(" :")


def _ages(obj: dict) -> list[str]:
    lo, hi, text = _s(obj.get("minimum_age")), _s(obj.get("maximum_age")), load_defaults().text
    if lo and hi:
        return [text["age_range"].format(minimum=lo, maximum=hi)]
    if lo or hi:
        return [text["age_min"].format(minimum=lo) if lo else text["age_max"].format(maximum=hi)]
    return []


def _list(obj: dict, *keys: str) -> list[dict]:
    return [x for k in keys for x in (obj.get(k) or []) if isinstance(x, dict)]


def read_oruk(path: Path) -> tuple[str, str, list[Record]]:
    """Read an Open Referral UK JSON feed of services (nested children)."""
    data = _load_json(path)
    if isinstance(data, dict):
        listed = next((data[k] for k in ("content", "contents", "items", "services") if isinstance(data.get(k), list)), None)
        data = listed if listed is not None else ([data] if "name" in data or "id" in data else None)
    if not isinstance(data, list):
        raise HsdsImportError(f"{path}: no list of services (expected a JSON list or a page with `content`)")
    records = []
    for i, s in enumerate(data, 1):
        if not isinstance(s, dict):
            raise HsdsImportError(f"{path}: service #{i} is not a JSON object")
        org = s.get("organization") if isinstance(s.get("organization"), dict) else {}
        rec = Record(ref=f"{path.name} #{i} (id {_s(s.get('id')) or '-'})", id=_s(s.get("id")), name=_s(s.get("name")),
                     description=_s(s.get("description")), status=_s(s.get("status")), url=_s(s.get("url")),
                     organisation=_s(org.get("name")), application_process=_s(s.get("application_process")))
        rec.fees = [_s(s[k]) for k in ("fees", "fees_description") if _s(s.get(k))]
        rec.fees += [_cost(c) for c in _list(s, "cost_options")]
        rec.emails = [(_s(s["email"]), None)] if _s(s.get("email")) else []
        rec.webs = [(rec.url, None)] if rec.url else []
        rec.webs += [(_s(org["url"]), "organisation")] if _s(org.get("url")) else []
        for c in _list(s, "contacts"):
            label = _s(c.get("name")) or _s(c.get("title")) or None
            if _s(c.get("email")):
                rec.emails.append((_s(c["email"]), label))
            rec.phones += [{**p, "label": _s(p.get("description")) or label} for p in _list(c, "phones")]
        rec.phones += [{**p, "label": _s(p.get("description"))} for p in _list(s, "phones")]
        if _s(org.get("email")):
            rec.emails.append((_s(org["email"]), "organisation"))
        rec.schedules = _list(s, "regular_schedules", "schedules")
        for sal in _list(s, "service_at_locations"):
            loc = sal.get("location") if isinstance(sal.get("location"), dict) else {}
            rec.schedules += _list(sal, "regular_schedule", "regular_schedules", "schedules")
            rec.addresses += [_address(a) for a in _list(loc, "physical_addresses", "addresses")]
            rec.accessibility += [(_s(a.get("accessibility")), _s(a.get("details")))
                                  for a in _list(loc, "accessibility_for_disabilities", "accessibility")]
            rec.phones += [{**p, "label": _s(p.get("description")) or _s(loc.get("name"))} for p in _list(loc, "phones")]
        for e in _list(s, "eligibilitys", "eligibilities"):
            rec.eligibility += [_s(e["eligibility"])] if _s(e.get("eligibility")) else []
            rec.eligibility += _ages(e)
        rec.eligibility += [_s(s["eligibility_description"])] if _s(s.get("eligibility_description")) else []
        rec.eligibility += _ages(s)
        rec.areas = [" ".join(filter(None, (_s(a.get("service_area")), _s(a.get("extent"))))) for a in _list(s, "service_areas")]
        rec.languages = [_s(x.get("language") or x.get("name")) for x in _list(s, "languages")]
        for st in _list(s, "service_taxonomys", "attributes"):
            term = st.get("taxonomy") or st.get("taxonomy_term") or {}
            rec.terms += [_s(term.get("name"))] if isinstance(term, dict) and _s(term.get("name")) else []
        records.append(rec)
    return path.stem, path.stem, records


def read_source(path: Path) -> tuple[str, str, list[Record]]:
    path = Path(path)
    if path.is_dir():
        return read_datapackage(path)
    if path.name == "datapackage.json":
        return read_datapackage(path.parent)
    if path.is_file() and path.suffix.lower() == ".json":
        return read_oruk(path)
    if not path.exists():
        raise HsdsImportError(f"{path}: no such file or folder")
    raise HsdsImportError(f"{path}: not an HSDS datapackage folder or an Open Referral UK .json file")


# ---------------------------------------------------------------- mapping

class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "p", "li", "div", "ul", "ol", "tr"):
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def plain(text: str) -> str:
    """HTML/markdown-ish description -> one line of plain text."""
    if "<" in text:
        p = _Text()
        p.feed(text)
        p.close()
        text = "".join(p.parts)
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u00a0", " ")).strip()


def slugify(text: str) -> str:
    text = re.sub(r"['’]", "", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _base_id(org: str, name: str) -> str:
    o, s = slugify(org), slugify(name)
    base = s if (not o or s.startswith(o)) else f"{o}-{s}".strip("-")
    if len(base) > 76:
        base = base[:76]
        base = base[: base.rfind("-")] if "-" in base else base
    return base if len(base) >= 3 else f"imported-{base}".strip("-")


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def _valid_url(url: str) -> bool:
    if not re.match(r"^https?://", url, re.I):
        return False
    try:
        _URL.validate_python(url)
        return True
    except ValidationError:
        return False


def _has(text: str, words: list[str]) -> bool:
    low = f" {text.lower()} "
    return any(w.lower() in low for w in words)


def _dedupe(values) -> list:
    out = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def _opening_times(schedules: list[dict], d: Defaults) -> str | None:
    groups: dict[tuple[str, str], list[str]] = {}
    extra = []
    for s in schedules:
        days = [x.strip() for x in re.split(r"[,\s]+", _s(s.get("byday") or s.get("weekday"))) if x.strip()]
        days = [d.weekdays.get(x.upper(), x) for x in days or ([s["freq"]] if _s(s.get("freq")).upper() == "DAILY" else [])]
        opens, closes = (_s(s.get(k))[:5] if re.match(r"^\d\d:\d\d", _s(s.get(k))) else _s(s.get(k))
                         for k in ("opens_at", "closes_at"))
        known = groups.setdefault((opens, closes), []) if days or (opens and closes) else []
        known += [x for x in _dedupe(days) if x not in known]
        if _s(s.get("description")):
            extra.append(plain(_s(s["description"])))
    keys = {(True, True): "opening_hours", (True, False): "opening_days_only", (False, True): "opening_hours_only"}
    parts = [d.text[keys[bool(days), bool(o and c)]].format(days=", ".join(days), opens=o, closes=c)
             for (o, c), days in groups.items() if days or (o and c)]
    return d.text["joiner"].join(_dedupe(parts + extra)) or None


def _contacts(rec: Record, opts: Options, d: Defaults, dropped: list[str]) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, value: str, label: str | None) -> None:
        if value and not any(c["kind"] == kind and c["value"].lower() == value.lower() for c in out):
            out.append({"kind": kind, "value": value, **({"label": label} if label else {})})

    for p in rec.phones:
        number, ptype = _s(p.get("number")), _s(p.get("type")).lower()
        if not number:
            continue
        kind = d.phone_types.get(ptype)
        if kind is None:
            dropped.append(d.dropped["phone_type"].format(value=number))
        elif opts.illustrative:
            dropped.append(d.dropped["illustrative_phone"].format(value=number))
        else:
            ext = _s(p.get("extension"))
            label = _s(p.get("label")) or None
            if ptype == "textphone":
                label = d.labels["textphone"].format(label=label or number)
            add(kind, d.labels["extension"].format(number=number, extension=ext) if ext else number, label)
    org_label = d.labels["organisation"].format(organisation=plain(rec.organisation))
    for email, label in rec.emails:
        if _EMAIL.match(email):
            add("email", email, org_label if label == "organisation" else label)
        else:
            dropped.append(d.dropped["invalid_email"].format(value=email))
    for url, label in rec.webs:
        if _valid_url(url):
            add("web", url, org_label if label == "organisation" else d.labels["website"])
        elif label == "organisation":
            dropped.append(d.dropped["invalid_contact_url"].format(value=url))
    for address in rec.addresses:
        if len(address) >= 3:
            add("address", address, None)
    return out


def _words_match(table: dict[str, list[str]], texts: list[str]) -> list[str]:
    joined = " | ".join(texts)
    return [key for key, words in table.items() if joined and _has(joined, words)]


def map_record(rec: Record, opts: Options, label: str, d: Defaults) -> tuple[dict | None, str | None, list[str]]:
    """Record -> (item dict, None, dropped) or (None, skip reason, dropped)."""
    r = d.reasons
    name, org, description = plain(rec.name), plain(rec.organisation), plain(rec.description)
    if not name:
        return None, r["missing_name"], []
    if rec.status and rec.status.lower() != "active":
        return None, r["inactive"].format(value=rec.status), []
    if not org:
        return None, r["missing_organisation"], []
    if len(description) < 10:
        return None, r["missing_description"], []
    if rec.url and not _valid_url(rec.url):
        return None, r["invalid_url"].format(value=rec.url), []
    source = rec.url or opts.source_url
    if not source:
        return None, r["no_source"], []
    dropped: list[str] = []
    contacts = _contacts(rec, opts, d, dropped)
    if not contacts:
        return None, r["no_contact"], dropped
    specific = _words_match(d.boroughs["specific"], rec.areas)
    boroughs = specific or _words_match(d.boroughs["general"], rec.areas) or [opts.borough_default]
    sentence = re.split(r"(?<=[.!?])\s+", description, maxsplit=1)[0]
    template = d.say_this_plain if name.lower() in sentence.lower() else d.say_this
    say = template.format(title=name, sentence=sentence)
    if len(say) > 200:
        room = 199 - len(template.format(title=name, sentence=""))
        cut = sentence[:room]
        say = template.format(title=name, sentence=(cut[: cut.rfind(" ")] if " " in cut else cut).rstrip(",;:") + "…")
    process = plain(rec.application_process)
    route = next((str(x["route"]) for x in d.referral_routes if _has(process, list(x["words"]))), "self-referral")
    access = [d.text["accessibility_details"].format(what=d.accessibility.get(a, a), details=plain(det)) if det
              else d.accessibility.get(a, a) for a, det in rec.accessibility if a]
    languages = _dedupe(d.languages.get(x.lower(), x) for x in map(plain, rec.languages))
    eligibility = d.text["joiner"].join(_dedupe(map(plain, rec.eligibility)))
    item = {
        "id": "", "type": "service", "title": name, "organisation": org, "description": description,
        "categories": _words_match(d.categories, rec.terms) or ["general"],
        "boroughs": [b for b in BOROUGHS if b in boroughs],
        "audience": _words_match(d.audience, rec.eligibility) or ["all"],
        "eligibility": eligibility or None,
        "opening_times": _opening_times(rec.schedules, d),
        "cost": d.text["joiner"].join(_dedupe(map(plain, rec.fees))) or None,
        "languages": languages or None,
        "accessibility": d.text["joiner"].join(_dedupe(access)) or None,
        "contacts": contacts,
        "referral": {"route": route, "how": process} if len(process) >= 5 else None,
        "say_this": [say], "steps": list(d.steps),
        "tags": _dedupe(plain(t) for t in rec.terms) or None,
        "source": source, "owner": opts.owner,
        "last_reviewed": opts.reviewed, "review_by": add_months(opts.reviewed, 6),
        "illustrative": opts.illustrative,
        "notes": d.notes.format(source=label, date=opts.reviewed.isoformat()),
    }
    return {k: v for k, v in item.items() if v is not None}, None, dropped


def _content_ids(content_dir: Path, out: Path) -> set[str]:
    ids: set[str] = set()
    for sub in ("services", "guidance"):
        for path in sorted((content_dir / sub).glob("*.y*ml")):
            if path.resolve() == out.resolve():
                continue
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=_FastLoader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # `kb validate` reports broken files; here we only avoid id clashes
            items = data.get("items") if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("id"):
                    ids.add(str(item["id"]))
    return ids


def import_records(label: str, records: list[Record], opts: Options, taken: set[str] = frozenset()) -> ImportReport:
    d = load_defaults()
    report = ImportReport(source=label, total=len(records))
    seen_source: set[str] = set()
    used = set(taken)
    bar = records
    if opts.progress:
        from tqdm import tqdm

        bar = tqdm(records, desc="importing", unit="service", file=sys.stderr)
    for rec in bar:
        name = plain(rec.name)
        if rec.id and rec.id in seen_source:
            report.skipped.append(Skip(rec.ref, name, d.reasons["duplicate_id"].format(value=rec.id)))
            continue
        seen_source.add(rec.id)
        item, reason, dropped = map_record(rec, opts, label, d)
        report.dropped += [Skip(rec.ref, name, x) for x in dropped]
        if item is None:
            report.skipped.append(Skip(rec.ref, name, reason))
            continue
        base = _base_id(item["organisation"], item["title"])
        if base in taken:
            report.skipped.append(Skip(rec.ref, name, d.reasons["id_in_content"].format(value=base)))
            continue
        item_id, n = base, 2
        while item_id in used:
            item_id, n = f"{base}-{n}", n + 1
        item["id"] = item_id
        try:
            Service.model_validate(item)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            report.skipped.append(Skip(rec.ref, name, d.reasons["schema"].format(value=msg)))
            continue
        used.add(item_id)
        report.items.append(item)
    return report


def render(report: ImportReport, reviewed: dt.date) -> str:
    """The output file text; validated again after the YAML round trip."""
    header = load_defaults().header.format(source=report.source, date=reviewed.isoformat())
    body = yaml.dump({"items": report.items}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    text = f"{header}\n{body}"
    ItemFile.model_validate(yaml.load(text, Loader=_FastLoader))
    return text


# ---------------------------------------------------------------- command line

def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("write dates as YYYY-MM-DD") from exc


def _content_dir(args) -> Path:
    return Path(getattr(args, "content", None) or os.environ.get("FRONTLINE_CONTENT_DIR", CONTENT_DIR))


def cmd_import_hsds(args) -> int:
    label, slug_source, records = read_source(Path(args.path))
    label = args.source_name or label
    out = Path(args.out) if args.out else _content_dir(args) / "services" / f"imported-{slugify(args.source_name or slug_source)}.yml"
    opts = Options(owner=args.owner, reviewed=args.reviewed or dt.date.today(), borough_default=args.borough_default,
                   source_url=args.source_url, illustrative=args.illustrative,
                   progress=not args.quiet)
    if opts.source_url and not _valid_url(opts.source_url):
        raise HsdsImportError(f"--source-url {opts.source_url!r} is not a valid http(s) URL")
    report = import_records(label, records, opts, _content_ids(_content_dir(args), out))
    for s in report.skipped:
        print(f"skipped {s}")
    for s in report.dropped:
        print(f"dropped from {s}")
    if args.report:
        rows = {"skipped": [vars(s) for s in report.skipped], "dropped": [vars(s) for s in report.dropped]}
        Path(args.report).write_text(yaml.safe_dump({"source": label, "imported": len(report.items), **rows},
                                                     sort_keys=False, allow_unicode=True), encoding="utf-8")
    if not report.items:
        raise HsdsImportError(f"nothing imported: all {report.total} record(s) from {label} were skipped (reasons above)")
    text = render(report, opts.reviewed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"imported {len(report.items)} service(s), skipped {len(report.skipped)} of {report.total} "
          f"record(s), dropped {len(report.dropped)} detail(s) -> {out}")
    return 0


def add_import_parser(subparsers) -> None:
    i = subparsers.add_parser("import-hsds", help="import Open Referral / HSDS services into a YAML content file")
    i.add_argument("path", help="HSDS datapackage folder (or its datapackage.json) or an Open Referral UK JSON file")
    i.add_argument("--out", help="output file (default <content>/services/imported-<source>.yml)")
    i.add_argument("--borough-default", required=True, choices=["london", "national"],
                   help="borough for services whose service areas name neither Hackney nor Newham")
    i.add_argument("--owner", default="imported", help="owner of the imported items (default imported)")
    i.add_argument("--reviewed", type=_date, help="last_reviewed date, YYYY-MM-DD (default today)")
    i.add_argument("--source-url", help="source URL for records without their own url (e.g. the dataset's page)")
    i.add_argument("--source-name", help="dataset name for notes and the default file name")
    i.add_argument("--illustrative", action="store_true", help="mark items illustrative (phone numbers are left out)")
    i.add_argument("--report", help="also write the skipped/dropped report as YAML to this file")
    i.add_argument("--quiet", action="store_true", help="no progress bar")
    i.set_defaults(func=cmd_import_hsds)
