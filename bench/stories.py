"""Story grouping: precision and recall on labelled reports, against a TF-IDF baseline, and grouping speed.

    python bench/stories.py --labelled ../shared/stories/uci-news-aggregator-head.csv   # all figures
    python bench/stories.py --no-speed                   # the hand-labelled samples only
    python bench/stories.py --window 100000 --new 2000   # speed with 100k articles in the 48 h window

Everything goes through ``storage.stories.assign_stories``, the poll cycle's own path. Samples
(tests/stories/data): ``pairs.json`` holds real items paired with hand rewrites (positives) and real same-topic
items that are different stories (hard negatives); ``real_events.json`` labels which real items of the feeds in
shared/feeds/real report the same event. ``--labelled`` scores a labelled set of headlines (see
``bench/story_labels.py``) with BCubed and pairwise precision/recall/F1, beside a plain TF-IDF cosine baseline.
"""

from __future__ import annotations

import argparse
import calendar
import itertools
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import feedparser

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import story_labels  # noqa: E402
from feeds.clean import clean_html, clean_title  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.stories import assign_stories, rebuild_story_index  # noqa: E402

NOW = 1_780_000_000.0
DATA = REPO / "tests" / "stories" / "data"
REAL_FEEDS = REPO.parent / "shared" / "feeds" / "real"


@dataclass(frozen=True)
class Item:
    id: str
    feed: str
    title: str
    lead: str
    published: float | None = None


