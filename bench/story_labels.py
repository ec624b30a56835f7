"""Story grouping against a labelled set of headlines: BCubed and pairwise scores, and a TF-IDF cosine baseline.

The labelled set is the UCI News Aggregator slice in ``../shared/stories`` (columns ID, TITLE, URL, PUBLISHER,
CATEGORY, STORY, HOSTNAME, TIMESTAMP). Reports are fed in TIMESTAMP order through ``storage.stories.assign_stories``
as the poll cycle feeds them: each publisher a feed, one call per 5-minute cycle.

TIMESTAMP is when the aggregator crawled a story's page, not when the report was published: every report of one
labelled story lies within about a minute of the others. Nothing here reads it closer than the cycle it falls in,
and the grouper uses time only as the 48-hour window and its "quiet story" penalty (hours), so that artefact does
not hand it the labels.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storage.db import connect
from storage.stories import assign_stories
from stories.text import FUNCTION_WORDS

CYCLE_SECONDS = 300
BASELINE_COSINE = 0.5
BASELINE_WINDOW = 48 * 3600


@dataclass(frozen=True)
class Headline:
    title: str
    url: str
    publisher: str
    story: str
    seen: float  # seconds since the epoch


def load(path: Path) -> list[Headline]:
    """The labelled rows in time order (ties by ID); rows cut short (the file's last) are dropped."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("TIMESTAMP") and r.get("STORY")]
    rows.sort(key=lambda r: (int(r["TIMESTAMP"]), int(r["ID"])))
    return [
        Headline(r["TITLE"], r["URL"], r["PUBLISHER"], r["STORY"], int(r["TIMESTAMP"]) / 1000) for r in rows
    ]


def group_through_storage(headlines: Sequence[Headline]) -> list[int]:
    """Story id of each headline, grouped by the real ``assign_stories`` in 5-minute cycles (each publisher a
    feed), in an in-memory database."""
    db = connect(":memory:")
    feeds: dict[str, int] = {}
    ids: list[int] = []
    batch: list[int] = []
    cycle_end: float | None = None
    for index, item in enumerate(headlines):
        end = (item.seen // CYCLE_SECONDS + 1) * CYCLE_SECONDS
        if cycle_end is not None and end != cycle_end and batch:
            assign_stories(db, batch, now=cycle_end)
            batch = []
        cycle_end = end
        if item.publisher not in feeds:
            cursor = db.execute(
                "INSERT INTO feeds (url, name, added_at) VALUES (?, ?, 0)",
                [f"https://feed{len(feeds)}.test/rss", item.publisher],
            )
            feeds[item.publisher] = int(cursor.lastrowid or 0)
        cursor = db.execute(
            "INSERT INTO articles (feed_id, guid_hash, url, title, published, first_seen) VALUES (?,?,?,?,?,?)",
            [feeds[item.publisher], str(index), item.url, item.title, None, end],
        )
        ids.append(int(cursor.lastrowid or 0))
        batch.append(ids[-1])
    if batch and cycle_end is not None:
        assign_stories(db, batch, now=cycle_end)
    story = dict(db.execute("SELECT id, story_id FROM articles").fetchall())
    return [story[i] for i in ids]


_WORD = re.compile(r"\w+")
_ENGLISH_STOP = FUNCTION_WORDS["english"]


def tfidf_baseline(headlines: Sequence[Headline]) -> list[int]:
    """A plain TF-IDF cosine: title words (English stop words out), IDF over the whole set; each headline joins
    the cluster of its most similar earlier headline within 48 h if their cosine is at least 0.5."""
    docs = [Counter(w for w in _WORD.findall(h.title.lower()) if w not in _ENGLISH_STOP) for h in headlines]
    df = Counter(w for doc in docs for w in doc)
    n = len(docs)
    vectors = []
    for doc in docs:
        vec = {w: tf * math.log(n / df[w]) for w, tf in doc.items()}
        length = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({w: v / length for w, v in vec.items()})
    postings: dict[str, list[int]] = defaultdict(list)
    labels: list[int] = []
    for i, vec in enumerate(vectors):
        dots: Counter[int] = Counter()
        for w, v in vec.items():
            for j in postings[w]:
                if headlines[i].seen - headlines[j].seen <= BASELINE_WINDOW:
                    dots[j] += v * vectors[j][w]
        best = max(dots.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
        labels.append(labels[best[0]] if best and best[1] >= BASELINE_COSINE else i)
        for w in vec:
            postings[w].append(i)
    return labels


@dataclass(frozen=True)
class Scores:
    bcubed: tuple[float, float, float]
    pairwise: tuple[float, float, float]
    clusters: int

    def line(self, name: str) -> str:
        (bp, br, bf), (pp, pr, pf) = self.bcubed, self.pairwise
        return (
            f"{name:>11}: BCubed P {bp:.3f} R {br:.3f} F1 {bf:.3f} | pairwise P {pp:.3f} R {pr:.3f} F1 {pf:.3f}"
            f" | {self.clusters} stories"
        )


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(predicted: Sequence[object], gold: Sequence[object]) -> Scores:
    """BCubed (per item: the share of its predicted story that shares its label, and of its labelled story that
    shares its prediction, averaged) and pairwise (over all pairs of items) precision, recall and F1."""
    by_pred: dict[object, list[int]] = defaultdict(list)
    both = Counter(zip(predicted, gold, strict=True))
    pred_size, gold_size = Counter(predicted), Counter(gold)
    for i, p in enumerate(predicted):
        by_pred[p].append(i)
    n = len(predicted)
    precision = sum(both[(p, g)] / pred_size[p] for p, g in zip(predicted, gold, strict=True)) / n
    recall = sum(both[(p, g)] / gold_size[g] for p, g in zip(predicted, gold, strict=True)) / n

    def pairs(counts: Counter[object]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    true_pairs, pred_pairs, gold_pairs = pairs(both), pairs(pred_size), pairs(gold_size)
    pp = true_pairs / pred_pairs if pred_pairs else 0.0
    pr = true_pairs / gold_pairs if gold_pairs else 0.0
    return Scores((precision, recall, _f1(precision, recall)), (pp, pr, _f1(pp, pr)), len(by_pred))
