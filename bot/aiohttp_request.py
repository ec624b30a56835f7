"""PTB's HTTP transport on aiohttp, for the Bot API calls that carry delivery (sends, edits, replies).

Why not PTB's own :class:`~telegram.request.HTTPXRequest` everywhere: httpcore's connection pool walks every
connection and queued request on each request and release, so with dozens of sends in flight httpx costs ~4.6 ms
of CPU a request on this host against ~0.4 ms for aiohttp (``bench/http_clients.py``); at Telegram's
paid-broadcast rate that is the whole ceiling. The long poll (``getUpdates``) keeps HTTPXRequest: it is one
request at a time, so its cost does not matter, and PTB's updater is tested with it.

The contract is :class:`~telegram.request.BaseRequest`'s: ``do_request`` returns (status, body) for any HTTP
answer and raises :class:`~telegram.error.TimedOut` (no answer in time, or no free connection) or
:class:`~telegram.error.NetworkError` (refused, reset, anything else below HTTP); PTB turns statuses into its
errors. Timeouts: ``connect`` bounds a new connection, ``read`` each wait for the answer's bytes, ``pool`` the wait
for a free connection. aiohttp has no write timeout of its own: a request whose body cannot be written is bounded
by the read timeout that follows. aiohttp never retries a POST on its own (only idempotent methods), so a send is
never made twice by the transport.

The request URL holds the bot token (``/bot<token>/sendMessage``, ``/file/bot<token>/…``) and aiohttp puts URLs
in some of its errors' texts; every error text raised from here has the token part cut out
(:func:`without_token`) and is raised without its aiohttp cause, so no traceback carries it either.
"""

from __future__ import annotations

import json
import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_TOKEN_IN_PATH = re.compile(r"/bot[^/\s'\"]*")
_JSON = {"Content-Type": "application/json"}
POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: all connections in the pool are busy; the request was not sent to Telegram"
)


def without_token(text: str) -> str:
    """``text`` with the token part of any Bot API URL in it (``/bot<token>``) replaced by ``/bot<redacted>``."""
    return _TOKEN_IN_PATH.sub("/bot<redacted>", text)


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over one ``aiohttp.ClientSession`` with up to
    ``connection_pool_size`` connections (as HTTPXRequest's argument: size it for every request kept in flight,
    see :func:`bot.app.connection_pool_size`). Defaults as HTTPXRequest's: 5 s to connect, read and write, 1 s to
    get a connection from the pool."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._active = 0  # requests started and not yet answered: more than the pool means some wait for it

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it must be made inside the running event loop, so not in ``__init__``)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            # No cookies: the Bot API sets none, and a jar would be one more thing to look at per answer.
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        self._active += 1
        waited_for_pool = self._active > self._pool_size
        try:
            data, headers = _body(request_data)
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError:
            # The connect budget is the wait for a pooled connection plus a new connection's handshake.
            raise TimedOut(POOL_TIMEOUT_MESSAGE if waited_for_pool else "Timed out") from None
        except TimeoutError:  # aiohttp's read timeout (ServerTimeoutError) is one too
            raise TimedOut("Timed out") from None
        except Exception as error:  # refused, reset, a bad answer, a bad URL: below HTTP, all the same to PTB
            raise NetworkError(without_token(f"aiohttp.{type(error).__name__}: {error}")) from None
        finally:
            self._active -= 1

    def _timeout(
        self, read: ODVInput[float], connect: ODVInput[float], pool: ODVInput[float]
    ) -> aiohttp.ClientTimeout:
        """aiohttp's ``connect`` is the whole wait for a connection (a free pooled one, or a new one), and
        ``sock_connect`` a new one's handshake: PTB's pool timeout is the difference."""
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        acquire = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)


def _body(request_data: RequestData | None) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None]:
    """The request's body: a JSON object, or multipart when it uploads files (the Bot API takes both).

    PTB's HTTPXRequest form-encodes; JSON is the same parameters, and ``json.dumps`` runs in C where
    ``urlencode`` quotes each character of a long HTML text in Python (a tenth of a send's CPU at 1,000/s)."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        return json.dumps(request_data.parameters, ensure_ascii=False).encode(), _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in files.items():
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form, None
