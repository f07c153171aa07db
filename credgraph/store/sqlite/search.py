"""``search`` of the embedded store: the plain search over ids and names,
and one indexed field through the FTS index (``fts.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from credgraph.model import Node
from credgraph.store.base import SearchField
from credgraph.store.shared import in_order, merge_lookups
from credgraph.store.sqlite.fts import search_ids
from credgraph.store.sqlite.graph import GraphReads

# the plain search (``field`` None): ids by prefix, then names containing
# the query, each read along the primary key (so in id order, unsorted)
PLAIN_SEARCH = {
    "enterprise_ids": "SELECT uscc FROM enterprises WHERE uscc >= ? AND uscc < ? "
    "ORDER BY uscc LIMIT ?",
    "person_ids": "SELECT person_id FROM persons WHERE person_id >= ? AND person_id < ? "
    "ORDER BY person_id LIMIT ?",
    "enterprise_names": "SELECT uscc FROM enterprises WHERE name LIKE ? ESCAPE '\\' "
    "ORDER BY uscc LIMIT ?",
    "person_names": "SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\' "
    "ORDER BY person_id LIMIT ?",
}


def like_pattern(query: str) -> str:
    r"""A LIKE pattern for names containing ``query`` (``\`` escapes).

    >>> like_pattern("100%_a")
    '%100\\%\\_a%'
    """
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Search(GraphReads):
    """``search`` of :class:`~credgraph.store.base.Graph`."""

    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        field: SearchField | None = None,
        start: bool = False,
    ) -> list[Node]:
        if field is not None:
            hits = search_ids(self._conn(), query, field, start, limit, offset)
            return in_order(self.nodes(hits), hits)
        q = query.strip()
        if not q or limit <= 0:
            return []
        upper, like = q.upper(), like_pattern(q)
        conn = self._conn()

        def lookup(sql: str, *args: str) -> Callable[[int], Iterable[str]]:
            return lambda window: (r[0] for r in conn.execute(sql, (*args, window)))

        window = limit + offset
        ids = merge_lookups(
            [
                lookup(PLAIN_SEARCH["enterprise_ids"], upper, upper + "\uffff"),
                lookup(PLAIN_SEARCH["person_ids"], upper, upper + "\uffff"),
                lookup(PLAIN_SEARCH["enterprise_names"], like),
                lookup(PLAIN_SEARCH["person_names"], like),
            ],
            window,
        )[offset:window]
        return in_order(self.nodes(ids), ids)
