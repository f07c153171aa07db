"""Start-up (issue 17): the everyday commands import nothing heavy — numpy,
pandas, networkx and pyvis only when a command needs them (a bulk load, a
sample, a map, the bench)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from builders import GraphBuilder

from credgraph.store import EmbeddedStore
from queries.materialise import propagate

HEAVY = ("numpy", "pandas", "networkx", "pyvis", "IPython")
PROBE = """
import sys
from cli.main import main
sys.argv = ["credgraph", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    code = done.code
else:
    code = 0
print("HEAVY", code, *sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def _heavy_imports(*args: str) -> tuple[str, list[str]]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    line = next(x for x in run.stderr.splitlines() if x.startswith("HEAVY"))
    _, code, *loaded = line.split()
    return code, loaded


def test_help_and_flags_of_a_subject_import_nothing_heavy(tmp_path: Path) -> None:
    g = GraphBuilder()
    g.firm("A")
    g.person("wang")
    g.rel("wang", "A", "legal_representative", start="2020-01-01")
    g.entry("E1", "A", "serious_dishonesty", "2025-01-10")
    store = EmbeddedStore(tmp_path / "s.db")
    store.upsert(g.batch)
    propagate(store, date(2025, 6, 1))
    store.close()

    assert _heavy_imports("--help") == ("0", [])
    flags = ("flags", "--subject", g["wang"], "--store", str(tmp_path / "s.db"))
    assert _heavy_imports(*flags, "--as-of", "2025-06-01", "--format", "json") == ("0", [])
    # and the probe sees a heavy import where there is one
    assert (
        "numpy" in _heavy_imports("sample", "--enterprises", "10", "--out", str(tmp_path / "d"))[1]
    )
