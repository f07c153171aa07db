"""A load parsed in a second process inserts each chunk's nodes in key
order; the store, its search hits and the order of its search documents
(file order) stay those of a load parsed in the writing process."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from builders import make_rid, make_uscc

from credgraph.model import NodeKind
from credgraph.store import EmbeddedStore
from graph_loader import load_folder


def _folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    # ids in descending order: key order is the reverse of the file's
    firms = [make_uscc(n) for n in range(30, 0, -1)]
    people = [make_rid(n) for n in range(30, 0, -1)]
    names = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
    (folder / "enterprises.csv").write_text(
        "uscc,name\n"
        + "".join(f"{u},{c}华科技有限公司\n" for u, c in zip(firms, names, strict=True)),
        "utf-8",
    )
    (folder / "persons.csv").write_text(
        "person_id,name\n" + "".join(f"{p},{c}华\n" for p, c in zip(people, names, strict=True)),
        "utf-8",
    )
    (folder / "relations.csv").write_text(
        "source_id,target_uscc,role\n"
        + "".join(f"{p},{u},legal_representative\n" for p, u in zip(people, firms, strict=True))
        + "".join(f"{a},{b},branch_of\n" for a, b in zip(firms[1:], firms, strict=False)),
        "utf-8",
    )
    return folder


def _state(store: EmbeddedStore) -> tuple[object, ...]:
    return (
        list(store.iter_nodes(NodeKind.ENTERPRISE)),
        list(store.iter_nodes(NodeKind.PERSON)),
        sorted(store.iter_relations(), key=repr),
        [n.id for n in store.search("华", limit=100)],
    )


def test_worker_load_keeps_file_order_of_search_hits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _folder(tmp_path / "data")
    here = EmbeddedStore(tmp_path / "here.db")
    report = load_folder(here, data)
    assert not report.rejects
    assert report.loaded == {"enterprises": 30, "persons": 30, "relations": 59}
    monkeypatch.setattr("graph_loader.load.PIPELINE_BYTES", 0)  # parse in a worker
    worker = EmbeddedStore(tmp_path / "worker.db")
    assert load_folder(worker, data).loaded == report.loaded
    assert _state(worker) == _state(here)
    # search documents (the order of raw hits): firms then persons, each in
    # the file's order (descending ids), whatever order the rows went in
    with closing(sqlite3.connect(tmp_path / "worker.db")) as conn:
        docs = [r[0] for r in conn.execute("SELECT node_id FROM search_docs ORDER BY doc")]
    assert docs == [make_uscc(n) for n in range(30, 0, -1)] + [
        make_rid(n) for n in range(30, 0, -1)
    ]
