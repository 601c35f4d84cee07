"""Refreshers: two-minute training cards with a three-question quick check.

Trainers write one module per file under ``content/refreshers/``
(``<id>.yml``; files starting with ``_`` are not modules: ``_messages.yml`` holds the
fixed wording the engine uses). Three parts, no Rasa imports:

* **Schema** (:class:`Refresher`): strict pydantic models (``extra="forbid"``).
* **Validator** (:func:`validate_refreshers`): schema + cross checks (related item and
  flow ids exist, dates, duplicates), ALL problems at once as ``file:line: message``.
* **Engine** (:class:`RefresherEngine`, or the module functions over the shipped
  content)::

      card = get_refresher("safeguarding")          # by id, topic or tag -> CardView
      turn = quick_check_start(card.id)              # CheckTurn(state=dict, view=CheckView)
      turn = quick_check_answer(turn.state, "2")     # option number, letter or its text
      related_refresher("duty-to-refer-homelessness-s213b", offered=["..."])

  The state is a small JSON-serialisable dict a Rasa slot can hold.
"""


from .engine import (STATE_VERSION, RefresherEngine, default_engine, get_refresher, quick_check_answer,
                     quick_check_start, related_refresher)
from .errors import BadCheckState, RefresherError, RefreshersInvalid, UnknownRefresher
from .schema import QUESTIONS_PER_CHECK, CheckOption, CheckQuestion, Refresher, RefresherMessages
from .validate import MESSAGES_FILE, REFRESHERS_DIR, load_messages, validate_refreshers
from .views import CardView, CheckTurn, CheckView, FeedbackView, OptionView, SourceView

__all__ = [
    "REFRESHERS_DIR", "MESSAGES_FILE", "STATE_VERSION", "QUESTIONS_PER_CHECK",
    "RefresherError", "RefreshersInvalid", "UnknownRefresher", "BadCheckState",
    "CheckOption", "CheckQuestion", "Refresher", "RefresherMessages", "load_messages", "validate_refreshers",
    "SourceView", "CardView", "OptionView", "FeedbackView", "CheckView", "CheckTurn",
    "RefresherEngine", "default_engine", "get_refresher", "quick_check_start", "quick_check_answer", "related_refresher",
]
