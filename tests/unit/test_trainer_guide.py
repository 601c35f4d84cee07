"""The trainer guide documents every content field.

Every field of every content model (the strict ``Strict`` subclasses) in
``knowledge_base/schema.py`` and ``knowledge_base/refreshers/schema.py`` - and of the content
tests and flows, which trainers also write - must appear in ``docs/trainer-guide.md``
as `name` (in backticks). Models are walked recursively through their field types, so a
new nested model is covered too. (The engines' view models are output, not content.)
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from knowledge_base import schema
from knowledge_base.trainer import _shared as trainer_wording
from knowledge_base.trainer import content_tests
from knowledge_base.refreshers import schema as refresher_schema

pytestmark = pytest.mark.unit

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "trainer-guide.md"


def _models_in(module) -> list[type[BaseModel]]:
    return [c for c in vars(module).values()
            if inspect.isclass(c) and issubclass(c, schema.Strict) and c.__module__ == module.__name__]


def _nested(tp) -> list[type[BaseModel]]:
    if inspect.isclass(tp) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _nested(arg)]


def _all_fields(roots) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    todo = list(roots)
    while todo:
        model = todo.pop()
        if model.__name__ in seen:
            continue
        seen[model.__name__] = set(model.model_fields)
        for f in model.model_fields.values():
            todo.extend(_nested(f.annotation))
    return seen


def _roots():
    roots = _models_in(schema) + _models_in(refresher_schema) + _models_in(content_tests) + _models_in(trainer_wording)
    try:
        from knowledge_base import flows
    except ImportError:  # flows documented once the module exists
        return roots
    return roots + [flows.Flow]


def test_guide_documents_every_field():
    text = GUIDE.read_text(encoding="utf-8")
    fields = _all_fields(_roots())
    assert {"Service", "Guidance", "Term", "Refresher", "CheckQuestion", "CheckOption", "SearchCase"} <= set(fields)
    missing = sorted(f"{model}.{name}" for model, names in fields.items() for name in names if f"`{name}`" not in text)
    assert missing == [], f"document these fields in {GUIDE.name}: {missing}"


def test_guide_documents_every_trainer_command():
    text = GUIDE.read_text(encoding="utf-8")
    for cmd in ("kb validate", "kb build", "kb stale", "kb whats-new", "kb test", "kb gaps", "kb refreshers"):
        assert cmd in text, cmd
