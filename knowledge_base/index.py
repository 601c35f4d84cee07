"""Build and load the dense index.

Layout under the index folder (default ``var/index``, git-ignored)::

    current -> builds/<fingerprint>/     (symlink, swapped atomically)
    builds/<fingerprint>/manifest.json   model id, content fingerprint, counts
    builds/<fingerprint>/dense.faiss     FAISS inner-product index over item views
    builds/<fingerprint>/rows.json       item id of each vector row
    cache/<model>.npz                    embeddings by sha256 of the text (fp32 only)

``build_index`` re-embeds only texts not already in the cache, so a one-item edit costs one
item's encoding and is served within about a second. The int8 encoder's vectors depend
slightly on the texts batched together (cosine 0.93-0.99), so for it a *forced* build
(``kb build --force``, and every first build) re-embeds every text in fixed batches, sorted
by length: the same content then always gives the same index. An ordinary build after an
edit embeds only the new texts, in their own batch, and keeps the others' vectors, so an
index grown by edits differs from the canonical one by int8 rounding (enough to move hit@1
by a point or two): `make eval` and `make bench` rebuild the canonical index first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedders import Embedder
from .errors import IndexCorrupt, IndexMissing
from .loader import Content
from .text import Thesaurus, item_views

HNSW_THRESHOLD = 20_000  # exact search below this many vectors, HNSW above


def default_index_dir() -> Path:
    data = Path(os.environ.get("FRONTLINE_DATA_DIR", Path(__file__).resolve().parent.parent / "var"))
    return data / "index"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe(model_id: str) -> str:
    return hashlib.sha256(model_id.encode()).hexdigest()[:16]


def make_faiss_index(vectors: np.ndarray):
    import faiss

    dim = vectors.shape[1]
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


@dataclass
class BuildReport:
    path: Path
    items: int
    vectors: int
    embedded: int
    reused: int
    seconds: float  # the whole build, model loading included
    skipped: bool = False
    load_seconds: float = 0.0  # loading the embedding model (a fixed cost, ~4 s for the real one)

    @property
    def busy_seconds(self) -> float:
        """The build without loading the model."""
        return self.seconds - self.load_seconds

    @property
    def rate(self) -> float:
        """Vectors per second once the model is loaded."""
        return self.vectors / self.busy_seconds if self.busy_seconds > 0 else 0.0


def dense_texts(content: Content) -> tuple[list[str], list[str]]:
    """The texts dense search embeds (thesaurus-expanded item views) and the item id of each."""
    thesaurus = Thesaurus(content.terms)
    texts, rows = [], []
    for item in content.items:
        for v in item_views(item):
            texts.append(thesaurus.expand(v))
            rows.append(item.id)
    return texts, rows


def content_key(texts: list[str], rows: list[str], model_id: str) -> str:
    h = hashlib.sha256(model_id.encode())
    for text, item_id in zip(texts, rows):
        h.update(text.encode())
        h.update(item_id.encode())
    return h.hexdigest()[:20]


def embed_with_cache(texts: list[str], embedder: Embedder, cache_dir: Path, progress: bool = True,
                     canonical: bool = False):
    """Embed ``texts``, reusing cached vectors. Returns (vectors, n_embedded, seconds spent loading the model).

    ``canonical``: for an embedder whose vectors depend on the other texts in a batch
    (``batch_invariant`` False: the int8 encoder scales activations per batch), ignore the
    cache and embed every text in the same order and batches, so the same content always
    gives the same index. Without it, only texts not in the cache are embedded (an edit)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file = cache_dir / f"{_safe(embedder.model_id)}.npz"
    cache: dict[str, np.ndarray] = {}
    reuse = getattr(embedder, "batch_invariant", True) or not canonical
    if reuse and cache_file.exists():
        with np.load(cache_file) as z:
            cache = {k: z[k] for k in z.files}
    keys = [_sha(t) for t in texts]
    # shortest first: each batch holds texts of similar length, so little padding is encoded
    # (measured: 22 items/s sorted vs 9 items/s in hash order, same texts, 2 cores)
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items(), key=lambda kt: (len(kt[1]), kt[0]))
    load = 0.0
    if missing:
        t = time.perf_counter()
        embedder.warm_up()
        load = time.perf_counter() - t
        batch = 128  # progress granularity; the embedder batches inside
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(missing), desc="embedding", unit="text")
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            vecs = embedder.run([t for _, t in chunk])["embeddings"]
            for (k, _), v in zip(chunk, vecs):
                cache[k] = v
            if bar:
                bar.update(len(chunk))
        if bar:
            bar.close()
        tmp = cache_file.with_suffix(".tmp.npz")
        kept = set(keys) if not getattr(embedder, "batch_invariant", True) else set(keys) | set(cache)
        np.savez(tmp, **{k: cache[k] for k in kept})  # int8: only this build's vectors, so a forced build resets it
        os.replace(tmp, cache_file)
    vectors = np.stack([cache[k] for k in keys]).astype("float32") if keys else np.zeros((0, embedder.dim), "float32")
    return vectors, len(missing), load


