"""Cue phrases that match word forms: "partner hit" matches "her partner hits her",
"partner has hit" and "boyfriend hitting" does not (different first word). Words are
stemmed (Snowball English, as BM25 does); up to ``MAX_GAP`` words may stand between
the words of a cue, so "partner just hit her" matches too. A cue's words must stand in one
clause (``said_words``): "2 kids under 5, says she has leave to remain" does not match the cue
"kid says", because a comma, full stop, semicolon, colon, "?" or "!" stands between them."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_GAP = 2
_WORD = re.compile(r"[a-z0-9]+")
_WORD_OR_STOP = re.compile(r"[a-z0-9]+|[,;:.!?]")
STOP = "|"  # a clause boundary in ``said_words``; never a word
# words the stemmer would join to a cue word of another meaning: a wedding's "groom" stems like
# "grooming" and "groomed" (the child route's cues), so a registrar's notice of marriage matched
# them. These exact forms get a stem of their own (blind29, 2026-12-06); and "actually" (a live word: "lol ...
# actually police just found him") stems like "actual" ("what's the actual procedure ... lol"; blind40, 2026-12-06)
_OWN_STEM = {"groom": "bridegroom", "grooms": "bridegroom", "actually": "actually"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _lower(text: str) -> str:
    return (text or "").lower().replace("\u2019", "'").replace("'", "")


def words(text: str) -> list[str]:
    """Lower-case stemmed words; apostrophes dropped first ("can't" -> "cant")."""
    return _stem(_WORD.findall(_lower(text)))


def _stem(tokens: list[str]) -> list[str]:
    return [_OWN_STEM.get(t, s) for t, s in zip(tokens, _stemmer().stemWords(tokens))]


def said_words(text: str) -> list[str]:
    """``words(text)`` with ``STOP`` where punctuation ends a clause, for cue matching
    (``without_stops`` gives ``words(text)`` back)."""
    tokens = _WORD_OR_STOP.findall(_lower(text))
    stemmed = iter(_stem([t for t in tokens if t[0].isalnum()]))
    return [next(stemmed) if t[0].isalnum() else STOP for t in tokens]


def without_stops(said: list[str]) -> list[str]:
    """``said_words(text)`` as ``words(text)``: the clause boundaries dropped."""
    return [w for w in said if w != STOP]


def matches(cue: list[str], said: list[str], max_gap: int = MAX_GAP, unless_next: frozenset[str] = frozenset(),
            unless_before: frozenset[str] = frozenset()) -> bool:
    """True when the cue's words occur in order in ``said`` with at most ``max_gap``
    other words between consecutive ones. A match directly followed by a word of
    ``unless_next`` ("trafficking poster"), or directly after a word of ``unless_before``
    ("no cuckooing"), does not count."""
    if not cue:
        return False
    for start, word in enumerate(said):
        if word != cue[0] or (start and said[start - 1] in unless_before):
            continue
        pos, ok = start, True
        for nxt in cue[1:]:
            window = said[pos + 1: pos + 2 + max_gap]
            if STOP in window:  # the next word of a cue stands in the same clause
                window = window[:window.index(STOP)]
            if nxt not in window:
                ok = False
                break
            pos = pos + 1 + window.index(nxt)
        if ok and not (pos + 1 < len(said) and said[pos + 1] in unless_next):
            return True
    return False
