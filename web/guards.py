"""Every route's guard, as a FastAPI dependency that runs before any work.

- ``require_role(page)``: the signed-in user whose role may open ``page``
  (``pages.PAGE_ROLES``); anonymous callers get the sign-in page (or 401 for ``/api/``),
  a wrong role gets 403. It returns a ``Staff`` (session and user).
- ``verify_csrf``: the session's CSRF token, from the ``X-CSRF-Token`` header or the
  ``csrf_token`` form field, for every state-changing route.
- ``public``: a route that is deliberately open (sign-in page, health check). A test
  walks ``app.routes`` and fails the build for any route with neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fastapi import Request

from . import auth
from .pages import PAGE_ROLES

COOKIE = "frontline_session"  # the name in local development; WebSettings.session_cookie in general
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but this role may not use the route (403)."""

    def __init__(self, staff: "Staff | None" = None):
        super().__init__("forbidden")
        self.staff = staff


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token (403)."""


@dataclass(frozen=True)
class Staff:
    """The signed-in member of staff. ``username`` and ``role`` are what the referrals
    package reads."""

    session: Any
    user: Any

    @property
    def username(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


def signed_in(request: Request) -> Staff | None:
    """The signed-in member of staff, looked up once per request (the guard, the CSRF
    check and the page all ask)."""
    if "staff" not in request.scope:
        with request.app.state.ctx.state.db() as db:
            settings = request.app.state.ctx.settings
            found = auth.lookup_session(db, request.cookies.get(settings.session_cookie),
                                        idle_minutes=settings.session_idle_minutes)
        request.scope["staff"] = Staff(*found) if found else None
    return request.scope["staff"]


def require_role(page: str) -> Callable[[Request], Staff]:
    """The guard for a route of ``page`` (a key of ``PAGE_ROLES``)."""
    roles = PAGE_ROLES[page]

    def guard(request: Request) -> Staff:
        staff = signed_in(request)
        if staff is None:
            raise SignInRequired()
        if staff.role not in roles:
            raise Forbidden(staff)
        return staff

    guard.guard_page = page  # type: ignore[attr-defined]  # read by the route-walk test
    guard.__name__ = f"require_role_{page}"
    return guard


async def verify_csrf(request: Request) -> None:
    staff = signed_in(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf_token")  # plain HTML forms
    if staff is None:
        raise SignInRequired()
    if not auth.csrf_ok(staff.csrf, given):
        raise CsrfFailed()


def public(request: Request) -> None:
    """Marks a route as deliberately open to anyone (it does nothing else)."""


public.guard_page = None  # type: ignore[attr-defined]


def csrf_for(request: Request) -> str | None:
    staff = signed_in(request)
    return staff.csrf if staff else None
