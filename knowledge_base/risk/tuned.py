"""The route classifier fine-tuned on the routes' own examples (``kb build`` trains it).

The sentence embedding that search uses is general-purpose: "my missus will murder me if the
bin isn't collected" lies close to "he'll kill me if I leave", and a disclosure worded unlike
every example lies far from all of them. Fine-tuning the same bundled model on the router's
labelled examples (each route's disclosures, the questions about risk, the everyday needs)
teaches it what separates them. The router then takes its class probabilities from this model
instead of the logistic regression over the general embedding; cues, the nearest examples'
vote, the clause rules and every threshold stay as they are.

A small component like the others: a cheap ``__init__``; ``warm_up()`` loads the trained model
from its folder (its linear weights as float16 unless ``FRONTLINE_RISK_PRECISION=fp32``, and the
search embedder's traced forward pass: one message 13 -> 8 ms on one thread, and over every
routing set's 8174 messages not one decision differs from float32's, measured 2026-12-06);
``run(texts) -> {"probabilities": (n, classes)}``. ``train()`` fine-tunes from
the bundled, sha256-checked weights (fixed seed, fixed batch order, a fixed number of threads:
the same examples give the same model on the same machine) and writes the folder atomically.

The folder's ``meta.json`` names what the model was trained on (``key``): the examples, their
labels, the classes and the training settings. ``state(key)`` says whether it is ``current``,
``stale`` (trained on other examples, same classes: still used, the new examples count at once
through the nearest-examples vote, and ``kb build`` trains it again) or ``unusable`` (no model,
or other classes: the router falls back to its logistic regression).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..embedders import (PINNED_WEIGHTS_SHA256, bundled_model_path, encode_one_batch, load_checked, quantise,
                         sha256_file, traced_forward)
from ..errors import EmbedderConfigError, ModelIntegrityError

TUNED_DIR = "risk-classifier"  # the folder beside the search index
PRECISIONS = ("fp16", "fp32")
CURRENT, STALE, UNUSABLE = "current", "stale", "unusable"


@dataclass(frozen=True)
class TunedSettings:
    """How the classifier is trained. Chosen on the dev routing sets (2026-12-05): two epochs
    of every example; the head reads the normalised embedding times ``scale``."""

    epochs: int = 2
    lr: float = 3e-5          # the encoder's learning rate (linear warm-up over the first tenth, then decay)
    head_lr: float = 1e-3     # the classification head's
    batch: int = 16
    max_tokens: int = 128     # longer examples are cut (a long call note's clauses are routed one by one too)
    seed: int = 0
    scale: float = 20.0
    label_smoothing: float = 0.0
    weight_decay: float = 0.01
    threads: int = 2          # fixed, so a machine trains the same model every time


def training_key(texts: list[str], labels: list[int], classes: list[str], settings: TunedSettings) -> str:
    """What a trained model depends on: every example and its label, the classes, the settings
    and the base model's weights."""
    blob = json.dumps([texts, [int(x) for x in labels], classes, asdict(settings), PINNED_WEIGHTS_SHA256])
    return hashlib.sha256(blob.encode()).hexdigest()


