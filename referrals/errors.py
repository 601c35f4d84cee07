"""Typed errors. Messages are safe to show and to log: they never contain personal data."""

from __future__ import annotations


class ReferralError(Exception):
    """Base class for referral errors."""


class ReferralInvalid(ReferralError):
    """The form has problems: ``problems`` maps a field name to a message (all at once)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


class ConsentRequired(ReferralInvalid):
    """Consent is not answered, or the resident has not agreed and a chosen service cannot take the
    referral without consent (only safeguarding services can)."""


class ServiceNotReferable(ReferralError):
    """A chosen service does not exist or does not accept referrals from professionals."""


class ReferralNotFound(ReferralError):
    """No such referral (or the caller may not know it exists)."""


class NotAllowed(ReferralError):
    """The user may not see or change this referral."""


class WrongState(ReferralError):
    """The referral or service is not in a state that allows this action."""


class BadToken(ReferralError):
    """A reply link is forged, damaged or expired."""
