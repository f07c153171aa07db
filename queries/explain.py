"""Words for results (DESIGN §12): ``label`` and ``explanation`` in the chosen language.

:func:`explain` takes any JSON result (flags, network, measures, screening,
credit level, credit report…) after it is computed and adds, without
touching a code:

* to every flag and every verdict reason: ``label`` (e.g. "关联企业（失信被执行人）")
  and ``explanation``, a sentence naming the people, firms, list, decision
  day and authority, e.g. "董波是深圳市迅豪塑胶制品有限公司（失信被执行人，
  2026-10-28 列入）的法定代表人，同时任佛山市顺德区腾美幼儿园的董事。";
* to every applied measure and credit level: ``label`` and ``explanation``;
* to everything with a ``citation``: ``clauses``, the quoted seed clause of
  each citation (``[{"citation", "text"}]``);
* beside ``verdict`` / ``scenario``: ``verdict_label`` / ``scenario_label``.

The sentences are templates in the policy (``explanations`` in
``policy.yaml``), so a policy change changes the words. Objects are
recognised by their keys; the store is asked once for the names, entries and
roles the sentences need.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from credgraph.i18n import Lang, current_lang, term
from credgraph.model import FlagKind, ListEntry, Role
from credgraph.policy import Explanations, Policy, default_policy
from credgraph.store import Direction, GraphStore

JsonDict = dict[str, Any]
_FLAG_KEYS = frozenset({"flag", "rule", "entry_id", "path", "relations"})
_KINDS = frozenset(k.value for k in FlagKind)
_MEASURE_KEYS = frozenset({"code", "description", "citation"})
#: hops whose sentence needs the stored relation (a title, a holding)
_LOOKED_UP = frozenset({Role.EXECUTIVE.value, Role.SHAREHOLDER.value})


def is_flag(d: Mapping[str, Any]) -> bool:
    return d.keys() >= _FLAG_KEYS


def is_reason(d: Mapping[str, Any]) -> bool:
    return "code" in d and "path" in d and "relations" in d


def is_measure(d: Mapping[str, Any]) -> bool:
    return d.keys() >= _MEASURE_KEYS and "path" not in d


def is_level(d: Mapping[str, Any]) -> bool:
    return "level" in d and "sampling_ratio" in d


class _Blank(dict[str, Any]):
    """Template values: an unknown placeholder stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: Any) -> str:
    """``template`` with its ``{placeholders}`` filled (unknown ones kept).

    >>> fill("{a}是{b}", a="董波")
    '董波是{b}'
    """
    return string.Formatter().vformat(template, (), _Blank(values))


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class _Facts:
    """What the sentences need from the store, fetched once per result."""

    names: dict[str, str] = field(default_factory=dict)
    entries: dict[str, ListEntry] = field(default_factory=dict)
    #: (source, target, role) -> [(title, share_pct, start, end)]
    roles: dict[tuple[str, str, str], list[tuple[str | None, float | None, Any, Any]]] = field(
        default_factory=dict
    )

    def name(self, node_id: str) -> str:
        return self.names.get(node_id, node_id)


def _walk(value: Any) -> Iterable[JsonDict]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def _chains(body: Any) -> list[list[str]]:
    """The id chains of a paths or ownership result."""
    if not isinstance(body, dict):
        return []
    found = [[str(x) for x in p.get("nodes") or []] for p in body.get("paths") or []]
    for key in ("owners", "holdings"):
        found += [
            [str(x) for x in p] for item in body.get(key) or [] for p in item.get("paths") or []
        ]
    controller = body.get("actual_controller")
    if isinstance(controller, dict):
        found.append([str(x) for x in controller.get("path") or []])
    found += [[str(x) for x in c] for c in body.get("cycles") or []]
    return [c for c in found if c]


def _collect(store: GraphStore, body: Any) -> _Facts:
    ids: set[str] = set()
    entry_ids: set[str] = set()
    hop_sources: set[str] = set()
    for chain in _chains(body):
        ids.update(chain)
        hop_sources.update(chain)
    for d in _walk(body):
        for key in ("subject_id", "uscc", "id", "center"):
            if isinstance(d.get(key), str):
                ids.add(d[key])
        if is_flag(d) or is_reason(d):
            path = [str(x) for x in d.get("path") or []]
            ids.update(path)
            if d.get("entry_id"):
                entry_ids.add(str(d["entry_id"]))
            for i, rel in enumerate(d.get("relations") or []):
                if rel in _LOOKED_UP and i + 1 < len(path):
                    hop_sources.update(path[i : i + 2])
    facts = _Facts()
    known = [i for i in ids if "*" not in i]
    facts.names = {k: node.name for k, node in store.nodes(known).items()} if known else {}
    if entry_ids:
        facts.entries = {e.entry_id: e for e in store.entries(entry_ids=sorted(entry_ids))}
    sources = [i for i in hop_sources if i in facts.names]
    if sources:
        rels = store.expand(sources, Direction.OUT, {Role.EXECUTIVE, Role.SHAREHOLDER})
        for r in rels:
            facts.roles.setdefault((r.source_id, r.target_uscc, r.role.value), []).append(
                (r.title.value if r.title else None, r.share_pct, r.start_on, r.end_on)
            )
    return facts


