"""``newsalert chat``'s transport: the same Application answered in-process, output readable in a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app import ALLOWED_UPDATES, build_application
from bot.chat import TerminalBotApi, render_html
from bot.chat_session import FeedHealth, chat_config, start_session
from bot.config import Config, FeedConfig, PollingConfig, StorageConfig, TelegramConfig
from tests.support.feed_server import FeedServer


def test_render_html_is_readable():
    html = (
        '<b>Clashes</b> in <i>Zvečan</i> &amp; <a href="https://x.org/a">Read on x.org</a> <code>/why</code>'
    )
    assert render_html(html) == "Clashes in Zvečan & Read on x.org (https://x.org/a) `/why`"
    assert render_html("<b>bold</b>", ansi=True) == "\x1b[1mbold\x1b[0m"


async def wait_for(out: io.StringIO, text: str, timeout: float = 5.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while text not in out.getvalue():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{text!r} never printed; got:\n{out.getvalue()}")
        await asyncio.sleep(0.02)
    return out.getvalue()


async def test_typed_lines_and_button_numbers(tmp_path: Path):
    out = io.StringIO()
    api = TerminalBotApi(out, ansi=False)
    config = Config(storage=StorageConfig(path=str(tmp_path / "chat.db")))
    app = build_application(config, "0:terminal", request=api)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        api.type_line("/subscribe kosovo\n")
        await wait_for(out, "Subscribed to kosovo")
        api.type_line("/list")
        printed = await wait_for(out, "[1] ✖ 1")
        assert "1. kosovo" in printed
        api.type_line("1")
        await wait_for(out, "No subscriptions yet")
        assert "(edited)" in out.getvalue()
        assert "── answer: Removed “kosovo”" in out.getvalue(), "the button's answer is printed"
        api.type_line("   ")
        api.type_line("zvecan")
        await wait_for(out, "Did you mean `/subscribe zvecan`?")
        await api.settle(app.update_queue)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


async def test_alerts_from_a_real_feed_are_printed_with_their_buttons(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    out = io.StringIO()
    api = TerminalBotApi(out, ansi=False)
    with FeedServer() as server:
        items = []

        def publish(title: str, text: str, extra: str = "") -> None:
            items.append(
                f"<item><title>{title}</title><link>https://news.example/{len(items)}</link><guid>{len(items)}</guid>"
                f"<pubDate>{email.utils.formatdate(time.time())}</pubDate><description>{text}</description>"
                f"{extra}</item>"
            )
            server.set(
                "/feed.xml",
                f"<rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'><channel><title>Wire</title>"
                f"{''.join(items)}</channel></rss>".encode(),
            )

        publish("Harbour news", "Nothing about places we follow.")
        config = Config(
            storage=StorageConfig(path=str(tmp_path / "chat.db")),
            feeds=(FeedConfig(url=server.url("/feed.xml"), name="Loopback Wire", interval_seconds=1),),
        )
        app = build_application(config, "0:terminal", request=api)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        try:
            await wait_until_polled(server)
            api.type_line("/subscribe kosovo")
            await wait_for(out, "Subscribed to kosovo")
            image = "<media:content url='https://img.example/z.jpg' medium='image'/>"
            publish("Clashes in Zvecan", "Police in Leposavic and Zvecan reported injuries.", image)
            printed = await wait_for(out, "Clashes in Zvecan", timeout=15)
            assert "Loopback Wire" in printed and "[1] More   [2] Why?   [3] Mute" in printed
            assert "[photo https://img.example/z.jpg]" in printed, "a photo alert shows its picture's address"
            api.type_line("2")
            await wait_for(out, "Your subscription kosovo matched.")
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await app.post_shutdown(app)


async def wait_until_polled(server: FeedServer, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not server.requests("/feed.xml"):
        assert asyncio.get_running_loop().time() < deadline, "the feed was never polled"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_chat(tmp_path: Path, **config: Any) -> AsyncIterator[tuple[TerminalBotApi, io.StringIO]]:
    """The bot as ``newsalert chat`` runs it (its config, its session set-up), printing into a StringIO."""
    out = io.StringIO()
    api = TerminalBotApi(out, ansi=False)
    chat = chat_config(Config(storage=StorageConfig(path=str(tmp_path / "bot.db")), **config))
    app = build_application(chat, "0:terminal", request=api, feed_notices=False)
    await app.initialize()
    await app.post_init(app)
    await start_session(app, api)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        yield api, out
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


async def test_the_terminal_user_is_the_operator(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FeedServer() as server:
        url = server.set(
            "/wire.xml",
            "<rss version='2.0'><channel><title>Wire</title><item><title>One</title><guid>1</guid></item>"
            "</channel></rss>",
        )
        # allowed_users would shut out anyone else: the operator is always let in.
        telegram = TelegramConfig(admins=(777,), allowed_users=(777,))
        polling = PollingConfig(allow_private_addresses=True)
        async with running_chat(tmp_path, telegram=telegram, polling=polling) as (api, out):
            api.type_line(f"/addfeed {url}")
            await wait_for(out, "Added feed #1: Wire")
            api.type_line("/feeds")
            # Fetched once to check it, but not polled yet: its health is not known, so it is not "ok".
            await wait_for(out, "#1 Wire — new · not polled yet")
            api.type_line("/stats")
            await wait_for(out, "Feeds: 0 ok, 0 failing, 1 not polled yet")
            assert "for the bot's operators" not in out.getvalue()


async def test_feeds_are_checked_at_once_and_failures_printed(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FeedServer() as server:
        server.set("/wire.xml", "down for maintenance", status=503, content_type="text/plain")
        feeds = (
            # No interval: left alone, its first check would come any time in the next five minutes.
            FeedConfig(url="http://127.0.0.1:9/dead.xml", name="Dead"),
            FeedConfig(url=server.url("/wire.xml"), name="Wire", interval_seconds=1),
        )
        async with running_chat(tmp_path, feeds=feeds) as (api, out):
            printed = await wait_for(out, "⚠️ feed Dead failed: ", timeout=30)
            await wait_for(out, "⚠️ feed Wire failed: ", timeout=30)
            server.set("/wire.xml", "<rss version='2.0'><channel><title>Wire</title></channel></rss>")
            printed = await wait_for(out, "✅ feed Wire works again", timeout=30)
            assert printed.count("feed Wire failed") == 1, "one line per failing streak, not one per failure"
            assert "(next try in" in printed
            assert "Feed failing" not in printed, "no operator message on top of the line"


def test_feed_health_lines_follow_the_feeds_table():
    out = io.StringIO()
    health = FeedHealth(TerminalBotApi(out, ansi=False), since=100.0, failing_before={2})

    def feed(feed_id: int, errors: int, polled: float | None, name: str) -> dict[str, Any]:
        error = "cannot connect: refused" if errors else None
        return dict(
            id=feed_id,
            name=name,
            title=None,
            url="u",
            error_count=errors,
            last_error=error,
            last_polled=polled,
            next_check_at=400.0,
        )

    health.report([feed(1, 1, 150.0, "A"), feed(2, 4, 50.0, "B"), feed(3, 0, None, "C")], now=160.0)
    assert out.getvalue() == "⚠️ feed A failed: cannot connect: refused (next try in 4 min)\n\n", (
        "B's failure is from before this session, C was never polled"
    )
    health.report([feed(1, 2, 170.0, "A"), feed(2, 0, 171.0, "B")], now=172.0)
    assert out.getvalue().endswith("\n\n✅ feed B works again\n\n"), "a second failure in a row is not news"
    health.report([feed(1, 0, 180.0, "A")], now=181.0)
    assert out.getvalue().endswith("✅ feed A works again\n\n")
