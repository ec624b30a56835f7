"""Load and validate ``config.toml``.

Every key has a default so the bot runs with no file at all. Validation is strict on purpose: a typo in a key
name would otherwise be silently ignored and the operator would wonder why a setting has no effect, so an unknown
key or a wrong type is a :class:`ConfigError` whose message is one line naming the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feeds.urls import FeedUrlError, normalize_feed_url
from observe.address import parse_address


class ConfigError(Exception):
    """A config file that cannot be used; the message is one line meant for the operator."""


# Telegram's limits for messages to many chats: about 30 a second for free, up to 1,000 a second with paid
# broadcasts (each message past the free rate costs Stars from the bot's balance).
# They are PTB's telegram.constants.FloodLimit (a test keeps them equal), written out so that reading the config
# does not import python-telegram-bot: `newsalert match` starts without it.
FREE_MESSAGES_PER_SECOND = 30
PAID_MESSAGES_PER_SECOND = 1000


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    interval_seconds: int | None = None


@dataclass(frozen=True)
class TelegramConfig:
    token_env: str = "TELEGRAM_BOT_TOKEN"
    base_url: str = "https://api.telegram.org/bot"
    admins: tuple[int, ...] = ()
    allowed_users: tuple[int, ...] = ()
    max_subscriptions: int = 50
    commands_per_minute: int = 30
    messages_per_second: float = 29.0
    paid_broadcast: bool = False


@dataclass(frozen=True)
class StorageConfig:
    path: str = "newsalert.db"
    chat_path: str = ""  # newsalert chat's database; empty: beside ``path``, named <stem>.chat<suffix>
    keep_articles_days: int = 14

    def chat_database(self) -> str:
        """The database ``newsalert chat`` uses: its own by default, so trying the bot never touches real users'
        data; ``chat_path = path`` makes chat share the bot's database (and the feeds the CLI manages there)."""
        if self.chat_path:
            return self.chat_path
        file = Path(self.path)
        return str(file.with_name(f"{file.stem}.chat{file.suffix or '.db'}"))


@dataclass(frozen=True)
class PollingConfig:
    interval_seconds: int = 300
    timeout_seconds: int = 20
    max_body_bytes: int = 5_000_000
    allow_private_addresses: bool = False
    max_concurrency: int = 50


@dataclass(frozen=True)
class AlertsConfig:
    max_age_hours: int = 48
    max_per_hour: int = 20


