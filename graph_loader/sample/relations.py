"""Relations of one enterprise (``relations.csv``): its legal representative,
executives, shareholders, a declared actual controller and, for a branch,
``branch_of`` its parent.

Every enterprise has exactly one legal representative active on as_of;
~6 % had an earlier one, ~8 % of further executive posts and ~4 % of
personal holdings changed hands (the old role ends before the new one
starts). Active shares of a firm sum to at most 100 %. Enterprise
shareholders form chains several levels deep and a few deliberate cycles.
"""

from __future__ import annotations

import random
from array import array

from credgraph.model import Title
from graph_loader.sample.enterprises import Plan
from graph_loader.sample.persons import People
from graph_loader.sample.vocab import (
    AC,
    BOSS_TITLES,
    BRANCH,
    EXEC,
    LR,
    SH,
    SHARE_COUNT_CUM,
    SHARE_COUNTS,
    bp_text,
    iso,
    pick_cum,
)

Row = tuple[str, ...]


class Roles:
    """Writes the relation rows of each enterprise in turn."""

    def __init__(self, people: People, plan: Plan, as_of: int) -> None:
        self.rng = people.rng
        self.people = people
        self.plan = plan
        self.as_of = as_of
        self.holders = array("i")  # holding companies seen so far
        self.chained = array("i")  # firms with an enterprise shareholder: extend chains

    def rows(self, i: int, k: int, start: int, parent: int) -> list[Row]:
        """All relation rows of enterprise ``i`` (kind ``k``, founded on ``start``)."""
        rng, plan, pids = self.rng, self.plan, self.people.ids
        code = plan.usccs[i]
        remember = plan.severe_roles.get(i)
        rows: list[Row] = []
        boss = self.people.pick(start)
        lr_from = self._legal_representative(i, boss, start, rows, remember)
        self._executives(i, k, boss, start, lr_from, rows, remember)
        if k in (0, 1, 5):
            self._shareholders(i, k, boss, start, rows)
        group = plan.tails.subsidiary_of.get(i)
        if group is not None:
            rows = self._subsidiary(i, group, boss, start, rows)
        if k == 0 and rng.random() < 0.05:
            who = boss if rng.random() < 0.6 else self.people.pick(start, (boss,))
            rows.append((pids[who], code, AC, "", "", iso(start), ""))
        if parent >= 0:
            rows.append((code, plan.usccs[parent], BRANCH, "", "", iso(start), ""))
        if k == 0 and plan.holding[i]:
            self.holders.append(i)
        return rows

    def _legal_representative(
        self,
        i: int,
        boss: int,
        start: int,
        rows: list[Row],
        remember: list[tuple[int, int, int]] | None,
    ) -> int:
        """The legal representative (and ~6 % an earlier one); returns the
        day the current one started."""
        rng, as_of, pids, code = self.rng, self.as_of, self.people.ids, self.plan.usccs[i]
        lr_from = start
        if rng.random() < 0.06 and start < as_of - 400:
            end = rng.randint(start + 180, as_of - 60)
            before = self.people.pick(start, (boss,))
            rows.append((pids[before], code, LR, "", "", iso(start), iso(end)))
            if remember is not None:
                remember.append((before, start, end))
            lr_from = end + 1
        # a nominee (tails) holds the post; the real boss keeps the others
        head = self.plan.tails.nominee_of.get(i, boss)
        rows.append((pids[head], code, LR, "", "", iso(lr_from), ""))
        if remember is not None:
            remember.append((head, lr_from, as_of + 3650))
        return lr_from

    def _executives(
        self,
        i: int,
        k: int,
        boss: int,
        start: int,
        lr_from: int,
        rows: list[Row],
        remember: list[tuple[int, int, int]] | None,
    ) -> None:
        rng, as_of, pids, code = self.rng, self.as_of, self.people.ids, self.plan.usccs[i]
        used = [boss]
        for pos, title in enumerate(exec_titles(rng, k)):
            if pos == 0 and rng.random() < 0.8:
                who = boss
                since = lr_from if lr_from != start and rng.random() < 0.7 else start
            else:
                who = self.people.pick(start, used)
                used.append(who)
                since = start
            if pos > 0 and rng.random() < 0.08 and start < as_of - 400:
                end = rng.randint(start + 180, as_of - 60)
                before = self.people.pick(start, used)
                used.append(before)
                rows.append((pids[before], code, EXEC, title, "", iso(start), iso(end)))
                if remember is not None:
                    remember.append((before, start, end))
                since = end + 1
            rows.append((pids[who], code, EXEC, title, "", iso(since), ""))
            if remember is not None:
                remember.append((who, since, as_of + 3650))

    def _share_parts(self, k: int) -> list[int]:
        """The shares of one firm's holders in basis points (sum ≤ 10,000)."""
        rng = self.rng
        count = 1 if k != 0 else SHARE_COUNTS[pick_cum(rng, SHARE_COUNT_CUM)]
        total = 10_000 if rng.random() < 0.92 else rng.randint(60, 99) * 100
        unit = 1 if rng.random() < 0.15 else 100
        if count == 1:
            return [total]
        if rng.random() < 0.7:
            first = rng.randint(50, 90) * 100 * total // 10_000
            first -= first % unit
            rest = total - first
        else:
            first = -1
            rest = total
        slots = count - 1 if first >= 0 else count
        cuts = sorted(rng.sample(range(1, rest // unit), slots - 1)) if slots > 1 else []
        bounds = [0, *(c * unit for c in cuts), rest]
        parts = [bounds[j + 1] - bounds[j] for j in range(slots)]
        if first >= 0:
            parts.insert(0, first)
        return parts

    def _enterprise_holder(self, i: int, k: int) -> list[int]:
        """The enterprise holding the first share of ``i``, if any: its
        cycle partner, or (12 % of companies) a holding company or the end
        of a chain."""
        rng, holders, chained = self.rng, self.holders, self.chained
        cyc = self.plan.cycle_holder.get(i)
        if cyc is not None:
            return [cyc]
        if k == 0 and rng.random() < 0.12 and (holders or chained):
            pool = chained if chained and (rng.random() < 0.45 or not holders) else holders
            return [pool[rng.randrange(len(pool))]]
        return []

    def _shareholders(self, i: int, k: int, boss: int, start: int, rows: list[Row]) -> None:
        """Shareholder rows of firm ``i``; active shares sum to at most 100 %."""
        rng, plan, pids, as_of = self.rng, self.plan, self.people.ids, self.as_of
        code, est = plan.usccs[i], plan.est
        parts = self._share_parts(k)
        enterprise_holders = self._enterprise_holder(i, k)
        used = [boss]
        boss_holds = not enterprise_holders and (k != 0 or rng.random() < 0.8)
        for pos, bp in enumerate(parts):
            since = start
            if pos == 0 and enterprise_holders:
                h = enterprise_holders[0]
                source = plan.usccs[h]
                since = max(start, est[h] + 1)
            elif pos > 0 and rng.random() < 0.05 and (h := self._investor(i)) >= 0:
                if h in enterprise_holders:
                    continue
                source = plan.usccs[h]
                since = max(start, est[h] + 1)
                enterprise_holders.append(h)
            elif pos == 0 and boss_holds:
                source = pids[boss]
            else:
                who = self.people.pick(start, used)
                used.append(who)
                source = pids[who]
                if rng.random() < 0.04 and start < as_of - 400:  # equity transfer
                    end = rng.randint(start + 180, as_of - 60)
                    before = self.people.pick(start, used)
                    used.append(before)
                    rows.append((pids[before], code, SH, "", bp_text(bp), iso(start), iso(end)))
                    since = end + 1
            rows.append((source, code, SH, "", bp_text(bp), iso(since), ""))
        if enterprise_holders:
            self.chained.append(i)

    def _subsidiary(self, i: int, group: int, boss: int, start: int, rows: list[Row]) -> list[Row]:
        """A group subsidiary (tails): its group's parent holds 100 % (60 %)
        or 51–90 % with the boss holding the rest, instead of the holders
        drawn for it."""
        plan, rng = self.plan, self.plan.tails.rng
        kept = [r for r in rows if r[2] != SH]
        code = plan.usccs[i]
        bp = 10_000 if rng.random() < 0.6 else rng.randint(51, 90) * 100
        since = iso(max(start, plan.est[group] + 1))
        kept.append((plan.usccs[group], code, SH, "", bp_text(bp), since, ""))
        if bp < 10_000:
            kept.append((self.people.ids[boss], code, SH, "", bp_text(10_000 - bp), iso(start), ""))
        return kept

    def _investor(self, i: int) -> int:
        """A random company other than ``i`` as minority investor, or -1."""
        for _ in range(3):
            h = self.rng.randrange(self.plan.n)
            if h != i and self.plan.kinds[h] == 0:
                return h
        return -1


def exec_titles(rng: random.Random, kind: int) -> list[str]:
    """Executive titles of one firm; the first is the one the boss may hold."""
    if kind == 1:  # individual business: the operator manages it
        return [Title.MANAGER.value]
    if kind == 2:  # branch: a branch manager
        return [Title.MANAGER.value]
    if kind in (3, 4):
        titles = [Title.CHAIRMAN.value if kind == 3 else Title.OTHER.value]
        if rng.random() < 0.5:
            titles.append(Title.DIRECTOR.value)
        return titles
    r = rng.random()
    count = 1 if r < 0.55 else 2 if r < 0.88 else 3
    first = rng.choice(BOSS_TITLES)
    titles = [first]
    if count >= 2:
        titles.append(Title.SUPERVISOR.value)
    if count >= 3:
        extra = (
            Title.MANAGER.value
            if first == Title.GENERAL_MANAGER.value
            else rng.choice(
                (Title.GENERAL_MANAGER.value, Title.DIRECTOR.value, Title.MANAGER.value)
            )
        )
        titles.append(extra)
    return titles
