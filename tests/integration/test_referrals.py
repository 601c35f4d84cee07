"""Referrals against a real SQLite file and a real SMTP server (aiosmtpd on loopback):
multi-service delivery, SMTP down then up without loss or duplicates, restart
after a crash, retention, reply links, response-time statistics and the audit;
sharing without consent with a safeguarding service; a database from before the
consent columns is upgraded in place."""

from __future__ import annotations

import datetime as dt
import email
import socket
import sqlite3
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from referrals.config import ReferralSettings, SmtpSettings
from referrals.errors import BadToken, ConsentRequired, NotAllowed
from referrals.models import PERSONAL_FIELDS, AuditEntry, Referral, Target
from referrals.queue import _claim, process_queue
from referrals.service import ReferralService
from tests.unit.test_referrals import WHY, good_input, mash, service

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 26, 10, 0)


class User:
    def __init__(self, username: str, role: str = "worker"):
        self.username, self.role = username, role


ALICE, BOB, ADMIN = User("alice"), User("bob"), User("root", "admin")
SERVICES = {s.id: s for s in [
    service("food-bank-hackney", email="referrals@foodbank.example.org", needs=["name", "contact number"]),
    service("debt-advice-newham", email="intake@debtadvice.example.org"),
    service("housing-portal", route="portal", email=None),
    mash("children-mash"),
]}
WITHOUT_CONSENT = dict(consent=False, consent_reason="child_significant_harm", consent_why=WHY)


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                  policy=policy.default)))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def start_smtp(port):
    started = []

    def start() -> Inbox:
        inbox = Inbox()
        ctrl = Controller(inbox, hostname="127.0.0.1", port=port)
        ctrl.start()
        started.append(ctrl)
        return inbox

    yield start
    for ctrl in started:
        ctrl.stop()


@pytest.fixture
def settings(tmp_path, port):
    return ReferralSettings(data_dir=tmp_path, retention_days=90, from_addr="referrals@frontline.example.org",
                            public_url="http://testserver", ack_days=90, secret=b"test-secret",
                            smtp=SmtpSettings(host="127.0.0.1", port=port, user=None, password=None,
                                              starttls=False, tls=False, timeout=5))


@pytest.fixture
def svc(settings):
    return ReferralService(settings, services=lambda: SERVICES)


def make(svc, ids=("food-bank-hackney", "debt-advice-newham", "housing-portal"), now=NOW, user=ALICE, **over):
    return svc.create_draft(user, good_input(service_ids=list(ids), **over), now=now)


def targets(svc, ref_id) -> dict[str, Target]:
    with svc.db() as db:
        return {t.service_id: t for t in db.scalars(select(Target).where(Target.referral_id == ref_id))}


def test_consent_missing_stores_nothing(svc):
    with pytest.raises(ConsentRequired, match="consent"):
        make(svc, consent=None)
    with pytest.raises(ConsentRequired, match="Org food-bank-hackney"):  # no consent: not for a food bank
        make(svc, ids=["food-bank-hackney"], **WITHOUT_CONSENT)
    with svc.db() as db:
        assert db.scalars(select(Referral)).all() == []


def test_without_consent_to_a_safeguarding_service_is_stored_and_the_email_says_so(svc, start_smtp):
    inbox = start_smtp()
    ref = make(svc, ids=["children-mash"], **WITHOUT_CONSENT)
    svc.send(ALICE, ref.id, now=NOW)
    with svc.db() as db:
        row = db.get(Referral, ref.id)
        assert (row.consent, row.consent_reason, row.consent_why) == (False, "child_significant_harm", WHY)
        assert (row.created_by, row.created_at, row.consent_at) == ("alice", NOW, NOW)
        created = db.scalars(select(AuditEntry).where(AuditEntry.action == "create")).one()
    assert created.detail == "1 services, no consent: child_significant_harm"  # the key, never the why
    [(rcpt, msg)] = inbox.messages
    body = msg.get_content()
    assert rcpt == ["mash@council.example.org"] and "Ada" not in msg["Subject"]
    label = svc.text.form.consent_reasons["child_significant_harm"].label
    assert f"shared without consent under safeguarding: {label}" in body
    assert WHY.splitlines()[1] in body and "explicit consent" not in body
    # retention erases the worker's words (they may name people) and keeps the reason
    svc.purge(now=NOW + dt.timedelta(days=91))
    with svc.db() as db:
        row = db.get(Referral, ref.id)
        assert (row.consent, row.consent_reason, row.consent_why) == (False, "child_significant_harm", None)


