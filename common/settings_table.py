"""Every setting, in one table: name, default, type and what it does.

The code reads the environment where each setting is used; this table is the one place
that lists them all. The README's settings table is generated from it
(``python -m common.settings_table --readme`` rewrites the block between the markers), and
``tests/unit/test_settings_table.py`` checks both directions: every ``FRONTLINE_*`` name
the code reads is listed here, every name listed here is read by the code, and the README
block is the generated one.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from .paths import ROOT


@dataclass(frozen=True)
class Setting:
    name: str      # a name, or a family ending in "_" plus a placeholder, e.g. FRONTLINE_SEARCH_<FIELD>
    default: str
    type: str
    help: str
    group: str


S = Setting
SETTINGS: tuple[Setting, ...] = (
    # where things live
    S("FRONTLINE_DATA_DIR", "`var/`", "path", "tracker store, index, logs, SQL store, secret key", "files"),
    S("FRONTLINE_CONTENT_DIR", "`content/`", "path", "content the action server and trainer console serve", "files"),
    S("FRONTLINE_MODELS_DIR", "`models/`", "path", "trained Rasa models", "files"),
    S("FRONTLINE_RASA_VENV", "`.venv-rasa/`", "path", "the Python 3.10 environment Rasa runs in", "files"),
    S("FRONTLINE_GOVUK_DIST", "`web/node_modules/govuk-frontend/dist/govuk`", "path",
      "GOV.UK Frontend assets the front door serves", "files"),
    # processes and ports
    S("FRONTLINE_RASA_PORT", "5005", "int", "Rasa's port (always 127.0.0.1)", "processes"),
    S("FRONTLINE_ACTIONS_PORT", "5055", "int", "the action server's port", "processes"),
    S("FRONTLINE_ACTIONS_HOST", "`127.0.0.1`", "host", "the action server's interface", "processes"),
    S("FRONTLINE_WEB_PORT", "8000", "int", "the front door's port", "processes"),
    S("FRONTLINE_WEB_HOST", "`0.0.0.0`", "host", "the front door's interface", "processes"),
    S("FRONTLINE_RASA_URL", "`http://127.0.0.1:5005`", "URL", "the Rasa server the front door talks to", "processes"),
    S("FRONTLINE_RASA_URLS", "the one local Rasa", "URLs",
      "comma-separated Rasa servers for scale-out (sender ids are spread across them)", "processes"),
    S("FRONTLINE_ACTIONS_SECRET", "unset", "secret",
      "when set, the action server requires `Authorization: Bearer <secret>`", "processes"),
    S("FRONTLINE_CHANNEL_TOKEN", "unset", "secret",
      "when set (scale-out), Rasa's REST channel requires `Authorization: Bearer <token>` and the front door sends it",
      "processes"),
    S("FRONTLINE_RASA_API_TOKEN", "unset", "secret", "Rasa's HTTP API is off unless this token is set", "processes"),
    S("FRONTLINE_QUIET_LOGS", "unset", "flag", "`1`: the action server logs to its file only (set by `make shell`)",
      "processes"),
    S("FRONTLINE_WARM_AT_IMPORT", "1", "flag", "`0`: load the model and index on first use, not at start (tests)",
      "processes"),
    # search and embedding
    S("FRONTLINE_EMBEDDING_MODEL", "bundled MiniLM", "path", "any sentence-transformers folder", "search"),
    S("FRONTLINE_EMBEDDING_PRECISION", "`int8`", "`int8` or `fp32`",
      "`int8`: linear layers quantised after the weights are checked (2x faster, same search quality)", "search"),
    S("FRONTLINE_RISK_PRECISION", "`fp16`", "`fp16` or `fp32`",
      "the fine-tuned risk classifier's linear weights; `fp16`: one message 13 -> 8 ms, the same routing decisions",
      "search"),
    S("FRONTLINE_EMBEDDER", "the bundled model", "`fake`", "`fake` selects the deterministic fake embedder (tests only)",
      "search"),
    S("FRONTLINE_TORCH_THREADS", "1", "int", "torch threads for encoding (one is fastest for single queries)", "search"),
    S("FRONTLINE_FAISS_THREADS", "1", "int", "FAISS threads for searching the index (one is fastest for a message's few queries)",
      "search"),
    S("FRONTLINE_RELOAD_SECONDS", "2", "float", "how often the action server checks for new content", "search"),
    S("FRONTLINE_SEARCH_<FIELD>", "see `SearchSettings`", "number",
      "any field of `knowledge_base/search.py:SearchSettings`, e.g. `FRONTLINE_SEARCH_ANSWER_MARGIN=0.05`", "search"),
    # web front door
    S("FRONTLINE_SECRET_KEY", "a random key kept in `$FRONTLINE_DATA_DIR/secret_key`", "secret",
      "signs sessions and reply links, derives sender ids (kept across restarts)", "web"),
    S("FRONTLINE_SESSION_HOURS", "10", "float", "how long a sign-in lasts", "web"),
    S("FRONTLINE_SESSION_IDLE_MINUTES", "60", "float",
      "a session with no request for this long ends (`0`: no idle limit)", "web"),
    S("FRONTLINE_HTTPS_ONLY", "`auto`", "`auto` or `1`",
      "`1` behind a TLS proxy: cookies always `Secure` and HSTS on every response; `auto`: only for https requests",
      "web"),
    S("FRONTLINE_PUBLIC_URL", "`http://127.0.0.1:8000`", "URL",
      "the base of links in referral e-mails; when https, the front door acts as FRONTLINE_HTTPS_ONLY=1 "
      "(`__Host-` session cookie, Secure, HSTS)", "web"),
    # council sign-in (OpenID Connect; web/README.md)
    S("FRONTLINE_OIDC_ISSUER", "unset (council sign-in off)", "URL",
      "the identity provider's issuer, e.g. `https://login.microsoftonline.com/<tenant id>/v2.0`", "web"),
    S("FRONTLINE_OIDC_CLIENT_ID", "unset", "text", "the app's client id at the identity provider", "web"),
    S("FRONTLINE_OIDC_CLIENT_SECRET", "unset", "secret", "the app's client secret", "web"),
    S("FRONTLINE_OIDC_ROLES_CLAIM", "`roles`", "claim name", "the ID-token claim that holds app roles or groups", "web"),
    S("FRONTLINE_OIDC_ROLE_MAP", "`worker=worker,trainer=trainer,admin=admin`", "`value=role,...`",
      "which claim values give which role; a user with no mapped value is refused", "web"),
    S("FRONTLINE_OIDC_SCOPES", "`openid profile email`", "text", "the scopes asked for", "web"),
    S("FRONTLINE_OIDC_SESSION_HOURS", "8", "float", "a council sign-in's session lasts at most this long", "web"),
    S("FRONTLINE_OIDC_LEEWAY_SECONDS", "30", "int", "clock skew allowed when checking the ID token's times", "web"),
    S("FRONTLINE_LOCAL_ACCOUNTS", "1", "flag",
      "`0`: with council sign-in on, usernames and passwords are turned off", "web"),
    # retention
    S("FRONTLINE_RETENTION_DAYS", "30", "int", "conversations are deleted from the tracker store after this many days",
      "retention"),
    S("FRONTLINE_REFERRAL_RETENTION_DAYS", "90", "int", "referral personal data is erased after this many days",
      "retention"),
    S("FRONTLINE_LOG_RETENTION_DAYS", "90", "int",
      "the search log (redacted messages) is deleted after this many days", "retention"),
    S("FRONTLINE_FEEDBACK_RETENTION_DAYS", "`FRONTLINE_LOG_RETENTION_DAYS`", "int",
      "answer feedback is deleted after this many days", "retention"),
    S("FRONTLINE_LOGFILE_RETENTION_DAYS", "`FRONTLINE_LOG_RETENTION_DAYS`", "int",
      "the processes' dated log files (`var/logs/*.log.YYYY-MM-DD`) are deleted after this many days", "retention"),
    # referrals
    S("FRONTLINE_REFERRAL_QUEUE", "1", "flag", "`0`: the front door does not run the referral e-mail queue", "referrals"),
    S("FRONTLINE_REFERRAL_FROM", "`referrals@localhost`", "e-mail", "sender of referral e-mails", "referrals"),
    S("FRONTLINE_REFERRAL_ACK_DAYS", "60", "int", "how long a reply link in a referral e-mail works", "referrals"),
    S("FRONTLINE_SMTP_HOST", "unset", "host", "SMTP relay for referrals (unset: e-mails wait in the queue)", "referrals"),
    S("FRONTLINE_SMTP_PORT", "587", "int", "SMTP port", "referrals"),
    S("FRONTLINE_SMTP_USER", "unset", "string", "SMTP user", "referrals"),
    S("FRONTLINE_SMTP_PASSWORD", "unset", "secret", "SMTP password (from your secret store)", "referrals"),
    S("FRONTLINE_SMTP_STARTTLS", "1", "flag", "use STARTTLS", "referrals"),
    S("FRONTLINE_SMTP_TLS", "0", "flag", "implicit TLS (port 465)", "referrals"),
    S("FRONTLINE_SMTP_TIMEOUT", "10", "float", "seconds before an SMTP attempt is retried later", "referrals"),
    # scale-out (Rasa's own stores)
    S("FRONTLINE_DATABASE_URL", "unset (`$FRONTLINE_DATA_DIR/frontline.db`)", "SQLAlchemy URL",
      "the application database (accounts, search log, feedback, referrals) in PostgreSQL, migrated on first use",
      "scale-out"),
    S("FRONTLINE_TRACKER_DB", "`$FRONTLINE_DATA_DIR/tracker.db`", "path", "the embedded SQLite tracker store", "scale-out"),
    S("FRONTLINE_TRACKER_URL", "unset", "SQLAlchemy URL", "the tracker store for retention and deletion, if not SQLite",
      "scale-out"),
    S("FRONTLINE_PG_HOST", "unset", "host", "PostgreSQL tracker store (scale-out)", "scale-out"),
    S("FRONTLINE_PG_PORT", "5432", "int", "PostgreSQL port", "scale-out"),
    S("FRONTLINE_PG_DB", "`frontline`", "string", "PostgreSQL database", "scale-out"),
    S("FRONTLINE_PG_USER", "`postgres`", "string", "PostgreSQL user", "scale-out"),
    S("FRONTLINE_PG_PASSWORD", "empty", "secret", "PostgreSQL password", "scale-out"),
    S("FRONTLINE_REDIS_HOST", "none (required in scale-out)", "host", "Redis lock store (`deploy/endpoints.scale.yml`)",
      "scale-out"),
    S("FRONTLINE_REDIS_PORT", "none (required in scale-out)", "int", "Redis port", "scale-out"),
    S("FRONTLINE_REDIS_DB", "none (required in scale-out)", "int", "Redis database", "scale-out"),
    S("FRONTLINE_REDIS_PASSWORD", "none (required in scale-out; may be empty)", "secret", "Redis password", "scale-out"),
    # tools
    S("FRONTLINE_AUDIT_SERVICE", "`pypi`", "`pypi` or `osv`", "advisory source for `make audit`", "tools"),
    S("FRONTLINE_PIP_AUDIT", "`.venv/bin/pip-audit`", "path", "the pip-audit `make audit` runs (tests give a stand-in)", "tools"),
    S("PYTHON310", "found automatically", "path", "interpreter for Rasa's environment", "tools"),
    S("PYTHON311", "found automatically", "path", "interpreter for the app's environment", "tools"),
)

START, END = "<!-- settings:start (generated by python -m common.settings_table --readme) -->", "<!-- settings:end -->"


def markdown() -> str:
    rows = ["| Variable | Default | Type | What |", "|---|---|---|---|"]
    rows += [f"| `{s.name}` | {s.default} | {s.type} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


def readme_block() -> str:
    return f"{START}\n{markdown()}\n{END}"


def rewrite_readme(path=ROOT / "README.md") -> bool:
    """Replace the generated block; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: readme_block(), text, flags=re.S)
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m common.settings_table", description=__doc__.split("\n")[0])
    p.add_argument("--readme", action="store_true", help="rewrite the README's settings block")
    args = p.parse_args(argv)
    if args.readme:
        print("README.md settings table " + ("updated" if rewrite_readme() else "already current"))
    else:
        print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
