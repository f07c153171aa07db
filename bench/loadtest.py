"""Bounded HTTP load test of ``credgraph serve`` (httpx + asyncio).

Starts ``credgraph serve`` on 127.0.0.1 over an existing store with a
throw-away procurement key (or uses ``--url``/``--key``), runs each scenario
for a fixed time with a fixed number of concurrent clients, stops the server
and prints a markdown table: requests, errors, requests/s, p50 and p99.

    credgraph sample --enterprises 100000 --out /tmp/s100k
    credgraph load /tmp/s100k --store /tmp/s100k.db
    python -m bench.loadtest --store /tmp/s100k.db --duration 15 --concurrency 8

Scenarios: ``entity`` (GET /entities/{uscc}), ``flags`` (GET
/entities/{uscc}/flags), ``search`` (GET /search?q=<name part>) and
``screening`` (POST /screenings with 5 bidders, one of them listed).
Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.keys import add_key
from credgraph.model import ListKind, NodeKind
from credgraph.store import open_store

Request = Callable[[random.Random], tuple[str, str, Any]]


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def row(self, name: str) -> str:
        n = len(self.latencies) + self.errors
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        rate = n / self.elapsed if self.elapsed else 0.0
        return (
            f"| {name} | {n:,} | {self.errors} | {rate:,.0f} | "
            f"{statistics.median(ms):.1f} | {p99:.1f} |"
        )


def sample_ids(store_location: str, seed: int) -> tuple[list[str], list[str], list[str]]:
    """Enterprise ids, listed enterprise ids and name fragments to ask for."""
    rng = random.Random(seed)
    store = open_store(store_location)
    try:
        firms = list(store.iter_nodes(NodeKind.ENTERPRISE))
        listed = sorted(
            {
                e.subject_id
                for e in store.entries(
                    lists=[ListKind.SERIOUS_DISHONESTY, ListKind.SERIOUS_ILLEGAL]
                )
                if e.subject_type is NodeKind.ENTERPRISE
            }
        )
    finally:
        store.close()
    if not firms:
        raise SystemExit(f"{store_location}: no enterprises (load a sample first)")
    chosen = rng.sample(firms, min(2000, len(firms)))
    # the brand part of a name: after the city, before the legal form
    words = [n.name[3:5] for n in chosen if len(n.name) > 6]
    return [n.id for n in chosen], listed or [chosen[0].id], words


def scenarios(firms: list[str], listed: list[str], words: list[str]) -> dict[str, Request]:
    def entity(rng: random.Random) -> tuple[str, str, Any]:
        return "GET", f"/entities/{rng.choice(firms)}", None

    def flags(rng: random.Random) -> tuple[str, str, Any]:
        return "GET", f"/entities/{rng.choice(firms)}/flags", None

    def search(rng: random.Random) -> tuple[str, str, Any]:
        return "GET", f"/search?q={rng.choice(words)}&limit=20", None

    def screening(rng: random.Random) -> tuple[str, str, Any]:
        bidders = [*rng.sample(firms, 4), rng.choice(listed)]
        return "POST", "/screenings", {"bidders": list(dict.fromkeys(bidders))}

    return {"entity": entity, "flags": flags, "search": search, "screening": screening}


async def run(
    url: str, key: str, make: Request, duration: float, concurrency: int, seed: int
) -> Outcome:
    outcome = Outcome()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=30.0
    ) as client:
        deadline = time.perf_counter() + duration

        async def worker(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.perf_counter() < deadline:
                method, path, body = make(rng)
                start = time.perf_counter()
                try:
                    r = await client.request(method, path, json=body)
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                if ok:
                    outcome.latencies.append(time.perf_counter() - start)
                else:
                    outcome.errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        outcome.elapsed = time.perf_counter() - began
    return outcome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: str, keys_file: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CREDGRAPH_KEYS_FILE": str(keys_file)}
    cmd = [sys.executable, "-m", "cli.main", "serve", "--store", store, "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"credgraph serve exited: {server.stderr.read().decode() if server.stderr else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("credgraph serve did not answer /health within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a loaded store (ids are sampled from it)")
    parser.add_argument("--url", help="an already running API (default: start one)")
    parser.add_argument("--key", help="API key for --url (procurement or above)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", help="scenarios to run (default all)")
    args = parser.parse_args()

    firms, listed, words = sample_ids(args.store, args.seed)
    chosen = scenarios(firms, listed, words)
    names = args.only or list(chosen)
    server = None
    with tempfile.TemporaryDirectory(prefix="credgraph-load-") as tmp:
        if args.url:
            if not args.key:
                parser.error("--url needs --key")
            url, key = args.url, args.key
        else:
            keys_file = Path(tmp) / "keys.toml"
            key = add_key(keys_file, "loadtest", "procurement")
            port = free_port()
            server = start_server(args.store, keys_file, port)
            url = f"http://127.0.0.1:{port}"
        try:
            results = {
                name: asyncio.run(
                    run(url, key, chosen[name], args.duration, args.concurrency, args.seed)
                )
                for name in names
            }
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    print(
        f"\n{args.concurrency} concurrent clients, {args.duration:g} s per scenario, "
        f"store {args.store}\n"
    )
    print("| scenario | requests | errors | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, outcome in results.items():
        print(outcome.row(name))
    return 1 if any(o.errors for o in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
