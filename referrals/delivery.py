"""Deliver queued referral emails: at-least-once with a stable Message-ID, no duplicates.

``deliver_due(service, now)`` sends every due target once: it first *claims* the target
with a conditional UPDATE (so two runners never send the same one), sends it, and
marks it ``sent`` only after the SMTP server accepted it. A temporary failure
leaves it ``queued`` with exponential back-off; a permanent refusal marks it
``failed``. After a crash, a claimed but unconfirmed target becomes due again when
its claim runs out, and is resent with the same Message-ID.

The service is passed in (``ReferralService.send`` delivers at once through here; the
background :class:`referrals.queue.QueueRunner` every few seconds), so this module does
not import the service: the two no longer import each other.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update

from .audit import audit, naive_utc
from .models import Referral, Target
from .smtp import PermanentSendError, SmtpNotConfigured, SmtpSender, TemporarySendError, build_message

log = logging.getLogger(__name__)


class ReferralService(Protocol):
    """What delivery needs of ``referrals.service.ReferralService``."""

    settings: Any

    def db(self) -> Any: ...

    def render(self, ref: Referral, target: Target) -> Any: ...


@dataclass
class QueueResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int, base: float, cap: float) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed tries: base, 2·base, 4·base, ... up to cap."""
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(svc: ReferralService, target_id: int, now: dt.datetime) -> bool:
    with svc.db() as db:
        res = db.execute(update(Target).where(
            Target.id == target_id, Target.status == "queued", Target.next_attempt_at <= now).values(
            next_attempt_at=now + dt.timedelta(seconds=svc.settings.claim_seconds), attempts=Target.attempts + 1))
        db.commit()
        return res.rowcount == 1


def deliver_due(svc: ReferralService, now: dt.datetime | None = None, *, sender: SmtpSender | None = None,
                referral_id: str | None = None) -> QueueResult:
    """Send every due target of ``svc`` once (or only those of ``referral_id``)."""
    sender = sender or SmtpSender(svc.settings.smtp)
    now = naive_utc(now)
    result = QueueResult()
    with svc.db() as db:
        q = select(Target.id).where(Target.status == "queued", Target.next_attempt_at <= now)
        if referral_id:
            q = q.where(Target.referral_id == referral_id)
        due = list(db.scalars(q.order_by(Target.next_attempt_at, Target.id)))
    for target_id in due:
        if not _claim(svc, target_id, now):
            continue  # another runner has it
        with svc.db() as db:
            target = db.get(Target, target_id)
            ref = db.get(Referral, target.referral_id)
            preview = svc.render(ref, target)
            msg = build_message(from_addr=svc.settings.from_addr, to_addr=target.to_email, subject=preview.subject,
                                body=preview.body, message_id=target.message_id, reference=ref.id[:8].upper())
            try:
                sender.send(msg)
            except PermanentSendError as exc:
                target.status, target.last_error, target.next_attempt_at = "failed", str(exc)[:200], None
                audit(db, "system", "deliver", ref.id, target.service_id, "failed", now)
                result.failed += 1
                log.warning("referral %s to %s refused: %s", ref.id, target.service_id, exc)
            except (TemporarySendError, SmtpNotConfigured) as exc:
                target.last_error = str(exc)[:200]
                target.next_attempt_at = now + backoff(target.attempts, svc.settings.retry_base_seconds,
                                                       svc.settings.retry_max_seconds)
                audit(db, "system", "deliver", ref.id, target.service_id, "retry", now)
                result.retrying += 1
                log.warning("referral %s to %s queued (attempt %d): %s", ref.id, target.service_id,
                            target.attempts, exc)
            else:
                target.status, target.sent_at, target.next_attempt_at, target.last_error = "sent", now, None, None
                audit(db, "system", "deliver", ref.id, target.service_id, "sent", now)
                result.sent += 1
                log.info("referral %s sent to %s", ref.id, target.service_id)
            db.commit()
    return result
