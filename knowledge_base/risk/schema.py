"""Strict schema of ``content/risk_routes.yml``: the risk routes, their cue phrases and
example disclosures, and the examples that must not start a guide."""

from __future__ import annotations

from pydantic import Field, model_validator

from typing import Annotated

from ..schema import ItemId, ShortLine, Strict

NONE = "none"  # the route of a message that starts no guide
# a whole message as a worker types it: long call notes are examples too
ExampleLine = Annotated[str, Field(min_length=3, max_length=500)]


class Route(Strict):
    id: ItemId
    flow: ItemId | None = None  # the guide this route opens ...
    item: ItemId | None = None  # ... or, until it has a guide, the item shown first
    title: ShortLine
    cues: list[ShortLine] = Field(default_factory=list)
    examples: list[ExampleLine] = Field(min_length=3)
    # first-person phrases that always open this guide, unless the message is a question about the
    # topic: examples that read like look-alikes or everyday needs never outweigh them ("i dont want
    # to be here anymore"; a missed suicide disclosure costs more than a false alarm the worker
    # closes). Keep them to statements about oneself; topic words ("suicide") stay in ``cues``
    urgent_cues: list[ShortLine] = Field(default_factory=list)
    # phrases that open this guide even inside a question: asking about the means of suicide ("lethal
    # dose", "would it take to kill") is a warning sign, not a question about a topic. Treated as
    # urgent cues that a question frame does not silence; keep them few and unmistakable
    question_cues: list[ShortLine] = Field(default_factory=list)
    # routes whose guides the law applies together (domestic abuse of an adult with care and support
    # needs; a child harmed by people outside the family): whichever of the two comes second is
    # offered beside the first from further behind (``RouterSettings.overlap_tie``). The relation
    # goes both ways: name each pair on one of its routes
    overlaps: list[ItemId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self):
        if (self.flow is None) == (self.item is None):
            raise ValueError("give exactly one of flow (a guide) or item (a knowledge-base item)")
        return self


class NotRisk(Strict):
    examples: list[ExampleLine] = Field(min_length=3)
    # "what is ...", "refresher on ...": a question ABOUT a topic, whose cues then do not count
    question_frames: list[ShortLine] = Field(default_factory=list)
    # ... unless the message also reports what someone said ("says", "told me")
    disclosure_words: list[str] = Field(default_factory=list)
    # ... but "if a caller says ..." is a hypothetical: its disclosure words do not count
    hypothetical_frames: list[ShortLine] = Field(default_factory=list)
    # "radicalisation awareness session", "anti-trafficking poster": a cue followed by one of
    # these nouns names an event or a resource, not a person at risk, so it does not count
    topic_nouns: list[str] = Field(default_factory=list)
    # "police checked, no cuckooing", "not trafficked after all": a cue directly after one of
    # these words is denied, not reported, so it does not count (the examples still weigh in)
    negation_words: list[str] = Field(default_factory=list)
    # "says she feels safe", "no concerns", "happy for us to call": what a worker writes in a call
    # note when they have checked and nobody is at risk. A route that only the examples support
    # (no cue of its own) then needs a larger lead (``RouterSettings.reassured_margin``)
    reassurance_frames: list[ShortLine] = Field(default_factory=list)
    # "lol", "role play", "suicide mission": the message says that what it names is not happening to
    # anyone now (a joke, a made-up scenario, a figure of speech). A guide it would start is only
    # offered after the search answer, one click away; an urgent cue still opens its guide ...
    not_live_frames: list[ShortLine] = Field(default_factory=list)
    # ... unless one of these also stands in the message ("but seriously", "this is real", "it
    # happened today"): the worker turned from the joke or the scenario to a real person
    live_words: list[ShortLine] = Field(default_factory=list)
    # "she self-harmed as a teenager, over 20 years ago": a cue in the same clause as one of these
    # dates the event long past, so the cue does not count (the examples still weigh in; an urgent
    # cue always counts). Never list a date a current risk uses ("last year", "back in the house")
    past_frames: list[ShortLine] = Field(default_factory=list)
    # call notes on a resident's everyday hardship where nobody is harmed ("since her hip op she
    # can't get in the bath, daughter asking about a bath lift"): they vote "no guide" beside the
    # everyday needs' examples, against the pull of "vulnerable person" towards the risk routes
    everyday_examples: list[ExampleLine] = Field(default_factory=list)


class RiskRoutes(Strict):
    routes: list[Route] = Field(min_length=1)
    not_risk: NotRisk

    @model_validator(mode="after")
    def _overlaps_name_other_routes(self):
        ids = [r.id for r in self.routes]
        for r in self.routes:
            wrong = [o for o in r.overlaps if o not in ids or o == r.id]
            if wrong:
                raise ValueError(f"route {r.id}: overlaps names {', '.join(wrong)}, which is not another route "
                                 f"(routes: {', '.join(ids)})")
        return self
