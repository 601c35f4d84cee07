"""Risk-disclosure detection from trainer-editable phrases (content/risk_triggers.yml).

``detect_risk(text)`` returns the id of the safeguarding flow to pivot to, or
None. It is a safety net beside Rasa's ``risk_disclosure`` intent: either one
is enough to start the guide.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field

from .loader import CONTENT_DIR
from .schema import Strict

TRIGGERS_FILE = CONTENT_DIR / "risk_triggers.yml"


class Trigger(Strict):
    flow: str
    phrases: list[str] = Field(min_length=1)


class RiskTriggers(Strict):
    triggers: list[Trigger] = Field(min_length=1)
    default_flow: str


def _norm(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " " + re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text)).strip() + " "


@lru_cache(maxsize=4)
def load_triggers(path: Path = TRIGGERS_FILE) -> RiskTriggers:
    return RiskTriggers.model_validate(yaml.safe_load(Path(path).read_text()))


def detect_risk(text: str, triggers: RiskTriggers | None = None) -> str | None:
    triggers = triggers or load_triggers()
    said = _norm(text or "")
    best, best_hits = None, 0
    for t in triggers.triggers:
        hits = sum(1 for p in t.phrases if _norm(p) in said)
        if hits > best_hits:
            best, best_hits = t.flow, hits
    return best


def flow_for_disclosure(text: str, triggers: RiskTriggers | None = None) -> str:
    """The flow for a message already known to be a risk disclosure (e.g. by the NLU)."""
    triggers = triggers or load_triggers()
    return detect_risk(text, triggers) or triggers.default_flow