def build_index(content: Content, embedder: Embedder, index_dir: Path | None = None, progress: bool = True,
                force: bool = False, canonical: bool = False) -> BuildReport:
    """``force``: rebuild even if up to date. ``canonical``: make sure the published index is
    the one a fresh clone builds (every text embedded in fixed batches), rebuilding only when
    it is not: what ``make eval`` and ``make bench`` measure."""
    import faiss

    start = dt.datetime.now()
    index_dir = Path(index_dir or default_index_dir())
    texts, rows = dense_texts(content)
    key = content_key(texts, rows, embedder.model_id)
    target = index_dir / "builds" / key
    current = index_dir / "current"
    if not force and (target / "manifest.json").exists() and current.resolve() == target.resolve():
        fresh_clone_like = json.loads((target / "manifest.json").read_text()).get("canonical", False)
        if not canonical or fresh_clone_like:
            return BuildReport(target, len(content.items), 0, 0, 0, 0.0, skipped=True)
    in_batches = force or canonical or not (current / "manifest.json").exists()
    vectors, embedded, load = embed_with_cache(texts, embedder, index_dir / "cache", progress=progress,
                                               canonical=in_batches)
    tmp = index_dir / "builds" / f".{key}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    faiss.write_index(make_faiss_index(vectors), str(tmp / "dense.faiss"))
    (tmp / "rows.json").write_text(json.dumps(rows))
    manifest = {
        "model_id": embedder.model_id,
        "dim": int(vectors.shape[1]) if len(vectors) else embedder.dim,
        "items": len(content.items),
        "vectors": len(rows),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "key": key,
        # every text embedded in fixed batches (or an embedder whose vectors never depend on
        # the batch): the index a fresh clone builds
        "canonical": in_batches or getattr(embedder, "batch_invariant", True),
        "files": {n: _file_sha(tmp / n) for n in ("dense.faiss", "rows.json")},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    link_tmp = index_dir / f".current.tmp-{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(Path("builds") / key)
    os.replace(link_tmp, current)  # atomic swap: readers see the old or the new build, never half
    _prune(index_dir / "builds", keep={key})
    secs = (dt.datetime.now() - start).total_seconds()
    return BuildReport(target, len(content.items), len(rows), embedded, len(rows) - embedded, secs, load_seconds=load)


def _prune(builds: Path, keep: set[str], keep_count: int = 2) -> None:
    dirs = sorted((d for d in builds.iterdir() if d.is_dir() and not d.name.startswith(".")),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[keep_count:]:
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    faiss_index: object
    rows: list[str]


def load_index(index_dir: Path | None = None) -> LoadedIndex:
    import faiss

    index_dir = Path(index_dir or default_index_dir())
    current = index_dir / "current"
    if not (current / "manifest.json").exists():
        raise IndexMissing(f"no search index at {current}; run `kb build` (or `make index`)")
    path = current.resolve()
    manifest = json.loads((path / "manifest.json").read_text())
    for name, digest in manifest.get("files", {}).items():
        if _file_sha(path / name) != digest:
            raise IndexCorrupt(f"{path / name} does not match manifest.json; rebuild with `kb build --force`")
    rows = json.loads((path / "rows.json").read_text())
    index = faiss.read_index(str(path / "dense.faiss"))
    # FAISS's OpenMP pool is for large batches: for one message's few queries its second
    # thread only adds wake-ups, and under load they dominate (`make bench`, search plus the
    # second need: p95 22 ms with one thread against 35-41 ms with two on a busy machine)
    faiss.omp_set_num_threads(int(os.environ.get("FRONTLINE_FAISS_THREADS", "1")))
    if not index.ntotal == len(rows) == manifest["vectors"] or (rows and index.d != manifest["dim"]):
        raise IndexCorrupt(f"{path}: {index.ntotal} vectors, {len(rows)} rows, manifest says {manifest['vectors']}; "
                           "rebuild with `kb build --force`")
    return LoadedIndex(path, manifest, index, rows)
