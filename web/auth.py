"""Passwords, sign-in sessions, CSRF tokens and the sign-in rate limit.

- Passwords are hashed with Argon2id (argon2-cffi); there is no default account.
- A session is a random token in an HttpOnly cookie; the database keeps only its
  SHA-256 hash, the user and a per-session CSRF token.
- The Rasa sender id is an HMAC of the session with the server secret, so it
  cannot be chosen or guessed by the browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .db import ROLES, Feedback, LoginSession, SignInFailure, User, utcnow

_hasher = PasswordHasher()
# a real hash to verify against when the account does not exist, so timing does
# not reveal which usernames exist
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

MIN_PASSWORD_CHARS = 12
_COMMON = {"password", "passw0rd", "letmein", "welcome", "qwerty", "123456", "12345678", "iloveyou",
           "admin", "changeme", "hackney", "newham", "council", "frontline", "london"}


class WeakPasswordError(ValueError):
    """The password does not meet the policy; the message says why."""


def check_password_policy(name: str, password: str) -> None:
    if not password or not password.strip():
        raise WeakPasswordError("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters "
                                "(a few unrelated words work well)")
    low = password.lower()
    if len(set(password)) < 5:
        raise WeakPasswordError("the password repeats too few different characters")
    if name.lower() in low or any(low.replace(w, "").strip("0123456789!@#$%^&*.-_ ") == "" for w in _COMMON if w in low):
        raise WeakPasswordError("the password is too easy to guess (it contains the username or a common word)")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def rehash_if_needed(db: Session, user: User, password: str) -> bool:
    """After a good sign-in: re-hash the password when the Argon2 parameters have changed
    since it was hashed (argon2-cffi's ``check_needs_rehash``). True when re-hashed."""
    if not _hasher.check_needs_rehash(user.password_hash):
        return False
    user.password_hash = _hasher.hash(password)
    db.commit()
    return True


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sender_id(secret: bytes, token: str) -> str:
    """The Rasa sender id for a session: an HMAC of the session token with the server secret."""
    return "web-" + hmac.new(secret, b"session:" + token.encode(), hashlib.sha256).hexdigest()[:40]


def create_session(db: Session, user: User, hours: float, id_token: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    db.add(LoginSession(token_hash=hash_token(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                        expires_at=utcnow() + dt.timedelta(hours=hours), id_token=id_token))
    user.last_login_at = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < utcnow()))
    db.commit()
    return token


SEEN_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often


def lookup_session(db: Session, token: str | None, idle_minutes: float = 0) -> tuple[LoginSession, User] | None:
    """The session and its user, or None: no such session, expired, idle for more than
    ``idle_minutes`` (0: no idle limit; the session is then deleted), or the user disabled."""
    if not token:
        return None
    row = db.get(LoginSession, hash_token(token))
    now = utcnow()
    if row is None or row.expires_at < now:
        return None
    seen = row.last_seen_at or row.created_at
    if idle_minutes and seen < now - dt.timedelta(minutes=idle_minutes):
        db.delete(row)
        db.commit()
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if seen < now - SEEN_EVERY:
        row.last_seen_at = now
        db.commit()
    return row, user


def end_session(db: Session, token: str | None) -> str | None:
    """Delete the session; its ID token (for the provider's sign-out) if it had one."""
    if not token:
        return None
    row = db.get(LoginSession, hash_token(token))
    id_token = row.id_token if row else None
    db.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))
    db.commit()
    return id_token


class SsoAccountError(ValueError):
    """A single sign-on that cannot become a session here; the message says why."""


def sso_user(db: Session, subject: str, name: str, role: str) -> User:
    """The account of an identity-provider subject, made on first sign-in; its role is the
    one the claims give now (re-read at every sign-in). A disabled account stays disabled."""
    user = db.scalar(select(User).where(User.sso_subject == subject))
    if user is None:
        taken = get_user(db, name)
        if taken is not None:
            raise SsoAccountError(f"a local account is already called {name!r}")
        user = User(name=name, role=role, password_hash="!sso", sso_subject=subject, active=True)
        db.add(user)
    elif not user.active:
        raise SsoAccountError(f"the account {user.name!r} is disabled here")
    user.role = role
    db.commit()
    return user


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)


def get_user(db: Session, name: str) -> User | None:
    return db.scalar(select(User).where(User.name == name))


