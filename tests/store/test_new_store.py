"""A brand-new embedded store is built in a scratch file beside its target
and linked into place when the load commits (``newstore.py``): a kill
leaves no store, a store that appeared meanwhile is never replaced, and
the store, rejects and refusals are those of a load into an empty store
created first (the path every existing store keeps)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from builders import make_rid, make_uscc

from credgraph.model import Batch, Enterprise
from credgraph.store import EmbeddedStore
from credgraph.store.sqlite.newstore import SCRATCH, TargetAppeared, remove_stale
from credgraph.store.sqlite.searchbuild import SearchBuild
from graph_loader import load_folder
from graph_loader.sample import generate_sample

BUILDER = """
import sys
from credgraph.model import Batch, Enterprise
from credgraph.store import EmbeddedStore

store = EmbeddedStore(sys.argv[1], new=True)
try:
    with store.bulk() as writer:
        writer.upsert(Batch(enterprises=[Enterprise(uscc=sys.argv[2], name="新建中有限公司")]))
        print("writing", flush=True)
        sys.stdin.readline()
except Exception as exc:
    print(type(exc).__name__, flush=True)
    raise SystemExit(3)
print("committed", flush=True)
"""


class Builder:
    """A second process in the middle of building a new store."""

    def __init__(self, path: Path) -> None:
        self.uscc = make_uscc(990)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", BUILDER, str(path), self.uscc],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "writing"
        self.scratch = path.parent / SCRATCH.format(name=path.name, pid=self.proc.pid)

    def finish(self) -> tuple[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        said = self.proc.stdout.readline().strip()
        return said, self.proc.wait(timeout=60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


Start = Callable[[Path], Builder]


@pytest.fixture
def builder() -> Iterator[Start]:
    made: list[Builder] = []

    def start(path: Path) -> Builder:
        made.append(Builder(path))
        return made[-1]

    yield start
    for b in made:
        b.kill()


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def credgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def folder_with_rejects(folder: Path) -> Path:
    """A small sample with bad and duplicate rows in every table."""
    generate_sample(folder, enterprises=300, seed=5)
    extra = {
        "enterprises": f"{make_uscc(1)[:-1]}0,坏公司\n",
        "persons": "110101199003070000,坏人\n",
        "relations": f"{make_rid(999)},{make_uscc(999)},legal_representative\n",
        "list_entries": f"BAD1,{make_uscc(998)},serious_dishonesty\n",
    }
    # persons whose id is also an enterprise's (an "other" id may be
    # anything): one with another name, one with the same
    firms = (folder / "enterprises.csv").read_text("utf-8").splitlines()[1:3]
    (uscc, _), (uscc2, name2) = (f.split(",")[:2] for f in firms)
    extra["persons"] += f"{uscc},other,另一个人\n{uscc2},other,{name2}\n"
    for table, rows in extra.items():
        path = folder / f"{table}.csv"
        header = path.read_text("utf-8").splitlines()[0].split(",")
        lines = []
        for row in rows.splitlines():
            values = row.split(",")
            if table == "persons" and len(values) == 2:
                values = [values[0], "resident_id", values[1]]
            lines.append(",".join(values + [""] * (len(header) - len(values))))
        second = path.read_text("utf-8").splitlines()[1]
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n".join([*lines, second]) + "\n")
    return folder


def raw(path: Path) -> dict[str, object]:
    """Every row of every table (the change log's time aside), the schema
    and the header settings of a store file."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        out: dict[str, object] = {
            "schema": conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            ).fetchall(),
            "pragmas": [
                conn.execute(f"PRAGMA {p}").fetchone()
                for p in ("user_version", "journal_mode", "page_size", "auto_vacuum")
            ],
        }
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] != "sqlite_sequence"
        ]
        for table in tables:
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            if table == "change_tx":
                rows = [r[:3] for r in rows]  # recorded_at is the clock's
            out[table] = sorted(rows, key=repr)
        return out


def test_a_new_store_is_built_beside_its_target_and_linked_into_place(
    tmp_path: Path, builder: Start
) -> None:
    target = tmp_path / "new.db"
    b = builder(target)
    assert files(tmp_path) == {b.scratch.name}  # nothing at the target while it builds
    assert b.finish() == ("committed", 0)
    assert files(tmp_path) == {"new.db"}
    store = EmbeddedStore(target, read_only=True)
    assert store.counts()["enterprises"] == 1 and store.generation() == 1
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_kill_9_during_a_build_leaves_no_store_and_the_next_load_works(
    tmp_path: Path, builder: Start
) -> None:
    target = tmp_path / "new.db"
    b = builder(target)
    b.kill()  # SIGKILL: no clean-up of any kind
    assert files(tmp_path) == {b.scratch.name}
    data = folder_with_rejects(tmp_path / "data")
    done = credgraph(
        "load", str(data), "--store", str(target), "--rejects", str(tmp_path / "r.csv")
    )
    assert done.returncode == 0, done.stderr
    assert files(tmp_path) == {"new.db", "data", "r.csv"}  # the stale scratch file is gone
    assert EmbeddedStore(target, read_only=True).counts()["enterprises"] == 300


def test_a_store_created_during_the_build_is_never_replaced(tmp_path: Path, builder: Start) -> None:
    target = tmp_path / "new.db"
    b = builder(target)
    theirs = EmbeddedStore(target)  # someone else creates the store meanwhile
    theirs.upsert(Batch(enterprises=[Enterprise(uscc=make_uscc(5), name="别人的公司")]))
    assert b.finish() == (TargetAppeared.__name__, 3)
    assert not b.scratch.exists()
    assert [n.id for n in EmbeddedStore(target, read_only=True).search("别人")] == [make_uscc(5)]
    assert EmbeddedStore(target, read_only=True).counts()["enterprises"] == 1


