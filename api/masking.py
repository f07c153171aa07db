"""Response bodies as a masked reader sees them (DESIGN §7, issue 15.6).

Ids are masked by type, not recognised in the JSON: every field typed
``NodeId``/``PersonId``/``PersonContact`` (``credgraph.model``) is rewritten
by the reader's :class:`ReaderMasking` while the result serialises. A
person's id becomes the key's ref (``api.refs``), an enterprise's USCC stays,
a person's contacts are dropped, and a value that is neither a stored
enterprise nor a USCC is masked (fail closed).

Free text is the one place ids must be recognised: what remains in strings
(reasons, case numbers, names, details) is scanned by
``credgraph.textids`` — resident ids however written, old 15-digit ids and
any stored person's id found in the text — and masked in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Protocol

from pydantic import BaseModel

from api.refs import is_ref
from credgraph.ids import is_resident_id, is_uscc, mask_person_id
from credgraph.model import MASKING, Enterprise, IdMasking, IdType, Person
from credgraph.store import GraphStore
from credgraph.textids import id_candidates, mask_ids_in_text

#: strings that cannot hold an id: dates, numbers, no digit at all
_NO_ID = re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.+\-Z]*)?|[+\-]?\d{1,12}(\.\d+)?|\D*")


class Reader(Protocol):
    """Who reads: a masked caller gives refs of persons."""

    def ref(self, person_id: str, id_type: IdType) -> str: ...


class _Collector:
    """First pass: the ids a result names, unchanged."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def node_id(self, value: str) -> str:
        self.ids.add(value)
        return value

    def person_id(self, value: str) -> str:
        self.ids.add(value)
        return value

    def contact(self, value: str) -> str | None:
        return value


class ReaderMasking:
    """Second pass: persons as refs, contacts hidden (an :class:`IdMasking`)."""

    def __init__(self, reader: Reader, persons: dict[str, IdType], enterprises: set[str]) -> None:
        self.reader = reader
        self.persons = persons
        self.enterprises = enterprises

    def node_id(self, value: str) -> str:
        if value in self.enterprises or (value not in self.persons and _uscc_only(value)):
            return value
        return self.person_id(value)

    def person_id(self, value: str) -> str:
        id_type = self.persons.get(value)
        if id_type is not None:
            return self.reader.ref(value, id_type)
        guessed = IdType.RESIDENT_ID if is_resident_id(value) else IdType.OTHER
        return mask_person_id(value, guessed)

    def contact(self, value: str) -> str | None:
        return None


def _uscc_only(value: str) -> bool:
    """A USCC that cannot be read as a resident id."""
    return is_uscc(value) and not is_resident_id(value)


def dump(result: BaseModel | list[Any], masking: IdMasking | None = None) -> Any:
    """``result`` as JSON data (the CLI's JSON), serialised for ``masking``."""
    context = {MASKING: masking} if masking is not None else None
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True, context=context)
    return [
        r.model_dump(mode="json", by_alias=True, context=context) if isinstance(r, BaseModel) else r
        for r in result
    ]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _scrub(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_scrub(v, text) for v in value]
    if isinstance(value, dict):
        return {text(str(k)): _scrub(v, text) for k, v in value.items()}
    return value


def masked_body(reader: Reader, store: GraphStore, result: BaseModel | list[Any]) -> Any:
    """The JSON body of ``result`` for a masked reader: typed ids through
    :class:`ReaderMasking`, then personal ids in free text masked."""
    collector = _Collector()
    plain = dump(result, collector)
    wanted = set(collector.ids)
    for string in set(_strings(plain)) - collector.ids:
        if not _NO_ID.fullmatch(string):
            wanted |= id_candidates(string)
    nodes = store.nodes(wanted) if wanted else {}
    persons = {i: n.id_type for i, n in nodes.items() if isinstance(n, Person)}
    enterprises = {i for i, n in nodes.items() if isinstance(n, Enterprise)}
    body = dump(result, ReaderMasking(reader, persons, enterprises))

    @cache  # a report repeats its citations and reasons
    def text(value: str) -> str:
        if is_ref(value) or value in enterprises or _NO_ID.fullmatch(value):
            return value
        return mask_ids_in_text(value, persons)

    return _scrub(body, text)
