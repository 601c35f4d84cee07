"""The needs map (``content/needs.yml``): the needs residents bring, each mapped to the
items that meet it, and the coverage view (needs x boroughs: local, national only, none).

* **Schema** (:class:`NeedsFile`): strict, like every content file.
* **Validator** (:func:`needs_problems`): every problem at once as ``file:line``: unknown
  or repeated ids, a need with no item and an item in no need (warnings), dates.
* **Coverage** (:func:`coverage`): for each need and borough, ``local`` when a mapped item
  serves that borough (or all London), ``national`` when only national items do, ``none``
  otherwise; ``checked`` when the map records a dated "no local service found".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from common.problems import Problem, display_path, node_line

from .schema import ItemId, ShortLine, Source, Strict

NEEDS_FILE = "needs.yml"
LOCAL_BOROUGHS = ("hackney", "newham")
Area = Literal["food", "energy", "water", "benefits", "debt", "housing", "health-care", "wellbeing", "digital",
               "travel", "work", "family", "immigration", "access", "legal", "community-safety", "safeguarding"]
Cell = Literal["local", "national", "none"]


class Need(Strict):
    id: ItemId
    area: Area
    title: ShortLine
    description: str = Field(min_length=10)
    examples: list[ShortLine] = Field(min_length=1)
    items: list[ItemId] = Field(default_factory=list)
    # searched, and no local service found in that borough, on this date (national items are the fallback)
    no_local_service: dict[Literal["hackney", "newham"], dt.date] = Field(default_factory=dict)
    # messages about this need can be disclosures for this risk route (self-neglect, a scam on
    # an older person): the router does not learn its examples as "no guide"
    risk_route: ItemId | None = None
    notes: str | None = None


class NeedsFile(Strict):
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    sources: list[Source] = Field(min_length=1)
    needs: list[Need] = Field(min_length=1)


def load_needs(content_dir: Path | str) -> tuple[NeedsFile | None, list[Problem]]:
    """The needs map and its schema problems; ``(None, [])`` when the folder has none."""
    needs, problems, _ = _read(content_dir, lines=False)
    return needs, problems


def _read(content_dir: Path | str, lines: bool = True) -> tuple[NeedsFile | None, list[Problem], yaml.Node | None]:
    """(map, schema problems, node tree for line numbers), from one read of the file, with
    libyaml when present. The node tree is built only when ``lines`` asks for it or a schema
    error needs a line (search and the router only read the map: 270 -> 17 ms)."""
    path = Path(content_dir) / NEEDS_FILE
    root = None
    if not path.exists():
        return None, [], None
    name = display_path(path)
    text = path.read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
        root = yaml.compose(text, Loader=loader) if lines else None
        return NeedsFile.model_validate(data), [], root
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(name, mark.line + 1 if mark else 1, f"YAML syntax: {exc}")], None
    except ValidationError as exc:
        root = root or yaml.compose(text, Loader=loader)
        return None, [Problem(name, node_line(root, e["loc"]), f"{'.'.join(map(str, e['loc']))}: {e['msg']}",
                              hint="see docs/trainer-guide.md, 'The needs map'") for e in exc.errors()], root


def _route_ids(content_dir: Path | str) -> set[str]:
    path = Path(content_dir) / "risk_routes.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return set()  # reported by the risk routes' own checks
    return {r.get("id") for r in data.get("routes") or [] if isinstance(r, dict)}


def needs_problems(content_dir: Path | str, items: dict, today: dt.date | None = None) -> list[Problem]:
    """Schema and cross checks of ``needs.yml`` against the items (``{id: item}``)."""
    today = today or dt.date.today()
    needs, problems, root = _read(content_dir)
    if needs is None:
        return problems
    name = display_path(Path(content_dir) / NEEDS_FILE)
    out: list[Problem] = []
    seen: set[str] = set()
    used: set[str] = set()
    for i, need in enumerate(needs.needs):
        if need.id in seen:
            out.append(Problem(name, node_line(root, ("needs", i, "id")), f"need id '{need.id}' used twice"))
        seen.add(need.id)
        for j, item_id in enumerate(need.items):
            if item_id not in items:
                out.append(Problem(name, node_line(root, ("needs", i, "items", j)),
                                   f"{need.id}: unknown item '{item_id}'", hint="use the id of an existing item"))
            used.add(item_id)
        if not need.items:  # a gap: a warning until the map records it in `notes`, then a notice
            out.append(Problem(name, node_line(root, ("needs", i, "id")), f"{need.id}: no item meets this need yet",
                               level="notice" if need.notes else "warning",
                               hint="write the content, or map an existing item" if need.notes else
                               "record the gap and the fallback route in `notes`, or map an existing item"))
        for borough, checked in need.no_local_service.items():
            if checked > today:
                out.append(Problem(name, node_line(root, ("needs", i, "no_local_service", borough)),
                                   f"{need.id}: no_local_service.{borough} date {checked} is in the future"))
    route_ids = _route_ids(content_dir) if any(n.risk_route for n in needs.needs) else set()
    for i, need in enumerate(needs.needs):
        if need.risk_route and need.risk_route not in route_ids:
            out.append(Problem(name, node_line(root, ("needs", i, "risk_route")),
                               f"{need.id}: unknown risk route '{need.risk_route}'",
                               hint="use the id of a route in risk_routes.yml"))
    if needs.review_by < today:
        out.append(Problem(name, node_line(root, ("review_by",)), f"past its review_by date {needs.review_by}",
                           level="warning", hint="check the map against its sources and move review_by on"))
    for item_id in sorted(set(items) - used):
        out.append(Problem(name, 1, f"item '{item_id}' is mapped to no need", level="warning",
                           hint="add it to the needs it meets (or a new need)"))
    return out


@dataclass
class NeedCoverage:
    need: Need
    cells: dict[str, Cell]
    local_items: dict[str, list[str]] = field(default_factory=dict)
    national_items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"id": self.need.id, "area": self.need.area, "title": self.need.title, **self.cells,
                "local_items": self.local_items, "national_items": self.national_items,
                "no_local_service": {b: d.isoformat() for b, d in self.need.no_local_service.items()}}


def coverage(needs: NeedsFile, items: dict) -> list[NeedCoverage]:
    out = []
    for need in needs.needs:
        mapped = [items[i] for i in need.items if i in items]
        national = [it.id for it in mapped if "national" in it.boroughs]
        cells: dict[str, Cell] = {}
        local: dict[str, list[str]] = {}
        for borough in LOCAL_BOROUGHS:
            local[borough] = [it.id for it in mapped if {borough, "london"} & set(it.boroughs)]
            cells[borough] = "local" if local[borough] else "national" if national else "none"
        out.append(NeedCoverage(need, cells, local, national))
    return out


def summary(rows: list[NeedCoverage]) -> dict[str, dict[str, int]]:
    """Per borough: how many needs have a local route, a national route only, or none."""
    return {b: {c: sum(1 for r in rows if r.cells[b] == c) for c in ("local", "national", "none")}
            for b in LOCAL_BOROUGHS}
