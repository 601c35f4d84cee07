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


def _risk_problems(content_dir: Path, flow_ids: set[str]) -> list[Problem]:
    from .risk import RiskTriggers

    path = content_dir / "risk_triggers.yml"
    if not path.exists():
        return []
    name = display_path(path)
    text = path.read_text()
    try:
        root, data = yaml.compose(text), yaml.safe_load(text)
        triggers = RiskTriggers.model_validate(data)
    except yaml.YAMLError as exc:
        return [Problem(name, 1, f"YAML syntax: {exc}")]
    except ValidationError as exc:
        return [Problem(name, node_line(root, e["loc"]), f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
                for e in exc.errors()]
    out = []
    for i, t in enumerate(triggers.triggers):
        if flow_ids and t.flow not in flow_ids:
            out.append(Problem(name, node_line(root, ("triggers", i, "flow")), f"unknown flow '{t.flow}'",
                               hint=f"use one of: {', '.join(sorted(flow_ids))}"))
    if flow_ids and triggers.default_flow not in flow_ids:
        out.append(Problem(name, node_line(root, ("default_flow",)), f"unknown flow '{triggers.default_flow}'"))
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
    report.problems += _risk_problems(content_dir, flow_ids)
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
