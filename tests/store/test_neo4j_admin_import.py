"""``neo4j-admin database import`` for real: ``credgraph export neo4j-import``
of an embedded store, the importer of the same Maven artifacts as the server
(``neo4j/ctl.sh import``, ``org.neo4j.cli.AdminTool``) into a fresh database,
Neo4j started on it, and the contract reads answer as the embedded store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from stores import CTL, ROOT, SKIP_REASON

from credgraph.model import NodeKind
from credgraph.store import Direction, EmbeddedStore, GraphStore
from credgraph.store.base import SearchField
from credgraph.store.neo4j import Neo4jStore
from credgraph.store.neo4j.admin_import import export_neo4j_import
from graph_loader.load import load_folder
from graph_loader.sample import generate_sample
from queries.materialise import propagate

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

AS_OF = date(2025, 6, 1)


def reads(store: GraphStore) -> dict[str, Any]:
    """What the queries read, through the ``GraphStore`` primitives."""
    firms = [n.id for n in store.iter_nodes(NodeKind.ENTERPRISE)]
    return {
        "counts": store.counts(),
        "generation": store.generation(),
        "enterprises": list(store.iter_nodes(NodeKind.ENTERPRISE)),
        "persons": list(store.iter_nodes(NodeKind.PERSON)),
        "relations": list(store.iter_relations()),
        "entries": store.entries(),
        "objections": store.objections(),
        "flags_state": store.flags_state(),
        "policy_key": store.flags_policy_key(),
        "flags": store.stored_flags(),
        "flags_of_some": store.stored_flags(subject_ids=firms[:50]),
        "expand": store.expand(firms[:50], Direction.BOTH),
        "search": [n.id for n in store.search("公司", limit=30)],
        # field searches list hits in load order: an import's is the export's (by id)
        "search_pinyin": sorted(
            n.id for n in store.search("bei", field=SearchField.PINYIN, limit=1000)
        ),
        "contacts": store.contacts(firms[:50]),
    }


def test_neo4j_admin_import_answers_as_the_embedded_store(tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.skip(SKIP_REASON)
    data = tmp_path / "data"
    generate_sample(data, 300, seed=11)
    embedded = EmbeddedStore(tmp_path / "embedded.db")
    load_folder(embedded, data)
    entry = embedded.entries()[0]
    objection = embedded.file_objection(entry.entry_id, "已整改", date(2025, 1, 2))
    embedded.resolve_objection(objection.objection_id, True, date(2025, 2, 1))
    propagate(embedded, AS_OF)
    expected = reads(embedded)
    export_neo4j_import(embedded, tmp_path / "csv")
    embedded.close()

    state = tmp_path / "state"
    env = {**os.environ, "NEO4J_STATE": str(state), "NEO4J_WATCH_PID": str(os.getpid())}
    done = subprocess.run(
        [str(CTL), "import", str(tmp_path / "csv")], env=env, cwd=ROOT,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        assert done.returncode == 0, done.stderr
        assert "IMPORT DONE" in done.stdout
        user, password = (state / "auth").read_text(encoding="utf-8").strip().split(":", 1)
        imported = Neo4jStore((state / "uri").read_text(encoding="utf-8").strip(), user, password)
        try:
            assert reads(imported) == expected
        finally:
            imported.close()
    finally:
        subprocess.run([str(CTL), "down"], env=env, cwd=ROOT, capture_output=True, check=False)
