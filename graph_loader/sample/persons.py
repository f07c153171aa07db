"""Persons of the sample (``persons.csv``) and who gets a role.

Every person gets a weight from a Pareto law (shape 1.6, capped at 80), so
that :meth:`People.pick` — half of the time the next person never used yet,
otherwise one drawn by weight — gives some persons roles in dozens of firms.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from stdnum.cn import ric

from credgraph.model import IdType
from graph_loader.sample.pools import Pools
from graph_loader.sample.vocab import CITIES, pick_cum


class People:
    """Writes the persons and hands them out as role holders."""

    def __init__(self, pools: Pools) -> None:
        self.pools = pools
        self.rng = pools.rng
        self.ids: list[str] = []
        self.births = array("H")
        self.cum = array("d")
        self.fresh = 0  # next person never used yet (every person gets a chance)
        self.elders: list[int] = [0]

    def write(self, writer: Any, count: int) -> None:
        """Write persons.csv and keep what relations need (ids, birth years, weights)."""
        rng = self.rng
        pools = self.pools
        ids: list[str] = []
        births = array("H")
        cum = array("d")
        seen: set[str] = set()
        phones: list[str] = []
        total = 0.0
        regions = pools.regions_by_year
        for _ in range(count):
            year = int(rng.triangular(1950, 2004, 1976))
            year = min(year, 2003)
            if rng.random() < 0.005:
                pid = f"E{rng.randrange(100_000_000):08d}"
                while pid in seen:
                    pid = f"E{rng.randrange(100_000_000):08d}"
                id_type = IdType.PASSPORT.value
                name = rng.choice(pools.foreign_names)
            else:
                codes, code_cum = regions[year]
                code = codes[pick_cum(rng, code_cum)]
                day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                while True:
                    body = f"{code}{day:%Y%m%d}{rng.randint(1, 999):03d}"
                    pid = body + ric.calc_check_digit(body + "0")
                    if pid not in seen:
                        break
                id_type = IdType.RESIDENT_ID.value
                name = pools.person_name()
            seen.add(pid)
            r = rng.random()
            if r < 0.01 and phones:
                phone = pools.show_phone(rng.choice(phones[-500:]))  # shared with someone
            elif r < 0.75:
                digits = pools.mobile()
                phones.append(digits)
                if len(phones) > 4000:
                    del phones[:2000]
                phone = pools.show_phone(digits)
            else:
                phone = ""
            if rng.random() < 0.4:
                city = CITIES[pools.city()]
                address = pools.address(city, rng.choice(city.districts))
            else:
                address = ""
            writer.writerow((pid, id_type, name, phone, address))
            ids.append(pid)
            births.append(year)
            total += min(80.0, rng.paretovariate(1.6))
            cum.append(total)
        self.ids = ids
        self.births = births
        self.cum = cum
        self.fresh = 0  # next person never used yet (every person gets a chance)
        self.elders = [i for i, y in enumerate(births) if y <= 1972] or [0]

    def pick(self, start: int, avoid: Sequence[int] = ()) -> int:
        """A person old enough (20+) on ordinal ``start``: heavy-tailed or a new one."""
        rng = self.rng
        max_birth = date.fromordinal(start).year - 20
        births = self.births
        if rng.random() < 0.5 and self.fresh < len(births):
            j = self.fresh
            if births[j] <= max_birth and j not in avoid:
                self.fresh += 1
                return j
        cum = self.cum
        top = cum[-1]
        last = len(cum) - 1
        for _ in range(12):
            j = bisect.bisect_right(cum, rng.random() * top)
            if j > last:
                j = last
            if births[j] <= max_birth and j not in avoid:
                return j
        while True:
            j = rng.choice(self.elders)
            if j not in avoid:
                return j