class TunedClassifier:
    BATCH = 16

    def __init__(self, folder: Path | str, settings: TunedSettings | None = None, precision: str | None = None):
        self.folder = Path(folder)
        self.settings = settings or TunedSettings()
        self.precision = precision or os.environ.get("FRONTLINE_RISK_PRECISION", "fp16")
        if self.precision not in PRECISIONS:
            raise EmbedderConfigError(f"risk classifier precision {self.precision!r} is not one of {', '.join(PRECISIONS)} "
                                      "(set FRONTLINE_RISK_PRECISION=fp16 or fp32)")
        self._st = None
        self._forward = None  # the traced forward pass (``embedders.traced_forward``), when it checked out
        self._lock = threading.Lock()

    def meta(self) -> dict | None:
        try:
            return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def state(self, key: str, classes: list[str]) -> str:
        meta = self.meta()
        if meta is None or meta.get("classes") != list(classes):
            return UNUSABLE
        return CURRENT if meta.get("key") == key else STALE

    def warm_up(self) -> None:
        with self._lock:
            if self._st is not None:
                return
            meta = self.meta()
            if meta is None or not meta.get("sha256"):
                raise ModelIntegrityError(f"no trained risk classifier in {self.folder} (run `kb build`)")
            try:
                st = load_checked(self.folder / "model", meta["sha256"], "meta.json's")
            except ModelIntegrityError as e:
                raise ModelIntegrityError(f"refusing the risk classifier in {self.folder} (run `kb build`): {e}") from e
            st.max_seq_length = int(meta["max_tokens"])
            if self.precision == "fp16":
                st = quantise(st, "fp16")
            with np.load(self.folder / "head.npz") as z:
                self._w, self._b = z["weight"].astype("float32"), z["bias"].astype("float32")
            self._scale = float(meta["scale"])
            self._forward = traced_forward(st)
            self._st = st

    def run(self, texts: list[str], temperature: float = 1.0) -> dict[str, np.ndarray]:
        """``probabilities``: one row per text over the classes (``meta.json``'s order), the
        logits divided by ``temperature`` (above 1: softer, as the router's thresholds expect)."""
        if self._st is None:
            self.warm_up()
        if not texts:
            return {"probabilities": np.zeros((0, len(self._b)), "float32")}
        texts = list(texts)
        if len(texts) <= self.BATCH:
            # a message, or its clauses: one batch through the traced forward pass (the same
            # vectors as ``encode`` to 1e-6, without its per-call bookkeeping)
            emb = encode_one_batch(self._st, self._forward, texts)
        else:
            emb = self._st.encode(texts, batch_size=self.BATCH, normalize_embeddings=True, convert_to_numpy=True)
        logits = (self._scale * emb) @ self._w.T + self._b
        logits = logits / temperature
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        return {"probabilities": (p / p.sum(1, keepdims=True)).astype("float32")}

    def train(self, texts: list[str], labels: list[int], classes: list[str], key: str,
              progress: bool = True) -> None:
        """Fine-tune the bundled model on ``texts`` (class ``labels[i]`` of ``classes``), every
        class weighted equally however many examples it has, and write the folder."""
        import torch

        s = self.settings
        threads = torch.get_num_threads()
        torch.set_num_threads(s.threads)
        try:
            torch.manual_seed(s.seed)
            st = load_checked(bundled_model_path(), PINNED_WEIGHTS_SHA256, "the pinned")
            st.max_seq_length = s.max_tokens
            y = np.asarray(labels)
            n, k = len(texts), len(classes)
            head = torch.nn.Linear(st.get_embedding_dimension(), k)
            counts = np.bincount(y, minlength=k)
            class_weight = torch.tensor(n / (k * np.maximum(counts, 1)), dtype=torch.float32)
            opt = torch.optim.AdamW([{"params": list(st.parameters()), "lr": s.lr},
                                     {"params": list(head.parameters()), "lr": s.head_lr}], weight_decay=s.weight_decay)
            per_epoch = -(-n // s.batch)
            steps = per_epoch * s.epochs
            warm = max(1, steps // 10)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / warm) * max(0.0, (steps - i) / steps))
            rng = np.random.default_rng(s.seed)
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=steps, desc="fine-tuning the risk classifier", unit="step")
            st.train()
            for _ in range(s.epochs):
                order = rng.permutation(n)
                for i in range(0, n, s.batch):
                    idx = order[i:i + s.batch]
                    features = st.preprocess([texts[j] for j in idx])
                    emb = torch.nn.functional.normalize(st(features)["sentence_embedding"], dim=1)
                    loss = torch.nn.functional.cross_entropy(head(s.scale * emb), torch.as_tensor(y[idx]),
                                                             weight=class_weight, label_smoothing=s.label_smoothing)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            if bar is not None:
                bar.close()
            st.eval()
            self._write(st, head, classes, key, n)
        finally:
            torch.set_num_threads(threads)
        with self._lock:
            self._st = self._forward = None  # the next run loads what was written

    def _write(self, st, head, classes: list[str], key: str, n: int) -> None:
        tmp = self.folder.with_name(f"{self.folder.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        st.save(str(tmp / "model"))
        np.savez(tmp / "head.npz", weight=head.weight.detach().numpy(), bias=head.bias.detach().numpy())
        meta = {"key": key, "classes": list(classes), "examples": n, "scale": self.settings.scale,
                "max_tokens": self.settings.max_tokens, "settings": asdict(self.settings),
                "sha256": sha256_file(tmp / "model" / "model.safetensors")}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        old = self.folder.with_name(f"{self.folder.name}.{os.getpid()}.old")
        if self.folder.exists():
            os.replace(self.folder, old)
        os.replace(tmp, self.folder)
        shutil.rmtree(old, ignore_errors=True)


def tuned_dir_for(embedder, index_dir: Path | str) -> Path | None:
    """The fine-tuned classifier's folder beside an index; None with the fake embedder (tests
    route with the logistic regression and never train a model)."""
    return None if str(getattr(embedder, "model_id", "")).startswith("fake") else Path(index_dir) / TUNED_DIR
