"""Risk routing: which safeguarding guide a disclosure opens (``router``), from the
trainer-editable routes in ``content/risk_routes.yml`` (``schema``): cue phrases
matched on word forms (``cues``) and example disclosures compared by meaning.

    router = RiskRouter(embedder); router.warm_up()
    decision = router.run("res says partner hit her last night")
    decision.flow, decision.alternatives, decision.reason()
"""

from .router import (ROUTER_VECTORS_FILE, ROUTES_FILE, Nearest, RiskDecision, RiskRouter, RouterSettings,
                     everyday_examples, load_routes)
from .schema import NONE, NotRisk, RiskRoutes, Route
from .tuned import TUNED_DIR, TunedClassifier, TunedSettings, tuned_dir_for

__all__ = ["ROUTER_VECTORS_FILE", "ROUTES_FILE", "NONE", "Nearest", "RiskDecision", "RiskRouter", "RouterSettings", "load_routes", "everyday_examples",
           "NotRisk", "RiskRoutes", "Route", "TUNED_DIR", "TunedClassifier", "TunedSettings", "tuned_dir_for"]
