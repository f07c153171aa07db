"""Watchlists (DESIGN §10): CLI add/import/list/remove, unknown ids per line, limits."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from builders import GraphBuilder, make_uscc
from stores import store_location
from typer.testing import CliRunner

from cli.main import app
from credgraph.store import GraphStore
from credgraph.store.feed import MAX_WATCHLIST_IDS, NameTaken
from queries.errors import InvalidRequest
from queries.watchlists import add_ids, read_ids, visible
from queries.webhooks import UnknownMonitorName


def run(store: GraphStore, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--lang", "en", *args, "--store", store_location(store)])
    return result.exit_code, result.output


def firms(store: GraphStore, n: int = 3) -> GraphBuilder:
    g = GraphBuilder()
    for i in range(n):
        g.firm(f"F{i}")
    g.person("wang")
    store.upsert(g.batch)
    return g


def test_watch_add_list_remove(store: GraphStore) -> None:
    g = firms(store)
    unknown = make_uscc(999)
    code, out = run(store, "watch", "add", "suppliers", g["F0"], unknown, g["F1"].lower())
    assert code == 0, out
    assert f"line 2: {unknown} skipped: not in the store" in out
    code, out = run(store, "watch", "list", "--format", "json")
    [listed] = json.loads(out)
    assert (listed["name"], listed["owner"], listed["size"]) == ("suppliers", "cli", 2)
    code, out = run(store, "watch", "list", "suppliers")
    assert out.split()[-2:] == sorted([g["F0"], g["F1"]])
    code, out = run(store, "watch", "remove", "suppliers", g["F0"], "--format", "json")
    assert json.loads(out)["removed"] == 1 and json.loads(out)["size"] == 1
    code, out = run(store, "watch", "remove", "suppliers")
    assert code == 0
    code, out = run(store, "watch", "list", "suppliers")
    assert code == 2 and "no watchlist named 'suppliers'" in out and "Traceback" not in out


def test_import_csv_and_xlsx_reports_unknown_ids_per_line(
    store: GraphStore, tmp_path: Path
) -> None:
    g = firms(store)
    csv_file = tmp_path / "ids.csv"
    csv_file.write_text(
        f"name,uscc\nF0,{g['F0']}\nnobody,{make_uscc(998)}\n\nsomeone,\nwang,{g['wang']}\n",
        encoding="utf-8-sig",
    )
    code, out = run(store, "watch", "import", "mixed", str(csv_file), "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["added"] == 2
    assert report["skipped"] == [
        {"line": 3, "value": make_uscc(998), "reason": "not in the store"},
        {"line": 5, "value": "", "reason": "empty id"},
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id"])
    sheet.append([g["F2"]])
    sheet.append(["not-an-id"])
    xlsx = tmp_path / "ids.xlsx"
    book.save(xlsx)
    code, out = run(store, "watch", "import", "mixed", str(xlsx), "--format", "json")
    report = json.loads(out)
    assert (report["added"], report["size"]) == (1, 3)
    assert report["skipped"] == [{"line": 3, "value": "NOT-AN-ID", "reason": "not in the store"}]

    bad = tmp_path / "bad.csv"
    bad.write_text("name\nF0\n", "utf-8")
    code, out = run(store, "watch", "import", "mixed", str(bad))
    assert code == 2 and "column named id or uscc" in out


def test_watchlist_limits_and_ownership(store: GraphStore) -> None:
    g = firms(store)
    with pytest.raises(InvalidRequest):
        read_ids(b"id\n" + b"x\n" * (MAX_WATCHLIST_IDS + 1))
    add_ids(store, "mine", [(1, g["F0"])], "alice")
    with pytest.raises(UnknownMonitorName):
        visible(store, "mine", "bob")
    with pytest.raises(UnknownMonitorName):  # bob cannot add to alice's list
        add_ids(store, "mine", [(1, g["F1"])], "bob")
    assert visible(store, "mine", None).owner == "alice"
    with pytest.raises(NameTaken):
        store.create_watchlist("mine", "bob")
    with pytest.raises(InvalidRequest):
        add_ids(store, "a/b", [(1, g["F0"])], "alice")


def test_store_refuses_more_than_the_limit(store: GraphStore) -> None:
    g = firms(store)
    store.create_watchlist("big", "t")
    store.watch("big", [g["F0"]])
    fake = [f"X{i:07d}" for i in range(MAX_WATCHLIST_IDS)]
    with pytest.raises(ValueError, match="at most"):
        store.watch("big", fake)
    assert store.watchlist("big").size == 1  # nothing of the refused batch stayed
