-- The first release's schema (newsalert commit cd965fc, storage/db.py _v1), as sqlite_master held it;
-- frozen here so later edits to _v1 cannot hide an upgrade bug. FTS5 shadow tables are made by the virtual table.
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
CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (
    "title", "text",
    tokenize='unicode61 remove_diacritics 2',
    content="articles"
);
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END;
CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
END;
CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END;
