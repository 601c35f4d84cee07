"""Guided flows: step-by-step scripts for safeguarding, immigration-advice limits and
eviction, stored as YAML under ``content/flows/`` (one flow per file).

Three parts, no Rasa imports (modules of this package in brackets):

* **Schema** (:class:`Flow`, :class:`FlowMessages`; ``schema``): strict pydantic models.
* **Validator** (:func:`validate_flows`): schema + graph checks (unknown step ids,
  unreachable steps, dead ends, cycles, risk options that never reach an escalate
  step, dates), ALL problems at once as ``file:line: message`` (``validate``,
  ``graph``; routes in ``paths``).
* **Engine** (:class:`FlowEngine`, or the module functions :func:`start`,
  :func:`answer`, :func:`summary` over the shipped content; ``engine``, ``views``).
  Its state is a small JSON-serialisable dict that Rasa can keep in a slot::

      turn = start("domestic-abuse")            # Turn(state=dict, view=StepView)
      turn = answer(turn.state, "not sure")      # button value "2", "y", "back", "stop" ...
      render(turn.view)                          # plain text, wording from _messages.yml
      summary(turn.state)                        # case-note summary, no resident details

Every fixed word the engine uses (yes/no synonyms, commands, notices, summary labels)
comes from ``content/flows/_messages.yml``. ``python -m knowledge_base.flows`` (``cli``)
validates the flows. Everything public is importable from ``knowledge_base.flows``.
"""

from .cli import main
from .engine import (STATE_VERSION, FlowEngine, answer, default_engine, flow_words, flows_for_hits, guide_words,
                     list_flows, reload_default_engine, render, start, summary, view)
from .errors import BadState, FlowError, FlowsInvalid, UnknownFlow
from .paths import Hop, all_paths
from .schema import (AnswerKind, ChecklistStep, EndStep, EscalateStep, Flow, FlowMessages, InfoStep, Notice, Option,
                     QuestionStep, RenderLabels, Step, StepId, SummaryLabels, Urgency)
from .validate import FLOWS_DIR, MESSAGES_FILE, load_messages, validate_flows
from .views import EndView, EscalateView, OptionView, Progress, StepView, Turn

__all__ = [
    "FLOWS_DIR", "MESSAGES_FILE", "STATE_VERSION",
    "FlowError", "FlowsInvalid", "UnknownFlow", "BadState",
    "StepId", "Urgency", "AnswerKind", "Notice", "Option", "QuestionStep", "InfoStep", "ChecklistStep",
    "EscalateStep", "EndStep", "Step", "Flow", "SummaryLabels", "RenderLabels", "FlowMessages",
    "load_messages", "validate_flows", "Hop", "all_paths",
    "OptionView", "EscalateView", "EndView", "Progress", "StepView", "Turn", "FlowEngine",
    "default_engine", "reload_default_engine", "start", "answer", "view", "summary", "render", "list_flows", "flows_for_hits",
    "flow_words", "guide_words", "main",
]
