"""Referral logic: create a draft, preview, send (queue), mark made, acknowledge,
read with access control, erase after retention, and response-time statistics.

Every view and change writes an :class:`~referrals.models.AuditEntry` (who, what,
when, referral id; never personal data). Logs carry ids and statuses only.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import statistics
from dataclasses import dataclass
from typing import Callable, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from knowledge_base.schema import Service
from store import scrub

from .audit import audit, naive_utc
from .config import ReferralSettings
from .delivery import deliver_due
from .errors import NotAllowed, ReferralNotFound, ServiceNotReferable, WrongState
from .forms import ReferralInput, referable, validate
from .models import PERSONAL_FIELDS, RESPONSES, Referral, Target, make_sessionmaker
from .text import ReferralText, default_text, render_email
from .tokens import make_token, read_token

log = logging.getLogger(__name__)
MANUAL_ROUTES = ("portal", "phone", "self-referral", "professional-form", "walk-in", "webchat")


class User(Protocol):
    username: str
    role: str


@dataclass(frozen=True)
class ReferralStats:
    service_id: str
    median_seconds: float
    count: int

    @property
    def median_hours(self) -> float:
        return round(self.median_seconds / 3600, 1)


@dataclass(frozen=True)
class Preview:
    target: Target
    subject: str
    body: str


def can_read(user: User, referral: Referral) -> bool:
    return user.role == "admin" or user.username == referral.created_by


_CACHE: dict[str, tuple[float, dict[str, Service]]] = {}
CONTENT_TTL_SECONDS = 60.0


def _load_services() -> dict[str, Service]:
    """Services from the knowledge base (``FRONTLINE_CONTENT_DIR``), re-read at most once a minute."""
    import os
    import time

    from knowledge_base.loader import CONTENT_DIR, load_content
    from knowledge_base.referral_domains import load_referral_domains

    folder = str(os.environ.get("FRONTLINE_CONTENT_DIR", CONTENT_DIR))
    hit = _CACHE.get(folder)
    if hit is None or time.monotonic() - hit[0] > CONTENT_TTL_SECONDS:
        content = load_content(folder)
        allowed = load_referral_domains(folder)
        services = {}
        for i in content.items:
            if not isinstance(i, Service):
                continue
            email = i.referral.email if i.referral else None
            if email and not allowed.allows(email):  # `kb validate` refuses it too: never e-mail it
                log.error("service %s: referral e-mail domain not allowed (content/referral_domains.yml)", i.id)
                continue
            services[i.id] = i
        hit = _CACHE[folder] = (time.monotonic(), services)
    return hit[1]


class ReferralService:
    def __init__(self, settings: ReferralSettings | None = None, db: sessionmaker | None = None,
                 services: Callable[[], dict[str, Service]] = _load_services, text: ReferralText | None = None):
        self.settings = settings or ReferralSettings()
        self.settings.check()
        self.db = db or make_sessionmaker(self.settings.data_dir)
        self._services = services
        self.text = text or default_text()

    # --- services ---------------------------------------------------------------------------
    def services_for(self, service_ids: list[str]) -> list[Service]:
        known = self._services()
        ids = list(dict.fromkeys(service_ids))
        bad = [i for i in ids if i not in known or not referable(known[i])]
        if bad:
            raise ServiceNotReferable(f"not a service that accepts referrals: {', '.join(bad)}")
        return [known[i] for i in ids]

    def referable_services(self) -> list[Service]:
        """Every service a worker can add to a referral, by organisation then title."""
        return sorted((s for s in self._services().values() if referable(s)),
                      key=lambda s: (s.organisation.lower(), s.title.lower()))

    # --- create, read, preview -------------------------------------------------------------
    def create_draft(self, user: User, inp: ReferralInput, now: dt.datetime | None = None) -> Referral:
        now = naive_utc(now)
        services = self.services_for(inp.service_ids)
        clean = validate(inp, services, self.text)
        ref = Referral(id=secrets.token_hex(16), created_by=user.username, created_at=now, consent=clean.consent,
                       consent_at=now, consent_reason=clean.consent_reason or None, urgency=clean.urgency,
                       contact_preference=clean.contact_preference,
                       **{f: (getattr(clean, f) or None) for f in PERSONAL_FIELDS})
        domain = self.settings.from_addr.rpartition("@")[2] or "localhost"
        for s in services:
            r = s.referral
            by_email = r.route == "email" and bool(r.email)
            ref.targets.append(Target(service_id=s.id, service_title=s.title, organisation=s.organisation,
                                      route=r.route,
                                      to_email=r.email if by_email else None,
                                      portal_url=str(r.url) if r.url else None, status="draft",
                                      message_id=f"<referral-{ref.id}-{s.id}@{domain}>"))
        with self.db() as db:
            db.add(ref)
            detail = f"{len(services)} services" + ("" if ref.consent else f", no consent: {ref.consent_reason}")
            audit(db, user.username, "create", ref.id, detail=detail, now=now)
            db.commit()
        log.info("referral %s created by %s for %d services%s", ref.id, user.username, len(services),
                 "" if ref.consent else f", without consent ({ref.consent_reason})")
        return ref

    def get(self, user: User, referral_id: str, action: str = "view") -> Referral:
        with self.db() as db:
            ref = self._owned(db, user, referral_id, action)
            audit(db, user.username, action, referral_id)
            db.commit()
            return ref

    def list_for(self, user: User, limit: int = 100) -> list[Referral]:
        """The user's own referrals (an admin sees everyone's), newest first, targets loaded."""
        with self.db() as db:
            query = select(Referral).options(selectinload(Referral.targets)).order_by(
                Referral.created_at.desc()).limit(limit)
            if user.role != "admin":
                query = query.where(Referral.created_by == user.username)
            refs = list(db.scalars(query))
            audit(db, user.username, "list", "-", detail=f"{len(refs)} referrals")
            db.commit()
            return refs

    def ack_url(self, ref: Referral, target: Target) -> str:
        expires = ref.created_at + dt.timedelta(days=self.settings.ack_days)
        token = make_token(self.settings.signing_key(), target.id, expires)
        return f"{self.settings.public_url.rstrip('/')}/referrals/ack/{token}"

    def render(self, ref: Referral, target: Target) -> Preview:
        """The text a service receives (email body, or the text to copy for manual routes)."""
        form = self.text.form
        ctx = {f: getattr(ref, f) or "" for f in PERSONAL_FIELDS}
        ctx.update(ref=ref.id[:8].upper(), urgency=form.urgency.get(ref.urgency, ref.urgency),
                   contact_preference=form.contact_preference.get(ref.contact_preference, ref.contact_preference),
                   consent_at=ref.consent_at.strftime("%d %B %Y %H:%M UTC"), consent=ref.consent,
                   consent_reason=form.consent_reasons[ref.consent_reason].label if ref.consent_reason else "",
                   organisation=target.organisation,
                   service_title=target.service_title, worker=ref.created_by, ack_url=self.ack_url(ref, target),
                   other_services=[t.organisation for t in ref.targets if t.id != target.id])
        subject, body = render_email(self.text, ctx)
        return Preview(target, subject, body)

    def preview(self, ref: Referral) -> list[Preview]:
        return [self.render(ref, t) for t in ref.targets]

    # --- send, mark made ----------------------------------------------------------------------
    def send(self, user: User, referral_id: str, now: dt.datetime | None = None, deliver: bool = True) -> Referral:
        """Queue every email target; then try to deliver them at once (failures stay queued)."""
        now = naive_utc(now)
        with self.db() as db:
            ref = self._owned(db, user, referral_id, "send")
            if ref.erased_at is not None:
                raise WrongState("the resident's details have been erased")
            queued = 0
            for t in ref.targets:
                if t.status == "draft" and t.to_email:
                    t.status, t.queued_at, t.next_attempt_at = "queued", now, now
                    queued += 1
                    audit(db, user.username, "send", ref.id, t.service_id, "queued", now)
            db.commit()
        log.info("referral %s: %d email(s) queued", referral_id, queued)
        if deliver and queued:
            deliver_due(self, now, referral_id=referral_id)
        with self.db() as db:
            return db.get(Referral, referral_id)

    def mark_made(self, user: User, referral_id: str, service_id: str, now: dt.datetime | None = None) -> Target:
        now = naive_utc(now)
        with self.db() as db:
            ref = self._owned(db, user, referral_id, "mark_made")
            target = next((t for t in ref.targets if t.service_id == service_id), None)
            if target is None:
                raise ReferralNotFound(f"{referral_id}/{service_id}")
            if target.to_email or target.status != "draft":
                raise WrongState(f"{service_id} is sent by email or already {target.status}")
            target.status, target.made_at = "made", now
            audit(db, user.username, "mark_made", ref.id, service_id, "made", now)
            db.commit()
            return target

    def _owned(self, db: Session, user: User, referral_id: str, action: str) -> Referral:
        ref = db.get(Referral, referral_id)
        if ref is None:
            raise ReferralNotFound(referral_id)
        if not can_read(user, ref):
            audit(db, user.username, f"{action}_denied", referral_id)
            db.commit()
            raise NotAllowed(f"{user.username} may not {action} referral {referral_id}")
        return ref

    # --- replies from the receiving service ---------------------------------------------------
    def target_for_token(self, token: str, now: dt.datetime | None = None) -> Target:
        target_id = read_token(self.settings.signing_key(), token, naive_utc(now))
        with self.db() as db:
            target = db.get(Target, target_id)
            if target is None:
                raise ReferralNotFound(str(target_id))
            return target

    def acknowledge(self, token: str, status: str, now: dt.datetime | None = None) -> Target:
        if status not in RESPONSES:
            raise WrongState(f"reply must be one of {', '.join(RESPONSES)}")
        now = naive_utc(now)
        target_id = read_token(self.settings.signing_key(), token, now)
        with self.db() as db:
            target = db.get(Target, target_id)
            if target is None:
                raise ReferralNotFound(str(target_id))
            if target.status == "draft":
                raise WrongState("this referral has not been sent")
            start = target.sent_at or target.made_at or target.queued_at
            if target.first_response_at is None:
                target.first_response_at = now
                target.response_seconds = max(0.0, (now - start).total_seconds()) if start else None
            target.status, target.responded_at = status, now
            audit(db, "service-reply", "acknowledge", target.referral_id, target.service_id, status, now)
            db.commit()
        log.info("referral %s: %s replied %s", target.referral_id, target.service_id, status)
        return target

    # --- retention and statistics -------------------------------------------------------------
    def purge(self, now: dt.datetime | None = None) -> int:
        """Erase personal fields of referrals older than the retention period; keep records and statuses."""
        now = naive_utc(now)
        cutoff = now - dt.timedelta(days=self.settings.retention_days)
        with self.db() as db:
            old = db.scalars(select(Referral).where(Referral.created_at < cutoff, Referral.erased_at.is_(None))).all()
            for ref in old:
                for f in PERSONAL_FIELDS:
                    setattr(ref, f, None)
                ref.erased_at = now
                for t in ref.targets:
                    if t.status == "queued":  # nothing left to send
                        t.status, t.last_error, t.next_attempt_at = "failed", "erased before delivery", None
                audit(db, "system", "erase", ref.id, now=now)
            db.commit()
        if old:
            log.info("retention: erased personal data of %d referral(s)", len(old))
            scrub(self.db.kw["bind"])  # erased fields leave nothing in the WAL
        return len(old)

    def stats(self, service_id: str) -> ReferralStats | None:
        with self.db() as db:
            times = list(db.scalars(select(Target.response_seconds).where(
                Target.service_id == service_id, Target.response_seconds.is_not(None))))
        if not times:
            return None
        return ReferralStats(service_id, float(statistics.median(times)), len(times))

    def all_stats(self) -> list[ReferralStats]:
        """Every service with at least one recorded response, fastest median first."""
        with self.db() as db:
            rows = db.execute(select(Target.service_id, Target.response_seconds).where(
                Target.response_seconds.is_not(None))).all()
        by_service: dict[str, list[float]] = {}
        for sid, seconds in rows:
            by_service.setdefault(sid, []).append(seconds)
        out = [ReferralStats(sid, float(statistics.median(t)), len(t)) for sid, t in by_service.items()]
        return sorted(out, key=lambda st: (st.median_seconds, st.service_id))


def referral_stats(service_id: str, service: ReferralService | None = None) -> ReferralStats | None:
    """Median time to first response for a service, with the count it is based on; None without data."""
    return (service or default_service()).stats(service_id)


_DEFAULT: ReferralService | None = None


def default_service() -> ReferralService:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ReferralService()
    return _DEFAULT
