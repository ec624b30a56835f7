"""URL hygiene: validate feed URLs and give articles one canonical URL.

The same article reaches us with different tracking decorations (``?utm_source=twitter``, ``#comments``), and the
stories grouping and the ``articles_url`` index only work if those copies compare equal, so every stored article
URL goes through :func:`canonical_url` first.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only say how a reader arrived, never which page it is.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "ncid",
        "ito",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "soc_src",
        "soc_trk",
        "ref",
        "ref_src",
        "smid",
        "cmp",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "guccounter",
        "__twitter_impression",
        "spm",
        "ftag",
        "intcmp",
        "xtor",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__s", "oly_", "vero_")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _is_tracking(name: str) -> bool:
    lower = name.lower()
    return lower in _TRACKING_EXACT or lower.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters or fragment, with scheme and host lower-cased and default port dropped.

    Path and the remaining query keep their case and order: sites do treat them as case-sensitive. Anything that
    is not an absolute http(s) URL is returned stripped but otherwise untouched (some feeds put a guid in the link).
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and str(port) != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


class FeedUrlError(ValueError):
    """A feed URL we will not fetch; the message says why in one line."""


def _looks_like_a_host(host: str) -> bool:
    """A domain name with a dot, ``localhost`` or an IP address: what a bare word typed as a URL never is."""
    return "." in host.strip(".") or ":" in host or host == "localhost"


def normalize_feed_url(url: str) -> str:
    """Validate a URL someone wants to poll: absolute http(s) with a host, no credentials, surrounding space off.

    Credentials are refused because they would end up in logs, ``feeds list`` and OPML exports.
    """
    url = url.strip()
    if not url:
        raise FeedUrlError("the feed URL is empty")
    guessed_scheme = "://" not in url
    if guessed_scheme:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise FeedUrlError(f"not a valid URL: {exc}") from None
    if guessed_scheme and not _looks_like_a_host(parts.hostname or ""):
        # `example.org/rss` is a feed address typed without its scheme; `notaurl` is a typo, not a host to try.
        raise FeedUrlError("not a feed address: give the whole URL, like https://example.org/rss.xml")
    if parts.scheme.lower() not in ("http", "https"):
        raise FeedUrlError(f"only http and https feeds are supported, not {parts.scheme}:")
    if not parts.hostname:
        raise FeedUrlError("the URL has no host name")
    if parts.username or parts.password:
        raise FeedUrlError("URLs with a user name or password are not accepted")
    if any(ch.isspace() for ch in url):
        raise FeedUrlError("the URL contains spaces")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))
