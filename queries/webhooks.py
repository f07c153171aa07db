"""Webhooks (DESIGN §10): signed, at-least-once delivery of a watchlist's events.

Each webhook has a cursor (the last seq delivered) and at most one batch in
flight. A batch is persisted *before* it is sent (``set_pending``) and only a
2xx answer within :data:`TIMEOUT_S` clears it and moves the cursor, in one
store transaction. So a receiver that is down, answers 4xx/5xx or times out
gets the very same batch again later — same delivery id, same bytes, same
signature — after the backoff of :data:`BACKOFF`; and a deliverer killed
mid-run loses nothing and re-sends at most that one batch. A lease (one
deliverer per webhook; a dead process's lease is void) keeps ``credgraph
deliver`` from cron and the ``serve`` background thread from sending twice.

Requests go only to the configured URL: redirects are not followed and
proxies from the environment are not used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from credgraph import __version__
from credgraph.i18n import N_
from credgraph.settings import Settings
from credgraph.store import GraphStore
from credgraph.store.feed import (
    ChangeEvent,
    DeliveryAttempt,
    NameTaken,
    PendingDelivery,
    UnknownWatchlist,
    UnknownWebhook,
    Webhook,
)
from queries.errors import QueryError

log = logging.getLogger(__name__)

#: waits after the 1st, 2nd, … consecutive failure (then every 12 h)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
TIMEOUT_S = 10.0
LEASE = timedelta(seconds=120)
MIN_SECRET = 16
MAX_URL = 2048


class WebhookError(QueryError):
    """A webhook request that cannot be carried out."""

    status = 422
    title = N_("Invalid webhook")


class UnknownMonitorName(QueryError):
    """No watchlist or webhook of that name (for this caller)."""

    status = 404
    title = N_("Unknown name")


def check_url(url: str) -> str:
    """The URL of a webhook: absolute http(s) with a host; anything else is
    refused with :class:`WebhookError`.

    >>> check_url("https://example.org/hook")
    'https://example.org/hook'
    """
    text = url.strip()
    if not text or len(text) > MAX_URL or any(c.isspace() for c in text):
        raise WebhookError(N_("not a usable webhook URL: {url!r}", url=url))
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise WebhookError(N_("not a parseable URL: {url!r}", url=url)) from None
    if parsed.scheme not in ("http", "https"):
        raise WebhookError(
            N_(
                "webhook URLs must be http or https, not {scheme!r}",
                scheme=parsed.scheme or "none",
            )
        )
    if not parsed.host:
        raise WebhookError(N_("webhook URL without a host: {url!r}", url=url))
    return text


def read_secret(path: Path) -> str:
    """The secret in ``path`` (one line; surrounding whitespace dropped).
    Never echoed: errors name the file, not its content."""
    try:
        secret = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise WebhookError(
            N_("cannot read the secret file {path}: {error}", path=path, error=type(exc).__name__)
        ) from None
    if len(secret) < MIN_SECRET or "\n" in secret:
        raise WebhookError(
            N_(
                "the secret in {path} must be one line of at least {min} characters",
                path=path,
                min=MIN_SECRET,
            )
        )
    return secret


def add_webhook(
    store: GraphStore, name: str, url: str, watchlist: str, secret_file: Path, owner: str
) -> Webhook:
    """Register a webhook; only events recorded from now on are sent."""
    if not name.strip() or len(name) > 100 or not name.isprintable():
        raise WebhookError(N_("a webhook name must be 1-100 printable characters"))
    target = check_url(url)
    secret = read_secret(secret_file)
    try:
        return store.add_webhook(name, target, watchlist, secret, owner)
    except UnknownWatchlist:
        raise UnknownMonitorName(N_("no watchlist named {name!r}", name=watchlist)) from None
    except NameTaken:
        raise WebhookError(N_("a webhook named {name!r} exists already", name=name)) from None


def remove_webhook(store: GraphStore, name: str) -> None:
    try:
        store.remove_webhook(name)
    except UnknownWebhook:
        raise UnknownMonitorName(N_("no webhook named {name!r}", name=name)) from None


def delivery_log(store: GraphStore, name: str, limit: int = 50) -> list[DeliveryAttempt]:
    try:
        store.webhook(name)
    except UnknownWebhook:
        raise UnknownMonitorName(N_("no webhook named {name!r}", name=name)) from None
    return store.delivery_log(name, limit)


# -- signing -------------------------------------------------------------------
def signature(secret: str, body: bytes) -> str:
    """``X-Credgraph-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the raw body.

    >>> signature("0123456789abcdef", b"{}")[:15]
    'sha256=f91e3e9f'
    """
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver checks (constant-time comparison)."""
    return hmac.compare_digest(signature(secret, body), header)


