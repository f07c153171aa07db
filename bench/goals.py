"""The goals ``credgraph bench`` judges a run against (issues 9 and 17)."""

from __future__ import annotations

from typing import Any

GOALS: dict[str, str] = {
    "load": "≤ 45 s, ≤ 2.5 GiB RSS",
    "propagation_full": "≤ 1 s",
    "propagation_computed": "≤ 1 s (cold)",
    "propagation_vs_baseline": "≥ 1× (query vs query, ideally)",
    "propagation_process": "≥ 10× the networkx script",
    "propagation_incremental": "≤ 50 ms",
    "startup": "`--help` ≤ 0.3 s, `flags` ≤ 0.5 s",
    "ego_network": "p95 ≤ 20 ms",
    "screening": "p95 ≤ 100 ms",
    "paths": "p95 ≤ 50 ms, max ≤ 1 s",
    "map": "≤ 1 s",
    "hub_map": "≤ 1 s (process)",
    "hub_screening": "p95 ≤ 100 ms",
    "api": "≥ 500 req/s, p99 ≤ 100 ms, no errors",
}


def _met(name: str, result: dict[str, Any]) -> bool | None:
    m: dict[str, Any] = result["metrics"].get(name, {})
    ratios = result.get("ratios", {})
    if "skipped" in m:
        return None
    match name:
        case "load":
            return bool(m["seconds"] <= 45 and m["peak_rss_mib"] <= 2560)
        case "propagation_full":
            return bool(m["seconds"] <= 1)
        case "propagation_computed":
            return None if "cold_s" not in m else bool(m["cold_s"] <= 1)
        case "propagation_vs_baseline":
            ratio = ratios.get("propagation_full")
            return None if ratio is None else bool(ratio >= 1)
        case "propagation_process":
            ratio = ratios.get("propagation_process")
            return None if ratio is None else bool(ratio >= 10)
        case "propagation_incremental":
            return bool(m["seconds"] <= 0.05)
        case "startup":
            return bool(m["help"]["best_s"] <= 0.3 and m["flags"]["best_s"] <= 0.5)
        case "ego_network":
            return bool(m["p95_ms"] <= 20)
        case "screening":
            return bool(m["p95_ms"] <= 100)
        case "paths":
            return bool(m["p95_ms"] <= 50 and m["max_ms"] <= 1000)
        case "map" | "hub_map":
            return bool(m.get("best_s", m.get("seconds", 0)) <= 1)
        case "hub_screening":
            return None if m.get("p95_ms") is None else bool(m["p95_ms"] <= 100)
        case "api":
            return bool(m["req_per_s"] >= 500 and m["p99_ms"] <= 100 and m["errors"] == 0)
    raise KeyError(name)


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with whether this run met it (None: not measured)."""
    return [{"metric": k, "goal": g, "met": _met(k, result)} for k, g in GOALS.items()]
