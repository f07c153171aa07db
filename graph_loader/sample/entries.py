"""List entries of the sample (``list_entries.csv``), ~5 % of N:

* severe entries on ~0.8 % of firms (``serious_dishonesty``,
  ``dishonest_debtor``, ``serious_illegal``); 40 % of them name one or two
  responsible persons who hold a role in the firm;
* entries on ~0.3 % of N persons, mostly dishonest debtors (often people
  with roles), some serious_dishonesty and key_attention;
* ``abnormal_operation`` on ~2.5 % of firms, ``key_attention`` on ~0.65 %;
* ``red`` on ~0.8 % of firms, only those without severe or abnormal entries.

Some are removed, some expire, ~1.7 % are decided after as_of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from credgraph.model import Category, ListKind, RemovalReason
from graph_loader.sample.enterprises import Plan
from graph_loader.sample.persons import People
from graph_loader.sample.vocab import (
    ABNORMAL_REASONS,
    CITIES,
    COMMITMENT_REASON,
    DEBTOR_CATEGORIES_LIST,
    DEBTOR_CUM,
    DEBTOR_REASONS,
    DEPT_ABBR,
    ILLEGAL_CATEGORIES,
    KEY_ATTENTION_CATEGORIES,
    PERSON_SD_CATEGORIES,
    RED_REASONS,
    SEVERE_CATEGORY,
    City,
    iso,
    pick_cum,
)

SD_REMOVALS = (RemovalReason.REPAIRED.value, RemovalReason.EXPIRED.value)
DD_REMOVALS = (RemovalReason.COURT.value, RemovalReason.REPAIRED.value, "other")
_D2019 = date(2019, 1, 1).toordinal()


class Entries:
    """Writes list_entries.csv: each list in turn, all from the run's RNG."""

    def __init__(self, people: People, plan: Plan, writer: Any) -> None:
        self.rng = plan.rng
        self.pools = plan.pools
        self.people = people
        self.plan = plan
        self.as_of = plan.days.as_of
        self.writer = writer
        self.written = 0
        self._counters: dict[str, int] = {}
        self._calls = 0

    def write(self) -> int:
        """Every entry; returns the number of rows."""
        self._severe_on_firms()
        self._on_persons()
        abnormal = self._abnormal()
        self._key_attention()
        self._red(set(self.plan.severe_firms) | set(abnormal))
        return self.written

    # -- fields -------------------------------------------------------------------
    def _entry_id(self, prefix: str, decided: int) -> str:
        seq = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = seq
        return f"{prefix}-{date.fromordinal(decided).year}-{seq:06d}"

    def _decided_on(self, since: int) -> int:
        self._calls += 1
        lo = min(max(_D2019, since + 90), self.as_of)
        if self._calls % 60 == 30:  # ~1.7 %: decided after the evaluation day
            return self.as_of + self.rng.randint(1, 90)
        return self.rng.randint(lo, self.as_of)

    def _ending(
        self,
        decided: int,
        valid_years: float,
        p_valid: float,
        p_removed: float,
        reasons: Sequence[str],
    ) -> tuple[str, str, str]:
        """valid_until, removed_on and removal_reason."""
        rng, as_of = self.rng, self.as_of
        valid = decided + int(365.25 * valid_years) if rng.random() < p_valid else 0
        removed = ""
        why = ""
        if decided + 30 <= as_of and rng.random() < p_removed:
            why = rng.choice(reasons)
            if why == RemovalReason.EXPIRED.value and valid and valid <= as_of:
                removed = iso(valid)
            else:
                if why == RemovalReason.EXPIRED.value:
                    why = RemovalReason.REPAIRED.value
                removed = iso(rng.randint(decided + 30, as_of))
        return (iso(valid) if valid else "", removed, why)

    def _authority(self, dept: str, city: City) -> str:
        rng = self.rng
        if dept == "税务局":
            return f"国家税务总局{city.name}税务局"
        if dept == "中级人民法院":
            if city.name == "东莞市" and rng.random() < 0.6:
                return f"东莞市{'第一' if rng.random() < 0.5 else '第二'}人民法院"
            return f"{city.name}中级人民法院"
        if dept == "金融监管分局":
            return f"国家金融监督管理总局{city.short}监管分局"
        if dept == "海关":
            return f"{city.short}海关"
        return f"{city.name}{dept}"

    def _case_no(self, dept: str, city: City, decided: int, kind: str = "罚") -> str:
        rng = self.rng
        year = date.fromordinal(decided).year
        if dept == "中级人民法院":
            court = f"{city.code[2:4]}{rng.randint(1, 99):02d}"
            return f"（{year}）{city.abbr}{court}执{rng.randint(1, 20000)}号"
        return f"{city.short[0]}{DEPT_ABBR[dept]}{kind}〔{year}〕{rng.randint(1, 3000)}号"

    def _emit(
        self,
        entry_id: str,
        subject: str,
        lst: str,
        category: str,
        reason: str,
        issued: tuple[str, str],  # authority, case_no
        decided: int,
        ending: tuple[str, str, str],
        named: str = "",
    ) -> None:
        self.writer.writerow(
            (entry_id, subject, lst, category, reason, *issued, iso(decided), *ending, named)
        )
        self.written += 1

    # -- lists --------------------------------------------------------------------
    def _severe_on_firms(self) -> None:
        rng, plan = self.rng, self.plan
        for i in plan.severe_firms:
            city = CITIES[plan.cities[i]]
            r = rng.random()
            decided = self._decided_on(plan.est[i])
            cat: Category
            if r < 0.4:
                lst, prefix = ListKind.SERIOUS_DISHONESTY, "SD"
                cat = rng.choice(list(SEVERE_CATEGORY))
                dept, reason = SEVERE_CATEGORY[cat]
                ending = self._ending(decided, 3, 0.6, 0.15, SD_REMOVALS)
            elif r < 0.75:
                lst, prefix = ListKind.DISHONEST_DEBTOR, "DD"
                cat = DEBTOR_CATEGORIES_LIST[pick_cum(rng, DEBTOR_CUM)]
                dept, reason = "中级人民法院", rng.choice(DEBTOR_REASONS)
                ending = self._ending(decided, 2, 0.3, 0.2, DD_REMOVALS)
            else:
                lst, prefix = ListKind.SERIOUS_ILLEGAL, "SI"
                cat = rng.choice(ILLEGAL_CATEGORIES)
                dept, reason = "市场监督管理局", SEVERE_CATEGORY[cat][1]
                ending = self._ending(decided, 5, 0.5, 0.1, SD_REMOVALS)
            named = self._named(i, decided)
            issued = (self._authority(dept, city), self._case_no(dept, city, decided))
            entry_id = self._entry_id(prefix, decided)
            subject = plan.usccs[i]
            self._emit(
                entry_id, subject, lst.value, cat.value, reason, issued, decided, ending, named
            )

    def _named(self, i: int, decided: int) -> str:
        """40 %: one or two persons with a role in firm ``i`` (active on the
        decision day when there are such) named as responsible."""
        rng = self.rng
        holders = self.plan.severe_roles.get(i, [])
        if not holders or rng.random() >= 0.4:
            return ""
        active = [p for p, s, e in holders if s <= decided <= e] or [p for p, _, _ in holders]
        chosen: list[int] = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            p = rng.choice(active)
            if p not in chosen:
                chosen.append(p)
        return ";".join(self.people.ids[p] for p in chosen)

    def _on_persons(self) -> None:
        rng, people = self.rng, self.people
        births = people.births
        for _ in range(max(2, round(0.003 * self.plan.n))):
            p = people.pick(self.as_of - 1) if rng.random() < 0.7 else rng.randrange(len(births))
            city = CITIES[self.pools.city()]
            decided = self._decided_on(date(births[p] + 18, 6, 1).toordinal())
            r = rng.random()
            cat: Category
            if r < 0.8:
                lst, prefix = ListKind.DISHONEST_DEBTOR, "DD"
                cat = DEBTOR_CATEGORIES_LIST[pick_cum(rng, DEBTOR_CUM)]
                dept, reason = "中级人民法院", rng.choice(DEBTOR_REASONS)
                ending = self._ending(decided, 2, 0.2, 0.2, DD_REMOVALS)
            elif r < 0.9:
                lst, prefix = ListKind.SERIOUS_DISHONESTY, "SD"
                cat = rng.choice(PERSON_SD_CATEGORIES)
                dept, reason = SEVERE_CATEGORY[cat]
                ending = self._ending(decided, 3, 0.6, 0.1, SD_REMOVALS)
            else:
                lst, prefix = ListKind.KEY_ATTENTION, "KA"
                cat = rng.choice(KEY_ATTENTION_CATEGORIES)
                dept, reason = SEVERE_CATEGORY[cat][0], COMMITMENT_REASON
                ending = self._ending(decided, 1, 0.7, 0.2, SD_REMOVALS)
            issued = (self._authority(dept, city), self._case_no(dept, city, decided))
            entry_id = self._entry_id(prefix, decided)
            self._emit(
                entry_id, people.ids[p], lst.value, cat.value, reason, issued, decided, ending
            )

    def _abnormal(self) -> list[int]:
        rng, plan = self.rng, self.plan
        n = plan.n
        abnormal = rng.sample(range(n), min(n, max(3, round(0.025 * n))))
        for i in abnormal:
            city = CITIES[plan.cities[i]]
            decided = self._decided_on(plan.est[i] + 365)
            ending = self._ending(decided, 3, 0.0, 0.35, (RemovalReason.REPAIRED.value, "other"))
            reason = rng.choice(ABNORMAL_REASONS)
            dept = "市场监督管理局"
            issued = (self._authority(dept, city), self._case_no(dept, city, decided, "异"))
            entry_id = self._entry_id("AO", decided)
            kind = ListKind.ABNORMAL_OPERATION.value
            self._emit(entry_id, plan.usccs[i], kind, "", reason, issued, decided, ending)
        return abnormal

    def _key_attention(self) -> None:
        rng, plan = self.rng, self.plan
        n = plan.n
        for i in rng.sample(range(n), min(n, max(2, round(0.0065 * n)))):
            city = CITIES[plan.cities[i]]
            decided = self._decided_on(plan.est[i])
            if rng.random() < 0.7:
                cat_text = rng.choice(KEY_ATTENTION_CATEGORIES)
                dept, base = SEVERE_CATEGORY[cat_text]
                reason = f"{base.split('，')[0]}，情节较轻，列入重点关注名单"
                category = cat_text.value
            else:
                dept, reason, category = "市场监督管理局", COMMITMENT_REASON, ""
            ending = self._ending(decided, 1, 0.7, 0.2, SD_REMOVALS)
            issued = (self._authority(dept, city), self._case_no(dept, city, decided))
            entry_id = self._entry_id("KA", decided)
            kind = ListKind.KEY_ATTENTION.value
            self._emit(entry_id, plan.usccs[i], kind, category, reason, issued, decided, ending)

    def _red(self, blocked: set[int]) -> None:
        """Red list: only firms without severe entries nor abnormal operations."""
        rng, plan = self.rng, self.plan
        n = plan.n
        wanted = max(2, round(0.008 * n))
        red: list[int] = []
        tries = 0
        while len(red) < wanted and tries < wanted * 20:
            tries += 1
            i = rng.randrange(n)
            if i not in blocked and plan.kinds[i] in (0, 5):
                blocked.add(i)
                red.append(i)
        for i in red:
            city = CITIES[plan.cities[i]]
            decided = self._decided_on(plan.est[i] + 3 * 365)
            dept, reason = rng.choice(RED_REASONS)
            if dept == "税务局":
                reason = f"{date.fromordinal(decided).year - 1}年度{reason}"
            reasons = (RemovalReason.EXPIRED.value, "other")
            ending = self._ending(decided, rng.choice((1, 2, 3)), 0.8, 0.05, reasons)
            issued = (self._authority(dept, city), self._case_no(dept, city, decided, "信"))
            entry_id = self._entry_id("RL", decided)
            self._emit(
                entry_id, plan.usccs[i], ListKind.RED.value, "", reason, issued, decided, ending
            )