def _control(relation: str) -> str:
    """P2 reaches firms through a controlling holding only."""
    return "controlling_shareholder" if relation == Role.SHAREHOLDER.value else relation


def _active(rows: list[tuple[str | None, float | None, Any, Any]], day: date | None) -> list[Any]:
    if day is None:
        return rows
    live = [r for r in rows if (r[2] is None or r[2] <= day) and (r[3] is None or day <= r[3])]
    return live or rows


class Explainer:
    """Fills the policy's templates for one result in one language."""

    def __init__(self, facts: _Facts, policy: Policy, lang: Lang, as_of: date | None) -> None:
        self.facts, self.policy, self.lang, self.as_of = facts, policy, lang, as_of
        self.words: Explanations = policy.explanations

    def _t(self, words: Any, **values: Any) -> str:
        return fill(words.text(self.lang), **values)

    def role(self, a: str, b: str, rel: str, day: date | None) -> str:
        """The role of a hop: an executive's title where the store has it."""
        if rel == Role.EXECUTIVE.value:
            rows = self.facts.roles.get((b, a, rel)) or self.facts.roles.get((a, b, rel)) or []
            titles = [r[0] for r in _active(rows, day) if r[0]]
            if titles:
                return term("title", sorted(titles)[0], self.lang)
        return term("role", rel, self.lang)

    def holding(self, a: str, b: str) -> str:
        rows = _active(self.facts.roles.get((a, b, Role.SHAREHOLDER.value), []), self.as_of)
        return _pct(sum(r[1] or 0.0 for r in rows))

    def _entry_values(self, d: Mapping[str, Any]) -> dict[str, Any]:
        entry = self.facts.entries.get(str(d.get("entry_id")))
        listed = term("list", d.get("list") or (entry.list if entry else ""), self.lang)
        decided = entry.decided_on.isoformat() if entry else ""
        authority = entry.authority if entry and entry.authority else ""
        return {
            "list": listed,
            "decided_on": decided,
            "entry_id": d.get("entry_id") or "",
            "authority": authority,
            "by_authority": self._t(self.words.by_authority, authority=authority)
            if authority
            else "",
            "entry": self._t(self.words.entry, list=listed, decided_on=decided),
        }

    def flag_sentence(self, d: Mapping[str, Any]) -> str:
        """The sentence of a flag (or of a reason that carries a flag's evidence)."""
        path = [str(x) for x in d.get("path") or []]
        rels = [str(x) for x in d.get("relations") or []]
        rule = str(d.get("rule") or "L0")
        if not path:
            return ""
        values = self._entry_values(d)
        entry = self.facts.entries.get(str(d.get("entry_id")))
        p1_day = entry.decided_on if entry else None
        values |= {"subject": self.facts.name(path[-1]), "source": self.facts.name(path[0])}
        variant = rule
        if rule == "P1" and rels:
            values["role"] = self.role(path[0], path[1], rels[0], p1_day)
        elif rule == "P2" and len(path) >= 3 and len(rels) >= 2:
            values |= {
                "person": self.facts.name(path[1]),
                "role": self.role(path[0], path[1], rels[0], p1_day),
                "role2": self.role(path[1], path[2], _control(rels[1]), self.as_of),
            }
        elif rule == "P2" and rels:
            variant = "P2_direct"
            values["role"] = self.role(path[0], path[-1], _control(rels[-1]), self.as_of)
        elif rule == "P3" and rels:
            variant = {"branch_of": "P3_branch", "parent_of": "P3_parent"}.get(rels[0], "P3")
            values["pct"] = self.holding(path[0], path[-1])
        words = self.words.flags.get(variant) or self.words.flags.get(rule)
        return self._t(words, **values) if words else ""

    def flag(self, d: JsonDict) -> None:
        label = self.words.flag_labels.get(FlagKind(d["flag"])) if d.get("flag") in _KINDS else None
        values = self._entry_values(d)
        d["label"] = self._t(label, **values) if label else str(d.get("flag"))
        d["explanation"] = self.flag_sentence(d)

    def reason(self, d: JsonDict, subject: str | None) -> None:
        code = str(d.get("code"))
        spec = self.words.reasons.get(code)
        path = [str(x) for x in d.get("path") or []]
        who = path[-1] if path else subject or ""
        values = self._entry_values(d) | {
            "subject": self.facts.name(who),
            "flag": self.flag_sentence(d) if d.get("rule") and path else "",
            "years": self.policy.green_channel.clean_years,
            "id": subject or who,
            "detail": d.get("detail") or "",
        }
        if spec is None:
            d.setdefault("label", code)
            d.setdefault("explanation", values["flag"] or values["detail"])
            return
        d["label"] = self._t(spec.label, **values)
        if not d.get("explanation"):  # a query's own sentence (screening) stays
            d["explanation"] = self._t(spec.text, **values)

    def measure(self, d: JsonDict) -> None:
        spec = self.words.measures.get(str(d.get("code")))
        d["label"] = self._t(spec.label) if spec else str(d.get("code"))
        d["explanation"] = self._t(spec.text) if spec else str(d.get("description") or "")

    def level(self, d: JsonDict) -> None:
        spec = self.words.levels.get(str(d.get("level")))
        ratio = f"{_pct(float(d.get('sampling_ratio') or 0) * 100)}%"
        d["label"] = self._t(spec.label, ratio=ratio) if spec else str(d.get("level"))
        d["explanation"] = self._t(spec.text, ratio=ratio) if spec else str(d.get("description"))

    def clauses(self, d: JsonDict) -> None:
        d["clauses"] = [
            {"citation": c, "text": text} for c, text in self.policy.quotes(str(d["citation"]))
        ]

    def annotate(self, value: Any, subject: str | None = None) -> None:
        """Add the words in place, depth first; ``subject`` is the nearest subject id."""
        if isinstance(value, list):
            for item in value:
                self.annotate(item, subject)
            return
        if not isinstance(value, dict):
            return
        own = value.get("subject_id") or value.get("uscc")
        subject = own if isinstance(own, str) else subject
        if is_flag(value):
            self.flag(value)
        elif is_reason(value):
            self.reason(value, subject)
        elif is_measure(value):
            self.measure(value)
        if is_level(value):
            self.level(value)
        if isinstance(value.get("citation"), str) and value["citation"]:
            self.clauses(value)
        if isinstance(value.get("verdict"), str):
            value["verdict_label"] = term("verdict", value["verdict"], self.lang)
        if isinstance(value.get("scenario"), str):
            value["scenario_label"] = term("scenario", value["scenario"], self.lang)
        for key, child in list(value.items()):
            if isinstance(child, dict | list) and key not in {"clauses", "identity"}:
                self.annotate(child, subject)

    def report_notes(self, body: JsonDict) -> None:
        """A credit report: say why a raised level and green-channel eligibility
        both hold (a relation raises the level; the green channel looks at the
        subject's own records only — DESIGN §4)."""
        level = body.get("level")
        green = [m for m in body.get("measures") or [] if m.get("scenario") == "green_channel"]
        if not isinstance(level, dict) or not green or green[0].get("verdict") != "eligible":
            return
        if "related_enterprise" not in (level.get("conditions") or []):
            return
        note = self._t(
            self.words.level_and_green_channel,
            subject=self.facts.name(str(body.get("subject_id"))),
            level=level.get("level"),
            years=self.policy.green_channel.clean_years,
        )
        level["note"] = note
        green[0]["note"] = note


