"""The audit log of API lookups (RULES §9: authorised, logged access).

Every call of an authenticated endpoint that names an id or a query is
appended to the store's audit log — who (key name), role, endpoint with what
was asked, the subjects it disclosed or was asked about, and as_of. Answered
lookups name the subjects disclosed; refused (403), unanswered (404) and
invalid (422) ones name the ids asked for and the parameters given, so
probing leaves a trace too; a key with many misses in a minute is logged
as a warning.

Records are written by one background thread per store: a lookup never
waits for the audit log (e.g. while a load holds the store's write lock)
and never fails because of it; a record that cannot be written after a few
tries is logged in full instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import date

from fastapi import Request
from pydantic import BaseModel

from api.security import Caller
from credgraph.store import AuditRecord, GraphStore

log = logging.getLogger(__name__)

MAX_PAGE = 1000
#: query parameters that name entities (recorded as subject ids)
ID_PARAMS = ("from", "to")
WRITE_TRIES = 3
MISS_WINDOW_S = 60.0

_Record = tuple[str, str, str, list[str], date | None]


class AuditPage(BaseModel):
    """Records after ``after`` in order; ``next_after`` continues the list."""

    records: list[AuditRecord]
    next_after: int | None


class AuditWriter:
    """Appends audit records to ``store`` from a background thread."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._queue: queue.Queue[_Record | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="credgraph-audit", daemon=True)
        self._thread.start()

    def append(self, record: _Record) -> None:
        self._queue.put(record)

    def flush(self) -> None:
        """Wait until every record appended so far is written (or logged)."""
        self._queue.join()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (record := self._queue.get()) is not None:
            try:
                self._write(record)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _write(self, record: _Record) -> None:
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                self.store.append_audit(*record)
                return
            except Exception as exc:  # the audit must never take the API down
                if attempt == WRITE_TRIES:
                    log.error("audit record not written (%s): %r", exc, record)
                else:
                    time.sleep(0.1 * attempt)


_writers: weakref.WeakKeyDictionary[GraphStore, AuditWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def writer(store: GraphStore) -> AuditWriter:
    """The audit writer of ``store`` (started on first use)."""
    with _writers_lock:
        found = _writers.get(store)
        if found is None:
            found = _writers[store] = AuditWriter(store)
        return found


def close(store: GraphStore) -> None:
    """Write what is pending and stop the writer of ``store``."""
    with _writers_lock:
        found = _writers.pop(store, None)
    if found is not None:
        found.close()


def record(
    store: GraphStore,
    caller: Caller,
    endpoint: str,
    subject_ids: Iterable[str],
    as_of: date | None = None,
    asked: Mapping[str, str] | None = None,
) -> None:
    """Append one lookup to the audit log (ids deduplicated, order kept);
    ``asked`` are parameters shown after the endpoint (``GET /search?q=…``)."""
    if asked:
        endpoint += "?" + "&".join(f"{k}={v}" for k, v in asked.items())
    ids = list(dict.fromkeys(subject_ids))
    writer(store).append((caller.name, caller.role.value, endpoint, ids, as_of))


class MissWatch:
    """Counts one key's refused or unanswered lookups in a sliding minute and
    logs a warning when they reach ``threshold`` (once per minute)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._misses: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}

    def miss(self, key_name: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._misses.setdefault(key_name, deque())
            times.append(now)
            while times and now - times[0] > MISS_WINDOW_S:
                times.popleft()
            warned = self._warned.get(key_name)
            if len(times) < self.threshold or (warned is not None and now - warned < MISS_WINDOW_S):
                return
            self._warned[key_name] = now
        log.warning(
            "key %s: %d refused or unanswered lookups in the last %d s (probing ids?)",
            key_name,
            len(times),
            MISS_WINDOW_S,
        )


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


#: the fields of a request body that name subjects (POST /measures/check, /screenings,
#: /watchlists)
BODY_ID_FIELDS = ("subject_id", "bidders", "ids")
#: at most this many ids of one body are written to the audit log
MAX_BODY_IDS = 100


def body_asked(body: object) -> tuple[list[str], str | None]:
    """The subject ids and the ``as_of`` text a request body asked for
    (whatever it was, valid or not), for the audit of a refused request.

    >>> body_asked({"bidders": ["A", "B", 3], "as_of": "2025-01-02", "depth": 9})
    (['A', 'B'], '2025-01-02')
    >>> body_asked(["not", "an", "object"])
    ([], None)
    """
    if not isinstance(body, dict):
        return [], None
    ids: list[str] = []
    for field in BODY_ID_FIELDS:
        value = body.get(field)
        values = value if isinstance(value, list) else [value]
        ids += [v for v in values if isinstance(v, str)]
    as_of = body.get("as_of")
    return ids[:MAX_BODY_IDS], as_of if isinstance(as_of, str) else None


def record_refusal(
    request: Request, status: int, subject_ids: Iterable[str] = (), body: object = None
) -> None:
    """Log a lookup that was refused (403), found nothing (404) or was
    invalid (422) for a known caller, with the ids and parameters it asked
    for and its as_of when one was given, in the query or in the body
    (``body``, or what a router kept in ``request.state.body``) (RULES §9)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        return
    body_ids, body_as_of = body_asked(
        body if body is not None else getattr(request.state, "body", None)
    )
    route = request.scope.get("route")
    # named like the answered lookups' endpoints ("GET /entities/{id}")
    path = getattr(route, "path", request.url.path).replace("{entity_id}", "{id}")
    query = request.query_params
    ids = [
        *subject_ids,
        *(str(v) for v in request.path_params.values()),
        *caller.asked,
        *(query[k] for k in ID_PARAMS if k in query),
        *(i for i in body_ids if i not in caller.asked),
    ]
    as_of = _day(query.get("as_of") or body_as_of)
    asked = {k: v for k, v in query.items() if k not in ID_PARAMS and not (k == "as_of" and as_of)}
    store: GraphStore = request.app.state.store
    endpoint = f"{request.method} {path}"
    if asked:
        endpoint += "?" + "&".join(f"{k}={v}" for k, v in asked.items())
    record(store, caller, f"{endpoint} ({status})", ids, as_of)
    if status in (403, 404):
        watch: MissWatch | None = getattr(request.app.state, "misses", None)
        if watch is not None:
            watch.miss(caller.name)


def entry_subjects(store: GraphStore, entry_ids: Iterable[str]) -> list[str]:
    """The subjects of list entries (what an objection is about)."""
    return [e.subject_id for e in store.entries(entry_ids=list(entry_ids))]


def page(store: GraphStore, limit: int, after: int) -> AuditPage:
    """One page of the audit log, after the records still being written."""
    writer(store).flush()
    records = store.audit(limit=limit, after_id=after)
    return AuditPage(
        records=records,
        next_after=records[-1].audit_id if len(records) == limit else None,
    )
