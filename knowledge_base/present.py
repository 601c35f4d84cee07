"""Turn an item into the fields of an answer card. Field values only: the
wording around them lives in the Rasa responses (bot/domain/knowledge.yml)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from common.paths import WORDING_DIR
from common.wording import load_wording

from .schema import Contact, Guidance, Service, ShortLine, Strict


class SearchWording(Strict):
    """``content/wording/search.yml``."""

    referral_question_words: list[ShortLine]


@lru_cache(maxsize=1)
def search_wording() -> SearchWording:
    return load_wording(WORDING_DIR / "search.yml", SearchWording.model_validate,
                        hint="compare with SearchWording in knowledge_base/present.py")


def asks_how_to_refer(text: str) -> bool:
    said = " ".join((text or "").lower().replace("\u2019", "'").split())
    return any(w.lower() in said for w in search_wording().referral_question_words)


def referral_fields(item: Service | Guidance) -> dict | None:
    """Values for ``utter_kb_referral``: how a service takes referrals, from its own
    ``referral:`` block; None when it has none."""
    ref = getattr(item, "referral", None)
    if ref is None:
        return None
    return {"title": item.title, "how": ref.how, "needs": "; ".join(ref.needs) or "-",
            "reply_time": ref.expected_response or "-"}


def format_contact(c: Contact) -> str:
    parts = [f"{c.label}: {c.value}" if c.label else c.value]
    if c.hours:
        parts.append(f"({c.hours})")
    return " ".join(parts)


def item_source(item: Service | Guidance) -> str:
    if isinstance(item, Service):
        return str(item.source)
    primary = [s for s in item.sources if s.primary] or list(item.sources)
    return str(primary[0].url)


def answer_fields(item: Service | Guidance, today: dt.date | None = None) -> dict:
    """Values for the ``utter_kb_answer`` response and the web card."""
    today = today or dt.date.today()
    return {
        "item_id": item.id,
        "title": item.title,
        "say_this": " ".join(item.say_this),
        "steps": "\n".join(f"{n}. {s}" for n, s in enumerate(item.steps, 1)),
        "contact": "; ".join(format_contact(c) for c in item.contacts[:2]),
        "source": item_source(item),
        "last_checked": item.last_reviewed.strftime("%-d %B %Y"),
        "review_by": item.review_by.strftime("%-d %B %Y"),
        "stale": item.review_by < today,
        "illustrative": item.illustrative,
        # a service that takes professional referrals gets a "Refer" button in the web panel
        "refer": isinstance(item, Service) and item.referral is not None
        and item.referral.accepts_professional_referrals and not item.illustrative,
    }
