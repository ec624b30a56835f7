"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot stack talks to via ``base_url``.

It is a real HTTP/1.1 server (stdlib ``ThreadingHTTPServer`` on a background thread), so PTB, httpx and our
delivery code run unchanged. It keeps what a bot sent, per chat, with the text as Telegram would show it, and it
feeds updates to ``getUpdates`` long polls (user messages, commands, replies, button presses, block/unblock, group
migration). It behaves like Telegram at the edges:

* 429 "Too Many Requests: retry after N" with ``parameters.retry_after`` past an overall message rate (token
  bucket, default 30/s), on bursts to one private chat, and past 20 messages a minute in a group; a
  sendMessage with ``allow_paid_broadcast`` counts against a paid budget instead (default 1,000/s), and
  ``stats.paid_broadcasts`` counts the ones accepted (``rate=0`` lifts both limits);
* 403 "Forbidden: bot was blocked by the user" / "Forbidden: user is deactivated", 400 "Bad Request: chat not
  found", 400 with ``parameters.migrate_to_chat_id`` for a group that became a supergroup;
* 400 "Bad Request: message is too long" past 4,096 characters after entity parsing, "message text is empty",
  and "can't parse entities: ..." by Telegram's HTML rules (:mod:`tests.support.telegram_html`).

Methods: getMe, getUpdates (long polling, offsets confirm), sendMessage, editMessageText, editMessageCaption (a
caption, as sent; either edit of the other kind of message answers 400 as Telegram does), editMessageReplyMarkup,
sendPhoto (a photo by URL with a caption: 400 "message caption is too long" past 1,024 characters after entity
parsing; :meth:`FakeTelegram.refuse_photos` makes it answer as Telegram does when it cannot fetch the image),
sendDocument (an uploaded file, kept), getFile and the file download (``/file/bot<token>/<path>``) for files the
bot sent or a user sent (:meth:`FakeTelegram.inject_document`), deleteMessage, answerCallbackQuery, setMyCommands/getMyCommands/deleteMyCommands, getChat, getChatMember,
getChatAdministrators (statuses set with :meth:`FakeTelegram.set_chat_member`), sendChatAction, deleteWebhook,
close, logOut. Anything else is 404, as Telegram answers an unknown method.

Faults for the fault suites: fail the next N calls with a status (and any description), delay answers past the
client's timeout, reset connections, go away (connection refused) for T seconds, 429 with a growing retry_after.

Use in tests::

    with FakeTelegram() as fake:                       # or the ``fake_telegram`` fixture
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
        ...
        fake.inject_message(1001, "/subscribe kosovo")
        [reply] = fake.wait_for_messages(1001, 1, timeout=5)

Run on its own (benchmarks, end-to-end scripts): ``python -m tests.support.fake_telegram --port 0 --rate 30``
prints ``READY <port>`` and serves until killed; ``GET /_fake/stats`` answers counters as JSON and
``POST /_fake/inject`` (JSON ``{"chat_id":..., "text":...}``) injects a user message.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import socket
import struct
import sys
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

try:  # imported as part of the tests package, or run as a script
    from tests.support.telegram_html import HtmlParseError, parse_html, visible_length
except ImportError:  # pragma: no cover - ``python tests/support/fake_telegram.py``
    from telegram_html import HtmlParseError, parse_html, visible_length  # type: ignore[no-redef]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_0123456789abc"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files ("file is too big")
PHOTO_REFUSED = "Bad Request: wrong file identifier/HTTP URL specified"
_STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Methods that put or change a message in a chat: these count against the flood limits.
_MESSAGE_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)
# Parameters sent as plain strings; every other form value arrives JSON-encoded (PTB's RequestData).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "photo",
        "file_id",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "drop_pending_updates",
    }
)


@dataclass
class SentMessage:
    """A message the bot sent (or its latest edit), as Telegram stores it."""

    chat_id: int
    message_id: int
    text: str  # what the user sees (after entity parsing)
    raw_text: str  # what the bot sent
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    date: int
    params: dict[str, Any]
    edits: int = 0
    photo: str | None = None  # sendPhoto: the photo as sent (a URL); ``text`` is then the caption
    document: dict | None = None  # sendDocument: Telegram's Document object; ``text`` is the caption
    content: bytes | None = None  # the document's bytes

    @property
    def paid_broadcast(self) -> bool:
        """Sent with ``allow_paid_broadcast`` (Telegram charges Stars for it past the free rate)."""
        return self.params.get("allow_paid_broadcast") is True

    @property
    def thread_id(self) -> int | None:
        """The forum topic it was sent to (``message_thread_id``), if any."""
        value = self.params.get("message_thread_id")
        return None if value in (None, "") else int(value)

    @property
    def buttons(self) -> list[dict]:
        """Inline keyboard buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request (PTB uploads files so)."""

    file_name: str
    content: bytes
    mime_type: str


