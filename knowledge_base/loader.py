"""Load content files, validate them against the schema and report every
problem at once as ``file:line: message`` (with a hint where we have one).

Line numbers come from the YAML node tree, so a pydantic error location such as
``items.3.contacts.0.value`` is mapped back to the line the trainer edited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml
from pydantic import ValidationError

from common.paths import CONTENT_DIR
from common.problems import Problem, display_path, node_line, read_yaml

from .schema import Guidance, ItemFile, Service, Term, ThesaurusFile

# files in the content home that are not knowledge-base content
NOT_KNOWLEDGE = {"wording", "importers", "redaction_allowlist.yml", "referral_domains.yml", "places.yml"}

# UK emergency and NHS numbers need no per-item verification date
EMERGENCY_NUMBERS = {"999", "112", "111", "101", "105"}

HINTS = {
    "extra_forbidden": "remove the field or check its spelling against knowledge_base/schema.py",
    "missing": "add the field; see content/README.md for an example",
    "literal_error": "use one of the allowed values listed",
    "url_parsing": "give a full address starting with https://",
    "date_from_datetime_parsing": "write dates as YYYY-MM-DD",
    "date_parsing": "write dates as YYYY-MM-DD",
    "too_long": "shorten the list or text",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": "ids are lower-case letters, digits and hyphens, 3-80 characters",
    "union_tag_invalid": "set `type:` to service or guidance",
    "union_tag_not_found": "set `type:` to service or guidance",
}


@dataclass
class Content:
    """Everything loaded from the content folder."""

    items: list[Service | Guidance] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    item_lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # the needs map's worker-worded examples, each with the items of its need: search reads
    # them as exemplars ("a message like this one is answered by these items")
    exemplars: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def by_id(self) -> dict[str, Service | Guidance]:
        return {i.id: i for i in self.items}


def _validate_file(path: Path, model, content: Content):
    name = display_path(path)
    before = len(content.problems)
    root, data = read_yaml(path, content.problems)
    if len(content.problems) > before:  # unreadable: the problem is recorded
        return None, None
    if data is None:
        content.problems.append(Problem(name, 1, "file is empty", hint="add an `items:` or `terms:` list"))
        return None, None
    try:
        return model.model_validate(data), root
    except ValidationError as exc:
        for err in exc.errors():
            loc = err["loc"]
            where = ".".join(str(p) for p in loc if p not in ("service", "guidance"))
            msg = err["msg"]
            if err["type"] == "literal_error" and err.get("ctx", {}).get("expected"):
                msg = f"{msg}"
            content.problems.append(
                Problem(name, node_line(root, loc), f"{where}: {msg}", hint=HINTS.get(err["type"]))
            )
        # keep the valid items of a partly broken file, so one typo does not hide the rest
        if model is ItemFile and isinstance(data, dict) and isinstance(data.get("items"), list):
            good = []
            for raw in data["items"]:
                try:
                    good.append(ItemFile.model_validate({"items": [raw]}).items[0])
                except ValidationError:
                    pass
            return (ItemFile.model_construct(items=good) if good else None), root
        return None, root


def _check_cross(content: Content, today: dt.date) -> None:
    seen: dict[str, tuple[str, int]] = {}
    for item in content.items:
        file, line = content.item_lines[id(item)] if id(item) in content.item_lines else ("?", 1)
        if item.id in seen:
            f0, l0 = seen[item.id]
            content.problems.append(
                Problem(file, line, f"duplicate id '{item.id}' (first defined at {f0}:{l0})", hint="ids must be unique")
            )
        else:
            seen[item.id] = (file, line)
        if item.last_reviewed > today:
            content.problems.append(
                Problem(file, line, f"{item.id}: last_reviewed {item.last_reviewed} is in the future",
                        hint="use the date the item was actually checked")
            )
        if item.review_by < today:
            content.problems.append(
                Problem(file, line, f"{item.id}: past its review_by date {item.review_by}", level="warning",
                        hint="check the item against its source and move review_by on")
            )
        for c in item.contacts:
            if c.kind in ("phone", "text") and item.illustrative:
                content.problems.append(
                    Problem(file, line, f"{item.id}: an illustrative item must not carry a phone number",
                            hint="remove the number or verify the service and drop illustrative")
                )
            elif c.kind in ("phone", "text") and c.verified_on is None and c.value.strip() not in EMERGENCY_NUMBERS:
                content.problems.append(
                    Problem(file, line, f"{item.id}: phone number {c.value!r} has no verified_on date", level="warning",
                            hint="check the number on the provider's own page and record the date")
                )
        if isinstance(item, Guidance) and item.legal and not any(s.primary for s in item.sources):
            content.problems.append(Problem(file, line, f"{item.id}: legal guidance without a primary source"))
    # keep the lookup keyed by item id for callers
    content.item_lines = {it.id: content.item_lines.get(id(it), ("?", 1)) for it in content.items}


def load_content(content_dir: Path | str = CONTENT_DIR, today: dt.date | None = None) -> Content:
    """Load and validate every content file. Never raises for content problems:
    they are collected in ``Content.problems``."""
    content_dir = Path(content_dir)
    today = today or dt.date.today()
    content = Content()
    if not content_dir.is_dir():
        content.problems.append(Problem(str(content_dir), 1, "content folder not found"))
        return content
    for sub in ("services", "guidance"):
        for path in sorted((content_dir / sub).glob("*.y*ml")):
            parsed, root = _validate_file(path, ItemFile, content)
            if parsed is None:
                continue
            items_node = None
            if isinstance(root, yaml.MappingNode):
                items_node = next((v for k, v in root.value if k.value == "items"), None)
            raw_ids = []
            if isinstance(items_node, yaml.SequenceNode):
                for n in items_node.value:
                    idn = next((v for k, v in n.value if k.value == "id"), None) if isinstance(n, yaml.MappingNode) else None
                    raw_ids.append((idn.value if idn is not None else None, n.start_mark.line + 1))
            for item in parsed.items:
                line = next((ln for rid, ln in raw_ids if rid == item.id), 1)
                content.item_lines[id(item)] = (display_path(path), line)
                content.items.append(item)
    for path in sorted((content_dir / "thesaurus").glob("*.y*ml")):
        parsed, _ = _validate_file(path, ThesaurusFile, content)
        if parsed is not None:
            content.terms.extend(parsed.terms)
    if not content.items and not content.errors:
        content.problems.append(Problem(str(content_dir), 1, "no content items found", hint="add files under services/ or guidance/"))
    _check_cross(content, today)
    content.exemplars = _exemplars(content_dir, {i.id for i in content.items})
    return content


def _exemplars(content_dir: Path, item_ids: set[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(example, its need's items) for every example in ``needs.yml``; none when the map is
    missing or broken (``kb validate`` reports that)."""
    from .needs import load_needs

    try:
        needs, _ = load_needs(content_dir)
    except Exception:  # noqa: BLE001 - a broken map is a validation problem, not a search one
        return []
    out = []
    for need in needs.needs if needs else ():
        items = tuple(i for i in need.items if i in item_ids)
        if items:
            out += [(e, items) for e in need.examples]
    return out


