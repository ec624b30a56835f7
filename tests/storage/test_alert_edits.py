"""The edits table (migration 6): which alerts a new report of their story marks, and when they become due."""

from __future__ import annotations

import pytest

from storage import alert_edits, outbox
from storage.db import connect

INTERVAL = 300.0


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "e.db")
    with database.conn:
        database.execute("INSERT INTO feeds (id, url, added_at) VALUES (1, 'https://a.test/rss', 0)")
        database.execute("INSERT INTO stories (id, first_seen, last_seen, title) VALUES (1, 0, 0, 't')")
        for article_id in (1, 2, 3):
            database.execute(
                "INSERT INTO articles (id, feed_id, guid_hash, first_seen, story_id) VALUES (?, 1, ?, 0, 1)",
                [article_id, f"g{article_id}"],
            )
        for chat_id in (10, 11, 12, 13):
            database.execute("INSERT INTO subscribers (chat_id, created_at) VALUES (?, 0)", [chat_id])
    yield database
    database.conn.close()


def note(db, article_id: int, now: float) -> int:
    with db.conn:
        return alert_edits.note_report(db, 1, article_id, interval=INTERVAL, now=now)


def test_a_report_marks_the_storys_other_instant_alerts_of_active_chats(db):
    sent = outbox.enqueue(db, 10, 1, 1, now=0)
    outbox.mark_sent(db, sent, 100, now=1, outlets=0)
    digest = outbox.enqueue(db, 11, 1, 1, mode=outbox.DIGEST, now=0)
    blocked = outbox.enqueue(db, 12, 1, 1, now=0)
    outbox.mark_sent(db, blocked, 101, now=1)
    outbox.deactivate_chat(db, 12, "blocked")
    own = outbox.enqueue(db, 13, 1, 2, now=0)  # the new report's own alert
    assert note(db, 2, now=5) == 1
    assert alert_edits.get_edit(db, sent)["state"] == "waiting"
    assert all(alert_edits.get_edit(db, i) is None for i in (digest, blocked, own))
    [row] = alert_edits.claim_due(db, now=5)
    assert row["id"] == sent and row["message_id"] == 100 and row["outlets_shown"] == 0


def test_due_once_the_interval_since_the_last_edit_has_passed(db):
    sent = outbox.enqueue(db, 10, 1, 1, now=0)
    outbox.mark_sent(db, sent, 100, now=1)
    note(db, 2, now=5)
    [row] = alert_edits.claim_due(db, now=5)
    note(db, 3, now=6)  # while the edit is in flight
    alert_edits.finish(db, sent, outlets=1, interval=INTERVAL, now=7)
    edit = alert_edits.get_edit(db, sent)
    assert edit["state"] == "waiting" and edit["due_at"] == 7 + INTERVAL, "the report noted meanwhile waits"
    assert alert_edits.claim_due(db, now=7 + INTERVAL - 1) == []
    assert [r["id"] for r in alert_edits.claim_due(db, now=7 + INTERVAL)] == [sent]
    alert_edits.finish(db, sent, outlets=2, interval=INTERVAL, now=7 + INTERVAL)
    assert alert_edits.get_edit(db, sent)["state"] == "done"
    note(db, 3, now=8 + INTERVAL)
    assert alert_edits.get_edit(db, sent)["due_at"] == 7 + 2 * INTERVAL


def test_stopped_stays_stopped_and_unsent_alerts_stop(db):
    gone = outbox.enqueue(db, 10, 1, 1, now=0)
    outbox.mark_sent(db, gone, 100, now=1)
    failed = outbox.enqueue(db, 11, 1, 1, now=0)
    note(db, 2, now=5)
    alert_edits.claim_due(db, now=5)
    alert_edits.stop(db, gone, "message to edit not found")
    note(db, 3, now=6)
    assert alert_edits.get_edit(db, gone)["state"] == "stopped"
    assert alert_edits.get_edit(db, failed)["state"] == "waiting", "queued: it may still be sent"
    outbox.mark_failed(db, failed, "400")
    assert alert_edits.claim_due(db, now=1000) == []
    assert alert_edits.get_edit(db, failed)["state"] == "stopped"


def test_outlets_are_each_feed_once_in_order_of_first_report(db):
    with db.conn:
        db.execute("INSERT INTO feeds (id, url, name, added_at) VALUES (2, 'https://b.test/rss', 'B', 0)")
        db.execute(
            "INSERT INTO articles (id, feed_id, guid_hash, url, first_seen, story_id) "
            "VALUES (4, 2, 'g4', 'https://b.test/4', -1, 1)"
        )
    assert [o["feed_id"] for o in alert_edits.story_outlets(db, 1)] == [2, 1]
    assert alert_edits.story_outlets(db, 1)[0]["url"] == "https://b.test/4"
