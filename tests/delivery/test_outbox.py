"""Outbox queries on a real SQLite database made by storage.db."""

from __future__ import annotations

import time

from storage import outbox
from tests.delivery.conftest import add_article, add_subscriber, seed, states


def test_enqueue_is_once_per_chat_and_story(db):
    story_id, article_id = add_article(db)
    add_subscriber(db, 1)
    first = outbox.enqueue(db, 1, story_id, article_id, subscription_id=None, explanation="why")
    assert first is not None
    _, other_article = add_article(db)
    assert outbox.enqueue(db, 1, story_id, other_article) is None  # same story from another feed
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 1
    assert outbox.get_delivery(db, first)["explanation"] == "why"


def test_claim_takes_one_row_per_chat_oldest_first_and_counts_the_attempt(db):
    ids_a = seed(db, [1, 2])
    ids_b = seed(db, [1, 3])
    rows = outbox.claim_due(db, limit=10)
    assert [r["id"] for r in rows] == [ids_a[1], ids_a[2], ids_b[3]]
    assert all(r["state"] == "sending" and r["attempts"] == 1 for r in rows)
    row = rows[0]
    assert row["title"].startswith("KFOR") and row["feed_name"] == "Example News"
    assert row["timezone"] == "UTC" and row["story_sources"] == 1
    # Claimed rows are not claimed again; the chat's next row waits for its turn.
    assert [r["id"] for r in outbox.claim_due(db, limit=10)] == [ids_b[1]]
    assert outbox.claim_due(db, limit=10) == []


def test_claim_respects_limit_exclusions_time_and_subscriber_state(db):
    seed(db, [1, 2, 3])
    now = time.time()
    assert [r["chat_id"] for r in outbox.claim_due(db, limit=1)] == [1]
    assert [r["chat_id"] for r in outbox.claim_due(db, limit=5, exclude_chats=[2])] == [3]
    story_id, article_id = add_article(db)
    add_subscriber(db, 10)
    add_subscriber(db, 11, active=0)
    add_subscriber(db, 12, paused=1)
    add_subscriber(db, 13, muted_until=now + 60)
    add_subscriber(db, 14, muted_until=now - 60)
    later = outbox.enqueue(db, 10, story_id, article_id, next_attempt_at=now + 30, now=now)
    for chat in (11, 12, 13, 14):
        outbox.enqueue(db, chat, story_id, article_id, now=now)
    outbox.enqueue(db, 2, story_id, article_id, mode=outbox.DIGEST)
    assert [r["chat_id"] for r in outbox.claim_due(db, now=now, limit=10)] == [2, 14]
    assert [r["id"] for r in outbox.claim_due(db, now=now + 31, limit=10)] == [later]
    assert outbox.next_due_at(db) is not None


def test_sent_retry_failed_dropped(db):
    ids = seed(db, [1, 2, 3, 4])
    outbox.claim_due(db, limit=10)
    outbox.mark_sent(db, ids[1], 555, now=1000.0)
    outbox.schedule_retry(db, ids[2], at=2000.0, error="TimedOut")
    outbox.schedule_retry(db, ids[3], at=2000.0, error="429", count_attempt=False)
    outbox.mark_failed(db, ids[4], "Bad Request: x" * 100)
    sent, retry, flood, failed = (outbox.get_delivery(db, ids[c]) for c in (1, 2, 3, 4))
    assert (sent["state"], sent["message_id"], sent["sent_at"]) == ("sent", 555, 1000.0)
    assert (retry["state"], retry["attempts"], retry["next_attempt_at"]) == ("pending", 1, 2000.0)
    assert (flood["state"], flood["attempts"]) == ("pending", 0)
    assert failed["state"] == "failed" and len(failed["last_error"]) == 500
    assert outbox.find_by_message(db, 1, 555)["id"] == ids[1]
    assert outbox.find_by_message(db, 2, 555) is None
    assert outbox.latest_sent(db, 1)["id"] == ids[1] and outbox.latest_sent(db, 2) is None
    assert outbox.queue_depth(db) == 2
    assert outbox.sent_last_24h(db, now=1000.0 + 3600) == 1
    assert outbox.sent_last_24h(db, now=1000.0 + 90000) == 0


