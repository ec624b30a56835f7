"""``newsalert chat``'s transport: the same Application answered in-process, output readable in a terminal."""

from __future__ import annotations

import asyncio
import email.utils
import io
import time
from pathlib import Path

from bot.app import ALLOWED_UPDATES, build_application
from bot.chat import TerminalBotApi, render_html
from bot.config import Config, FeedConfig, StorageConfig
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
