"""``newsalert chat``'s transport: the same Application answered in-process, output readable in a terminal."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.app import ALLOWED_UPDATES, build_application
from bot.chat import TerminalBotApi, render_html
from bot.config import Config, StorageConfig


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
