"""Graph checks on a flow's raw YAML (duplicate and unknown step ids, dead ends,
unreachable steps, cycles), so they run even when the schema fails."""

from __future__ import annotations

from typing import Any

from common.problems import Problem, node_line


def _edges(raw_step: dict, i: int) -> list[tuple[Any, tuple]]:
    if raw_step.get("kind") == "question":
        opts = raw_step.get("options") if isinstance(raw_step.get("options"), list) else []
        return [(o.get("next"), ("steps", i, "options", j, "next")) for j, o in enumerate(opts) if isinstance(o, dict)]
    if raw_step.get("kind") == "end":
        return []
    return [(raw_step["next"], ("steps", i, "next"))] if raw_step.get("next") is not None else []


def _graph_problems(name: str, root, data: dict) -> list[Problem]:
    """Graph checks on the raw YAML, so they run even when the schema fails."""
    out: list[Problem] = []
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    where: dict[str, int] = {}
    for i, s in enumerate(steps):
        if not isinstance(s, dict) or not isinstance(s.get("id"), str):
            continue
        if s["id"] in where:
            out.append(Problem(name, node_line(root, ("steps", i, "id")),
                               f"duplicate step id '{s['id']}' (first at line {node_line(root, ('steps', where[s['id']]))})",
                               hint="step ids must be unique within a flow"))
        else:
            where[s["id"]] = i
    known = ", ".join(sorted(where)[:12])
    graph: dict[str, list[str]] = {}
    for sid, i in where.items():
        s = steps[i]
        edges = _edges(s, i)
        graph[sid] = []
        if s.get("kind") != "end" and not edges:
            out.append(Problem(name, node_line(root, ("steps", i)), f"dead end: step '{sid}' leads nowhere",
                               hint="give it `next:` (or options with `next:`), or make it `kind: end`"))
        for target, loc in edges:
            if target not in where:
                out.append(Problem(name, node_line(root, loc), f"step '{sid}': unknown next step '{target}'",
                                   hint=f"use one of: {known}"))
            else:
                graph[sid].append(target)
    start = data.get("start")
    if start not in where:
        out.append(Problem(name, node_line(root, ("start",)), f"unknown start step '{start}'", hint=f"use one of: {known}"))
        return out
    # reachability
    seen, todo = {start}, [start]
    while todo:
        for t in graph[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for sid, i in where.items():
        if sid not in seen:
            out.append(Problem(name, node_line(root, ("steps", i)), f"unreachable step '{sid}' (no path from '{start}')",
                               hint="link to it from another step or delete it"))
    # cycles (flows must be DAGs so every path ends)
    colour: dict[str, int] = {}

    def visit(n: str, trail: list[str]):
        colour[n] = 1
        for t in graph[n]:
            if colour.get(t) == 1:
                loop = " -> ".join(trail[trail.index(t):] + [n, t]) if t in trail else f"{n} -> {t}"
                out.append(Problem(name, node_line(root, ("steps", where[n])), f"cycle: {loop}",
                                   hint="flows must not loop; use the `back` command instead of linking backwards"))
            elif t not in colour:
                visit(t, trail + [n])
        colour[n] = 2

    visit(start, [])
    # dead ends: a reachable step from which no end step can be reached
    ends = {sid for sid, i in where.items() if steps[i].get("kind") == "end"}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for sid, ts in graph.items():
            if sid not in can_end and any(t in can_end for t in ts):
                can_end.add(sid)
                changed = True
    for sid in sorted(seen - can_end, key=lambda s: where[s]):
        if graph[sid] and all(t in where for t, _ in _edges(steps[where[sid]], where[sid])):
            out.append(Problem(name, node_line(root, ("steps", where[sid])),
                               f"dead end: no path from step '{sid}' reaches an end step",
                               hint="every route must finish at a `kind: end` step"))
    return out
