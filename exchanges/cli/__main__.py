"""``python -m exchanges.cli``: same as the ``exchanges`` console script."""

import sys

from exchanges.cli import main

sys.exit(main())
