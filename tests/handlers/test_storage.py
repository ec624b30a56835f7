"""Subscriber and subscription storage: caps, canonical uniqueness, numbering, forgetting and group migration."""

from __future__ import annotations

import pytest

from storage import subscribers, subscriptions
from storage.db import connect


@pytest.fixture
def db():
    database = connect(":memory:")
    yield database
    database.conn.close()


def test_upsert_creates_once_and_keeps_flags(db):
    row, created = subscribers.upsert_subscriber(db, 42, now=100.0)
    assert created and row["active"] == 1 and row["paused"] == 0 and row["created_at"] == 100.0
    subscribers.set_active(db, 42, False)
    row, created = subscribers.upsert_subscriber(db, 42, chat_type="private", title="x", now=200.0)
    assert not created
    assert row["active"] == 0, "a command from a blocked chat must not undo the block by itself"
    assert row["title"] == "x" and row["created_at"] == 100.0


def test_set_active_and_paused_report_changes(db):
    subscribers.upsert_subscriber(db, 1)
    assert subscribers.set_active(db, 1, False) is True
    assert subscribers.set_active(db, 1, False) is False
    assert subscribers.set_active(db, 1, True) is True
    assert subscribers.set_paused(db, 1, True) is True
    assert subscribers.set_paused(db, 1, True) is False
    assert subscribers.get_subscriber(db, 1)["paused"] == 1
    assert subscribers.set_paused(db, 99, True) is False


def test_add_is_unique_per_chat_and_capped(db):
    subscribers.upsert_subscriber(db, 1)
    subscribers.upsert_subscriber(db, 2)
    first = subscriptions.add_subscription(db, 1, "kosovo", "Kosovo", max_subscriptions=2, now=10.0)
    assert first.status == "added" and first.count == 1 and first.subscription["raw"] == "Kosovo"
    again = subscriptions.add_subscription(db, 1, "kosovo", "KOSOVO", max_subscriptions=2)
    assert again.status == "exists" and again.subscription["id"] == first.subscription["id"]
    assert subscriptions.add_subscription(db, 2, "kosovo", "kosovo", max_subscriptions=2).status == "added"
    assert subscriptions.add_subscription(db, 1, "serbia", "serbia", max_subscriptions=2).status == "added"
    full = subscriptions.add_subscription(db, 1, "nato", "nato", max_subscriptions=2)
    assert full.status == "limit" and full.subscription is None and full.count == 2
    assert subscriptions.add_subscription(db, 1, "kosovo", "kosovo", max_subscriptions=2).status == "exists"
    assert subscriptions.count_subscriptions(db, 1) == 2


def test_remove_by_number_follows_list_order(db):
    subscribers.upsert_subscriber(db, 1)
    for q in ("a", "b", "c"):
        subscriptions.add_subscription(db, 1, q, q, max_subscriptions=10)
    assert [s["query"] for s in subscriptions.list_subscriptions(db, 1)] == ["a", "b", "c"]
    assert subscriptions.remove_by_number(db, 1, 2)["query"] == "b"
    assert subscriptions.remove_by_number(db, 1, 3) is None
    assert subscriptions.remove_by_number(db, 1, 0) is None
    assert subscriptions.remove_by_number(db, 1, 2)["query"] == "c"
    assert [s["query"] for s in subscriptions.list_subscriptions(db, 1)] == ["a"]


def test_remove_by_query_and_id_only_touch_own_chat(db):
    subscribers.upsert_subscriber(db, 1)
    subscribers.upsert_subscriber(db, 2)
    mine = subscriptions.add_subscription(db, 1, "x", "x", max_subscriptions=10).subscription
    theirs = subscriptions.add_subscription(db, 2, "x", "x", max_subscriptions=10).subscription
    assert subscriptions.remove_subscription(db, 1, theirs["id"]) is None
    assert subscriptions.remove_by_query(db, 1, "y") is None
    assert subscriptions.remove_by_query(db, 1, "x")["id"] == mine["id"]
    assert subscriptions.remove_subscription(db, 1, mine["id"]) is None
    assert subscriptions.count_subscriptions(db, 2) == 1


def test_all_subscriptions_for_the_matcher(db):
    subscribers.upsert_subscriber(db, 1)
    subscribers.upsert_subscriber(db, 2)
    a = subscriptions.add_subscription(db, 1, "a", "a", max_subscriptions=10).subscription
    b = subscriptions.add_subscription(db, 2, "b", "b", max_subscriptions=10).subscription
    subscribers.set_active(db, 2, False)
    subscribers.set_paused(db, 1, True)
    assert list(subscriptions.all_subscriptions(db)) == [(a["id"], "a"), (b["id"], "b")]


def test_forget_removes_everything_and_drops_pending(db):
    subscribers.upsert_subscriber(db, 1)
    sub = subscriptions.add_subscription(db, 1, "a", "a", max_subscriptions=10).subscription
    db.execute(
        "INSERT INTO deliveries (chat_id, story_id, article_id, state, created_at) VALUES (1, 1, 1, 'pending', 0)"
    )
    db.execute(
        "INSERT INTO deliveries (chat_id, story_id, article_id, state, created_at) VALUES (1, 2, 2, 'sent', 0)"
    )
    db.conn.commit()
    assert subscribers.forget_subscriber(db, 1) == [sub["id"]]
    assert subscribers.get_subscriber(db, 1) is None
    assert subscriptions.list_subscriptions(db, 1) == []
    states = [r[0] for r in db.execute("SELECT state FROM deliveries ORDER BY story_id")]
    assert states == ["dropped", "sent"]
    assert subscribers.forget_subscriber(db, 1) == []


def test_update_settings_only_touches_settings(db):
    subscribers.upsert_subscriber(db, 1)
    row = subscribers.update_settings(db, 1, timezone="Europe/Kyiv", digest="daily", digest_time="08:00")
    assert (row["timezone"], row["digest"], row["digest_time"]) == ("Europe/Kyiv", "daily", "08:00")
    assert subscribers.update_settings(db, 1, quiet_start=None, quiet_end=None)["quiet_start"] is None
    with pytest.raises(ValueError, match="active"):
        subscribers.update_settings(db, 1, active=0)
    assert subscribers.update_settings(db, 2, timezone="UTC") is None


def test_counts(db):
    assert subscribers.counts(db) == {"active": 0, "inactive": 0, "paused": 0, "subscriptions": 0}
    for chat in (1, 2, 3):
        subscribers.upsert_subscriber(db, chat)
        subscriptions.add_subscription(db, chat, "a", "a", max_subscriptions=5)
    subscriptions.add_subscription(db, 1, "b", "b", max_subscriptions=5)
    subscribers.set_active(db, 2, False)
    subscribers.set_paused(db, 3, True)
    assert subscribers.counts(db) == {"active": 2, "inactive": 1, "paused": 1, "subscriptions": 4}
