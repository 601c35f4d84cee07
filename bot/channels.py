"""REST input channel for the front door and scripts.

Same URL and JSON as Rasa's own REST channel (``POST /webhooks/rest/webhook``
with ``{"sender": ..., "message": ...}``), plus two guarantees:

- a request without a sender or a message gets a 400 with a clear reason;
- resident identifiers (phone numbers, postcodes, names ...) are replaced by
  typed placeholders (common/redact.py) before Rasa, the tracker store or the
  logs see the message;
- with ``FRONTLINE_CHANNEL_TOKEN`` set (scale-out, where Rasa listens beyond this
  machine), a request without ``Authorization: Bearer <token>`` gets a 401;
- every message gets a reply: when processing produced none (for example the
  action server is unreachable), the domain response
  ``utter_assistant_unavailable`` is sent, which carries the 999 rule.

This module is imported by Rasa in the Python 3.10 environment: keep it light.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import sqlalchemy
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot import speedups
from common.redact import redact_text

logger = logging.getLogger(__name__)
speedups.install()  # Rasa imports this module at start-up: see bot/speedups.py

UNAVAILABLE_RESPONSE = "utter_assistant_unavailable"
CHANNEL_TOKEN_ENV = "FRONTLINE_CHANNEL_TOKEN"
MAX_MESSAGE_CHARS = 10_000


def fallback_messages(request: Request, sender_id: Text) -> List[Dict[Text, Any]]:
    agent = getattr(request.app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    variants = (domain.responses.get(UNAVAILABLE_RESPONSE) if domain else None) or []
    text = variants[0].get("text") if variants else None
    if not text:  # no model loaded yet: Rasa has no domain to read from
        return []
    return [{"recipient_id": sender_id, "text": text}]


def tracker_store_down(request: Request) -> bool:
    """Rasa 3.6 silently falls back to an in-memory tracker when its database is
    down, so a guide in progress would restart without a word. Check first and
    give the worker the clear 'unavailable' reply (with the 999 rule) instead."""
    store = getattr(getattr(request.app.ctx, "agent", None), "tracker_store", None)
    primary = getattr(store, "_tracker_store", store)  # Rasa wraps it in FailSafeTrackerStore
    engine = getattr(primary, "engine", None)
    if engine is None:
        return False
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except Exception as exc:
        logger.error("tracker store unreachable (%s): replying %s", type(exc).__name__, UNAVAILABLE_RESPONSE)
        return True
    return False


class FrontlineRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = Blueprint("frontline_rest_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            token = os.environ.get(CHANNEL_TOKEN_ENV)
            if token and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
                return response.json({"error": "missing or wrong Authorization header"}, status=401)
            body = request.json if isinstance(request.json, dict) else None
            if body is None:
                return response.json({"error": "send a JSON object with 'sender' and 'message'"}, status=400)
            sender_id: Optional[Text] = body.get("sender")
            text = body.get("message")
            if not isinstance(sender_id, str) or not sender_id.strip():
                return response.json({"error": "'sender' is required"}, status=400)
            if not isinstance(text, str):
                return response.json({"error": "'message' must be text"}, status=400)
            # redact resident identifiers before NLU, the tracker store or any log sees them
            text = redact_text(text[:MAX_MESSAGE_CHARS])
            if tracker_store_down(request):
                return response.json(fallback_messages(request, sender_id))
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name(),
                                metadata=self.get_metadata(request))
                )
            except Exception:  # the worker still gets the safety reply below
                logger.exception("message processing failed for a REST message")
            if not collector.messages and text.strip():
                return response.json(fallback_messages(request, sender_id))
            return response.json(collector.messages)

        return bp
