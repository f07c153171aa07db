"""Synthetic, realistic sample data for credgraph (``credgraph sample``).

:func:`generate_sample` writes a data folder in the input contract of
``DESIGN.md`` §2 — ``enterprises.csv``, ``persons.csv``, ``relations.csv`` and
``list_entries.csv`` (UTF-8, header row, the contract's columns in order).

The data is deterministic for a seed (same arguments, same bytes): every random
choice comes from one ``random.Random(seed)``, and the Chinese names, streets
and e-mail names come from pools drawn once from ``Faker("zh_CN")`` seeded with
the same seed. Pools plus the RNG keep it fast: a million enterprises take a
minute or two, because Faker is never called per row.

What the data looks like (volumes at N enterprises):

* enterprises — N: mostly companies (``东莞市华盛电子科技有限公司``), some
  individual businesses, ~3 % branches (``…分公司``), social organisations,
  public institutions and farmer co-operatives; valid USCCs; contacts written
  in mixed formats (``+86 138 1234 5678``, ``(0769)22881234``, full-width
  digits) with ~2 % of firms reusing another firm's phone or address.
* persons — ~1.5·N: valid resident identity numbers (region code valid for the
  birth year in python-stdnum's table), ~0.5 % passports (``E`` + 8 digits,
  ``id_type=passport``); ~1 % share another person's phone.
* relations — ~4·N: one legal representative active today per enterprise,
  executives with titles, shareholders whose active shares sum to ≤ 100 %,
  declared actual controllers, ``branch_of``; roles go to persons with a
  heavy-tailed activity so some persons sit in dozens of firms; enterprise
  shareholders form chains several levels deep and a few deliberate ownership
  cycles; ~10 % of firms have an earlier legal representative or executive
  whose role ended before the successor's started.
* list entries — ~5 % of N: ≈1 % severe (``serious_dishonesty``,
  ``dishonest_debtor``, ``serious_illegal``, some on persons), plus
  ``abnormal_operation``, ``key_attention`` and ``red`` (red only on firms
  without severe entries); some removed, some with an expiry, a few decided
  after ``as_of``; severe enterprise entries sometimes name responsible persons
  who hold a role in the firm.
* heavy tails (:mod:`graph_loader.sample.tails`): groups with hundreds or
  thousands of subsidiaries and branches, nominee legal representatives of
  hundreds of firms, cluster-registration addresses and agency phones
  shared by hundreds or thousands of firms.

The modules follow the files: :mod:`~graph_loader.sample.vocab` and
:mod:`~graph_loader.sample.pools` (vocabularies, RNG, text builders),
:mod:`~graph_loader.sample.persons`, :mod:`~graph_loader.sample.enterprises`
(the plan and the rows), :mod:`~graph_loader.sample.relations`,
:mod:`~graph_loader.sample.entries`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from credgraph.outputs import atomic_write
from graph_loader.sample.enterprises import Firms, Plan
from graph_loader.sample.entries import Entries
from graph_loader.sample.persons import People
from graph_loader.sample.pools import Days, Pools
from graph_loader.sample.relations import Roles
from graph_loader.sources import COLUMNS

__all__ = [
    "DEFAULT_AS_OF",
    "ENTERPRISE_COLUMNS",
    "ENTRY_COLUMNS",
    "PERSON_COLUMNS",
    "RELATION_COLUMNS",
    "SampleSummary",
    "generate_sample",
]

#: Default evaluation day of the sample (fixed so the output is deterministic).
DEFAULT_AS_OF = date(2026, 11, 25)

ENTERPRISE_COLUMNS = COLUMNS["enterprises"]
PERSON_COLUMNS = COLUMNS["persons"]
RELATION_COLUMNS = COLUMNS["relations"]
ENTRY_COLUMNS = COLUMNS["list_entries"]

_PROGRESS_EVERY = 2000  # enterprises between two progress callbacks


@dataclass(frozen=True)
class SampleSummary:
    """Rows written per file by :func:`generate_sample`."""

    enterprises: int
    persons: int
    relations: int
    list_entries: int

    @property
    def total(self) -> int:
        """All data rows written (headers not counted)."""
        return self.enterprises + self.persons + self.relations + self.list_entries

    def __str__(self) -> str:
        return (
            f"{self.enterprises:,} enterprises, {self.persons:,} persons, "
            f"{self.relations:,} relations, {self.list_entries:,} list entries"
        )


def _write_firms(
    plan: Plan,
    people: People,
    ent_writer: Any,
    rel_writer: Any,
    progress: Callable[[int], None] | None,
) -> int:
    """Write enterprises.csv and relations.csv together; returns relation rows."""
    firms = Firms(plan)
    roles = Roles(people, plan, plan.days.as_of)
    relations = 0
    for i in range(plan.n):
        row, k, start, parent = firms.row(i)
        ent_writer.writerow(row)
        rows = roles.rows(i, k, start, parent)
        rel_writer.writerows(rows)
        relations += len(rows)
        if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
            progress(i + 1)
    return relations


def generate_sample(
    out: Path,
    enterprises: int,
    seed: int = 42,
    as_of: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write a synthetic data folder (DESIGN §2) for ``enterprises`` enterprises.

    ``out`` is created if missing; the four CSV files in it are replaced,
    each renamed into place once written whole.
    The output is byte-for-byte the same for the same arguments. ``as_of``
    (default :data:`DEFAULT_AS_OF`) is the day the data is "current" on: every
    enterprise has exactly one legal representative active on it, and a few
    list entries are decided after it. ``progress`` is called now and then with
    the number of enterprises written so far (cumulative, ending at
    ``enterprises``; persons are written before and list entries after).
    """
    if enterprises < 1:
        raise ValueError("enterprises must be at least 1")
    days = Days(as_of or DEFAULT_AS_OF)
    out.mkdir(parents=True, exist_ok=True)
    pools = Pools(seed)
    people = People(pools)
    n_persons = max(10, round(1.5 * enterprises))

    def open_csv(stack: ExitStack, name: str, header: Sequence[str]) -> Any:
        # each file appears whole (renamed into place) or not at all
        handle = stack.enter_context(atomic_write(out / name, newline=""))
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        return writer

    with ExitStack() as stack:
        people.write(open_csv(stack, "persons.csv", PERSON_COLUMNS), n_persons)
    plan = Plan(pools, enterprises, days, people.elders)
    with ExitStack() as stack:
        ent_writer = open_csv(stack, "enterprises.csv", ENTERPRISE_COLUMNS)
        rel_writer = open_csv(stack, "relations.csv", RELATION_COLUMNS)
        n_relations = _write_firms(plan, people, ent_writer, rel_writer, progress)
    with ExitStack() as stack:
        n_entries = Entries(
            people, plan, open_csv(stack, "list_entries.csv", ENTRY_COLUMNS)
        ).write()
    if progress is not None:
        progress(enterprises)
    return SampleSummary(
        enterprises=enterprises,
        persons=n_persons,
        relations=n_relations,
        list_entries=n_entries,
    )
