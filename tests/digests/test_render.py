"""Digest rendering on its own: any titles, links and subscriptions give messages Telegram's HTML parser accepts,
within the limit, cut only between entries, every story once, newest first within its subscription."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.digest_render import Kind, digest_title, render_digest, row_kind
from alerts.messages import safe_url, text_length
from tests.digests.conftest import utc
from tests.support.telegram_html import parse_html

NOW = utc(2026, 11, 25, 6)

nasty_text = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from("<>&\"'\n\t\x00\ud800😀"),
    max_size=400,
)
urls = st.one_of(
    st.none(),
    st.just("javascript:alert(1)"),
    st.builds(lambda q: f"https://news.example.org/a?{q}", st.text(alphabet='abc&<>"=%', max_size=1600)),
)


@st.composite
def digest_rows(draw):
    count = draw(st.integers(1, 70))
    labels = draw(st.lists(nasty_text, min_size=1, max_size=4))
    rows = []
    for index in range(count):
        sub = draw(st.integers(0, len(labels) - 1))
        rows.append(
            {
                "id": index + 1,
                "chat_id": 1,
                "subscription_id": sub + 1,
                "explanation": draw(
                    st.sampled_from([json.dumps({"subscription": labels[sub]}), "not json", ""])
                ),
                "created_at": NOW - 3600,
                "title": draw(nasty_text),
                "url": draw(urls),
                "published": NOW - draw(st.integers(0, 200_000)),
                "first_seen": NOW - 10,
                "feed_name": draw(nasty_text),
                "story_sources": draw(st.integers(1, 5)),
                "story_outlets": draw(st.one_of(st.none(), st.lists(nasty_text, min_size=1, max_size=8))),
                "timezone": draw(st.sampled_from(["Europe/Kyiv", "UTC", "America/New_York", "Nowhere/Bad"])),
                "digest": "daily",
            }
        )
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=digest_rows(), limit=st.sampled_from([1500, 4096]))
def test_every_part_is_valid_html_within_the_limit_with_whole_entries(rows, limit):
    parts = render_digest(rows, now=NOW, limit=limit)
    ids = [i for part in parts for i in part.delivery_ids]
    assert sorted(ids) == [row["id"] for row in rows], "every story exactly once"
    by_id = {row["id"]: row for row in rows}
    for number, part in enumerate(parts, 1):
        assert text_length(part.html) <= limit and text_length(part.plain) <= limit
        parsed = parse_html(part.html)  # raises as Telegram would refuse it
        part.plain.encode("utf-8")  # sendable
        header = parsed.text.splitlines()[0]
        assert header.startswith("📰 Your daily digest — ")
        assert header.endswith(f"({number}/{len(parts)})") == (len(parts) > 1)
        entries = [line for line in parsed.text.split("\n") if line.startswith("• ")]
        assert len(entries) == len(part.delivery_ids)
        links = [e for e in parsed.entities if e["type"] == "text_link"]
        assert len(links) == sum(1 for i in part.delivery_ids if safe_url(by_id[i]["url"]))
    # Within a subscription, newest first (across parts too).
    for sub in {row["subscription_id"] for row in rows}:
        times = [by_id[i]["published"] for i in ids if by_id[i]["subscription_id"] == sub]
        assert times == sorted(times, reverse=True)


def test_why_a_row_waited():
    base = {"created_at": utc(2026, 11, 24, 21, 30), "timezone": "Europe/Kyiv"}
    quiet = {"quiet_start": "22:00", "quiet_end": "07:00"}
    assert row_kind({**base, "digest": "daily", **quiet}) is Kind.DAILY
    assert row_kind({**base, "digest": "hourly", **quiet}) is Kind.QUIET  # 23:30 local, held till 07:00
    assert row_kind({**base, "digest": "off", **quiet}) is Kind.QUIET
    assert row_kind({**base, "digest": "hourly"}) is Kind.HOURLY
    assert row_kind({**base, "digest": "off"}) is Kind.OVERFLOW
    early = {**base, "created_at": utc(2026, 11, 24, 12)}  # 14:00 local: not quiet
    assert row_kind({**early, "digest": "off", **quiet}) is Kind.OVERFLOW


def test_the_header_names_the_most_telling_reason():
    night = {"created_at": utc(2026, 11, 24, 21, 30), "timezone": "Europe/Kyiv"}
    quiet = {**night, "digest": "off", "quiet_start": "22:00", "quiet_end": "07:00"}
    overflow = {"created_at": NOW - 1800, "timezone": "UTC", "digest": "off"}
    assert digest_title([overflow, quiet], NOW) == "🌙 While you were in quiet hours"
    assert digest_title([{**quiet, "digest": "daily"}, overflow], NOW) == "📰 Your daily digest"
    assert digest_title([overflow], NOW) == "📬 More alerts from the past hour"
    # Overflow rows that waited much longer (settings changed, retries) are not called "the past hour".
    assert digest_title([{**overflow, "created_at": NOW - 6 * 3600}], NOW) == "📬 Alerts held for you"
