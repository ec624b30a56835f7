"""Near-duplicate detection for news reports: canonical URLs, token fingerprints, MinHash bands.

Two reports are the same story when a wire piece is republished by several outlets: the title is reordered or
re-punctuated, a source suffix (" - Reuters") is added, the lead is trimmed. Those edits keep most *words* and
change their order, so we compare sets of normalised words of the title and the lead rather than strings.

Finding candidates must not compare a new report with every story of the last 48 hours, so each fingerprint also
yields a few MinHash band keys (locality-sensitive hashing): two sets with Jaccard similarity J share at least one
band with probability ``1 - (1 - J**ROWS) ** BANDS``. Only reports that share a band (or a canonical URL) are
compared exactly. Everything here is pure and deterministic: hashes are BLAKE2b with fixed seeds, never Python's salted ``hash()``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# LSH shape: 12 bands of 2 rows over all words. Candidate probability: J=0.3 → 0.67, J=0.4 → 0.88, J=0.5 → 0.97,
# J=0.6 → 0.99. Six more bands over the title words alone find reports whose leads differ in length (one outlet
# trimmed the lead or sent none), which the similarity rule accepts on agreeing titles: title J=0.5 → 0.82,
# J=0.8 → 0.998.
BANDS = 12
TITLE_BANDS = 6
ROWS = 2
LEAD_WORDS = 40

# Thresholds, tuned on tests/stories/data (see bench/stories.py for the measured precision and recall).
SAME_STORY = 0.5
SAME_FEED_STORY = 0.9
TITLE_AGREEMENT = 0.5
MIN_LEAD_WORDS = 5
LEAD_CONTAINMENT = 0.7
CONTAINMENT_WEIGHT = 0.9
MIN_TITLE_WORDS = 3
TITLE_ONLY_WEIGHT = 0.625  # titles alone must agree at 0.8 to reach SAME_STORY
MIN_WORDS = 3

_MERSENNE = (1 << 61) - 1


def _seeded_pairs(count: int) -> tuple[tuple[int, int], ...]:
    """Fixed (a, b) coefficients for the universal hashes ``(a*x + b) mod p`` that simulate permutations."""
    pairs = []
    for i in range(count):
        digest = hashlib.blake2b(f"newsalert-minhash-{i}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (_MERSENNE - 1) + 1
        b = int.from_bytes(digest[8:], "big") % _MERSENNE
        pairs.append((a, b))
    return tuple(pairs)


_PERMUTATIONS = _seeded_pairs((BANDS + TITLE_BANDS) * ROWS)

# Words that carry no story identity in the languages of our feeds; dropping them keeps two unrelated reports
# from looking alike because both say "the", "of" and "in".
_STOPWORD_TEXT = """
    a an and are as at be been but by for from has have he her his in into is it its of on or our she that the
    their them they this to was were will with who what when where which why how not no new says said say after
    over than then there these those about also up out more most just can could would should may might we you
    i me my us your all any some one two its it's amid via vs
    le la les un une des du de et en au aux pour par sur dans est sont qui que ce cette il elle ils
    der die das den dem des ein eine einer und ist sind im mit von zu auf für bei nach aus wie nicht sich
    el los las del y por para con una uno es se al lo como su sus
    il lo gli di da nel nella per con che non una uno si
    o os as do da dos das em no na com um uma e
"""

_FOLD = {"đ": "d", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}


class _Separators(dict[int, str | None]):
    """``str.translate`` table: punctuation, symbols, separators and controls become spaces, combining marks vanish.

    Filled lazily (``__missing__``) because the table spans all of Unicode but a feed uses a few hundred characters.
    """

    def __missing__(self, codepoint: int) -> str | None:
        char = chr(codepoint)
        if char in _FOLD:
            value: str | None = _FOLD[char]
        else:
            category = unicodedata.category(char)
            if category == "Mn":
                value = ""
            elif category[0] in "PSZC":
                value = " "
            else:
                value = char
        self[codepoint] = value
        return value


_SEPARATORS = _Separators()
_APOSTROPHE_S = re.compile(r"['’]s\b")
_THOUSANDS = re.compile(r"(?<=\d)[,.’'](?=\d{3}\b)")  # 5,000 / 5.000 / 5’000 -> 5000


def words(text: str) -> list[str]:
    """Normalised words of ``text``: case- and accent-folded, punctuation removed, stopwords kept.

    Accents are dropped after NFKD so "Zvečan" and "Zvecan" agree; marks of scripts such as Devanagari are dropped
    too, which is harmless because both sides of a comparison are folded the same way.
    """
    text = _THOUSANDS.sub("", _APOSTROPHE_S.sub("", text.casefold()))
    return unicodedata.normalize("NFKD", text).translate(_SEPARATORS).split()


STOPWORDS = frozenset(words(_STOPWORD_TEXT))


def content_words(text: str) -> list[str]:
    """Words of ``text`` that can tell one story from another (no stopwords, no single letters)."""
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What two reports are compared on: content words of the title, of the lead, and of both."""

    title: frozenset[str]
    lead: frozenset[str]
    tokens: frozenset[str]

    @classmethod
    def from_words(cls, title: Iterable[str], lead: Iterable[str]) -> Fingerprint:
        """Rebuild a fingerprint from its words (as stored by ``words_text``)."""
        title_words, lead_words = frozenset(title), frozenset(lead)
        return cls(title=title_words, lead=lead_words, tokens=title_words | lead_words)

    def words_text(self) -> tuple[str, str]:
        """Title and lead words as two space-separated strings: a compact form to store (words never hold spaces)."""
        return " ".join(sorted(self.title)), " ".join(sorted(self.lead))


