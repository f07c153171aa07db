"""``credgraph changes`` and the webhook commands ``log``/``remove`` (DESIGN §10),
on every backend: filters, --since as a seq or a day, paging, JSON that
validates against ``changes.schema.json``, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from receiver import Receiver
from schemas import load_schema
from stores import store_location
from test_webhooks import SECRET, list_firm, secret_file, watched_world
from typer.testing import CliRunner

from credgraph.store import GraphStore
from credgraph.store.feed import ChangeKind
from queries.webhooks import add_webhook, verify

VALIDATOR = Draft202012Validator(load_schema("changes"), format_checker=FormatChecker())


def run(store: GraphStore, *args: str) -> tuple[int, str, str]:
    from cli.main import app

    result = CliRunner().invoke(app, ["--lang", "en", *args, "--store", store_location(store)])
    return result.exit_code, result.stdout, result.output


def feed(store: GraphStore, *args: str) -> list[dict[str, object]]:
    code, out, everything = run(store, "changes", "--format", "json", *args)
    assert code == 0, everything
    page = json.loads(out)
    VALIDATOR.validate(page)
    events: list[dict[str, object]] = page["events"]
    return events


def test_changes_filters_since_and_pages(store: GraphStore) -> None:
    g = watched_world(store)  # F0…F2 watched; wang represents them
    g.firm("X")  # a firm nobody watches, added with its own representative
    g.person("li")
    g.rel("li", "X", "legal_representative", start="2021-01-01")
    store.upsert(g.batch)
    start = store.last_seq()
    list_firm(store, g, "E1", "F0")

    everything = feed(store)
    assert [e["seq"] for e in everything] == list(range(1, store.last_seq() + 1))
    assert everything == [e.model_dump(mode="json") for e in store.changes(0, 10_000)]

    watched = {g["F0"], g["F1"], g["F2"]}
    of_list = feed(store, "--watchlist", "suppliers")
    assert of_list and all(
        e["subject_id"] in watched or e.get("related_id") in watched for e in of_list
    )
    assert g["X"] not in {e["subject_id"] for e in of_list}
    assert g["X"] in {e["subject_id"] for e in everything}

    of_f0 = feed(store, "--subject", g["F0"].lower())  # ids are normalised
    assert {e["subject_id"] for e in of_f0} <= {g["F0"]} | {g["wang"]}
    assert ChangeKind.ENTRY_ADDED.value in {e["kind"] for e in of_f0}

    after = feed(store, "--since", str(start))
    assert [e["seq"] for e in after] == list(range(start + 1, store.last_seq() + 1))
    assert feed(store, "--since", "2000-01-01") == everything  # recorded from that day on
    assert feed(store, "--since", "2999-01-01") == []

    code, out, _ = run(store, "changes", "--format", "json", "--limit", "2")
    page = json.loads(out)
    assert [e["seq"] for e in page["events"]] == [1, 2] and page["has_more"] is True
    code, _, shown = run(store, "changes", "--limit", "2")
    assert code == 0 and "more changes follow: --since 2" in shown

    for bad in (["--since", "yesterday"], ["--watchlist", "nope"]):
        code, _, shown = run(store, "changes", *bad)
        assert code == 2 and "Traceback" not in shown
        assert len(shown.strip().splitlines()) == 1, shown


def test_webhook_log_and_remove(store: GraphStore, tmp_path: Path) -> None:
    g = watched_world(store)
    receiver = Receiver().start()
    try:
        add_webhook(store, "hook", receiver.url, "suppliers", secret_file(tmp_path), "t")
        list_firm(store, g, "E1", "F0")
        code, _, shown = run(store, "deliver")
        assert code == 0, shown
    finally:
        receiver.stop()
    [got] = receiver.received
    assert verify(SECRET, got.body, got.headers["x-credgraph-signature"])

    code, out, _ = run(store, "webhook", "log", "hook", "--format", "json")
    [attempt] = json.loads(out)
    assert attempt["ok"] is True and attempt["status"] == 200
    assert attempt["delivery_id"] == got.headers["x-credgraph-delivery"]
    code, _, shown = run(store, "webhook", "log", "hook")
    assert code == 0 and "deliveries of hook" in shown and " 200 " in shown, shown

    code, _, shown = run(store, "webhook", "remove", "hook")
    assert code == 0, shown
    code, out, _ = run(store, "webhook", "list", "--format", "json")
    assert json.loads(out) == []
    for command in (["webhook", "log", "hook"], ["webhook", "remove", "hook"]):
        code, _, shown = run(store, *command)
        assert code == 2 and "no webhook named 'hook'" in shown and "Traceback" not in shown