OLD_SCHEMA = """CREATE TABLE referral_referrals (
    id VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL,
    consent BOOLEAN NOT NULL, consent_at DATETIME NOT NULL, urgency VARCHAR(16) NOT NULL,
    contact_preference VARCHAR(16) NOT NULL, erased_at DATETIME, resident_name TEXT, date_of_birth TEXT,
    address TEXT, phone TEXT, email TEXT, contact_notes TEXT, need_what TEXT, need_since TEXT, need_tried TEXT,
    access_needs TEXT, language TEXT, PRIMARY KEY (id))"""


def test_a_database_from_before_the_consent_columns_is_upgraded(settings, start_smtp):
    """create_all leaves an existing table alone: the new columns are added at start, once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.data_dir / "frontline.db") as con:
        con.execute(OLD_SCHEMA)
        con.execute("INSERT INTO referral_referrals (id, created_by, created_at, consent, consent_at, urgency, "
                    "contact_preference, resident_name) VALUES ('old1', 'alice', '2026-11-01 09:00:00.000000', 1, "
                    "'2026-11-01 09:00:00.000000', 'soon', 'phone', 'Old Resident')")
    con.close()
    inbox = start_smtp()
    svc = ReferralService(settings, services=lambda: SERVICES)
    ref = make(svc, ids=["children-mash"], **WITHOUT_CONSENT)
    svc.send(ALICE, ref.id, now=NOW)
    assert "shared without consent under safeguarding" in inbox.messages[0][1].get_content()
    again = ReferralService(settings, services=lambda: SERVICES)  # a second start changes nothing
    old = again.get(ALICE, "old1")
    assert (old.consent, old.consent_reason, old.consent_why, old.resident_name) == (True, None, None, "Old Resident")
    assert again.get(ALICE, ref.id).consent_why == WHY
    with sqlite3.connect(settings.data_dir / "frontline.db") as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(referral_referrals)")]
    con.close()
    assert cols.count("consent_reason") == cols.count("consent_why") == 1


def test_one_referral_to_several_services_arrives_once_per_email_service(svc, start_smtp):
    inbox = start_smtp()
    ref = make(svc)
    assert {t.status for t in ref.targets} == {"draft"}
    svc.send(ALICE, ref.id, now=NOW)
    ts = targets(svc, ref.id)
    assert ts["food-bank-hackney"].status == ts["debt-advice-newham"].status == "sent"
    assert ts["housing-portal"].status == "draft"  # portal: text prepared for copying
    assert sorted(r[0] for r, _ in inbox.messages) == ["intake@debtadvice.example.org",
                                                       "referrals@foodbank.example.org"]
    for rcpt, msg in inbox.messages:
        target = next(t for t in ts.values() if t.to_email == rcpt[0])
        body = msg.get_content()
        assert msg["Message-ID"] == target.message_id
        assert msg["From"] == "referrals@frontline.example.org"
        assert ref.id[:8].upper() in msg["Subject"] and "Ada" not in msg["Subject"]
        assert "Name: Ada Example" in body and "Phone: 07700 900123" in body
        assert "No food in the house since benefits stopped." in body and "Since: 2 weeks" in body
        assert target.organisation in body and "explicit consent" in body
        assert "http://testserver/referrals/ack/" in body
    svc.mark_made(ALICE, ref.id, "housing-portal", now=NOW)
    assert targets(svc, ref.id)["housing-portal"].status == "made"
    svc.send(ALICE, ref.id, now=NOW + dt.timedelta(minutes=5))  # pressing send again sends nothing new
    assert process_queue(NOW + dt.timedelta(days=1), service=svc).sent == 0
    assert len(inbox.messages) == 2


def test_smtp_down_then_up_delivers_once(svc, settings, start_smtp):
    ref = make(svc, ids=["food-bank-hackney"])
    svc.send(ALICE, ref.id, now=NOW)  # nothing listens on the port yet
    t = targets(svc, ref.id)["food-bank-hackney"]
    assert (t.status, t.attempts, t.sent_at) == ("queued", 1, None)
    assert t.next_attempt_at == NOW + dt.timedelta(seconds=60) and t.last_error
    r = process_queue(NOW + dt.timedelta(seconds=61), service=svc)  # still down: back-off doubles
    assert (r.sent, r.retrying) == (0, 1)
    assert targets(svc, ref.id)["food-bank-hackney"].next_attempt_at == NOW + dt.timedelta(seconds=181)
    assert process_queue(NOW + dt.timedelta(seconds=100), service=svc).retrying == 0  # not due yet
    inbox = start_smtp()
    assert process_queue(NOW + dt.timedelta(seconds=200), service=svc).sent == 1
    restarted = ReferralService(settings, services=lambda: SERVICES)  # a new process on the same database
    assert process_queue(NOW + dt.timedelta(days=2), service=restarted).sent == 0
    assert len(inbox.messages) == 1
    t = targets(svc, ref.id)["food-bank-hackney"]
    assert (t.status, t.attempts, t.sent_at) == ("sent", 3, NOW + dt.timedelta(seconds=200))


def test_after_a_crash_only_unconfirmed_targets_are_resent(svc, settings, start_smtp):
    ref = make(svc, ids=["food-bank-hackney", "debt-advice-newham"])
    svc.send(ALICE, ref.id, now=NOW, deliver=False)
    inbox = start_smtp()
    ts = targets(svc, ref.id)
    assert process_queue(NOW, service=svc, referral_id=ref.id).sent == 2
    inbox.messages.clear()
    # simulate a crash: a runner claimed the debt target and died before the server accepted it
    with svc.db() as db:
        t = db.get(Target, ts["debt-advice-newham"].id)
        t.status, t.sent_at, t.next_attempt_at = "queued", None, NOW
        db.commit()
    assert _claim(svc, ts["debt-advice-newham"].id, NOW)
    restarted = ReferralService(settings, services=lambda: SERVICES)
    assert process_queue(NOW + dt.timedelta(seconds=10), service=restarted).sent == 0  # claim still held
    assert process_queue(NOW + dt.timedelta(seconds=121), service=restarted).sent == 1
    assert [r for r, _ in inbox.messages] == [["intake@debtadvice.example.org"]]
    assert inbox.messages[0][1]["Message-ID"] == ts["debt-advice-newham"].message_id  # same id: receiver can dedupe


def test_retention_erases_personal_fields_and_keeps_statuses(svc, settings, start_smtp):
    start_smtp()
    old = make(svc, ids=["food-bank-hackney"], now=NOW - dt.timedelta(days=91), resident_name="Zebedee Oldcase")
    svc.send(ALICE, old.id, now=NOW - dt.timedelta(days=91))
    recent = make(svc, ids=["food-bank-hackney"], now=NOW - dt.timedelta(days=10))
    assert svc.purge(now=NOW) == 1
    assert svc.purge(now=NOW) == 0
    with svc.db() as db:
        gone, kept = db.get(Referral, old.id), db.get(Referral, recent.id)
        assert all(getattr(gone, f) is None for f in PERSONAL_FIELDS) and gone.erased_at == NOW
        assert (gone.urgency, gone.created_by, [t.status for t in gone.targets]) == ("urgent", "alice", ["sent"])
        assert kept.resident_name == "Ada Example" and kept.erased_at is None
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one().referral_id == old.id
    db_bytes = (settings.data_dir / "frontline.db").read_bytes()
    assert b"Zebedee Oldcase" not in db_bytes  # secure_delete: overwritten, not left in free pages
    assert b"Ada Example" in db_bytes  # the WAL was checkpointed into the file
    wal = settings.data_dir / "frontline.db-wal"
    assert not wal.exists() or b"Zebedee Oldcase" not in wal.read_bytes()


def test_reply_link_sets_status_and_time_to_first_response(svc, start_smtp):
    inbox = start_smtp()
    ref = make(svc, ids=["food-bank-hackney"])
    svc.send(ALICE, ref.id, now=NOW)
    link = inbox.messages[0][1].get_content().split("http://testserver/referrals/ack/")[1].split()[0]
    t = svc.acknowledge(link, "received", now=NOW + dt.timedelta(hours=2))
    assert (t.status, t.response_seconds, t.first_response_at) == ("received", 7200.0, NOW + dt.timedelta(hours=2))
    t = svc.acknowledge(link, "accepted", now=NOW + dt.timedelta(hours=30))
    assert (t.status, t.response_seconds) == ("accepted", 7200.0)  # first response time is kept
    with pytest.raises(BadToken):
        svc.acknowledge(link[:-2] + "xx", "declined", now=NOW)
    with pytest.raises(BadToken):
        svc.acknowledge(link, "declined", now=NOW + dt.timedelta(days=91))


def test_stats_median_with_count_and_none_without_data(svc, start_smtp):
    start_smtp()
    assert svc.stats("food-bank-hackney") is None
    for hours in (1, 3, 10):
        ref = make(svc, ids=["food-bank-hackney", "debt-advice-newham"])
        svc.send(ALICE, ref.id, now=NOW)
        food = targets(svc, ref.id)["food-bank-hackney"]
        svc.acknowledge(svc.ack_url(ref, food).rsplit("/", 1)[1], "received", now=NOW + dt.timedelta(hours=hours))
    st = svc.stats("food-bank-hackney")
    assert (st.median_seconds, st.median_hours, st.count) == (3 * 3600, 3.0, 3)
    assert svc.stats("debt-advice-newham") is None  # sent but never answered: no invented figure
    assert svc.stats("no-such-service") is None
    # every service with replies, fastest first: the report trainers see
    ref = make(svc, ids=["debt-advice-newham"])
    svc.send(ALICE, ref.id, now=NOW)
    debt = targets(svc, ref.id)["debt-advice-newham"]
    svc.acknowledge(svc.ack_url(ref, debt).rsplit("/", 1)[1], "accepted", now=NOW + dt.timedelta(minutes=30))
    assert [(st.service_id, st.median_hours, st.count) for st in svc.all_stats()] == [
        ("debt-advice-newham", 0.5, 1), ("food-bank-hackney", 3.0, 3)]


def test_audit_rows_for_view_and_send_hold_no_personal_data(svc, start_smtp):
    start_smtp()
    ref = make(svc)
    svc.get(ALICE, ref.id)
    svc.send(ALICE, ref.id, now=NOW)
    with pytest.raises(NotAllowed):
        svc.get(BOB, ref.id)
    svc.get(ADMIN, ref.id)
    with svc.db() as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.referral_id == ref.id).order_by(AuditEntry.id)).all()
    got = [(r.actor, r.action) for r in rows]
    assert ("alice", "view") in got and ("root", "view") in got and ("bob", "view_denied") in got
    assert got.count(("alice", "send")) == 2 and got.count(("system", "deliver")) == 2
    personal = ["Ada", "07700", "No food", "2 weeks"]
    for r in rows:
        values = " ".join(str(v) for v in (r.actor, r.action, r.referral_id, r.service_id, r.detail))
        assert not any(p in values for p in personal), values
        assert r.at is not None and r.referral_id == ref.id


def test_no_personal_data_in_logs_at_info(svc, start_smtp, caplog):
    start_smtp()
    caplog.set_level("INFO", logger="referrals")
    ref = make(svc)
    svc.send(ALICE, ref.id, now=NOW)
    svc.purge(now=NOW + dt.timedelta(days=100))
    assert caplog.records and not any(p in caplog.text for p in ["Ada", "07700", "No food"])


def run_cli(argv: list[str]) -> int:
    import argparse

    from referrals.cli import add_referral_parsers

    p = argparse.ArgumentParser(prog="frontline")
    add_referral_parsers(p.add_subparsers(dest="cmd", required=True))
    args = p.parse_args(argv)
    return args.handler(args)


def test_cli_process_queue_purge_and_stats(svc, settings, start_smtp, monkeypatch, capsys):
    monkeypatch.setenv("FRONTLINE_DATA_DIR", str(settings.data_dir))
    for key, value in [("FRONTLINE_SMTP_HOST", "127.0.0.1"), ("FRONTLINE_SMTP_PORT", str(settings.smtp.port)),
                       ("FRONTLINE_SMTP_STARTTLS", "0"), ("FRONTLINE_SECRET_KEY", "test-secret"),
                       ("FRONTLINE_REFERRAL_RETENTION_DAYS", "30")]:
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("FRONTLINE_SMTP_USER", raising=False)
    ref = make(svc, ids=["food-bank-hackney"], now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31))
    svc.send(ALICE, ref.id, now=NOW, deliver=False)
    inbox = start_smtp()
    assert run_cli(["referrals", "process-queue"]) == 0
    assert len(inbox.messages) == 1 and "sent 1" in capsys.readouterr().out
    assert run_cli(["referrals", "purge"]) == 0
    assert "erased personal data of 1 referral(s) older than 30 days" in capsys.readouterr().out
    assert run_cli(["referrals", "stats", "food-bank-hackney"]) == 0
    assert "no responses yet" in capsys.readouterr().out
    assert run_cli(["referrals", "stats"]) == 0
    assert "no responses recorded yet" in capsys.readouterr().out


class RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_a_refused_recipient_marks_that_service_failed(svc, port):
    ctrl = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    ctrl.start()
    try:
        ref = make(svc, ids=["food-bank-hackney"])
        svc.send(ALICE, ref.id, now=NOW)
    finally:
        ctrl.stop()
    t = targets(svc, ref.id)["food-bank-hackney"]
    assert (t.status, t.next_attempt_at, t.last_error) == ("failed", None, "recipient refused")
    assert process_queue(NOW + dt.timedelta(days=1), service=svc).sent == 0
