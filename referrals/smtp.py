"""Send one referral email through the configured SMTP relay (smtplib; STARTTLS or
implicit TLS; credentials from the environment). Errors are classified as
temporary (retry later) or permanent (the server refused the message)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from .config import SmtpSettings


class SmtpNotConfigured(RuntimeError):
    """FRONTLINE_SMTP_HOST is not set: email referrals wait in the queue."""


class PermanentSendError(RuntimeError):
    """The server refused the message or recipient (5xx): retrying will not help."""


class TemporarySendError(RuntimeError):
    """Connection failed, timed out or a 4xx reply: retry later."""


def build_message(*, from_addr: str, to_addr: str, subject: str, body: str, message_id: str,
                  reference: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id  # identical on every retry, so a receiving system can drop duplicates
    msg["X-Frontline-Referral"] = reference
    msg.set_content(body)
    return msg


class SmtpSender:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, msg: EmailMessage) -> None:
        """Return only when the server has accepted the message for every recipient."""
        s = self.settings
        if not s.host:
            raise SmtpNotConfigured("FRONTLINE_SMTP_HOST is not set")
        context = ssl.create_default_context()
        try:
            if s.tls:
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.starttls and not s.tls:
                    client.starttls(context=context)
                if s.user:
                    client.login(s.user, s.password or "")
                refused = client.send_message(msg)
            if refused:
                raise PermanentSendError(f"recipient refused ({next(iter(refused.values()))[0]})")
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError("recipient refused") from exc
        except smtplib.SMTPDataError as exc:  # the message itself was refused
            kind = PermanentSendError if 500 <= exc.smtp_code < 600 else TemporarySendError
            raise kind(f"SMTPDataError {exc.smtp_code}") from exc
        except smtplib.SMTPResponseException as exc:  # login, sender, TLS: our configuration, not the message
            raise TemporarySendError(f"{type(exc).__name__} {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporarySendError(type(exc).__name__) from exc
