"""The real bot against the fake Bot API, as in tests/handlers, with its health endpoint read over HTTP."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.handlers.conftest import fake, start_bot  # noqa: F401 - the fixtures, shared


def endpoint(bot) -> str:
    """The base URL of a started bot's health and metrics endpoint (``[metrics] listen`` with port 0)."""
    server = bot.app.bot_data["monitoring"].server
    assert server is not None, "start the bot with metrics={'listen': '127.0.0.1:0'}"
    return f"http://127.0.0.1:{server.port}"


async def get(bot, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(endpoint(bot) + path)


async def scrape(bot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``/metrics`` parsed: (sample name, sorted labels) -> value."""
    response = await get(bot, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