# A trailing " - Reuters", " | AP News", " (AFP)": who ran the story, not what it is.
_SOURCE_SUFFIX = re.compile(r"\s+(?:[-–—|]\s+[^-–—|:]{1,40}|\([^()]{1,30}\))\s*$")


def strip_source_suffix(title: str) -> str:
    """The title without a trailing attribution of at most three words, if enough title is left to compare."""
    match = _SOURCE_SUFFIX.search(title)
    if match is None or len(match.group().split()) > 4 or len(content_words(title[: match.start()])) < 3:
        return title
    return title[: match.start()]


def fingerprint(title: str, lead: str = "") -> Fingerprint:
    """Fingerprint of a report from its title and the first ``LEAD_WORDS`` content words of its lead text."""
    return Fingerprint.from_words(content_words(strip_source_suffix(title)), content_words(lead)[:LEAD_WORDS])


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _containment(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set found in the larger: what survives when one outlet trims the lead."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Similarity in [0, 1] of two reports.

    When both have a lead, mostly the Jaccard similarity of all their words. A desk trimming the lead of wire copy
    lowers that without changing the story, so when the titles agree and most of the shorter lead is found in the
    longer one, the share of the smaller word set found in the larger counts instead (slightly discounted).

    When either report has (almost) no lead, only the titles can be compared and they must agree closely: titles
    of different stories on one topic differ by a word or two ("US and Iran to meet for second round of nuclear
    talks" / "U.S. and Iran wrap up second round of nuclear talks").
    """
    title_agreement = _jaccard(a.title, b.title)
    if min(len(a.lead), len(b.lead)) < MIN_LEAD_WORDS:
        if min(len(a.title), len(b.title)) < MIN_TITLE_WORDS:
            return 0.0
        return title_agreement * TITLE_ONLY_WEIGHT
    score = _jaccard(a.tokens, b.tokens)
    if title_agreement >= TITLE_AGREEMENT and _containment(a.lead, b.lead) >= LEAD_CONTAINMENT:
        score = max(score, _containment(a.tokens, b.tokens) * CONTAINMENT_WEIGHT)
    return score


def same_story(a: Fingerprint, b: Fingerprint, *, same_feed: bool = False) -> bool:
    """Whether two reports tell the same story. Reports from one feed must be near-identical to merge.

    Fingerprints with fewer than ``MIN_WORDS`` content words ("Live updates", "Briefing") never match on text.
    """
    if len(a.tokens) < MIN_WORDS or len(b.tokens) < MIN_WORDS:
        return False
    if same_feed:
        # One outlet's two URLs are two articles (an update, a follow-up) unless the words are nearly all the same.
        return _jaccard(a.tokens, b.tokens) >= SAME_FEED_STORY
    return similarity(a, b) >= SAME_STORY


def _hash64(data: bytes) -> int:
    """A signed 64-bit hash (fits an SQLite INTEGER)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


def minhash(tokens: frozenset[str], permutations: int = BANDS * ROWS, first: int = 0) -> tuple[int, ...]:
    """MinHash signature of ``tokens``: minima under ``permutations`` simulated random permutations."""
    if not tokens:
        return ()
    bases = [_hash64(t.encode()) & 0x1FFFFFFFFFFFFFFF for t in tokens]
    return tuple(
        min((a * x + b) % _MERSENNE for x in bases) for a, b in _PERMUTATIONS[first : first + permutations]
    )


def _bands(prefix: str, signature: tuple[int, ...]) -> list[int]:
    return [
        _hash64(f"{prefix}{band}:{','.join(map(str, signature[band * ROWS : (band + 1) * ROWS]))}".encode())
        for band in range(len(signature) // ROWS)
    ]


def band_keys(fp: Fingerprint) -> list[int]:
    """LSH keys of a fingerprint: reports sharing one are candidates for an exact comparison."""
    if len(fp.tokens) < MIN_WORDS:
        return []
    keys = _bands("b", minhash(fp.tokens))
    if len(fp.title) >= MIN_WORDS:
        keys += _bands("t", minhash(fp.title, TITLE_BANDS * ROWS, first=BANDS * ROWS))
    return keys


# Query parameters that only track where a click came from; two URLs differing only in these are one page.
_TRACKING_PREFIXES = ("utm_", "at_", "ns_", "mc_", "pk_", "itm_")
_TRACKING_PARAMS = frozenset(
    (
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "cmpid",
        "ref_src",
        "ito",
        "taid",
        "smid",
        "ocid",
    )
)


def canonical_url(url: str) -> str:
    """The URL with what does not identify the page removed, so reposts and tracked links compare equal.

    Lowercases scheme and host, drops "www."/"m."/"amp." host prefixes, the fragment, tracking parameters,
    default ports, a trailing slash and an "/amp" suffix, and sorts the remaining query parameters. http and
    https become one. Not a URL to fetch: only a key to compare.
    """
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
            break
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = re.sub(r"/+", "/", parts.path or "/")
    for suffix in ("/amp", "/amp/", "/"):
        if path.endswith(suffix) and len(path) > len(suffix):
            path = path[: -len(suffix)]
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    )
    scheme = "http" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def url_key(url: str) -> int | None:
    """Index key of a canonical URL; None when there is no URL or it is a site's front page.

    Some feeds link every item to their home page; such a link says nothing about which story an item is.
    """
    canonical = canonical_url(url or "")
    parts = urlsplit(canonical)
    if not canonical or (parts.path in ("", "/") and not parts.query):
        return None
    return _hash64(b"u:" + canonical.encode())
