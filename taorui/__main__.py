"""``python -m taorui`` is the ``taorui`` command."""

import sys

from taorui.cli import main

sys.exit(main())
