"""``python -m flows.cli``: the same as the ``cgt-monitor`` console script."""

from . import main

main()