def test_an_existing_store_even_empty_keeps_the_path_in_place(tmp_path: Path) -> None:
    target = tmp_path / "empty.db"
    EmbeddedStore(target).close()
    store = EmbeddedStore(target, new=True)
    assert store.pending is None
    with store.bulk() as writer:
        assert not store.building
        writer.upsert(Batch(enterprises=[Enterprise(uscc=make_uscc(7), name="甲公司")]))
    assert files(tmp_path) <= {"empty.db", "empty.db-wal", "empty.db-shm"}


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "parsing-process"])
def test_a_new_build_gives_the_store_of_a_load_into_an_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    copies: list[Path] = []
    if worker:  # the search index then has a process of its own
        monkeypatch.setattr("graph_loader.load.PIPELINE_BYTES", 0)
        copy_into = SearchBuild.copy_into

        def copied(build: SearchBuild, conn: sqlite3.Connection) -> None:
            copies.append(build.staging)
            copy_into(build, conn)

        monkeypatch.setattr(SearchBuild, "copy_into", copied)
    monkeypatch.setattr("credgraph.store.sqlite.feed.BULK_RELATIONS", 10)  # set-based events
    data = folder_with_rejects(tmp_path / "data")
    old = EmbeddedStore(tmp_path / "old.db")
    new = EmbeddedStore(tmp_path / "new.db", new=True)
    assert new.pending is not None
    before = load_folder(old, data)
    after = load_folder(new, data)
    assert after.rejects == before.rejects and len(after.rejects) >= 4
    assert (after.loaded, after.duplicates, after.read) == (
        before.loaded,
        before.duplicates,
        before.read,
    )
    assert (after.touched_ids, after.entry_ids) == (before.touched_ids, before.entry_ids)
    assert after.generation_before == before.generation_before == 0
    old.close()
    new.close()
    assert raw(tmp_path / "new.db") == raw(tmp_path / "old.db")
    for query in ("科技", "有限公司", "wang", "另一个人"):
        hits = [n.id for n in EmbeddedStore(tmp_path / "new.db", read_only=True).search(query)]
        assert hits == [n.id for n in EmbeddedStore(tmp_path / "old.db").search(query)]
    assert not [p for p in files(tmp_path) if "building" in p]
    assert len(copies) == worker
    # the person sharing an enterprise's id took over its search document
    renamed = [n.id for n in EmbeddedStore(tmp_path / "new.db").search("另一个人")]
    assert len(renamed) == 1
    assert renamed == [n.id for n in EmbeddedStore(tmp_path / "old.db").search("另一个人")]


def test_a_strict_refusal_into_a_new_store_is_as_before(tmp_path: Path) -> None:
    data = folder_with_rejects(tmp_path / "data")
    EmbeddedStore(tmp_path / "old.db").close()  # today's path: the store exists, empty
    runs = {}
    for name in ("old", "new"):
        runs[name] = credgraph(
            "load", str(data), "--store", str(tmp_path / f"{name}.db"), "--strict",
            "--rejects", str(tmp_path / f"{name}.csv"),
        )  # fmt: skip
        assert runs[name].returncode == 1, runs[name].stderr
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    assert raw(tmp_path / "new.db") == raw(tmp_path / "old.db")  # an empty store, as before
    assert EmbeddedStore(tmp_path / "new.db").counts()["enterprises"] == 0
    assert not [p for p in files(tmp_path) if "building" in p]


def test_a_failed_build_leaves_an_empty_store_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = folder_with_rejects(tmp_path / "data")
    store = EmbeddedStore(tmp_path / "new.db", new=True)

    def broken(*args: object) -> object:
        raise RuntimeError("parser on fire")

    monkeypatch.setattr("graph_loader.load.parse_person", broken)
    monkeypatch.setattr("graph_loader.fast.persons", broken)
    with pytest.raises(RuntimeError, match="parser on fire"):
        load_folder(store, data)
    assert not [p for p in files(tmp_path) if "building" in p]
    assert store.counts()["enterprises"] == 0  # created in place at the next use
    assert "new.db" in files(tmp_path)


def test_only_scratch_files_of_ended_builds_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "s.db"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                               stdin=subprocess.PIPE)  # fmt: skip
    try:
        stale = tmp_path / SCRATCH.format(name="s.db", pid=ended.pid)
        live = tmp_path / SCRATCH.format(name="s.db", pid=running.pid)
        other = tmp_path / SCRATCH.format(name="other.db", pid=ended.pid)
        for path in (stale, Path(f"{stale}-journal"), live, other):
            path.write_bytes(b"")
        assert remove_stale(target) == [stale, Path(f"{stale}-journal")]
        assert files(tmp_path) == {live.name, other.name}
    finally:
        running.kill()
        running.wait()


def test_a_folder_without_hard_links_gets_the_store_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("credgraph.store.sqlite.newstore.os.link", refused)
    store = EmbeddedStore(tmp_path / "new.db", new=True)
    report = load_folder(store, folder_with_rejects(tmp_path / "data"))
    assert not store.building and report.loaded["enterprises"] == 300
    assert store.counts()["enterprises"] == 300 and store.generation() == 1
    assert not [p for p in files(tmp_path) if "building" in p]
