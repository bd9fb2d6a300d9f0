"""The labelled sentence-role sample: drawing it, writing worksheets for readers, reading the
gold back against the shared data (``bench/roles-rule.md``).

    python bench/roles_data.py sample [--data ../shared/data] [--out DIR]
    python bench/roles_data.py gold --a A.jsonl --b B.jsonl [--adjudicated C.jsonl]

``sample`` draws the sentences and writes, outside the repository, the worksheets readers label
(``DIR/worksheet.jsonl``: each item's key, the story's headlines and leads, the article's date,
the sentence before and the sentence) and the positions (``DIR/positions.json``). ``gold`` merges
two passes (and the adjudication of their disagreements) into ``bench/roles-gold.json``: positions
and labels only, never text (the sets are research-only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coherence import stories  # noqa: E402
from storybrief.records import Article  # noqa: E402
from summarization import default_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "bench" / "roles-gold.json"
PUBLISHED = ROOT / "bench" / "roles-published.json"  # published sentences, one blind pass
LABELS = ("happening", "why", "next", "beyond", "none")
SETS = ("duc2004", "multinews", "neus-val")
PER_SET = 300  # sentences drawn from each set: half uniform, half enriched
MAX_PER_STORY = {"duc2004": 14, "multinews": 5, "neus-val": 3}
SEED = 20261207


def part_of(set_name: str, story: str) -> str:
    """dev (two thirds) or test (one third), by a hash of the story: never by looking."""
    digest = hashlib.sha1(f"{set_name}/{story}".encode()).digest()
    return "test" if digest[0] % 3 == 0 else "dev"


def text_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


@dataclass
class Item:
    set: str
    story: str
    article: int  # position in the story
    sentence: int  # storybrief's sentence index in that article
    start: int  # character offset in the article's text
    hash: str
    stratum: str  # uniform | cued
    part: str
    round: int = 1

    @property
    def key(self) -> str:
        return f"{self.set}/{self.story}/{self.article}/{self.start}"


def statements(article: Article) -> list:
    return [s for s in article.sentences if not s.is_heading and len(s.text.split()) >= 4]


def cued(text: str, position: int, round_: int = 1) -> bool:
    """Round 1: any cue word of the old cue lists for significance, future, background or
    reaction. Round 2: significance, future or background only (not "said": round 1 showed
    nearly every sentence has a reaction cue, so its enriched half was close to uniform)."""
    from storybrief.explain.roles import cue_parts, cue_scores

    scores = cue_scores(text, position)
    if round_ == 1:
        return max(scores.important, scores.next, scores.beyond) > 0
    parts = cue_parts(text)
    return any(
        v > 0 for k, v in parts.items() if k.startswith(("future", "significance", "background"))
    )


ROUND_2 = {"seed": SEED + 2, "uniform": 70, "cued": 130}  # per set


def draw(
    data: Path, round_: int = 1, exclude: set[tuple[str, str, int, int]] = frozenset()
) -> tuple[list[Item], dict[str, dict[str, list[Article]]]]:
    """Round 1: PER_SET sentences a set, half uniform, half cued. Round 2 (after the rule's
    additions): ROUND_2's counts, none drawn before (``exclude``: set, story, article,
    start)."""
    rng = random.Random(SEED if round_ == 1 else ROUND_2["seed"])
    wants = (
        (("uniform", PER_SET // 2), ("cued", PER_SET - PER_SET // 2))
        if round_ == 1
        else (("uniform", ROUND_2["uniform"]), ("cued", ROUND_2["cued"]))
    )
    items: list[Item] = []
    loaded: dict[str, dict[str, list[Article]]] = {}
    for name in SETS:
        loaded[name] = dict(stories(data, name))
        pool = []
        for story, articles in loaded[name].items():
            for pos, article in enumerate(articles):
                for n, s in enumerate(statements(article)):
                    if (name, story, pos, s.start) in exclude:
                        continue
                    pool.append((story, pos, s, cued(s.text, n, round_)))
        rng.shuffle(pool)
        per_story: dict[str, int] = {}  # per round
        taken: set[tuple[str, int, int]] = set()
        for stratum, want in wants:
            got = 0
            for story, pos, s, is_cued in pool:
                if got >= want:
                    break
                if (story, pos, s.index) in taken or (stratum == "cued" and not is_cued):
                    continue
                if per_story.get(story, 0) >= MAX_PER_STORY[name]:
                    continue
                per_story[story] = per_story.get(story, 0) + 1
                taken.add((story, pos, s.index))
                items.append(
                    Item(
                        name,
                        story,
                        pos,
                        s.index,
                        s.start,
                        text_hash(s.text),
                        stratum,
                        part_of(name, story),
                        round_,
                    )
                )
                got += 1
    return items, loaded


def worksheet(item: Item, articles: list[Article]) -> dict:
    article = articles[item.article]
    sentence = next(s for s in article.sentences if s.index == item.sentence)
    before = [s for s in statements(article) if s.index < item.sentence]
    heads = []
    for a in articles[:4]:
        lead = statements(a)[:1]
        heads.append({"title": a.title, "lead": lead[0].text if lead else None})
    return {
        "key": item.key,
        "story_headlines_and_leads": heads,
        "article_date": article.published_at.date().isoformat() if article.published_at else None,
        "sentence_number_in_article": len(before) + 1,
        "sentence_before": before[-1].text if before else None,
        "sentence": sentence.text,
    }


def locate(data: Path, positions: list[dict]) -> Iterator[tuple[dict, list[Article]]]:
    """Each gold item with its story's articles (read from the shared data); an item whose
    sentence no longer hashes the same (a change in sentence splitting) is reported."""
    wanted: dict[str, set[str]] = {}
    for p in positions:
        wanted.setdefault(p["set"], set()).add(p["story"])
    cache = {}
    for name, ids in wanted.items():
        for story, articles in stories(data, name, ids):
            cache[(name, story)] = articles
    for p in positions:
        yield p, cache[(p["set"], p["story"])]


def sentence_of(p: dict, articles: list[Article]):
    """The sentence at a gold item's offset, or None when splitting has moved."""
    for s in articles[p["article"]].sentences:
        if s.start <= p["start"] < s.end:
            return s
    return None


