"""``python3 -m sluice.runtime``: see :mod:`sluice.runtime._cli`."""

import sys

from sluice.runtime._cli import main

if __name__ == "__main__":
    sys.exit(main())
