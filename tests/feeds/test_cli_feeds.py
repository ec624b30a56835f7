"""`newsalert feeds ...` as a new operator meets it: the config's feeds listed, honest statuses, refusals in one
line, the database named, and ``--chat`` reaching the database ``newsalert chat`` uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import connect
from tests.feeds.conftest import REAL_FEEDS, REPO_ROOT, rss
from tests.support.feed_server import FeedServer


def config_file(tmp_path: Path, *urls: str, storage: str = "") -> Path:
    lines = [f'[storage]\npath = "{tmp_path / "news.db"}"\n{storage}', "[polling]\ntimeout_seconds = 3"]
    lines += [f'[[feeds]]\nurl = "{url}"\nname = "Config feed {n}"' for n, url in enumerate(urls)]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def feeds_json(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    assert main(["feeds", "list", "--json", "--config", str(config), *extra]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def count_feeds(db_path: Path) -> int:
    db = connect(db_path)
    try:
        return int(db.execute("SELECT count(*) FROM feeds").fetchone()[0])
    finally:
        db.conn.close()


def test_list_on_a_fresh_database_shows_the_config_feeds_as_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_file(tmp_path, "https://a.example.org/rss", "https://b.example.org/atom")
    assert main(["feeds", "list", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "no feeds yet" not in out + err
    assert f"database: {tmp_path / 'news.db'}" in err
    lines = [line for line in out.splitlines() if "Config feed" in line]
    assert len(lines) == 2 and all("new" in line and "never" in line and "(config)" in line for line in lines)
    records = feeds_json(config, capsys)
    assert [(r["url"], r["status"], r["in_config"]) for r in records] == [
        ("https://a.example.org/rss", "new", True),
        ("https://b.example.org/atom", "new", True),
    ]


def test_a_feed_that_fails_is_new_until_polled_then_an_error(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = feed_server.error("/gone.xml", 404)
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<opml version="2.0"><body><outline text="Gone" xmlUrl="{gone}"/></body></opml>')
    config = config_file(tmp_path)
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    assert f"into {tmp_path / 'news.db'}" in capsys.readouterr().out
    assert [r["status"] for r in feeds_json(config, capsys)] == ["new"]
    assert main(["poll", "--once", "--config", str(config)]) == 0
    capsys.readouterr()
    (record,) = feeds_json(config, capsys)
    assert record["status"] == "error" and record["last_error"].startswith("HTTP 404")


def test_import_of_a_feed_instead_of_opml_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = tmp_path / "world.xml"
    feed.write_bytes((REAL_FEEDS / "kagi_npr_world.xml").read_bytes())
    empty = tmp_path / "empty.opml"
    empty.write_text('<opml version="2.0"><body><outline text="a folder"/></body></opml>')
    config = config_file(tmp_path)
    assert main(["feeds", "import", str(feed), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"newsalert: {feed} is not an OPML file: it is an RSS feed, not an OPML list of feeds: "
        "add a feed with `newsalert feeds add URL`\n"
    )
    assert main(["feeds", "import", str(empty), "--config", str(config)]) == 1
    assert "lists no feeds" in capsys.readouterr().err
    assert count_feeds(tmp_path / "news.db") == 0


@pytest.mark.parametrize("url", ["notaurl", "not a url"])
def test_what_is_not_a_url_is_refused_on_the_command_line_and_in_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    assert main(["feeds", "add", url, "--config", str(config_file(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"newsalert: cannot add {url}: not a feed address: give the whole URL, like https://example.org/rss.xml\n"
    )
    assert main(["feeds", "list", "--config", str(config_file(tmp_path, url))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsalert: config key feeds[0].url: not a feed address") and err.count("\n") == 1


def test_random_bytes_are_refused_with_a_sentence(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.set("/noise", bytes(range(1, 256)) * 8, content_type="application/octet-stream")
    assert main(["feeds", "add", url, "--config", str(config_file(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert "<unknown>" not in err and "the response is not XML" in err and err.count("\n") == 1
    assert count_feeds(tmp_path / "news.db") == 0


def test_removing_a_config_feed_points_at_the_config(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = feed_server.set("/listed.xml", rss(("a", "Alpha")))
    config = config_file(tmp_path, listed)
    assert main(["feeds", "add", listed, "--config", str(config)]) == 1
    assert f"already added as feed 1 from {config}" in capsys.readouterr().err
    assert main(["feeds", "remove", "1", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"newsalert: feed 1 ({listed}) is listed under [[feeds]] in {config}: "
        "remove it there first, or the bot adds it back\n"
    )
    assert count_feeds(tmp_path / "news.db") == 1
    config_file(tmp_path)  # the operator takes it out of the config: now it may go
    assert main(["feeds", "remove", "1", "--config", str(config)]) == 0
    assert f"removed feed 1 from {tmp_path / 'news.db'}" in capsys.readouterr().out


def test_chat_option_and_chat_path_choose_chat_s_database(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = feed_server.set("/wire.xml", rss(("z", "Protesters gathered in Zvečan on Monday")))
    config = config_file(tmp_path)
    assert main(["feeds", "--chat", "add", url, "--config", str(config)]) == 0
    assert f"to {tmp_path / 'news.chat.db'}:" in capsys.readouterr().out
    assert feeds_json(config, capsys) == []
    assert [r["url"] for r in feeds_json(config, capsys, "--chat")] == [url]

    shared = config_file(tmp_path, storage=f'chat_path = "{tmp_path / "news.db"}"\n')
    assert main(["feeds", "add", url, "--config", str(shared)]) == 0
    capsys.readouterr()
    assert [r["url"] for r in feeds_json(shared, capsys, "--chat")] == [url]


def test_a_feed_added_with_chat_reaches_newsalert_chat(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/wire.xml", rss(("z", "Protesters gathered in Zvečan on Monday")))
    config = config_file(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(PYTHONPATH=str(REPO_ROOT), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    added = subprocess.run(
        [sys.executable, "-m", "bot", "feeds", "--chat", "add", url, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    chat = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--config", str(config)],
        env=env,
        input="/latest kosovo\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert chat.returncode == 0, chat.stderr
    assert f"database {tmp_path / 'news.chat.db'}" in chat.stdout and "feeds --chat" in chat.stdout
    assert "Protesters gathered in Zvečan on Monday" in chat.stdout
