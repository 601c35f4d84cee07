"""Example vectors kept on disk between starts: the risk router's examples and the needs
map's exemplars are encoded once, then read back (keyed by model and text), so a restart
or a content reload encodes only new texts.

``cached_vectors(embedder, texts, path)`` returns one vector per text. New texts are
encoded in fixed batches of ``BATCH`` in file order (an int8 encoder is not exactly
batch-invariant: fixed batches give the same vectors on every machine for the same list).
A missing or unreadable file is not an error (everything is encoded again); a read-only
folder only means encoding again next time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

BATCH = 64


def _keys(model: str, texts: list[str]) -> list[str]:
    return [hashlib.sha256(f"{model}\0{t}".encode()).hexdigest()[:32] for t in texts]


def cached_vectors(embedder, texts: list[str], path: Path | None, canonical: bool = False) -> np.ndarray:
    """The vectors of ``texts`` (float32, one row per text), from ``path`` where cached.
    ``canonical``: when any text is new, encode them all again in fixed batches, so the
    vectors are exactly those a fresh clone gets (search figures are then reproducible);
    otherwise only the new texts are encoded (quicker, off by int8 rounding at most)."""
    model = getattr(embedder, "model_id", type(embedder).__name__)
    keys = _keys(model, texts)
    cached: dict[str, np.ndarray] = {}
    if path is not None:
        try:
            with np.load(path) as z:
                cached = dict(zip(z["keys"].tolist(), z["vectors"]))
        except (OSError, KeyError, ValueError):
            pass  # no cache yet, or an unreadable one: encode everything
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in cached))
    if missing and canonical:
        cached, missing = {}, list(dict.fromkeys(texts))
    if missing:
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            for k, v in zip(_keys(model, batch), embedder.run(batch)["embeddings"]):
                cached[k] = np.asarray(v, dtype="float32")
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, keys=np.array(keys), vectors=np.stack([cached[k] for k in keys]))
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only data folder: encode again next time
    if not texts:
        return np.zeros((0, 0), "float32")
    return np.stack([cached[k] for k in keys]).astype("float32")
