"""Validate everything trainers edit, in one pass: services, guidance and the
thesaurus (loader), guided flows, risk triggers and refreshers. Every problem
comes back as a ``Problem`` (file:line: message, with a hint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from common.problems import Problem, display_path, node_line

from .loader import Content, load_content


@dataclass
class Report:
    content: Content
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def notices(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "notice"]


def _risk_problems(content_dir: Path, flow_ids: set[str], item_ids: set[str] = frozenset()) -> list[Problem]:
    """``risk_routes.yml``: schema, every route's guide exists, no id, cue or example twice."""
    from .risk import RiskRoutes

    path = content_dir / "risk_routes.yml"
    if not path.exists():  # a content folder without guides needs no routes
        return [] if not (content_dir / "flows").is_dir() else [Problem(display_path(path), 1, "risk routes file missing",
                        hint="every content folder needs risk_routes.yml: disclosures must open a guide")]
    name = display_path(path)
    text = path.read_text(encoding="utf-8")
    try:
        root, data = yaml.compose(text), yaml.safe_load(text)
        routes = RiskRoutes.model_validate(data)
    except yaml.YAMLError as exc:
        return [Problem(name, 1, f"YAML syntax: {exc}")]
    except ValidationError as exc:
        return [Problem(name, node_line(root, e["loc"]), f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
                for e in exc.errors()]
    out = []
    seen_ids: set[str] = set()
    seen_text: dict[str, str] = {}
    for i, r in enumerate(routes.routes):
        if r.item and item_ids and r.item not in item_ids:
            out.append(Problem(name, node_line(root, ("routes", i, "item")), f"unknown item '{r.item}'"))
        if r.flow and flow_ids and r.flow not in flow_ids:
            out.append(Problem(name, node_line(root, ("routes", i, "flow")), f"unknown flow '{r.flow}'",
                               hint=f"use one of: {', '.join(sorted(flow_ids))}"))
        if r.id in seen_ids:
            out.append(Problem(name, node_line(root, ("routes", i, "id")), f"route id '{r.id}' used twice"))
        seen_ids.add(r.id)
        for key in ("cues", "examples"):
            for j, t in enumerate(getattr(r, key)):
                k = " ".join(t.lower().split())
                if k in seen_text:
                    out.append(Problem(name, node_line(root, ("routes", i, key, j)),
                                       f"'{t}' is listed twice (also under {seen_text[k]})", level="warning",
                                       hint="keep one: a phrase under two routes makes them tie"))
                seen_text[k] = r.id
    for j, t in enumerate(routes.not_risk.examples):
        k = " ".join(t.lower().split())
        if k in seen_text:
            out.append(Problem(name, node_line(root, ("not_risk", "examples", j)),
                               f"'{t}' is both a disclosure example ({seen_text[k]}) and a not-risk example"))
    return out


def _refer_problems(content_dir: Path, flows: dict, content: Content) -> list[Problem]:
    """A guide's end step may offer a referral: each ``refer_to`` id must be a real
    service that takes professional referrals (illustrative ones cannot be referred to)."""
    from .schema import Service

    services = {i.id: i for i in content.items if isinstance(i, Service)}
    out = []
    for flow_id, flow in flows.items():
        path = content_dir / "flows" / f"{flow_id}.yml"
        root = None  # the file's node tree, read only when there is a problem to place
        for i, step in enumerate(flow.steps):
            for j, sid in enumerate(getattr(step, "refer_to", []) or []):
                svc = services.get(sid)
                why = ("is not a service in the knowledge base" if svc is None else
                       "has no referral route that takes professional referrals" if not (
                           svc.referral and svc.referral.accepts_professional_referrals) else
                       "is illustrative: a real referral cannot go to it" if svc.illustrative else None)
                if why:
                    if root is None and path.exists():
                        root = yaml.compose(path.read_text())
                    line = node_line(root, ("steps", i, "refer_to", j)) if root is not None else 1
                    out.append(Problem(display_path(path), line, f"steps[{step.id}].refer_to: '{sid}' {why}",
                                       hint="use the id of a service with a `referral:` block"))
    return out


def validate_all(content_dir: Path | str) -> Report:
    content_dir = Path(content_dir)
    content = load_content(content_dir)
    report = Report(content, {"items": len(content.items), "thesaurus terms": len(content.terms)},
                    list(content.problems))
    flow_ids: set[str] = set()
    if (content_dir / "flows").is_dir():
        from .flows import validate_flows

        flows, problems = validate_flows(content_dir / "flows")
        flow_ids = set(flows)
        report.counts["flows"] = len(flows)
        report.problems += problems + _refer_problems(content_dir, flows, content)
    report.problems += _risk_problems(content_dir, flow_ids, {i.id for i in content.items})
    from .needs import needs_problems
    from .places import places_problems
    from .referral_domains import referral_email_problems

    report.problems += needs_problems(content_dir, content.by_id())
    report.problems += referral_email_problems(content_dir, content)
    report.problems += places_problems(content_dir, {b for i in content.items for b in i.boroughs})
    if (content_dir / "refreshers").is_dir():
        try:
            from .refreshers import validate_refreshers
        except ImportError:
            validate_refreshers = None
        if validate_refreshers is not None:
            modules, problems = validate_refreshers(content_dir)
            report.counts["refreshers"] = len(modules)
            report.problems += problems
    return report
