"""``python -m autorec_common [--check]``: regenerate (or check) the README's results table."""

import sys

from .results import main

sys.exit(main())
