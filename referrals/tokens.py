"""Signed reply links: a receiving service marks a referral received/accepted/declined
without an account. The token names one (referral, service) target and an expiry,
signed with HMAC-SHA256 under a key derived from the server secret."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from .errors import BadToken


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(key: bytes, target_id: int, expires: dt.datetime) -> str:
    payload = f"{target_id}:{int(expires.replace(tzinfo=dt.timezone.utc).timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(hmac.new(key, payload, hashlib.sha256).digest())}"


def read_token(key: bytes, token: str, now: dt.datetime) -> int:
    """The target id in a valid token; :class:`BadToken` otherwise."""
    try:
        payload_part, sig_part = token.split(".", 1)
        payload, sig = _unb64(payload_part), _unb64(sig_part)
    except (ValueError, TypeError) as exc:
        raise BadToken("malformed reply link") from exc
    if not hmac.compare_digest(sig, hmac.new(key, payload, hashlib.sha256).digest()):
        raise BadToken("reply link signature does not match")
    try:
        target, expires = (int(x) for x in payload.decode().split(":"))
    except ValueError as exc:
        raise BadToken("malformed reply link") from exc
    if now.replace(tzinfo=dt.timezone.utc).timestamp() > expires:
        raise BadToken("reply link has expired")
    return target
