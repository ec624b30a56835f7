"""Story grouping: which reports of the last 48 hours tell the same event (pure domain logic, no storage).

:class:`Grouper` keeps the window's reports and their stories; :func:`make_report` turns an article's title and
lead into what it compares. ``storage.stories`` feeds it from the database.
"""

from stories.grouper import WINDOW_SECONDS, Grouper, Settings
from stories.report import Report, make_report

__all__ = ["WINDOW_SECONDS", "Grouper", "Report", "Settings", "make_report"]
