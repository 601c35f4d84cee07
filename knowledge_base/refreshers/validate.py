"""Load and validate every refresher module: schema and cross checks, ALL problems at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import yaml
from pydantic import ValidationError

from common.problems import Problem, node_line

from ..loader import CONTENT_DIR, load_model_file, read_units, schema_problems, unit_id_problems
from .schema import Refresher, RefresherMessages

REFRESHERS_DIR = CONTENT_DIR / "refreshers"
MESSAGES_FILE = "_messages.yml"


def _schema_problems(name: str, root, exc: ValidationError) -> list[Problem]:
    return schema_problems(name, root, exc, whole="(file)")


def load_messages(content_dir: Path | str = REFRESHERS_DIR) -> tuple[RefresherMessages | None, list[Problem]]:
    return load_model_file(Path(content_dir) / MESSAGES_FILE, RefresherMessages, "refresher messages file missing",
                           "add _messages.yml", _schema_problems, skip_empty=True)


def _flow_ids(flows_dir: Path) -> set[str] | None:
    """Ids of the flows next to the content, or None when the flows module is absent."""
    try:
        from . import flows as flows_mod
    except ImportError:
        return None
    validate = getattr(flows_mod, "validate_flows", None)
    if validate is None or not flows_dir.is_dir():
        return None
    flows, _ = validate(flows_dir)
    return set(flows)


def _item_ids(kb_root: Path) -> set[str]:
    """Ids of the knowledge-base items next to the refreshers (a fast read: the items
    themselves are validated by ``kb validate``)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    ids: set[str] = set()
    for sub in ("services", "guidance"):
        for path in sorted((kb_root / sub).glob("*.y*ml")):
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            items = data.get("items") if isinstance(data, dict) else None
            ids.update(str(i["id"]) for i in items or [] if isinstance(i, dict) and i.get("id"))
    return ids


def validate_refreshers(content_dir: Path | str = REFRESHERS_DIR, today: dt.date | None = None,
                        item_ids: Iterable[str] | None = None, flow_ids: Iterable[str] | None = None,
                        cross_check: bool = True) -> tuple[dict[str, Refresher], list[Problem]]:
    """Load every refresher module in ``content_dir`` (the ``refreshers`` folder, or a
    content folder that contains one). Returns the valid modules by id and every
    problem found; never raises for content problems. Related item ids are checked
    against the knowledge base next to the folder, and flow ids against its flows
    (unless given explicitly); ``cross_check=False`` skips those checks."""
    content_dir = Path(content_dir)
    if (content_dir / "refreshers").is_dir():
        content_dir = content_dir / "refreshers"
    today = today or dt.date.today()
    modules: dict[str, Refresher] = {}
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return modules, [Problem(str(content_dir), 1, "refreshers folder not found")]
    _, msg_problems = load_messages(content_dir)
    problems.extend(msg_problems)
    kb_root = content_dir.parent
    if not cross_check:
        item_ids, flow_ids = None, None
    else:
        item_ids = set(item_ids) if item_ids is not None else _item_ids(kb_root)
        flow_ids = set(flow_ids) if flow_ids is not None else _flow_ids(kb_root / "flows")
    first_seen: dict[str, str] = {}
    for path, name, file_problems, root, data in read_units(
            content_dir, "a refresher file must be a mapping with id, title, key_points ...", "see docs/trainer-guide.md"):
        module = None
        if isinstance(data, dict):
            try:
                module = Refresher.model_validate(data)
            except ValidationError as exc:
                file_problems.extend(_schema_problems(name, root, exc))
            # cross checks on the raw data, so they are reported even when the schema failed
            for key, known, what in (("related_items", item_ids, "knowledge-base item"), ("related_flows", flow_ids, "flow")):
                raw = data.get(key) or []
                if not isinstance(raw, list):
                    continue
                for i, ref in enumerate(raw):
                    if known is not None and ref not in known:
                        file_problems.append(Problem(name, node_line(root, (key, i)), f"{key}.{i}: unknown {what} id '{ref}'",
                                                     hint=f"check the id against the {what}s (kb search / kb validate)"))
            if module is not None:
                file_problems.extend(unit_id_problems("refresher", name, root, module.id, path, first_seen))
                if module.last_reviewed > today:
                    file_problems.append(Problem(name, node_line(root, ("last_reviewed",)),
                                                 f"last_reviewed {module.last_reviewed} is in the future",
                                                 hint="use the date the module was actually checked"))
                if module.review_by < today:
                    file_problems.append(Problem(name, node_line(root, ("review_by",)), f"past its review_by date {module.review_by}",
                                                 level="warning", hint="check the module against its sources and move review_by on"))
        problems.extend(file_problems)
        if module is not None and not any(p.level == "error" for p in file_problems):
            modules[module.id] = module
            first_seen[module.id] = name
    return modules, problems
