"""Fine-tuning the route classifier from the bundled model, on a handful of examples (a few
seconds): the folder it writes, its integrity check, and that the same examples train the same
model."""

import json

import numpy as np
import pytest

pytestmark = pytest.mark.integration

TEXTS = ["her partner hit her last night", "he said he would kill her if she leaves",
         "says she wants to end it all tonight", "has been cutting her arms again",
         "how do I apply for a parking permit", "bins were not collected on Tuesday",
         "what is the council tax discount for one person", "rent statement is wrong"]
LABELS = [0, 0, 1, 1, 2, 2, 2, 2]
CLASSES = ["domestic-abuse", "mental-health-crisis", "none"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from knowledge_base.risk import TunedClassifier, TunedSettings
    from knowledge_base.risk.tuned import training_key

    settings = TunedSettings(epochs=1, batch=4)
    out = []
    for name in ("first", "second"):
        t = TunedClassifier(tmp_path_factory.mktemp(name) / "risk-classifier", settings)
        t.train(TEXTS, LABELS, CLASSES, training_key(TEXTS, LABELS, CLASSES, settings), progress=False)
        out.append(t)
    return out


def test_training_writes_a_current_model_that_gives_probabilities(trained):
    from knowledge_base.risk.tuned import CURRENT, STALE, training_key

    t = trained[0]
    assert {"meta.json", "head.npz", "model"} <= {p.name for p in t.folder.iterdir()}
    key = training_key(TEXTS, LABELS, CLASSES, t.settings)
    assert t.state(key, CLASSES) == CURRENT and t.state("other", CLASSES) == STALE
    p = t.run(["res says her partner hit her", "parking permit"], temperature=2.5)["probabilities"]
    assert p.shape == (2, 3) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert not list(t.folder.parent.glob("*.tmp"))  # written atomically


def test_the_same_examples_train_the_same_model(trained):
    a, b = (np.load(t.folder / "head.npz")["weight"] for t in trained)
    assert np.allclose(a, b, atol=1e-5)
    assert json.loads((trained[0].folder / "meta.json").read_text())["sha256"] == \
        json.loads((trained[1].folder / "meta.json").read_text())["sha256"]


def test_edited_weights_are_refused(trained, tmp_path):
    import shutil

    from knowledge_base.errors import ModelIntegrityError
    from knowledge_base.risk import TunedClassifier

    copy = tmp_path / "risk-classifier"
    shutil.copytree(trained[0].folder, copy)
    with open(copy / "model" / "model.safetensors", "r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\0\0\0\0")
    with pytest.raises(ModelIntegrityError):
        TunedClassifier(copy).warm_up()


def test_fp16_and_the_traced_pass_give_the_float32_encode_probabilities(trained):
    """The classifier runs with float16 weights and the traced forward pass (`make bench`: the
    router's share of a message 13 -> 8 ms); its probabilities stay those of float32
    ``SentenceTransformer.encode`` (the dev routing pools give the same decisions)."""
    from knowledge_base.risk import TunedClassifier

    texts = ["res says her partner hit her", "parking permit",
             "long call note: rent arrears, a notice to quit, and she says he hit her last night"]
    fp32 = TunedClassifier(trained[0].folder, precision="fp32")
    fp16 = TunedClassifier(trained[0].folder)
    assert fp16.precision == "fp16"
    p32, p16 = (t.run(texts, temperature=2.5)["probabilities"] for t in (fp32, fp16))
    assert fp32._forward is not None and fp16._forward is not None  # the traced pass checked out
    emb = fp32._st.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    logits = ((fp32._scale * emb) @ fp32._w.T + fp32._b) / 2.5
    eager = np.exp(logits - logits.max(1, keepdims=True))
    eager /= eager.sum(1, keepdims=True)
    assert np.allclose(p32, eager, atol=1e-5)
    assert np.allclose(p16, p32, atol=2e-3)
    # one text's probabilities do not depend on the texts batched with it
    assert np.allclose(fp16.run(texts[:1], temperature=2.5)["probabilities"][0], p16[0], atol=1e-4)
