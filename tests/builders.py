"""Data builders for tests: valid ids from small numbers, tiny graphs by name."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric, uscc

from credgraph.model import (
    Batch,
    Category,
    Enterprise,
    EnterpriseKind,
    ListEntry,
    ListKind,
    NodeKind,
    Person,
    Relation,
    RemovalReason,
    Role,
    Title,
)


def make_uscc(n: int) -> str:
    """A valid USCC for a small number (check digit by python-stdnum)."""
    body = f"91441900{n:09d}"
    return body + uscc.calc_check_digit(body)


def make_rid(n: int, born: str = "19800101") -> str:
    """A valid resident id (Beijing Dongcheng region code) for a small number."""
    body = f"110101{born}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class GraphBuilder:
    """Build a small graph by short names: ``g.firm("A")`` → its USCC."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.batch = Batch()
        self._n = 0

    def __getitem__(self, name: str) -> str:
        return self.ids[name]

    def name_of(self, node_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[node_id]

    def firm(self, name: str, kind: EnterpriseKind = EnterpriseKind.COMPANY, **kw: object) -> str:
        self._n += 1
        self.ids[name] = make_uscc(self._n)
        self.batch.enterprises.append(
            Enterprise(uscc=self.ids[name], name=f"{name}有限公司", kind=kind, **kw)  # type: ignore[arg-type]
        )
        return self.ids[name]

    def person(self, name: str, **kw: object) -> str:
        self._n += 1
        self.ids[name] = make_rid(self._n)
        self.batch.persons.append(Person(person_id=self.ids[name], name=name, **kw))  # type: ignore[arg-type]
        return self.ids[name]

    def rel(
        self,
        source: str,
        target: str,
        role: str,
        *,
        title: str | None = None,
        pct: float | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> Relation:
        src = self.ids[source]
        kind = (
            NodeKind.PERSON
            if any(p.person_id == src for p in self.batch.persons)
            else (NodeKind.ENTERPRISE)
        )
        r = Relation(
            source_id=src,
            source_type=kind,
            target_uscc=self.ids[target],
            role=Role(role),
            title=Title(title) if title else None,
            share_pct=pct,
            start_on=d(start),
            end_on=d(end),
        )
        self.batch.relations.append(r)
        return r

    def entry(
        self,
        entry_id: str,
        subject: str,
        kind: str,
        decided: str,
        *,
        valid_until: str | None = None,
        removed: str | None = None,
        removal_reason: str | None = None,
        responsible: tuple[str, ...] = (),
        category: str | None = None,
        authority: str | None = None,
    ) -> ListEntry:
        sid = self.ids[subject]
        stype = (
            NodeKind.PERSON
            if any(p.person_id == sid for p in self.batch.persons)
            else (NodeKind.ENTERPRISE)
        )
        e = ListEntry(
            entry_id=entry_id,
            subject_id=sid,
            subject_type=stype,
            list=ListKind(kind),
            category=Category(category) if category else None,
            authority=authority,
            decided_on=date.fromisoformat(decided),
            valid_until=d(valid_until),
            removed_on=d(removed),
            removal_reason=RemovalReason(removal_reason) if removal_reason else None,
            responsible_person_ids=tuple(self.ids[r] for r in responsible),
        )
        self.batch.entries.append(e)
        return e
