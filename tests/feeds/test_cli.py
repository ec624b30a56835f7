"""The ingest CLI: `newsalert poll --once`, `feeds ...`, `summarize`, as a user runs them."""

from __future__ import annotations

import email.utils
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.opml import parse_opml
from bot.cli.progress import Progress
from matching import parse_query
from storage import subscribers, subscriptions
from storage.db import connect
from tests.feeds.conftest import REAL_FEEDS, REPO_ROOT, SEED_ARTICLE, rss
from tests.support.feed_server import FeedServer


def write_config(tmp_path: Path, *feeds: tuple[str, str]) -> Path:
    lines = [f'[storage]\npath = "{tmp_path / "news.db"}"\n', "[polling]\ntimeout_seconds = 3\n"]
    for url, name in feeds:
        lines.append(f'[[feeds]]\nurl = "{url}"\nname = "{name}"\n')
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines))
    return config


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


PUBLISHED = int(time.time()) - 3600


def seed_feed() -> bytes:
    """A feed whose one item is the seed article (the Kosovo clashes), as HTML paragraphs, published an hour ago."""
    paragraphs = "".join(f"<p>{p}</p>" for p in SEED_ARTICLE.read_text("utf-8").split("\n\n"))
    escaped = paragraphs.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Balkan Wire</title>'
        "<item><guid>kfor-2023-05-30</guid><title>KFOR peacekeepers injured in clashes in northern Kosovo</title>"
        "<link>https://example.org/kfor?utm_source=rss</link>"
        f"<pubDate>{email.utils.formatdate(PUBLISHED, usegmt=True)}</pubDate>"
        f"<description>{escaped}</description></item></channel></rss>"
    ).encode()