def test_requeue_sending_after_a_crash(db):
    seed(db, [1, 2, 3])
    claimed = outbox.claim_due(db, limit=2)
    outbox.mark_sent(db, claimed[0]["id"], 1)
    assert states(db) == {"sent": 1, "sending": 1, "pending": 1}
    assert outbox.requeue_sending(db) == 1
    assert states(db) == {"sent": 1, "pending": 2}
    assert {r["chat_id"] for r in outbox.claim_due(db, limit=5)} == {claimed[1]["chat_id"], 3}


def test_deactivate_and_drop(db):
    seed(db, [1, 2])
    seed(db, [1])
    dropped = outbox.deactivate_chat(db, 1, "Forbidden: bot was blocked by the user")
    assert dropped == 2
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = 1").fetchone()[0] == 0
    assert outbox.drop_pending_for_chat(db, 2, "unsubscribed") == 1
    assert states(db) == {"dropped": 3}


def test_migrate_chat_moves_everything_and_merges(db):
    old, new = -5, -1005
    add_subscriber(db, old, timezone="Asia/Tokyo", digest="daily")
    seed(db, [old])
    sent = seed(db, [old])
    outbox.claim_due(db, limit=5)
    outbox.mark_sent(db, sent[old], 9)
    outbox.migrate_chat(db, old, new)
    assert db.execute(
        "SELECT chat_type, timezone, digest FROM subscribers WHERE chat_id = ?", [new]
    ).fetchone() == (
        "supergroup",
        "Asia/Tokyo",
        "daily",
    )
    assert db.execute("SELECT count(*) FROM subscribers WHERE chat_id = ?", [old]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM subscriptions WHERE chat_id = ?", [new]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM deliveries WHERE chat_id = ?", [new]).fetchone()[0] == 2
    # Merging into a chat that already exists keeps its row and unique subscriptions.
    add_subscriber(db, -6)
    db["subscriptions"].insert({"chat_id": -6, "query": f"kosovo{old}", "raw": "kosovo", "created_at": 0})
    outbox.migrate_chat(db, new, -6)
    assert db.execute("SELECT count(*) FROM subscriptions WHERE chat_id = -6").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM subscribers WHERE chat_id = ?", [new]).fetchone()[0] == 0


def test_claimed_rows_count_the_feeds_that_carry_the_story(db):
    story_id, article_id = add_article(db)
    first_feed = db.execute("SELECT feed_id FROM articles WHERE id = ?", [article_id]).fetchone()[0]
    _, other = add_article(db)
    other_feed = db.execute("SELECT feed_id FROM articles WHERE id = ?", [other]).fetchone()[0]
    for feed_id, guid in ((other_feed, "same-story-1"), (first_feed, "same-story-2")):
        db["articles"].insert(
            {"feed_id": feed_id, "guid_hash": guid, "title": "t", "first_seen": 0, "story_id": story_id}
        )
    add_subscriber(db, 1)
    outbox.enqueue(db, 1, story_id, article_id)
    [row] = outbox.claim_due(db)
    assert row["story_sources"] == 2


def test_alert_of_a_removed_feed_is_dropped_not_stuck(db):
    ids = seed(db, [1])
    feed_id = db.execute("SELECT feed_id FROM articles ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
    db.conn.commit()
    assert outbox.claim_due(db, limit=10) == []
    row = outbox.get_delivery(db, ids[1])
    assert row["state"] == "dropped"
    assert "removed" in row["last_error"]
    outbox.requeue_sending(db)
    assert outbox.get_delivery(db, ids[1])["state"] == "dropped"
