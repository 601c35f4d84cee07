"""Who did what to a referral, and when (never the personal data): one audit row per
action, times in naive UTC as the database stores them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from .models import AuditEntry, utcnow


def naive_utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    return now.astimezone(dt.timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def audit(db: Session, actor: str, action: str, referral_id: str, service_id: str | None = None,
          detail: str | None = None, now: dt.datetime | None = None) -> None:
    db.add(AuditEntry(actor=actor[:64], action=action, referral_id=referral_id, service_id=service_id,
                      detail=detail, at=naive_utc(now)))
