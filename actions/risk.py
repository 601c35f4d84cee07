"""Risk routing skill: a disclosure, wherever it is typed, opens the right guide.

``route_of(text)`` asks the risk router (``knowledge_base.risk``), loaded once beside
the search and sharing its embedder; the everyday items of the knowledge base vote for
"no guide" beside the trainers' look-alike examples. ``open_route`` dispatches the
first reply: the guide (its critical rules come first), or, when two routes are close,
the 999 rule and both guides as buttons. Each decision is logged with its reason for
the trainer console. No wording lives here (bot/domain/flows.yml, content/).
"""

from __future__ import annotations

import json
import os
import logging
import threading
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from knowledge_base.index import default_index_dir
from knowledge_base.risk import NONE, ROUTER_VECTORS_FILE, RiskDecision, RiskRouter, tuned_dir_for

from .cards import show_card
from .guides import start_events
from .knowledge import get_search, on_reload

log = logging.getLogger(__name__)
# the routing examples' vectors, kept beside the search index so a restart encodes only new ones
ROUTER_VECTORS = default_index_dir() / ROUTER_VECTORS_FILE

_router: RiskRouter | None = None
_router_for: object | None = None
_fitted: dict[str, RiskRouter] = {}  # source key -> fitted router (the last two)
_fitting: set[str] = set()  # keys being fitted in the background
_pending: dict = {}  # the last search asked about, its router and key (not recomputed per message)
_lock = threading.Lock()


def _router_for_search(search) -> RiskRouter:
    """The router for ``search``. When what it is fitted from did not change (an edited
    item's tags or steps) the fitted one is reused. When it did (a new item title, new
    examples), the router fitted before keeps routing while the new one is fitted in the
    background (seconds), so no message waits; only the very first fit blocks."""
    global _router, _router_for
    with _lock:
        if _router is not None and _router_for is search:
            return _router
        if _pending.get("search") is search:  # asked again while its router is being fitted
            router, key = _pending["router"], _pending["key"]
        else:
            router = RiskRouter.shipped(search.embedder, search.items.values(), vector_cache=ROUTER_VECTORS,
                                        tuned_dir=tuned_dir_for(search.embedder, default_index_dir()))
            key = router.source_key()
            _pending.update(search=search, router=router, key=key)
        if key in _fitted:
            router = _fitted[key]
        elif _router is None:
            router.warm_up()
            _remember(key, router)
        else:
            if key not in _fitting:
                _fitting.add(key)
                threading.Thread(target=_fit_in_background, args=(key, router), name="risk-router-fit",
                                 daemon=True).start()
            return _router  # the previous router, until the new one is ready
        _router, _router_for = router, search
        return router


def _remember(key: str, router: RiskRouter) -> None:
    _fitted[key] = router
    while len(_fitted) > 2:
        _fitted.pop(next(iter(_fitted)))


def _fit_in_background(key: str, router: RiskRouter) -> None:
    try:
        router.warm_up()
        with _lock:
            _remember(key, router)
        log.info("risk router refitted for the new content")
    except Exception:  # noqa: BLE001 - the previous router keeps routing
        log.exception("risk router refit failed; the previous one keeps routing")
    finally:
        with _lock:
            _fitting.discard(key)


def get_router() -> RiskRouter:
    """The router over the shipped routes; prepared in the reload thread when content changes
    (``knowledge.on_reload``), so a message never waits for it to be fitted."""
    return _router_for_search(get_search())


on_reload(_router_for_search)


def route_of(text: str) -> RiskDecision:
    """Never raises: a router failure is logged and the message is not routed (the NLU
    ``risk_disclosure`` intent still opens a guide)."""
    try:
        decision = get_router().run(text)
    except Exception as exc:  # noqa: BLE001 - a broken router must not lose the reply
        log.error("risk router failed: %s", exc)
        return RiskDecision(NONE, None)
    if decision.is_risk or decision.check:
        log.info("risk route=%s alternatives=%s check=%s reason=%s", decision.route, decision.alternatives,
                 decision.check, decision.reason())
        _log_decision(text, decision)
    return decision


def _log_decision(text: str, decision: RiskDecision) -> None:
    try:
        from knowledge_base.gaps import log_search

        from .conversation import current_sender

        route = decision.route if decision.is_risk else decision.check  # a check: the guide only offered
        log_search(text, decision.flow or decision.check_flow, round(decision.scores.get(route, 0.0), 4),
                   "risk" if decision.is_risk else "check",
                   reason=decision.reason(), sender_id=current_sender.get())
    except Exception as exc:  # noqa: BLE001 - logging never breaks a reply
        log.warning("risk decision not logged: %s", type(exc).__name__)


def open_route(dispatcher: CollectingDispatcher, tracker: Tracker, decision: RiskDecision) -> list[EventType]:
    """The first reply to a disclosure: the guide, or the 999 rule and the close guides."""
    from knowledge_base import flows as F


    if decision.flow and decision.flow.startswith("item:"):  # a route with no guide yet: its item first

        return [*show_card(dispatcher, decision.flow.removeprefix("item:")), FollowupAction("action_listen")]
    known = {f["id"]: f["title"] for f in F.list_flows()}
    flows = [f for f in (decision.flow, *decision.alternatives) if f in known]
    if len(flows) > 1:
        dispatcher.utter_message(response="utter_risk_choose", buttons=[
            {"title": known[f], "payload": "/start_flow" + json.dumps({"flow_id": f})} for f in flows])
        return [FollowupAction("action_listen")]
    if not flows:
        log.error("risk route %s names an unknown guide %s", decision.route, decision.flow)
        dispatcher.utter_message(response="utter_risk_choose", buttons=[
            {"title": t, "payload": "/start_flow" + json.dumps({"flow_id": f})} for f, t in known.items()])
        return [FollowupAction("action_listen")]
    return [*start_events(flows[0], tracker), FollowupAction("flow_form")]


def interrupt_slots(dispatcher: CollectingDispatcher, tracker: Tracker, decision: RiskDecision) -> dict[str, Any]:
    """Inside a form (a guide, a quick check): the slots that open the route's guide, or,
    for a route with no guide yet, its item shown now and no slots."""
    if decision.flow and decision.flow.startswith("item:"):

        show_card(dispatcher, decision.flow.removeprefix("item:"))
        return {}

    return {e["name"]: e["value"] for e in start_events(decision.flow, tracker)}


def risk_flows() -> set[str]:
    return get_router().risk_flows()


if os.environ.get("FRONTLINE_WARM_AT_IMPORT", "1") == "1":
    get_router()  # the first disclosure after a start must not wait for the examples to be encoded
