"""Every wording file has a strict schema, loaded by the one shared loader
(common/wording.py): an unknown or missing key is reported as file:line with a hint."""

from pathlib import Path

import pytest

from common.paths import WORDING_DIR
from common.wording import WordingError, load_wording

pytestmark = pytest.mark.unit


def _schemas():
    from knowledge_base.present import SearchWording
    from knowledge_base.trainer import TrainerMessages
    from referrals.text import ReferralText
    from web.ui_text import UiText

    return {"web.yml": UiText, "referrals.yml": ReferralText, "trainer.yml": TrainerMessages,
            "search.yml": SearchWording}


def test_every_wording_file_has_a_schema_and_loads():
    schemas = _schemas()
    assert {p.name for p in WORDING_DIR.glob("*.yml")} == set(schemas)
    for name, model in schemas.items():
        load_wording(WORDING_DIR / name, model.model_validate, hint="-")


@pytest.mark.parametrize("name", ["web.yml", "referrals.yml", "trainer.yml", "search.yml"])
def test_an_unknown_key_is_reported_with_its_line(tmp_path, name):
    model = _schemas()[name]
    text = (WORDING_DIR / name).read_text(encoding="utf-8") + "\nmisspelt_key: oops\n"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WordingError) as err:
        load_wording(path, model.model_validate, hint="compare with the schema")
    (problem,) = [p for p in err.value.problems if "misspelt_key" in p.message]
    assert problem.line == text.count("\n") and str(path) in str(problem) and "compare with the schema" in str(problem)


def test_broken_yaml_is_one_clear_problem(tmp_path):
    path = Path(tmp_path) / "web.yml"
    path.write_text("service_name: [unclosed\n", encoding="utf-8")
    with pytest.raises(WordingError) as err:
        load_wording(path, dict, hint="-")
    assert err.value.problems[0].message.startswith("not valid YAML")
