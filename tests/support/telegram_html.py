"""Telegram's HTML parse mode, as the Bot API applies it to ``parse_mode=HTML`` text.

The fake Bot API server uses this to refuse what Telegram would refuse ("can't parse entities: ...") and to record
the text as a user would see it. The rules follow tdlib's HTML parser and the Bot API documentation:

* only the tags b strong i em u ins s strike del span(class="tg-spoiler") tg-spoiler a(href) tg-emoji code pre
  blockquote; any other tag, or a bare ``<``, is an error;
* only ``&lt; &gt; &amp; &quot;`` are decoded as named entities, plus numeric ones (``&#39;``, ``&#x27;``); any
  other ``&...`` stays as literal text;
* tags must be closed, in order;
* the message length limit applies to the text after parsing, counted in Unicode code points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """Telegram's "can't parse entities" reason; ``str(e)`` is the text after that prefix."""


@dataclass
class Parsed:
    """Text as the user sees it, with its entities (offsets and lengths in UTF-16 code units, as in the API)."""

    text: str
    entities: list[dict] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of the Bot API's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode the entity starting at ``source[i] == '&'``; None means the '&' is literal text."""
    end = source.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = source[i + 1 : end]
    if body in _NAMED:
        return _NAMED[body], end + 1
    if body.startswith("#"):
        digits = body[1:]
        try:
            code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits, 10)
        except ValueError:
            return None
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), end + 1
    return None


def _decode_text(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&":
            decoded = _decode_entity(raw, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def _parse_attributes(source: str, i: int, tag: str, tag_start: int) -> tuple[dict[str, str], int]:
    """Read attributes up to the closing '>' of a start tag; returns them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(source)
    while True:
        while i < n and source[i] in " \t\r\n":
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
        if source[i] == ">":
            return attrs, i + 1
        if source[i] == "/" and i + 1 < n and source[i + 1] == ">":
            raise HtmlParseError(
                f'Unsupported self-closing tag "{tag}" at byte offset {_byte_offset(source, tag_start)}'
            )
        name_start = i
        while i < n and (source[i].isascii() and (source[i].isalnum() or source[i] in "-_")):
            i += 1
        name = source[name_start:i].lower()
        if not name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(source, tag_start)}'
            )
        while i < n and source[i] in " \t\r\n":
            i += 1
        value = ""
        if i < n and source[i] == "=":
            i += 1
            while i < n and source[i] in " \t\r\n":
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(source, tag_start)}")
            if source[i] in "\"'":
                quote = source[i]
                close = source.find(quote, i + 1)
                if close == -1:
                    raise HtmlParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, tag_start)}'
                    )
                value = _decode_text(source[i + 1 : close])
                i = close + 1
            else:
                value_start = i
                while i < n and source[i] not in " \t\r\n>":
                    i += 1
                value = _decode_text(source[value_start:i])
        attrs.setdefault(name, value)


def parse_html(source: str) -> Parsed:
    """Parse ``source`` the way Telegram does for ``parse_mode=HTML``; raises :class:`HtmlParseError`."""
    out: list[str] = []
    out_len = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, dict[str, str], int]] = []  # tag, utf16 offset, attrs, source index
    entities: list[dict] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                out.append(decoded[0])
                out_len += utf16_len(decoded[0])
                i = decoded[1]
                continue
            out.append("&")
            out_len += 1
            i += 1
            continue
        if ch != "<":
            out.append(ch)
            out_len += 1 if ord(ch) < 0x10000 else 2
            i += 1
            continue
        tag_start = i
        if i + 1 >= n:
            raise HtmlParseError(f"Unexpected end of name token at byte offset {_byte_offset(source, i)}")
        closing = source[i + 1] == "/"
        j = i + 2 if closing else i + 1
        name_start = j
        while j < n and source[j].isascii() and (source[j].isalnum() or source[j] == "-"):
            j += 1
        tag = source[name_start:j].lower()
        if closing:
            while j < n and source[j] in " \t\r\n":
                j += 1
            if j >= n or source[j] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(source, tag_start)}")
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(source, tag_start)}")
            open_tag, start, attrs, _ = stack.pop()
            if tag != open_tag:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, tag_start)}, "
                    f'expected "</{open_tag}>", found "</{tag}>"'
                )
            length = out_len - start
            if length > 0:
                entity: dict = {"type": _ENTITY_TYPE[open_tag], "offset": start, "length": length}
                if open_tag == "a":
                    entity["url"] = attrs.get("href", "")
                if open_tag == "tg-emoji":
                    entity["custom_emoji_id"] = attrs.get("emoji-id", "")
                if open_tag == "pre" and attrs.get("language"):
                    entity["language"] = attrs["language"]
                entities.append(entity)
            i = j + 1
            continue
        if tag not in ALLOWED_TAGS:
            shown = tag or source[i + 1 : i + 2]
            raise HtmlParseError(
                f'Unsupported start tag "{shown}" at byte offset {_byte_offset(source, tag_start)}'
            )
        attrs, i = _parse_attributes(source, j, tag, tag_start)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, tag_start)}'
            )
        if tag == "a" and "href" not in attrs:
            attrs["href"] = ""
        if tag == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlParseError(
                f"Custom emoji identifier must be specified at byte offset {_byte_offset(source, tag_start)}"
            )
        stack.append((tag, out_len, attrs, tag_start))
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(out), entities)


def visible_length(text: str) -> int:
    """What Telegram compares with the 4,096 limit: code points of the text after entity parsing."""
    return len(text)