def delivery_body(webhook: str, events: Sequence[ChangeEvent]) -> bytes:
    payload = {"webhook": webhook, "events": [e.model_dump(mode="json") for e in events]}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- delivering ----------------------------------------------------------------
@dataclass
class Outcome:
    """What one run did for one webhook."""

    webhook: str
    sent: int = 0  # batches delivered (2xx)
    events: int = 0
    failed: int = 0
    skipped: str | None = None  # "not due", "busy"


def _post(
    client: httpx.Client, hook: Webhook, secret: str, batch: PendingDelivery
) -> DeliveryAttempt:
    started = datetime.now(UTC)
    clock = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        response = client.post(
            hook.url,
            content=batch.body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"credgraph/{__version__}",
                "X-Credgraph-Delivery": batch.delivery_id,
                "X-Credgraph-Signature": signature(secret, batch.body),
                "X-Credgraph-Seq": str(batch.last_seq),
            },
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}" + (
                " (redirects are not followed)" if response.is_redirect else ""
            )
    except httpx.TimeoutException:
        error = f"no answer within {TIMEOUT_S:g} s"
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:300]
    elapsed = time.monotonic() - clock
    if error is None and elapsed > TIMEOUT_S:
        error = f"answered after {elapsed:.1f} s (limit {TIMEOUT_S:g} s)"
    return DeliveryAttempt(
        attempt_id=0,
        webhook=hook.name,
        delivery_id=batch.delivery_id,
        first_seq=batch.first_seq,
        last_seq=batch.last_seq,
        events=batch.events,
        attempted_at=started,
        status=status,
        error=error,
        ok=error is None,
        duration_ms=int(elapsed * 1000),
    )


def _next_batch(store: GraphStore, hook: Webhook, size: int) -> PendingDelivery | None:
    """The batch to send: the one in flight, else the next events of the
    watchlist (persisted before sending); None when there is nothing."""
    pending = store.pending_delivery(hook.name)
    if pending is not None:
        return pending
    last = store.last_seq()
    events = store.changes(hook.cursor, size, watchlist=hook.watchlist, upto_seq=last)
    if not events:
        store.skip_to(hook.name, last)
        return None
    batch = PendingDelivery(
        delivery_id=str(uuid.uuid4()),
        first_seq=events[0].seq,
        last_seq=events[-1].seq,
        events=len(events),
        body=delivery_body(hook.name, events),
    )
    store.set_pending(hook.name, batch)
    return batch


def deliver_webhook(
    store: GraphStore,
    name: str,
    client: httpx.Client,
    retry_now: bool = False,
    batch_size: int | None = None,
) -> Outcome:
    """Send what is due to one webhook, batch after batch, until nothing is
    left or an attempt fails."""
    outcome = Outcome(name)
    size = batch_size or Settings().delivery_batch
    hook = store.webhook(name)
    now = datetime.now(UTC)
    if not retry_now and hook.next_attempt_at is not None and hook.next_attempt_at > now:
        outcome.skipped = "not due"
        return outcome
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not store.claim_webhook(name, holder, now + LEASE, now):
        outcome.skipped = "busy"
        return outcome
    try:
        secret = store.webhook_secret(name)
        while (batch := _next_batch(store, hook, size)) is not None:
            attempt = _post(client, hook, secret, batch)
            failures = hook.failures + 1
            wait = BACKOFF[min(failures, len(BACKOFF)) - 1]
            store.record_attempt(attempt, None if attempt.ok else attempt.attempted_at + wait)
            if not attempt.ok:
                outcome.failed += 1
                log.warning(
                    "webhook %s: delivery %s failed: %s", name, batch.delivery_id, attempt.error
                )
                break
            outcome.sent += 1
            outcome.events += batch.events
            now = datetime.now(UTC)
            store.claim_webhook(name, holder, now + LEASE, now)
            hook = store.webhook(name)
    finally:
        store.release_webhook(name, holder)
    return outcome


def new_client() -> httpx.Client:
    """No redirects, no proxies from the environment, a 10 s budget."""
    return httpx.Client(follow_redirects=False, trust_env=False, timeout=httpx.Timeout(TIMEOUT_S))


def deliver_due(store: GraphStore, retry_now: bool = False) -> list[Outcome]:
    """One delivery round over every webhook (``credgraph deliver``)."""
    outcomes = []
    with new_client() as client:
        for hook in store.webhooks():
            try:
                outcomes.append(deliver_webhook(store, hook.name, client, retry_now))
            except UnknownWebhook:
                continue  # removed meanwhile
    return outcomes


class BackgroundDelivery:
    """``credgraph serve``'s delivery thread: a round every ``interval``
    seconds, never on a request's path. Errors are logged, not raised."""

    def __init__(self, store: GraphStore, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credgraph-deliver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT_S + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                deliver_due(self.store)
            except Exception:  # a bad round must not end the thread
                log.exception("background webhook delivery failed")
