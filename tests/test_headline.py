"""A headline for articles without one: the lead sentence, shortened so that it still reads
as a headline (sentences written here)."""

from __future__ import annotations

import pytest

from storybrief.explain.headline import shorten


@pytest.mark.parametrize(
    ("sentence", "headline"),
    [
        # a short sentence stays whole
        ("The harbour wall gave way on Tuesday.", "The harbour wall gave way on Tuesday"),
        # an opening phrase that only sets the scene goes: the main clause is the headline
        (
            "After a day of fighting, rebels said Sunday they had entered the town, the "
            "strategic airbase in the east used by the government to halt their advance.",
            "Rebels said Sunday they had entered the town",
        ),
        (
            "In a surprise move, the city council voted to close the old harbour wall to "
            "traffic from next spring until the repairs are finished.",
            "The city council voted to close the old harbour wall to traffic",
        ),
        # ... but not a condition, which the rest would overstate
        (
            "If elected, she will close the old harbour wall to all traffic from next spring "
            "until the repairs are finished.",
            "If elected, she will close the old harbour wall to all traffic",
        ),
        # ... nor a phrase holding the subject ("..., Honey, were found dead")
        (
            "Less than a week before the businessman Barry Marsh and his wife, Honey, were "
            "found dead in their home, the couple had called the police.",
            "Less than a week before the businessman Barry Marsh and his wife, Honey…",
        ),
        # a name alone is no headline: "House Speaker Jane Marsh"
        (
            "House Speaker Jane Marsh, who led the chamber for four years and fought the "
            "budget, said she would step down in January.",
            "House Speaker Jane Marsh, who led the chamber for four years and fought…",
        ),
        # a long sentence is cut before a phrase of time or place, not mid-phrase ...
        (
            "Both leaders have hinted they might not attend the meeting of the northern "
            "fishing nations next month in the capital out of concern for the prisoner.",
            "Both leaders have hinted they might not attend the meeting of the northern "
            "fishing nations",
        ),
        # ... nor after a verb the phrase completes ("met with ...")
        (
            "The envoy Jane Marsh met with the president of the northern republic Monday night, "
            "but the talks ended without agreement on the border.",
            "The envoy Jane Marsh met with the president of the northern republic Monday night",
        ),
        # ... and never after a word that needs what follows ("hunting", "of Netflix's")
        (
            "Search teams hunting for the wreck of a passenger jet that crashed into the sea "
            "found more debris on Tuesday.",
            "Search teams hunting for the wreck of a passenger jet that crashed…",
        ),
    ],
)
def test_shorten(sentence: str, headline: str) -> None:
    assert shorten(sentence) == headline


@pytest.mark.parametrize(
    "module",
    ["storybrief.explain.headline", "storybrief.verify.repeats", "storybrief.verify.standalone"],
)
def test_the_examples_in_the_gates_docstrings_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_a_title_less_storys_headline_is_the_first_whole_one_of_its_central_sentences() -> None:
    from types import SimpleNamespace

    import numpy as np

    from storybrief.explain.roles import HAPPENING
    from storybrief.explain.selection import _Plan

    texts = [  # most central first
        "“Don’t be put off by that,” the harbour master said of the damage.",
        "Search teams hunting for the wreck of a passenger jet that crashed into the sea "
        "off the island found more debris on Tuesday near the harbour.",
        "The harbour wall of Marlow collapsed on Monday after a storm.",
        "Engineers said the harbour wall would take a year to rebuild.",
    ]
    cands = [
        SimpleNamespace(idx=i, key=(0, i), text=t, dangling=False) for i, t in enumerate(texts)
    ]
    plan = SimpleNamespace(
        titles=[], importance=np.array([4.0, 3.0, 2.0, 1.0]), row={i: i for i in range(4)}
    )
    headline = _Plan.headline(plan, {HAPPENING: cands})  # type: ignore[arg-type]
    # the quotation and the sentence only an ellipsis can cut are passed over
    assert headline == "The harbour wall of Marlow collapsed on Monday after a storm"
    # none of the three whole: the most central, cut
    plan.importance = np.array([1.0, 4.0, 3.0, 2.0])
    cands[2].dangling = cands[3].dangling = True
    assert _Plan.headline(plan, {HAPPENING: cands}).endswith("…")  # type: ignore[arg-type]
