"""Interchange exports read back: neo4j-admin CSVs, GraphML, FollowTheMoney.

One small graph: firms A (company), B, C (a branch of A), S (a social
organisation); persons P, R and Q (a passport holder). P is A's legal
representative and chairman (two parallel relations) and holds 60 % of B,
A holds 40 % of B from no known day, R was B's director until 2020 and is
A's actual controller; A declares itself S's actual controller. Entries:
E1 serious_dishonesty on A (P named responsible, a reason with a comma, a
quote and a line break), E2 abnormal_operation on B (removed), E3 red on S,
E4 dishonest_debtor on Q, E5 key_attention on C (suspended by an open
objection).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from builders import GraphBuilder
from followthemoney import model as ftm
from typer.testing import CliRunner, Result

from cli.main import app
from credgraph.model import (
    Enterprise,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    NodeKind,
    Person,
)
from credgraph.store import EmbeddedStore, GraphStore
from credgraph.store.neo4j import cypher
from credgraph.store.neo4j.admin_import import export_neo4j_import, neo4j_import_headers
from credgraph.store.neo4j.records import (
    enterprise_props,
    entry_props,
    flag_row,
    node,
    person_props,
    relation_row,
)
from graph_loader.export import export_ftm, export_graphml, ftm_id
from queries.materialise import propagate
from queries.propagation import active_entries, all_flags

AS_OF = date(2025, 6, 1)
REASON = 'evaded tax, "twice"\nsecond line'
PASSPORT = "E12345678"
NAME_Q = 'John "Q" & <Smith>'  # quoting and markup characters


def build() -> GraphBuilder:
    g = GraphBuilder()
    g.firm(
        "A",
        status=EnterpriseStatus.ACTIVE,
        established_on=date(2010, 1, 1),
        registered_capital=1_000_000.0,
        region="北京市",
        industry="制造业",
        address="北京市海淀区中关村大街1号",
        phone="13800138000",
        email="info@a.example.cn",
    )
    g.firm("B")
    g.firm("C", EnterpriseKind.BRANCH)
    g.firm("S", EnterpriseKind.SOCIAL_ORG)
    g.person("P", phone="13900139000", address="北京市东城区1号")
    g.person("R")
    g.ids["Q"] = PASSPORT
    g.batch.persons.append(Person(person_id=PASSPORT, id_type=IdType.PASSPORT, name=NAME_Q))
    g.rel("P", "A", "legal_representative", start="2015-01-01")
    g.rel("P", "A", "executive", title="chairman", start="2015-01-01")
    g.rel("P", "B", "shareholder", pct=60.0, start="2016-01-01")
    g.rel("A", "B", "shareholder", pct=40.0)
    g.rel("R", "B", "executive", title="director", start="2012-01-01", end="2020-12-31")
    g.rel("R", "A", "actual_controller", start="2018-01-01")
    g.rel("A", "S", "actual_controller", start="2018-01-01")
    g.rel("C", "A", "branch_of", start="2019-01-01")
    e1 = g.entry("E1", "A", "serious_dishonesty", "2024-03-01", responsible=("P",))
    g.batch.entries[-1] = e1.model_copy(
        update={"reason": REASON, "authority": "北京市税务局", "case_no": "京税〔2024〕1号"}
    )
    g.entry("E2", "B", "abnormal_operation", "2022-01-01", removed="2023-01-01",
            removal_reason="repaired")  # fmt: skip
    g.entry("E3", "S", "red", "2023-05-01")
    g.entry("E4", "Q", "dishonest_debtor", "2024-01-01", valid_until="2026-01-01")
    g.entry("E5", "C", "key_attention", "2025-01-01")
    return g


@pytest.fixture
def graph(store: GraphStore) -> GraphBuilder:
    g = build()
    store.upsert(g.batch)
    store.file_objection("E5", "already rectified", date(2025, 2, 1))
    propagate(store, AS_OF)
    return g


# -- neo4j-admin import -----------------------------------------------------------
_FIELD = re.compile(
    r"^(?P<name>[a-z_]*)"
    r"(?::(?P<kind>ID|START_ID|END_ID|LABEL|TYPE|long|double|boolean|string\[\])"
    r"(?:\((?P<group>[A-Za-z]+)\))?)?$"
)


def read_neo4j_csv(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """Header and rows as neo4j-admin reads them: a quoted field is a string
    (``""`` the empty string, ``""`` inside one a quote), an unquoted empty
    field is None (no property)."""
    header, _, body = path.read_text(encoding="utf-8").partition("\n")
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    i = 0
    while i < len(body):
        if body[i] == '"':
            parts, j = [], i + 1
            while True:
                k = body.index('"', j)
                parts.append(body[j:k])
                if body[k + 1 : k + 2] == '"':
                    parts.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            row.append("".join(parts))
        else:
            k = i
            while k < len(body) and body[k] not in ",\n":
                k += 1
            row.append(body[i:k] or None)
            i = k
        if body[i] == ",":
            i += 1
        else:  # end of the line
            rows.append(row)
            row = []
            i += 1
    return header.split(","), rows


def _typed(kind: str | None, text: str) -> Any:
    if kind == "long":
        return int(text)
    if kind == "double":
        return float(text)
    if kind == "boolean":
        return text == "true"
    if kind == "string[]":
        return text.split(";")
    return text


class Imported:
    """The graph neo4j-admin would build from the export folder."""

    def __init__(self, folder: Path) -> None:
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}  # (id group, id) -> props
        self.labels: dict[tuple[str, str], str] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.rels: list[tuple[tuple[str, str], str, tuple[str, str], dict[str, Any]]] = []
        self.rows: dict[str, int] = {}
        for name in neo4j_import_headers():
            header, rows = read_neo4j_csv(folder / name)
            fields = [_FIELD.match(f) for f in header]
            assert all(fields), header
            self.rows[name] = len(rows)
            for row in rows:
                assert len(row) == len(header), (name, row)
                self._add(fields, row)  # type: ignore[arg-type]

    def _add(self, fields: list[re.Match[str]], row: list[str | None]) -> None:
        props: dict[str, Any] = {}
        node_id = start = end = None
        label = rel_type = None
        for field, value in zip(fields, row, strict=True):
            name, kind, group = field["name"], field["kind"], field["group"]
            if kind == "ID":
                assert value is not None
                node_id = (group, value)
                if name:
                    props[name] = value
            elif kind == "START_ID":
                start = (group, value)
            elif kind == "END_ID":
                end = (group, value)
            elif kind == "LABEL":
                label = value
            elif kind == "TYPE":
                rel_type = value
            elif value is not None:
                props[name] = _typed(kind, value)
        if rel_type is not None:
            assert start and end and start[1] and end[1]
            self.rels.append((start, rel_type, end, props))  # type: ignore[arg-type]
        elif label == "Meta":
            self.meta[props.pop("key")] = props
        else:
            assert node_id is not None and node_id not in self.nodes
            assert label == node_id[0]  # one id group per label
            self.nodes[node_id] = props
            self.labels[node_id] = label

    def of(self, label: str) -> dict[str, dict[str, Any]]:
        return {i: p for (g, i), p in self.nodes.items() if g == label}

    def links(self, rel_type: str) -> set[tuple[str, str]]:
        return {(s[1], e[1]) for s, t, e, _ in self.rels if t == rel_type}


def test_neo4j_import_headers_are_neo4j_admin_headers_of_the_backend_model(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path
) -> None:
    export_neo4j_import(store, tmp_path)
    labels, types, keys = set(), set(), set()
    for name, header in neo4j_import_headers().items():
        first = (tmp_path / name).read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == ",".join(header)
        fields = [_FIELD.match(f) for f in header]
        assert all(fields), header
        kinds = [f["kind"] for f in fields if f]
        if "START_ID" in kinds:
            assert kinds[:3] == ["START_ID", "END_ID", "TYPE"]
            labels |= {f["group"] for f in fields[:2] if f}
        else:
            assert ":LABEL" in header
        keys |= {f["name"] for f in fields if f and f["name"]}
        _, rows = read_neo4j_csv(tmp_path / name)
        types |= {r[2] for r in rows if "TYPE" in kinds}
        labels |= {r[header.index(":LABEL")] for r in rows if ":LABEL" in header}
    assert labels <= set(cypher.LABELS)
    # every kind of link but COMMITTED: credit commitments (like the audit log) are not exported
    assert types == set(cypher.RELATIONSHIP_TYPES) - {"COMMITTED"}
    assert keys <= set(cypher.PROPERTY_KEYS)
    enterprises = (tmp_path / "enterprises.csv").read_text(encoding="utf-8")
    assert enterprises.startswith(
        "uscc:ID(Enterprise),:LABEL,name,name_fold,search_name,search_pinyin,search_initials,"
        "doc:long,kind,status,established_on,registered_capital:double,"
    )
    holders = (tmp_path / "shareholder_person.csv").read_text(encoding="utf-8")
    assert holders.startswith(
        ":START_ID(Person),:END_ID(Enterprise),:TYPE,title,start_on,end_on,share_pct:double\n"
    )


def test_neo4j_import_round_trip_equals_what_the_neo4j_backend_writes(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path
) -> None:
    counts = export_neo4j_import(store, tmp_path)
    imported = Imported(tmp_path)
    assert counts == imported.rows
    assert counts["enterprises.csv"] == 4 and counts["persons.csv"] == 3
    assert counts["list_entries.csv"] == 5 and counts["objections.csv"] == 1
    assert counts["legal_representative.csv"] == 1 and counts["shareholder_enterprise.csv"] == 1

    # ids are consistent: every link ends at a node of its id group
    for start, _, end, _ in imported.rels:
        assert start in imported.nodes and end in imported.nodes

    # nodes: the backend's own properties, plus the load order
    enterprises = list(store.iter_nodes(NodeKind.ENTERPRISE))
    persons = list(store.iter_nodes(NodeKind.PERSON))
    docs = {n.id: i for i, n in enumerate(enterprises + persons)}
    for e in enterprises:
        assert isinstance(e, Enterprise)
        props = imported.of("Enterprise")[e.uscc]
        assert props == enterprise_props(e) | {"doc": docs[e.uscc]}
        assert node("enterprise", props).model_dump() == e.model_dump()
    for p in persons:
        assert isinstance(p, Person)
        props = imported.of("Person")[p.person_id]
        assert props == person_props(p) | {"doc": docs[p.person_id]}
        assert node("person", props).model_dump() == p.model_dump()
    assert imported.meta["doc_seq"] == {"value": len(docs)}

    # relations: one relationship per relation, '' title/start_on kept as identity
    rels = {
        (t, s[1], e[1], p["title"], p["start_on"]): p
        for s, t, e, p in imported.rels
        if t in cypher.ROLE_TYPES
    }
    stored = list(store.iter_relations())
    assert len(rels) == len(stored) == 8
    for r in stored:
        row = relation_row(r)
        key = (r.role.value.upper(), r.source_id, r.target_uscc, *r.identity[3:])
        assert rels[key] == row["props"]
    assert rels["SHAREHOLDER", graph["A"], graph["B"], "", ""] == {
        "title": "", "start_on": "", "share_pct": 40.0,
    }  # fmt: skip

    # entries, their subjects and named persons; the reason survives quoting
    entries = store.entries()
    assert {i: p for i, p in imported.of("ListEntry").items()} == {
        e.entry_id: entry_props(e) for e in entries
    }
    assert imported.of("ListEntry")["E1"]["reason"] == REASON
    assert imported.links("LISTED") == {(e.subject_id, e.entry_id) for e in entries}
    assert imported.links("NAMED_RESPONSIBLE") == {(graph["P"], "E1")}
    assert imported.of("Person")[PASSPORT]["name"] == NAME_Q
    assert ("Person", PASSPORT) in {s for s, t, _, _ in imported.rels if t == "LISTED"}

    # objections, flags and counters
    objection = store.objections()[0]
    assert imported.of("Objection") == {
        "1": {"objection_id": 1, "entry_id": "E5", "reason": "already rectified",
              "filed_on": "2025-02-01"},
    }  # fmt: skip
    assert imported.links("OBJECTS_TO") == {("1", "E5")}
    stored_flags = store.stored_flags()
    assert stored_flags is not None and stored_flags.flags
    flag_nodes = imported.of("Flag")
    assert sorted(flag_nodes.values(), key=lambda p: p["data"]) == sorted(
        (flag_row(f) | {"from_run": 1} for f in stored_flags.flags), key=lambda p: p["data"]
    )
    assert [json.loads(p["data"]) for p in flag_nodes.values()] == [
        f.model_dump(mode="json") for f in stored_flags.flags
    ]
    assert imported.links("FLAGGED") == {
        (f.subject_id, f"{f.subject_id}|{f.flag}|{f.entry_id}") for f in stored_flags.flags
    }
    assert {e for _, e in imported.links("FROM_ENTRY")} <= {e.entry_id for e in entries}
    assert imported.meta["generation"] == {"value": store.generation()}
    assert imported.meta["flags"] == {
        "as_of": AS_OF.isoformat(), "generation": store.generation(),
        "policy_key": store.flags_policy_key(), "run": 1, "next_run": 1,
    }  # fmt: skip
    assert imported.meta["objection_seq"] == {"value": objection.objection_id}


def test_import_script_lists_every_file_and_asks_for_multiline_fields(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path
) -> None:
    export_neo4j_import(store, tmp_path)
    script = (tmp_path / "import.sh").read_text(encoding="utf-8")
    assert script.startswith("#!/bin/sh\n")
    # the database before the file lists (a list would take it for one more file)
    assert 'exec "${NEO4J_ADMIN:-neo4j-admin}" database import full "$database"' in script
    assert "--ignore-empty-strings=false" in script
    assert "--multiline-fields=true" in script  # E1's reason has a line break
    args = re.findall(r"--(nodes|relationships)=(\S+)", script)
    headers = neo4j_import_headers()
    assert [name for _, name in args] == list(headers)
    for option, name in args:
        assert (option == "relationships") == headers[name][0].startswith(":START_ID")
    assert script.rstrip().endswith('"$@"')
    assert (tmp_path / "import.sh").stat().st_mode & 0o111


def test_import_script_without_line_breaks_keeps_the_fast_parser(
    store: GraphStore, tmp_path: Path
) -> None:
    g = GraphBuilder()
    g.firm("A")
    store.upsert(g.batch)
    counts = export_neo4j_import(store, tmp_path)
    assert counts["enterprises.csv"] == 1 and counts["flags.csv"] == 0
    assert "multiline" not in (tmp_path / "import.sh").read_text(encoding="utf-8")
    assert "flags" not in Imported(tmp_path).meta  # nothing materialised yet


# -- GraphML --------------------------------------------------------------------------
def _expected_edges(store: GraphStore, as_of: date | None) -> dict[tuple[str, str, str], dict]:
    edges = {}
    for r in store.iter_relations():
        if as_of is None or r.active_on(as_of):
            attrs = {
                "role": r.role.value,
                "title": r.title.value if r.title else None,
                "share_pct": r.share_pct,
                "start_on": r.start_on.isoformat() if r.start_on else None,
                "end_on": r.end_on.isoformat() if r.end_on else None,
            }
            key = "|".join(r.identity)
            edges[r.source_id, r.target_uscc, key] = {k: v for k, v in attrs.items() if v}
    return edges


@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_graphml_reads_back_with_networkx(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path, as_of: date | None
) -> None:
    path = tmp_path / "g.graphml"
    flags = all_flags(store, AS_OF)
    counts = export_graphml(store, path, as_of, flags, AS_OF)
    g = nx.read_graphml(path, edge_key_type=str, force_multigraph=True)
    assert isinstance(g, nx.MultiDiGraph)
    assert counts == {"nodes": 7, "edges": 8 if as_of is None else 7}  # R's directorship ended
    assert g.graph["flags_as_of"] == "2025-06-01"
    assert g.graph.get("as_of") == (as_of.isoformat() if as_of else None)

    assert {(s, t, k): d for s, t, k, d in g.edges(keys=True, data=True)} == _expected_edges(
        store, as_of
    )
    assert set(g.nodes) == set(graph.ids.values())
    assert g.number_of_edges(graph["P"], graph["A"]) == 2  # legal representative and chairman

    assert g.nodes[graph["A"]] == {
        "type": "enterprise",
        "name": "A有限公司",
        "kind": "company",
        "status": "active",
        "established_on": "2010-01-01",
        "registered_capital": 1_000_000.0,
        "region": "北京市",
        "industry": "制造业",
        "flags": ",".join(sorted({f.flag.value for f in flags if f.subject_id == graph["A"]})),
        "entry_ids": "E1",
    }
    assert g.nodes[PASSPORT] == {
        "type": "person", "name": NAME_Q, "id_type": "passport", "flags": "listed",
        "entry_ids": "E4",
    }  # fmt: skip
    assert "responsible_person" in g.nodes[graph["P"]]["flags"].split(",")
    assert g.nodes[graph["S"]]["kind"] == "social_org"
    for node_id, data in g.nodes(data=True):
        assert all(isinstance(v, str | float) for v in data.values()), node_id
        assert set(data.get("entry_ids", "").split(",")) - {""} == {
            f.entry_id for f in flags if f.subject_id == node_id
        }


# -- FollowTheMoney --------------------------------------------------------------------
def read_ftm(path: Path) -> dict[str, dict[str, Any]]:
    """Entities by id, each validated by followthemoney and unchanged by
    re-cleaning every value (so nothing was dropped or rewritten)."""
    entities = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        proxy = ftm.get_proxy(data, cleaned=False)
        assert proxy.schema.validate(data) is None
        assert proxy.to_dict() == data, data
        assert set(proxy.schema.required) <= set(data["properties"]), data
        assert data["id"] not in entities
        entities[data["id"]] = data
    # every entity reference points at an entity of the file
    for data in entities.values():
        proxy = ftm.get_proxy(data)
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in entities, (data["schema"], prop.name)
    return entities


def _by_schema(entities: dict[str, dict[str, Any]], schema: str) -> list[dict[str, Any]]:
    return [e["properties"] for e in entities.values() if e["schema"] == schema]


def test_ftm_entities_validate_and_carry_the_graph(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path
) -> None:
    path = tmp_path / "g.ftm.json"
    counts = export_ftm(store, path)
    entities = read_ftm(path)
    # the red-list entry E3 is left out
    assert counts == {
        "Company": 3, "Organization": 1, "Person": 3, "Directorship": 3, "Ownership": 2,
        "Control": 2, "UnknownLink": 1, "Sanction": 2, "Risk": 2,
    }  # fmt: skip

    a = entities[ftm_id("enterprise", graph["A"])]
    assert a["schema"] == "Company"
    assert a["properties"] == {
        "name": ["A有限公司"], "uscCode": [graph["A"]], "jurisdiction": ["cn"],
        "legalForm": ["company"], "status": ["active"], "incorporationDate": ["2010-01-01"],
        "address": ["北京市海淀区中关村大街1号"], "phone": ["+8613800138000"],
        "email": ["info@a.example.cn"], "sector": ["制造业"], "capital": ["1000000.00"],
        "currency": ["CNY"],
    }  # fmt: skip
    assert entities[ftm_id("enterprise", graph["S"])]["schema"] == "Organization"
    # the USCC property checks the check digit: ours pass, a wrong one does not
    usc = ftm["Company"].properties["uscCode"]
    for props in _by_schema(entities, "Company") + _by_schema(entities, "Organization"):
        assert usc.type.clean(props["uscCode"][0], format=usc.format) == props["uscCode"][0]
    wrong = graph["A"][:-1] + ("0" if graph["A"][-1] != "0" else "1")
    assert usc.type.clean(wrong, format=usc.format) is None

    assert entities[ftm_id("person", graph["P"])]["properties"] == {
        "name": ["P"], "idNumber": [graph["P"]], "nationality": ["cn"],
    }  # fmt: skip
    assert entities[ftm_id("person", PASSPORT)]["properties"] == {
        "name": [NAME_Q], "passportNumber": [PASSPORT],
    }  # fmt: skip

    p, a_id, b_id = (ftm_id(k, graph[n]) for k, n in (("person", "P"), ("enterprise", "A"),
                                                       ("enterprise", "B")))  # fmt: skip
    directorships = _by_schema(entities, "Directorship")
    assert {"director": [p], "organization": [a_id], "role": ["legal representative"],
            "startDate": ["2015-01-01"]} in directorships  # fmt: skip
    assert {"director": [p], "organization": [a_id], "role": ["chairman"],
            "startDate": ["2015-01-01"]} in directorships  # fmt: skip
    assert {"owner": [a_id], "asset": [b_id], "percentage": ["40.00"]} in _by_schema(
        entities, "Ownership"
    )

    sanctions = {s["recordId"][0]: s for s in _by_schema(entities, "Sanction")}
    assert sanctions["E1"] == {
        "entity": [a_id], "program": ["serious_dishonesty"], "recordId": ["E1"],
        "authority": ["北京市税务局"], "reason": [REASON], "listingDate": ["2024-03-01"],
        "startDate": ["2024-03-01"], "authorityId": ["京税〔2024〕1号"],
    }  # fmt: skip
    assert sanctions["E4"]["entity"] == [ftm_id("person", PASSPORT)]
    assert sanctions["E4"]["endDate"] == ["2026-01-01"]
    risks = {r["recordId"][0]: r for r in _by_schema(entities, "Risk")}
    assert risks["E2"]["endDate"] == ["2023-01-01"]
    assert risks["E2"]["status"] == ["removed: repaired"]
    assert risks["E2"]["topics"] == ["reg.warn"]

    # deterministic: the same store gives the same file
    again = tmp_path / "again.ftm.json"
    export_ftm(store, again)
    assert again.read_bytes() == path.read_bytes()


def test_ftm_as_of_keeps_active_relations_and_entries_in_force(
    store: GraphStore, graph: GraphBuilder, tmp_path: Path
) -> None:
    path = tmp_path / "g.ftm.json"
    in_force = active_entries(store, store.entries(), AS_OF)
    counts = export_ftm(store, path, AS_OF, in_force)
    entities = read_ftm(path)
    assert counts["Directorship"] == 2  # R's directorship ended in 2020
    # E2 removed, E3 red, E5 suspended by its objection: only E1 and E4 remain
    assert {e["properties"]["recordId"][0] for e in entities.values()
            if e["schema"] in ("Sanction", "Risk")} == {"E1", "E4"}  # fmt: skip


# -- CLI ---------------------------------------------------------------------------------
def _said(result: Result) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(result.stderr.split())


def test_cli_export_commands(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    store = EmbeddedStore(db)
    store.upsert(build().batch)
    store.close()
    runner = CliRunner()

    result = runner.invoke(app, ["export", "neo4j-import", str(tmp_path / "n"), "--store", str(db)])
    assert result.exit_code == 0, result.output
    assert "4 enterprises, 3 persons, 5 list entries" in _said(result)
    assert f"{tmp_path / 'n' / 'import.sh'} neo4j" in _said(result) and result.stdout == ""
    assert Imported(tmp_path / "n").rows["executive.csv"] == 2

    graphml = tmp_path / "g.graphml"
    result = runner.invoke(
        app, ["export", "graphml", str(graphml), "--as-of", "2025-06-01", "--store", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "7 nodes and 7 edges" in _said(result)
    g = nx.read_graphml(graphml, edge_key_type=str, force_multigraph=True)
    assert g.graph["as_of"] == "2025-06-01" and "listed" in g.nodes[PASSPORT]["flags"]

    ftm_file = tmp_path / "g.ftm.json"
    result = runner.invoke(
        app, ["export", "ftm", str(ftm_file), "--as-of", "2025-06-01", "--store", str(db)]
    )
    assert result.exit_code == 0, result.output
    entities = read_ftm(ftm_file)
    # no objection here: E5 is in force on the day
    assert {e["properties"]["recordId"][0] for e in entities.values()
            if e["schema"] in ("Sanction", "Risk")} == {"E1", "E4", "E5"}  # fmt: skip
    result = runner.invoke(app, ["export", "ftm", str(ftm_file), "--store", str(db)])
    assert result.exit_code == 0 and "Sanction 2" in _said(result)

    nowhere = str(tmp_path / "no" / "g.graphml")
    missing = runner.invoke(app, ["--lang", "en", "export", "graphml", nowhere, "--store", str(db)])
    assert missing.exit_code == 2 and "does not exist" in _said(missing)
    bad_day = runner.invoke(app, ["export", "ftm", str(ftm_file), "--as-of", "June",
                                  "--store", str(db)])  # fmt: skip
    assert bad_day.exit_code == 2