def load_real_items() -> list[Item]:
    """Every entry of the real feeds, cleaned as the ingest pipeline cleans it, with id ``<file stem>#<index>``."""
    items = []
    for path in sorted(REAL_FEEDS.glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        for index, entry in enumerate(parsed.entries):
            body = (
                entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
            )
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            published = float(calendar.timegm(stamp)) if stamp else None
            items.append(
                Item(
                    f"{path.stem}#{index}",
                    path.stem,
                    clean_title(entry.get("title")),
                    clean_html(body),
                    published,
                )
            )
    return items


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    def __str__(self) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        return (
            f"precision {precision:.3f} ({self.tp}/{self.tp + self.fp}), recall {recall:.3f} "
            f"({self.tp}/{self.tp + self.fn}), true negatives {self.tn}"
        )


def pair_sample() -> list[tuple[Item, Item, bool, str]]:
    doc = json.loads((DATA / "pairs.json").read_text(encoding="utf-8"))
    out = []
    for pair in doc["pairs"]:
        a, b = pair["a"], pair["b"]
        feed_a, feed_b = a["id"].split("#")[0], b["id"].split("#")[0]
        # A rewrite stands for another outlet; a real pair keeps its real feeds.
        if pair["same"]:
            feed_b = feed_b + " (other outlet)"
        out.append(
            (
                Item(a["id"], feed_a, a["title"], a["lead"]),
                Item(b["id"], feed_b, b["title"], b["lead"]),
                pair["same"],
                pair["edits"],
            )
        )
    return out


def real_labels() -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """Pairs of real items that report one event, and those that may be grouped (one reports a related event)."""
    doc = json.loads((DATA / "real_events.json").read_text(encoding="utf-8"))
    same: set[frozenset[str]] = set()
    tolerated: set[frozenset[str]] = set()
    for event in doc["events"].values():
        for a, b in itertools.combinations(event["same"], 2):
            same.add(frozenset((a, b)))
        for a, b in itertools.combinations(event["same"] + event["related"], 2):
            tolerated.add(frozenset((a, b)))
    return same, tolerated


def _group(items: list[Item]) -> dict[str, int]:
    """Run the real ``assign_stories`` over ``items`` (one feed row per feed) and return item id -> story id."""
    db = connect(":memory:")
    feed_ids: dict[str, int] = {}
    article_ids: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.feed not in feed_ids:
            cursor = db.execute(
                "INSERT INTO feeds (url, added_at) VALUES (?, 0)",
                [f"https://{len(feed_ids)}.test/{item.feed}"],
            )
            feed_ids[item.feed] = int(cursor.lastrowid or 0)
        cursor = db.execute(
            "INSERT INTO articles (feed_id, guid_hash, url, title, text, published, first_seen) VALUES (?,?,?,?,?,?,?)",
            [
                feed_ids[item.feed],
                str(index),
                f"https://a.test/{index}",
                item.title,
                item.lead,
                item.published,
                NOW,
            ],
        )
        article_ids[item.id] = int(cursor.lastrowid or 0)
    db.conn.commit()
    assign_stories(db, article_ids.values(), now=NOW)
    story = dict(db.execute("SELECT id, story_id FROM articles").fetchall())
    return {item_id: story[article_id] for item_id, article_id in article_ids.items()}


def evaluate_end_to_end() -> None:
    """The same figures through ``assign_stories`` (candidate index, window, grouping order), not just the rule."""
    score = Score()
    for a, b, truth, _ in pair_sample():
        grouped = _group([a, b])
        score.add(truth, grouped[a.id] == grouped[b.id])
    print(f"end to end, hand-built pairs: {score}")

    items = load_real_items()
    same, tolerated = real_labels()
    grouped = _group(items)
    cross = Score()
    for a, b in itertools.combinations(items, 2):
        if a.feed == b.feed:
            continue
        pair = frozenset((a.id, b.id))
        guess = grouped[a.id] == grouped[b.id]
        if guess and pair not in same and pair in tolerated:
            continue
        cross.add(pair in same, guess)
    stories = len(set(grouped.values()))
    print(f"end to end, real feeds ({len(items)} items -> {stories} stories), cross-feed pairs: {cross}")

    # Every real item and its machine rewrite in one database: does the rewrite find its source's story?
    rng = random.Random(11)
    rewrites = {item.id: rewrite(item, rng)[0] for item in items if len(item.title.split()) >= 3}
    grouped = _group(items + list(rewrites.values()))
    joined = sum(1 for source, copy in rewrites.items() if grouped[source] == grouped[copy.id])
    print(f"end to end, machine rewrites joined their source's story: {joined}/{len(rewrites)}")


SUFFIXES = (" - Reuters", " | AP News", " (AFP)", " – BBC News", " - The Guardian")


def rewrite(item: Item, rng: random.Random) -> tuple[Item, str]:
    """The item as another outlet might run the same wire copy: two or three of the edits a desk makes."""
    title, lead, edits = item.title, item.lead, []
    for edit in rng.sample(["reorder", "case", "suffix", "trim", "punctuation"], k=rng.randint(2, 3)):
        if edit == "reorder":
            for sep in (": ", ", ", " - ", " as ", " after "):
                if sep in title:
                    head, _, tail = title.partition(sep)
                    title = f"{tail[:1].upper()}{tail[1:]}{':' if sep == ': ' else ','} {head}"
                    break
            else:
                words = title.split()
                cut = max(1, len(words) // 2)
                title = " ".join(words[cut:] + words[:cut])
        elif edit == "case":
            title = title.upper() if rng.random() < 0.3 else title.title()
        elif edit == "suffix":
            title += rng.choice(SUFFIXES)
        elif edit == "trim":
            sentences = lead.split(". ")
            lead = (
                sentences[0]
                if len(sentences) > 1
                else " ".join(lead.split()[: max(8, len(lead.split()) * 2 // 3)])
            )
        elif edit == "punctuation":
            title = title.replace(",", "").replace("'", "’").replace(":", " -")
            lead = lead.replace(",", " ,").replace('"', "“")
        edits.append(edit)
    return Item(
        item.id + " (rewritten)", item.feed + " (other outlet)", title, lead, item.published
    ), "+".join(edits)


def synthetic_articles(items: list[Item], count: int, seed: int) -> list[tuple[str, str]]:
    """Plausible titles and leads drawn from the real feeds' vocabulary, so band keys collide as they would."""
    rng = random.Random(seed)
    vocabulary = [w for item in items for w in (item.title + " " + item.lead).split()]
    return [
        (
            " ".join(rng.choices(vocabulary, k=rng.randint(6, 14))),
            " ".join(rng.choices(vocabulary, k=rng.randint(20, 45))),
        )
        for _ in range(count)
    ]


def speed(label: str, texts: list[tuple[str, str]], window: int, new: int) -> None:
    """Fill the 48 h window with ``window`` articles through ``assign_stories``, then time ``new`` more; and time
    the rebuild a new process makes of that window (``newsalert poll --once`` beside the running bot)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "bench.db")
        for feed in range(20):
            db.execute(
                "INSERT INTO feeds (url, name, added_at) VALUES (?, ?, 0)",
                [f"https://f{feed}.test/rss", f"F{feed}"],
            )
        rng = random.Random(3)

        def insert(rows: list[tuple[str, str]], first_seen: float, offset: int) -> list[int]:
            ids = []
            for i, (title, lead) in enumerate(rows):
                cursor = db.execute(
                    "INSERT INTO articles (feed_id, guid_hash, url, title, text, first_seen) VALUES (?,?,?,?,?,?)",
                    [
                        rng.randint(1, 20),
                        f"g{offset + i}",
                        f"https://f.test/{offset + i}",
                        title,
                        lead,
                        first_seen,
                    ],
                )
                ids.append(int(cursor.lastrowid or 0))
            db.conn.commit()
            return ids

        start = time.perf_counter()
        batch = 2000
        for offset in range(0, window, batch):
            rows = texts[offset : min(offset + batch, window)]
            seen = NOW - 40 * 3600 + offset * (39 * 3600 / window)
            assign_stories(db, insert(rows, seen, offset), now=seen)
        fill = time.perf_counter() - start
        print(f"speed ({label}): filled the 48 h window with {window} articles in {fill:.1f} s")

        new_ids = insert(texts[window : window + new], NOW, window)
        start, cpu = time.perf_counter(), time.process_time()
        assign_stories(db, new_ids, now=NOW)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stories = db.execute("SELECT COUNT(DISTINCT story_id) FROM articles").fetchone()[0]
        print(
            f"speed ({label}): {new} new articles grouped in {elapsed:.2f} s ({new / elapsed:.0f} articles/s; "
            f"CPU {cpu:.2f} s, {new / cpu:.0f} articles per CPU-second) with {window} articles ({stories} stories) "
            "in the window"
        )
        other = connect(Path(tmp) / "bench.db")
        start, cpu = time.perf_counter(), time.process_time()
        held = rebuild_story_index(other, now=NOW)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"speed ({label}): a new process rebuilt the grouper from {held} articles in {elapsed:.1f} s (CPU {cpu:.1f} s)"
        )


def repeated_headlines(headlines: list[story_labels.Headline], count: int) -> list[tuple[str, str]]:
    """Real headlines, over and over (no lead): copies join their stories, so stories and postings grow long."""
    return [(headlines[i % len(headlines)].title, "") for i in range(count)]


def evaluate_labelled(path: Path) -> list[story_labels.Headline]:
    headlines = story_labels.load(path)
    gold = [h.story for h in headlines]
    start = time.process_time()
    grouped = story_labels.group_through_storage(headlines)
    cpu = time.process_time() - start
    print(
        f"labelled set {path.name}: {len(headlines)} headlines, {len(set(gold))} labelled stories, "
        f"{len({h.publisher for h in headlines})} publishers (grouped in {cpu:.1f} CPU s)"
    )
    ours = story_labels.score(grouped, gold)
    baseline = story_labels.score(story_labels.tfidf_baseline(headlines), gold)
    print(ours.line("newsalert"))
    print(baseline.line("TF-IDF 0.5"))
    return headlines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--labelled", type=Path, help="a labelled CSV of headlines (see bench/story_labels.py)"
    )
    parser.add_argument("--window", type=int, default=100_000, help="articles already in the 48 h window")
    parser.add_argument("--new", type=int, default=2_000, help="new articles to group")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = parser.parse_args()

    items = load_real_items()
    evaluate_end_to_end()
    headlines = evaluate_labelled(args.labelled) if args.labelled else []
    if not args.no_speed:
        speed(
            "synthetic titles and leads",
            synthetic_articles(items, args.window + args.new, seed=7),
            args.window,
            args.new,
        )
        if headlines:
            speed(
                "repeated real headlines",
                repeated_headlines(headlines, args.window + args.new),
                args.window,
                args.new,
            )


if __name__ == "__main__":
    main()
