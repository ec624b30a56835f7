"""numba's ``njit`` as matching uses it, or no compiler at all when ``NUMBA_DISABLE_JIT`` is set.

numba's start costs about a second (its import ~0.4 s, then its compiler's registries and each cached loop on
first call), which is most of a one-text command such as ``newsalert match``. With ``NUMBA_DISABLE_JIT=1``
numba itself would hand the functions back uncompiled, but only after being imported; here numba is not
imported at all, and the same functions run as Python over the same arrays (the uint64 hash products wrap
alike; numpy warns of the overflow, which callers may silence with ``np.errstate(over="ignore")``). The
variable is read once, when :mod:`matching` is first imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

INTERPRETED = os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0")


def njit(func: Callable[..., Any] | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, nogil=True, **options)`` (as ``@njit`` or ``@njit(inline="always")``), or the
    function itself when :data:`INTERPRETED`."""

    def decorate(f: Callable[..., Any]) -> Any:
        if INTERPRETED:
            return f
        import numba

        return numba.njit(**{"cache": True, "nogil": True, **options})(f)

    return decorate if func is None else decorate(func)
