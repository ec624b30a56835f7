"""Open the SQLite database and keep its schema current.

The schema is versioned with ``PRAGMA user_version`` and changed only by appending a migration to ``MIGRATIONS``:
a database made by any earlier release is brought up to date at open, one version at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    """The first release's tables."""
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            name TEXT,
            title TEXT,
            site_url TEXT,
            etag TEXT,
            last_modified TEXT,
            interval INTEGER,               -- seconds; NULL means the configured default
            next_check_at REAL NOT NULL DEFAULT 0,
            error_count INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_polled REAL,
            last_success REAL,
            failing_notified INTEGER NOT NULL DEFAULT 0,
            added_at REAL NOT NULL
        );
        CREATE INDEX feeds_next_check ON feeds(next_check_at);

        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL,
            title TEXT NOT NULL,
            url TEXT
        );
        CREATE INDEX stories_last_seen ON stories(last_seen);

        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            guid_hash TEXT NOT NULL,
            url TEXT,
            title TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            published REAL,
            first_seen REAL NOT NULL,
            story_id INTEGER REFERENCES stories(id),
            matched INTEGER NOT NULL DEFAULT 0,  -- 1 once the matcher has seen it (so a crash re-matches it)
            UNIQUE (feed_id, guid_hash)
        );
        CREATE INDEX articles_url ON articles(url);
        CREATE INDEX articles_story ON articles(story_id);
        CREATE INDEX articles_unmatched ON articles(matched) WHERE matched = 0;
        CREATE INDEX articles_first_seen ON articles(first_seen);

        CREATE TABLE subscribers (
            chat_id INTEGER PRIMARY KEY,
            chat_type TEXT NOT NULL DEFAULT 'private',
            title TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at REAL NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            muted_until REAL,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            digest TEXT NOT NULL DEFAULT 'off',   -- off (instant) | hourly | daily
            digest_time TEXT,                     -- HH:MM local time for daily digests
            quiet_start TEXT,                     -- HH:MM local
            quiet_end TEXT
        );

        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL REFERENCES subscribers(chat_id) ON DELETE CASCADE,
            query TEXT NOT NULL,                  -- canonical form
            raw TEXT NOT NULL,                    -- what the user typed
            created_at REAL NOT NULL,
            UNIQUE (chat_id, query)
        );
        CREATE INDEX subscriptions_chat ON subscriptions(chat_id);

        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            story_id INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            subscription_id INTEGER,
            explanation TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'pending',   -- pending | sending | sent | failed | dropped
            mode TEXT NOT NULL DEFAULT 'instant',    -- instant | digest
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            sent_at REAL,
            message_id INTEGER,
            last_error TEXT,
            UNIQUE (chat_id, story_id)
        );
        CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
        CREATE INDEX deliveries_message ON deliveries(chat_id, message_id);
        """
    )
    db.table("articles").enable_fts(
        ["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
    )


def _v2(db: sqlite_utils.Database) -> None:
    """The story grouper's candidate index (derived data for the last 48 hours; see storage.stories)."""
    db.executescript(
        """        CREATE TABLE story_keys (
            key INTEGER NOT NULL,          -- matching.similar.url_key / band_keys of the article
            article_id INTEGER NOT NULL,
            seen REAL NOT NULL,            -- the article's first_seen: the 48-hour window and pruning
            PRIMARY KEY (key, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX story_keys_seen ON story_keys(seen);
        CREATE TABLE story_prints (
            article_id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL,     -- copies of the article's columns, so candidates are read from this small
            feed_id INTEGER NOT NULL,      -- table alone, never from the wide articles rows
            published REAL,
            seen REAL NOT NULL,
            title_words TEXT NOT NULL,     -- matching.similar.Fingerprint.words_text
            lead_words TEXT NOT NULL
        );
        CREATE INDEX story_prints_seen ON story_prints(seen);
        """
    )


def _v3(db: sqlite_utils.Database) -> None:
    """Telegram updates already acted on: PTB confirms an update only with the next getUpdates, so one handled just
    before a crash comes again after restart, and ``/unsubscribe 2`` must not remove a second subscription."""
    db.execute("CREATE TABLE handled_updates (update_id INTEGER PRIMARY KEY, handled_at REAL NOT NULL)")


def _v4(db: sqlite_utils.Database) -> None:
    """Whether the operator vouched for a feed (config file or CLI): only those may live on private addresses
    unless ``allow_private_addresses`` is set. Feeds added from Telegram are not trusted."""
    db.execute("ALTER TABLE feeds ADD COLUMN trusted INTEGER NOT NULL DEFAULT 0")


def _v5(db: sqlite_utils.Database) -> None:
    """One subscription can be silenced while the chat's others still alert (``/mute 2 8h``, "Mute this topic")."""
    db.execute("ALTER TABLE subscriptions ADD COLUMN muted_until REAL")


def _v6(db: sqlite_utils.Database) -> None:
    """How alerts look: an article's image (a photo alert), and per chat link previews, photos and silent
    alerts (``disable_notification``), and silent for one subscription (``/preview``, ``/photos``, ``/silent``).

    One statement at a time (not executescript, which commits first), so the version's change is all or nothing.
    """
    for statement in (
        "ALTER TABLE articles ADD COLUMN image_url TEXT",
        "ALTER TABLE subscribers ADD COLUMN link_preview INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE subscribers ADD COLUMN photos INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE subscribers ADD COLUMN silent INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE subscriptions ADD COLUMN silent INTEGER NOT NULL DEFAULT 0",
    ):
        db.execute(statement)