def test_poll_once_json_as_a_process(tmp_path: Path, feed_server: FeedServer) -> None:
    seed_url = feed_server.set("/seed.xml", seed_feed())
    npr_url = feed_server.set_file("/npr.xml", REAL_FEEDS / "kagi_npr_world.xml")
    config = write_config(tmp_path, (seed_url, "Balkan Wire"), (npr_url, "NPR World"))

    first = run_cli("poll", "--once", "--json", "--config", str(config), cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    records = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(records) == 11
    assert all(
        set(r) == {"feed", "title", "url", "published", "summary", "story", "matched_chats"} for r in records
    )
    assert all(isinstance(r["story"], int) for r in records)
    seed = next(r for r in records if r["feed"] == "Balkan Wire")
    assert seed["url"] == "https://example.org/kfor"
    assert seed["published"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(PUBLISHED))
    assert "KFOR" in seed["summary"] and "injured" in seed["summary"] and len(seed["summary"]) <= 400
    assert seed["matched_chats"] == []
    assert "\r" not in first.stderr and "Traceback" not in first.stderr
    assert "polled 2 feeds: 11 new articles" in first.stderr

    second = run_cli("poll", "--once", "--json", "--config", str(config), cwd=tmp_path)
    assert second.returncode == 0 and second.stdout == ""
    assert "0 new articles, 2 unchanged" in second.stderr


def test_poll_once_reports_the_chats_it_alerted(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.set("/seed.xml", seed_feed())
    config = write_config(tmp_path, (url, "Balkan Wire"))
    db = connect(tmp_path / "news.db")
    subscribers.upsert_subscriber(db, 1001, now=time.time() - 60)
    query = parse_query("kosovo")
    subscriptions.add_subscription(
        db, 1001, query.canonical, "kosovo", max_subscriptions=50, now=time.time() - 60
    )

    assert main(["poll", "--once", "--json", "--config", str(config)]) == 0

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["matched_chats"] for r in records] == [[1001]]
    assert db.execute("SELECT count(*) FROM deliveries WHERE chat_id = 1001").fetchone()[0] == 1


def test_poll_once_plain_output_and_failures(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = feed_server.set("/good.xml", rss(("a", "Alpha story")))
    bad = feed_server.error("/bad.xml", 500)
    config = write_config(tmp_path, (good, "Good"), (bad, "Bad"))
    assert main(["poll", "--once", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("[Good] Alpha story\n  https://example.org/a\n")
    assert f"({bad}) failed: HTTP 500" in err
    assert "1 failed" in err


def test_poll_requires_once(tmp_path: Path) -> None:
    result = run_cli("poll", cwd=tmp_path)
    assert result.returncode == 2 and "--once" in result.stderr


def test_feeds_add_list_remove(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    url = feed_server.set_file("/guardian.xml", REAL_FEEDS / "rssparser_guardian.xml")
    assert main(["feeds", "add", url, "--config", str(config)]) == 0
    db_path = tmp_path / "news.db"
    assert f"added feed 1 to {db_path}: The Guardian, 55 articles stored" in capsys.readouterr().out

    assert main(["feeds", "add", url, "--config", str(config)]) == 1
    assert "already added as feed 1" in capsys.readouterr().err

    assert main(["feeds", "list", "--json", "--config", str(config)]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record == {
        "id": 1,
        "url": url,
        "name": "The Guardian",
        "status": "ok",
        "error_count": 0,
        "last_error": None,
        "articles": 55,
        "last_polled": record["last_polled"],
        "in_config": False,
    }
    assert record["last_polled"] is not None
    assert main(["feeds", "list", "--config", str(config)]) == 0
    assert "The Guardian" in capsys.readouterr().out

    assert main(["feeds", "remove", "1", "--config", str(config)]) == 0
    assert main(["feeds", "remove", "1", "--config", str(config)]) == 1
    assert "no feed with id 1" in capsys.readouterr().err
    assert main(["feeds", "remove", "x", "--config", str(config)]) == 1


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (
            lambda s: s.set(
                "/page", b"<!DOCTYPE html><html><body>Shop</body></html>", content_type="text/html"
            ),
            "HTML page",
        ),
        (lambda s: s.error("/gone.xml", 404), "HTTP 404"),
        (lambda s: s.set("/empty.xml", b""), "empty"),
    ],
)
def test_feeds_add_refuses_what_is_not_a_feed(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str], setup: object, reason: str
) -> None:
    config = write_config(tmp_path)
    url = setup(feed_server)  # type: ignore[operator]
    assert main(["feeds", "add", url, "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1
    assert connect(tmp_path / "news.db").execute("SELECT count(*) FROM feeds").fetchone()[0] == 0


def test_feeds_add_refuses_bad_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["feeds", "add", "ftp://example.org/x", "--config", str(config)]) == 1
    assert "only http and https" in capsys.readouterr().err


def test_opml_import_export_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>'
        '<outline text="World"><outline text="BBC &amp; co" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>'
        '<outline title="DW" xmlurl="https://rss.dw.com/rdf/rss-en-world"/></outline>'
        '<outline text="bad" xmlUrl="javascript:alert(1)"/><outline text="no url"/></body></opml>'
    )
    config = write_config(tmp_path)
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "imported 2 feeds" in out and "1 invalid" in out and "skipped javascript:alert(1)" in err
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    assert "imported 0 feeds" in capsys.readouterr().out

    assert main(["feeds", "export", "--config", str(config)]) == 0
    exported = capsys.readouterr().out
    assert parse_opml(exported.encode()) == [
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC & co"),
        ("https://rss.dw.com/rdf/rss-en-world", "DW"),
    ]


def test_opml_import_is_safe_against_entities(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    laughs = "".join(f'<!ENTITY l{i} "{"&l" + str(i - 1) + ";" * 10 if i else "lol"}">' for i in range(10))
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE opml [{laughs}]><opml><body><outline text="&l9;" xmlUrl="https://x.example/rss"/></body></opml>'
    )
    config = write_config(tmp_path)
    started = time.monotonic()
    assert main(["feeds", "import", str(bomb), "--config", str(config)]) == 1
    assert time.monotonic() - started < 2
    assert "not valid OPML" in capsys.readouterr().err  # the entity is undefined once the DTD is gone
    stray = tmp_path / "stray.opml"
    stray.write_text('<opml><!ENTITY x "y"><body/></opml>')
    assert main(["feeds", "import", str(stray), "--config", str(config)]) == 1
    assert "entities" in capsys.readouterr().err
    assert main(["feeds", "import", str(tmp_path / "missing.opml"), "--config", str(config)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_summarize(tmp_path: Path) -> None:
    result = run_cli("summarize", "--file", str(SEED_ARTICLE), cwd=tmp_path)
    assert result.returncode == 0
    summary = result.stdout.strip()
    assert "Kosovo" in summary and "KFOR" in summary and len(summary) <= 400 and ".." not in summary
    text = run_cli("summarize", "--text", "<p>Short &amp; sweet.</p>", cwd=tmp_path)
    assert text.stdout == "Short & sweet.\n"
    for args, reason in [(("--text", "  "), "empty"), (("--file", "nope.txt"), "cannot read")]:
        failed = run_cli("summarize", *args, cwd=tmp_path)
        assert failed.returncode == 1 and reason in failed.stderr and "Traceback" not in failed.stderr


def test_progress_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Tty(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("polling feeds", stream)
        progress(1, 2)
        progress(2, 2)
        progress.close()
    assert "\rpolling feeds 2/2" in terminal.getvalue()
    assert pipe.getvalue() == ""
