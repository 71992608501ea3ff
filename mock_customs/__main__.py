"""``python -m mock_customs …``: see ``mock_customs.app``."""

from __future__ import annotations

import sys

from mock_customs.app import main

if __name__ == "__main__":
    sys.exit(main())
