"""Cue phrases that match word forms: "partner hit" matches "her partner hits her",
"partner has hit" and "boyfriend hitting" does not (different first word). Words are
stemmed (Snowball English, as BM25 does); up to ``MAX_GAP`` words may stand between
the words of a cue, so "partner just hit her" matches too."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_GAP = 2
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case stemmed words; apostrophes dropped first ("can't" -> "cant")."""
    text = (text or "").lower().replace("\u2019", "'").replace("'", "")
    return _stemmer().stemWords(_WORD.findall(text))


def matches(cue: list[str], said: list[str], max_gap: int = MAX_GAP, unless_next: frozenset[str] = frozenset()) -> bool:
    """True when the cue's words occur in order in ``said`` with at most ``max_gap``
    other words between consecutive ones. A match directly followed by a word of
    ``unless_next`` does not count ("trafficking poster")."""
    if not cue:
        return False
    for start, word in enumerate(said):
        if word != cue[0]:
            continue
        pos, ok = start, True
        for nxt in cue[1:]:
            window = said[pos + 1: pos + 2 + max_gap]
            if nxt not in window:
                ok = False
                break
            pos = pos + 1 + window.index(nxt)
        if ok and not (pos + 1 < len(said) and said[pos + 1] in unless_next):
            return True
    return False
