"""Alert rendering and the safe-HTML helpers, checked against the fake's copy of Telegram's HTML parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.messages import (
    MAX_MESSAGE,
    alert_buttons,
    also_reported,
    bold,
    clean,
    escape,
    format_time,
    link,
    name_list,
    parse_callback,
    render_alert,
    safe_url,
    source_name,
    split_message,
    text_length,
    truncate,
)
from tests.support.telegram_html import parse_html

ARTICLE = {
    "title": "KFOR troops injured in clashes in Zvečan",
    "url": "https://www.example.org/news/kfor?id=1&lang=en",
    "summary": "Thirty NATO-led peacekeepers were injured. Serb protesters clashed with police.",
    "published": 1685455500.0,  # 2023-05-30 14:05 UTC
}


def test_alert_layout():
    alert = render_alert(ARTICLE, feed_name="Balkan Insight", delivery_id=17, story_sources=3)
    assert alert.html == (
        "<b>KFOR troops injured in clashes in Zvečan</b>\n"
        "<i>Balkan Insight · 30 May 2023, 14:05 UTC · 3 sources</i>\n\n"
        "Thirty NATO-led peacekeepers were injured. Serb protesters clashed with police.\n\n"
        '<a href="https://www.example.org/news/kfor?id=1&amp;lang=en">Read on example.org</a>'
    )
    assert alert.plain.endswith("\n\nhttps://www.example.org/news/kfor?id=1&lang=en")
    parsed = parse_html(alert.html)
    assert parsed.entities[0] == {"type": "bold", "offset": 0, "length": len(ARTICLE["title"])}
    assert alert.buttons == ((("More", "more:17"), ("Why?", "why:17"), ("Mute", "mute:17")),)
    markup = alert.markup()
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["more:17", "why:17", "mute:17"]


def test_alert_time_in_the_readers_zone_and_fallbacks():
    alert = render_alert(ARTICLE, feed_name="X", delivery_id=1, timezone="Europe/Belgrade")
    assert "30 May 2023, 16:05 CEST" in alert.html
    assert "14:05 UTC" in render_alert(ARTICLE, feed_name="X", delivery_id=1, timezone="Not/AZone").html
    bare = render_alert(
        {"title": "", "url": "javascript:alert(1)", "first_seen": 0}, feed_name="", delivery_id=1
    )
    assert bare.html.startswith("<b>Untitled article</b>\n<i>Unknown source · 1 Jan 1970, 00:00 UTC</i>")
    assert "<a " not in bare.html and "javascript" not in bare.html


def test_ten_thousand_character_summary_is_cut_cleanly():
    text = 'Police & protesters <clashed> in Zvečan; KFOR said "calm". ' * 200
    alert = render_alert(dict(ARTICLE, summary=text[:10_000]), feed_name="F", delivery_id=1)
    assert text_length(alert.html) <= MAX_MESSAGE and text_length(alert.plain) <= MAX_MESSAGE
    assert text_length(alert.html) > MAX_MESSAGE - 100  # the room was used
    parsed = parse_html(alert.html)
    body = parsed.text.split("\n\n")[1]
    assert body.endswith("…") and not body.endswith(" …")
    assert parsed.text.endswith("Read on example.org")


def test_summary_falls_back_to_text_and_keeps_paragraphs():
    alert = render_alert(
        dict(ARTICLE, summary="", text="First para.\n\n\n\nSecond\x00 para."), feed_name="F", delivery_id=1
    )
    assert "First para.\n\nSecond para." in alert.html


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=600),
    summary=st.text(max_size=12_000),
    feed=st.text(max_size=200),
    url=st.one_of(st.text(max_size=300), st.just('https://e.org/?a=<b>&c="d"')),
    also=st.lists(st.text(max_size=200), max_size=30),
)
def test_any_input_renders_to_something_telegram_accepts(title, summary, feed, url, also):
    alert = render_alert(
        {"title": title, "summary": summary, "url": url}, feed_name=feed, delivery_id=2**40, also=also
    )
    assert text_length(alert.html) <= MAX_MESSAGE
    assert text_length(alert.plain) <= MAX_MESSAGE
    parsed = parse_html(alert.html)
    assert parsed.text.strip()
    alert.html.encode("utf-8")  # no lone surrogates
    assert all(len(data.encode()) <= 64 for row in alert.buttons for _, data in row)


def test_an_alert_names_the_other_outlets_of_its_story():
    alert = render_alert(
        ARTICLE, feed_name="Balkan Insight", delivery_id=17, story_sources=3, also=["AP", "D&W"]
    )
    assert alert.html.startswith(
        "<b>KFOR troops injured in clashes in Zvečan</b>\n"
        "<i>Balkan Insight · 30 May 2023, 14:05 UTC</i>\n"
        "<i>Also reported by AP and D&amp;W</i>\n\n"
    )
    assert "\nAlso reported by AP and D&W\n\n" in alert.plain
    long = render_alert(
        {**ARTICLE, "summary": "word " * 2000}, feed_name="X", delivery_id=1, also=["N" * 300] * 40
    )
    assert "Also reported by 40 outlets: " in long.plain and text_length(long.html) <= MAX_MESSAGE
    parse_html(long.html)


def test_outlet_names_in_a_line():
    assert also_reported([]) == ""
    assert also_reported(["AP"]) == "Also reported by AP"
    assert also_reported(["AP", "BBC", "DW"]) == "Also reported by AP, BBC and DW"
    assert also_reported(["AP", "BBC", "DW", "NYT"]) == "Also reported by 4 outlets: AP, BBC and 2 more"
    assert also_reported(["A" * 50, "B" * 50]).startswith("Also reported by 2 outlets: ")
    assert name_list(["Reuters", "AP", "DW", "BBC", "NYT"]) == "Reuters, AP and 3 more"
    assert name_list(["Reuters", "AP"]) == "Reuters and AP"
    assert name_list(["a\nb", " "]) == "a b"


def test_escape_and_building_blocks():
    hostile = "<script>&amp;\"'\x00\ud800"
    assert escape(hostile) == "&lt;script&gt;&amp;amp;\"'"
    assert parse_html(bold(hostile)).text == "<script>&amp;\"'"
    assert clean("a\x00b\x1bc\nd\te") == "abc\nd\te"
    assert link('https://e.org/?q="x"&y=<1>', "a & b") == (
        '<a href="https://e.org/?q=&quot;x&quot;&amp;y=&lt;1&gt;">a &amp; b</a>'
    )
    assert link("ftp://e.org/x", "label <1>") == "label &lt;1&gt;"
    assert safe_url("https://e.org/a b") is None and safe_url("https:///nohost") is None


def test_truncate_never_cuts_an_entity():
    text = "&&&&& " * 50
    cut = truncate(text, 40, escaped=True)
    assert len(cut) <= 40 and cut.endswith("…")
    assert parse_html(cut).text.startswith("&&&&&")
    assert truncate("short", 10) == "short"


def test_split_message_on_lines_and_inside_long_tags():
    lines = [f"<b>{i}.</b> {escape('item & more <x>')} " + "word " * 20 for i in range(300)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1 and all(text_length(p) <= MAX_MESSAGE for p in parts)
    assert all(p.endswith("word ") for p in parts[:-1])  # cut at line ends
    assert "".join(parse_html(p).text + "\n" for p in parts).count("item & more <x>") == 300
    long_bold = "<b>" + "alpha &amp; beta " * 600 + "</b>"
    parts = split_message(long_bold, limit=1000)
    assert all(text_length(p) <= 1000 and p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert " ".join(parse_html(p).text for p in parts).split() == ["alpha", "&", "beta"] * 600
    assert split_message("short") == ["short"] and split_message("  ") == []


def test_callbacks_and_small_helpers():
    assert alert_buttons(5)[0][1] == ("Why?", "why:5")
    assert parse_callback("mute:12") == ("mute", 12)
    assert (
        parse_callback("mute:x") is None and parse_callback("drop:1") is None and parse_callback(None) is None
    )
    assert format_time(None) == ""
    assert source_name({"name": "", "title": " Reuters\n World "}) == "Reuters World"
    assert source_name({}, "https://www.bbc.co.uk/news/1") == "bbc.co.uk"


_TAGS = ("b", "i", "u", "s", "code", "tg-spoiler")


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(st.tuples(st.sampled_from(_TAGS + ("",)), st.text(max_size=400)), max_size=60),
    limit=st.integers(min_value=200, max_value=MAX_MESSAGE),
)
def test_split_message_parts_always_parse_and_fit(lines, limit):
    source = "\n".join(f"<{tag}>{escape(text)}</{tag}>" if tag else escape(text) for tag, text in lines)
    parts = split_message(source, limit=limit)
    for part in parts:
        assert text_length(part) <= limit
        parse_html(part)
    # Only whitespace at the cuts may go: every other character arrives, in order.
    original = "".join(parse_html(source).text.split())
    assert "".join("".join(parse_html(p).text for p in parts).split()) == original
