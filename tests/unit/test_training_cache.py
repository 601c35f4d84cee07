import shutil

import pytest

from frontline.settings import Settings
from frontline.training import bot_fingerprint, model_path

pytestmark = pytest.mark.unit


def copy_bot(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree("bot", root / "bot")
    shutil.copy("config.yml", root / "config.yml")
    return root


def test_fingerprint_stable_until_bot_data_or_config_changes(tmp_path):
    root = copy_bot(tmp_path)
    first = bot_fingerprint(root)
    assert bot_fingerprint(root) == first
    (root / "bot" / "tests" / "extra.yml").write_text("# tests do not change the model\n")
    assert bot_fingerprint(root) == first
    (root / "bot" / "data" / "nlu.yml").write_text((root / "bot" / "data" / "nlu.yml").read_text() + "\n# edit\n")
    second = bot_fingerprint(root)
    assert second != first
    (root / "config.yml").write_text((root / "config.yml").read_text().replace("epochs: 80", "epochs: 81"))
    assert bot_fingerprint(root) not in {first, second}


def test_model_path_names_the_fingerprint(tmp_path):
    s = Settings(root=copy_bot(tmp_path), models_dir=tmp_path / "models")
    assert model_path(s).name == f"frontline-{bot_fingerprint(s.root)}.tar.gz"
