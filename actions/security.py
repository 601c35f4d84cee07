"""Shared-secret check for the action server.

When ``FRONTLINE_ACTIONS_SECRET`` is set, every call to ``/webhook`` must carry
``Authorization: Bearer <secret>`` (Rasa sends it from the ``headers:`` of its
``action_endpoint``, see deploy/endpoints.scale.yml); other calls get a 401
and never reach an action. ``/health`` stays open for load balancers.

An action server listening beyond loopback without a secret refuses to start:
anyone who can reach it could run actions.

    protect(app, host)   # in actions/server.py, after create_app(...)
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from sanic import response

log = logging.getLogger(__name__)
PROTECTED_PATHS = ("/webhook",)


class ExposedWithoutSecret(SystemExit):
    """The action server would listen beyond loopback with no shared secret."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_from_env() -> str | None:
    return os.environ.get("FRONTLINE_ACTIONS_SECRET") or None


def authorized(header: str | None, secret: str) -> bool:
    expected = f"Bearer {secret}".encode()
    return header is not None and hmac.compare_digest(header.encode(), expected)


def protect(app, host: str = "127.0.0.1", secret: str | None = None) -> None:
    """Register the secret check on ``app`` (idempotent); refuse an exposed server without one."""
    secret = secret or secret_from_env()
    if secret is None:
        if not _is_loopback(host):
            raise ExposedWithoutSecret(
                f"action server: refusing to listen on {host} without FRONTLINE_ACTIONS_SECRET; "
                f"set it (and the same secret in Rasa's endpoints) or listen on 127.0.0.1")
        return
    if getattr(app.ctx, "frontline_secret_check", False):
        return
    app.ctx.frontline_secret_check = True

    async def require_secret(request):
        if request.path.rstrip("/") in PROTECTED_PATHS and not authorized(request.headers.get("authorization"),
                                                                         secret):
            log.warning("refused an action call without the shared secret")
            return response.json({"error": "unauthorized"}, status=401)
        return None

    app.register_middleware(require_secret, "request")
