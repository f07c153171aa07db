"""The JSON Schemas of ``../shared/schemas`` (DESIGN's output contracts).

The repository's CI runs in a clone with ``shared/`` beside it; a developer
checkout under /work has it at /work/shared.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_CANDIDATES = (
    Path(__file__).resolve().parents[1].parent / "shared" / "schemas",
    Path("/work/shared/schemas"),
)


def schema_dir() -> Path:
    for folder in _CANDIDATES:
        if (folder / "flag.schema.json").exists():
            return folder
    raise FileNotFoundError(
        "shared/schemas not found beside the repository (looked in "
        + ", ".join(str(c) for c in _CANDIDATES)
        + ")"
    )


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``load_schema("flag")`` → the parsed ``flag.schema.json``."""
    data: dict[str, Any] = json.loads((schema_dir() / f"{name}.schema.json").read_text("utf-8"))
    return data
