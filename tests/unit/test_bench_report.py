"""`make bench` report: the JSON writer and the Markdown table, from a synthetic result
(no model, no processes)."""

import json

import pytest

from bench.run import REQUIRED_KEYS, format_table, machine_result, targets, write_results

pytestmark = pytest.mark.unit


def full_result() -> dict:
    r = {k: float(i + 1) for i, k in enumerate(REQUIRED_KEYS)}
    r.update(hit1=0.89, hit3=0.97, mrr=0.93, bm25_hit1=0.81, bm25_hit3=0.94, items=129, dev_queries=210,
             search_p95_ms=12.0, search100k_p95_ms=25.0, startup_s=21.5, rss_actions_mb=700.0, rss_rasa_mb=1600.0,
             seq_p50_ms=120.0, stock_seq_p50_ms=100.0, conc10_msg_per_s=9.0, stock_conc10_msg_per_s=10.0,
             loadavg_start=1.0, loadavg_end=1.5)
    return r


def test_json_has_every_required_key_and_numbers_only(tmp_path):
    js, md = write_results(full_result(), {}, tmp_path)
    data = json.loads(js.read_text())
    assert set(REQUIRED_KEYS) <= set(data)
    assert all(isinstance(v, (int, float)) for v in data.values())
    assert md.read_text().count("\n|") >= 14


def test_missing_figures_are_null_with_the_reason_in_the_table(tmp_path):
    r = full_result()
    del r["frontdoor_p95_ms"]
    r["seq_p95_ms"] = None
    why = {"frontdoor_p95_ms": "sign-in not possible yet"}
    js, md = write_results(r, why, tmp_path)
    data = json.loads(js.read_text())
    assert data["frontdoor_p95_ms"] is None and data["seq_p95_ms"] is None
    assert all(v is None or isinstance(v, (int, float)) for v in data.values())
    text = md.read_text()
    assert "`frontdoor_p95_ms`: sign-in not possible yet" in text
    assert "`seq_p95_ms`: not measured" in text


def test_targets_are_judged_and_printed_met_or_not_met():
    met = dict(targets(full_result()))
    assert met["warm search p95 <= 20 ms"] is True
    assert met["100 000 services search p95 <= 30 ms"] is True
    assert met["sequential message p50 <= 1.3 x stock"] is True  # 120 <= 130
    assert met["10 concurrent throughput >= stock"] is False
    assert met["Rasa <= 1.5 GB resident"] is False
    table = format_table(full_result())
    assert "**NOT MET**" in table and "| met |" in table
    assert "1.20x" in table  # ours / stock sequential p50


def test_a_missing_figure_makes_its_target_unjudged():
    r = full_result()
    r["stock_seq_p50_ms"] = None
    assert dict(targets(r))["sequential message p50 <= 1.3 x stock"] is None
    assert machine_result({})["hit1"] is None


def test_sequential_load_alternates_between_the_assistants_conversation_by_conversation(monkeypatch):
    """Ours and stock take turns (conversation 1 on each, then 2 on each ...), so a machine
    that slows down during the run slows both; each keeps its own figures."""
    import asyncio

    import bench.run as run

    calls = []

    async def fake_one(client, url, sender, texts, lat, errors):
        calls.append((url, sender))
        lat.extend([10.0 if "ours" in url else 8.0] * len(texts))
        if sender.endswith("-2") and "stock" in url:
            errors.append("HTTPStatusError")

    monkeypatch.setattr(run, "_one", fake_one)
    hooks = {"": "http://ours/webhook", "stock_": "http://stock/webhook"}
    plans = {p: run._plan(["a", "b", "c"], 3, 2, f"t-{p or 'ours'}") for p in hooks}
    res = asyncio.run(run._alternating(hooks, plans))
    assert [url for url, _ in calls] == ["http://ours/webhook", "http://stock/webhook"] * 3
    assert [sender for _, sender in calls][:2] == ["bench-t-ours-0", "bench-t-stock_-0"]
    assert res[""]["p50_ms"] == 10.0 and res["stock_"]["p50_ms"] == 8.0
    assert res[""]["n"] == 6 and res["stock_"]["errors"] == 1 and res[""]["errors"] == 0
