"""Workflows every front end shares (DESIGN §1): the CLI, the API and the
benchmark call these, never their own sequence of steps.

- :func:`load_and_refresh` — load a data folder, then bring materialised
  flags up to date for what the load touched;
- :func:`write_and_refresh` — the same for one batch;
- :func:`confirm_proposal` — write the proposed entry of an overdue credit
  commitment (002:L15) and refresh;
- :func:`compare_upstream_file` — read an upstream list file and compare it
  with the store (004:L60);
- :func:`prepare_demo` — sample data (generated once), loaded and propagated.

The change feed (DESIGN §10) is appended in :func:`refresh`, after the
flags, so that every writing workflow records its changes in one place.

This is the one module of ``queries/`` that calls ``graph_loader/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from credgraph.i18n import N_
from credgraph.model import Batch, ListEntry
from credgraph.policy import Policy
from credgraph.store import GraphStore
from graph_loader import LoadReport, load_folder
from graph_loader.exchange import UpstreamList, read_upstream
from queries import materialise
from queries.errors import QueryError
from queries.materialise import Change, FlagUpdate
from queries.supervision.commitments import confirmable_entry
from queries.supervision.exchange import ListDelta, compare_upstream, write_feedback

#: ``progress(table, rows done, rows in total)`` of a load
LoadProgress = Callable[[str, int, int], None]


def refresh(
    store: GraphStore, change: Change, generation_before: int, policy: Policy | None = None
) -> FlagUpdate | None:
    """After a write made at ``generation_before``: bring materialised flags
    up to date (``queries.materialise.refresh``: None when none were valid
    just before the write)."""
    return materialise.refresh(store, change, generation_before, policy)


def load_and_refresh(
    store: GraphStore,
    path: Path,
    *,
    strict: bool = False,
    progress: LoadProgress | None = None,
    policy: Policy | None = None,
    encoding: str | None = None,
    before_commit: Callable[[LoadReport], None] | None = None,
) -> LoadReport:
    """Load the data folder (or workbook, or CSV file) at ``path`` and, unless
    ``strict`` refused it, refresh what it changed. Raises ``UnusableInput``
    for input that cannot be read at all. ``encoding`` and ``before_commit``
    as in :func:`graph_loader.load_folder`."""
    report = load_folder(
        store,
        path,
        strict=strict,
        progress=progress,
        encoding=encoding,
        before_commit=before_commit,
    )
    if not report.refused:
        change = Change.of(report.touched_ids, report.entry_ids)
        refresh(store, change, report.generation_before, policy)
    return report


def write_and_refresh(
    store: GraphStore, batch: Batch, policy: Policy | None = None
) -> FlagUpdate | None:
    """Write one batch and refresh what it changed (see :func:`refresh`)."""
    before = store.generation()
    store.upsert(batch)
    return refresh(store, Change.of_batch(batch), before, policy)


def confirm_proposal(
    store: GraphStore,
    commitment_id: str | int,
    as_of: date,
    authority: str | None = None,
    policy: Policy | None = None,
) -> ListEntry:
    """Write the proposal of an overdue commitment as a real list entry
    (decided on ``as_of``, id ``<entry_prefix><commitment_id>``) and refresh
    materialised flags; returns the entry. Raises ``CommitmentError`` when
    the commitment is unknown, not overdue on as_of, or already confirmed."""
    entry = confirmable_entry(store, commitment_id, as_of, authority, policy)
    write_and_refresh(store, Batch(entries=[entry]), policy)
    return entry


@dataclass(frozen=True)
class UpstreamComparison:
    """An upstream list compared with the store, and its rejected rows."""

    delta: ListDelta
    upstream: UpstreamList

    def write_feedback(self, path: Path) -> int:
        """The feedback report (004:L60) as CSV; returns the row count."""
        rejects = [(r.line, r.column, r.value, r.reason) for r in self.upstream.rejects]
        return write_feedback(self.delta, path, rejects)


def compare_upstream_file(store: GraphStore, path: Path) -> UpstreamComparison:
    """Read the upstream list at ``path`` (the columns of
    ``list_entries.csv``) and compare it with the store. Nothing is written
    to the store. Raises ``UnusableInput`` for a file without such a table."""
    upstream = read_upstream(store, path)
    delta = compare_upstream(
        store,
        upstream.entries,
        source=upstream.file,
        lines=upstream.lines,
        rejected_rows=len({r.line for r in upstream.rejects}),
    )
    return UpstreamComparison(delta, upstream)


class DemoDataRejected(QueryError):
    """The sample data of the demo produced rejects (a bug in the generator)."""

    status = 500
    title = N_("Demo data rejected")


@dataclass(frozen=True)
class DemoSetup:
    """What :func:`prepare_demo` did."""

    generated: bool
    report: LoadReport
    flags: int


def prepare_demo(
    store: GraphStore,
    data: Path,
    *,
    enterprises: int,
    seed: int,
    as_of: date,
    on_generate: Callable[[], None] | None = None,
) -> DemoSetup:
    """Sample data in ``data`` (generated only when absent; ``on_generate``
    is told before), loaded into ``store`` and propagated on ``as_of``."""
    from graph_loader.sample import generate_sample

    generated = not (data / "enterprises.csv").exists()
    if generated:
        if on_generate is not None:
            on_generate()
        generate_sample(data, enterprises=enterprises, seed=seed)
    report = load_folder(store, data)
    if report.rejects:
        raise DemoDataRejected(
            N_("sample data produced {count} rejects", count=len(report.rejects))
        )
    flags = materialise.propagate(store, as_of)
    return DemoSetup(generated=generated, report=report, flags=len(flags))


__all__ = [
    "DemoDataRejected",
    "DemoSetup",
    "UpstreamComparison",
    "compare_upstream_file",
    "confirm_proposal",
    "load_and_refresh",
    "prepare_demo",
    "refresh",
    "write_and_refresh",
]
