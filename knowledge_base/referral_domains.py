"""Where referrals may be e-mailed: ``content/referral_domains.yml`` (owned by
information governance). ``kb validate`` refuses a service's referral e-mail outside it,
and the referral service checks again before it sends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import Field

from common.problems import Problem

from .schema import Strict

FILE_NAME = "referral_domains.yml"


class ReferralDomains(Strict):
    owner: str = Field(min_length=2)
    last_reviewed: dt.date
    review_by: dt.date
    allowed_domains: list[str] = Field(min_length=1)

    def allows(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower().rstrip(".")
        return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in self.allowed_domains)


def load_referral_domains(content_dir: Path | str) -> ReferralDomains:
    """The allow-list; an empty one (nothing may be e-mailed) when the file is missing."""
    path = Path(content_dir) / FILE_NAME
    if not path.exists():
        return ReferralDomains(owner="(no file)", last_reviewed=dt.date.min, review_by=dt.date.min,
                               allowed_domains=["invalid"])
    return ReferralDomains.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def referral_email_problems(content_dir: Path | str, content) -> list[Problem]:
    """An error for every service whose referral e-mail is outside the allow-list."""
    try:
        domains = load_referral_domains(content_dir)
    except Exception as exc:  # noqa: BLE001 - a broken allow-list is itself the problem
        return [Problem(str(Path(content_dir) / FILE_NAME), 1, f"cannot read the referral domain allow-list: {exc}")]
    out = []
    for item in content.items:
        referral = getattr(item, "referral", None)
        email = getattr(referral, "email", None) if referral else None
        if email and not domains.allows(email):
            file, line = content.item_lines.get(item.id, ("?", 1))
            out.append(Problem(file, line, f"{item.id}: referral e-mail {email!r} is not in an allowed domain",
                               hint=f"information governance adds the domain to content/{FILE_NAME} first"))
    return out
