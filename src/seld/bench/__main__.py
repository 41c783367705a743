"""``python -m seld.bench``: see :mod:`seld.bench.runner`."""

import sys

from .runner import main

sys.exit(main())
