"""``python -m softmaxkit``: the same as the ``softmaxkit`` command."""

import sys

from ._cli import main

sys.exit(main())
