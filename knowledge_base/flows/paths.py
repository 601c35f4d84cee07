"""Routes through a flow: every path from the start step to an end step, and the
longest route from each step (the engine's progress count)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import FlowError
from .schema import Flow


@dataclass(frozen=True)
class Hop:
    """One step on a path; ``choice`` is the option index taken at a question."""

    step_id: str
    choice: int | None = None


def all_paths(flow: Flow, limit: int = 100_000) -> list[list[Hop]]:
    """Every path from the start step to an end step. Flows are DAGs (the validator
    rejects cycles); a cycle here raises :class:`FlowError` instead of looping."""
    paths: list[list[Hop]] = []

    def walk(sid: str, trail: list[Hop], on_path: frozenset):
        if sid in on_path:
            raise FlowError(f"flow '{flow.id}' has a cycle through step '{sid}'")
        step = flow.step(sid)
        if step is None:
            raise FlowError(f"flow '{flow.id}': unknown step '{sid}'")
        if len(paths) > limit:
            raise FlowError(f"flow '{flow.id}' has more than {limit} paths")
        if step.kind == "end":
            paths.append(trail + [Hop(sid)])
        elif step.kind == "question":
            for j, opt in enumerate(step.options):
                walk(opt.next, trail + [Hop(sid, j)], on_path | {sid})
        else:
            walk(step.next, trail + [Hop(sid)], on_path | {sid})

    walk(flow.start, [], frozenset())
    return paths


def _longest_from(flow: Flow) -> dict[str, int]:
    """Number of steps on the longest route from each step to an end (inclusive)."""
    memo: dict[str, int] = {}

    def depth(sid: str) -> int:
        if sid not in memo:
            s = flow.step(sid)
            nxt = [o.next for o in s.options] if s.kind == "question" else ([] if s.kind == "end" else [s.next])
            memo[sid] = 1 + max((depth(n) for n in nxt), default=0)
        return memo[sid]

    for s in flow.steps:
        depth(s.id)
    return memo
