"""Make Rasa 3.6 validate action-server responses without re-checking the schema.

Rasa validates every action server response with ``jsonschema.validate(result, schema)``.
That function first checks the *schema itself* against the JSON Schema metaschema, on
every call; Rasa's events schema is large, and profiling our stack (py-spy on the Rasa
process, search messages) put 46% of Rasa's busy time in that check. The schema is a
constant, so we check it once, keep one compiled validator and validate each response
with it: the same errors, the same message, a fraction of the time.

``install()`` is called when Rasa imports ``bot.channels``. It patches only Rasa 3.6
(the version pinned in requirements/rasa.lock.txt); on anything else it does nothing.
``self_test()`` (run by ``make test-rasa``) checks the patched method against Rasa's own.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)
_installed = False


def _patched_validate(validator, docs_base_url: Text):
    from jsonschema.exceptions import best_match

    def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (  # Rasa's own wording (rasa/core/actions/action.py)
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{docs_base_url}/custom-actions"
        )
        raise error

    return _validate_action_result


def install() -> bool:
    """Patch ``RemoteAction._validate_action_result``; True when patched."""
    global _installed
    if _installed:
        return True
    try:
        import rasa
        from jsonschema.validators import validator_for
        from rasa.core.actions.action import RemoteAction
        from rasa.shared.constants import DOCS_BASE_URL
    except ImportError:  # not inside Rasa
        return False
    if not rasa.__version__.startswith("3.6.") or not hasattr(RemoteAction, "_validate_action_result"):
        logger.info("bot.speedups: Rasa %s is not 3.6; action responses validated the stock way", rasa.__version__)
        return False
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, here
    RemoteAction._validate_action_result = _patched_validate(cls(schema), DOCS_BASE_URL)
    _installed = True
    return True


def self_test() -> None:
    """The patched validation accepts and rejects exactly what Rasa's own does, with the
    same message; raises AssertionError otherwise. Run in the Rasa environment."""
    import time

    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    assert install(), "bot.speedups did not install on this Rasa"
    patched = RemoteAction._validate_action_result
    assert patched is not original
    action = RemoteAction("action_search_knowledge", None)
    good = [{"events": [{"event": "slot", "name": "flow_state", "value": None, "timestamp": None},
                        {"event": "followup", "name": "flow_form", "timestamp": None}],
             "responses": [{"response": "utter_kb_answer", "text": "x", "buttons": []}]},
            {"events": [], "responses": []}, {}]
    bad = [{"events": [{"event": "slot", "name": 3}]}, {"responses": "not a list"}, {"events": [{"nope": 1}]}]
    for result in good:
        assert original(action, result) is True and patched(action, result) is True, result
    for result in bad:
        messages = []
        for fn in (original, patched):
            try:
                fn(action, result)
            except ValidationError as exc:
                messages.append(exc.message)
            else:
                raise AssertionError(f"not rejected: {result}")
        assert messages[0] == messages[1], messages
    t = time.perf_counter()
    for _ in range(50):
        original(action, good[0])
    slow = (time.perf_counter() - t) / 50
    t = time.perf_counter()
    for _ in range(50):
        patched(action, good[0])
    fast = (time.perf_counter() - t) / 50
    print(f"bot.speedups OK: action response validation {slow * 1000:.2f} ms -> {fast * 1000:.2f} ms per call")
