"""Valid identifier builders for the store contract suite.

The ``store`` fixture (one per backend: embedded and the run's live Neo4j)
is the shared one of ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest
from stdnum.cn import ric
from stdnum.cn import uscc as std_uscc


class Ids:
    """Valid identifiers numbered ``n`` (check digits from python-stdnum)."""

    @staticmethod
    def uscc(n: int) -> str:
        """>>> Ids.uscc(1)
        '91110000000000001H'
        """
        base = f"91110000{n:09d}"
        code = base + std_uscc.calc_check_digit(base)
        assert std_uscc.is_valid(code), code
        return code

    @staticmethod
    def resident_id(n: int) -> str:
        """A resident id of Beijing Dongcheng, born 1980-01-01."""
        base = f"11010119800101{n:03d}"
        code = base + ric.calc_check_digit(base + "0")  # stdnum skips the last character
        assert ric.is_valid(code), code
        return code


@pytest.fixture
def ids() -> type[Ids]:
    return Ids
