"""rasa-sdk action server: one module per skill. Started with
``python -m rasa_sdk --actions actions`` from the Python 3.11 environment."""

# rasa-sdk 3.21 warns that Rasa 3.6 is older than it expects; the REST protocol
# between them is unchanged (text, buttons, SlotSet round trip verified in
# tests/e2e), so the warning is noise in our logs.
import warnings

warnings.filterwarnings("ignore", message=".*rasa.*version.*", category=UserWarning)

from . import flows, offers, refreshers, search  # noqa: E402,F401  (registers the actions)
