"""A running bot picks up feeds added to ``config.toml`` without a restart.

Each poll tick compares the file's modification time and size with what was last read (one ``stat``, cheap at
one tick a second). When they change, the file is read again and its ``[[feeds]]`` are synced into the database
(new ones added, names and intervals updated), exactly as at start. Only the feed list is taken live: the other
settings (token, storage, limits) are wired into running parts and still need a restart, which the log says.
Feeds taken out of the file stay until ``newsalert feeds remove``, as at start. A file that no longer parses is
reported once per change and changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Config, ConfigError, FeedConfig, load_config

log = logging.getLogger(__name__)

_Stamp = tuple[int, int] | None


class ConfigFeedsWatch:
    """Tells the poll job when the config file has new contents, and what its ``[[feeds]]`` are now."""

    def __init__(self, config: Config) -> None:
        self.source = config.source
        self.feeds = config.feeds
        self._stamp = self._read_stamp()

    def _read_stamp(self) -> _Stamp:
        if self.source is None:
            return None
        try:
            stat = Path(self.source).stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def changed(self) -> bool:
        """True once for each change of the file (a missing or unreadable file is no change)."""
        stamp = self._read_stamp()
        if stamp is None or stamp == self._stamp:
            return False
        self._stamp = stamp
        return True

    def reread(self) -> tuple[FeedConfig, ...] | None:
        """The file's feeds now, or None (logged) if the file cannot be used; call after :meth:`changed`."""
        try:
            config = load_config(self.source)
        except ConfigError as error:
            log.warning("%s changed but cannot be used, so its feeds are not re-read: %s", self.source, error)
            return None
        added = len({f.url for f in config.feeds} - {f.url for f in self.feeds})
        log.info(
            "%s changed: %d feeds listed, %d new (only [[feeds]] are re-read; other settings need a restart)",
            self.source,
            len(config.feeds),
            added,
        )
        self.feeds = config.feeds
        return config.feeds
