"""``python -m rlfoundations``: the command line of :mod:`rlfoundations.cli`."""

import sys

from rlfoundations.cli import main

if __name__ == "__main__":
    sys.exit(main())
