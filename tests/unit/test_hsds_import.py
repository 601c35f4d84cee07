"""`kb import-hsds`: Open Referral / HSDS datapackages and Open Referral UK JSON
feeds become strict service items; every skipped record is reported with its
source row and reason. Runs the real CLI on the public HSDS sample
(/work/shared/hsds-sample, or HSDS_SAMPLE_DIR) and on tests/fixtures/oruk/."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge_base.cli import main
from knowledge_base.loader import load_content
from knowledge_base.schema import ItemFile, Service

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(os.environ.get("HSDS_SAMPLE_DIR", "/work/shared/hsds-sample"))
ORUK = ROOT / "tests" / "fixtures" / "oruk" / "services.json"
DATASET_URL = "https://github.com/openreferral/sample-HSDS-datapackage"
COMMON = ["--borough-default", "london", "--reviewed", "2026-11-26", "--quiet"]


@pytest.fixture(scope="module")
def sample() -> Path:
    if not (SAMPLE / "simple" / "datapackage.json").is_file():
        pytest.fail(f"HSDS sample not found at {SAMPLE}; set HSDS_SAMPLE_DIR")
    return SAMPLE


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["import-hsds", *map(str, argv)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def items_of(path: Path) -> list[Service]:
    return list(ItemFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).items)


def skipped_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("skipped ")]


@pytest.mark.parametrize("package", ["simple", "all_resources"])
def test_sample_package_imports_and_every_item_validates(sample, package, tmp_path, capsys):
    out = tmp_path / "services" / f"imported-{package}.yml"
    rc, stdout, _ = run(capsys, sample / package, "--out", out, "--source-url", DATASET_URL, *COMMON)
    assert rc == 0
    items = items_of(out)
    assert len(items) == 10
    for item in items:
        assert item.type == "service" and not item.illustrative
        assert item.steps == ["Check the service details on its website before referring."]
        assert item.owner == "imported" and str(item.review_by) == "2027-05-26"
        assert "unverified" in item.notes and "2026-11-26" in item.notes
        assert all(c.verified_on is None for c in item.contacts)
    # the three inactive services are reported, each with its row and id
    skipped = skipped_lines(stdout)
    assert len(skipped) == 3
    assert all("services.csv:" in s and "(id " in s and "not active" in s for s in skipped)
    assert "imported 10 service(s), skipped 3 of 13 record(s)" in stdout
    # the whole file also passes the content loader (warnings only: unverified phones)
    content = load_content(tmp_path)
    assert not content.errors and len(content.items) == 10


def test_all_resources_maps_the_detail_tables(sample, tmp_path, capsys):
    out = tmp_path / "all.yml"
    run(capsys, sample / "all_resources", "--out", out, "--source-url", DATASET_URL, *COMMON)
    item = next(i for i in items_of(out) if i.title == "Never Homeless Helpline")
    assert item.id == "sanctuary-example-city-never-homeless-helpline"
    assert item.organisation == "Sanctuary Example City"
    assert item.opening_times == "Monday, Tuesday, Wednesday: 09:00 to 17:00"
    assert item.languages == ["English", "Spanish"]
    assert item.eligibility == "adult" and item.audience == ["adults"]
    assert item.accessibility == "Disabled parking (Some details regarding the parking lot)"
    assert item.referral.route == "phone" and item.referral.how == "Call for further information"
    assert {(c.kind, c.value) for c in item.contacts} >= {
        ("email", "neverhomeless@example.com"), ("email", "contact1@example.com"), ("web", "http://example.com")}
    assert item.boroughs == ["london"] and item.categories == ["general"]
    assert len(item.say_this) == 1 and item.say_this[0].startswith("The Never Homeless Helpline refers")


def test_without_a_source_url_every_record_is_skipped_and_the_exit_is_non_zero(sample, tmp_path, capsys):
    out = tmp_path / "x.yml"
    rc, stdout, stderr = run(capsys, sample / "simple", "--out", out, *COMMON)
    assert rc != 0 and not out.exists()
    assert len(skipped_lines(stdout)) == 13
    assert sum("no source URL" in s for s in skipped_lines(stdout)) == 10
    assert stderr.strip().splitlines() == [stderr.strip()] and stderr.startswith("kb: nothing imported")


def test_oruk_feed_imports_and_reports_each_skip_with_its_reason(tmp_path, capsys):
    out, report = tmp_path / "oruk.yml", tmp_path / "report.yml"
    rc, stdout, _ = run(capsys, ORUK, "--out", out, "--source-name", "Example ORUK feed", "--report", report, *COMMON)
    assert rc == 0
    items = {i.id: i for i in items_of(out)}
    assert list(items) == ["example-hackney-food-network-community-food-pantry",
                           "example-newham-advice-centre-money-and-debt-advice-drop-in",
                           "example-listening-trust-listening-line"]
    pantry = items["example-hackney-food-network-community-food-pantry"]
    assert pantry.boroughs == ["hackney"] and pantry.categories == ["food"]
    assert pantry.opening_times == "Monday, Wednesday: 10:00 to 14:00; Saturday: 10:00 to 12:00"
    assert pantry.cost == "Weekly membership: £3.50"
    assert pantry.languages == ["English", "Turkish"]
    assert pantry.eligibility == "Adults on a low income; aged 18 and over"
    assert pantry.referral.route == "email"
    assert pantry.description.startswith("A weekly food pantry") and "<p>" not in pantry.description
    assert ("address", "1 Example Street, London, E8 0XX") in {(c.kind, c.value) for c in pantry.contacts}
    assert str(pantry.source) == "https://food-network.example.org/pantry"
    assert "Example ORUK feed" in pantry.notes
    debt = items["example-newham-advice-centre-money-and-debt-advice-drop-in"]
    assert debt.boroughs == ["newham"] and debt.categories == ["money-debt", "benefits"]
    assert debt.languages == ["Bengali"] and debt.referral is None
    assert items["example-listening-trust-listening-line"].boroughs == ["national"]

    reasons = {line.split(" (id ")[0].removeprefix("skipped "): line for line in skipped_lines(stdout)}
    assert "missing service name" in reasons["services.json #3"]
    assert "no source URL" in reasons["services.json #4"]
    assert "invalid URL 'www.energy-help.example.org/surgery'" in reasons["services.json #5"]
    assert "duplicate id '7b1e2c4a-0d6f-4a51-9b0e-3c1a2f000001'" in reasons["services.json #6"]
    assert "status is 'inactive'" in reasons["services.json #7"]
    assert len(reasons) == 5
    dropped = [line for line in stdout.splitlines() if line.startswith("dropped from services.json #8")]
    assert len(dropped) == 2 and any("fax" in d for d in dropped) and any("not-an-email" in d for d in dropped)
    written = yaml.safe_load(report.read_text(encoding="utf-8"))
    assert written["imported"] == 3 and len(written["skipped"]) == 5 and len(written["dropped"]) == 2
    assert all(s["ref"] and s["reason"] for s in written["skipped"])


def test_source_url_fallback_gives_records_without_a_url_a_source(tmp_path, capsys):
    out = tmp_path / "oruk.yml"
    rc, stdout, _ = run(capsys, ORUK, "--out", out, "--source-url", "https://example.org/feed", *COMMON)
    assert rc == 0 and "no source URL" not in stdout
    warm = next(i for i in items_of(out) if i.title == "Warm Welcome Space")
    assert str(warm.source) == "https://example.org/feed" and warm.boroughs == ["hackney"]
    assert [(c.kind, c.value) for c in warm.contacts] == [("phone", "020 7946 0004")]


def test_illustrative_items_carry_no_phone_numbers(tmp_path, capsys):
    out = tmp_path / "services" / "oruk.yml"
    rc, stdout, _ = run(capsys, ORUK, "--out", out, "--source-url", "https://example.org/feed", "--illustrative", *COMMON)
    assert rc == 0
    items = items_of(out)
    assert items and all(i.illustrative and not any(c.kind in ("phone", "text") for c in i.contacts) for i in items)
    assert "--illustrative items carry no phone numbers" in stdout
    # its only contact was a phone number, so it cannot be imported as illustrative
    assert any("'Warm Welcome Space': no contact route" in line for line in skipped_lines(stdout))
    assert not load_content(tmp_path).errors


def _package(folder: Path, services: list[list[str]], orgs: list[list[str]]) -> Path:
    """A minimal HSDS datapackage written with the csv module."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    tables = {"services.csv": (["id", "organization_id", "name", "description", "url", "email", "status"], services),
              "organizations.csv": (["id", "name", "description", "email", "url"], orgs)}
    for name, (header, rows) in tables.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *rows])
    meta = {"name": "tiny", "resources": [{"name": "service", "path": "services.csv"},
                                          {"name": "organization", "path": "organizations.csv"}]}
    (folder / "datapackage.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_csv_package_skips_are_reported_with_row_numbers(tmp_path, capsys):
    desc = "Advice and support for residents of the borough."
    pkg = _package(tmp_path / "pkg", [
        ["s1", "o1", "Advice Line", desc, "https://one.example.org/", "", "active"],
        ["s2", "o1", "", desc, "https://one.example.org/x", "", "active"],
        ["s3", "o2", "Quiet Service", desc, "", "", "active"],
        ["s1", "o1", "Advice Line again", desc, "https://one.example.org/", "", "active"],
        ["s5", "o1", "Short", "Too short", "https://one.example.org/", "", "active"],
        ["s6", "o9", "Orphan Service", desc, "https://one.example.org/", "", "active"],
    ], [["o1", "One Trust", "Org", "", ""], ["o2", "Two Trust", "Org", "", ""]])
    rc, stdout, _ = run(capsys, pkg, "--out", tmp_path / "o.yml", "--source-url", DATASET_URL, *COMMON)
    assert rc == 0
    assert [i.id for i in items_of(tmp_path / "o.yml")] == ["one-trust-advice-line"]
    lines = skipped_lines(stdout)
    expected = [("services.csv:3 (id s2)", "missing service name"),
                ("services.csv:4 (id s3)", "no contact route"),
                ("services.csv:5 (id s1)", "duplicate id 's1'"),
                ("services.csv:6 (id s5)", "missing description"),
                ("services.csv:7 (id s6)", "missing organisation name")]
    assert len(lines) == len(expected)
    for line, (ref, reason) in zip(lines, expected):
        assert ref in line and reason in line


def test_ids_are_unique_and_never_clash_with_existing_content(tmp_path, capsys):
    desc = "Advice and support for residents of the borough."
    pkg = _package(tmp_path / "pkg", [
        ["a", "o1", "Advice Line", desc, "https://one.example.org/a", "", "active"],
        ["b", "o1", "Advice Line", desc, "https://one.example.org/b", "", "active"],
        ["c", "o2", "Adviceline", desc, "https://citizensadvice.example.org/", "", "active"],
    ], [["o1", "One Trust", "Org", "", ""], ["o2", "Citizens Advice", "Org", "", ""]])
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content" / "services", content / "services")
    assert "id: citizens-advice-adviceline" in (content / "services" / "citizens-advice.yml").read_text(encoding="utf-8")
    rc, stdout, _ = run_with_content(capsys, content, pkg)
    assert rc == 0
    out = content / "services" / "imported-tiny.yml"  # default --out under the content folder
    assert [i.id for i in items_of(out)] == ["one-trust-advice-line", "one-trust-advice-line-2"]
    assert "id 'citizens-advice-adviceline' is already used" in stdout
    assert not load_content(content).errors


def run_with_content(capsys, content: Path, pkg: Path):
    rc = main(["--content", str(content), "import-hsds", str(pkg), *COMMON])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_rerunning_gives_the_same_bytes(sample, tmp_path, capsys):
    outputs = []
    for n in range(2):
        for src, extra in ((sample / "all_resources", ["--source-url", DATASET_URL]), (ORUK, [])):
            out = tmp_path / f"{n}-{src.name}.yml"
            assert run(capsys, src, "--out", out, *extra, *COMMON)[0] == 0
            outputs.append(out.read_bytes())
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]


