"""Referrals: one good referral, to several organisations at once, with consent (or, to protect someone, without).

Modules: ``config`` (settings from the environment), ``models`` (tables prefixed
``referral_``), ``text`` (wording and email templates from ``content.yml``),
``service`` (create, validate, preview, send, mark made, acknowledge, purge,
stats), ``smtp`` (the sender), ``queue`` (retry with back-off), ``tokens`` (signed
reply links), ``web`` (FastAPI router) and ``cli`` (``frontline referrals ...``).
"""
