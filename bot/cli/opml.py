"""OPML in and out: the feed lists other readers import and export.

OPML files come from anywhere, so no DTD is honoured: the DOCTYPE is removed before parsing and an ENTITY
declaration anywhere is refused, which leaves expat nothing to expand (no billion laughs, no external files).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

_OPML_DOCTYPE = re.compile(r"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.IGNORECASE | re.DOTALL)
_FEED_ROOTS = {"rss": "an RSS feed", "feed": "an Atom feed", "rdf": "an RDF feed"}


class NotOpmlError(ValueError):
    """Well-formed XML that is not OPML (most often a feed itself); the message says what it is instead."""


def parse_opml(data: bytes) -> list[tuple[str, str | None]]:
    """(xmlUrl, title) of every feed outline in an OPML document, at any depth, in document order.

    Raises :class:`xml.etree.ElementTree.ParseError` for what is not XML, ``ValueError`` for entity
    declarations, and :class:`NotOpmlError` for XML whose root is not ``<opml>``.
    """
    text = data.decode("utf-8-sig", errors="replace")
    text = _OPML_DOCTYPE.sub("", text)
    if re.search(r"<!ENTITY", text, re.IGNORECASE):
        raise ValueError("the file declares XML entities, which OPML never needs")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root = ET.fromstring(text)
    tag = root.tag.rsplit("}", 1)[-1].lower()
    if tag != "opml":
        what = _FEED_ROOTS.get(tag, f"a <{tag}> document")
        hint = ": add a feed with `newsalert feeds add URL`" if tag in _FEED_ROOTS else ""
        raise NotOpmlError(f"it is {what}, not an OPML list of feeds{hint}")
    found: list[tuple[str, str | None]] = []
    for outline in root.iter("outline"):
        attributes = {key.lower(): value for key, value in outline.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if url:
            found.append((url, (attributes.get("title") or attributes.get("text") or "").strip() or None))
    return found


def build_opml(feeds: Iterable[dict[str, Any]]) -> str:
    """An OPML 2.0 document of ``feeds`` (rows with ``url``, ``label`` and ``site_url``)."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = "newsalert feeds"
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed["label"], "title": feed["label"], "xmlUrl": feed["url"]}
        if feed["site_url"]:
            attributes["htmlUrl"] = feed["site_url"]
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
