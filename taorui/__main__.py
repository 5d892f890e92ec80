"""``python -m taorui`` is the ``taorui`` command (the console script's entry, collector policy included)."""

import sys

from taorui._entry import main

sys.exit(main())
