"""Spread conversations over several Rasa servers, with failover.

Each sender id goes to the same Rasa server every time (a stable hash, so the
same server keeps serving a conversation while it is up), and to the next one
in the list when that server cannot be reached. Because all servers share the
tracker store (PostgreSQL) and the lock store (Redis), any server can carry on
any conversation: failing over loses nothing.

Only a *connection* failure moves a message to the next server (the message
never reached Rasa, so sending it elsewhere cannot process it twice). A
timeout or an HTTP error is raised to the caller: the message may have been
processed.

    pool = RasaPool.from_env()            # FRONTLINE_RASA_URLS="http://a:5005,http://b:5005"
    replies = await pool.send(sender, text)   # Rasa REST channel JSON list
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import httpx

WEBHOOK = "/webhooks/rest/webhook"


class NoRasaServer(Exception):
    """Every Rasa server in the pool refused the connection."""


def _hash(sender_id: str) -> int:
    return int.from_bytes(hashlib.sha256(sender_id.encode()).digest()[:8], "big")


def channel_headers() -> dict[str, str]:
    """``Authorization: Bearer $FRONTLINE_CHANNEL_TOKEN`` when set (Rasa's REST channel then
    refuses any caller without it: bot/channels.py)."""
    token = os.environ.get("FRONTLINE_CHANNEL_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


class RasaPool:
    def __init__(self, urls: Sequence[str], timeout: float = 60.0):
        cleaned = [u.strip().rstrip("/") for u in urls if u and u.strip()]
        if not cleaned:
            raise ValueError("RasaPool needs at least one Rasa URL")
        self.urls = cleaned
        self.timeout = timeout

    @classmethod
    def from_env(cls, default: str | None = None, timeout: float = 60.0) -> "RasaPool":
        """From FRONTLINE_RASA_URLS (comma-separated), else FRONTLINE_RASA_URL, else ``default``."""
        raw = os.environ.get("FRONTLINE_RASA_URLS") or os.environ.get("FRONTLINE_RASA_URL") or default or ""
        return cls(raw.split(","), timeout=timeout)

    def order(self, sender_id: str) -> list[str]:
        """The servers to try for this sender, preferred first (the same for every call)."""
        start = _hash(sender_id) % len(self.urls)
        return self.urls[start:] + self.urls[:start]

    def url_for(self, sender_id: str) -> str:
        return self.order(sender_id)[0]

    async def send(self, sender_id: str, message: str, client: httpx.AsyncClient | None = None,
                   extra: dict | None = None) -> list[dict]:
        """POST to the REST channel of the sender's server, failing over on connection errors."""
        body = {"sender": sender_id, "message": message, **(extra or {})}
        own = client is None
        client = client or httpx.AsyncClient(timeout=self.timeout)
        errors = []
        try:
            for base in self.order(sender_id):
                try:
                    r = await client.post(base + WEBHOOK, json=body, headers=channel_headers())
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    errors.append(f"{base}: {exc.__class__.__name__}")
                    continue
                r.raise_for_status()
                return r.json()
        finally:
            if own:
                await client.aclose()
        raise NoRasaServer("no Rasa server could be reached (" + "; ".join(errors) + ")")

    def send_sync(self, sender_id: str, message: str, client: httpx.Client | None = None,
                  extra: dict | None = None) -> list[dict]:
        """The same as :meth:`send`, blocking (scripts and tests)."""
        body = {"sender": sender_id, "message": message, **(extra or {})}
        own = client is None
        client = client or httpx.Client(timeout=self.timeout)
        errors = []
        try:
            for base in self.order(sender_id):
                try:
                    r = client.post(base + WEBHOOK, json=body, headers=channel_headers())
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    errors.append(f"{base}: {exc.__class__.__name__}")
                    continue
                r.raise_for_status()
                return r.json()
        finally:
            if own:
                client.close()
        raise NoRasaServer("no Rasa server could be reached (" + "; ".join(errors) + ")")
