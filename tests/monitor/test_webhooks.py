"""Webhook delivery to a real receiver on 127.0.0.1 (DESIGN §10), on every backend.

At-least-once: a receiver that is down gets the batch after it comes back
(``deliver --retry-now``), signed with the secret; a deliverer killed while
a batch is in flight loses nothing and re-sends at most that batch.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from builders import GraphBuilder
from receiver import Receiver, free_port
from typer.testing import CliRunner

from cli.main import app
from credgraph.model import Batch
from credgraph.store import GraphStore
from credgraph.store.feed import ChangeEvent
from queries.materialise import Change, propagate, refresh
from queries.webhooks import (
    UnknownMonitorName,
    WebhookError,
    add_webhook,
    check_url,
    deliver_due,
    verify,
)

SECRET = "s3cret-for-tests-0123456789"
AS_OF = date(2025, 6, 1)


def location(store: GraphStore) -> str:
    """Where a CLI subprocess finds the same store."""
    return str(getattr(store, "path", None) or store.uri)  # type: ignore[attr-defined]


def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", "utf-8")
    return path


def watched_world(store: GraphStore, firms: int = 3) -> GraphBuilder:
    """``wang`` represents firms F0…F{n-1}; all of them are watched."""
    g = GraphBuilder()
    g.person("wang")
    for i in range(firms):
        g.firm(f"F{i}")
        g.rel("wang", f"F{i}", "legal_representative", start="2020-01-01")
    store.upsert(g.batch)
    propagate(store, AS_OF)
    store.create_watchlist("suppliers", "tester")
    store.watch("suppliers", [g[f"F{i}"] for i in range(firms)])
    return g


def list_firm(store: GraphStore, g: GraphBuilder, entry_id: str, firm: str) -> None:
    new = GraphBuilder()
    new.ids = dict(g.ids)
    entry = new.entry(entry_id, firm, "serious_dishonesty", "2025-01-10")
    before = store.generation()
    batch = Batch(entries=[entry])
    store.upsert(batch)
    refresh(store, Change.of_batch(batch), before)


def events_of(body: bytes) -> list[dict[str, object]]:
    payload = json.loads(body)
    assert payload["webhook"] == "hook"
    events: list[dict[str, object]] = payload["events"]
    return events


def watched_events(store: GraphStore, after: int) -> list[ChangeEvent]:
    return store.changes(after, 10_000, watchlist="suppliers")


def test_receiver_down_then_up(store: GraphStore, tmp_path: Path) -> None:
    g = watched_world(store)
    port = free_port()
    hook = add_webhook(
        store, "hook", f"http://127.0.0.1:{port}/hook", "suppliers", secret_file(tmp_path), "t"
    )
    list_firm(store, g, "E1", "F0")
    expected = watched_events(store, hook.cursor)
    assert {e.kind.value for e in expected} >= {"entry_added", "flag_added", "verdict_changed"}

    # down: the attempt fails, is logged, and waits for the backoff
    [outcome] = deliver_due(store)
    assert outcome.failed == 1 and outcome.sent == 0
    state = store.webhook("hook")
    assert state.failures == 1 and state.cursor == hook.cursor
    assert state.next_attempt_at is not None
    wait = state.next_attempt_at - datetime.now(UTC)
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
    [failed] = store.delivery_log("hook")
    assert not failed.ok and failed.status is None and failed.error
    assert (failed.first_seq, failed.last_seq) == (expected[0].seq, expected[-1].seq)

    receiver = Receiver(port).start()
    try:
        # up, but the backoff has not run out: nothing is sent
        [outcome] = deliver_due(store)
        assert outcome.skipped == "not due" and receiver.received == []
        # --retry-now ignores the backoff
        code = CliRunner().invoke(app, ["deliver", "--retry-now", "--store", location(store)])
        assert code.exit_code == 0, code.output
    finally:
        receiver.stop()
    [got] = receiver.received
    assert verify(SECRET, got.body, got.headers["x-credgraph-signature"])
    assert not verify("another-secret-0123456789", got.body, got.headers["x-credgraph-signature"])
    assert got.headers["x-credgraph-delivery"] == failed.delivery_id
    assert got.headers["x-credgraph-seq"] == str(expected[-1].seq)
    assert got.headers["content-type"] == "application/json"
    assert events_of(got.body) == [e.model_dump(mode="json") for e in expected]
    state = store.webhook("hook")
    assert state.failures == 0 and state.pending_delivery is None
    assert state.cursor == store.last_seq()
    log = store.delivery_log("hook")
    assert [a.ok for a in log] == [True, False]
    assert log[0].status == 200

    # nothing new: nothing sent again
    [outcome] = deliver_due(store, retry_now=True)
    assert outcome.sent == 0 and len(receiver.received) == 1


def test_killed_deliverer_loses_nothing(store: GraphStore, tmp_path: Path) -> None:
    g = watched_world(store, firms=4)
    receiver = Receiver().start()
    try:
        hook = add_webhook(store, "hook", receiver.url, "suppliers", secret_file(tmp_path), "t")
        for i in range(4):
            list_firm(store, g, f"E{i}", f"F{i}")
        expected = [e.seq for e in watched_events(store, hook.cursor)]
        assert len(expected) > 9
        env = {**os.environ, "CREDGRAPH_DELIVERY_BATCH": "3"}
        command = [sys.executable, "-m", "cli.main", "deliver", "--store", location(store)]

        receiver.hold = True
        sender = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        try:
            assert receiver.arrived.wait(60), "the first delivery never arrived"
            sender.send_signal(signal.SIGKILL)
            sender.wait(30)
        finally:
            if sender.poll() is None:
                sender.kill()
        receiver.release()
        assert store.webhook("hook").cursor == hook.cursor  # nothing confirmed

        done = subprocess.run(
            [*command, "--retry-now"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    finally:
        receiver.stop()

    first, *rest = receiver.received
    assert rest[0].headers["x-credgraph-delivery"] == first.headers["x-credgraph-delivery"]
    assert rest[0].body == first.body  # the in-flight batch again, byte for byte
    sent = Counter(e["seq"] for r in receiver.received for e in events_of(r.body))
    assert sorted(sent) == expected  # nothing lost
    duplicated = {seq for seq, n in sent.items() if n > 1}
    assert duplicated == {e["seq"] for e in events_of(first.body)}  # only the in-flight batch
    assert max(sent.values()) == 2
    assert all(len(events_of(r.body)) <= 3 for r in receiver.received)
    for r in receiver.received:
        assert verify(SECRET, r.body, r.headers["x-credgraph-signature"])
    assert store.webhook("hook").cursor == store.last_seq()


def test_failures_back_off_and_redirects_are_not_followed(
    store: GraphStore, tmp_path: Path
) -> None:
    g = watched_world(store)
    elsewhere = Receiver().start()
    receiver = Receiver().start()
    try:
        add_webhook(store, "hook", receiver.url, "suppliers", secret_file(tmp_path), "t")
        list_firm(store, g, "E1", "F0")
        receiver.status, receiver.location = 302, elsewhere.url
        [outcome] = deliver_due(store)
        receiver.status, receiver.location = 500, None
        [again] = deliver_due(store, retry_now=True)
    finally:
        receiver.stop()
        elsewhere.stop()
    assert outcome.failed == again.failed == 1
    assert elsewhere.received == []  # the redirect was not followed
    log = store.delivery_log("hook")
    assert [(a.status, a.ok) for a in log] == [(500, False), (302, False)]
    assert "redirects are not followed" in (log[1].error or "")
    state = store.webhook("hook")
    assert state.failures == 2 and state.next_attempt_at is not None
    assert state.next_attempt_at - log[0].attempted_at == timedelta(minutes=5)
    # the same batch both times
    assert receiver.received[0].body == receiver.received[1].body


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/x", "file:///etc/passwd", "example.org/hook", "http://", "http://a b"],
)
def test_only_http_urls(url: str) -> None:
    with pytest.raises(WebhookError):
        check_url(url)


def test_secret_is_never_printed(store: GraphStore, tmp_path: Path) -> None:
    watched_world(store)
    where = location(store)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["webhook", "add", "hook", "https://example.org/h", "--watchlist", "suppliers",
         "--secret-file", str(secret_file(tmp_path)), "--store", where],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["webhook", "list", "--store", where, "--format", "json"])
    assert listed.exit_code == 0
    for output in (added.output, listed.output):
        assert SECRET not in output
    [hook] = json.loads(listed.output)
    assert hook["secret_fingerprint"].startswith("sha256:") and "secret" not in hook

    short = tmp_path / "short.txt"
    short.write_text("abc", "utf-8")
    refused = runner.invoke(
        app,
        ["webhook", "add", "h2", "https://example.org/h", "--watchlist", "suppliers",
         "--secret-file", str(short), "--store", where],
    )  # fmt: skip
    assert refused.exit_code == 2 and "abc" not in refused.output
    with pytest.raises(UnknownMonitorName):
        add_webhook(store, "h3", "https://x.org", "nope", secret_file(tmp_path), "t")


def test_a_receiver_that_holds_a_delivery_does_not_hold_up_the_api(
    store: GraphStore, tmp_path: Path
) -> None:
    """``serve`` delivers in a background thread: while the receiver keeps a
    delivery waiting, the API answers; released, the delivery completes."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.keys import add_key
    from credgraph.settings import Settings

    g = watched_world(store)
    receiver = Receiver().start()
    receiver.hold = True
    try:
        add_webhook(store, "hook", receiver.url, "suppliers", secret_file(tmp_path), "t")
        list_firm(store, g, "E1", "F0")
        keys = tmp_path / "keys.toml"
        key = add_key(keys, "admin", "admin")
        app_ = create_app(location(store), keys, Settings(delivery_interval=0.05))
        with TestClient(app_, headers={"X-API-Key": key}) as client:
            assert receiver.arrived.wait(60), "the background delivery never arrived"
            answers = [
                client.get("/health"),
                client.get(f"/entities/{g['F0']}"),
                client.get("/changes?watchlist=suppliers"),
            ]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert not receiver.answered.is_set()  # the delivery was held all along
            assert store.webhook("hook").cursor < store.last_seq()
            receiver.release()
            for _ in range(600):
                if store.webhook("hook").cursor == store.last_seq():
                    break
                threading.Event().wait(0.05)
    finally:
        receiver.stop()
    state = store.webhook("hook")
    assert state.cursor == store.last_seq() and state.pending_delivery is None
    assert [a.ok for a in store.delivery_log("hook")] == [True]


def test_a_receiver_that_answers_too_late_is_retried(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No answer within the time limit (10 s; shortened here) is a failed
    attempt, logged, with the backoff; the same batch goes again later."""
    monkeypatch.setattr("queries.webhooks.TIMEOUT_S", 0.5)
    g = watched_world(store)
    receiver = Receiver().start()
    receiver.hold = True
    try:
        add_webhook(store, "hook", receiver.url, "suppliers", secret_file(tmp_path), "t")
        list_firm(store, g, "E1", "F0")
        [late] = deliver_due(store)
        receiver.release()
        [again] = deliver_due(store, retry_now=True)
    finally:
        receiver.stop()
    assert (late.failed, late.sent, again.sent) == (1, 0, 1)
    failed, ok = store.delivery_log("hook")[::-1]
    assert not failed.ok and failed.status is None
    assert "no answer within 0.5 s" in (failed.error or "")
    assert ok.ok and ok.delivery_id == failed.delivery_id
    assert receiver.received[0].body == receiver.received[-1].body
    assert store.webhook("hook").cursor == store.last_seq()