@dataclass
class Call:
    """One API request and how it was answered."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None
    at: float


@dataclass
class _Fault:
    kind: str  # status | delay | reset | retry_after
    count: int
    methods: frozenset[str] | None
    status: int = 500
    seconds: float = 0.0
    growth: float = 0.0
    process: bool = False
    description: str | None = None
    served: int = 0


class _Bucket:
    """Token bucket: ``capacity`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """0 when a token is available (and takes it), else seconds until one is."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class _ChatState:
    kind: str = "private"
    blocked: str | None = None  # the 403 description while set
    missing: bool = False
    migrated_to: int | None = None
    next_message_id: int = 1
    title: str | None = None  # a channel's (groups are "Group <id>")
    username: str | None = None  # a channel's @name, without the @
    topics: set[int] | None = None  # a forum's topic thread ids (None: not a forum)


@dataclass
class _Stats:
    requests: int = 0
    sent: int = 0
    edited: int = 0
    too_many: int = 0
    forbidden: int = 0
    bad_request: int = 0
    server_errors: int = 0
    resets: int = 0
    delayed: int = 0
    paid_broadcasts: int = 0
    first_sent_at: float | None = None
    last_sent_at: float | None = None
    per_method: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class _Reply(Exception):
    """Answer the current request with this status and description (Telegram's error shape)."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class _Drop(Exception):
    """Reset the connection without answering."""


class FakeTelegram:
    """The server and its recorded state; every public method is thread-safe."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        rate: float = 30.0,
        paid_rate: float = 1000.0,
        chat_rate: float = 1.0,
        chat_burst: int = 10,
        group_per_minute: int = 20,
        bot_id: int = 987654321,
        bot_username: str = "newsalert_test_bot",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.rate = rate
        self.paid_rate = paid_rate
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.group_per_minute = group_per_minute
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "NewsAlert Test",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._clock = clock
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._down_until = 0.0
        self._reopen_timer: threading.Timer | None = None
        self.port = 0
        self._reset_state()

    # ---------------------------------------------------------------- lifecycle

    def _reset_state(self) -> None:
        now = self._clock()
        self._chats: dict[int, _ChatState] = {}
        self._messages: dict[int, list[SentMessage]] = defaultdict(list)
        self._calls: list[Call] = []
        self._arrivals: dict[str, int] = defaultdict(int)  # requests received, before they are answered
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._confirmed_offset = 0
        self._callback_ids = itertools.count(1)
        self._callback_answers: dict[str, dict] = {}
        self._commands: dict[str, list[dict]] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._bot_can_post: dict[int, bool] = {}  # channel id -> the bot, as its admin, may post
        self._faults: list[_Fault] = []
        self._files: dict[str, tuple[dict, bytes]] = {}  # file_id -> (Document object, bytes)
        self._file_ids = itertools.count(1)
        self._refused_photos: dict[str | None, str] = {}  # URL (None: every URL) -> the 400 description
        self._user_messages: dict[tuple[int, int], dict] = {}  # messages users sent with a file, for replies
        self.downloads: list[str] = []  # file paths the bot downloaded
        self._overall = _Bucket(self.rate, max(self.rate, 1.0), now) if self.rate else None
        self._paid = _Bucket(self.paid_rate, self.paid_rate, now) if self.rate and self.paid_rate else None
        self._chat_buckets: dict[int, _Bucket] = {}
        self.stats = _Stats()

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: it appends ``{token}/{method}``."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegram:
        """Bind (to ``port``, 0 = any free one) and serve on a daemon thread."""
        self._closing = False
        self._serve(self._requested_port)
        return self

    def _serve(self, port: int) -> None:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = _Server(("127.0.0.1", port), handler)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-telegram", daemon=True
        )
        self._thread.start()

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and release every waiting long poll."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._reopen_timer is not None:
            self._reopen_timer.cancel()
        self._close_listener()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- chats

    def _chat(self, chat_id: int) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            kind = (
                "private" if chat_id > 0 else ("supergroup" if str(chat_id).startswith("-100") else "group")
            )
            state = self._chats[chat_id] = _ChatState(kind=kind)
        return state

    def block(self, chat_id: int, *, deactivated: bool = False, notify: bool = False) -> None:
        """The user blocked the bot (or deleted their account): sends answer 403 from now on."""
        with self._cond:
            self._chat(chat_id).blocked = (
                "Forbidden: user is deactivated" if deactivated else "Forbidden: bot was blocked by the user"
            )
            if notify:
                self._add_update("my_chat_member", self._member_update(chat_id, "member", "kicked"))

    def unblock(self, chat_id: int, *, notify: bool = False) -> None:
        """The user unblocked the bot."""
        with self._cond:
            self._chat(chat_id).blocked = None
            if notify:
                self._add_update("my_chat_member", self._member_update(chat_id, "kicked", "member"))

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """The user deleted a message the bot sent: editing it answers 400 "message to edit not found"."""
        with self._cond:
            message = self._find_message(chat_id, message_id)
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            self._messages[chat_id].remove(message)

    def forget_chat(self, chat_id: int) -> None:
        """Telegram no longer knows this chat: sends answer 400 "chat not found"."""
        with self._cond:
            self._chat(chat_id).missing = True

    def migrate_group(self, old_chat_id: int, new_chat_id: int, *, notify: bool = True) -> None:
        """The group became a supergroup: sends to the old id answer 400 with migrate_to_chat_id."""
        with self._cond:
            old = self._chat(old_chat_id)
            old.migrated_to = new_chat_id
            new = self._chat(new_chat_id)
            new.kind = "supergroup"
            if notify:
                self._add_update(
                    "message",
                    self._user_message(old_chat_id, None, user_id=None, migrate_to_chat_id=new_chat_id),
                )
                self._add_update(
                    "message",
                    self._user_message(new_chat_id, None, user_id=None, migrate_from_chat_id=old_chat_id),
                )

    # ---------------------------------------------------------------- updates

    def _add_update(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return update

    def _chat_json(self, chat_id: int) -> dict:
        state = self._chat(chat_id)
        chat: dict[str, Any] = {"id": chat_id, "type": state.kind}
        if state.kind == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = state.title or f"Group {chat_id}"
        if state.username:
            chat["username"] = state.username
        if state.topics is not None:
            chat["is_forum"] = True
        return chat

    @staticmethod
    def _user_json(
        user_id: int, first_name: str | None = None, username: str | None = None, language_code: str | None = None
    ) -> dict:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _user_message(
        self,
        chat_id: int,
        text: str | None,
        *,
        user_id: int | None,
        reply_to_message_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        **extra: Any,
    ) -> dict:
        state = self._chat(chat_id)
        if user_id is None:
            user_id = chat_id if chat_id > 0 else 4242
        message: dict[str, Any] = {
            "message_id": state.next_message_id,
            "date": int(time.time()),
            "chat": self._chat_json(chat_id),
            "from": self._user_json(user_id, first_name, username, language_code),
        }
        state.next_message_id += 1
        if text is not None:
            # Telegram only carries valid UTF-8: a lone surrogate a test generates arrives as U+FFFD.
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0] if text.strip() else text
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
                ]
        if reply_to_message_id is not None:
            replied = self._find_message(chat_id, reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = self._message_json(replied)
            elif (chat_id, reply_to_message_id) in self._user_messages:
                message["reply_to_message"] = self._user_messages[(chat_id, reply_to_message_id)]
        message.update(extra)
        return message

    def inject_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        reply_to_message_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
        thread_id: int | None = None,
        language_code: str | None = None,
    ) -> dict:
        """A user writes ``text`` in ``chat_id`` (a private chat if > 0, a group if < 0); returns the update.

        A text starting with "/" carries a ``bot_command`` entity at offset 0, as Telegram sends it. With
        ``reply_to_message_id`` the message is a reply to that (bot) message; with ``thread_id`` it is written in
        that topic of a forum (see :meth:`make_forum`); ``language_code`` is the user's Telegram language.
        """
        topic = {} if thread_id is None else {"message_thread_id": thread_id, "is_topic_message": True}
        with self._cond:
            message = self._user_message(
                chat_id,
                text,
                user_id=user_id,
                reply_to_message_id=reply_to_message_id,
                first_name=first_name,
                username=username,
                **topic,
                language_code=language_code,
            )
            return self._add_update("message", message)

    def inject_document(
        self,
        chat_id: int,
        content: bytes,
        *,
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        user_id: int | None = None,
        file_size: int | None = None,
    ) -> dict:
        """A user sends a file (with ``caption``, which carries a ``bot_command`` entity if it starts with "/");
        returns the update. ``file_size`` overrides the size Telegram reports (a file too big to download)."""
        with self._cond:
            document = self._store_file(content, file_name, mime_type)
            if file_size is not None:
                document["file_size"] = file_size
            message = self._user_message(chat_id, None, user_id=user_id, document=document)
            if caption is not None:
                message["caption"] = caption
                if caption.startswith("/"):
                    command = caption.split(maxsplit=1)[0]
                    length = len(command.encode("utf-16-le")) // 2
                    message["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            self._user_messages[(chat_id, message["message_id"])] = message
            return self._add_update("message", message)

    def refuse_photos(self, url: str | None = None, description: str = PHOTO_REFUSED) -> None:
        """sendPhoto of ``url`` (None: of any URL) answers 400 ``description``, as when Telegram cannot fetch it."""
        with self._lock:
            self._refused_photos[url] = description

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a file the bot or a user sent."""
        with self._lock:
            return self._files[file_id][1]

    def _store_file(self, content: bytes, file_name: str, mime_type: str) -> dict:
        number = next(self._file_ids)
        document = {
            "file_id": f"FILE{number}",
            "file_unique_id": f"U{number}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        self._files[document["file_id"]] = (document, content)
        return dict(document)

    def press_button(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None, language_code: str | None = None
    ) -> str:
        """A user presses an inline button on a bot message; returns the callback query id."""
        with self._cond:
            message = self._find_message(chat_id, message_id)
            if message is None:
                raise KeyError(f"no bot message {message_id} in chat {chat_id}")
            query_id = str(next(self._callback_ids))
            if user_id is None:
                user_id = chat_id if chat_id > 0 else 4242
            self._add_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": self._user_json(user_id, language_code=language_code),
                    "message": self._message_json(message),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                },
            )
            return query_id

    # ------------------------------------------------------------ channels and forum topics

    def add_channel(
        self, chat_id: int, username: str | None, *, title: str | None = None, bot_status: str = "administrator",
        can_post: bool = True, admins: Iterable[int] = (),
    ) -> None:
        """A channel (id -100…) with an optional @name; the bot is ``bot_status`` there (as an administrator,
        with ``can_post``), and ``admins`` are its administrators."""
        with self._cond:
            state = self._chat(chat_id)
            state.kind, state.username, state.title = "channel", username, title or f"Channel {chat_id}"
            self._members[(chat_id, int(self.bot_user["id"]))] = bot_status
            self._bot_can_post[chat_id] = can_post
            for admin in admins:
                self._members[(chat_id, admin)] = "administrator"

    def set_bot_rights(self, chat_id: int, status: str, *, can_post: bool = True, notify: bool = True) -> None:
        """The channel's owner changes the bot's status (``left``, ``administrator`` without ``can_post``...);
        with ``notify``, Telegram sends the ``my_chat_member`` update it sends for that."""
        with self._cond:
            bot_id = int(self.bot_user["id"])
            old = self._members.get((chat_id, bot_id), "member")
            old_json = self._member_json(dict(self.bot_user), old, can_post=self._bot_can_post.get(chat_id, True))
            self._members[(chat_id, bot_id)] = status
            self._bot_can_post[chat_id] = can_post
            if notify:
                update = self._member_update(chat_id, old, status)
                update["old_chat_member"] = old_json
                update["new_chat_member"] = self._member_json(dict(self.bot_user), status, can_post=can_post)
                self._add_update("my_chat_member", update)

    def rename_channel(self, chat_id: int, username: str | None) -> None:
        """The channel's owner gives it another @name (or none)."""
        with self._cond:
            self._chat(chat_id).username = username

    def inject_channel_post(self, chat_id: int, text: str) -> dict:
        """Someone posts ``text`` in the channel: a ``channel_post`` update (no ``from``, the channel as sender)."""
        with self._cond:
            state = self._chat(chat_id)
            chat = self._chat_json(chat_id)
            post: dict[str, Any] = {
                "message_id": state.next_message_id, "date": int(time.time()), "chat": chat, "sender_chat": chat,
                "text": text,
            }
            if text.startswith("/"):
                post["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            state.next_message_id += 1
            return self._add_update("channel_post", post)

    def inject_forward(self, chat_id: int, channel_id: int, text: str = "A post", *, user_id: int | None = None) -> dict:
        """The user forwards a post of ``channel_id`` into the private chat ``chat_id``."""
        with self._cond:
            origin = {"type": "channel", "chat": self._chat_json(channel_id), "message_id": 7, "date": int(time.time())}
            message = self._user_message(chat_id, text, user_id=user_id, forward_origin=origin)
            return self._add_update("message", message)

    def make_forum(self, chat_id: int, topics: Iterable[int]) -> None:
        """The supergroup has topics (their ``message_thread_id`` values); a send to another thread is refused."""
        with self._cond:
            self._chat(chat_id).topics = set(topics)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A forum topic is deleted: sends to it answer 400 "message thread not found"."""
        with self._cond:
            topics = self._chat(chat_id).topics
            assert topics is not None, "not a forum"
            topics.discard(thread_id)

    def _check_destination(self, chat_id: int, state: _ChatState, params: dict) -> None:
        """What Telegram refuses of a send before looking at its text: a channel the bot may not post in, and a
        forum topic that does not exist."""
        if state.kind == "channel":
            status = self._members.get((chat_id, int(self.bot_user["id"])), "member")
            if status in ("left", "kicked"):
                raise _Reply(403, "Forbidden: bot is not a member of the channel chat")
            if status != "creator" and not (status == "administrator" and self._bot_can_post.get(chat_id, True)):
                raise _Reply(400, "Bad Request: need administrator rights in the channel chat")
        thread = params.get("message_thread_id")
        if thread not in (None, "") and state.topics is not None and int(thread) not in state.topics:
            raise _Reply(400, "Bad Request: message thread not found")

    @staticmethod
    def _member_json(user: dict, status: str, *, can_post: bool | None = None) -> dict:
        """A ChatMember object as Telegram sends it for ``status`` (each status has its own required fields)."""
        body: dict[str, Any] = {"status": status, "user": user}
        if can_post is not None and status == "administrator":
            body["can_post_messages"] = can_post
        if status == "kicked":
            body["until_date"] = 0
        elif status == "creator":
            body["is_anonymous"] = False
        elif status == "administrator":
            body.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=False,
                can_manage_video_chats=False,
                can_restrict_members=False,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            )
        return body

    def _member_update(self, chat_id: int, old: str, new: str) -> dict:
        user_id = chat_id if chat_id > 0 else 4242
        return {
            "chat": self._chat_json(chat_id),
            "from": self._user_json(user_id),
            "date": int(time.time()),
            "old_chat_member": self._member_json(dict(self.bot_user), old),
            "new_chat_member": self._member_json(dict(self.bot_user), new),
        }

    def set_chat_member(self, chat_id: int, user_id: int, status: str = "administrator") -> None:
        """Set what getChatMember answers for ``user_id`` in ``chat_id``: creator, administrator, member, left,
        kicked. Unset users are "member" (in a private chat, the user themself is "member" too)."""
        if status not in ("creator", "administrator", "member", "left", "kicked"):
            raise ValueError(f"unsupported chat member status {status!r}")
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def inject_member_update(self, chat_id: int, old: str, new: str) -> dict:
        """A ``my_chat_member`` update (the bot's status in the chat changed, e.g. "member" -> "left")."""
        with self._cond:
            return self._add_update("my_chat_member", self._member_update(chat_id, old, new))

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a later getUpdates offset."""
        with self._lock:
            return sum(1 for u in self._updates if u["update_id"] >= self._confirmed_offset)

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        n: int,
        *,
        status: int = 500,
        description: str | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer the next ``n`` calls (of ``methods``, default all but getUpdates) with ``status``.

        ``description`` sets Telegram's error text, e.g. ``"Bad Request: can't parse entities: ..."`` with 400.
        """
        self._add_fault(_Fault("status", n, _methods(methods), status=status, description=description))

    def delay_next(
        self, n: int, seconds: float, *, methods: Iterable[str] | None = None, process: bool = False
    ) -> None:
        """Hold the next ``n`` calls for ``seconds`` (past the client's timeout), then drop them.

        With ``process=True`` the call is carried out after the delay, as when Telegram got the request but the
        answer was lost: the client cannot tell, so such a message may show up twice.
        """
        self._add_fault(_Fault("delay", n, _methods(methods), seconds=seconds, process=process))

    def reset_next(self, n: int, *, methods: Iterable[str] | None = None) -> None:
        """Reset (TCP RST) the connection of the next ``n`` calls without answering."""
        self._add_fault(_Fault("reset", n, _methods(methods)))

    def too_many_next(
        self, n: int, *, retry_after: float = 1, growth: float = 0, methods: Iterable[str] | None = None
    ) -> None:
        """Answer the next ``n`` calls 429, the k-th with ``retry_after + k * growth`` seconds."""
        self._add_fault(_Fault("retry_after", n, _methods(methods), seconds=retry_after, growth=growth))

    def go_away(self, seconds: float) -> None:
        """Disappear for ``seconds``: new connections are refused, open ones are reset."""
        with self._cond:
            self._down_until = self._clock() + seconds
        self._close_listener()
        port = self.port

        def reopen() -> None:
            with self._lock:
                if self._closing:
                    return
            self._serve(port)

        self._reopen_timer = threading.Timer(seconds, reopen)
        self._reopen_timer.daemon = True
        self._reopen_timer.start()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._down_until = 0.0

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str) -> tuple[_Fault, int] | None:
        with self._lock:
            for fault in self._faults:
                if fault.methods is None and method == "getupdates":
                    continue
                if fault.methods is not None and method not in fault.methods:
                    continue
                index = fault.served
                fault.served += 1
                if fault.served >= fault.count:
                    self._faults.remove(fault)
                return fault, index
        return None

    # ---------------------------------------------------------------- inspection

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent, in order (one chat, or every chat)."""
        with self._lock:
            if chat_id is not None:
                return list(self._messages.get(chat_id, []))
            return [m for msgs in self._messages.values() for m in msgs]

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request seen (optionally one method), answered or not."""
        with self._lock:
            if method is None:
                return list(self._calls)
            return [c for c in self._calls if c.method == method.lower()]

    def callback_answers(self) -> dict[str, dict]:
        with self._lock:
            return dict(self._callback_answers)

    def commands(self) -> list[dict]:
        """The command menu last set with setMyCommands (default scope)."""
        with self._lock:
            return list(self._commands.get("default", []))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` (called under the lock) is truthy; returns it or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._cond.wait(min(remaining, 0.05))

    def wait_for_messages(self, chat_id: int, n: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until ``chat_id`` has at least ``n`` messages from the bot; returns all of them."""
        try:
            self.wait_for(lambda: len(self._messages.get(chat_id, [])) >= n, timeout)
        except TimeoutError:
            got = [m.text[:80] for m in self.messages(chat_id)]
            raise TimeoutError(f"chat {chat_id}: wanted {n} messages within {timeout} s, got {got}") from None
        return self.messages(chat_id)

    def wait_for_total(self, n: int, timeout: float = 5.0) -> int:
        """Wait until the bot has sent ``n`` messages in all (every chat together)."""
        self.wait_for(lambda: self.stats.sent >= n, timeout)
        return self.stats.sent

    def arrived(self, method: str) -> int:
        """How many ``method`` requests were received so far, answered or not."""
        with self._cond:
            return self._arrivals[method.lower()]

    def wait_for_call(self, method: str, n: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called at least ``n`` times (received: it may still be waiting to answer)."""
        method = method.lower()
        self.wait_for(lambda: self._arrivals[method] >= n, timeout)
        return self.calls(method)

    def wait_for_callback_answer(self, query_id: str, timeout: float = 5.0) -> dict:
        return self.wait_for(lambda: self._callback_answers.get(query_id), timeout)

    def wait_for_updates_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed every injected update (its getUpdates offset moved past them)."""
        self.wait_for(lambda: self._confirmed_offset >= self._next_update_id, timeout)

    def stats_json(self) -> dict[str, Any]:
        """Counters, and how many chats got 0, 1 or more messages (duplicates show as more)."""
        with self._lock:
            counts = [len(msgs) for msgs in self._messages.values()]
            s = self.stats
            return {
                "requests": s.requests,
                "sent": s.sent,
                "edited": s.edited,
                "too_many": s.too_many,
                "forbidden": s.forbidden,
                "bad_request": s.bad_request,
                "server_errors": s.server_errors,
                "resets": s.resets,
                "delayed": s.delayed,
                "paid_broadcasts": s.paid_broadcasts,
                "chats": len(counts),
                "chats_with_duplicates": sum(1 for c in counts if c > 1),
                "first_sent_at": s.first_sent_at,
                "last_sent_at": s.last_sent_at,
                "per_method": dict(s.per_method),
            }

    # ---------------------------------------------------------------- request handling

    def _find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in self._messages.get(chat_id, []):
            if message.message_id == message_id:
                return message
        return None

    def _message_json(self, message: SentMessage) -> dict:
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_json(message.chat_id),
            "from": dict(self.bot_user),
        }
        if message.photo is None and message.document is None:
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        else:
            if message.photo is not None:
                size = {"file_id": f"PHOTO{message.message_id}", "file_unique_id": f"P{message.message_id}"}
                body["photo"] = [dict(size, width=800, height=450)]
            else:
                body["document"] = message.document
            if message.text:
                body["caption"] = message.text
            if message.entities:
                body["caption_entities"] = message.entities
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        if message.edits:
            body["edit_date"] = message.date
        return body

    def _record(self, method: str, params: dict, status: int, description: str | None) -> None:
        with self._cond:
            self._calls.append(Call(method, params, status, description, time.time()))
            self.stats.requests += 1
            self.stats.per_method[method] += 1
            if status == 429:
                self.stats.too_many += 1
            elif status == 403:
                self.stats.forbidden += 1
            elif status == 400:
                self.stats.bad_request += 1
            elif status >= 500:
                self.stats.server_errors += 1
            self._cond.notify_all()

    def handle(self, method: str, token: str, params: dict[str, Any]) -> tuple[int, dict]:
        """Answer one API call: (HTTP status, JSON body). Raises :class:`_Drop` to reset the connection."""
        method = method.lower()
        with self._cond:
            self._arrivals[method] += 1
            self._cond.notify_all()
        if self._clock() < self._down_until:
            with self._lock:
                self.stats.resets += 1
            raise _Drop()
        if token != self.token:
            self._record(method, params, 401, "Unauthorized")
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        taken = self._take_fault(method)
        if taken is not None:
            fault, index = taken
            if fault.kind == "reset":
                self._record(method, params, 0, "reset")
                with self._lock:
                    self.stats.resets += 1
                raise _Drop()
            if fault.kind == "delay":
                with self._lock:
                    self.stats.delayed += 1
                self._record(method, params, 0, f"delayed {fault.seconds} s")
                time.sleep(fault.seconds)
                if not fault.process:
                    raise _Drop()
            elif fault.kind == "status":
                description = fault.description or _STATUS_TEXT.get(fault.status, "Server Error")
                self._record(method, params, fault.status, description)
                return fault.status, {"ok": False, "error_code": fault.status, "description": description}
            elif fault.kind == "retry_after":
                retry_after = max(1, math.ceil(fault.seconds + index * fault.growth))
                return self._too_many(method, params, retry_after)
        handler = _METHODS.get(method)
        if handler is None:
            self._record(method, params, 404, "Not Found")
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = handler(self, params)
        except _Reply as reply:
            self._record(method, params, reply.status, reply.description)
            body: dict[str, Any] = {"ok": False, "error_code": reply.status, "description": reply.description}
            if reply.parameters:
                body["parameters"] = reply.parameters
            return reply.status, body
        self._record(method, params, 200, None)
        return 200, {"ok": True, "result": result}

    def _too_many(self, method: str, params: dict, retry_after: int) -> tuple[int, dict]:
        description = f"Too Many Requests: retry after {retry_after}"
        self._record(method, params, 429, description)
        return 429, {
            "ok": False,
            "error_code": 429,
            "description": description,
            "parameters": {"retry_after": retry_after},
        }

    def _target_chat(self, params: dict) -> tuple[int, _ChatState]:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _Reply(400, "Bad Request: chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            named = [c for c, s in self._chats.items() if s.username and s.username.lower() == raw[1:].lower()]
            if not named:
                raise _Reply(400, "Bad Request: chat not found")
            raw = named[0]
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _Reply(400, "Bad Request: chat not found") from None
        state = self._chat(chat_id)
        if state.missing:
            raise _Reply(400, "Bad Request: chat not found")
        if state.migrated_to is not None:
            raise _Reply(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": state.migrated_to},
            )
        if state.blocked:
            raise _Reply(403, state.blocked)
        return chat_id, state

    def _check_flood(self, chat_id: int, *, paid: bool = False) -> None:
        """Raise a 429 when the overall (or, for a paid broadcast, the paid), per-chat or per-group budget is
        spent; otherwise spend it."""
        now = self._clock()
        waits = []
        overall = self._paid if paid else self._overall
        if overall is not None:
            waits.append(overall.wait_time(now))
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                bucket = _Bucket(self.group_per_minute / 60.0, self.group_per_minute, now)
            else:
                bucket = _Bucket(self.chat_rate, self.chat_burst, now)
            self._chat_buckets[chat_id] = bucket
        waits.append(bucket.wait_time(now))
        worst = max(waits)
        if worst > 0:
            # Give back what this refused request took, so a 429 costs nothing.
            if overall is not None and waits[0] == 0:
                overall.tokens += 1
            if waits[-1] == 0:
                bucket.tokens += 1
            retry_after = max(1, math.ceil(worst))
            raise _Reply(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _render(self, params: dict) -> tuple[str, list[dict], str | None]:
        raw = params.get("text")
        if raw is None or (isinstance(raw, str) and raw == ""):
            raise _Reply(400, "Bad Request: message text is empty")
        text, entities, parse_mode = self._parse(str(raw), params)
        if not text.strip():
            raise _Reply(400, "Bad Request: message text is empty")
        if visible_length(text) > MAX_TEXT:
            raise _Reply(400, "Bad Request: message is too long")
        return text, entities, parse_mode

    def _render_caption(self, params: dict) -> tuple[str, list[dict], str | None]:
        """A photo's or a document's caption (optional), limited to 1,024 characters after entity parsing."""
        raw = params.get("caption")
        if raw is None or raw == "":
            return "", [], params.get("parse_mode") or None
        text, entities, parse_mode = self._parse(str(raw), params)
        if visible_length(text) > MAX_CAPTION:
            raise _Reply(400, "Bad Request: message caption is too long")
        return text, entities, parse_mode

    @staticmethod
    def _parse(raw: str, params: dict) -> tuple[str, list[dict], str | None]:
        parse_mode = params.get("parse_mode") or None
        if parse_mode and parse_mode.lower() == "html":
            try:
                parsed = parse_html(raw)
            except HtmlParseError as exc:
                raise _Reply(400, f"Bad Request: can't parse entities: {exc}") from None
            text, entities = parsed.text, parsed.entities
        elif parse_mode:
            raise _Reply(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in this fake")
        else:
            text, entities = raw, []
        return text, entities, parse_mode

    @staticmethod
    def _check_markup(params: dict) -> dict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _Reply(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _Reply(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise _Reply(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup

    # Methods (called under no lock; they take it)

    def _m_get_me(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _m_true(self, params: dict) -> bool:
        return True

    def _m_send_message(self, params: dict) -> dict:
        with self._cond:
            chat_id, state = self._target_chat(params)
            text, entities, parse_mode = self._render(params)
            markup = self._check_markup(params)
            paid = params.get("allow_paid_broadcast") is True
            self._check_flood(chat_id, paid=paid)
            self.stats.paid_broadcasts += paid
            return self._post(chat_id, state, (text, entities, parse_mode), markup, params)

    def _m_send_photo(self, params: dict) -> dict:
        with self._cond:
            chat_id, state = self._target_chat(params)
            photo = params.get("photo")
            if isinstance(photo, Upload):
                raise _Reply(400, "Bad Request: uploading photos is not supported by this fake")
            if not photo:
                raise _Reply(400, "Bad Request: there is no photo in the request")
            photo = str(photo)
            refusal = self._refused_photos.get(photo) or self._refused_photos.get(None)
            if refusal is not None or not photo.startswith(("http://", "https://")):
                raise _Reply(400, refusal or PHOTO_REFUSED)
            caption = self._render_caption(params)
            markup = self._check_markup(params)
            paid = params.get("allow_paid_broadcast") is True
            self._check_flood(chat_id, paid=paid)
            self.stats.paid_broadcasts += paid
            return self._post(chat_id, state, caption, markup, params, photo=photo)

    def _m_send_document(self, params: dict) -> dict:
        with self._cond:
            chat_id, state = self._target_chat(params)
            upload = params.get("document")
            if isinstance(upload, Upload):
                if not upload.content:
                    raise _Reply(400, "Bad Request: file must be non-empty")
                document = self._store_file(upload.content, upload.file_name, upload.mime_type)
                content = upload.content
            elif isinstance(upload, str) and upload in self._files:
                document, content = self._files[upload]
            else:
                raise _Reply(400, "Bad Request: there is no document in the request")
            caption = self._render_caption(params)
            markup = self._check_markup(params)
            self._check_flood(chat_id)
            return self._post(chat_id, state, caption, markup, params, document=document, content=content)

    def _m_get_file(self, params: dict) -> dict:
        with self._lock:
            found = self._files.get(str(params.get("file_id") or ""))
            if found is None:
                raise _Reply(400, "Bad Request: invalid file_id")
            document, _ = found
            if document["file_size"] > MAX_DOWNLOAD:
                raise _Reply(400, "Bad Request: file is too big")
            return {
                "file_id": document["file_id"],
                "file_unique_id": document["file_unique_id"],
                "file_size": document["file_size"],
                "file_path": f"documents/{document['file_id']}",
            }

    def download(self, token: str, path: str) -> bytes | None:
        """The bytes at ``/file/bot<token>/<path>`` (what getFile named), or None (404)."""
        with self._cond:
            found = self._files.get(path.removeprefix("documents/"))
            if token != self.token or found is None or not path.startswith("documents/"):
                return None
            self.downloads.append(path)
            self._cond.notify_all()
            return found[1]

    def _post(
        self,
        chat_id: int,
        state: _ChatState,
        rendered: tuple[str, list[dict], str | None],
        markup: dict | None,
        params: dict,
        **kind: Any,
    ) -> dict:
        """Put a sent message in the chat (called under the lock); its JSON as Telegram answers it."""
        self._check_destination(chat_id, state, params)
        text, entities, parse_mode = rendered
        message = SentMessage(
            chat_id=chat_id,
            message_id=state.next_message_id,
            text=text,
            raw_text=str(params.get("text", params.get("caption", ""))),
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            date=int(time.time()),
            params={k: v for k, v in params.items() if not isinstance(v, Upload)},
            **kind,
        )
        state.next_message_id += 1
        self._messages[chat_id].append(message)
        self.stats.sent += 1
        now = time.time()
        if self.stats.first_sent_at is None:
            self.stats.first_sent_at = now
        self.stats.last_sent_at = now
        return self._message_json(message)

    def _edit_target(self, params: dict) -> tuple[int, SentMessage]:
        chat_id, _ = self._target_chat(params)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _Reply(400, "Bad Request: message identifier is not specified") from None
        message = self._find_message(chat_id, message_id)
        if message is None:
            raise _Reply(400, "Bad Request: message to edit not found")
        return chat_id, message

    def _m_edit_message_text(self, params: dict) -> dict:
        with self._cond:
            chat_id, message = self._edit_target(params)
            if message.photo is not None or message.document is not None:
                raise _Reply(400, "Bad Request: there is no text in the message to edit")
            text, entities, parse_mode = self._render(params)
            markup = self._check_markup(params)
            if text == message.text and entities == message.entities and markup == message.reply_markup:
                raise _Reply(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are "
                    "exactly the same as a current content and reply markup of the message",
                )
            self._check_flood(chat_id)
            message.text, message.raw_text, message.entities = text, str(params["text"]), entities
            message.parse_mode, message.reply_markup = parse_mode, markup
            message.edits += 1
            self.stats.edited += 1
            return self._message_json(message)

    def _m_edit_message_caption(self, params: dict) -> dict:
        """A photo's or a document's caption, limited to 1,024 characters after entity parsing as when sent."""
        with self._cond:
            chat_id, message = self._edit_target(params)
            if message.photo is None and message.document is None:
                raise _Reply(400, "Bad Request: there is no caption in the message to edit")
            text, entities, parse_mode = self._render_caption(params)
            markup = self._check_markup(params)
            if text == message.text and entities == message.entities and markup == message.reply_markup:
                raise _Reply(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are "
                    "exactly the same as a current content and reply markup of the message",
                )
            self._check_flood(chat_id)
            message.text, message.raw_text, message.entities = (
                text,
                str(params.get("caption") or ""),
                entities,
            )
            message.parse_mode, message.reply_markup = parse_mode, markup
            message.edits += 1
            self.stats.edited += 1
            return self._message_json(message)

    def _m_edit_message_reply_markup(self, params: dict) -> dict:
        with self._cond:
            chat_id, message = self._edit_target(params)
            markup = self._check_markup(params)
            if markup == message.reply_markup:
                raise _Reply(400, "Bad Request: message is not modified")
            self._check_flood(chat_id)
            message.reply_markup = markup
            message.edits += 1
            self.stats.edited += 1
            return self._message_json(message)

    def _m_answer_callback_query(self, params: dict) -> bool:
        with self._cond:
            query_id = str(params.get("callback_query_id", ""))
            if not query_id:
                raise _Reply(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            text = params.get("text")
            if text is not None and len(str(text)) > 200:
                raise _Reply(400, "Bad Request: MESSAGE_TOO_LONG")
            self._callback_answers[query_id] = dict(params)
            return True

    def _m_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _Reply(400, "Bad Request: commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", ""))
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise _Reply(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _Reply(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._cond:
            self._commands[_scope_key(params)] = commands
        return True

    def _m_get_my_commands(self, params: dict) -> list[dict]:
        with self._lock:
            return list(self._commands.get(_scope_key(params), []))

    def _m_delete_my_commands(self, params: dict) -> bool:
        with self._lock:
            self._commands.pop(_scope_key(params), None)
        return True

    def _m_delete_message(self, params: dict) -> bool:
        with self._cond:
            chat_id, message = self._edit_target(params)
            self._messages[chat_id].remove(message)
            return True

    def _m_get_chat(self, params: dict) -> dict:
        with self._lock:
            chat_id, _ = self._target_chat(params)
            return dict(self._chat_json(chat_id), accent_color_id=0, max_reaction_count=11)

    def _m_get_chat_member(self, params: dict) -> dict:
        with self._lock:
            chat_id, _ = self._target_chat(params)
            try:
                user_id = int(params.get("user_id"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise _Reply(400, "Bad Request: invalid user_id specified") from None
            if user_id == self.bot_user["id"]:
                status = self._members.get((chat_id, user_id), "member")
                return self._member_json(dict(self.bot_user), status, can_post=self._bot_can_post.get(chat_id, True))
            status = self._members.get((chat_id, user_id), "member")
            return self._member_json(self._user_json(user_id), status)

    def _m_get_chat_administrators(self, params: dict) -> list[dict]:
        with self._lock:
            chat_id, _ = self._target_chat(params)
            return [
                self._member_json(self._user_json(user_id), status)
                for (chat, user_id), status in self._members.items()
                if chat == chat_id and status in ("creator", "administrator")
            ]

    def _m_get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:
                self._confirmed_offset = max(self._confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self._cond.notify_all()
            while True:
                ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0 or self._closing:
                    return ready
                self._cond.wait(min(remaining, 0.5))


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.lower() for m in methods)


def _scope_key(params: dict) -> str:
    scope = params.get("scope")
    key = "default"
    if isinstance(scope, dict):
        key = json.dumps(scope, sort_keys=True)
    language = params.get("language_code")
    return f"{key}|{language}" if language else key


_METHODS: dict[str, Callable[[FakeTelegram, dict], Any]] = {
    "getme": FakeTelegram._m_get_me,
    "getupdates": FakeTelegram._m_get_updates,
    "sendmessage": FakeTelegram._m_send_message,
    "sendphoto": FakeTelegram._m_send_photo,
    "senddocument": FakeTelegram._m_send_document,
    "getfile": FakeTelegram._m_get_file,
    "editmessagetext": FakeTelegram._m_edit_message_text,
    "editmessagecaption": FakeTelegram._m_edit_message_caption,
    "editmessagereplymarkup": FakeTelegram._m_edit_message_reply_markup,
    "answercallbackquery": FakeTelegram._m_answer_callback_query,
    "setmycommands": FakeTelegram._m_set_my_commands,
    "getmycommands": FakeTelegram._m_get_my_commands,
    "deletemycommands": FakeTelegram._m_delete_my_commands,
    "deletemessage": FakeTelegram._m_delete_message,
    "getchat": FakeTelegram._m_get_chat,
    "getchatmember": FakeTelegram._m_get_chat_member,
    "getchatadministrators": FakeTelegram._m_get_chat_administrators,
    "deletewebhook": FakeTelegram._m_true,
    "sendchataction": FakeTelegram._m_true,
    "close": FakeTelegram._m_true,
    "logout": FakeTelegram._m_true,
}


def _decode_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Form values as Telegram reads them: JSON for structured values, strings otherwise."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        if key in _STRING_PARAMS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 drops SYNs when a bot opens dozens of connections at once,
    # which shows up as 1 s connect timeouts that Telegram would never cause.
    request_queue_size = 1024
    allow_reuse_address = True
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeTelegram  # set on the bound subclass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet, and never log the token
        return

    def _reset(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def _params(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        query = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
        params = _decode_params(query)
        if content_type == "application/json" and body:
            loaded = json.loads(body)
            if isinstance(loaded, dict):
                params.update(loaded)
        elif content_type == "multipart/form-data" and body:
            fields, uploads = _multipart_parts(self.headers.get("Content-Type", ""), body)
            params.update(_decode_params(fields))
            params.update(uploads)
        elif body:
            params.update(_decode_params(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
        return params

    def _send_json(self, status: int, body: dict | list) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        try:
            params = self._params()
        except (ValueError, UnicodeDecodeError):
            self._send_json(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid body"})
            return
        if path.startswith("/_fake/"):
            self._control(path[len("/_fake/") :], params)
            return
        if path.startswith("/file/bot"):
            self._file(path)
            return
        parts = path.split("/")
        # /bot<token>/<method>
        if len(parts) != 3 or not parts[1].startswith("bot"):
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = parts[1][3:], parts[2]
        try:
            status, body = self.fake.handle(method, token, params)
        except _Drop:
            self._reset()
            return
        except Exception as exc:  # a bug in the fake: say so loudly rather than drop the connection
            traceback.print_exc(file=sys.stderr)
            status, body = 500, {"ok": False, "error_code": 500, "description": f"fake server error: {exc!r}"}
        self._send_json(status, body)

    def _file(self, path: str) -> None:
        """A file download: ``/file/bot<token>/<file_path>``."""
        token, _, file_path = unquote(path[len("/file/bot") :]).partition("/")
        content = self.fake.download(token, file_path)
        if content is None:
            self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _control(self, action: str, params: dict[str, Any]) -> None:
        fake = self.fake
        if action == "stats":
            self._send_json(200, fake.stats_json())
        elif action == "inject":
            self._send_json(200, fake.inject_message(int(params["chat_id"]), str(params["text"])))
        elif action == "block":
            fake.block(int(params["chat_id"]))
            self._send_json(200, {"ok": True})
        elif action == "messages":
            chat = params.get("chat_id")
            msgs = fake.messages(int(chat) if chat is not None else None)
            self._send_json(
                200, [{"chat_id": m.chat_id, "message_id": m.message_id, "text": m.text} for m in msgs]
            )
        else:
            self._send_json(404, {"ok": False, "description": "unknown control action"})

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, OSError):
            self.close_connection = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()


def _multipart_parts(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], dict[str, Upload]]:
    """Text fields and file parts of a multipart/form-data body (PTB uses it only when uploading files)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = []
    uploads: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        if part.get_filename() is None:
            fields.append((str(name), part.get_content() if part.get_content_maintype() == "text" else ""))
        else:
            content = part.get_payload(decode=True) or b""
            uploads[str(name)] = Upload(str(part.get_filename()), bytes(content), part.get_content_type())
    return fields, uploads


@pytest.fixture
def fake_telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    """A running fake for one test (NO_PROXY set so httpx talks to it directly). Re-export it from a conftest:
    ``from tests.support.fake_telegram import fake_telegram  # noqa: F401``."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with FakeTelegram() as fake:
        yield fake


def main(argv: list[str] | None = None) -> int:
    """Serve a fake on its own, for benchmarks and scripts that run the bot as another process."""
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server (tests only).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--rate", type=float, default=30.0, help="overall messages per second before 429 (0: no limit at all)"
    )
    parser.add_argument("--paid-rate", type=float, default=1000.0, help="the same for paid broadcasts")
    parser.add_argument("--chat-rate", type=float, default=1.0)
    parser.add_argument("--chat-burst", type=int, default=10)
    args = parser.parse_args(argv)
    fake = FakeTelegram(
        token=args.token,
        rate=args.rate,
        paid_rate=args.paid_rate,
        chat_rate=args.chat_rate,
        chat_burst=args.chat_burst,
        port=args.port,
    ).start()
    print(f"READY {fake.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
