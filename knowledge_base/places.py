"""Which borough a message is about: ``content/places.yml`` (owned by trainers) lists each
borough's own name, areas and postcode districts. ``borough_named(text)`` returns the one
borough whose places the message names, or None when it names none or both; search then
shows that borough's local items beside London-wide and national ones."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field

from common.problems import Problem, display_path, node_line

from .loader import CONTENT_DIR
from .schema import Strict

FILE_NAME = "places.yml"


class Places(Strict):
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    boroughs: dict[str, list[str]] = Field(min_length=1)


def load_places(content_dir: Path | str = CONTENT_DIR) -> Places | None:
    """The gazetteer, or None when the content has no ``places.yml`` (nothing is filtered)."""
    path = Path(content_dir) / FILE_NAME
    if not path.exists():
        return None
    return Places.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _patterns(places: Places) -> dict[str, re.Pattern]:
    return {b: re.compile(r"\b(?:" + "|".join(re.escape(n.lower()) for n in sorted(names, key=len, reverse=True))
                          + r")\b") for b, names in places.boroughs.items() if names}


@lru_cache(maxsize=4)
def _compiled(content_dir: str, mtime: float) -> dict[str, re.Pattern]:
    places = load_places(content_dir)
    return _patterns(places) if places else {}


def _shipped(content_dir: Path | str) -> dict[str, re.Pattern]:
    """The patterns, read again when a trainer saves ``places.yml`` (keyed by its mtime)."""
    try:
        mtime = (Path(content_dir) / FILE_NAME).stat().st_mtime
    except OSError:
        return {}
    return _compiled(str(content_dir), mtime)


def borough_named(text: str, content_dir: Path | str = CONTENT_DIR) -> str | None:
    """The one borough whose places ``text`` names, else None."""
    low = (text or "").lower()
    named = {b for b, pattern in _shipped(content_dir).items() if pattern.search(low)}
    return named.pop() if len(named) == 1 else None


def places_problems(content_dir: Path | str, boroughs_in_use: set[str]) -> list[Problem]:
    """Errors for an unreadable gazetteer, a place under two boroughs, or a borough no item has."""
    path = Path(content_dir) / FILE_NAME
    try:
        places = load_places(content_dir)
    except Exception as exc:  # noqa: BLE001 - a broken gazetteer is itself the problem
        return [Problem(str(path), 1, f"cannot read the places list: {exc}",
                        hint="boroughs: {hackney: [dalston, ...], newham: [...]}")]
    if places is None:
        return []
    root = yaml.compose(path.read_text(encoding="utf-8"))
    shown = display_path(path)
    out, seen = [], {}
    for borough, names in places.boroughs.items():
        if borough not in boroughs_in_use:
            out.append(Problem(shown, node_line(root, ("boroughs", borough)),
                               f"borough '{borough}' is not a borough of any item",
                               hint=f"use one of: {', '.join(sorted(boroughs_in_use))}"))
        for i, name in enumerate(names):
            key = " ".join(name.lower().split())
            if key in seen and seen[key] != borough:
                out.append(Problem(shown, node_line(root, ("boroughs", borough, i)),
                                   f"'{name}' is listed under both {seen[key]} and {borough}",
                                   hint="a place belongs to one borough; leave out names that cross the line"))
            seen[key] = borough
    return out