def _v7(db: sqlite_utils.Database) -> None:
    """The running bot's heartbeat (one row), so ``newsalert status`` in another process (a container's health
    command) can tell a live bot from a stopped or hung one by reading the database alone."""
    db.execute(
        """CREATE TABLE heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            written_at REAL NOT NULL,       -- the bot's clock when it last wrote this row
            healthy INTEGER NOT NULL,       -- the bot's own verdict then (what /healthz said)
            reason TEXT NOT NULL DEFAULT '',
            telegram_ok_at REAL,            -- Telegram's last good answer to getUpdates
            poll_ran_at REAL,               -- the feed loop's last tick
            stopped_at REAL                 -- set by a clean shutdown
        )"""
    )


def _v8(db: sqlite_utils.Database) -> None:
    """What retention (``storage.retention``) remembers of an undated article it deleted, so the feed listing it
    again does not store it as new and alert it a second time."""
    db.execute(
        """CREATE TABLE article_tombstones (
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            guid_hash TEXT NOT NULL,
            gone_at REAL NOT NULL,
            PRIMARY KEY (feed_id, guid_hash)
        ) WITHOUT ROWID"""
    )


def _v9(db: sqlite_utils.Database) -> None:
    """Edits of sent alerts as their story gains outlets ("also reported by"): how many other outlets each sent
    alert names, the edits waiting or last made (see storage.alert_edits), and an index to find a story's alerts."""
    db.executescript(
        """
        ALTER TABLE deliveries ADD COLUMN outlets_shown INTEGER;  -- other outlets the sent message names
        CREATE INDEX deliveries_story ON deliveries(story_id);
        CREATE TABLE alert_edits (
            delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
            state TEXT NOT NULL DEFAULT 'waiting',   -- waiting | editing | done | stopped
            due_at REAL NOT NULL,                    -- not before: the last edit + the interval, or a 429's wait
            changes INTEGER NOT NULL DEFAULT 1,      -- reports noted so far; an edit shows those up to its claim
            claimed_changes INTEGER NOT NULL DEFAULT 0,
            last_edit_at REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX alert_edits_due ON alert_edits(state, due_at);
        """
    )


def _v10(db: sqlite_utils.Database) -> None:
    """The story grouper keeps its candidate index in memory, built from ``articles`` (see storage.stories):
    the tables of the near-duplicate index of migration 2 are no longer read or written."""
    db.execute("DROP TABLE IF EXISTS story_keys")
    db.execute("DROP TABLE IF EXISTS story_prints")


def _v11(db: sqlite_utils.Database) -> None:
    """Re-index an article's full text only when its title or text changes. The trigger ``enable_fts`` made
    fires on every update, so setting ``story_id`` or ``matched`` deleted and re-inserted the article's words in
    ``articles_fts``: most of the SQLite time of grouping an article."""
    db.execute("DROP TRIGGER IF EXISTS articles_au")
    db.execute(
        """CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
             INSERT INTO articles_fts (articles_fts, rowid, title, text)
               VALUES ('delete', old.rowid, old.title, old.text);
             INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
           END"""
    )


def _v12(db: sqlite_utils.Database) -> None:
    """Whether a sent alert went as a photo (its text is a caption): an edit of it is editMessageCaption."""
    db.execute("ALTER TABLE deliveries ADD COLUMN photo INTEGER NOT NULL DEFAULT 0")


def _v13(db: sqlite_utils.Database) -> None:
    """Channels and forum topics (see storage.channels): a channel's @name as last seen, the private chats that
    linked a channel (told once when the bot loses it) and the chat each private chat's commands act on, and the
    forum topic a subscription's alerts go to, copied onto each outbox row so a restart keeps it."""
    for statement in (
        "ALTER TABLE subscribers ADD COLUMN username TEXT",
        "ALTER TABLE subscriptions ADD COLUMN thread_id INTEGER",  # forum topic; NULL: the chat itself
        "ALTER TABLE deliveries ADD COLUMN thread_id INTEGER",
        """CREATE TABLE channel_links (
            channel_id INTEGER NOT NULL REFERENCES subscribers(chat_id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,               -- the admin who linked it, from their private chat
            linked_at REAL NOT NULL,
            lost_told INTEGER NOT NULL DEFAULT 0,   -- 1 once told the bot can no longer post there
            PRIMARY KEY (channel_id, user_id)
        )""",
        "CREATE INDEX channel_links_user ON channel_links(user_id)",
        """CREATE TABLE chat_targets (
            chat_id INTEGER PRIMARY KEY,            -- a private chat whose commands act on another chat
            target_id INTEGER NOT NULL REFERENCES subscribers(chat_id) ON DELETE CASCADE
        )""",
    ):
        db.execute(statement)



def _v14(db: sqlite_utils.Database) -> None:
    """The language the bot speaks to a chat (an ``i18n.languages`` code): taken from Telegram's language_code
    on first contact, changed with ``/language``. NULL until then: chats from before this version are asked
    nothing and get their user's language at their next update."""
    db.execute("ALTER TABLE subscribers ADD COLUMN language TEXT")



MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    _v11,
    _v12,
    _v13,
    _v14,
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` in WAL mode and migrate it to the current schema.

    ``":memory:"`` gives a private in-memory database, for tests and the CLI's dry runs.
    """
    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    # Before anything else: a new file is created in incremental-vacuum mode, so retention can give deleted pages
    # back to the file system (an existing file keeps its mode; see storage.retention.enable_incremental_vacuum).
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")
    # WAL lets the delivery loop read while a poll cycle writes; NORMAL sync is durable across process crashes
    # (kill -9) in WAL mode, which is the failure we design for.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration newer than the database's ``user_version``, in order."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {current} is newer than this newsalert ({SCHEMA_VERSION}); upgrade newsalert"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.conn:
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
