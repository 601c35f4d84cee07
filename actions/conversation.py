"""Which conversation the running action belongs to, for the search log (so deleting a
conversation deletes its logged searches too). Set by the action server's executor for
each call; ``None`` outside it (tests calling an action directly)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from rasa_sdk.executor import ActionExecutor

current_sender: ContextVar[str | None] = ContextVar("current_sender", default=None)


class ConversationExecutor(ActionExecutor):
    async def run(self, action_call: dict[str, Any], *args, **kwargs):
        token = current_sender.set(action_call.get("sender_id") if isinstance(action_call, dict) else None)
        try:
            return await super().run(action_call, *args, **kwargs)
        finally:
            current_sender.reset(token)
