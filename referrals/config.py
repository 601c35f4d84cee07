"""Referral settings from the environment (read when a setting object is made, not at import)."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from common.paths import ROOT
from common.secret_key import load_secret


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip().lower() in ("1", "true", "yes", "on")


def _data_dir() -> Path:
    return Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var"))


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = field(default_factory=lambda: os.environ.get("FRONTLINE_SMTP_HOST") or None)
    port: int = field(default_factory=lambda: int(os.environ.get("FRONTLINE_SMTP_PORT", "587")))
    user: str | None = field(default_factory=lambda: os.environ.get("FRONTLINE_SMTP_USER") or None)
    password: str | None = field(default_factory=lambda: os.environ.get("FRONTLINE_SMTP_PASSWORD") or None,
                                 repr=False)
    starttls: bool = field(default_factory=lambda: _flag("FRONTLINE_SMTP_STARTTLS", True))
    tls: bool = field(default_factory=lambda: _flag("FRONTLINE_SMTP_TLS", False))  # implicit TLS (port 465)
    timeout: float = field(default_factory=lambda: float(os.environ.get("FRONTLINE_SMTP_TIMEOUT", "10")))


@dataclass(frozen=True)
class ReferralSettings:
    data_dir: Path = field(default_factory=_data_dir)
    retention_days: int = field(default_factory=lambda: int(os.environ.get("FRONTLINE_REFERRAL_RETENTION_DAYS", "90")))
    from_addr: str = field(default_factory=lambda: os.environ.get("FRONTLINE_REFERRAL_FROM", "referrals@localhost"))
    public_url: str = field(default_factory=lambda: os.environ.get("FRONTLINE_PUBLIC_URL", "http://127.0.0.1:8000"))
    ack_days: int = field(default_factory=lambda: int(os.environ.get("FRONTLINE_REFERRAL_ACK_DAYS", "60")))
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    claim_seconds: float = 120.0  # a target being sent is invisible to other queue workers this long
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    secret: bytes | None = field(default=None, repr=False)

    def check(self) -> None:
        """Reply links carry a signed token: they must not travel over plain http to a real
        host. http is accepted only for this machine or a single-label test host."""
        from urllib.parse import urlsplit

        url = urlsplit(self.public_url)
        host = (url.hostname or "").lower()
        local = host in ("localhost", "127.0.0.1", "::1") or "." not in host
        if url.scheme != "https" and not (url.scheme == "http" and local):
            raise ValueError(f"FRONTLINE_PUBLIC_URL must be an https address (got {self.public_url!r}): "
                             "reply links in referral e-mails carry a signed token")

    def signing_key(self) -> bytes:
        """A key for reply links, derived from the server secret (never the secret itself)."""
        return hmac.new(self.secret or load_secret(self.data_dir), b"frontline-referral-ack", hashlib.sha256).digest()
