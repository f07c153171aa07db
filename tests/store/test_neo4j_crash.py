"""A load into Neo4j killed mid-way (``kill -9``) and run again converges to
exactly the graph of a clean load (issue 14, README "Neo4j: during a load").

The load runs as ``credgraph load`` in a child process; the test waits until
the load has committed its first transaction, kills the process, checks that
the store holds part of the load, loads the same folder again and compares
every node, relationship and property with a clean load of the same folder,
and the contract reads with the embedded store's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from stores import Server

from credgraph.model import NodeKind
from credgraph.store import EmbeddedStore, GraphStore
from credgraph.store.neo4j import Neo4jStore
from graph_loader.load import load_folder
from graph_loader.sample import generate_sample

pytestmark = pytest.mark.neo4j

ENTERPRISES = 2000


def graph_dump(store: Neo4jStore) -> dict[str, Any]:
    """Every node and relationship with its properties, by identity; ``doc``
    (load order numbers) compared as an order, the counters and the change
    feed left out (its seqs and times differ: see :func:`feed`)."""
    nodes = store._read(
        "MATCH (n) WHERE NOT n:Meta AND NOT n:Change "
        "RETURN labels(n) AS labels, properties(n) AS props, n.doc AS doc"
    )
    rels = store._read(
        "MATCH (s)-[r]->(t) "
        "RETURN type(r) AS type, properties(r) AS props, "
        "coalesce(s.uscc, s.person_id, s.entry_id) AS s, coalesce(t.uscc, t.entry_id) AS t"
    )

    def ident(props: dict[str, Any]) -> str:
        return str(props.get("uscc") or props.get("person_id") or props.get("entry_id"))

    by_doc = sorted((r for r in nodes if r["doc"] is not None), key=lambda r: r["doc"])
    return {
        "nodes": sorted(
            (r["labels"], ident(r["props"]), sorted((k, str(v)) for k, v in r["props"].items()
                                                   if k != "doc"))
            for r in nodes
        ),
        "load_order": [ident(r["props"]) for r in by_doc],
        "relationships": sorted(
            (r["type"], r["s"], r["t"], sorted((k, str(v)) for k, v in r["props"].items()))
            for r in rels
        ),
    }  # fmt: skip


def feed(store: GraphStore) -> list[tuple[Any, ...]]:
    """What the change feed recorded, without seqs and times (sorted)."""
    return sorted(
        (e.kind.value, e.subject_id, e.related_id, e.entry_id, e.flag,
         json.dumps(e.detail, sort_keys=True))
        for e in store.changes(0, 10_000_000)
    )  # fmt: skip


def reads(store: GraphStore) -> dict[str, Any]:
    return {
        "counts": store.counts(),
        "enterprises": list(store.iter_nodes(NodeKind.ENTERPRISE)),
        "persons": list(store.iter_nodes(NodeKind.PERSON)),
        "relations": list(store.iter_relations()),
        "entries": store.entries(),
    }


def test_a_load_killed_mid_way_then_run_again_equals_a_clean_load(
    neo4j_store: Neo4jStore, neo4j_server: Server, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    generate_sample(data, ENTERPRISES, seed=7)

    load_folder(neo4j_store, data)
    clean = graph_dump(neo4j_store)
    clean_reads = reads(neo4j_store)
    embedded = EmbeddedStore(tmp_path / "embedded.db")
    load_folder(embedded, data)
    assert clean_reads == reads(embedded)  # the contract reads, as the embedded store answers
    clean_feed = feed(neo4j_store)
    assert clean_feed and clean_feed == feed(embedded)  # the same events on both backends
    embedded.close()

    neo4j_store.wipe()
    env = {
        **os.environ,
        "CREDGRAPH_NEO4J_USER": neo4j_server.user,
        "CREDGRAPH_NEO4J_PASSWORD": neo4j_server.password,
    }
    child = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import app; app()", "load", str(data),
         "--store", neo4j_server.uri, "--rejects", str(tmp_path / "rejects.csv")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while neo4j_store.counts()["enterprises"] == 0:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the load never committed"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    partial = neo4j_store.counts()
    assert partial != clean_reads["counts"], "the kill came after the load had finished"
    assert 0 < partial["enterprises"] <= clean_reads["counts"]["enterprises"]

    load_folder(neo4j_store, data)
    assert graph_dump(neo4j_store) == clean
    assert reads(neo4j_store) == clean_reads
    assert feed(neo4j_store) == clean_feed  # what was committed, then only the rest
