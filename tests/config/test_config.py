"""Config loading: defaults with no file, one-line errors naming the key, token only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, ConfigError, load_config, parse_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_no_file_gives_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config == Config()
    assert config.polling.interval_seconds == 300
    assert config.storage.path == "newsalert.db"


def test_shipped_config_is_valid_and_lists_real_feeds() -> None:
    config = load_config(REPO_ROOT / "config.toml")
    assert len(config.feeds) >= 5
    assert all(feed.url.startswith("https://") for feed in config.feeds)


def test_named_file_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"polling": {"interval": 5}}, "unknown config key polling.interval"),
        ({"bogus": {}}, "unknown config key bogus"),
        ({"polling": {"interval_seconds": "300"}}, "polling.interval_seconds: expected int, got str"),
        ({"polling": {"interval_seconds": True}}, "polling.interval_seconds"),
        ({"polling": {"timeout_seconds": 0}}, "polling.timeout_seconds: must be greater than 0"),
        ({"polling": {"allow_private_addresses": 1}}, "polling.allow_private_addresses: expected bool"),
        ({"telegram": {"admins": ["alice"]}}, "telegram.admins"),
        ({"feeds": [{"name": "x"}]}, "feeds[0].url: missing"),
        ({"feeds": [{"url": "https://a", "colour": "red"}]}, "unknown config key feeds[0].colour"),
        ({"telegram": {"messages_per_second": 31}}, "telegram.messages_per_second: above 30 needs"),
        (
            {"telegram": {"messages_per_second": 1001, "paid_broadcast": True}},
            "telegram.messages_per_second: at most 1000",
        ),
        ({"telegram": {"messages_per_second": 0}}, "telegram.messages_per_second: must be greater than 0"),
        ({"telegram": {"paid_broadcast": "yes"}}, "telegram.paid_broadcast: expected bool"),
        ({"feeds": [{"url": "not a url"}]}, "feeds[0].url: not a feed address"),
        ({"feeds": [{"url": "ftp://example.org/rss"}]}, "feeds[0].url: only http and https"),
    ],
)
def test_bad_keys_are_named(document: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(document)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_paid_broadcast_allows_a_rate_up_to_telegrams_ceiling() -> None:
    config = parse_config({"telegram": {"messages_per_second": 1000, "paid_broadcast": True}})
    assert config.telegram.messages_per_second == 1000 and config.telegram.paid_broadcast
    assert parse_config({"telegram": {"messages_per_second": 30}}).telegram.paid_broadcast is False


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[polling\ninterval_seconds = 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert "not valid TOML" in str(info.value)


def test_token_comes_from_named_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"telegram": {"token_env": "MY_BOT_TOKEN"}})
    monkeypatch.delenv("MY_BOT_TOKEN", raising=False)
    assert config.token() is None
    monkeypatch.setenv("MY_BOT_TOKEN", "123:abc")
    assert config.token() == "123:abc"


def test_cli_reports_bad_config_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[storage]\npath = 3\n")
    code = main(["feeds", "list", "--config", str(bad)])
    err = capsys.readouterr().err
    assert code != 0
    assert err.strip().count("\n") == 0
    assert "storage.path" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("listen", "fragment"),
    [
        ("9464", 'config key metrics.listen: expected "host:port"'),
        (":9464", 'config key metrics.listen: expected "host:port"'),
        ("localhost:http", "config key metrics.listen: the port must be a number from 0 to 65535"),
        ("127.0.0.1:70000", "config key metrics.listen: the port must be a number from 0 to 65535"),
        ("::1:9464", "config key metrics.listen: an IPv6 address goes in brackets"),
    ],
)
def test_metrics_listen_must_be_host_and_port(listen: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"metrics": {"listen": listen}})
    assert str(caught.value).startswith(fragment)
    assert "\n" not in str(caught.value)


def test_metrics_endpoint_is_off_by_default_and_takes_host_port() -> None:
    assert Config().metrics.listen == ""
    assert parse_config({"metrics": {"listen": ""}}).metrics.listen == ""
    assert parse_config({"metrics": {"listen": "127.0.0.1:9464"}}).metrics.listen == "127.0.0.1:9464"
    assert parse_config({"metrics": {"listen": "[::1]:9464"}}).metrics.listen == "[::1]:9464"


def test_telegram_ceilings_are_ptbs() -> None:
    from telegram.constants import FloodLimit

    from bot.config import FREE_MESSAGES_PER_SECOND, PAID_MESSAGES_PER_SECOND

    assert (FREE_MESSAGES_PER_SECOND, PAID_MESSAGES_PER_SECOND) == (
        FloodLimit.MESSAGES_PER_SECOND,
        FloodLimit.PAID_MESSAGES_PER_SECOND,
    )
