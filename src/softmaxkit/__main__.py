"""``python -m softmaxkit``: the same as the ``softmaxkit`` command."""

import sys

from ._cli.main import main

# Guarded: Dask's worker processes import this module again when they start.
if __name__ == "__main__":
    sys.exit(main())
