"""The heavy tails of real registries, planned before any firm is written.

Registries are not gentle: state and private groups hold hundreds or
thousands of subsidiaries and branches, nominee legal representatives
(挂名法人) head hundreds of firms, cluster-registration addresses (集群注册)
host thousands of firms, and bookkeeping agencies (代理记账) register their
own phone for every client. Each tail is a few hubs whose sizes follow a
Zipf law — the r-th largest has ``top / r`` members — with ``top`` and the
number of hubs proportional to N:

==========================  ===============  ==================  =====  ======
hub                         how many         largest (``top``)   100 k  1 M
==========================  ===============  ==================  =====  ======
group (parent's direct      N / 5,000        0.35 % of N         350    3,500
subsidiaries ≥ 51 % and
branches)
nominee legal               N / 10,000       0.15 % of N         150    1,500
representative (firms)
cluster registration        N / 5,000        0.3 % of N          300    3,000
address (firms)
agency phone (firms)        N / 2,500        0.15 % of N         150    1,500
==========================  ===============  ==================  =====  ======

(at least one hub each, and ``top`` at least 2 or 3 at small N). Members
are drawn at random: a group's parent is an early company (its members come
later in the file), 70 % of a group's members are companies it controls
(100 % in 60 % of them, else 51–90 %, the rest held by the firm's boss),
30 % branches; an address or an agency phone serves companies and
individual businesses of its own city; a nominee is a person born in 1972
or earlier who is only the legal representative (the firm's real boss
keeps the other posts). Ownership-cycle members stay out of groups.

The tails draw from an RNG of their own (:meth:`Pools.fork`), and each is
applied over what the gentle generator drew for the same firm, so the rest
of the sample — and whatever tests rely on in it — is the same with or
without them.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence

from graph_loader.sample.pools import Pools
from graph_loader.sample.vocab import CITIES

GROUPS_PER = 5_000
GROUP_TOP = 0.0035
NOMINEES_PER = 10_000
NOMINEE_TOP = 0.0015
CLUSTERS_PER = 5_000
CLUSTER_TOP = 0.003
AGENCIES_PER = 2_500
AGENCY_TOP = 0.0015
CLUSTER_SUFFIXES = ("（集群注册）", "（托管地址）", "（住所托管）")


def zipf_sizes(n: int, per: int, top_share: float, least: int) -> list[int]:
    """Sizes of the hubs of one tail at N = ``n``: ``max(1, n // per)``
    hubs, the r-th of ``top / r`` members (never below 2), ``top`` being
    ``top_share`` of n (at least ``least``)."""
    top = max(least, round(top_share * n))
    return [max(2, round(top / r)) for r in range(1, max(1, n // per) + 1)]


class Tails:
    """Who belongs to which hub: firm index → group parent, branch parent,
    nominee (person index), cluster address, agency phone."""

    def __init__(
        self,
        pools: Pools,
        kinds: bytearray,
        cities: bytearray,
        taken: Sequence[int],
        elders: Sequence[int],
    ) -> None:
        self.pools = pools.fork("tails")
        self.rng: random.Random = self.pools.rng
        n = len(kinds)
        #: subsidiary → group parent
        self.subsidiary_of: dict[int, int] = {}
        #: branch → group parent
        self.branch_of: dict[int, int] = {}
        self.group_parents: list[int] = []
        #: firm → nominee legal representative (person index)
        self.nominee_of: dict[int, int] = {}
        #: firm → cluster address (index into ``clusters``)
        self.cluster_of: dict[int, int] = {}
        self.clusters: list[str] = []
        #: firm → agency (index into ``agencies``: landline digits, area code)
        self.agency_of: dict[int, int] = {}
        self.agencies: list[tuple[str, str]] = []
        self._groups(n, kinds, set(taken))
        self._nominees(n, elders)
        by_city: list[list[int]] = [[] for _ in CITIES]
        for i in range(n):
            if kinds[i] in (0, 1):
                by_city[cities[i]].append(i)
        self._clusters(n, by_city)
        self._agencies(n, by_city)

    def _groups(self, n: int, kinds: bytearray, taken: set[int]) -> None:
        rng = self.rng
        companies = [i for i in range(20, n) if kinds[i] == 0 and i not in taken]
        branches = [i for i in range(n) if kinds[i] == 2]
        early = companies[: max(50, len(companies) // 20)]
        if not early:
            return
        for size in zipf_sizes(n, GROUPS_PER, GROUP_TOP, 3):
            parent = rng.choice(early)
            if parent in self.subsidiary_of or parent in self.group_parents:
                continue
            self.group_parents.append(parent)
            n_branches = round(0.3 * size)
            for i in _sample_after(rng, companies, parent, size - n_branches):
                if i not in self.subsidiary_of and i not in self.group_parents:
                    self.subsidiary_of[i] = parent
            for i in _sample_after(rng, branches, parent, n_branches):
                self.branch_of.setdefault(i, parent)

    def _nominees(self, n: int, elders: Sequence[int]) -> None:
        rng = self.rng
        for size in zipf_sizes(n, NOMINEES_PER, NOMINEE_TOP, 2):
            person = rng.choice(elders)
            for i in rng.sample(range(n), min(size, n)):
                self.nominee_of.setdefault(i, person)

    def _clusters(self, n: int, by_city: list[list[int]]) -> None:
        rng, pools = self.rng, self.pools
        for size in zipf_sizes(n, CLUSTERS_PER, CLUSTER_TOP, 2):
            c = pools.city()
            city = CITIES[c]
            text = pools.address(city, rng.choice(city.districts))
            self.clusters.append(text + rng.choice(CLUSTER_SUFFIXES))
            members = by_city[c]
            for i in rng.sample(members, min(size, len(members))):
                self.cluster_of.setdefault(i, len(self.clusters) - 1)

    def _agencies(self, n: int, by_city: list[list[int]]) -> None:
        rng, pools = self.rng, self.pools
        for size in zipf_sizes(n, AGENCIES_PER, AGENCY_TOP, 2):
            c = pools.city()
            self.agencies.append((pools.landline(CITIES[c]), CITIES[c].area))
            members = by_city[c]
            for i in rng.sample(members, min(size, len(members))):
                self.agency_of.setdefault(i, len(self.agencies) - 1)


def _sample_after(rng: random.Random, ordered: Sequence[int], value: int, k: int) -> list[int]:
    """Up to ``k`` random items of the sorted ``ordered`` greater than ``value``."""
    after = bisect_right(ordered, value)
    picks = rng.sample(range(after, len(ordered)), min(k, len(ordered) - after))
    return [ordered[j] for j in picks]
