"""Which explainer question a source sentence answers, decided by small learned models.

The cue lists of :mod:`.roles` say what words a role's sentences tend to use; they cannot weigh
one against another, nor tell "will" in a report of what happened from "will" in a plan. This
module turns a sentence and its place in the story into features and scores them with one
logistic regression per section (Why, Next, Beyond), trained on hand-labelled sentences of
real multi-article news (``bench/roles.py train``; the labelling rule is
``bench/roles-rule.md``). Features:

* the cue groups of :mod:`.roles` one by one (future and modality, significance, cause,
  background, reactions), counted outside and inside quotations, and their sums;
* tense and modality (past forms, "has been", "will", "could"), years before the story's year,
  days of the week and months, quotations and whether their speaker is named;
* the sentence's place: position in its article, in-body heading, how central it is to the
  story, whether other articles say the same, whether its article is older than the newest;
* with the ``checker-model`` extra installed, the sentence's MiniLM vector (what it is about,
  beyond its words): a second model, trained the same way, used when the vectors are at hand.

The weights ship inside the package (``role_model.json``, ``role_model_vectors.json``: numbers
only, no text of the data). Inference is one matrix product in numpy. Each section has a
probability threshold, chosen on the dev part of the labels (cross-validated); a sentence
*answers* a section's question when its probability reaches the threshold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib import resources

import numpy as np

from ..records import Article
from .candidates import Candidate
from .roles import ROLES, Role, cue_parts, cue_scores

LABELS: tuple[str, ...] = ("happening", "why", "next", "beyond", "none")
SECTIONS: tuple[str, ...] = ("why", "next", "beyond")  # the labels the model scores
ROLE_OF_LABEL: dict[str, Role] = dict(zip(LABELS[:4], ROLES, strict=True))
LABEL_OF_ROLE: dict[Role, str] = {role: label for label, role in ROLE_OF_LABEL.items()}
FEATURES_VERSION = 1
MODEL_FILE = "role_model.json"
VECTORS_MODEL_FILE = "role_model_vectors.json"
VECTOR_SCALE = 2.0


@dataclass(frozen=True)
class RoleInput:
    """One sentence and what the story says about it."""

    text: str
    position: int  # among its article's statements, from 0
    statements: int  # how many statements its article has
    hint: Role | None = None  # the section its in-body heading or inline label assigns
    hint_strength: float = 0.0
    centrality: float = 0.0  # 0..1 within the story (0 the least central sentence)
    agreement: float = 0.0  # 0..1: other articles say the same
    earlier: bool = False  # its article is a day or more older than the story's newest
    story_year: int | None = None  # the story's newest year (article dates, else years named)


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
EARLIER = timedelta(days=1)  # an article this much older than the story's newest is earlier
_STORY_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")  # a year named as such, not "1990s"
_WEEKDAY = re.compile(r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|march|april|june|july|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.I,
)
_PAST = re.compile(r"\b\w{3,}ed\b|\b(?:was|were|had|did|said|told|came|went|took|made)\b", re.I)
_PERFECT = re.compile(r"\b(?:has|have|had) (?:\w+ )?(?:been|\w+ed|\w+en)\b", re.I)
_MODAL = re.compile(r"\b(?:would|could|might|should|must|may)\b")
_WILL = re.compile(r"\b(?:will|won't|shall)\b|\w'll\b|\bgoing to\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|n't)\b|n't\b", re.I)
_NUMBER = re.compile(r"\d")
_QUOTE = re.compile(r"“[^”]{12,}”|\"[^\"]{12,}\"")
_SPEECH = re.compile(
    r"\b(?:said|says|told|added|stated|argued|warned|insisted|explained|noted|according to)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:i|we|our|us|my)\b", re.I)
_QUESTION = re.compile(r"\?\s*[”\"]?\s*$")

DENSE_NAMES: tuple[str, ...] = (
    "bias_position_first",
    "position_second",
    "position_third",
    "position_log",
    "position_share",
    "words_log",
    "centrality",
    "agreement",
    "earlier_article",
    "hint_happening",
    "hint_why",
    "hint_next",
    "hint_beyond",
    "older_year",
    "much_older_year",
    "later_year",
    "weekday",
    "month",
    "past_forms",
    "perfect",
    "modal",
    "will",
    "negation",
    "numbers",
    "quotation",
    "quotation_attributed",
    "opens_with_quote",
    "speech_verb",
    "first_person",
    "question",
    *(f"cue_{name}" for name in cue_parts("")),
    "cues_happening",
    "cues_why",
    "cues_next",
    "cues_beyond",
)


def dense_features(x: RoleInput) -> list[float]:
    """The named features of :data:`DENSE_NAMES`, in that order."""
    text = x.text
    words = max(1, len(text.split()))
    years = [int(y) for y in _YEAR.findall(text)]
    older = later = much_older = 0.0
    if x.story_year is not None and years:
        older = float(any(y < x.story_year for y in years))
        much_older = float(any(y <= x.story_year - 2 for y in years))
        later = float(any(y > x.story_year for y in years))
    hint = {role: (x.hint_strength if x.hint == role else 0.0) for role in ROLES}
    quoted = bool(_QUOTE.search(text))
    outside = re.sub(r"“[^”]*”|\"[^\"]*\"", " ", text)
    parts = cue_parts(text)
    values = [
        float(x.position == 0),
        float(x.position == 1),
        float(x.position == 2),
        math.log1p(x.position),
        x.position / max(1, x.statements - 1) if x.statements > 1 else 0.0,
        math.log(words),
        x.centrality,
        x.agreement,
        float(x.earlier),
        *(min(hint[role], 3.0) / 3.0 for role in ROLES),
        older,
        much_older,
        later,
        float(bool(_WEEKDAY.search(text))),
        float(bool(_MONTH.search(text))),
        min(len(_PAST.findall(outside)), 4) / 4.0,
        float(bool(_PERFECT.search(outside))),
        float(bool(_MODAL.search(outside))),
        float(bool(_WILL.search(outside))),
        float(bool(_NEGATION.search(outside))),
        min(len(_NUMBER.findall(text)), 6) / 6.0,
        float(quoted),
        float(quoted and bool(_SPEECH.search(outside))),
        float(text.lstrip()[:1] in '“"‘'),
        float(bool(_SPEECH.search(outside))),
        float(bool(_FIRST_PERSON.search(text))),
        float(bool(_QUESTION.search(text))),
        *(min(v, 4.0) / 4.0 for v in parts.values()),
        *(v / 4.0 for v in cue_scores(text, x.position, parts).as_dict().values()),
    ]
    return values


def feature_matrix(inputs: Sequence[RoleInput], vectors: np.ndarray | None = None) -> np.ndarray:
    """Rows of :data:`DENSE_NAMES` features, then (for a model made with them) the sentences'
    MiniLM vectors, doubled (so their weight is on the scale of the other features)."""
    dense = np.array([dense_features(x) for x in inputs], dtype=float).reshape(
        len(inputs), len(DENSE_NAMES)
    )
    if vectors is None:
        return dense
    return np.hstack([dense, VECTOR_SCALE * np.asarray(vectors, dtype=float)])


@dataclass(frozen=True)
class RoleModel:
    """One logistic regression per section (Why, Next, Beyond) over :func:`feature_matrix`."""

    weights: np.ndarray  # (features, 3): why, next, beyond
    bias: np.ndarray  # (3,)
    thresholds: dict[Role, float]  # a role's probability at which a sentence answers it
    vectors: bool  # made with the MiniLM vectors (needs the semantic model to run)
    about: dict

    @classmethod
    def from_json(cls, data: dict) -> RoleModel:
        if data.get("features_version") != FEATURES_VERSION:
            raise ValueError(
                f"role model made for features version {data.get('features_version')}; "
                f"this code has {FEATURES_VERSION}: train it again (bench/roles.py train)"
            )
        if tuple(data["dense_names"]) != DENSE_NAMES or tuple(data["roles"]) != SECTIONS:
            raise ValueError("role model made for other features or roles: train it again")
        return cls(
            weights=np.asarray(data["weights"], dtype=float),
            bias=np.asarray(data["bias"], dtype=float),
            thresholds={ROLE_OF_LABEL[k]: float(v) for k, v in data["thresholds"].items()},
            vectors=bool(data["vectors"]),
            about=data.get("about", {}),
        )

    def to_json(self) -> dict:
        return {
            "features_version": FEATURES_VERSION,
            "dense_names": list(DENSE_NAMES),
            "roles": list(SECTIONS),
            "vectors": self.vectors,
            "weights": np.round(self.weights, 6).tolist(),
            "bias": np.round(self.bias, 6).tolist(),
            "thresholds": {LABEL_OF_ROLE[r]: round(t, 4) for r, t in self.thresholds.items()},
            "about": self.about,
        }

    def probabilities(
        self, inputs: Sequence[RoleInput], vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """(sentences, 4) probabilities that each sentence answers each section's question,
        in :data:`ROLES` order; "What's Happening?" is not the model's to say (0: the engine
        decides it by centrality)."""
        out = np.zeros((len(inputs), len(ROLES)))
        if not inputs:
            return out
        if self.vectors and vectors is None:
            raise ValueError("this role model needs the sentences' MiniLM vectors")
        matrix = feature_matrix(inputs, vectors if self.vectors else None)
        out[:, 1:] = 1.0 / (1.0 + np.exp(-(matrix @ self.weights + self.bias)))
        return out

    def answers(self, probabilities: np.ndarray, role: Role) -> np.ndarray:
        """Which sentences answer ``role``'s question (a boolean per row)."""
        return np.asarray(probabilities[:, ROLES.index(role)] >= self.thresholds[role])


