"""Two needs in one message ("no credit on the meter and a toddler, also UC not due till
next week"): split the message into clauses and find a second strong need that differs
from the first answer.

``split_clauses(text)`` cuts at sentence ends, semicolons, "+", and at "also", "plus",
"as well", "on top of that" and "and" when both sides are long enough to be a need
(``MIN_WORDS``): "bread and butter" stays whole. ``second_need(search, text, first)``
searches each clause and returns the best hit that is confident enough to show as a card,
is not the card, and does not serve the card's own need (per the needs map: two items
answer the same need when one need lists both). A hit that is one of the card's "Not this?"
items can be the second need: it is then shown under "Also:" instead (a worker reads "Not
this?" as another answer to the same question).
``search_with_clauses(search, text)`` searches the whole message and its clauses in one
batch (one encoder call), so the second need costs no second model call.
"""

from __future__ import annotations

import re

MIN_WORDS = 3
_HARD = re.compile(r"(?:[.;!?]+\s+|\s*\+\s*|\s+-\s+|\n+)")
_SOFT = re.compile(r"\s*,?\s+(?:and\s+)?(?:also|plus|as well as|on top of that|another thing|and)\s+", re.I)


def split_clauses(text: str, min_words: int = MIN_WORDS) -> list[str]:
    """The clauses of ``text`` that have at least ``min_words`` words, in order."""
    out: list[str] = []
    for part in _HARD.split(text or ""):
        pieces = _SOFT.split(part)
        merged: list[str] = []
        for piece in pieces:  # a piece too short to be a need joins the one before it
            if merged and len(piece.split()) < min_words:
                merged[-1] = f"{merged[-1]} and {piece}"
            elif merged and len(merged[-1].split()) < min_words:
                merged[-1] = f"{merged[-1]} and {piece}"
            else:
                merged.append(piece)
        out += [m.strip(" ,") for m in merged if len(m.split()) >= min_words]
    return out


def search_with_clauses(search, text: str, filters=None, top_k: int = 3) -> dict:
    """``search.run(text)``'s result, with ``"clauses"``: the results for the message's
    clauses when it has two or more (else ``[]``), the clauses in one batch.

    The whole message is encoded on its own, exactly as ``search.run`` (and every evaluation)
    encodes it: the int8 encoder's vectors move with the texts batched beside them, and a
    long message batched with its short clauses would also pad them all to its length."""
    whole = search.run(text, filters, top_k=top_k)
    clauses = split_clauses(text)
    if len(clauses) < 2:
        return {**whole, "clauses": []}
    run_many = getattr(search, "run_many", None)
    outs = run_many(clauses, filters, top_k=top_k) if run_many else [search.run(q, filters, top_k=top_k) for q in clauses]
    return {**whole, "clauses": outs}


def second_need(search, text: str, first_hits: list, filters=None, clause_outs: list | None = None):
    """A Hit for a second need in ``text``, or None. ``first_hits`` are the hits of the
    whole message (the first one is the answer shown); ``clause_outs``, when given, are its
    clauses' results from :func:`search_with_clauses` (else the clauses are searched here)."""
    if not first_hits:
        return None
    if clause_outs is None:
        clauses = split_clauses(text)
        if len(clauses) < 2:
            return None
        run_many = getattr(search, "run_many", None)  # one encoder call for all the clauses
        clause_outs = (run_many(clauses, filters, top_k=1) if run_many
                       else [search.run(c, filters, top_k=1) for c in clauses])
    card = first_hits[0].id
    same_need = getattr(search, "same_need", None)
    best = None
    for out in clause_outs:
        if out["confidence"] not in ("answer", "show") or not out["hits"]:
            continue
        hit = out["hits"][0]
        if hit.id == card or (same_need is not None and same_need(hit.id, card)):
            continue
        if best is None or hit.score > best.score:
            best = hit
    return best
