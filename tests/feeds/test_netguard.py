"""Private-address refusal for untrusted feeds."""

from __future__ import annotations

import pytest

from feeds.fetch import Fetcher
from feeds.netguard import BlockedAddressError, check_host, is_public_address
from tests.feeds.conftest import rss
from tests.support.feed_server import FeedServer


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "not an ip",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(address)


async def test_check_host_resolves_names() -> None:
    with pytest.raises(BlockedAddressError, match="non-public address"):
        await check_host("localhost", 80)
    with pytest.raises(BlockedAddressError, match="127.0.0.1"):
        await check_host("127.0.0.1", 80)
    await check_host("8.8.8.8", 443)  # a public literal needs no lookup and passes


async def test_fetcher_refuses_loopback_only_when_asked(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss(("a", "Alpha")))
    async with Fetcher(timeout=3) as fetcher:
        refused = await fetcher.fetch(url, allow_private=False)
        allowed = await fetcher.fetch(url, allow_private=True)
    assert refused.error is not None and "refused" in refused.error
    assert refused.body is None
    assert allowed.error is None and allowed.body
    assert len(feed_server.requests("/feed.xml")) == 1  # the refused fetch never reached the server


def _port(server: FeedServer) -> str:
    return server.base_url.rsplit(":", 1)[1]


class _ScriptedResolver:
    """Answers each lookup with the next list in ``answers`` (the last one repeats), recording the names asked."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_dns_rebinding_is_refused_at_connect(feed_server: FeedServer) -> None:
    """Public address to the check, 127.0.0.1 to the connection: the connection is refused, the server sees nothing."""
    feed_server.set("/feed.xml", rss(("a", "Alpha")))
    resolver = _ScriptedResolver(["93.184.216.34"], ["127.0.0.1"])
    url = f"http://rebind.invalid:{_port(feed_server)}/feed.xml"
    async with Fetcher(timeout=3, resolver=resolver) as fetcher:
        result = await fetcher.fetch(url, allow_private=False)
    assert result.error is not None and "non-public address 127.0.0.1" in result.error
    assert resolver.asked == ["rebind.invalid", "rebind.invalid"]
    assert feed_server.requests("/feed.xml") == []


async def test_connection_goes_to_resolved_address_with_original_host(feed_server: FeedServer) -> None:
    """The TCP connection goes to the resolver's address while Host still names the URL's host."""
    body = rss(("a", "Alpha"))
    feed_server.set("/feed.xml", body)
    resolver = _ScriptedResolver(["127.0.0.1"])
    url = f"http://pinned.invalid:{_port(feed_server)}/feed.xml"
    async with Fetcher(timeout=3, resolver=resolver) as fetcher:
        result = await fetcher.fetch(url, allow_private=True)
    assert result.ok and result.body == body
    assert feed_server.requests("/feed.xml")[0].headers["Host"] == f"pinned.invalid:{_port(feed_server)}"


async def test_guard_off_after_guarded_fetch(feed_server: FeedServer) -> None:
    """The guard is per request: a trusted fetch after a refused one on the same fetcher still works."""
    feed_server.set("/feed.xml", rss(("a", "Alpha")))
    async with Fetcher(timeout=3, resolver=_ScriptedResolver(["127.0.0.1"])) as fetcher:
        refused = await fetcher.fetch(f"http://x.invalid:{_port(feed_server)}/feed.xml", allow_private=False)
        trusted = await fetcher.fetch(f"http://x.invalid:{_port(feed_server)}/feed.xml", allow_private=True)
    assert refused.error and "non-public" in refused.error
    assert trusted.ok and trusted.status == 200
