"""``python -m orchestration.cli``: the ``baton`` command without the console script."""

import sys

from orchestration.cli import main

sys.exit(main())
