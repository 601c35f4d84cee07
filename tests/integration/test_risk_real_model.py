"""The risk router with the real embedding model, on the disclosures the issue named."""

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def router():
    from knowledge_base.embedders import make_embedder
    from knowledge_base.loader import load_content
    from knowledge_base.index import default_index_dir
    from knowledge_base.risk import RiskRouter, tuned_dir_for

    embedder = make_embedder()  # the fine-tuned classifier `make index` trained, as the action server routes
    r = RiskRouter.shipped(embedder, load_content().items, tuned_dir=tuned_dir_for(embedder, default_index_dir()))
    r.warm_up()
    return r


@pytest.mark.parametrize("text, routes", [
    ("she's whispering, can't talk, he is in the room with her", {"domestic-abuse"}),
    ("her husband told her he'll kill her if she ever leaves", {"domestic-abuse"}),
    ("resident doesn't see the point anymore and has been saving up tablets", {"mental-health-crisis"}),
    ("boy is made to carry packages for older boys", {"child-exploitation"}),
    ("a 14 year old being groomed online", {"safeguarding-child", "child-exploitation"}),
    ("res says her partner hit her", {"domestic-abuse"}),
])
def test_disclosures_reach_their_route(router, text, routes):
    d = router.run(text)
    assert d.route in routes or set(d.alternatives) & {router.flows[r] for r in routes}, (d.route, d.reason())


@pytest.mark.parametrize("text", ["what is county lines", "how do I make a MASH referral",
                                  "res got a benefit overpayment letter, what can she do"])
def test_look_alikes_start_no_guide(router, text):
    assert router.run(text).route == "none"


@pytest.mark.parametrize("text, check", [
    ("my kids are little terrorists at bath time lol", "safeguarding-child"),
    ("tenant had a suicide attempt in 2021, fully recovered, he's calling about his rent statement",
     "mental-health-crisis"),
])
def test_a_not_live_message_is_answered_and_offered_its_guide(router, text, check):
    d = router.run(text)
    assert not d.is_risk and d.not_live and d.check == check, d.reason()


def test_a_turn_to_a_real_person_still_opens_the_guide(router):
    d = router.run("my husband's a little terrorist lol. no seriously he strangled me on sunday and I've still got marks")
    assert d.flow == "domestic-abuse", d.reason()