class AccountError(ValueError):
    """An account change that cannot be made; the message says why."""


def _user(db: Session, name: str) -> User:
    user = get_user(db, name)
    if user is None:
        raise AccountError(f"no user {name!r} (see `frontline users list`)")
    return user


def end_user_sessions(db: Session, user: User) -> int:
    """Sign the user out everywhere, now; the number of sessions ended."""
    n = db.execute(delete(LoginSession).where(LoginSession.user_id == user.id)).rowcount or 0
    db.commit()
    return n


def set_active(db: Session, name: str, active: bool) -> int:
    """Disable a leaver (their sessions end at once; they can no longer sign in) or enable
    an account again. Returns the number of sessions ended."""
    user = _user(db, name)
    user.active = active
    db.commit()
    return 0 if active else end_user_sessions(db, user)


def remove_user(db: Session, name: str) -> int:
    """Remove an account: its sessions end and it is deleted. Its feedback stays without a
    name; referrals keep the username they were made under (the audit trail). Returns the
    number of sessions ended."""
    user = _user(db, name)
    n = end_user_sessions(db, user)
    db.execute(update(Feedback).where(Feedback.user_id == user.id).values(user_id=None))
    db.delete(user)
    db.commit()
    return n


def reset_password(db: Session, name: str, password: str) -> int:
    """A new password (same policy as a new account); every session of the user ends."""
    user = _user(db, name)
    if user.sso_subject:
        raise AccountError(f"{name!r} signs in with the council account: reset it at the identity provider")
    check_password_policy(name, password)
    user.password_hash = hash_password(password)
    db.commit()
    return end_user_sessions(db, user)


def set_role(db: Session, name: str, role: str) -> int:
    """Change a role; the user's sessions end, so the new role applies from the next sign-in."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    user = _user(db, name)
    user.role = role
    db.commit()
    return end_user_sessions(db, user)


def add_user(db: Session, name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    check_password_policy(name, password)
    user = User(name=name, role=role, password_hash=hash_password(password))
    db.add(user)
    db.commit()
    return user


class LoginRateLimiter:
    """Failed sign-ins counted three ways in ``window`` seconds: per (account, IP) at most
    ``max_failures``; per account from any IP, and per IP against any account, at most
    ``spread`` times that (someone trying one account from many addresses, or one address
    trying many accounts).

    Kept in the database (``sign_in_failures``; PostgreSQL in scale-out), so the limit holds
    across front-door workers and restarts. Keys are hashed (no account name or address is
    stored) and rows older than the window are deleted at each check."""

    def __init__(self, db: Callable[[], Session], max_failures: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.time, spread: int = 4):
        self.db, self.max_failures, self.window, self.clock, self.spread = db, max_failures, window, clock, spread

    @staticmethod
    def _keys(account: str, ip: str) -> tuple[str, str, str]:
        account = account.strip().lower()
        return tuple(hashlib.sha256(k.encode()).hexdigest()
                     for k in (f"pair|{account}|{ip}", f"account|{account}", f"ip|{ip}"))  # type: ignore[return-value]

    def blocked(self, account: str, ip: str) -> bool:
        pair, acc, addr = self._keys(account, ip)
        cutoff = self.clock() - self.window
        with self.db() as db:
            db.execute(delete(SignInFailure).where(SignInFailure.at <= cutoff))  # expired: gone
            db.commit()
            counts = dict(db.execute(
                select(SignInFailure.key, func.count()).where(SignInFailure.key.in_((pair, acc, addr)))
                .group_by(SignInFailure.key)).all())
        limit = self.max_failures * self.spread
        return (counts.get(pair, 0) >= self.max_failures or counts.get(acc, 0) >= limit
                or counts.get(addr, 0) >= limit)

    def failed(self, account: str, ip: str) -> None:
        now = self.clock()
        with self.db() as db:
            db.add_all([SignInFailure(key=k, at=now) for k in self._keys(account, ip)])
            db.commit()

    def succeeded(self, account: str, ip: str) -> None:
        with self.db() as db:
            db.execute(delete(SignInFailure).where(SignInFailure.key == self._keys(account, ip)[0]))
            db.commit()

    def __len__(self) -> int:
        with self.db() as db:
            return db.execute(select(func.count()).select_from(SignInFailure)).scalar() or 0
