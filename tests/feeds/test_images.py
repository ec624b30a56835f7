"""An item's image (for a photo alert) as feeds give it, stored with the article; agency datelines off summaries."""

from __future__ import annotations

import pytest

from feeds.parse import parse_feed
from storage import articles
from storage import feeds as feed_store
from storage.db import connect

MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'


def rss(item_body: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0" {MEDIA}><channel><title>T</title><link>https://site.test/</link>'
        f"<item><title>Clashes in Zvecan</title><link>https://site.test/news/1</link><guid>1</guid>{item_body}"
        "</item></channel></rss>"
    ).encode()


def image_of(item_body: str) -> str | None:
    [item] = parse_feed(rss(item_body)).items
    return item.image_url


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '<media:content url="https://img.test/small.jpg" width="140" medium="image"/>'
            '<media:content url="https://img.test/big.jpg" width="460" medium="image"/>',
            "https://img.test/big.jpg",
        ),
        ('<media:content url="https://img.test/plain.jpg"/>', "https://img.test/plain.jpg"),
        (
            '<media:content url="https://img.test/clip.mp4" type="video/mp4"/>'
            '<media:thumbnail url="https://img.test/thumb.jpg"/>',
            "https://img.test/thumb.jpg",
        ),
        ('<enclosure url="https://img.test/e.png" type="image/png" length="1"/>', "https://img.test/e.png"),
        ('<enclosure url="https://img.test/podcast.mp3" type="audio/mpeg" length="1"/>', None),
        (
            "<description><![CDATA[<p><img src='https://track.test/p.gif' width='1' height='1'>"
            '<img src="/pics/zvecan.jpg" alt="Zvecan"> Police said.</p>]]></description>',
            "https://site.test/pics/zvecan.jpg",
        ),
        (
            '<description><![CDATA[<meta property="og:image" content="https://img.test/og.jpg">'
            '<img src="https://img.test/inline.jpg"> Police said.]]></description>',
            "https://img.test/og.jpg",
        ),
        ('<description><![CDATA[<img src="data:image/png;base64,AAAA"> Police.]]></description>', None),
        ('<description><![CDATA[<img src="javascript:alert(1)"> Police.]]></description>', None),
        ("<description>Police said the road would reopen.</description>", None),
    ],
    ids=[
        "widest media content",
        "undeclared media content",
        "thumbnail when the media is a video",
        "image enclosure",
        "audio enclosure is no image",
        "first real img, relative src resolved",
        "og:image before inline img",
        "data URL",
        "javascript URL",
        "no image",
    ],
)
def test_the_items_image_is_found(body: str, expected: str | None) -> None:
    assert image_of(body) == expected


def test_the_image_url_is_stored_with_the_article(tmp_path) -> None:
    db = connect(tmp_path / "a.db")
    feed_id = feed_store.add_feed(db, "https://site.test/rss")
    items = parse_feed(rss('<media:thumbnail url="https://img.test/t.jpg"/>')).items
    [article_id] = articles.insert_articles(db, feed_id, items)
    assert articles.get_article(db, article_id)["image_url"] == "https://img.test/t.jpg"
    [other] = articles.insert_articles(
        db,
        feed_id,
        [{"guid_hash": "x", "url": None, "title": "T", "text": "", "summary": "", "published": None}],
    )
    assert articles.get_article(db, other)["image_url"] is None


@pytest.mark.parametrize(
    "dateline",
    ["(CNN)", "(CNN) -- ", "WASHINGTON (Reuters) - ", "LONDON (AP) \u2014 ", "Pristina (AFP) \u2013 "],
)
def test_agency_datelines_are_off_the_summary_a_feed_item_gets(dateline: str) -> None:
    body = f"<description>{dateline}Police said the road to Zvecan would reopen on Monday. It was shut.</description>"
    [item] = parse_feed(rss(body)).items
    assert item.summary.startswith("Police said the road to Zvecan would reopen on Monday.")
