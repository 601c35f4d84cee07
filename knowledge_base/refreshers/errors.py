"""Refresher errors (typed, each with the exit code the CLI uses)."""

from __future__ import annotations

from ..errors import KnowledgeBaseError



class RefresherError(KnowledgeBaseError):
    """Base class for refresher errors."""


class RefreshersInvalid(RefresherError):
    def __init__(self, problems):
        self.problems = list(problems)
        n = sum(1 for p in self.problems if p.level == "error")
        super().__init__(f"{n} refresher error(s); run `kb refreshers` to list them")


class UnknownRefresher(RefresherError):
    exit_code = 2


class BadCheckState(RefresherError):
    exit_code = 2
