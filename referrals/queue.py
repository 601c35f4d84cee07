"""The referral e-mail queue: :class:`QueueRunner` delivers due targets every few seconds
in a background thread (``referrals.delivery`` does the sending, at-least-once with a
stable Message-ID). ``process_queue(now)`` is one round on the default service."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from .delivery import QueueResult, _claim, backoff, deliver_due
from .service import ReferralService, default_service
from .smtp import SmtpSender

__all__ = ["QueueResult", "QueueRunner", "_claim", "backoff", "deliver_due", "process_queue"]

log = logging.getLogger(__name__)


def process_queue(now: dt.datetime | None = None, *, service: ReferralService | None = None,
                  sender: SmtpSender | None = None, referral_id: str | None = None) -> QueueResult:
    """Every due target of ``service`` (the default service when None), once."""
    return deliver_due(service or default_service(), now, sender=sender, referral_id=referral_id)


class QueueRunner:
    """Run :func:`process_queue` every ``interval`` seconds in a daemon thread until :meth:`stop`."""

    def __init__(self, service: ReferralService | None = None, interval: float = 30.0):
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> QueueRunner:
        self._thread = threading.Thread(target=self._run, name="referral-queue", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                process_queue(service=self.service)
            except Exception:  # keep running; the next round retries
                log.exception("referral queue round failed")
            self._stop.wait(self.interval)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
