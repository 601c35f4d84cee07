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
import threading
import time
from collections import defaultdict, deque
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .db import ROLES, LoginSession, User, utcnow

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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sender_id(secret: bytes, token: str) -> str:
    """The Rasa sender id for a session: an HMAC of the session token with the server secret."""
    return "web-" + hmac.new(secret, b"session:" + token.encode(), hashlib.sha256).hexdigest()[:40]


def create_session(db: Session, user: User, hours: float) -> str:
    token = secrets.token_urlsafe(32)
    db.add(LoginSession(token_hash=hash_token(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                        expires_at=utcnow() + dt.timedelta(hours=hours)))
    user.last_login_at = utcnow()
    db.execute(delete(LoginSession).where(LoginSession.expires_at < utcnow()))
    db.commit()
    return token


def lookup_session(db: Session, token: str | None) -> tuple[LoginSession, User] | None:
    if not token:
        return None
    row = db.get(LoginSession, hash_token(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))
        db.commit()


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


def reset_password(db: Session, name: str, password: str) -> int:
    """A new password (same policy as a new account); every session of the user ends."""
    user = _user(db, name)
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
    trying many accounts). Keys with no recent failure are pruned, so memory stays bounded.

    Kept in memory: the front door runs as one process. With several workers,
    move this to the database or a shared cache."""

    def __init__(self, max_failures: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 spread: int = 4):
        self.max_failures, self.window, self.clock, self.spread = max_failures, window, clock, spread
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._calls = 0

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        q = self._fails[key]
        cutoff = self.clock() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def _keys(self, account: str, ip: str) -> tuple[tuple[str, str], ...]:
        return (("pair", f"{account.lower()}|{ip}"), ("account", account.lower()), ("ip", ip))

    def _prune(self) -> None:
        self._calls += 1
        if self._calls % 256:
            return
        for key in [k for k in self._fails if not self._recent(k)]:
            del self._fails[key]

    def blocked(self, account: str, ip: str) -> bool:
        pair, acc, addr = self._keys(account, ip)
        with self._lock:
            self._prune()
            limit = self.max_failures * self.spread
            return (len(self._recent(pair)) >= self.max_failures or len(self._recent(acc)) >= limit
                    or len(self._recent(addr)) >= limit)

    def failed(self, account: str, ip: str) -> None:
        with self._lock:
            now = self.clock()
            for key in self._keys(account, ip):
                self._recent(key).append(now)

    def succeeded(self, account: str, ip: str) -> None:
        with self._lock:
            self._fails.pop(self._keys(account, ip)[0], None)

    def __len__(self) -> int:
        return len(self._fails)
