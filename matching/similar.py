"""What two reports of one story share even when they are different articles: a canonical URL, and a headline
without its source suffix.

Outlets repost a page under tracked, mobile or AMP links (one canonical URL, so one story whatever the words),
and append who ran the story to a headline (" - Reuters"). Story grouping itself is :mod:`stories`; this module
holds the text and URL normalisation it and the storage layer share. Hashes are BLAKE2b, never Python's salted
``hash()``, so keys are the same in every process.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


# A trailing " - Reuters", " | AP News", " (AFP)": who ran the story, not what it is.
_SOURCE_SUFFIX = re.compile(r"\s+(?:[-–—|]\s+[^-–—|:]{1,40}|\([^()]{1,30}\))\s*$")


def strip_source_suffix(title: str) -> str:
    """The title without a trailing attribution of at most three words, if enough title is left to compare."""
    match = _SOURCE_SUFFIX.search(title)
    if match is None or len(match.group().split()) > 4 or len(content_words(title[: match.start()])) < 3:
        return title
    return title[: match.start()]


def _hash64(data: bytes) -> int:
    """A signed 64-bit hash (fits an SQLite INTEGER)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True)


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