@dataclass(frozen=True)
class MetricsConfig:
    listen: str = ""  # "host:port" for /healthz and /metrics; empty: no endpoint


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    polling: PollingConfig = field(default_factory=PollingConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    feeds: tuple[FeedConfig, ...] = ()
    source: Path | None = None

    def token(self) -> str | None:
        """The bot token from the environment variable the config names (never from the file)."""
        value = os.environ.get(self.telegram.token_env, "").strip()
        return value or None


# Section name -> (dataclass, {key: accepted python types}).
_SECTIONS: dict[str, tuple[type, dict[str, tuple[type, ...]]]] = {
    "telegram": (
        TelegramConfig,
        {
            "token_env": (str,),
            "base_url": (str,),
            "admins": (list,),
            "allowed_users": (list,),
            "max_subscriptions": (int,),
            "commands_per_minute": (int,),
            "messages_per_second": (int, float),
            "paid_broadcast": (bool,),
        },
    ),
    "storage": (StorageConfig, {"path": (str,), "chat_path": (str,), "keep_articles_days": (int,)}),
    "polling": (
        PollingConfig,
        {
            "interval_seconds": (int,),
            "timeout_seconds": (int,),
            "max_body_bytes": (int,),
            "allow_private_addresses": (bool,),
            "max_concurrency": (int,),
        },
    ),
    "alerts": (AlertsConfig, {"max_age_hours": (int,), "max_per_hour": (int,)}),
    "metrics": (MetricsConfig, {"listen": (str,)}),
}
_FEED_KEYS: dict[str, tuple[type, ...]] = {"url": (str,), "name": (str,), "interval_seconds": (int,)}
_POSITIVE = {
    "interval_seconds",
    "timeout_seconds",
    "max_body_bytes",
    "max_age_hours",
    "max_per_hour",
    "max_subscriptions",
    "commands_per_minute",
    "messages_per_second",
    "max_concurrency",
    "keep_articles_days",
}
# Grouping looks two days back (storage.stories); retention must keep at least that and max_age_hours, or an
# article could be deleted while it might still be alerted or joined by another report.
_MIN_KEEP_HOURS = 48


def _check_value(where: str, key: str, value: Any, types: tuple[type, ...]) -> None:
    # bool is a subclass of int: `interval_seconds = true` must not pass as 1.
    if isinstance(value, bool) and bool not in types:
        raise ConfigError(f"config key {where}.{key}: expected {types[0].__name__}, got a boolean")
    if not isinstance(value, types):
        raise ConfigError(
            f"config key {where}.{key}: expected {types[0].__name__}, got {type(value).__name__}"
        )
    if key in _POSITIVE and value <= 0:
        raise ConfigError(f"config key {where}.{key}: must be greater than 0, got {value}")
    if key in ("admins", "allowed_users") and not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ConfigError(f"config key {where}.{key}: expected a list of Telegram user ids (integers)")
    if key == "listen" and isinstance(value, str) and value:
        try:
            parse_address(value)
        except ValueError as error:
            raise ConfigError(f"config key {where}.{key}: {error}") from None


def _build_section(name: str, raw: Any) -> Any:
    cls, keys = _SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError(f"config key {name}: expected a table [{name}]")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in keys:
            raise ConfigError(f"unknown config key {name}.{key}")
        _check_value(name, key, value, keys[key])
        values[key] = tuple(value) if isinstance(value, list) else value
    section = cls(**values)
    if isinstance(section, TelegramConfig):
        _check_send_rate(section)
    return section


def _check_send_rate(telegram: TelegramConfig) -> None:
    """A rate Telegram would answer with 429s is refused here, where the operator can see why."""
    rate = telegram.messages_per_second
    if rate > PAID_MESSAGES_PER_SECOND:
        raise ConfigError(
            f"config key telegram.messages_per_second: at most {PAID_MESSAGES_PER_SECOND} "
            f"(Telegram's ceiling, with paid broadcasts), got {rate:g}"
        )
    if rate > FREE_MESSAGES_PER_SECOND and not telegram.paid_broadcast:
        raise ConfigError(
            f"config key telegram.messages_per_second: above {FREE_MESSAGES_PER_SECOND} needs "
            f"telegram.paid_broadcast = true (Telegram allows about {FREE_MESSAGES_PER_SECOND}/s otherwise), "
            f"got {rate:g}"
        )


def _build_feeds(raw: Any) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("config key feeds: expected an array of tables [[feeds]]")
    feeds = []
    for index, entry in enumerate(raw):
        where = f"feeds[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"config key {where}: expected a table")
        for key, value in entry.items():
            if key not in _FEED_KEYS:
                raise ConfigError(f"unknown config key {where}.{key}")
            _check_value(where, key, value, _FEED_KEYS[key])
        if "url" not in entry:
            raise ConfigError(f"config key {where}.url: missing")
        try:
            normalize_feed_url(entry["url"])
        except FeedUrlError as exc:
            raise ConfigError(f"config key {where}.url: {exc} (got {entry['url']!r})") from None
        feeds.append(FeedConfig(**entry))
    return tuple(feeds)


def parse_config(data: dict[str, Any], source: Path | None = None) -> Config:
    """Validate a parsed TOML document and build a :class:`Config`."""
    sections: dict[str, Any] = {}
    feeds: tuple[FeedConfig, ...] = ()
    for key, value in data.items():
        if key == "feeds":
            feeds = _build_feeds(value)
        elif key in _SECTIONS:
            sections[key] = _build_section(key, value)
        else:
            raise ConfigError(f"unknown config key {key}")
    config = Config(**sections, feeds=feeds, source=source)
    _check_retention(config)
    return config


def _check_retention(config: Config) -> None:
    keep_hours = config.storage.keep_articles_days * 24
    needed = max(_MIN_KEEP_HOURS, config.alerts.max_age_hours)
    if keep_hours < needed:
        raise ConfigError(
            f"config key storage.keep_articles_days: must keep articles at least {-(-needed // 24)} days "
            f"(alerts.max_age_hours is {config.alerts.max_age_hours}, stories group over 2 days), "
            f"got {config.storage.keep_articles_days}"
        )


def load_config(path: str | Path | None = None) -> Config:
    """Read the config file; a missing default file means built-in defaults, a missing named file is an error."""
    explicit = path is not None
    file = Path(path) if path is not None else Path("config.toml")
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file not found: {file}")
        return Config()
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
    return parse_config(data, source=file)
