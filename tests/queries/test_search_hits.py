"""Search hits tell look-alikes apart (issue 19): flags, region, status, legal
representative, an id suffix and firms for persons; a listed firm with an
exact name match first; the flagged browser filters."""

from __future__ import annotations

from datetime import date

from builders import GraphBuilder

from credgraph.store import GraphStore
from queries.flagged import flagged
from queries.search import search

DAY = date(2025, 6, 1)


def twins(store: GraphStore) -> GraphBuilder:
    """Two firms named 华盛电子有限公司 (one listed, in 东莞), two persons named 张伟."""
    g = GraphBuilder()
    g.firm("华盛电子", region="广东省深圳市", status="active")
    g.firm("华盛电子2", region="广东省东莞市", status="active")
    twin = g.batch.enterprises[-1]
    g.batch.enterprises[-1] = twin.model_copy(update={"name": "华盛电子有限公司"})
    g.firm("星辰科技", region="广东省东莞市")
    g.person("张伟")
    g.person("张伟2")
    g.batch.persons[-1] = g.batch.persons[-1].model_copy(update={"name": "张伟"})
    g.rel("张伟", "华盛电子", "legal_representative", start="2020-01-01")
    g.rel("张伟2", "华盛电子2", "legal_representative", start="2020-01-01")
    g.rel("张伟2", "星辰科技", "executive", title="director", start="2020-01-01")
    g.entry("E1", "华盛电子2", "dishonest_debtor", "2024-01-10")
    g.entry("E2", "星辰科技", "abnormal_operation", "2025-03-01")
    store.upsert(g.batch)
    return g


def test_a_listed_firm_with_the_exact_name_comes_first_with_its_badge(store: GraphStore) -> None:
    g = twins(store)
    hits = search(store, "华盛电子有限公司", as_of=DAY).results
    assert [h.id for h in hits[:2]] == [g["华盛电子2"], g["华盛电子"]]
    first, second = hits[0], hits[1]
    assert [(f.flag, f.list, f.entry_id) for f in first.flags] == [
        ("listed", "dishonest_debtor", "E1")
    ]
    assert second.flags == []
    assert (first.region, second.region) == ("广东省东莞市", "广东省深圳市")
    assert first.legal_representative == "张伟" and first.status == "active"


def test_persons_of_the_same_name_differ_by_id_suffix_and_firms(store: GraphStore) -> None:
    g = twins(store)
    hits = [h for h in search(store, "张伟", as_of=DAY).results if h.type == "person"]
    assert len(hits) == 2
    by_id = {h.id: h for h in hits}
    assert by_id[g["张伟"]].id_suffix == "…" + g["张伟"][-4:]
    assert by_id[g["张伟2"]].firms == ["华盛电子有限公司", "星辰科技有限公司"]
    assert {f.flag for f in by_id[g["张伟2"]].flags} == {"responsible_person"}


def test_the_flagged_browser_filters_by_list_rule_region_and_day(store: GraphStore) -> None:
    g = twins(store)
    everyone = flagged(store, DAY)
    assert {s.id for s in everyone.results} == {g["华盛电子2"], g["星辰科技"], g["张伟2"]}
    assert everyone.results[0].id == g["星辰科技"]  # newest decision first
    debtors = flagged(store, DAY, lists=["dishonest_debtor"], rules=["P1"])
    assert [s.id for s in debtors.results] == [g["张伟2"]]
    dongguan = flagged(store, DAY, region="东莞", decided_to=date(2024, 12, 31))
    # 星辰科技 stays through E1 (its director 张伟2 is responsible for it), not E2
    assert {s.id for s in dongguan.results} == {g["华盛电子2"], g["星辰科技"]}
    xingchen = next(s for s in dongguan.results if s.id == g["星辰科技"])
    assert [(f.flag, f.entry_id) for f in xingchen.flags] == [("related_enterprise", "E1")]
    page = flagged(store, DAY, limit=1)
    assert page.total == 3 and len(page.results) == 1 and page.next_offset == 1
