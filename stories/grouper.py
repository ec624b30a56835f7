"""Single-pass story grouping: a new report joins the most similar story of the window above a threshold, or
starts one.

Similarity is the cosine of IDF-weighted terms, taken against the story's centroid and against its best member,
whichever is higher: broad stories are found by their centroid, a report worded like one earlier report by that
report. Candidates are the stories of the reports that share the new report's rarer terms (the window's inverted
index), never a scan of the window. A join is vetoed when the two disagree on what makes an event itself: the
names they state (people, places), a quantity with the same unit ("6.1-magnitude" / "5.2-magnitude"), their
language, or publication times further apart than the window. A report from a feed the story already has needs a
closer match: one outlet's next item on a topic is usually a new development.

Pure and deterministic: the caller feeds reports in the order it stored them and maps story ids to its rows.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from operator import mul

from stories.model import Story
from stories.report import LEAD_WEIGHT, PAIR_WEIGHT, TITLE_WEIGHT, Report
from stories.window import IdfTable, Window

WINDOW_SECONDS = 48 * 3600


@dataclass(frozen=True)
class Settings:
    """The grouper's thresholds (tuned on the UCI News Aggregator slice: see bench/stories.py)."""

    join: float = 0.7  # headline score (cosine and bonuses) against the best member, when one has no lead
    join_lead: float = 0.45  # cosine against the best member when both have a lead
    join_centroid: float = 0.45  # cosine against the centroid
    same_source_margin: float = 0.25  # more, when the story already has a report of this feed
    quiet_penalty: float = 0.5  # more, up to this, the longer the story has been without a new report
    quiet_seconds: float = 6 * 3600  # ... reaching it after this long
    word_bonus: float = 0.1  # per word shared with the member (up to 4)
    pair_bonus: float = 0.05  # per pair of neighbouring words shared (up to 2)
    name_bonus: float = 0.05  # per name shared (up to 2)
    rare_share: float = 0.02  # a term in more than this share of the window finds no candidates
    min_rare_df: int = 50
    lookup_terms: int = 8  # rarest headline terms looked up in the index
    per_term: int = 40  # newest postings read per term
    max_candidates: int = 16  # members compared exactly
    window_seconds: float = WINDOW_SECONDS