@lru_cache(maxsize=2)
def shipped_model(vectors: bool = False) -> RoleModel:
    """A model that ships with storybrief: on the features alone (``role_model.json``) or
    with the MiniLM sentence vectors too (``role_model_vectors.json``)."""
    name = VECTORS_MODEL_FILE if vectors else MODEL_FILE
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return RoleModel.from_json(json.loads(text))


def role_inputs(
    articles: Sequence[Article],
    usable: Sequence[Candidate],
    centrality: np.ndarray,
    agreement: np.ndarray,
) -> list[RoleInput]:
    """What :mod:`.role_model` is told about each candidate: its text, place in its article,
    heading, centrality and agreement in the story, whether its article is a day or more older
    than the newest, and the story's year (the newest article's, else the latest year the
    sentences name)."""
    dates = [a.published_at for a in articles if a.published_at is not None]
    newest = max(dates) if dates else None
    if newest is not None:
        year: int | None = newest.year
    else:
        named = [int(y) for c in usable for y in _STORY_YEAR.findall(c.text)]
        year = max(named) if named else None
    counts = {
        pos: sum(1 for s in a.sentences if not s.is_heading) for pos, a in enumerate(articles)
    }
    out = []
    for i, c in enumerate(usable):
        when = c.article.published_at
        out.append(
            RoleInput(
                text=c.text,
                position=c.position,
                statements=counts[c.article_pos],
                hint=c.hint,
                hint_strength=c.hint_strength,
                centrality=float(centrality[i]),
                agreement=float(agreement[i]),
                earlier=bool(newest and when and when <= newest - EARLIER),
                story_year=year,
            )
        )
    return out