def content_fingerprint(content_dir: Path | str = CONTENT_DIR) -> str:
    """A hash of every knowledge-base file, to decide whether the index must be rebuilt.
    The interface wording, importer defaults and redaction allow-list share the content
    home but are not knowledge: editing them reloads nothing."""
    h = hashlib.sha256()
    for path in sorted(Path(content_dir).rglob("*.y*ml")):
        if path.relative_to(content_dir).parts[0] in NOT_KNOWLEDGE:
            continue
        h.update(str(path.relative_to(content_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# ------------------------------------------------ folders of one-unit-per-file YAML
# Flows and refreshers share a layout: one unit per ``<id>.yml`` file in a folder, and
# files starting with ``_`` (``_messages.yml``) hold the fixed wording of the engine.


def schema_problems(name: str, root, exc: ValidationError, skip: Iterable = (), whole: str = "",
                    hint: Callable[[dict], str | None] | None = None) -> list[Problem]:
    """Every error of ``exc`` as a Problem at the line of its location in the node tree
    ``root``. ``skip`` drops location parts that are not keys (union tags such as
    ``question``); ``whole`` names an error without a location; ``hint(err)`` replaces
    the :data:`HINTS` lookup."""
    out = []
    for err in exc.errors():
        loc = err["loc"]
        where = ".".join(str(p) for p in loc if p not in skip) or whole
        out.append(Problem(name, node_line(root, loc), f"{where}: {err['msg']}",
                           hint=hint(err) if hint else HINTS.get(err["type"])))
    return out


def load_model_file(path: Path, model, missing: str, missing_hint: str,
                    to_problems: Callable[[str, Any, ValidationError], list[Problem]] = schema_problems,
                    skip_empty: bool = False) -> tuple[Any, list[Problem]]:
    """``(model instance, [])`` from one YAML file such as ``_messages.yml``, or ``(None,
    problems)``: ``missing`` when there is no file, the YAML problem when it cannot be
    read, else ``to_problems(name, root, exc)``. With ``skip_empty`` an empty file gives
    ``(None, [])`` instead of being validated."""
    if not path.is_file():
        return None, [Problem(display_path(path), 1, missing, hint=missing_hint)]
    problems: list[Problem] = []
    root, data = read_yaml(path, problems)
    if problems or (skip_empty and root is None):
        return None, problems
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, to_problems(display_path(path), root, exc)


def read_units(folder: Path, not_mapping: str, not_mapping_hint: str) -> Iterator[tuple[Path, str, list[Problem], Any, Any]]:
    """``(path, display name, problems, node tree, data)`` for each unit file of
    ``folder``: ``*.yml``/``*.yaml`` in name order, leaving out the files starting with
    ``_``. ``problems`` holds the file's reading problems, and ``not_mapping`` (at line 1)
    when the file is not a mapping; callers add their own checks to it."""
    for path in sorted(folder.glob("*.y*ml")):
        if path.name.startswith("_"):
            continue
        name = display_path(path)
        problems: list[Problem] = []
        root, data = read_yaml(path, problems)
        if root is not None and not isinstance(data, dict):
            problems.append(Problem(name, 1, not_mapping, hint=not_mapping_hint))
        yield path, name, problems, root, data


def unit_id_problems(noun: str, name: str, root, unit_id: str, path: Path, first_seen: dict[str, str]) -> list[Problem]:
    """A warning when ``unit_id`` differs from the file name, an error when an earlier
    file of the folder has the same id (``first_seen``: id -> display name)."""
    out = []
    if unit_id != path.stem:
        out.append(Problem(name, node_line(root, ("id",)), f"{noun} id '{unit_id}' differs from the file name",
                           level="warning", hint=f"name the file {unit_id}.yml"))
    if unit_id in first_seen:
        out.append(Problem(name, node_line(root, ("id",)), f"duplicate {noun} id '{unit_id}' (also in {first_seen[unit_id]})",
                           hint=f"{noun} ids must be unique"))
    return out
