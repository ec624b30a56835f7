"""Build the running bot: the PTB Application, its handlers, and the scheduled work that turns feeds into alerts.

Four jobs run on PTB's JobQueue (APScheduler), each with ``max_instances=1`` and ``coalesce`` so a slow cycle is
never run twice at once nor caught up in a burst:

* **poll**: fetch the feeds that are due, store what is new, match it against every subscription at once and write
  outbox rows; then nudge the delivery job so a fresh alert does not wait for its next tick;
* **deliver**: send what the outbox holds, rate limited, until nothing is due;
* **digests**: send each chat's due digest (daily, hourly, after quiet hours, cap overflow) as one message;
* **edits**: edit sent alerts whose story more outlets reported since ("Also reported by ..."), each message at
  most once per ``alerts.timing.EDIT_INTERVAL``, through the same limiter and per-chat pacing as alerts.
* **retention**: once a day, delete what can no longer matter in small batches (:mod:`bot.retention`).

Each job and the handlers use their own SQLite connection, so no connection is ever shared between threads, and a
long poll transaction never makes a command wait on the event loop. The matcher is filled once at start, in a thread
(a million subscriptions take seconds) while commands are already answered, and then kept live by the handlers'
``add``/``remove``; the poll job starts when it is complete.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import signal
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlite_utils
from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, Job
from telegram.request import BaseRequest

from alerts.delivery import Deliverer, rate_limiter, recover
from alerts.digests import DigestSender
from alerts.fanout import fan_out_pending
from alerts.messages import truncate
from alerts.story_edits import StoryEdits
from alerts.story_edits import recover as recover_edits
from bot.config import Config
from bot.config_watch import ConfigFeedsWatch
from bot.health import HEARTBEAT_SECONDS
from bot.matcher_load import fill_matcher, warm_up_matching
from bot.metrics import BotMetrics
from bot.monitoring import Monitoring
from bot.retention import FIRST_RUN_AFTER, INTERVAL, RetentionJob, switch_vacuum_mode
from feeds.ingest import PollResult, poll_once, shutdown_parse_pool
from handlers import ADMIN_COMMANDS, COMMANDS, register
from handlers.context import DbWorker, Services
from handlers.guard import Guard
from matching import Matcher
from storage import feeds as feed_store
from storage.db import connect
from storage.fullness import FULL, is_full

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER, Update.CHANNEL_POST]
_RATE_LIMIT_RETRIES = 3
_DELIVERY_TICK = 1.0
# The poll job only polls the feeds that are due; looking every second keeps an alert within about a second of its
# feed's interval, whatever the interval, for the price of one indexed query.
_POLL_TICK = 1.0
_DIGEST_TICK = 2.0
_EDIT_TICK = 2.0  # one indexed query when nothing is due
_DELIVERY_SLICE = 30.0  # seconds one delivery job may run before yielding its slot to the next tick
FULL_RETRY_SECONDS = 10.0  # how long the poll cycle pauses after a write found the disk full


def in_flight_limit(config: Config) -> int:
    """How many alerts delivery keeps queued in the rate limiter at once.

    Command replies share that limiter and queue behind whatever is in it, so this bounds how long a reply waits
    during a big delivery (about a third of a second at the configured rate), while keeping enough sends in flight
    to cover Telegram's round trip and send at the full rate.
    """
    return max(4, math.ceil(config.telegram.messages_per_second / 3))


def connection_pool_size(config: Config) -> int:
    """HTTP connections to Telegram: every send delivery keeps in flight, and room for replies to commands.

    PTB's default of 256 is below what delivery keeps in flight at a paid-broadcast rate (a third of a second's
    worth: 334 at 1,000/s); past it a send waits for a free connection and, after PTB's 1 s pool timeout, fails
    as a network error and is retried for nothing.
    """
    return max(256, in_flight_limit(config) + 64)


@dataclass
class Pipeline:
    """The scheduled work and the connections it owns (one per job, never shared between threads at once)."""

    config: Config
    poll_db: sqlite_utils.Database
    deliverer: Deliverer
    digests: DigestSender
    edits: StoryEdits
    matcher: Matcher
    monitoring: Monitoring
    tell_admins: bool = True  # feed failing / recovered messages to the admins (chat prints its own)
    deliver_job: Job | None = None
    loader: asyncio.Task | None = None
    config_watch: ConfigFeedsWatch | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _poll_task: asyncio.Task | None = None
    _full_until: float = 0.0  # after a write failed for lack of space, the poll cycle waits until then

    async def poll(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Poll due feeds, fan out new (and any crash-orphaned) articles, and wake the delivery job.

        With the disk full, the cycle stops at its first failed write and is tried again after a pause: feeds
        whose results were not stored are still due, and unmatched articles are fanned out by a later cycle.
        """
        if self.stopping.is_set() or time.monotonic() < self._full_until:
            return
        self.monitoring.health.poll_ran()
        self._poll_task = asyncio.current_task()
        started = time.monotonic()
        try:
            if self.config_watch is not None and self.config_watch.changed():
                await asyncio.to_thread(self._sync_config_feeds, self.config_watch)
            result = await self._poll_feeds()
        except asyncio.CancelledError:
            # Shutdown: what each feed finished is already stored, and unmatched articles are matched next start.
            return
        except sqlite3.OperationalError as error:
            self._storage_full(error, "the poll cycle")
            return
        finally:
            self._poll_task = None
        if result.feeds_polled:
            self._metrics.poll_seconds.observe(time.monotonic() - started)
        started = time.monotonic()
        try:
            # Not cancellable from here on: the fan-out thread works on poll_db, which shutdown closes after us.
            created = await asyncio.to_thread(
                fan_out_pending,
                self.poll_db,
                self.matcher,
                max_age_hours=self.config.alerts.max_age_hours,
                max_per_hour=self.config.alerts.max_per_hour,
            )
        except sqlite3.OperationalError as error:
            self._storage_full(error, "fan-out")
            return
        if result.feeds_polled:
            FULL.cleared()
        if created:
            self._metrics.matching_seconds.observe(time.monotonic() - started)
        self.monitoring.health.poll_ran()
        if any(created.values()) and self.deliver_job is not None and self.deliver_job.job is not None:
            self.deliver_job.job.modify(next_run_time=datetime.now(UTC))
        await self._tell_admins(context, result)

    def _sync_config_feeds(self, watch: ConfigFeedsWatch) -> None:
        """config.toml changed while running: add the feeds it lists now (see :mod:`bot.config_watch`)."""
        feeds = watch.reread()
        if feeds is not None:
            feed_store.sync_config_feeds(
                self.poll_db, feeds, default_interval=self.config.polling.interval_seconds
            )

    @property
    def _metrics(self) -> BotMetrics:
        return self.monitoring.metrics

    async def _poll_feeds(self) -> PollResult:
        """Feeds the operator added (config file, CLI) may live anywhere; others (added from Telegram) may only
        point at private or loopback addresses when ``allow_private_addresses`` says so."""
        due = await asyncio.to_thread(feed_store.due_feeds, self.poll_db)
        trusted = [feed for feed in due if feed["trusted"]]
        others = [feed for feed in due if not feed["trusted"]]
        result = PollResult()
        for group, allow_private in ((trusted, True), (others, self.config.polling.allow_private_addresses)):
            if group:
                part = await poll_once(self.poll_db, self.config, feeds=group, allow_private=allow_private)
                result.feeds_polled += part.feeds_polled
                result.new_article_ids += part.new_article_ids
                result.started_failing += part.started_failing
                result.recovered += part.recovered
        return result

    def _storage_full(self, error: sqlite3.OperationalError, where: str) -> None:
        """A write found no room: say so once (:data:`storage.fullness.FULL`) and pause polling for a while."""
        if not is_full(error):
            raise error
        FULL.noticed(error, where)
        self._full_until = time.monotonic() + FULL_RETRY_SECONDS

    async def send_digests(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        stats = await self.digests.send_due(max_seconds=_DELIVERY_SLICE, stop=self.stopping)
        self._metrics.delivered(
            "digest", sent=stats.messages, retried=stats.retried, rate_limited=stats.rate_limited
        )

    async def edit_alerts(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.edits.run_until_idle(max_seconds=_DELIVERY_SLICE, stop=self.stopping)

    async def deliver(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            stats = await self.deliverer.run_until_idle(
                limit=in_flight_limit(self.config), max_seconds=_DELIVERY_SLICE, stop=self.stopping
            )
        except sqlite3.OperationalError as error:  # rows stay queued; the next tick tries again
            if not is_full(error):
                raise
            FULL.noticed(error, "delivery")
            return
        self._metrics.delivered("alert", sent=stats.sent, retried=stats.retried, rate_limited=stats.rate_limited)

    def stop(self) -> None:
        """Ask the jobs to finish now (before PTB waits for them): delivery ends its batch, a poll is cancelled."""
        self.stopping.set()
        if self._poll_task is not None:
            self._poll_task.cancel()

    async def _tell_admins(self, context: ContextTypes.DEFAULT_TYPE, result: PollResult) -> None:
        """One message when a feed starts failing and one when it recovers, never one per failure."""
        notes = [
            f"⚠️ Feed failing: {_feed_label(feed)}: {feed.get('last_error') or 'error'}"
            for feed in result.started_failing
        ]
        notes += [f"✅ Feed recovered: {_feed_label(feed)}" for feed in result.recovered]
        if not notes or not self.tell_admins:
            return
        for admin in self.config.telegram.admins:
            try:
                await context.bot.send_message(admin, truncate("\n".join(notes), 4000, escaped=True))
            except TelegramError as error:  # an unreachable admin must not stop the poll cycle
                log.warning("could not tell admin %s about feed health: %s", admin, type(error).__name__)

    def close(self) -> None:
        self.poll_db.conn.close()
        self.deliverer.db.conn.close()


def _feed_label(feed: dict) -> str:
    return str(feed.get("name") or feed.get("title") or feed.get("url"))


def file_url(base_url: str) -> str:
    """Where files are downloaded from (``/import``), next to ``base_url``: Telegram serves them under ``/file/bot``
    (``https://api.telegram.org/file/bot<token>/<path>``), and so do a local Bot API server and the test fake."""
    head, found, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if found else base_url


def build_application(
    config: Config, token: str, *, request: BaseRequest | None = None, feed_notices: bool = True
) -> Application:
    """The Application for ``newsalert run`` (``request=None``: HTTP to ``base_url``) or ``newsalert chat``
    (``request``: the terminal's local Bot API). Storage opens and jobs start in PTB's post_init.
    ``feed_notices=False``: admins are not sent feed failing/recovered messages (chat prints its own lines).

    Raises :class:`bot.monitoring.ListenError` if ``[metrics] listen`` names an address it cannot listen on.
    """
    monitoring = Monitoring.for_config(config)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.telegram.base_url)
        .base_file_url(file_url(config.telegram.base_url))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .rate_limiter(rate_limiter(config.telegram.messages_per_second, max_retries=_RATE_LIMIT_RETRIES))
        .post_init(_start)
        .post_shutdown(_stop)
    )
    if request is None:
        main, updates = monitoring.requests(connection_pool_size(config))
        builder = builder.request(main).get_updates_request(updates)
    else:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data["config"] = config
    app.bot_data["feed_notices"] = feed_notices
    monitoring.attach(app)
    register(app)
    return app


async def _start(app: Application) -> None:
    """Open storage, build the matcher, announce the commands, schedule the jobs (PTB calls this once)."""
    config: Config = app.bot_data["config"]
    path = config.storage.path
    poll_db = await asyncio.to_thread(connect, path)
    await asyncio.to_thread(switch_vacuum_mode, poll_db)  # before any other connection is busy
    await asyncio.to_thread(
        feed_store.sync_config_feeds,
        poll_db,
        config.feeds,
        default_interval=config.polling.interval_seconds,
    )
    deliver_db = await asyncio.to_thread(connect, path)
    # Rows a crash left in 'sending' go back to 'pending': only messages in flight at the crash may repeat.
    await asyncio.to_thread(recover, deliver_db)
    await asyncio.to_thread(recover_edits, deliver_db)
    matcher = await asyncio.to_thread(Matcher)  # loads the gazetteer: a few seconds
    deliverer = Deliverer(app.bot, deliver_db, paid_broadcast=config.telegram.paid_broadcast)
    # Digests share the deliverer (its connection, used only on the event loop, and its per-chat pacing), and
    # like alerts keep few messages in the rate limiter, so replies to commands still pass quickly.
    digests = DigestSender(deliverer, concurrency=in_flight_limit(config))
    # Edits share it too, and keep fewer requests in flight than alerts: a new alert matters more than an edit.
    edits = StoryEdits(deliverer, concurrency=max(1, in_flight_limit(config) // 3))
    monitoring: Monitoring = app.bot_data["monitoring"]
    pipeline = Pipeline(
        config,
        poll_db,
        deliverer,
        digests,
        edits,
        matcher,
        monitoring,
        tell_admins=app.bot_data.get("feed_notices", True),
        config_watch=ConfigFeedsWatch(config),
    )
    app.bot_data["pipeline"] = pipeline
    app.bot_data["services"] = Services(
        config=config,
        db=await asyncio.to_thread(DbWorker, path),
        matcher=matcher,
        guard=Guard(config.telegram),
    )
    await _set_commands(app, config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _request_stop, app)
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is a dependency"
    job_kwargs = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    pipeline.deliver_job = app.job_queue.run_repeating(
        pipeline.deliver,
        interval=_DELIVERY_TICK,
        first=0.1,
        name="deliver",
        job_kwargs=dict(job_kwargs, jitter=0.1),
    )
    app.job_queue.run_repeating(
        pipeline.send_digests,
        interval=_DIGEST_TICK,
        first=0.5,
        name="digests",
        job_kwargs=dict(job_kwargs, jitter=0.2),
    )
    app.job_queue.run_repeating(
        monitoring.beat, interval=HEARTBEAT_SECONDS, first=0.2, name="heartbeat", job_kwargs=job_kwargs
    )
    monitoring.start()
    app.job_queue.run_repeating(
        RetentionJob(path, config.storage.keep_articles_days, pipeline.stopping),
        interval=INTERVAL,
        first=FIRST_RUN_AFTER,
        name="retention",
        job_kwargs=job_kwargs,
    )
    app.job_queue.run_repeating(
        pipeline.edit_alerts,
        interval=_EDIT_TICK,
        first=1.0,
        name="edits",
        job_kwargs=dict(job_kwargs, jitter=0.5),
    )
    pipeline.loader = loop.create_task(
        _load_then_poll(app, pipeline, dict(job_kwargs, jitter=_POLL_TICK / 5))
    )
    log.info("newsalert started: %d feeds in config, database %s", len(config.feeds), path)


async def _set_commands(app: Application, config: Config) -> None:
    """The command menu: everyone's commands, plus the operator commands in each admin's private chat."""
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    for admin in config.telegram.admins:
        try:
            await app.bot.set_my_commands(
                [BotCommand(name, text) for name, text in COMMANDS + ADMIN_COMMANDS],
                scope=BotCommandScopeChat(admin),
            )
        except TelegramError as error:  # an admin who never opened the bot has no chat yet
            log.info("no operator command menu for %s yet: %s", admin, error)


async def _load_then_poll(app: Application, pipeline: Pipeline, job_kwargs: dict) -> None:
    """Fill the matcher from storage in a thread, then start polling feeds.

    Commands work meanwhile (their adds and removes go to the same matcher, which takes them during a bulk load),
    so a big database does not keep users waiting; but no article may be matched against a half-built matcher,
    so the poll job starts only when it is complete.
    """
    started = time.monotonic()
    path = pipeline.config.storage.path
    count = await asyncio.to_thread(fill_matcher, path, pipeline.matcher, pipeline.stopping)
    if pipeline.stopping.is_set():
        return
    await asyncio.to_thread(warm_up_matching)
    log.info("matcher ready: %d subscriptions in %.1f s", count, time.monotonic() - started)
    assert app.job_queue is not None
    app.job_queue.run_repeating(
        pipeline.poll, interval=_POLL_TICK, first=0.1, name="poll", job_kwargs=job_kwargs
    )


def _request_stop(app: Application) -> None:
    """SIGINT/SIGTERM: let the jobs finish quickly, then leave run_polling, whose cleanup stops everything."""
    pipeline: Pipeline | None = app.bot_data.get("pipeline")
    if pipeline is not None:
        pipeline.stop()
    app.stop_running()


async def _stop(app: Application) -> None:
    """Close what :func:`_start` opened (PTB calls this after the jobs and the updater stopped)."""
    pipeline: Pipeline | None = app.bot_data.get("pipeline")
    if pipeline is not None and pipeline.loader is not None:
        pipeline.stop()
        await pipeline.loader  # the matcher load ends at its next row once stopping is set
    services: Services | None = app.bot_data.get("services")
    await app.bot_data["monitoring"].stop(services.db if services is not None else None)
    if services is not None:
        await asyncio.to_thread(services.db.close)
    if pipeline is not None:
        pipeline.close()
    await asyncio.to_thread(shutdown_parse_pool)
    gc.unfreeze()  # what fill_matcher froze may be garbage now (in one process, tests start many bots)
