"""kb stale / whats-new / test / gaps on temporary content, a temporary git repo and a
real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from knowledge_base.cli import main

pytestmark = pytest.mark.unit


def _service(id_, owner, review_by, title=None, **extra):
    return {"id": id_, "type": "service", "title": title or f"Service {id_}", "organisation": "Example org",
            "description": "A service used only in tests of the trainer commands.", "categories": ["food"],
            "boroughs": ["hackney"], "say_this": ["You can ask them for help."], "steps": ["Give the details."],
            "contacts": [{"kind": "web", "value": "https://example.org"}], "tags": ["food parcel"],
            "source": "https://example.org", "owner": owner, "last_reviewed": "2026-06-01",
            "review_by": review_by, "illustrative": True, **extra}


def _guidance(id_, owner, review_by, summary="Guidance used only in tests of the trainer commands."):
    return {"id": id_, "type": "guidance", "title": f"Guidance {id_}", "categories": ["housing"],
            "boroughs": ["national"], "summary": summary, "say_this": ["Please contact the council."],
            "steps": ["Refer to the council."], "contacts": [{"kind": "web", "value": "https://example.org"}],
            "sources": [{"title": "Example", "url": "https://example.org"}], "owner": owner,
            "last_reviewed": "2026-06-01", "review_by": review_by}


def _write_content(root: Path, services: list, guidance: list) -> Path:
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "guidance").mkdir(parents=True, exist_ok=True)
    (root / "services" / "s.yml").write_text(yaml.safe_dump({"items": services}, sort_keys=False))
    (root / "guidance" / "g.yml").write_text(yaml.safe_dump({"items": guidance}, sort_keys=False))
    return root


# ---------------------------------------------------------------------- stale
@pytest.fixture
def stale_content(tmp_path):
    return _write_content(tmp_path / "content", [
        _service("food-late", "training-team", "2027-01-20"),
        _service("food-overdue", "training-team", "2026-12-01"),
        _service("food-far", "training-team", "2027-09-01"),
    ], [
        _guidance("housing-overdue", "housing-lead", "2026-12-20"),
        _guidance("housing-soon", "housing-lead", "2027-01-05"),
    ])


def test_stale_groups_by_owner_sorted_by_date(stale_content, capsys):
    rc = main(["--content", str(stale_content), "stale", "--today", "2027-01-01", "--within", "30", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["count"] == 4
    assert list(out["owners"]) == ["housing-lead", "training-team"]
    assert [d["id"] for d in out["owners"]["training-team"]] == ["food-overdue", "food-late"]
    assert [d["id"] for d in out["owners"]["housing-lead"]] == ["housing-overdue", "housing-soon"]
    first = out["owners"]["training-team"][0]
    assert first["status"] == "overdue" and first["days"] == -31
    assert out["owners"]["training-team"][1]["status"] == "due"
    assert re.search(r"services/s\.yml:\d+$", first["where"])


def test_stale_text_output_and_within(stale_content, capsys):
    rc = main(["--content", str(stale_content), "stale", "--today", "2027-01-01", "--within", "0"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "housing-lead:" in text and "training-team:" in text
    assert "food-overdue" in text and "housing-overdue" in text
    assert "food-late" not in text and "housing-soon" not in text  # not due within 0 days


def test_stale_nothing_due_exits_zero(stale_content, capsys):
    rc = main(["stale", "--content", str(stale_content), "--today", "2026-06-02", "--within", "5"])
    assert rc == 0
    assert "Nothing is due" in capsys.readouterr().out


def test_stale_includes_refreshers_and_flows(stale_content, capsys):
    import shutil

    from knowledge_base.loader import CONTENT_DIR

    (stale_content / "refreshers").mkdir()
    (stale_content / "flows").mkdir()
    for name in ("_messages.yml", "safeguarding-basics.yml"):
        shutil.copy(CONTENT_DIR / "refreshers" / name, stale_content / "refreshers" / name)
    for name in ("_messages.yml", "safeguarding-adult.yml"):
        shutil.copy(CONTENT_DIR / "flows" / name, stale_content / "flows" / name)
    rc = main(["--content", str(stale_content), "stale", "--today", "2027-05-30", "--within", "10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    kinds = {(d["kind"], d["id"]) for d in out["owners"]["safeguarding-lead"]}
    assert kinds == {("refresher", "safeguarding-basics"), ("flow", "safeguarding-adult")}


def test_stale_bad_date_is_usage_error(stale_content, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--content", str(stale_content), "stale", "--today", "26/11/2026"])
    assert exc.value.code == 2


# ------------------------------------------------------------------ whats-new
def _git(repo: Path, *args, date: str | None = None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    if date:
        env.update(GIT_AUTHOR_DATE=f"{date}T12:00:00", GIT_COMMITTER_DATE=f"{date}T12:00:00")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def test_whats_new_item_level_diff_from_git(tmp_path, capsys):
    repo = tmp_path / "repo"
    content = _write_content(repo / "kb" / "content", [
        _service("food-a", "training-team", "2027-06-01", title="Food A"),
        _service("food-b", "training-team", "2027-06-01", title="Food B"),
        _service("food-keep", "training-team", "2027-06-01", title="Food Keep"),
    ], [_guidance("housing-x", "housing-lead", "2027-06-01")])
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first", date="2026-10-01")
    # second commit: remove A, change B, add C, and re-order keys of food-keep (not a content change)
    keep = _service("food-keep", "training-team", "2027-06-01", title="Food Keep")
    keep = dict(reversed(list(keep.items())))
    b = _service("food-b", "training-team", "2027-06-01", title="Food B (new hours)")
    c = _service("food-c", "training-team", "2027-06-01", title="Food C")
    (content / "services" / "s.yml").write_text(yaml.safe_dump({"items": [b, keep, c]}, sort_keys=False))
    _git(repo, "commit", "-q", "-am", "second", date="2026-11-10")

    rc = main(["--content", str(content), "whats-new", "--since", "2026-11-01", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["source"] == "git"
    got = {(r["change"], r["id"], r["date"]) for r in out["changes"]}
    assert got == {("removed", "food-a", "2026-11-10"), ("changed", "food-b", "2026-11-10"),
                   ("added", "food-c", "2026-11-10")}

    rc = main(["--content", str(content), "whats-new", "--since", "2026-11-01"])
    text = capsys.readouterr().out
    assert "New: Food C (food-c)" in text and "Updated: Food B (new hours) (food-b)" in text
    assert "Removed: Food A (food-a)" in text and "food-keep" not in text

    rc = main(["--content", str(content), "whats-new", "--since", "2026-12-01"])
    assert "Nothing has changed" in capsys.readouterr().out


def test_whats_new_falls_back_to_last_reviewed_without_git(tmp_path, capsys):
    g = _guidance("housing-new", "housing-lead", "2027-06-01")
    g["last_reviewed"] = "2026-11-20"
    content = _write_content(tmp_path / "not-a-repo" / "content",
                             [_service("food-old", "training-team", "2027-06-01")], [g])
    env_ceiling = os.environ.get("GIT_CEILING_DIRECTORIES")
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path)  # never find a repo above tmp_path
    try:
        rc = main(["--content", str(content), "whats-new", "--since", "2026-11-01", "--json"])
    finally:
        if env_ceiling is None:
            del os.environ["GIT_CEILING_DIRECTORIES"]
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = env_ceiling
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["source"] == "last_reviewed"
    assert [(r["change"], r["id"]) for r in out["changes"]] == [("reviewed", "housing-new")]


# -------------------------------------------------------------------- kb test
@pytest.fixture
def test_content(tmp_path):
    content = _write_content(tmp_path / "content", [
        _service("hackney-foodbank-test", "training-team", "2027-06-01", title="Foodbank parcels",
                 description="Emergency food parcels from the foodbank with a voucher."),
        _service("energy-fuel-vouchers", "money-team", "2027-06-01", title="Fuel vouchers for prepayment meters",
                 description="Emergency fuel vouchers when the prepayment meter has run out of credit.",
                 categories=["energy"], tags=["gas", "electric", "top up"]),
    ] + [_service(f"filler-{w}", "training-team", "2027-06-01", title=f"{w.title()} club",
                  description=f"A {w} club that meets weekly in the community centre.") for w in ("chess", "knitting", "choir", "walking")],
      [_guidance("eviction-notice-test", "housing-lead", "2027-06-01",
                  summary="What to do when a private landlord serves an eviction notice.")])
    (content / "tests").mkdir()
    (content / "tests" / "search.yml").write_text(
        "tests:\n"
        "  - search:\n"
        "      message: fuel vouchers prepayment meter run out\n"
        "      expect_top3: [energy-fuel-vouchers]\n"
        "  - search:\n"
        "      message: landlord eviction notice private\n"
        "      expect_top3: [hackney-foodbank-test]\n"
    )
    return content


def _build(content: Path, index: Path, index_only: bool = True):
    """`kb build` with the fake embedder; only the search index unless asked (the router's fit takes ~13 s)."""
    args = ["--content", str(content), "--index", str(index), "--embedder", "fake", "build", "--quiet"]
    assert main(args + (["--index-only"] if index_only else [])) == 0


def test_kb_test_reports_failures_as_file_line(test_content, tmp_path, capsys):
    _build(test_content, tmp_path / "index")
    capsys.readouterr()
    rc = main(["--content", str(test_content), "--index", str(tmp_path / "index"), "--embedder", "fake", "test"])
    cap = capsys.readouterr()
    assert rc == 1
    assert "1 passed, 1 failed, 0 not run" in cap.out
    line = next(ln for ln in cap.err.splitlines() if "landlord eviction notice" in ln)
    assert line.split(": ", 1)[0].endswith("tests/search.yml:5")
    assert "expected hackney-foodbank-test in the top 3, found eviction-notice-test" in line


def test_kb_test_passes_and_json(test_content, tmp_path, capsys):
    tests = test_content / "tests" / "search.yml"
    tests.write_text(tests.read_text().replace("[hackney-foodbank-test]", "[eviction-notice-test]"))
    _build(test_content, tmp_path / "index")
    capsys.readouterr()
    rc = main(["--content", str(test_content), "--index", str(tmp_path / "index"), "--embedder", "fake", "test", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["passed"] == 2 and out["failed"] == 0


def test_kb_test_unknown_id_and_flow_not_run(test_content, tmp_path, capsys):
    (test_content / "tests" / "search.yml").write_text(
        "tests:\n"
        "  - search:\n"
        "      message: fuel vouchers\n"
        "      expect_top3: [energy-fuel-vouchers, no-such-item]\n"
    )
    (test_content / "tests" / "flows.yml").write_text(
        "tests:\n"
        "  - flow: {flow: eviction-homelessness, answers: ['no'], expect_end: end}\n"
    )
    _build(test_content, tmp_path / "index")
    capsys.readouterr()
    args = ["--content", str(test_content), "--index", str(tmp_path / "index"), "--embedder", "fake", "test"]
    rc = main(args)
    cap = capsys.readouterr()
    assert rc == 1  # the unknown id is a problem
    assert "tests/search.yml:4: error: unknown item id 'no-such-item'" in cap.err
    assert "tests/flows.yml:2: not run" in cap.out
    (test_content / "tests" / "search.yml").unlink()
    assert main(args) == 0  # not-run alone passes ...
    capsys.readouterr()
    assert main(args + ["--strict"]) == 1  # ... unless --strict


def test_kb_test_schema_error_has_line(test_content, capsys):
    (test_content / "tests" / "search.yml").write_text(
        "tests:\n  - search:\n      message: hello there\n      expect_top3: [energy-fuel-vouchers]\n      colour: red\n")
    rc = main(["--content", str(test_content), "--embedder", "fake", "test"])
    assert rc == 1
    assert "tests/search.yml:5: error: tests.0.search.colour: Extra inputs are not permitted" in capsys.readouterr().err


# ---------------------------------------------------------------------- gaps
def test_gaps_groups_unanswered_and_unhelpful(tmp_path, capsys):
    from knowledge_base.gaps import gap_report, log_search, record_feedback

    t = dt.datetime(2026, 11, 20, 10, 0)
    log_search("res cant pay gas!!", None, 0.1, "none", directory=tmp_path, when=t)
    log_search("res can't pay   gas", "prepayment-meter-off-supply", 0.3, "choose", directory=tmp_path, when=t)
    log_search("res cant pay gas", "prepayment-meter-off-supply", 0.5, "answer", directory=tmp_path, when=t)  # answered
    rid = log_search("bin collection missed", "hackney-foodbank", 0.45, "answer", directory=tmp_path, when=t)
    assert record_feedback(rid, False, "wrong answer, ring Mrs Jane Smith on 07700 900123", directory=tmp_path)
    log_search("Mrs Jane Smith at 12 Mare Street cant pay gas", None, 0.1, "none", directory=tmp_path, when=t)
    log_search("old message", None, 0.1, "none", directory=tmp_path, when=dt.datetime(2026, 9, 1))

    gaps, total = gap_report(dt.date(2026, 11, 1), directory=tmp_path)
    assert total == 5
    assert [(g.text, g.count) for g in gaps][:2] == [("res cant pay gas", 2), ("bin collection missed", 1)]
    assert gaps[0].unanswered == 2 and gaps[0].top == "prepayment-meter-off-supply"
    assert gaps[1].unhelpful == 1

    # nothing identifying reached the database
    con = sqlite3.connect(tmp_path / "frontline.db")
    stored = " ".join(m + " " + (r or "") for m, r in con.execute("select message, reason from search_log"))
    con.close()
    assert "Jane" not in stored and "07700" not in stored and "Mare Street" not in stored
    assert "[PHONE]" in stored

    rc = main(["gaps", "--data-dir", str(tmp_path), "--since", "2026-11-01", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["searches"] == 5 and out["gaps"][0]["count"] == 2
    rc = main(["gaps", "--data-dir", str(tmp_path), "--since", "2026-11-01"])
    assert "2x  res cant pay gas" in capsys.readouterr().out


def test_log_search_refuses_without_redactor(tmp_path, monkeypatch):
    import sys

    from knowledge_base.gaps import RedactionUnavailable, log_search

    monkeypatch.setitem(sys.modules, "common.redact", None)  # import now fails
    with pytest.raises(RedactionUnavailable):
        log_search("Mrs Jane Smith cant pay gas", None, 0.1, "none", directory=tmp_path)
    assert not (tmp_path / "frontline.db").exists()


def test_kb_build_caches_the_router_so_the_action_server_neither_encodes_nor_fits(test_content, tmp_path,
                                                                                   monkeypatch):
    """`kb build` writes the risk router's example vectors and its fit beside the index; a
    router reading them (as the action server does at start) encodes and fits nothing. (The fit
    is keyed by the routes, examples, settings and the very feature values it was fitted on.)"""
    import knowledge_base.risk.router as R
    from knowledge_base.embedders import FakeEmbedder
    from knowledge_base.risk import ROUTER_VECTORS_FILE, RiskRouter

    _build(test_content, tmp_path / "index", index_only=False)
    cache = tmp_path / "index" / ROUTER_VECTORS_FILE
    assert cache.exists()

    class Counting(FakeEmbedder):
        encoded = 0

        def run(self, texts):
            Counting.encoded += len(texts)
            return super().run(texts)

    from knowledge_base.loader import load_content

    items = load_content(test_content).items  # as `kb build` saw them
    monkeypatch.setattr(R, "_fit_softmax", lambda *a, **k: pytest.fail("fitted again"))
    router = RiskRouter.shipped(Counting(), items, vector_cache=cache)
    assert router.prepare() > 100 and Counting.encoded == 0
    assert router.run("he hit her again last night").route == "domestic-abuse"  # the cached fit routes
