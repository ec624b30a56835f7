"""``python -m bot`` is the same as the ``newsalert`` console script."""

import sys

from bot.cli import main

sys.exit(main())