def _read_labels(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        label = row["label"]
        if label not in LABELS:
            raise SystemExit(f"{path}: {row['key']}: label {label!r} is not one of {LABELS}")
        also = row.get("also") or None
        if also is not None and (also not in LABELS[:4] or also == label):
            also = None
        out[row["key"]] = {"label": label, "also": also}
    return out


def merge(positions: Path, a: Path, b: Path, adjudicated: Path | None) -> dict:
    items = json.loads(positions.read_text(encoding="utf-8"))
    pass_a, pass_b = _read_labels(a), _read_labels(b)
    decided = _read_labels(adjudicated) if adjudicated else {}
    out = []
    missing = 0
    for item in items:
        key = f"{item['set']}/{item['story']}/{item['article']}/{item['start']}"
        la, lb = pass_a.get(key), pass_b.get(key)
        if la is None or lb is None:
            missing += 1
            continue
        row = dict({"round": 1}, **item, a=la["label"], b=lb["label"])
        if la["label"] == lb["label"]:
            row["label"] = la["label"]
            row["also"] = la["also"] if la["also"] == lb["also"] else (la["also"] or lb["also"])
        elif key in decided:
            row["label"], row["also"] = decided[key]["label"], decided[key]["also"]
        else:
            missing += 1
            continue
        if row.get("also") is None:
            row.pop("also", None)
        out.append(row)
    if missing:
        print(f"{missing} items without both passes or an adjudication: left out", file=sys.stderr)
    return {
        "rule": "bench/roles-rule.md",
        "note": (
            "Positions only (set, story, article position, storybrief sentence index, character "
            "offset of the sentence in the article's text, sha1 of its whitespace-normalised "
            "text) and labels: a and b are the two independent passes, label the gold (a where "
            "a = b, else the adjudication), also a second section the sentence fully answers. "
            "Stratum: uniform (drawn from all sentences) or cued (round 1: any old cue word; "
            "round 2: a significance, future or background cue). Round 2 was drawn and labelled "
            "after the rule's additions 6-10. Part: dev or test by a hash of the story."
        ),
        "items": out,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--data", type=Path, default=default_data())
    s.add_argument("--out", type=Path, default=Path("/tmp/roles-labelling"))
    s.add_argument("--round", type=int, choices=(1, 2), default=1)
    g = sub.add_parser("gold")
    g.add_argument("--positions", type=Path, default=Path("/tmp/roles-labelling/positions.json"))
    g.add_argument("--a", type=Path, required=True)
    g.add_argument("--b", type=Path, required=True)
    g.add_argument("--adjudicated", type=Path)
    p = sub.add_parser("published")
    p.add_argument("--positions", type=Path, required=True)
    p.add_argument("--labels", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "published":
        labels = _read_labels(args.labels)
        items = []
        for item in json.loads(args.positions.read_text(encoding="utf-8")):
            key = f"{item['set']}/{item['story']}/{item['article']}/{item['start']}"
            if key in labels:
                row = dict(item, label=labels[key]["label"])
                if labels[key]["also"]:
                    row["also"] = labels[key]["also"]
                items.append(row)
        note = (
            "Sentences published under Why/Next/Beyond by the built-in engine before (948b75f) "
            "or after the role model, not in roles-gold.json, labelled in one pass under "
            "bench/roles-rule.md by readers who saw neither the section nor the version "
            "(NeuS val and DUC 2004: every story; Multi-News: half the stories, by a hash). "
            "Positions only. Used to measure answer rates (bench/explainers.py), never to train."
        )
        PUBLISHED.write_text(
            json.dumps({"rule": "bench/roles-rule.md", "note": note, "items": items}).replace(
                '{"set"', '\n{"set"'
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"{len(items)} labelled published sentences -> {PUBLISHED}")
        return 0
    if args.command == "sample":
        exclude: set[tuple[str, str, int, int]] = set()
        if args.round == 2:
            known = json.loads(GOLD.read_text(encoding="utf-8"))["items"]
            exclude = {(i["set"], i["story"], i["article"], i["start"]) for i in known}
        items, loaded = draw(args.data, args.round, exclude)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "positions.json").write_text(
            json.dumps([vars(i) for i in items], indent=0), encoding="utf-8"
        )
        with (args.out / "worksheet.jsonl").open("w", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(worksheet(item, loaded[item.set][item.story])) + "\n")
        print(f"{len(items)} sentences -> {args.out}")
    else:
        gold = merge(args.positions, args.a, args.b, args.adjudicated)
        GOLD.write_text(
            json.dumps(gold, indent=None, separators=(",", ":")).replace('{"set"', '\n{"set"')
            + "\n",
            encoding="utf-8",
        )
        print(f"{len(gold['items'])} labelled sentences -> {GOLD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
