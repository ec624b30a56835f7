"""The bot's Prometheus metrics, in a registry of its own (several bots in one test process never share counts).

Counters and histograms are fed by the bot as things happen: each poll cycle and matching run is timed, each
delivery run's :class:`~alerts.outcomes.DeliveryStats` and each digest run's stats are added up, and every Bot
API answer that is an error is counted by its HTTP status (:class:`ObservedRequest` sees them all, including the
429s the rate limiter retries by itself). What the database holds (feeds by health, articles, outbox rows by
state, subscribers, subscriptions, the file's size) is read when Prometheus scrapes, in the HTTP server's thread,
through a read-only connection of its own: never stale and never on the event loop.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from storage import health as db_health

log = logging.getLogger(__name__)

_POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_MATCH_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class BotMetrics:
    """Everything ``/metrics`` shows for one bot. ``newsalert_`` prefixes every name."""

    def __init__(self, db_path: str | Path, health: Callable[[], tuple[bool, str]]) -> None:
        self.registry = CollectorRegistry()
        self.poll_seconds = Histogram(
            "newsalert_poll_cycle_seconds",
            "Time to fetch, parse and store the feeds that were due (ticks with no feed due are not counted)",
            buckets=_POLL_BUCKETS,
            registry=self.registry,
        )
        self.matching_seconds = Histogram(
            "newsalert_matching_seconds",
            "Time to match a batch of new articles against every subscription and write their outbox rows",
            buckets=_MATCH_BUCKETS,
            registry=self.registry,
        )
        self.messages_sent = Counter(
            "newsalert_messages_sent",
            "Messages Telegram accepted from the outbox: kind=alert (one story) or kind=digest (one digest message)",
            ["kind"],
            registry=self.registry,
        )
        self.telegram_errors = Counter(
            "newsalert_telegram_errors",
            "Bot API answers that were errors, by HTTP status (429: flood control, 403: blocked, ...)",
            ["code"],
            registry=self.registry,
        )
        self.retries = Counter(
            "newsalert_delivery_retries",
            "Outbox messages put back to be sent again: reason=transient (timeout, 5xx) or rate_limited (429)",
            ["reason"],
            registry=self.registry,
        )
        for kind in ("alert", "digest"):
            self.messages_sent.labels(kind)
        for code in ("403", "429"):
            self.telegram_errors.labels(code)
        for reason in ("transient", "rate_limited"):
            self.retries.labels(reason)
        self.registry.register(_DatabaseCollector(db_path, health))

    def delivered(self, kind: str, *, sent: int, retried: int, rate_limited: int) -> None:
        """Add up one delivery or digest run."""
        self.messages_sent.labels(kind).inc(sent)
        self.retries.labels("transient").inc(retried)
        self.retries.labels("rate_limited").inc(rate_limited)

    def telegram_answered(self, status: int) -> None:
        if status >= 400:
            self.telegram_errors.labels(str(status)).inc()


class _DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (and the bot's health verdict as 0/1)."""

    def __init__(self, db_path: str | Path, health: Callable[[], tuple[bool, str]]) -> None:
        self.db_path = db_path
        self.health = health
        self.unreadable = False

    def collect(self) -> Iterator[Metric]:
        healthy, _ = self.health()
        yield _gauge("newsalert_healthy", "1 when /healthz answers 200, else 0", int(healthy))
        try:
            db = db_health.open_read_only(self.db_path)
            try:
                snap = db_health.snapshot(db)
            finally:
                db.close()
        except sqlite3.Error as error:  # a scrape must not fail: it says the database could not be read
            if not self.unreadable:  # once, not at every scrape
                log.warning("metrics: cannot read the database: %s", error)
            self.unreadable = True
            yield _gauge("newsalert_database_readable", "1 when the scrape could read the database", 0)
            return
        self.unreadable = False
        yield _gauge("newsalert_database_readable", "1 when the scrape could read the database", 1)
        yield _gauge(
            "newsalert_database_bytes",
            "Database file size, WAL included",
            db_health.database_bytes(self.db_path),
        )
        yield _labelled(
            "newsalert_feeds",
            "Feeds by health (failing: the last poll failed)",
            "status",
            {"ok": snap["feeds_ok"], "failing": snap["feeds_failing"]},
        )
        yield _gauge("newsalert_articles_stored", "Articles in the database", snap["articles"])
        yield _labelled("newsalert_outbox_rows", "Outbox rows by state", "state", snap["outbox"])
        yield _labelled("newsalert_subscribers", "Subscribers by state", "state", snap["subscribers"])
        yield _gauge("newsalert_subscriptions", "Subscriptions stored", snap["subscriptions"])
        if snap["last_polled"] is not None:
            yield _gauge(
                "newsalert_last_feed_poll_timestamp_seconds",
                "When a feed was last polled (Unix time)",
                snap["last_polled"],
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, label: str, values: dict[str, Any]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


class _Observed(BaseRequest):
    """A Bot API transport that tells ``on_answer(method, status)`` about every answer.

    The URL carries the token, so only the method name (its last part) is passed on.
    """

    def __init__(self, on_answer: Callable[[str, int], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_answer = on_answer

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, *args, **kwargs)  # type: ignore[safe-super]
        self._on_answer(url.rsplit("/", 1)[-1], status)
        return status, payload


class ObservedRequest(_Observed, HTTPXRequest):
    """PTB's httpx transport, observed: the long poll (``getUpdates``), one request at a time."""


class ObservedAiohttpRequest(_Observed, AiohttpRequest):
    """The aiohttp transport, observed: every other Bot API call (sends, edits, replies; see
    :mod:`bot.aiohttp_request` for why)."""
