"""``newsalert chat``: the real bot in a terminal, with no Telegram account.

The Application, handlers, jobs, matcher and delivery are exactly those of ``newsalert run``; only PTB's transport is
replaced. :class:`TerminalBotApi` is a :class:`telegram.request.BaseRequest` that answers the Bot API calls itself:
what the bot sends is printed (its HTML rendered readably), and each line typed becomes an update, as if sent from
a private chat. Feeds are polled for real, so alerts are printed as they arrive. Answers to button presses (which
Telegram shows as a brief toast) are printed too, and so are one-line notices (:meth:`TerminalBotApi.notice`).

When the input is piped rather than typed, each line is echoed (``> /list``) and the next is only sent once the
bot has answered it, so a transcript reads as question, answer, question, answer.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from html.parser import HTMLParser
from typing import Any, TextIO
from urllib.parse import urlsplit

from telegram.request import BaseRequest, RequestData

CHAT_ID = 1
BOT_USER = {"id": 1000, "is_bot": True, "first_name": "newsalert", "username": "newsalert_bot"}
USER = {"id": CHAT_ID, "is_bot": False, "first_name": "You"}
BANNER = (
    "newsalert chat: you are talking to the bot. Type /subscribe kosovo, /list, /help ...\n"
    "A number presses the button shown with it ([2]); Ctrl-D or Ctrl-C quits.\n"
    "You are the operator here too: /feeds, /addfeed URL, /stats.\n"
)


class _Renderer(HTMLParser):
    """Telegram HTML as terminal text: bold/italic/underline via ANSI (when a terminal), links as "label (url)"."""

    _STYLES = {
        "b": "1",
        "strong": "1",
        "i": "3",
        "em": "3",
        "u": "4",
        "ins": "4",
        "s": "9",
        "del": "9",
        "strike": "9",
    }

    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.out: list[str] = []
        self._links: list[str | None] = []
        self._link_text: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._STYLES and self.ansi:
            self.out.append(f"\x1b[{self._STYLES[tag]}m")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))
            self._link_text.append(len(self.out))
        elif tag == "code":
            self.out.append("`")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._STYLES and self.ansi:
            self.out.append("\x1b[0m")
        elif tag == "a" and self._links:
            href = self._links.pop()
            start = self._link_text.pop()
            label = "".join(self.out[start:])
            if href and href != label:
                self.out.append(f" ({href})")
        elif tag == "code":
            self.out.append("`")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def render_html(source: str, *, ansi: bool = False) -> str:
    renderer = _Renderer(ansi)
    renderer.feed(source)
    renderer.close()
    return "".join(renderer.out)


class TerminalBotApi(BaseRequest):
    """The Bot API answered in-process: sent messages go to ``out``, typed lines come from :meth:`type_line`.

    Buttons are numbered as they are printed; typing a number presses one (a ``callback_query`` update).
    Update ids start at ``first_update_id``: the bot remembers the ids it handled (to skip Telegram's redeliveries),
    so a new session on the same database must continue past them. ``echo`` prints each line as it is sent.
    """

    def __init__(
        self,
        out: TextIO = sys.stdout,
        *,
        ansi: bool | None = None,
        first_update_id: int = 1,
        echo: bool = False,
    ) -> None:
        self._out = out
        self._ansi = out.isatty() if ansi is None else ansi
        self._echo = echo
        self._updates: asyncio.Queue[dict[str, Any]] | None = None
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._buttons: dict[int, tuple[int, str, str]] = {}  # number -> message id, callback data, label
        self._button_numbers = itertools.count(1)
        self._messages: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._typed = 0  # updates made from typed lines and presses
        self._handed = 0  # updates getUpdates has returned
        self._confirmed = 0  # updates handed out before the latest getUpdates began (so PTB has queued them)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        if self._updates is None:
            self._updates = asyncio.Queue()

    async def shutdown(self) -> None:
        return None

    # ---------------------------------------------------------------- typed input

    def type_line(self, line: str) -> None:
        """Turn one typed line into an update (call on the event loop)."""
        text = line.strip()
        if not text:
            return
        if text.isdigit() and int(text) in self._buttons:
            message_id, data, label = self._buttons[int(text)]
            self._write_echo(f"{text} ({label})")
            self._push(
                "callback_query",
                {
                    "id": str(next(self._callback_ids)),
                    "from": USER,
                    "message": self._messages[message_id],
                    "chat_instance": "terminal",
                    "data": data,
                },
            )
            return
        self._write_echo(text)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": CHAT_ID, "type": "private", "first_name": "You"},
            "from": USER,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
            ]
        self._push("message", message)

    def _push(self, kind: str, payload: dict[str, Any]) -> None:
        assert self._updates is not None, "initialize() first"
        self._typed += 1
        self._updates.put_nowait({"update_id": next(self._update_ids), kind: payload})

    # ---------------------------------------------------------------- the Bot API

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
        params = request_data.parameters if request_data is not None else {}
        if name == "senddocument" and request_data is not None:
            params = dict(params, _files=request_data.multipart_data)
        handler: Callable[[dict[str, Any]], Any] | None = getattr(self, f"_api_{name}", None)
        if name == "getupdates":
            return _ok(await self._get_updates(params))
        if handler is None:
            return 400, json.dumps(
                {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: {name} is not available in newsalert chat",
                }
            ).encode()
        return _ok(handler(params))

    async def settle(self, update_queue: asyncio.Queue[object]) -> None:
        """Wait until every typed line has been fetched by the bot and answered (input ended: time to quit)."""
        # PTB queues what one getUpdates returned before it asks again, so a later call confirms the earlier ones.
        while self._confirmed < self._typed:
            await asyncio.sleep(0.01)
        await update_queue.join()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert self._updates is not None
        self._confirmed = self._handed
        timeout = float(params.get("timeout") or 0)
        batch: list[dict[str, Any]] = []
        try:
            batch.append(
                await asyncio.wait_for(self._updates.get(), timeout)
                if timeout
                else self._updates.get_nowait()
            )
        except (TimeoutError, asyncio.QueueEmpty):
            return []
        while not self._updates.empty():
            batch.append(self._updates.get_nowait())
        self._handed += len(batch)
        return batch

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(
            BOT_USER, can_join_groups=False, can_read_all_group_messages=False, supports_inline_queries=False
        )

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        return True

    _api_setmycommands = _api_deletewebhook
    _api_deletemycommands = _api_deletewebhook

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        """Telegram shows this as a toast (or a popup, ``show_alert``) over the chat: print it on one line."""
        text = " ".join(str(params.get("text") or "").split())
        if text:
            self._write(f"── answer: {text}\n\n")
        return True

    def _api_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"status": "creator", "user": USER, "is_anonymous": False}

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "You"},
            "from": BOT_USER,
            "text": html.unescape(str(params.get("text", ""))),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[message_id] = message
        self._print(params, message_id, edited=False)
        return message

    def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo alert: the picture's address, then its caption, as a text message would show."""
        caption = str(params.get("caption", ""))
        escaped = html.escape(str(params.get("photo", "")), quote=False)
        shown = f"[photo {escaped}]\n{caption}" if params.get("parse_mode") == "HTML" else caption
        return self._api_sendmessage(dict(params, text=shown))

    def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        """A file (``/export``): its name and, when it is text, what it holds."""
        lines = []
        for file_name, content, *_ in params.get("_files", {}).values():
            body = content if isinstance(content, bytes) else b""
            lines.append(f"[file {file_name}]\n{body.decode('utf-8', 'replace').rstrip()}")
        lines.append(html.unescape(str(params.get("caption", ""))))
        text = html.escape("\n".join(lines), quote=False)
        return self._api_sendmessage(dict(params, text=text, parse_mode="HTML"))

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = int(params["message_id"])
        message = self._messages.get(message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "You"},
            "from": BOT_USER,
        }
        message["text"] = html.unescape(str(params.get("text", "")))
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[message_id] = message
        self._print(params, message_id, edited=True)
        return message

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages[int(params["message_id"])]
        message["reply_markup"] = params.get("reply_markup")
        self._print(
            {"text": "", "reply_markup": params.get("reply_markup")}, message["message_id"], edited=True
        )
        return message

    # ---------------------------------------------------------------- output

    def _print(self, params: dict[str, Any], message_id: int, *, edited: bool) -> None:
        text = str(params.get("text", ""))
        body = render_html(text, ansi=self._ansi) if params.get("parse_mode") == "HTML" else text
        head = f"── bot #{message_id}" + (" (edited)" if edited else "") + " " + "─" * 20
        lines = [head, body] if body else [head]
        rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        labels = []
        for row in rows:
            for button in row:
                if "callback_data" in button:
                    number = next(self._button_numbers)
                    self._buttons[number] = (message_id, button["callback_data"], button["text"])
                    labels.append(f"[{number}] {button['text']}")
                elif "url" in button:
                    labels.append(f"{button['text']} ({button['url']})")
        if labels:
            lines.append("   ".join(labels))
        self._write("\n".join(lines) + "\n\n")

    def notice(self, line: str) -> None:
        """A one-line note from the terminal itself, not a bot message (a feed failing, say)."""
        self._write(line + "\n\n")

    def _write_echo(self, text: str) -> None:
        if self._echo:
            self._write(f"> {text}\n")

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text)
            self._out.flush()


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def read_lines(
    loop: asyncio.AbstractEventLoop,
    api: TerminalBotApi,
    on_eof: Callable[[], Coroutine[Any, Any, None]],
    stream: TextIO,
    *,
    settle: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Feed ``stream`` (stdin) to the bot line by line from a daemon thread; at EOF run ``on_eof()`` on the loop.

    With ``settle`` (piped input), each line waits for ``settle()``, the bot's answer to the line before it.
    """

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(api.type_line, line)
            if settle is not None:
                asyncio.run_coroutine_threadsafe(settle(), loop).result()
        asyncio.run_coroutine_threadsafe(on_eof(), loop)

    threading.Thread(target=pump, name="terminal-input", daemon=True).start()