class Grouper:
    """The window's reports and their stories. ``place`` says which story a report joins (None: a new one);
    ``add`` records the caller's decision with the story id it stored; ``expire`` moves the window on."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.window = Window()
        self.stories: dict[int, Story] = {}
        self.story_of: dict[int, int] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._urls: dict[int, tuple[int, int]] = {}  # url key -> (story id, report key)
        self._norms: dict[int, tuple[int, float]] = {}  # report key -> (window generation, vector length)

    def __len__(self) -> int:
        return len(self.window)

    def __contains__(self, key: int) -> bool:
        return key in self.story_of

    def place(self, report: Report) -> int | None:
        """The id of the story ``report`` belongs to, or None when it starts a story."""
        if report.url_key is not None and report.url_key in self._urls:
            return self._urls[report.url_key][0]
        best: tuple[float, int] | None = None
        names = self.window.names_of(report)
        idf = self.window.idf_table()
        mine = {term: kind * idf[term] for term, kind in report.terms.items()}
        norm = _norm(mine)
        settings = self.settings
        for story_id, member_margin in self._candidates(report, idf, mine, norm).items():
            story = self.stories[story_id]
            if self._vetoed(report, names, story):
                continue
            centroid = self._centroid_cosine(story, idf, mine, norm)
            margin = max(member_margin, centroid - settings.join_centroid)
            if report.source in story.sources:
                margin -= settings.same_source_margin
            # Reports of one event come close together: a story quiet for hours needs a closer match.
            quiet = max(0.0, report.seen - story.last_seen)
            margin -= settings.quiet_penalty * min(1.0, quiet / settings.quiet_seconds)
            ranked = (margin, -story_id)
            if margin >= 0 and (best is None or ranked > best):
                best = ranked
        return -best[1] if best else None

    def add(self, report: Report, story_id: int) -> None:
        """Record ``report`` as a member of story ``story_id`` (new or existing)."""
        if report.key in self.story_of:
            return
        story = self.stories.get(story_id)
        if story is None:
            story = self.stories[story_id] = Story(story_id, report.language)
        names = self.window.names_of(report)
        story.add(report, names)
        self.window.add(report)
        self.story_of[report.key] = story_id
        self._names[report.key] = names
        if report.url_key is not None:
            self._urls[report.url_key] = (story_id, report.key)

    def expire(self, now: float) -> None:
        """Forget reports first seen more than the window before ``now``, and stories left without members."""
        for report in self.window.expire(now - self.settings.window_seconds):
            story_id = self.story_of.pop(report.key)
            story = self.stories[story_id]
            story.remove(report, self._names.pop(report.key))
            self._norms.pop(report.key, None)
            if not story.members:
                del self.stories[story_id]
            if report.url_key is not None and self._urls.get(report.url_key, (0, 0))[1] == report.key:
                del self._urls[report.url_key]

    # -- scoring ------------------------------------------------------------------------------------------------

    def _candidates(
        self, report: Report, idf: IdfTable, mine: dict[str, float], norm: float
    ) -> dict[int, float]:
        """Story id -> cosine of its most similar member, over the members sharing the report's rarer terms."""
        window, settings = self.window, self.settings
        max_df = max(settings.min_rare_df, settings.rare_share * len(window))
        overlap: dict[int, float] = {}
        get = overlap.get
        df = window.df
        # The rarest headline terms find the candidates: a lead's words are weaker evidence, and a few rare terms
        # are enough to reach every report worth comparing.
        keys = [t for t, kind in report.terms.items() if kind != LEAD_WEIGHT and 0 < df.get(t, 0) <= max_df]
        for term in heapq.nsmallest(settings.lookup_terms, keys, key=df.__getitem__):
            gain = mine[term] * idf[term]
            for key in window.newest_holding(term, settings.per_term):
                overlap[key] = get(key, 0.0) + gain
        # The report's weights times IDF once more: a dot product with a member's kinds is then one product a term.
        mine_idf = {t: w * idf[t] for t, w in mine.items()}
        best: dict[int, float] = {}
        for key in heapq.nlargest(settings.max_candidates, overlap, key=overlap.__getitem__):
            other = window.reports.get(key)
            if other is None:
                continue  # expired, still in a postings list
            terms = other.terms
            shared = [t for t in mine if t in terms]  # in the report's order: sums are the same in every run
            dot = sum(map(mul, map(mine_idf.__getitem__, shared), map(terms.__getitem__, shared)))
            if report.has_lead and other.has_lead:
                rest = -settings.join_lead
            else:
                rest = self._title_bonus(report, other, shared) - settings.join
            length = self._known_norm(key)
            if length is None:
                # The shared terms alone are a lower bound of the member's length, so an upper bound of the
                # cosine: most candidates fall short even so, and their full length (dozens of terms) is not
                # needed. Any negative margin means the same (no join through this member).
                least = math.hypot(*map(mul, map(terms.__getitem__, shared), map(idf.__getitem__, shared)))
                if not least or dot / (norm * least) + rest < 0:
                    best.setdefault(self.story_of[key], -1.0)
                    continue
                length = self._member_norm(key, idf)
            margin = dot / (norm * length) + rest
            story_id = self.story_of[key]
            best[story_id] = max(best.get(story_id, -1.0), margin)
        return best

    def _title_bonus(self, report: Report, other: Report, shared: list[str]) -> float:
        """What two headlines share beyond their cosine, when one has no lead: a headline is a few words, and
        each word (and name, and pair of neighbours) in common is evidence a cosine of so few terms understates."""
        settings = self.settings
        mine, theirs = report.terms, other.terms
        words = [t for t in shared if mine[t] == TITLE_WEIGHT == theirs[t]]
        pairs = sum(1 for t in shared if mine[t] == PAIR_WEIGHT)
        is_name = self.window.is_name
        names = sum(1 for t in words if is_name(t))
        return (
            settings.word_bonus * min(len(words), 4)
            + settings.pair_bonus * min(pairs, 2)
            + settings.name_bonus * min(names, 2)
        )

    def _member_norm(self, key: int, idf: IdfTable) -> float:
        """A member's vector length, recomputed when the window has moved on by a generation (IDF drifts slowly)."""
        cached = self._norms.get(key)
        if cached is None or cached[0] != self.window.generation:
            terms = self.window.reports[key].terms
            length = math.hypot(*map(mul, terms.values(), map(idf.__getitem__, terms)))
            cached = self._norms[key] = (self.window.generation, length or 1.0)
        return cached[1]

    def _known_norm(self, key: int) -> float | None:
        """A member's vector length if it is already known for this generation (None: it would cost a sum)."""
        cached = self._norms.get(key)
        return cached[1] if cached is not None and cached[0] == self.window.generation else None

    def _centroid_cosine(self, story: Story, idf: IdfTable, mine: dict[str, float], norm: float) -> float:
        if len(story.members) < 2:
            return 0.0  # a one-report story's centroid is that report, already compared
        counts = story.counts
        dot = sum(w * counts[t] * idf[t] for t, w in mine.items() if t in counts)
        return dot / (norm * story.norm(idf, self.window.generation))

    def _vetoed(self, report: Report, names: frozenset[str], story: Story) -> bool:
        """Whether the report and the story cannot be one event, whatever their words share."""
        if report.language != story.language or report.seen - story.last_seen > self.settings.window_seconds:
            return True
        if not story.published_near(report.published, self.settings.window_seconds):
            return True
        if names and story.names and not any(name in story.names for name in names):
            return True
        return story.conflicting_quantity(report.quantities)


def _norm(weights: dict[str, float]) -> float:
    return math.hypot(*weights.values()) or 1.0
