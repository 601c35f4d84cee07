"""Text views of items and the thesaurus, shared by indexing and search."""

from __future__ import annotations

import re
import unicodedata

from .schema import Guidance, Service, Term

_WORD = re.compile(r"[a-z0-9£']+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("’", "'")


def tokens(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


# Residents speak in the first person ("he takes my money"), workers in the third ("he
# takes her money"): inside a thesaurus phrase any personal pronoun matches any other.
_PRONOUNS = frozenset("i me my mine myself you your he him his himself she her hers herself they them their "
                      "theirs themselves we us our".split())


def _plain(tok: str) -> str:
    """A token without apostrophes: "can't" = "cant"."""
    return tok.replace("'", "")


def _fold(tok: str) -> str:
    """One token as the thesaurus compares it: apostrophes dropped, personal pronouns made equal."""
    tok = _plain(tok)
    return "<pron>" if tok in _PRONOUNS else tok


class Thesaurus:
    """Maps resident and professional words (``lecky``, ``UC``, ``CAB``) to a
    canonical term. ``expand(text)`` appends the canonical terms of every
    variant found, so "lecky" also matches "electricity". Phrases match whatever
    the apostrophes and whichever personal pronoun ("takes my benefits" matches
    "takes her benefits")."""

    def __init__(self, terms: list[Term]):
        self._phrases: list[tuple[tuple[str, ...], str]] = []
        for t in terms:
            canon = normalise(t.term)
            for v in [t.term, *t.variants]:
                toks = tuple(_fold(x) for x in tokens(v))
                if toks and set(toks) != {"<pron>"}:
                    self._phrases.append((toks, canon))
        # longest phrases first so "council tax reduction" wins over "council"
        self._phrases.sort(key=lambda p: -len(p[0]))
        self._first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for toks, canon in self._phrases:
            self._first.setdefault(toks[0], []).append((toks, canon))

    def canonical_terms(self, text: str) -> list[str]:
        """Canonical terms of the variants in ``text``, scanning left to right and taking
        the longest phrase at each point: "kids left home alone" is child protection, and
        its "alone" is not read again as loneliness."""
        toks = [_fold(x) for x in tokens(text)]
        found: list[str] = []
        i = 0
        while i < len(toks):
            for phrase, canon in self._first.get(toks[i], ()):  # longest first
                if tuple(toks[i : i + len(phrase)]) == phrase:
                    if canon not in found:
                        found.append(canon)
                    i += len(phrase)
                    break
            else:
                i += 1
        return found

    def expand(self, text: str) -> str:
        extra = [c for c in self.canonical_terms(text) if c not in normalise(text)]
        return f"{text} ({'; '.join(extra)})" if extra else text


# phone numbers, web and email addresses: the dense model reads them as noise, and they cost
# tokens (encoding time grows with tokens); BM25 still has them
_NOT_MEANING = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+|\+?\d[\d ()-]{5,}\d")


def item_views(item: Service | Guidance) -> list[str]:
    """The text dense search embeds for an item: its title, tags and the first line a worker
    reads aloud, without phone numbers or links; one short text. The other say-this lines,
    description, eligibility and steps are left to BM25.

    Measured (``make eval``, 2 cores, int8 encoder), hit@1 on dev / check / check2: this
    text 0.933 / 0.900 / 0.800 at about 200 items/s (blind check4: 0.850); title, tags and
    every say-this line 0.914 / 0.900 / 0.820 at 88 items/s (fp32) or 150 items/s (int8);
    five views per item 0.919 / 0.825 / 0.820 at 26 items/s (fp32).
    """
    tags = ", ".join(_new_tags(item.title, item.tags))
    head = f"{item.title}. {tags}" if tags else item.title
    text = " ".join([head, *item.say_this[:1]])
    return [re.sub(r"\s+", " ", _NOT_MEANING.sub("", text)).strip()[:1000]]


def _new_tags(title: str, tags: list[str]) -> list[str]:
    """Tags that add words to the dense text: spelling twins ("can't get to shops" /
    "cant get to shops") and tags already in the title are dropped (BM25 keeps them all)."""
    def key(text: str) -> str:
        return " ".join(_plain(t) for t in tokens(text))

    seen, kept = set(), []
    in_title = f" {key(title)} "
    for tag in tags:
        k = key(tag)
        if k and k not in seen and f" {k} " not in in_title:
            seen.add(k)
            kept.append(tag)
    return kept


def item_lexical_text(item: Service | Guidance) -> str:
    """One text per item for BM25: title and tags weighted by repetition."""
    parts = [item.title, item.title, " ".join(item.tags), " ".join(item.tags), *item.say_this, *item.steps]
    if isinstance(item, Service):
        parts += [item.organisation, item.description, item.eligibility or ""]
    else:
        parts += [item.summary]
    parts += item.categories
    return " ".join(parts)
