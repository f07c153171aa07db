"""Readers never wait for a writer; a second writer waits, then gives up
(issue 16, finding 2). The writer is a real second process holding a load's
transaction open (``bulk()`` with rows written) until the test lets it go,
so every assertion below is about order, never about time."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from builders import GraphBuilder, make_uscc

from credgraph.model import Batch, Enterprise
from credgraph.store import EmbeddedStore, StoreBusy, StoreError, store_files

AS_OF = "2025-06-01"

WRITER = """
import sys
from credgraph.model import Batch, Enterprise
from credgraph.store import EmbeddedStore

store = EmbeddedStore(sys.argv[1])
with store.bulk() as writer:
    writer.upsert(Batch(enterprises=[Enterprise(uscc=sys.argv[2], name="写入中有限公司")]))
    print("writing", flush=True)
    sys.stdin.readline()
print("committed", flush=True)
"""


class Writer:
    """A second process in the middle of a load: it holds the store's write
    lock with uncommitted rows until :meth:`finish`."""

    def __init__(self, path: Path) -> None:
        self.uscc = make_uscc(990)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), self.uscc],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "writing"

    def finish(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "committed"
        assert self.proc.wait(timeout=60) == 0

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def build(path: Path) -> GraphBuilder:
    g = GraphBuilder()
    g.firm("A"), g.firm("B"), g.person("p")
    g.rel("p", "A", "legal_representative", start="2020-01-01")
    g.rel("p", "B", "executive", title="general_manager")
    g.entry("E1", "A", "serious_dishonesty", "2024-01-01", category="tax_evasion")
    store = EmbeddedStore(path)
    store.upsert(g.batch)
    store.close()
    return g


@pytest.fixture
def graph_path(tmp_path: Path) -> tuple[GraphBuilder, Path]:
    path = tmp_path / "s.db"
    return build(path), path


@pytest.fixture
def writer(graph_path: tuple[GraphBuilder, Path]) -> Iterator[Writer]:
    w = Writer(graph_path[1])
    yield w
    w.kill()


def credgraph(*args: str, wait: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CREDGRAPH_WRITE_WAIT": str(wait), "CREDGRAPH_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def flagged(result: subprocess.CompletedProcess[str]) -> set[tuple[str, str]]:
    assert result.returncode == 0, result.stderr
    return {(f["subject_id"], f["flag"]) for f in json.loads(result.stdout)}


# -- readers during a load -------------------------------------------------------------
def test_read_commands_answer_while_another_process_loads(
    graph_path: tuple[GraphBuilder, Path], writer: Writer
) -> None:
    g, path = graph_path
    store = ["--store", str(path), "--as-of", AS_OF, "--format", "json"]
    flags = credgraph("flags", *store)
    assert flagged(flags) == {
        (g["A"], "listed"),
        (g["p"], "responsible_person"),
        (g["B"], "related_enterprise"),
    }
    report = credgraph("report", g["A"], *store)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["subject_id"] == g["A"]
    # the writer is still in the middle of its load: readers saw the store as
    # it was committed, without its uncommitted firm
    assert writer.proc.poll() is None
    assert "database is locked" not in flags.stderr + report.stderr
    writer.finish()
    assert make_uscc(990) in EmbeddedStore(path, read_only=True).nodes([make_uscc(990)])


def test_store_reads_and_audit_appends_do_not_wait_for_a_load(
    graph_path: tuple[GraphBuilder, Path], writer: Writer
) -> None:
    g, path = graph_path
    store = EmbeddedStore(path)  # a writable store, as the API opens it
    assert set(store.nodes([g["A"], writer.uscc])) == {g["A"]}
    store.append_audit("key-1", "public", "GET /entities/{id}", [g["A"]], date(2025, 6, 1))
    assert [r.subject_ids for r in store.audit()] == [[g["A"]]]
    assert writer.proc.poll() is None  # all of it while the load held the store
    writer.finish()
    assert writer.uscc in store.nodes([writer.uscc])


# -- a second writer -------------------------------------------------------------------
def test_second_writer_waits_with_progress_then_exits_2(
    graph_path: tuple[GraphBuilder, Path], writer: Writer
) -> None:
    _, path = graph_path
    result = credgraph("propagate", "--store", str(path), "--as-of", AS_OF, wait=1)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"waiting for another process writing {path}")
    assert lines[-1].startswith("error: another process is writing")
    assert "Traceback" not in result.stderr
    assert writer.proc.poll() is None
    writer.finish()


def test_second_writer_goes_on_when_the_first_finishes(
    graph_path: tuple[GraphBuilder, Path], writer: Writer
) -> None:
    _, path = graph_path
    env = {**os.environ, "CREDGRAPH_WRITE_WAIT": "120", "CREDGRAPH_LANG": "en"}
    second = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "propagate", "--store", str(path), "--as-of", AS_OF],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert second.stderr is not None
    assert second.stderr.readline().startswith("waiting for another process writing")
    writer.finish()
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    state = EmbeddedStore(path, read_only=True).flags_state()
    assert state is not None and state[0] == date(2025, 6, 1)


def test_store_busy_names_the_store(graph_path: tuple[GraphBuilder, Path], writer: Writer) -> None:
    _, path = graph_path
    waited: list[float] = []
    store = EmbeddedStore(path, write_wait=0.5, on_wait=waited.append)
    with pytest.raises(StoreBusy, match="another process is writing"):
        store.upsert(Batch(enterprises=[Enterprise(uscc=make_uscc(991), name="另一家有限公司")]))
    assert waited and waited[0] < 0.5
    writer.finish()
    assert make_uscc(991) not in store.nodes([make_uscc(991)])


# -- read-only stores ------------------------------------------------------------------
def test_read_only_store_never_writes(graph_path: tuple[GraphBuilder, Path]) -> None:
    g, path = graph_path
    before = path.read_bytes()
    store = EmbeddedStore(path, read_only=True)
    assert set(store.nodes([g["A"]])) == {g["A"]}
    with pytest.raises(StoreError, match="read-only"):
        store.upsert(Batch(enterprises=[Enterprise(uscc=make_uscc(992), name="不写有限公司")]))
    with pytest.raises(StoreError, match="read-only"):
        store.save_flags(date(2025, 6, 1), store.generation(), [])
    store.close()
    assert path.read_bytes() == before


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a store that nobody may write, root included
    (``chattr +i`` where permissions do not bind)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    build(folder / "s.db")
    for f in folder.iterdir():
        f.chmod(0o444)
    folder.chmod(0o555)
    root = os.geteuid() == 0
    if root and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", *map(str, folder.iterdir()), str(folder)], check=False)
    try:
        (folder / "probe").touch()
    except OSError:
        yield folder
    else:
        (folder / "probe").unlink()
        pytest.skip("cannot make a folder read-only here")
    finally:
        if root and shutil.which("chattr"):
            subprocess.run(["chattr", "-i", str(folder), *map(str, folder.iterdir())], check=False)
        folder.chmod(0o755)


def test_read_commands_work_on_a_read_only_store(read_only_folder: Path) -> None:
    path = read_only_folder / "s.db"
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["s.db"]
    result = credgraph("flags", "--store", str(path), "--as-of", AS_OF, "--format", "json")
    assert {flag for _, flag in flagged(result)} == {
        "listed",
        "responsible_person",
        "related_enterprise",
    }
    writing = credgraph("propagate", "--store", str(path), "--as-of", AS_OF)
    assert writing.returncode == 2 and len(writing.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["s.db"]


# -- the audit log's own file ------------------------------------------------------------
def test_audit_log_lives_beside_the_store(graph_path: tuple[GraphBuilder, Path]) -> None:
    g, path = graph_path
    store = EmbeddedStore(path)
    store.append_audit("key-1", "admin", "GET /audit", [g["A"]], None)
    store.close()
    with sqlite3.connect(f"{path}-audit") as conn:
        assert conn.execute("SELECT who, subject_ids FROM audit").fetchall() == [
            ("key-1", json.dumps([g["A"]]))
        ]
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "audit" not in tables
    assert str(path) in store_files(path) and f"{path}-audit" in store_files(path)


def test_old_store_audit_records_move_to_the_audit_file(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build(path)
    with sqlite3.connect(path) as conn:  # as written when the audit log was a table
        conn.execute(
            "CREATE TABLE audit(audit_id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
            "who TEXT NOT NULL, role TEXT NOT NULL, endpoint TEXT NOT NULL, "
            "subject_ids TEXT NOT NULL, as_of TEXT)"
        )
        conn.execute(
            "INSERT INTO audit VALUES (7, '2025-01-02T03:04:05.000+00:00', 'key-9', 'admin', "
            "'GET /audit', '[]', '2025-01-02')"
        )
        conn.execute("PRAGMA user_version = 0")
    store = EmbeddedStore(path)
    records = store.audit()
    assert [(r.audit_id, r.who, r.as_of) for r in records] == [(7, "key-9", date(2025, 1, 2))]
    store.append_audit("key-1", "public", "GET /search", [], None)
    assert [r.audit_id for r in store.audit()] == [7, 8]
    with sqlite3.connect(path) as conn:
        assert (
            conn.execute("SELECT name FROM sqlite_master WHERE name = 'audit'").fetchone() is None
        )
