"""Finding entities: by id (:func:`entity`) and by text (:func:`search`).

A text query is matched, through the store's search index
(:class:`~credgraph.store.base.SearchField`), against ids (prefix), names
(substring of the folded name), the names' pinyin (full syllables, so
``huasheng`` finds 华盛; a Chinese query also finds homophones: 王小明 →
王晓明) and pinyin initials (``hs``). When few names match, near misses are
added (rapidfuzz over a bounded candidate set drawn from the index). Every
candidate is scored by the same function, so the order does not depend on
which lookup found it:

===========================  =======
match                        score
===========================  =======
id equal / id prefix         100 / 95
name equal / prefix / part   98 / 90 / 80 (prefix and part minus a length penalty)
pinyin equal / prefix / part 85 / 75 / 65
initials equal / prefix /    84 / 74 / 64
part
near miss                    ≤ 60
===========================  =======

Each field reads at most :data:`WINDOW` names containing the query (and,
when there are more, :data:`WINDOW` names starting with it), so one query
costs about the same at a thousand or a million entities; results are
paginated over that bounded, deterministic candidate set with an opaque
cursor.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel
from rapidfuzz import fuzz

from credgraph.i18n import N_
from credgraph.ids import normalise_id
from credgraph.model import (
    Enterprise,
    EnterpriseStatus,
    FlagKind,
    IdType,
    ListKind,
    Node,
    NodeId,
    NodeKind,
    Person,
    Role,
    Rule,
)
from credgraph.policy import today
from credgraph.store import Direction, GraphStore
from credgraph.store.base import SearchField
from credgraph.text import fold, pinyin_readings, to_initials, to_pinyin
from queries.errors import InvalidRequest
from queries.propagation import active_entries, flags_for_subjects
from queries.subjects import resolve_subject

MAX_QUERY_LENGTH = 100
MAX_LIMIT = 100
#: index hits read per lookup (a fixed number, so pages are stable)
WINDOW = 100
#: near misses are looked for when fewer candidates than this match exactly
FUZZY_BELOW = 20
FUZZY_CUTOFF = 70.0
#: pinyin strings are longer and share more letters by chance than characters
FUZZY_SOUND_CUTOFF = 80.0
FUZZY_PER_KEY = 50
MAX_FUZZY_KEYS = 16
_ID_LIKE = re.compile(r"[0-9A-Z\-]{2,64}")


class MatchKind(StrEnum):
    ID = "id"
    NAME = "name"
    PINYIN = "pinyin"
    INITIALS = "initials"
    FUZZY = "fuzzy"


class HitFlag(BaseModel):
    """A flag of a hit, short: enough for a badge (the full flag is at
    ``/entities/{id}/flags``)."""

    flag: FlagKind
    list: ListKind
    entry_id: str
    rule: Rule


class SearchHit(BaseModel):
    """A hit with what tells look-alikes apart: flags, region, status, legal
    representative (firms) or an id suffix and posts (persons)."""

    id: NodeId
    type: NodeKind
    name: str
    match: MatchKind
    score: float
    flags: list[HitFlag] = []
    region: str | None = None
    status: EnterpriseStatus | None = None
    legal_representative: str | None = None
    #: persons: the last digits of the id ("…4475"), safe for every role
    id_suffix: str | None = None
    #: persons: names of up to three firms where they hold a role on as_of
    firms: list[str] = []


class SearchResult(BaseModel):
    """One page of ranked hits; ``next_cursor`` fetches the next one."""

    query: str
    results: list[SearchHit]
    next_cursor: str | None


class EntityResult(BaseModel):
    """An enterprise or a person as stored."""

    id: NodeId
    type: NodeKind
    name: str
    record: Enterprise | Person


def entity(store: GraphStore, entity_id: str) -> EntityResult:
    """The stored record of an enterprise or person.

    Raises ``UnknownEntity`` (well-formed, not stored) or
    ``InvalidIdentifierError`` (with the reason) like every lookup.
    """
    sid, kind = resolve_subject(store, entity_id)
    node = store.nodes([sid])[sid]
    return EntityResult(id=sid, type=kind, name=node.name, record=node)


# -- text search -----------------------------------------------------------------
class _Query:
    """What a query text can match, derived once."""

    def __init__(self, text: str, person_id_prefix: bool) -> None:
        self.text = text
        self.folded = fold(text)
        self.upper = normalise_id(text)
        self.person_id_prefix = person_id_prefix
        self.by_id = bool(_ID_LIKE.fullmatch(self.upper)) and any(c.isdigit() for c in self.upper)
        self.ascii = self.folded.isascii()
        letters = self.folded if self.ascii else to_pinyin(self.folded)
        self.pinyin = letters if letters.isascii() and letters.isalpha() else ""
        self.initials = self.folded if self.ascii and self.folded.isalpha() else ""

    def digest(self) -> str:
        key = f"{self.folded}|{self.upper}|{self.person_id_prefix}"
        return hashlib.sha256(key.encode()).hexdigest()[:12]


def _penalty(name_length: int, query_length: int) -> float:
    return min(9.0, 0.3 * max(name_length - query_length, 0))


def _tiered(value: str, wanted: str, tiers: tuple[float, float, float]) -> float:
    if not wanted or wanted not in value:
        return 0.0
    if value == wanted:
        return tiers[0]
    pen = _penalty(len(value), len(wanted))
    return (tiers[1] if value.startswith(wanted) else tiers[2]) - pen


def _score(q: _Query, node: Node) -> tuple[float, MatchKind]:
    best = (0.0, MatchKind.NAME)
    if q.by_id and node.id.startswith(q.upper):
        exact = node.id == q.upper
        if q.person_id_prefix or isinstance(node, Enterprise):
            best = (100.0 if exact else 95.0, MatchKind.ID)
    folded = fold(node.name)
    for score, kind in (
        (_tiered(folded, q.folded, (98.0, 90.0, 80.0)), MatchKind.NAME),
        (_tiered(to_pinyin(node.name), q.pinyin, (85.0, 75.0, 65.0)), MatchKind.PINYIN),
        (
            _tiered(to_initials(node.name), q.initials, (84.0, 74.0, 64.0))
            if len(q.initials) >= 2
            else 0.0,
            MatchKind.INITIALS,
        ),
    ):
        if score > best[0]:
            best = (score, kind)
    return best


def _lookups(q: _Query) -> list[tuple[str, SearchField]]:
    out: list[tuple[str, SearchField]] = []
    if q.by_id:
        out.append((q.upper, SearchField.ID))
    if q.folded:
        out.append((q.folded, SearchField.NAME))
    if q.pinyin:
        out.append((q.pinyin, SearchField.PINYIN))
    if len(q.initials) >= 2:
        out.append((q.initials, SearchField.INITIALS))
    return out


def _candidates(store: GraphStore, key: str, field: SearchField) -> list[Node]:
    """Index hits for one field: the first :data:`WINDOW` names containing
    the key and, when that window is full, the first names starting with it
    (the best-ranked ones, which the window may have missed)."""
    found = store.search(key, limit=WINDOW, field=field)
    if len(found) == WINDOW and field is not SearchField.ID:
        found += store.search(key, limit=WINDOW, field=field, start=True)
    return found


def _pairs(items: list[str]) -> list[str]:
    return list(dict.fromkeys(a + b for a, b in pairwise(items)))


def _fuzzy_keys(q: _Query) -> list[tuple[str, SearchField]]:
    """Index keys whose hits are the near-miss candidates: syllable pairs of
    the query's pinyin (homophones and typos of typed pinyin), and for a
    query not readable as pinyin, its character pairs."""
    keys: list[tuple[str, SearchField]] = []
    readings = pinyin_readings(q.pinyin).readings if q.pinyin else []
    if readings and len(readings[0]) >= 2:
        keys += [(p, SearchField.PINYIN) for p in _pairs(readings[0])]
    if (not q.ascii and len(q.folded) >= 3) or (not keys and len(q.folded) >= 4):
        keys += [(p, SearchField.NAME) for p in _pairs(list(q.folded))]
    return keys[:MAX_FUZZY_KEYS]


def _near_misses(
    store: GraphStore, q: _Query, known: set[str]
) -> Iterable[tuple[Node, float, MatchKind]]:
    candidates: dict[str, Node] = {}
    for key, field in _fuzzy_keys(q):
        for node in store.search(key, limit=FUZZY_PER_KEY, field=field):
            if node.id not in known:
                candidates.setdefault(node.id, node)
    found = []
    for node in candidates.values():
        by_text = _similarity(q.folded, fold(node.name))
        by_sound = _similarity(q.pinyin, to_pinyin(node.name)) if q.pinyin else 0.0
        score = max(
            by_text if by_text >= FUZZY_CUTOFF else 0.0,
            by_sound if by_sound >= FUZZY_SOUND_CUTOFF else 0.0,
        )
        if score:
            found.append((node, round(0.6 * score, 2), MatchKind.FUZZY))
    return found


def _similarity(query: str, value: str) -> float:
    """How well ``query`` matches ``value`` or a part of it (0–100); a value
    shorter than the query is compared whole, so a part of the query does
    not count as a match."""
    if len(value) >= len(query):
        return float(fuzz.partial_ratio(query, value))
    return float(fuzz.ratio(query, value))


def _encode_cursor(offset: int, digest: str) -> str:
    raw = json.dumps({"o": offset, "q": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, digest: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        offset, owner = data["o"], data["q"]
    except (ValueError, TypeError, KeyError):
        raise InvalidRequest(N_("cursor is not one this search returned")) from None
    if owner != digest or not isinstance(offset, int) or offset < 0:
        raise InvalidRequest(N_("cursor belongs to another query"))
    return offset


#: hits whose score ties with the best exact match and are listed come first
_EXACT = 98.0
FIRMS_PER_PERSON = 3


def _listed(store: GraphStore, ids: list[str], as_of: date) -> set[str]:
    """Which of ``ids`` have an active entry on a list other than red."""
    if not ids:
        return set()
    entries = [e for e in store.entries(subject_ids=ids) if e.list is not ListKind.RED]
    return {e.subject_id for e in active_entries(store, entries, as_of)}


def id_suffix(node: Person) -> str:
    """The end of a person's id, as much as the masked form shows.

    >>> id_suffix(Person(person_id="110101199003074475", name="张伟"))
    '…4475'
    """
    keep = 4 if node.id_type is IdType.RESIDENT_ID and len(node.person_id) > 8 else 2
    return "…" + node.person_id[-keep:]


def _describe(store: GraphStore, nodes: list[Node], as_of: date) -> list[dict[str, object]]:
    """Flags, region, status, legal representative / id suffix and firms of a page."""
    ids = [n.id for n in nodes]
    flags: dict[str, list[HitFlag]] = {i: [] for i in ids}
    for f in flags_for_subjects(store, ids, as_of):
        flags[f.subject_id].append(
            HitFlag(flag=f.flag, list=f.list, entry_id=f.entry_id, rule=f.rule)
        )
    firms = [n.id for n in nodes if isinstance(n, Enterprise)]
    persons = [n.id for n in nodes if isinstance(n, Person)]
    roles = store.expand(firms, Direction.IN, {Role.LEGAL_REPRESENTATIVE}, as_of) if firms else []
    posts = store.expand(persons, Direction.OUT, None, as_of) if persons else []
    names = store.nodes({r.source_id for r in roles} | {r.target_uscc for r in posts})
    legal = {r.target_uscc: names[r.source_id].name for r in roles if r.source_id in names}
    held: dict[str, list[str]] = {}
    for r in sorted(posts, key=lambda r: r.identity):
        mine = held.setdefault(r.source_id, [])
        name = names[r.target_uscc].name if r.target_uscc in names else r.target_uscc
        if name not in mine and len(mine) < FIRMS_PER_PERSON:
            mine.append(name)
    out: list[dict[str, object]] = []
    for n in nodes:
        extra: dict[str, object] = {"flags": flags[n.id]}
        if isinstance(n, Enterprise):
            extra |= {
                "region": n.region,
                "status": n.status,
                "legal_representative": legal.get(n.id),
            }
        else:
            extra |= {"id_suffix": id_suffix(n), "firms": held.get(n.id, [])}
        out.append(extra)
    return out


def search(
    store: GraphStore,
    query: str,
    limit: int = 20,
    cursor: str | None = None,
    person_id_prefix: bool = True,
    as_of: date | None = None,
) -> SearchResult:
    """Ranked entities matching ``query`` (see the module docstring).

    ``person_id_prefix`` False never matches persons by id, in part or in
    full (callers who see masked ids must not learn which ids exist). Raises
    :class:`InvalidRequest` for an empty or too long query, a bad ``limit``
    or a cursor of another query.

    For example, ``search(store, "huasheng")`` finds 华盛 firms and
    ``search(store, "9144")`` ids starting with 9144.
    """
    text = query.strip()
    if not text:
        raise InvalidRequest(N_("the query is empty"))
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidRequest(N_("the query is longer than {max} characters", max=MAX_QUERY_LENGTH))
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(
            N_("limit must be between 1 and {max}, got {limit}", max=MAX_LIMIT, limit=limit)
        )
    q = _Query(text, person_id_prefix)
    offset = _decode_cursor(cursor, q.digest()) if cursor else 0

    scored: dict[str, tuple[float, MatchKind, Node]] = {}
    for key, field in _lookups(q):
        for node in _candidates(store, key, field):
            if node.id not in scored:
                score, kind = _score(q, node)
                if score > 0:
                    scored[node.id] = (score, kind, node)
    if len(scored) < FUZZY_BELOW:
        for node, score, kind in _near_misses(store, q, set(scored)):
            scored.setdefault(node.id, (score, kind, node))

    day = as_of or today()
    # among equally good exact matches, a listed firm comes first
    exact = [i for i, (score, _, _) in scored.items() if score >= _EXACT]
    listed = _listed(store, exact, day)
    ranked = sorted(
        scored.values(), key=lambda s: (-s[0], s[2].id not in listed, s[2].name, s[2].id)
    )
    page = ranked[offset : offset + limit]
    more = offset + limit < len(ranked)
    details = _describe(store, [node for _, _, node in page], day)
    return SearchResult(
        query=text,
        results=[
            SearchHit(
                id=node.id,
                type=NodeKind.ENTERPRISE if isinstance(node, Enterprise) else NodeKind.PERSON,
                name=node.name,
                match=kind,
                score=round(score, 2),
                **extra,
            )
            for (score, kind, node), extra in zip(page, details, strict=True)
        ],
        next_cursor=_encode_cursor(offset + limit, q.digest()) if more else None,
    )
