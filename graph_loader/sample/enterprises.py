"""Enterprises of the sample (``enterprises.csv``): who they are, planned up
front (:class:`Plan`: kind, city, founding day, USCC, holding companies,
ownership cycles, the subjects of severe entries), then written one by one
(:class:`Firms`: name, industry, capital, contacts, status).

Kinds: ~80 % companies (``东莞市华盛电子科技有限公司``), 12 % individual
businesses, ~3 % branches (``…分公司`` of a recent company), social
organisations, public institutions and farmer co-operatives; ~6 % of
companies are holding companies. Contacts are written in mixed formats
(``+86 138 1234 5678``, ``(0769)22881234``, full-width digits) and ~2 % of
firms reuse another firm's phone or address.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence
from datetime import date

from stdnum.cn import uscc

from graph_loader.sample.pools import Days, Pools
from graph_loader.sample.tails import Tails
from graph_loader.sample.vocab import (
    ASSOCIATIONS,
    CAPITALS,
    CITIES,
    HOLDING_INDUSTRY,
    HOLDING_WORDS,
    INDUSTRIES,
    INSTITUTIONS,
    KIND_CODES,
    KIND_NAMES,
    PRIVATE_NONPROFIT,
    SHOPS,
    STATUS_CHOICES,
    STATUS_CUM,
    City,
    iso,
    org_code,
    pick_cum,
)


class Plan:
    """Kinds, cities, founding days and USCCs of all enterprises, up front,
    and the firms chosen for ownership cycles and severe entries."""

    def __init__(self, pools: Pools, n: int, days: Days, elders: Sequence[int]) -> None:
        self.rng = pools.rng
        self.pools = pools
        self.n = n
        self.days = days
        self.kinds = bytearray(n)  # index into KIND_CODES
        self.cities = bytearray(n)
        self.est = array("i")
        self.holding = bytearray(n)
        self.usccs: list[str] = []
        self._basics()
        #: deliberate ownership cycles: member i is held by cycle_holder[i]
        self.cycle_holder: dict[int, int] = {}
        self._cycles()
        self.tails = Tails(pools, self.kinds, self.cities, list(self.cycle_holder), elders)
        self.severe_firms: list[int] = []
        #: role holders of the subjects of severe entries: (person, from, to)
        self.severe_roles: dict[int, list[tuple[int, int, int]]] = {}
        self._severe()

    def _basics(self) -> None:
        rng, n, kinds, cities, est = self.rng, self.n, self.kinds, self.cities, self.est
        seen: set[str] = set()
        first = self.days.first
        span = self.days.last_est - first
        ma_from = date(2015, 10, 1).toordinal()
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        for i in range(n):
            r = rng.random()
            k = 0 if r < 0.80 else 1 if r < 0.92 else 2 if r < 0.95 else 3 if r < 0.97 else 4
            k = 5 if r >= 0.995 else k  # farmer co-operatives
            if i < 20 and k == 2:
                k = 0  # branches need earlier parents
            kinds[i] = k
            c = self.pools.city()
            cities[i] = c
            day = first + int(span * rng.random() ** 0.55)
            est.append(day)
            if k == 0 and rng.random() < 0.06:
                self.holding[i] = 1
            prefix = KIND_CODES[k][rng.randrange(len(KIND_CODES[k]))]
            region = CITIES[c].code
            while True:
                if day >= ma_from and rng.random() < 0.8:
                    body = "MA" + "".join(rng.choices(alphabet[:10] + "ABCDEFGH", k=6))
                else:
                    body = f"{rng.randrange(10_000_000, 100_000_000)}"
                code17 = prefix + region + org_code(body)
                code = code17 + uscc.calc_check_digit(code17)
                if code not in seen:
                    break
            seen.add(code)
            self.usccs.append(code)

    def _cycles(self) -> None:
        rng, n = self.rng, self.n
        companies = [i for i in range(n) if self.kinds[i] == 0]
        cycles = min(20, 2 + n // 50_000) if len(companies) >= 12 else 0
        for _ in range(cycles):
            size = rng.choice((2, 3, 3, 3, 4))
            members: list[int] = []
            while len(members) < size:
                i = rng.choice(companies)
                if i not in self.cycle_holder and i not in members:
                    members.append(i)
            for pos, i in enumerate(members):
                self.cycle_holder[i] = members[pos - 1]

    def _severe(self) -> None:
        """~0.8 % of firms, a quarter of them holding companies (so that
        related-by-control, P3, cases exist)."""
        rng, n = self.rng, self.n
        n_severe = max(3, round(0.008 * n))
        holders = [i for i in range(n) if self.holding[i]]
        on_holders = rng.sample(holders, min(len(holders), max(1, n_severe // 4)))
        rest = rng.sample(range(n), min(n_severe, n))
        self.severe_firms = list(dict.fromkeys(on_holders + rest))[:n_severe]
        self.severe_roles = {i: [] for i in self.severe_firms}


class Firms:
    """Writes the enterprise rows, one firm after the other."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.pools = plan.pools
        self.rng = plan.rng
        self.recent: list[tuple[int, str]] = []  # (index, name) of recent companies
        self.contacts: list[tuple[str, str, str]] = []  # (digits, area, address) to share
        self.names: set[str] = set()  # registered names are unique (a few retries)
        self.group_parents = set(plan.tails.group_parents)
        self.group_names: dict[int, str] = {}

    def row(self, i: int) -> tuple[tuple[str, ...], int, int, int]:
        """The row of enterprise ``i``, its kind, its founding day (a
        branch's kind and day depend on its parent) and its parent (-1 when
        it is not a branch)."""
        rng, plan = self.rng, self.plan
        city = CITIES[plan.cities[i]]
        district = rng.choice(city.districts)
        k, start, parent, name, industry, capital = self._identity(i, city, district)
        phone, address = self._contacts(city, district)
        phone, address = self._hub_contacts(i, phone, address)
        email = self.pools.email() if k != 1 and rng.random() < 0.45 else ""
        status = STATUS_CHOICES[pick_cum(rng, STATUS_CUM)]
        kind = KIND_NAMES[k]
        row = (plan.usccs[i], name, kind, status, iso(start), capital, city.region, industry)
        return (*row, address, phone, email), k, start, parent

    def _identity(self, i: int, city: City, district: str) -> tuple[int, int, int, str, str, str]:
        """Kind, founding day, parent, name, industry and capital of firm ``i``."""
        plan, names = self.plan, self.names
        k, start = plan.kinds[i], plan.est[i]
        parent = -1
        if k == 2 and not self.recent:  # no parent yet: a company then (same USCC prefix)
            k = plan.kinds[i] = 0
        if k == 2:
            parent, name, start = self._branch(i, city, district)
            industry = capital = ""
        else:
            for _ in range(6):
                name, industry, capital = self._name(i, k, city, district)
                if name not in names:
                    break
        if i in self.group_parents:
            name, industry, capital = self._group_name(i, city)
            self.group_names[i] = name
        names.add(name)
        if k == 0:
            self.recent.append((i, name))
            if len(self.recent) > 600:
                del self.recent[:300]
        return k, start, parent, name, industry, capital

    def _branch(self, i: int, city: City, district: str) -> tuple[int, str, int]:
        """Parent, name and founding day of branch ``i``: a recent company,
        or its group's parent (tails, drawn apart); the branch opens 30 days
        to 8 years after its parent was founded."""
        parent, parent_name = self.rng.choice(self.recent)
        start = self._opening(self.rng, parent)
        group = self.plan.tails.branch_of.get(i)
        if group is not None:
            parent, parent_name = group, self.group_names[group]
            start = self._opening(self.plan.tails.rng, parent)
        place = district[:2] if self.plan.cities[parent] == self.plan.cities[i] else city.short
        name = f"{parent_name}{place}分公司"
        nth = 2
        while name in self.names:
            name = f"{parent_name}{place}第{cn_number(nth)}分公司"
            nth += 1
        self.plan.est[i] = start
        return parent, name, start

    def _opening(self, rng: random.Random, parent: int) -> int:
        last, founded = self.plan.days.last_est, self.plan.est[parent]
        start = founded + rng.randint(30, 3000)
        if start > last:
            start = rng.randint(min(founded + 1, last), last)
        return start

    def _group_name(self, i: int, city: City) -> tuple[str, str, str]:
        """A group parent's name (tails): ``东莞市华盛控股集团有限公司``."""
        pools = self.plan.tails.pools
        name = f"{city.name}{pools.brand()}控股集团有限公司"
        while name in self.names:
            name = f"{city.name}{pools.brand()}{pools.brand()}控股集团有限公司"
        return name, HOLDING_INDUSTRY, str(pools.rng.choice((5, 10, 50)) * 100_000_000)

    def _hub_contacts(self, i: int, phone: str, address: str) -> tuple[str, str]:
        """A cluster-registration address and an agency's phone replace a
        member's own (tails)."""
        tails = self.plan.tails
        pools = tails.pools
        cluster = tails.cluster_of.get(i)
        if cluster is not None:
            address = pools.vary_address(tails.clusters[cluster])
        agency = tails.agency_of.get(i)
        if agency is not None:
            phone = pools.show_phone(*tails.agencies[agency])
        return phone, address

    def _contacts(self, city: City, district: str) -> tuple[str, str]:
        """Phone and address; ~2 % shared with an earlier firm."""
        rng, pools, contacts = self.rng, self.pools, self.contacts
        r = rng.random()
        if r < 0.02 and contacts:
            digits, area, address = rng.choice(contacts)
            if r < 0.01:
                phone = pools.show_phone(digits, area)
                address = pools.address(city, district)
            else:
                address = pools.vary_address(address)
                phone = pools.show_phone(*pools.firm_phone(city))
            return phone, address
        digits, area = pools.firm_phone(city)
        address = pools.address(city, district)
        phone = pools.show_phone(digits, area) if rng.random() < 0.88 else ""
        if phone and rng.random() < 0.05:
            contacts.append((digits, area, address))
            if len(contacts) > 400:
                del contacts[:200]
        return phone, address

    def _name(self, i: int, k: int, city: City, district: str) -> tuple[str, str, str]:
        """Name, industry and registered capital of a firm that is not a branch."""
        rng = self.rng
        if k == 0:
            if self.plan.holding[i]:
                industry = HOLDING_INDUSTRY
                word = rng.choice(HOLDING_WORDS)
            else:
                industry, words, _ = INDUSTRIES[pick_cum(rng, self.pools.industry_cum)]
                word = rng.choice(words)
            brand = self.pools.brand()
            r = rng.random()
            if r < 0.75:
                name = f"{city.name}{brand}{word}有限公司"
            elif r < 0.85:
                name = f"{city.name}{brand}{word}股份有限公司"
            elif r < 0.95:
                name = f"{brand}（{city.short}）{word}有限公司"
            else:
                name = f"{city.province[:2]}{brand}{word}有限公司"
            return name, industry, str(rng.choice(CAPITALS) * 10_000)
        if k == 1:
            shop, industry = rng.choice(SHOPS)
            name = f"{city.name}{district[:2]}{self.pools.brand()}{shop}"
            capital = rng.choice((3, 5, 10, 20, 30, 50)) * 10_000 if rng.random() < 0.5 else 0
            return name, industry, str(capital) if capital else ""
        if k == 3:
            r = rng.random()
            if r < 0.1:
                name = f"{city.name}{rng.choice(ASSOCIATIONS)}"
            elif r < 0.4:
                name = f"{city.name}{district}{rng.choice(ASSOCIATIONS)}"
            else:
                kind = rng.choice(PRIVATE_NONPROFIT)
                name = f"{city.name}{district[:2]}{self.pools.brand()}{kind}"
                industry = "教育" if kind.endswith(("学校", "园", "中心")) else "卫生和社会工作"
                return name, industry, str(rng.choice((3, 10, 50)) * 10_000)
            return name, "公共管理、社会保障和社会组织", str(rng.choice((3, 10, 50)) * 10_000)
        if k == 4:
            r = rng.random()
            if r < 0.45:
                inst = rng.choice(("小学", "中学", "幼儿园", "实验学校"))
                name = f"{city.name}{district}{self.pools.brand()}{inst}"
                industry = "教育"
            elif r < 0.7:
                name = f"{city.name}{district}{self.pools.brand()}社区卫生服务站"
                industry = "卫生和社会工作"
            elif r < 0.8:
                inst = rng.choice(("人民医院", "中学", "中医院", "职业技术学校"))
                name = f"{city.name}第{'一二三四五六七八九'[rng.randrange(9)]}{inst}"
                industry = "卫生和社会工作" if "医院" in inst else "教育"
            else:
                name = f"{city.name}{district}{rng.choice(INSTITUTIONS)}"
                industry = "公共管理、社会保障和社会组织"
            return name, industry, str(rng.choice((50, 100, 500, 1000)) * 10_000)
        name = f"{city.name}{district[:2]}{self.pools.brand()}种养专业合作社"
        return name, "农、林、牧、渔业", str(rng.choice((10, 50, 100)) * 10_000)


def cn_number(k: int) -> str:
    """1 ≤ k < 1,000 in Chinese numerals as in 第二十三分公司 (二, 十一, 二百零五)."""
    digits = "零一二三四五六七八九"
    hundreds, rest = divmod(k, 100)
    tens, ones = divmod(rest, 10)
    text = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (digits[ones] if ones else "")