def test_malformed_csv_is_one_clear_error_line(sample, tmp_path, capsys):
    pkg = tmp_path / "broken"
    shutil.copytree(sample / "simple", pkg)
    with (pkg / "services.csv").open("a", encoding="utf-8") as fh:
        fh.write("x1,o1,,Broken row,,too,many,fields,here,and,more,still,more,fields,than,the,header,has\n")
    rc, stdout, stderr = run(capsys, pkg, "--out", tmp_path / "o.yml", "--source-url", DATASET_URL, *COMMON)
    assert rc != 0 and not (tmp_path / "o.yml").exists()
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kb: ") and "services.csv:19: malformed CSV" in lines[0]
    assert "Traceback" not in stderr


def test_unterminated_quote_is_a_malformed_csv(sample, tmp_path, capsys):
    pkg = tmp_path / "broken"
    shutil.copytree(sample / "simple", pkg)
    text = (pkg / "organizations.csv").read_text(encoding="utf-8")
    (pkg / "organizations.csv").write_text(text + 'o-x,"Unclosed name,desc,,,,,,,\n', encoding="utf-8")
    rc, _, stderr = run(capsys, pkg, "--out", tmp_path / "o.yml", *COMMON)
    assert rc != 0 and len(stderr.strip().splitlines()) == 1 and "organizations.csv" in stderr and "malformed CSV" in stderr


def test_missing_datapackage_json_is_one_clear_error_line(sample, tmp_path, capsys):
    pkg = tmp_path / "no-package"
    shutil.copytree(sample / "simple", pkg)
    (pkg / "datapackage.json").unlink()
    rc, _, stderr = run(capsys, pkg, "--out", tmp_path / "o.yml", *COMMON)
    assert rc != 0
    assert stderr.strip().splitlines() == [f"kb: {pkg}: no datapackage.json (give an HSDS datapackage folder or an "
                                           "Open Referral UK JSON file)"]


def test_malformed_json_feed_is_one_clear_error_line(tmp_path, capsys):
    feed = tmp_path / "services.json"
    feed.write_text('{"content": [\n  {"id": "x",}\n]}', encoding="utf-8")
    rc, _, stderr = run(capsys, feed, "--out", tmp_path / "o.yml", *COMMON)
    assert rc != 0 and stderr.strip().splitlines() == [stderr.strip()] and "services.json:2: malformed JSON" in stderr


def test_borough_default_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["import-hsds", str(ORUK)])
    assert exc.value.code == 2 and "--borough-default" in capsys.readouterr().err
