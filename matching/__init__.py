"""Query parsing, place-aware matching and the gazetteer. Pure domain code: no Telegram, no I/O per article.

Place data from GeoNames (https://www.geonames.org/), CC BY 4.0.
"""

import matching.compile_cache  # noqa: F401  (first: numba must not cache into this package)
from matching.document import Document
from matching.gazetteer import Gazetteer
from matching.gazetteer import load as load_gazetteer
from matching.matcher import Matcher
from matching.matches import Match, Matches
from matching.normalize import normalize
from matching.query import Query, QueryError, Term, parse_query

__all__ = [
    "Document",
    "Gazetteer",
    "Match",
    "Matcher",
    "Matches",
    "Query",
    "QueryError",
    "Term",
    "load_gazetteer",
    "normalize",
    "parse_query",
]
