"""Front-door settings from the environment, and the server secret."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from common.secret_key import load_secret
from common.paths import ROOT

from .sso import SsoSettings

__all__ = ["ROOT", "WebSettings", "data_dir_from_env", "load_secret"]


def data_dir_from_env() -> Path:
    return Path(os.environ.get("FRONTLINE_DATA_DIR", ROOT / "var"))


@dataclass
class WebSettings:
    rasa_url: str = field(default_factory=lambda: os.environ.get("FRONTLINE_RASA_URL", "http://127.0.0.1:5005"))
    data_dir: Path = field(default_factory=data_dir_from_env)
    content_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["FRONTLINE_CONTENT_DIR"]) if os.environ.get("FRONTLINE_CONTENT_DIR") else None)
    session_hours: float = field(default_factory=lambda: float(os.environ.get("FRONTLINE_SESSION_HOURS", "10")))
    # "1": the front door is only ever reached over TLS (a proxy in front): cookies are always
    # Secure and every response carries HSTS; "auto": only when the request itself came over https
    # (also when FRONTLINE_PUBLIC_URL, the address staff reach, is https): the session cookie is
    # then named with the __Host- prefix (Secure, Path=/, no Domain: no sub-domain can set it)
    https_only: bool = field(default_factory=lambda: os.environ.get("FRONTLINE_HTTPS_ONLY", "auto") == "1"
                             or os.environ.get("FRONTLINE_PUBLIC_URL", "").lower().startswith("https://"))
    # a session with no request for this long ends (the worker signs in again); 0: no idle limit
    session_idle_minutes: float = field(
        default_factory=lambda: float(os.environ.get("FRONTLINE_SESSION_IDLE_MINUTES", "60")))

    def over_tls(self, request) -> bool:
        return self.https_only or request.url.scheme == "https"

    @property
    def session_cookie(self) -> str:
        """``__Host-frontline_session`` behind TLS, ``frontline_session`` in local development."""
        return "__Host-frontline_session" if self.https_only else "frontline_session"
    # council sign-in (OpenID Connect): on when FRONTLINE_OIDC_ISSUER and _CLIENT_ID are set
    sso: SsoSettings = field(default_factory=SsoSettings.from_env)
    public_url: str = field(default_factory=lambda: os.environ.get("FRONTLINE_PUBLIC_URL", "http://127.0.0.1:8000"))
    login_max_failures: int = 5
    login_window_seconds: float = 300.0
    assets_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "FRONTLINE_GOVUK_DIST", ROOT / "web" / "node_modules" / "govuk-frontend" / "dist" / "govuk")))
