"""End to end: the three processes as `make run` starts them."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from frontline.settings import Settings
from frontline.training import model_path, rasa_env

from .conftest import ROOT, free_port, start_stack, stop_stack

pytestmark = pytest.mark.slow


def rest(stack, sender, message):
    r = httpx.post(f"{stack.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
    r.raise_for_status()
    return r.json()


def test_first_slice_through_rasa_rest(stack):
    replies = rest(stack, "e2e-1", "she can't get to the shops and can't order online")
    text = "\n".join(m.get("text", "") for m in replies)
    assert "Say:" in text and "What to do:" in text and "Contact:" in text
    assert "Source: http" in text and "last checked" in text


def test_greeting_and_unknown_words_never_get_a_bare_didnt_understand(stack):
    assert "Hello" in rest(stack, "e2e-2", "hello")[0]["text"]
    replies = rest(stack, "e2e-2", "qwzx plorb")
    assert replies and all("didn't understand" not in m.get("text", "") for m in replies)


def test_did_you_mean_buttons_round_trip(stack):
    replies = rest(stack, "e2e-3", "help")
    replies = rest(stack, "e2e-3", "advice")
    buttons = [b for m in replies for b in m.get("buttons", [])]
    if buttons:  # grey zone: choose the first option
        shown = rest(stack, "e2e-3", buttons[0]["payload"])
        assert buttons[0]["title"].split(" (")[0][:20] in shown[0]["text"]


def test_rest_channel_rejects_a_request_without_sender(stack):
    r = httpx.post(f"{stack.rasa}/webhooks/rest/webhook", json={"message": "hi"}, timeout=30)
    assert r.status_code == 400 and "sender" in r.json()["error"]


def test_front_door_serves_the_page_and_forwards_messages(stack):
    from tests.e2e.frontdoor import signed_in_client

    with signed_in_client(stack) as client:
        r = client.post("/api/message", json={"message": "how do I refer to Citizens Advice"})
        assert r.status_code == 200, r.text
        msgs = r.json()["messages"]
        assert msgs and any("Citizens Advice" in (m.get("text") or "") + str(m.get("buttons", "")) for m in msgs)


def test_rasa_and_actions_listen_on_localhost_only(stack):
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    for url in (stack.rasa, stack.actions):
        port = url.rsplit(":", 1)[1]
        lines = [l for l in out.splitlines() if f":{port} " in l]
        assert lines and all("127.0.0.1:" in l for l in lines), lines


def test_action_server_unreachable_still_gives_the_999_rule(tmp_path):
    """Rasa alone, its action endpoint pointing at a closed port."""
    settings = Settings()
    port, dead = free_port(), free_port()
    env = {**rasa_env(), "ACTION_SERVER_URL": f"http://127.0.0.1:{dead}/webhook",
           "FRONTLINE_TRACKER_DB": str(tmp_path / "tracker.db")}
    proc = subprocess.Popen([str(settings.rasa_bin), "run", "--model", str(model_path(settings)), "--interface",
                             "127.0.0.1", "--port", str(port), "--credentials", "bot/credentials.yml",
                             "--endpoints", "bot/endpoints.yml"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        r = httpx.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                       json={"sender": "down-1", "message": "landlord changed the locks"}, timeout=60)
        text = " ".join(m.get("text", "") for m in r.json())
        assert "999" in text and "safeguarding" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_port_in_use_refuses_to_start_and_names_it(tmp_path):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        env = {**os.environ, "FRONTLINE_RASA_PORT": str(port), "FRONTLINE_DATA_DIR": str(tmp_path)}
        r = subprocess.run([sys.executable, "-m", "frontline.cli", "run"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert f"port {port} is in use, so the Rasa server cannot start" in r.stderr


def test_a_crash_of_one_process_stops_the_others(tmp_path):
    s = start_stack(tmp_path)
    try:
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        port = s.actions.rsplit(":", 1)[1]
        line = next(l for l in out.splitlines() if f"127.0.0.1:{port} " in l)
        pid = int(line.split("pid=")[1].split(",")[0])
        os.kill(pid, signal.SIGKILL)
        code = s.proc.wait(timeout=60)
    finally:
        stop_stack(s)
    log = s.log.read_text()
    assert code == 1
    assert "the action server stopped unexpectedly" in log
    with socket.socket() as sock:  # Rasa's port was released: the others were stopped
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(s.rasa.rsplit(":", 1)[1])))


def test_tracker_store_never_sees_resident_identifiers(stack):
    import sqlite3

    rest(stack, "e2e-pii", "my client Mrs Okafor on 07700 900123 at E8 1DY cant pay the gas")
    con = sqlite3.connect(stack.data_dir / "tracker.db")
    dump = "\n".join(str(row) for row in con.execute("select * from events"))
    con.close()
    assert "e2e-pii" in dump
    for raw in ("Okafor", "07700 900123", "E8 1DY"):
        assert raw not in dump
    assert "[PHONE]" in dump and "[POSTCODE]" in dump


def test_a_deleted_conversation_stays_deleted_in_rasas_store(stack):
    """Rasa runs our tracker store (bot/endpoints.yml; a wrong class name would silently give
    an in-memory store): a deleted conversation leaves a tombstone, and what the worker types
    afterwards is stored without the deleted messages coming back."""
    import sqlite3

    from store.tracker import delete_conversation, sender_hash

    url = f"sqlite:///{stack.data_dir / 'tracker.db'}"
    rest(stack, "e2e-del", "what is a food bank voucher")
    assert delete_conversation("e2e-del", url=url) > 0
    rest(stack, "e2e-del", "how do I apply for a council tax reduction")
    con = sqlite3.connect(stack.data_dir / "tracker.db")
    dump = "\n".join(row[0] for row in con.execute("select data from events where sender_id = 'e2e-del'"))
    tombs = [row[0] for row in con.execute("select sender_hash from frontline_deleted_conversations")]
    con.close()
    assert "council tax reduction" in dump and "food bank voucher" not in dump
    assert sender_hash("e2e-del") in tombs


RISK_GUIDES = ("safeguarding-adult", "safeguarding-child", "domestic-abuse", "mental-health-crisis",
               "child-exploitation", "modern-slavery", "radicalisation")


@pytest.mark.parametrize("flow_id", [*RISK_GUIDES, "immigration-advice-boundaries", "eviction-homelessness"])
def test_each_guided_flow_runs_to_its_case_note_through_rasa(stack, flow_id):
    sender = f"e2e-flow-{flow_id}"
    replies = rest(stack, sender, '/start_flow{"flow_id": "%s"}' % flow_id)
    text = "\n".join(m.get("text", "") for m in replies)
    if flow_id in RISK_GUIDES:
        assert text.index("999") < text.index("?"), "critical rules come before the first question"
    for _ in range(40):  # take the last option each time (often "not sure"), then continue
        buttons = [b for m in replies for b in m.get("buttons", []) if b["payload"].isdigit()]
        if not buttons:
            break
        replies = rest(stack, sender, buttons[-1]["payload"])
    text = "\n".join(m.get("text", "") for m in replies)
    assert "Case note" in text, text


@pytest.mark.parametrize("message, flow_id", [
    ("res whispering, says she can't talk because he's in the room", "domestic-abuse"),
    ("resident doesn't see the point anymore and has been saving up her tablets", "mental-health-crisis"),
    ("a boy is being made to carry packages for older boys on the estate", "child-exploitation"),
])
def test_a_disclosure_opens_its_own_guide_through_rest(stack, message, flow_id):
    from knowledge_base import flows as F

    replies = rest(stack, f"e2e-risk-{flow_id}", message)
    text = "\n".join(m.get("text", "") for m in replies)
    assert F.default_engine().flows[flow_id].critical[0] in text, text
    assert text.index("999") < text.index("?"), "the 999 rule comes before the first question"


def test_a_question_about_a_risk_topic_gets_an_answer_not_a_guide(stack):
    replies = rest(stack, "e2e-risk-q", "what is county lines")
    text = "\n".join(m.get("text", "") for m in replies)
    assert "FIRST" not in text, text


def test_a_role_play_request_gets_an_answer_and_only_the_offer_of_its_guide(stack):
    """A made-up scenario starts no guide (the router reads it as a look-alike, or as a disclosure
    held back by ``not_risk.not_live_frames``); the guide it is about is offered after the answer,
    one click away, and the reply carries the 999 rule."""
    from knowledge_base import flows as F

    replies = rest(stack, "e2e-risk-roleplay", "role play: I'm a housing officer and you're a worried mum "
                                               "whose son is watching extremist stuff, go")
    text = "\n".join(m.get("text", "") for m in replies)
    assert F.default_engine().flows["radicalisation"].critical[0] not in text, text
    assert "999" in text, text
    payloads = [b.get("payload", "") for m in replies for b in m.get("buttons") or []]
    assert any('"radicalisation"' in p for p in payloads), payloads


def test_a_settled_past_event_gets_an_answer_and_the_check_offer_of_its_guide(stack):
    """``not_risk.not_live_frames``: a disclosure the worker says is settled ("fully recovered")
    starts no guide; the guide is offered after the answer ("Could someone be at risk"), with
    the 999 rule, one click away."""
    from knowledge_base import flows as F

    replies = rest(stack, "e2e-risk-settled", "tenant had a suicide attempt in 2021, fully recovered, "
                                              "he's calling about his rent statement")
    text = "\n".join(m.get("text", "") for m in replies)
    assert F.default_engine().flows["mental-health-crisis"].critical[0] not in text, text
    assert "Could someone be at risk" in text and "999" in text, text
    payloads = [b.get("payload", "") for m in replies for b in m.get("buttons") or []]
    assert any('"mental-health-crisis"' in p for p in payloads), payloads


def test_a_disclosure_during_a_quick_check_opens_its_guide_unscored(stack):
    rest(stack, "e2e-risk-quiz", "quick check on eviction")
    replies = rest(stack, "e2e-risk-quiz", "hang on, she just said her partner hit her last night")
    text = "\n".join(m.get("text", "") for m in replies)
    assert "Correct" not in text and "Not quite" not in text, text
    assert "999" in text and "safe to talk" in text.lower(), text


def test_refresher_and_quick_check_through_rasa(stack):
    card = rest(stack, "e2e-ref", "refresh me on safeguarding")
    assert "Two-minute refresher" in card[0]["text"]
    q = rest(stack, "e2e-ref", "quick check on eviction")
    assert "question 1 of 3" in " ".join(m.get("text", "") for m in q)
    for answer in ("1", "2", "1"):
        last = rest(stack, "e2e-ref", answer)
    assert "out of 3" in " ".join(m.get("text", "") for m in last)


@pytest.mark.parametrize("message", ["", "   ", "x" * 10_000, "😀😀😀", "Ma mère ne peut pas payer le gaz",
                                     "<script>alert(1)</script>", "'; DROP TABLE events; --", "{{7*7}} ${HOME}"])
def test_bad_input_gets_a_sensible_reply_never_a_crash(stack, message):
    r = httpx.post(f"{stack.rasa}/webhooks/rest/webhook", json={"sender": "e2e-bad", "message": message}, timeout=60)
    assert r.status_code == 200
    text = " ".join(m.get("text", "") for m in r.json())
    assert "Traceback" not in text and "Exception" not in text
    if message.strip():
        assert r.json(), "every real message gets a reply"


def test_a_word_that_looks_like_a_guide_request_does_not_swallow_the_next_message(stack):
    """Found by `make bench`: 'stepchange' was read as a guide request; the guide form then
    swallowed the next message, which got the 'assistant unavailable' reply."""
    sender = "e2e-stepchange"
    rest(stack, sender, "loads of debts, credit cards and catalogues, creditors ringing")
    replies = rest(stack, sender, "stepchange")
    assert sum("Which guided steps" in (m.get("text") or "") for m in replies) <= 1
    replies = rest(stack, sender, "can we stop the interest on his debts while he gets advice")
    text = "\n".join(m.get("text") or "" for m in replies)
    assert replies and "can't search right now" not in text, text


def test_yes_accepts_a_single_offer_mid_call(stack):
    """After an answer the assistant offers one related refresher; typing "yes" opens it,
    and "yes" again starts its quick check."""
    sender = "e2e-yes-offer"
    replies = rest(stack, sender, "food bank voucher")
    offers = [m for m in replies if len(m.get("buttons") or []) == 1 and "refresher" in (m.get("text") or "")]
    assert offers, replies
    replies = rest(stack, sender, "yes")
    assert "Two-minute refresher" in replies[0]["text"], replies
    replies = rest(stack, sender, "yes")
    assert "Quick check, question 1" in replies[0]["text"], replies
