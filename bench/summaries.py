"""Summaries against human references: ROUGE for newsalert, Lead-3, Lead-2 and an oracle, plus what a reader sees.

    python bench/summaries.py --data /work/data/summaries
    python bench/summaries.py --cnndm-csv FILE --frank DIR [--chars 400] [--show 5]

Corpora (see bench/README.md for where to get them; nothing is downloaded here):

- ``cnn_dailymail_validation_subset.csv`` (columns ``article``, ``highlights``): the first 1,000 CNN/DailyMail
  validation articles with their highlights as the reference;
- ``frank-articles-wbertscore-json/*.json`` (FRANK, Pagnoni et al. 2021): 250 CNN/DailyMail test articles (file
  named by a SHA-1, reference ``bart_reference``) and 250 XSum (BBC) test articles (file named by the BBC id,
  reference ``Gold``).

Every system gets the same character budget. Lead-k is the article's first k sentences (raw text, split by
feeds.sentences) cut at the last word that fits; newsalert is what the bot sends (``clean_html`` then
``summarize``); the oracle greedily picks the article's sentences that raise ROUGE-1 + ROUGE-2 against the
reference most, under the same budget, without cutting (an upper bound for any extractive summary). ROUGE is
rouge-score's ROUGE-1/2/L F1 with stemming, ×100, averaged over articles.

Besides ROUGE it counts, for newsalert's summaries: those where a sentence after a gap (its predecessor in the
article not shown) depends on what was skipped (feeds.dependency); those holding page furniture, by a list of
markers kept here, independent of the cleaner's own table; the characters used; and the time per article.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rouge_score import rouge_scorer, tokenizers

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from feeds.clean import clean_html  # noqa: E402
from feeds.dependency import is_dependent  # noqa: E402
from feeds.sentences import split_sentences  # noqa: E402
from feeds.summary import summarize  # noqa: E402

CSV_NAME = "cnn_dailymail_validation_subset.csv"
FRANK_NAME = "frank-articles-wbertscore-json"
# Markers of page furniture a reader should never see in a summary; deliberately plain substrings and simple
# patterns, so the count does not depend on the cleaner's own rules.
FURNITURE = re.compile(
    r"\(CNN\)|\bCNN\s*--|\((?:AP|Reuters|AFP)\)|\(pictured\)|\(left\)|\(right\)|\(centre\)|\(center\)|\(above\)"
    r"|\(file photo\)|\(Image credit|Image copyright|Image caption|Getty Images|Media playback|Share this with"
    r"|Copy this link|Scroll down|Read more|Advertisement|PUBLISHED:|UPDATED:|Last updated|Daily Mail Reporter"
    r"|\bBy \. |\bclick here\b|Follow @|Sign up|Watch the video|Video:|Photo:|Pictured:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sample:
    corpus: str
    id: str
    article: str
    reference: str


@dataclass
class Tally:
    """Per-system ROUGE sums and per-corpus counts of what a reader sees."""

    rouge: dict[str, list[float]] = field(default_factory=dict)
    dependent: int = 0
    furniture: int = 0
    chars: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    examples: list[tuple[str, str]] = field(default_factory=list)


def load_cnndm_csv(path: Path) -> list[Sample]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Sample("cnndm-val", row["id"], row["article"], row["highlights"]) for row in rows]


def load_frank(directory: Path) -> tuple[list[Sample], list[Sample]]:
    cnndm, xsum = [], []
    for path in sorted(directory.glob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        if path.stem.isdigit():
            xsum.append(
                Sample("xsum", path.stem, record["article"], record.get("Gold") or record["reference"])
            )
        else:
            cnndm.append(Sample("cnndm-test", path.stem, record["article"], record["bart_reference"]))
    return cnndm, xsum


def cut_to(text: str, budget: int) -> str:
    """``text`` cut at the last whole word within ``budget`` characters (how Lead-k is made to fit)."""
    text = " ".join(text.split())
    if len(text) <= budget:
        return text
    return text[: budget + 1].rsplit(" ", 1)[0]


def lead(article: str, k: int, budget: int) -> str:
    return cut_to(" ".join(split_sentences(article)[:k]), budget)


class Oracle:
    """Greedy extractive oracle on stemmed unigram and bigram counts (the tokens rouge-score itself uses)."""

    def __init__(self) -> None:
        self.tokenizer = tokenizers.DefaultTokenizer(use_stemmer=True)

    @staticmethod
    def _f1(hyp: Counter[tuple[str, ...]], ref: Counter[tuple[str, ...]]) -> float:
        overlap = sum((hyp & ref).values())
        if not overlap:
            return 0.0
        precision, recall = overlap / sum(hyp.values()), overlap / sum(ref.values())
        return 2 * precision * recall / (precision + recall)

    def _grams(self, tokens: list[str]) -> tuple[Counter[tuple[str, ...]], Counter[tuple[str, ...]]]:
        return Counter((t,) for t in tokens), Counter(zip(tokens, tokens[1:], strict=False))

    def summary(self, sentences: list[str], reference: str, budget: int) -> str:
        ref1, ref2 = self._grams(self.tokenizer.tokenize(reference))
        tokens = [self.tokenizer.tokenize(s) for s in sentences]
        chosen: list[int] = []
        best = 0.0
        length = 0
        while True:
            pick, pick_score = -1, best
            for index, sentence in enumerate(sentences):
                extra = len(sentence) + (1 if chosen else 0)
                if index in chosen or length + extra > budget:
                    continue
                joined = [t for i in sorted([*chosen, index]) for t in tokens[i]]
                h1, h2 = self._grams(joined)
                score = self._f1(h1, ref1) + self._f1(h2, ref2)
                if score > pick_score:
                    pick, pick_score = index, score
            if pick < 0:
                break
            chosen.append(pick)
            length += len(sentences[pick]) + (1 if len(chosen) > 1 else 0)
            best = pick_score
        return " ".join(sentences[i] for i in sorted(chosen))


def gap_dependent(summary: str, article_sentences: list[str]) -> bool:
    """A summary sentence whose predecessor in the article is not shown, and which leans on it (sentences of one
    word, such as a lone quotation mark, are not matched against the summary)."""
    shown = {i for i, sentence in enumerate(article_sentences) if " " in sentence and sentence in summary}
    return any(i > 0 and i - 1 not in shown and is_dependent(article_sentences[i]) for i in shown)


def run(samples: Iterable[Sample], budget: int, show: int) -> dict[str, Tally]:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    oracle = Oracle()
    tallies: dict[str, Tally] = {}
    for sample in samples:
        tally = tallies.setdefault(sample.corpus, Tally())
        started = time.perf_counter()
        text = clean_html(sample.article)
        ours = summarize(text, budget)
        tally.seconds.append(time.perf_counter() - started)
        sentences = split_sentences(text)
        systems = {
            "newsalert": ours,
            "Lead-3": lead(sample.article, 3, budget),
            "Lead-2": lead(sample.article, 2, budget),
            "oracle": oracle.summary(sentences, sample.reference, budget),
        }
        for name, hypothesis in systems.items():
            scores = scorer.score(sample.reference, hypothesis)
            for metric, value in scores.items():
                tally.rouge.setdefault(f"{name} {metric}", []).append(100 * value.fmeasure)
        tally.chars.append(len(ours))
        dependent = gap_dependent(ours, sentences)
        furniture = bool(FURNITURE.search(ours))
        tally.dependent += dependent
        tally.furniture += furniture
        if (dependent or furniture) and len(tally.examples) < show:
            tally.examples.append(("dependent" if dependent else "furniture", ours))
    return tallies


def combined(tallies: dict[str, Tally], prefix: str) -> Tally | None:
    """The tallies of every corpus whose name starts with ``prefix``, pooled (per-article means over all)."""
    parts = [t for name, t in tallies.items() if name.startswith(prefix)]
    if len(parts) < 2:
        return None
    pooled = Tally()
    for part in parts:
        for key, values in part.rouge.items():
            pooled.rouge.setdefault(key, []).extend(values)
        pooled.dependent += part.dependent
        pooled.furniture += part.furniture
        pooled.chars += part.chars
        pooled.seconds += part.seconds
    return pooled


def report(tallies: dict[str, Tally], budget: int) -> None:
    pooled = combined(tallies, "cnndm")
    if pooled:
        tallies = {**tallies, "cnndm (test + val)": pooled}
    for corpus, tally in tallies.items():
        n = len(tally.chars)
        print(f"\n{corpus}: {n} articles, {budget} characters")
        print(f"  {'system':<10} {'R1':>6} {'R2':>6} {'RL':>6}")
        for system in ("newsalert", "Lead-3", "Lead-2", "oracle"):
            r1, r2, rl = (
                statistics.fmean(tally.rouge[f"{system} {m}"]) for m in ("rouge1", "rouge2", "rougeL")
            )
            print(f"  {system:<10} {r1:6.1f} {r2:6.1f} {rl:6.1f}")
        print(f"  dependent opening after a gap: {tally.dependent} ({100 * tally.dependent / n:.1f}%)")
        print(f"  page furniture: {tally.furniture} ({100 * tally.furniture / n:.1f}%)")
        print(f"  characters used: mean {statistics.fmean(tally.chars):.0f} of {budget}")
        ms = sorted(1000 * s for s in tally.seconds)
        print(
            f"  clean + summarise: mean {statistics.fmean(ms):.2f} ms, p95 {ms[int(0.95 * (n - 1))]:.2f} ms"
        )
        for kind, text in tally.examples:
            print(f"    [{kind}] {text}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, help=f"a folder holding {CSV_NAME} and {FRANK_NAME}/")
    parser.add_argument(
        "--cnndm-csv", type=Path, help="CNN/DailyMail CSV with article and highlights columns"
    )
    parser.add_argument("--frank", type=Path, help="FRANK's articles-wbertscore-json folder")
    parser.add_argument("--chars", type=int, default=400, help="the character budget of every system")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles of each corpus")
    parser.add_argument("--show", type=int, default=0, help="print up to N flagged summaries per corpus")
    args = parser.parse_args(argv)
    csv_path = args.cnndm_csv or (args.data / CSV_NAME if args.data else None)
    frank_dir = args.frank or (args.data / FRANK_NAME if args.data else None)
    if not (csv_path and csv_path.exists()) and not (frank_dir and frank_dir.is_dir()):
        parser.error("no corpus found: give --data DIR, or --cnndm-csv FILE and/or --frank DIR")
    corpora: list[list[Sample]] = []
    if frank_dir and frank_dir.is_dir():
        corpora.extend(load_frank(frank_dir))
    if csv_path and csv_path.exists():
        corpora.append(load_cnndm_csv(csv_path))
    samples = [s for corpus in corpora for s in (corpus[: args.limit] if args.limit else corpus)]
    report(run(samples, args.chars, args.show), args.chars)


if __name__ == "__main__":
    main()
