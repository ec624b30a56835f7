"""A digest lists a story once with its outlets ("Example News, Reuters and AP"), however many reports it has."""

from __future__ import annotations

from alerts.fanout import fan_out, load_matcher
from storage import articles
from storage import feeds as feed_store
from tests.digests.conftest import World, sender, utc
from tests.support.telegram_html import parse_html

DUE = utc(2026, 11, 25, 10)
CHAT = 3001


def report(world: World, story_of: int, outlet: str, title: str, *, at: float) -> int:
    """Another outlet's report of the story of article ``story_of``, fanned out like any new article."""
    feed = feed_store.add_feed(world.db, f"https://{outlet.lower()}.example/rss.xml", name=outlet, now=0)
    story_id = articles.get_article(world.db, story_of)["story_id"]
    item = {
        "guid_hash": f"{outlet}-{at}",
        "url": f"https://{outlet.lower()}.example/{int(at)}",
        "title": title,
        "text": title,
        "summary": title,
        "published": at,
    }
    [article_id] = articles.insert_articles(world.db, feed, [item], now=at)
    with world.db.conn:  # the same story, whatever the grouper would say of these test titles
        world.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
    fan_out(world.db, load_matcher(world.db), [article_id], max_age_hours=48, now=at)
    return article_id


async def test_a_story_with_three_reports_is_one_entry_naming_its_outlets(fake, app, db):
    world = World(db)
    world.subscriber(CHAT, at=utc(2026, 11, 20), digest="hourly")
    first = world.publish(world.headline(), at=DUE - 3000)
    report(world, first, "Reuters", world.headline(), at=DUE - 2900)
    report(world, first, "AP", world.headline(), at=DUE - 2800)
    alone = world.headline()
    world.publish(alone, at=DUE - 2000)
    assert len(world.rows(CHAT)) == 2, "one outbox row per story"
    stats = await sender(app, db).send_due(now=DUE)
    assert stats.messages == 1 and stats.stories == 2
    [message] = fake.messages(CHAT)
    assert parse_html(message.raw_text).text == message.text and len(message.text) <= 4096
    assert message.text.startswith("🕐 Your hourly digest — 2 stories\n")
    entries = [line for line in message.text.splitlines() if line.startswith("• ")]
    assert len(entries) == 2, "the three reports are one entry"
    lines = message.text.splitlines()
    assert lines[lines.index(entries[1]) + 1].startswith("   Example News, Reuters and AP · ")
    assert lines[lines.index(f"• {alone}") + 1].startswith("   Example News · ")
    assert "sources" not in message.text


async def test_a_story_with_many_outlets_names_two_and_counts_the_rest(fake, app, db):
    world = World(db)
    world.subscriber(CHAT, at=utc(2026, 11, 20), digest="hourly")
    first = world.publish(world.headline(), at=DUE - 3000)
    for index, outlet in enumerate(["Reuters", "AP", "DW", "BBC"]):
        report(world, first, outlet, world.headline(), at=DUE - 2900 + index)
    await sender(app, db).send_due(now=DUE)
    [message] = fake.messages(CHAT)
    assert "\n   Example News, Reuters and 3 more · " in message.text
    assert len([line for line in message.text.splitlines() if line.startswith("• ")]) == 1
