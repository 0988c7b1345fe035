"""The ``cgt-monitor`` command line: one Typer app (``app.py``) and its commands by what they
do - running (``run``, ``serve``), extracting from files (``extract``), reading the store
(``claims``, ``timeline``), correcting developments (``developments merge|split``) and the
schema (``db``). The orchestration they call lives in the rest of ``flows/``, which never
imports this package.
"""

from .app import app, main

# Each module adds its commands to ``app`` when imported; ``--help`` lists them in this order.
# isort: off
from . import running, extracting, reading, correcting, database  # noqa: F401, E402
# isort: on

__all__ = ["app", "main"]
