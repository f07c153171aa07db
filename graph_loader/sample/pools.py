"""The generator's randomness and vocabularies: one ``random.Random(seed)``
and the name, street and e-mail pools drawn once from ``Faker("zh_CN")``
(never per row, which keeps a million enterprises fast), plus the builders
of phones, addresses, brands and names that every file uses."""

from __future__ import annotations

import copy
import random
import re
from datetime import date

from faker import Faker
from stdnum.cn import ric

from graph_loader.sample.vocab import (
    BRAND_CHARS,
    CITIES,
    FREE_MAIL,
    FULLWIDTH,
    INDUSTRIES,
    MOBILE_PREFIXES,
    NOT_BRANDS,
    PERSON_REGIONS,
    PLACES,
    STREET_SUFFIXES,
    City,
    pick_cum,
    ric_ok,
    weighted_cum,
)


class Pools:
    """The RNG of one run, the Faker pools and the small text builders."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._faker_pools(seed)
        self.city_cum = weighted_cum([c.weight for c in CITIES])
        self.industry_cum = weighted_cum([w for _, _, w in INDUSTRIES])
        self._region_table()

    def _faker_pools(self, seed: int) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(3000)]
        given = [fake.first_name() for _ in range(2000)]
        chars = sorted({c for g in given for c in g})
        rng = random.Random(seed ^ 0x5EED)
        given += [rng.choice(chars) + rng.choice(chars) for _ in range(1500)]
        self.given = given
        self.brands = sorted(
            b
            for b in {fake.company_prefix() for _ in range(600)}
            if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", b) and not any(w in b for w in NOT_BRANDS)
        )
        streets = [fake.street_name() for _ in range(1500)]
        streets += [
            rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS) + rng.choice(STREET_SUFFIXES)
            for _ in range(1500)
        ]
        self.streets = streets
        self.user_names = [fake.user_name() for _ in range(1500)]
        domains = {fake.domain_name() for _ in range(800)}
        self.domains = sorted(d for d in domains if re.fullmatch(r"[a-z]{4,}\.(com|cn)", d))
        en = Faker("en_US")
        en.seed_instance(seed)
        self.foreign_names = [en.name() for _ in range(300)]

    def _region_table(self) -> None:
        """Per birth year, resident-id region codes stdnum accepts for that year."""
        self.regions_by_year: dict[int, tuple[list[str], list[float]]] = {}
        for year in range(1950, 2004):
            codes: list[str] = []
            weights: list[float] = []
            for code, weight in PERSON_REGIONS:
                body = f"{code}{year}0101001"
                if ric_ok(body + ric.calc_check_digit(body + "0")):
                    codes.append(code)
                    weights.append(weight)
            self.regions_by_year[year] = (codes, weighted_cum(weights))

    def fork(self, name: str) -> Pools:
        """The same pools with an RNG of their own, seeded from the run's
        seed and ``name``: what it draws never shifts the run's own
        sequence (the heavy tails are an overlay on the gentle sample)."""
        other = copy.copy(self)
        other.rng = random.Random(f"{self.seed}/{name}")
        return other

    # -- small builders -----------------------------------------------------------

    # -- small builders -----------------------------------------------------------

    def city(self) -> int:
        return pick_cum(self.rng, self.city_cum)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def landline(self, city: City) -> str:
        rng = self.rng
        local = f"{rng.randrange(2, 9)}{rng.randrange(10_000_000):07d}"
        return city.area + local

    def show_phone(self, digits: str, area: str | None = None) -> str:
        """Render canonical digits the way people type them."""
        r = self.rng.random()
        if digits.startswith("1"):  # mobile
            if r < 0.6:
                return digits
            if r < 0.75:
                return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            if r < 0.87:
                return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
            if r < 0.95:
                return f"+86 {digits}"
            return f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        n = len(area) if area else (3 if digits[1] in "12" else 4)
        code, local = digits[:n], digits[n:]
        if r < 0.5:
            return f"{code}-{local}"
        if r < 0.65:
            return digits
        if r < 0.8:
            return f"({code}){local}"
        return f"{code} {local[:4]} {local[4:]}"

    def brand(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return rng.choice(self.brands)
        a = rng.choice(BRAND_CHARS)
        b = rng.choice(BRAND_CHARS)
        while b == a:
            b = rng.choice(BRAND_CHARS)
        if rng.random() < 0.15:
            return a + b + rng.choice(BRAND_CHARS)
        return a + b

    def address(self, city: City, district: str) -> str:
        rng = self.rng
        text = f"{city.prefix}{district}{rng.choice(self.streets)}{rng.randint(1, 399)}号"
        r = rng.random()
        if r < 0.35:
            text += f"{rng.choice(self.streets)[:2]}{rng.choice(PLACES)}{rng.randint(1, 12)}栋"
            text += f"{rng.randint(1, 30)}{rng.randint(1, 20):02d}室"
        elif r < 0.6:
            text += f"{rng.randint(1, 30)}楼"
        return text

    def vary_address(self, text: str) -> str:
        r = self.rng.random()
        if r < 0.4:
            return text
        if r < 0.7:
            return text.translate(FULLWIDTH)
        cut = self.rng.randrange(3, max(4, len(text) - 2))
        return f"{text[:cut]} {text[cut:]}"

    def person_name(self) -> str:
        return self.rng.choice(self.surnames) + self.rng.choice(self.given)

    # -- persons ------------------------------------------------------------------

    def firm_phone(self, city: City) -> tuple[str, str]:
        if self.rng.random() < 0.55:
            return self.landline(city), city.area
        return self.mobile(), ""

    def email(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            text = f"{rng.randrange(10_000, 3_999_999_999)}@qq.com"
        elif r < 0.7:
            text = f"{rng.choice(self.user_names)}@{rng.choice(FREE_MAIL)}"
        else:
            text = f"{rng.choice(('info', 'admin', 'hr', 'sales', 'service'))}@"
            text += rng.choice(self.domains)
        return text.upper() if rng.random() < 0.03 else text


class Days:
    """The run's days as ordinals: founding days fall in [first, last_est];
    ``as_of`` is the day the data is current on."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of.toordinal()
        self.first = date(1995, 1, 1).toordinal()
        self.last_est = min(date(2025, 12, 31).toordinal(), self.as_of - 120)
        if self.last_est <= self.first:
            raise ValueError("as_of must be after 1995-05-01")
