"""Request budgets: one token bucket per API key (DESIGN §7, issue 16.3).

A key may make ``burst`` requests at once and ``rate`` per second on
average; past that the API answers ``429`` with ``Retry-After``. Budgets are
per key (not per address: keys are what the audit log names) and per
process. ``limits``/``slowapi`` were considered: they ship fixed and moving
windows, not a token bucket, and key their limits by request rather than by
the authenticated key, so the bucket is these few lines.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from api.keys import ApiRole
from credgraph.settings import RateLimit


@dataclass
class _Bucket:
    tokens: float
    at: float


class Budgets:
    """Token buckets by key name, with the rate and burst of the key's role."""

    def __init__(
        self,
        limits: Mapping[str, RateLimit],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key_name: str, role: ApiRole) -> float | None:
        """Spend one request of ``key_name``'s budget: None when it had one,
        else the seconds until it has one again."""
        limit = self._limits.get(role.value)
        if limit is None:
            return None
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key_name)
            if bucket is None:
                bucket = self._buckets[key_name] = _Bucket(float(limit.burst), now)
            bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.at) * limit.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / limit.rate

    @staticmethod
    def retry_after(seconds: float) -> str:
        """The ``Retry-After`` value: whole seconds, at least 1."""
        return str(max(1, math.ceil(seconds)))
