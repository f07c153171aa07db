"""Inputs of an inspection plan: the population of firms and the inspectors.

Population: a file (one USCC per line, or a CSV with a ``uscc`` column) or a
filter over the store's enterprises: ``all``, or ``field=value`` conditions
joined by ``,`` (all must hold). ``region``, ``industry``, ``address`` and
``name`` match when the field contains the value; ``kind`` and ``status``
match exactly. Example: ``region=东莞市,industry=制造``.

Inspectors: a CSV with a ``name`` column and optional ``person_id`` (and any
other columns, ignored).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from credgraph.i18n import N_
from credgraph.ids import normalise_id
from credgraph.model import Enterprise, NodeKind
from credgraph.store import GraphStore
from queries.errors import InvalidRequest
from queries.supervision.plan import Inspector

_CONTAINS = ("region", "industry", "address", "name")
_EXACT = ("kind", "status")


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except OSError as exc:
        raise InvalidRequest(
            N_("{path}: cannot read ({error})", path=path, error=exc.strerror)
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            N_("{path}: not UTF-8 text ({error})", path=path, error=exc.reason)
        ) from None


def population_from_file(path: Path) -> list[str]:
    """USCCs of a population file, normalised, in file order (blank lines
    and ``#`` comments skipped; a header row naming ``uscc`` selects that
    column of a CSV)."""
    lines = [ln for ln in _read_text(path).splitlines() if ln.strip()]
    if not lines:
        return []
    header = [c.strip().lower() for c in next(csv.reader([lines[0]]))]
    if "uscc" in header:
        col = header.index("uscc")
        rows = csv.reader(lines[1:])
        return [normalise_id(r[col]) for r in rows if len(r) > col and r[col].strip()]
    return [normalise_id(ln) for ln in lines if not ln.lstrip().startswith("#")]


def _contains(field: str, value: str) -> Callable[[Enterprise], bool]:
    return lambda e: value in str(getattr(e, field) or "")


def _equals(field: str, value: str) -> Callable[[Enterprise], bool]:
    return lambda e: str(getattr(e, field) or "") == value


def _matcher(expr: str) -> Callable[[Enterprise], bool]:
    tests: list[Callable[[Enterprise], bool]] = []
    for part in expr.split(","):
        field, sep, value = part.partition("=")
        field, value = field.strip().lower(), value.strip()
        if not sep or not value:
            raise InvalidRequest(N_("population filter {part!r}: expected field=value", part=part))
        if field in _CONTAINS:
            tests.append(_contains(field, value))
        elif field in _EXACT:
            tests.append(_equals(field, value.lower()))
        else:
            fields = ", ".join(_CONTAINS + _EXACT)
            raise InvalidRequest(
                N_(
                    "population filter: unknown field {field!r}; one of {fields}",
                    field=field,
                    fields=fields,
                )
            )
    return lambda e: all(t(e) for t in tests)


def population_from_filter(store: GraphStore, expr: str) -> list[str]:
    """USCCs of the stored enterprises matching ``expr`` (``all`` = every one)."""
    match = (lambda _e: True) if expr.strip().lower() == "all" else _matcher(expr)
    return [
        node.uscc
        for node in store.iter_nodes(NodeKind.ENTERPRISE)
        if isinstance(node, Enterprise) and match(node)
    ]


def resolve_population(store: GraphStore, spec: str) -> list[str]:
    """A population from an existing file, else from a filter expression."""
    path = Path(spec)
    if path.is_file():
        return population_from_file(path)
    if spec.strip().lower() == "all" or "=" in spec:
        return population_from_filter(store, spec)
    raise InvalidRequest(
        N_(
            "--population {spec!r}: no such file, and not a filter (all, region=…, industry=…)",
            spec=spec,
        )
    )


def inspectors_from_file(path: Path) -> list[Inspector]:
    """Inspectors of a CSV with ``name`` and optional ``person_id`` columns."""
    reader = csv.DictReader(_read_text(path).splitlines())
    fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if "name" not in fields:
        raise InvalidRequest(N_("{path}: an inspectors file needs a 'name' column", path=path))
    out: list[Inspector] = []
    for row in reader:
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not values.get("name"):
            continue
        pid = normalise_id(values.get("person_id", ""))
        out.append(Inspector(name=values["name"], person_id=pid or None))
    return out
