"""The one strict loader for wording files (``content/wording/*.yml``): YAML in, a
validated model out, or a ``WordingError`` holding every problem as ``file:line:
message`` with a hint. The schema is the caller's (a pydantic model's
``model_validate``), so this module needs only the standard library and PyYAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from .problems import Problem, node_line

T = TypeVar("T")


class WordingError(Exception):
    """A wording file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def read_wording(path: Path | str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree for line numbers); a YAML error is a ``WordingError``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise WordingError([Problem(str(path), (mark.line + 1) if mark else 1, f"not valid YAML: {exc}")]) from exc


def load_wording(path: Path | str, validate: Callable[[Any], T], hint: str) -> T:
    """``validate(data)`` (e.g. ``Model.model_validate``); its validation errors (anything
    with ``.errors()`` giving ``loc`` and ``msg``) become problems at their YAML lines."""
    return parse_wording(path, validate, hint)[0]


def parse_wording(path: Path | str, validate: Callable[[Any], T], hint: str) -> tuple[T, yaml.Node | None]:
    """``load_wording`` plus the node tree, for a caller with checks of its own to place."""
    data, root = read_wording(path)
    try:
        return validate(data), root
    except Exception as exc:  # noqa: BLE001 - only validation errors are turned into problems
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            raise
        raise WordingError([
            Problem(str(path), node_line(root, err["loc"]) if root is not None else 1,
                    f"{'.'.join(map(str, err['loc'])) or '(top)'}: {err['msg']}", hint=hint)
            for err in errors()]) from exc