def explain(
    store: GraphStore,
    body: Any,
    lang: Lang | None = None,
    policy: Policy | None = None,
) -> Any:
    """``body`` (JSON data of any result) with labels, explanations and
    quoted clauses added in ``lang`` (default: the language in force).
    Changes ``body`` in place and returns it."""
    facts = _collect(store, body)
    day = None
    if isinstance(body, dict) and isinstance(body.get("as_of"), str):
        day = date.fromisoformat(body["as_of"])
    explainer = Explainer(facts, policy or default_policy(), lang or current_lang(), day)
    explainer.annotate(body)
    if isinstance(body, dict) and "measures" in body and "level" in body:
        explainer.report_notes(body)
    chains = _chains(body)
    if chains and isinstance(body, dict):
        # paths and ownership carry ids only: their names, and each holding's share
        body["names"] = {i: facts.name(i) for c in chains for i in c}
        if "owners" in body or "holdings" in body:
            body["hops"] = _hops(facts, chains, day)
    return body


def _hops(facts: _Facts, chains: list[list[str]], day: date | None) -> list[JsonDict]:
    """The direct holding of every hop of the ownership chains (percent)."""
    seen: dict[tuple[str, str], float | None] = {}
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            rows = _active(facts.roles.get((a, b, Role.SHAREHOLDER.value), []), day)
            seen.setdefault((a, b), round(sum(r[1] or 0.0 for r in rows), 2) if rows else None)
    return [{"source": a, "target": b, "pct": pct} for (a, b), pct in seen.items()]


#: the keys :func:`explain` adds that are words (not ids): what a masked body gets
WORDS = ("label", "explanation", "clauses", "verdict_label", "scenario_label", "note")


def overlay(target: Any, source: Any, text: Callable[[str], str]) -> Any:
    """``target`` (a masked body) with the words of ``source`` (the same body
    explained before masking) copied to the same places, each string through
    ``text``. ``names`` and ``hops`` are keyed by ids and are not copied."""
    if isinstance(target, dict) and isinstance(source, dict):
        for key in WORDS:
            if key in source and key not in target:
                target[key] = _strings_through(source[key], text)
        for key, child in target.items():
            if key in source:
                overlay(child, source[key], text)
    elif isinstance(target, list) and isinstance(source, list):
        for t, s in zip(target, source, strict=False):
            overlay(t, s, text)
    return target


def _strings_through(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [_strings_through(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _strings_through(v, text) for k, v in value.items()}
    return value
