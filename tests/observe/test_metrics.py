"""The pieces under the endpoint: the HTTP server with any registry and health check, and the database gauges."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, Counter, generate_latest

from bot.metrics import BotMetrics
from observe.http import ObserveServer


def test_the_server_answers_from_its_registry_and_health_check() -> None:
    registry = CollectorRegistry()
    Counter("demo_events", "Events", registry=registry).inc(3)
    verdicts = iter([(True, "ok"), (False, "the feed loop last ran 900 s ago")])
    server = ObserveServer("127.0.0.1", 0, registry, lambda: next(verdicts))
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with httpx.Client(timeout=5, trust_env=False) as client:
            assert "demo_events_total 3.0" in client.get(base + "/metrics").text
            first, second = client.get(base + "/healthz"), client.get(base + "/healthz?verbose=1")
            third = client.get(base + "/healthz")  # the check raises StopIteration: a bug reads as unhealthy
    finally:
        server.stop()
    assert (first.status_code, first.text) == (200, "ok\n")
    assert (second.status_code, second.text) == (503, "the feed loop last ran 900 s ago\n")
    assert (third.status_code, third.text) == (503, "health check failed: StopIteration\n")


def test_two_bots_in_one_process_keep_their_own_counts(tmp_path: Path) -> None:
    first = BotMetrics(tmp_path / "a.db", lambda: (True, "ok"))
    second = BotMetrics(tmp_path / "b.db", lambda: (True, "ok"))
    first.delivered("alert", sent=5, retried=1, rate_limited=0)
    assert b'newsalert_messages_sent_total{kind="alert"} 5.0' in generate_latest(first.registry)
    assert b'newsalert_messages_sent_total{kind="alert"} 0.0' in generate_latest(second.registry)


def test_an_unreadable_database_is_a_gauge_and_one_log_line(tmp_path: Path, caplog) -> None:
    metrics = BotMetrics(tmp_path / "missing.db", lambda: (False, "not polling Telegram"))
    caplog.set_level(logging.WARNING, logger="bot.metrics")
    for _ in range(3):
        text = generate_latest(metrics.registry).decode()
        assert "newsalert_database_readable 0.0" in text and "newsalert_healthy 0.0" in text
    assert len(caplog.records) == 1 and "cannot read the database" in caplog.records[0].getMessage()
    assert not (tmp_path / "missing.db").exists(), "a scrape never creates the database"
