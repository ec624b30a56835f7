"""The fake's copy of Telegram's HTML rules: what it accepts, what it refuses, and what the user sees."""

from __future__ import annotations

import pytest

from tests.support.telegram_html import HtmlParseError, parse_html


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("<b>bold</b> plain", "bold plain"),
        (
            "<strong>a</strong><i>b</i><em>c</em><u>d</u><ins>e</ins><s>f</s><strike>g</strike><del>h</del>",
            "abcdefgh",
        ),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
        ('<a href="https://e.org/?a=1&amp;b=2">link</a>', "link"),
        ("<code>x &lt; y</code><pre>z</pre><blockquote>q</blockquote>", "x < yzq"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&#39;&#x27;&#128512;", "''😀"),
        ("AT&T &nbsp; &copy; & alone", "AT&T &nbsp; &copy; & alone"),  # unknown entities stay literal
        ("a > b", "a > b"),
        ("<B>upper</B>", "upper"),
    ],
)
def test_accepted(source, text):
    assert parse_html(source).text == text


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("a < b", 'Unsupported start tag " " at byte offset 2'),
        ("1<2", 'Unsupported start tag "2"'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br"'),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", "Custom emoji identifier must be specified"),
        ('<a href="x>y', "Unclosed start tag"),
        ("trailing <", "Unexpected end of name token"),
        ("é<p>", "byte offset 2"),  # offsets are in UTF-8 bytes, as Telegram reports them
    ],
)
def test_refused(source, reason):
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source)
    assert reason in str(caught.value)


def test_entities_use_utf16_offsets_and_carry_link_urls():
    parsed = parse_html('😀 <b>bold</b> <a href="https://e.org/?q=&quot;x&quot;">l</a>')
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 1, "url": 'https://e.org/?q="x"'},
    ]


def test_nested_tags_are_all_reported():
    parsed = parse_html("<b>a<i>b</i></b>")
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [
        ("bold", 0, 2),
        ("italic", 1, 1),
    ]
