"""Flow errors (all :class:`~knowledge_base.errors.KnowledgeBaseError`, so the CLI
prints one clean line and exits with ``exit_code``)."""

from __future__ import annotations

from ..errors import KnowledgeBaseError


class FlowError(KnowledgeBaseError):
    """Base class for flow errors."""


class FlowsInvalid(FlowError):
    """Flow content failed validation; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        n = sum(1 for p in self.problems if p.level == "error")
        super().__init__(f"{n} flow content error(s); first: {self.problems[0] if self.problems else '-'}")


class UnknownFlow(FlowError):
    """No flow with that id."""

    exit_code = 2


class BadState(FlowError):
    """The state dict is not one this engine produced."""

    exit_code = 2
