"""The ``credgraph`` console script (typer). Command modules register on the app."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import api
from api.cli_app import app

for _mod in pkgutil.iter_modules(api.__path__):
    if _mod.name.startswith("cmd_"):
        importlib.import_module(f"api.{_mod.name}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
