"""Council sign-in: OpenID Connect single sign-on, roles from claims.

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, with Authlib's
OAuth 2 client; the ID token is validated with joserfc against the provider's JWKS
(signature, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``); a token signed with a key id
the cached key set does not hold makes us fetch the key set again once (key rotation).
Endpoints come from ``<issuer>/.well-known/openid-configuration``.

    SsoSettings.from_env()                 FRONTLINE_OIDC_* (README settings table)
    OidcClient(settings)
      await .start(redirect_uri)           -> (provider URL, bundle to keep in a signed cookie)
      await .finish(redirect_uri, params, bundle) -> the ID token's claims (SsoError if refused)
      .role_for(claims)                    -> "worker" | "trainer" | "admin" | None
      await .end_session_url(id_token, after) -> the provider's sign-out URL, or None
    seal(secret, bundle) / unseal(secret, value, max_age)   the signed, short-lived cookie value

Everything after sign-in (the session cookie, CSRF token, sender id, role checks) is the
local session the password sign-in creates too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field

import httpx

ROLE_ORDER = ("admin", "trainer", "worker")  # several mapped roles: the highest wins


class SsoError(Exception):
    """Sign-in through the identity provider refused; the message says why (for the log)."""


def _role_map(raw: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        claim_value, _, role = part.partition("=")
        if role.strip() not in ROLE_ORDER:
            raise ValueError(f"FRONTLINE_OIDC_ROLE_MAP: {part!r} must be <claim value>=worker|trainer|admin")
        out[claim_value.strip()] = role.strip()
    return out


@dataclass(frozen=True)
class SsoSettings:
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    roles_claim: str = "roles"
    role_map: dict[str, str] = field(default_factory=lambda: {r: r for r in ROLE_ORDER})
    scopes: str = "openid profile email"
    session_hours: float = 8.0
    leeway_seconds: int = 30
    local_accounts: bool = True

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @classmethod
    def from_env(cls) -> "SsoSettings":
        env = os.environ
        kw: dict = {"issuer": (env.get("FRONTLINE_OIDC_ISSUER") or "").rstrip("/") or None,
                    "client_id": env.get("FRONTLINE_OIDC_CLIENT_ID") or None,
                    "client_secret": env.get("FRONTLINE_OIDC_CLIENT_SECRET") or None,
                    "local_accounts": env.get("FRONTLINE_LOCAL_ACCOUNTS", "1") != "0"}
        if env.get("FRONTLINE_OIDC_ROLES_CLAIM"):
            kw["roles_claim"] = env["FRONTLINE_OIDC_ROLES_CLAIM"]
        if env.get("FRONTLINE_OIDC_ROLE_MAP"):
            kw["role_map"] = _role_map(env["FRONTLINE_OIDC_ROLE_MAP"])
        if env.get("FRONTLINE_OIDC_SCOPES"):
            kw["scopes"] = env["FRONTLINE_OIDC_SCOPES"]
        if env.get("FRONTLINE_OIDC_SESSION_HOURS"):
            kw["session_hours"] = float(env["FRONTLINE_OIDC_SESSION_HOURS"])
        if env.get("FRONTLINE_OIDC_LEEWAY_SECONDS"):
            kw["leeway_seconds"] = int(env["FRONTLINE_OIDC_LEEWAY_SECONDS"])
        return cls(**kw)


def seal(secret: bytes, bundle: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps({**bundle, "t": int(time.time())}).encode()).decode()
    mac = hmac.new(secret, b"sso:" + body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unseal(secret: bytes, value: str | None, max_age: int = 600) -> dict:
    if not value or "." not in value:
        raise SsoError("the sign-in cookie is missing (started in another browser, or cookies blocked)")
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, hmac.new(secret, b"sso:" + body.encode(), hashlib.sha256).hexdigest()):
        raise SsoError("the sign-in cookie was altered")
    bundle = json.loads(base64.urlsafe_b64decode(body.encode()))
    if time.time() - bundle.get("t", 0) > max_age:
        raise SsoError("the sign-in took too long; start again")
    return bundle


class OidcClient:
    # the discovery document and the signing keys are read again after this long, so a
    # provider that moves an endpoint or rotates its keys is followed without a restart
    # (an unknown key id also refreshes the keys at once, in ``finish``)
    CACHE_SECONDS = 6 * 3600

    def __init__(self, settings: SsoSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.s = settings
        self._transport = transport
        self._metadata: dict | None = None
        self._metadata_at = 0.0
        self._keys = None
        self._keys_at = 0.0
        self.clock = time.monotonic

    def _stale(self, at: float) -> bool:
        return self.clock() - at > self.CACHE_SECONDS

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0), transport=self._transport)

    async def metadata(self) -> dict:
        if self._metadata is None or self._stale(self._metadata_at):
            url = f"{self.s.issuer}/.well-known/openid-configuration"
            try:
                async with self._http() as http:
                    r = await http.get(url)
                    r.raise_for_status()
                    meta = r.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SsoError(f"cannot read the provider's discovery document at {url}: {exc}") from exc
            if meta.get("issuer", "").rstrip("/") != self.s.issuer:
                raise SsoError(f"the discovery document names issuer {meta.get('issuer')!r}, not {self.s.issuer!r}")
            self._metadata, self._metadata_at = meta, self.clock()
        return self._metadata

    async def key_set(self, refresh: bool = False):
        from joserfc.jwk import KeySet

        if self._keys is None or refresh or self._stale(self._keys_at):
            meta = await self.metadata()
            try:
                async with self._http() as http:
                    r = await http.get(meta["jwks_uri"])
                    r.raise_for_status()
                    self._keys = KeySet.import_key_set(r.json())
                    self._keys_at = self.clock()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise SsoError(f"cannot read the provider's signing keys: {exc}") from exc
        return self._keys

    def _oauth(self, redirect_uri: str):
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(self.s.client_id, self.s.client_secret, scope=self.s.scopes,
                                 redirect_uri=redirect_uri, code_challenge_method="S256",
                                 transport=self._transport, timeout=10.0)

    async def start(self, redirect_uri: str) -> tuple[str, dict]:
        meta = await self.metadata()
        bundle = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
                  "verifier": secrets.token_urlsafe(48)}
        async with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=bundle["state"],
                                                     nonce=bundle["nonce"], code_verifier=bundle["verifier"])
        return url, bundle

    async def finish(self, redirect_uri: str, params: dict, bundle: dict) -> tuple[dict, str]:
        """The validated ID token's claims and the raw ID token."""
        if params.get("error"):
            raise SsoError(f"the provider refused: {params.get('error')} {params.get('error_description', '')}".strip())
        if not params.get("state") or not hmac.compare_digest(params["state"], bundle["state"]):
            raise SsoError("state does not match: the answer is not for this sign-in")
        if not params.get("code"):
            raise SsoError("the provider sent no authorization code")
        meta = await self.metadata()
        if params.get("iss") and params["iss"].rstrip("/") != self.s.issuer:  # RFC 9207
            raise SsoError(f"the answer came from issuer {params['iss']!r}")
        try:
            async with self._oauth(redirect_uri) as client:
                token = await client.fetch_token(meta["token_endpoint"], code=params["code"],
                                                 code_verifier=bundle["verifier"], grant_type="authorization_code")
        except Exception as exc:  # noqa: BLE001 - Authlib raises several types; all mean "refused"
            raise SsoError(f"the token exchange failed: {type(exc).__name__}: {exc}") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise SsoError("the provider sent no ID token")
        return await self.validate(id_token, bundle["nonce"]), id_token

    async def validate(self, id_token: str, nonce: str) -> dict:
        """The claims of ``id_token`` if its signature, issuer, audience, times and nonce hold."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        algorithms = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
        try:
            try:
                decoded = jwt.decode(id_token, await self.key_set(), algorithms=algorithms)
            except (JoseError, ValueError) as first:
                if "kid" not in str(first).lower() and "key" not in str(first).lower():
                    raise
                decoded = jwt.decode(id_token, await self.key_set(refresh=True), algorithms=algorithms)
            claims = decoded.claims
            jwt.JWTClaimsRegistry(
                leeway=self.s.leeway_seconds,
                iss={"essential": True, "value": self.s.issuer},
                aud={"essential": True, "value": self.s.client_id},
                exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(claims)
        except (JoseError, ValueError) as exc:
            raise SsoError(f"ID token refused: {type(exc).__name__}: {exc}") from exc
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.s.client_id:
            raise SsoError("ID token refused: several audiences and azp is not this app")
        return claims

    def role_for(self, claims: dict) -> str | None:
        """The role the mapped claim values give, the highest if several; None if none maps."""
        values = claims.get(self.s.roles_claim) or []
        if isinstance(values, str):
            values = [values]
        roles = {self.s.role_map[v] for v in values if isinstance(v, str) and v in self.s.role_map}
        return next((r for r in ROLE_ORDER if r in roles), None)

    async def end_session_url(self, id_token: str | None, after: str) -> str | None:
        try:
            meta = await self.metadata()
        except SsoError:
            return None
        endpoint = meta.get("end_session_endpoint")
        if not endpoint:
            return None
        params = {"post_logout_redirect_uri": after, "client_id": self.s.client_id}
        if id_token:
            params["id_token_hint"] = id_token
        return str(httpx.URL(endpoint, params=params))
