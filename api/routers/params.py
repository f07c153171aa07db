"""Parameters shared by the routers: the evaluation day and entity ids."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from api.refs import MAX_REF_LENGTH
from credgraph.i18n import N_
from credgraph.ids import MAX_ID_LENGTH
from credgraph.policy import today
from queries.errors import InvalidRequest

#: evaluation days outside this range are refused (date arithmetic such as
#: "three years before" must stay within the calendar)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)

AsOf = Annotated[
    date | None,
    Query(description="Evaluation day (ISO date); default today in Asia/Shanghai."),
]
EntityId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_REF_LENGTH,
        description=(
            "USCC, resident identity number or passport/other number (at most "
            f"{MAX_ID_LENGTH} characters), or a person's ref from an earlier response."
        ),
    ),
]


def evaluation_day(as_of: date | None) -> date:
    """``as_of`` or today (Asia/Shanghai); 422 outside 1900–2199."""
    if as_of is None:
        return today()
    if not FIRST_DAY <= as_of <= LAST_DAY:
        raise InvalidRequest(
            N_(
                "as_of must be between {first} and {last}, got {day}",
                first=FIRST_DAY,
                last=LAST_DAY,
                day=as_of,
            )
        )
    return as_of
