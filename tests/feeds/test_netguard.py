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
