"""CLI: ``serve`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    StoreOpt,
    check_embedded_store,
    err,
    store_from,
    store_location,
)
from credgraph.policy import today
from credgraph.settings import Settings
from credgraph.store import NEO4J_SCHEMES

app = typer.Typer()


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Serve the HTTP API and the web explorer."""
    from api.app import create_app
    from api.server import run

    location = store_location(store)
    if not location.startswith(NEO4J_SCHEMES):
        check_embedded_store(Path(location), create=False)
    err.print(f"credgraph serving {location} on http://{host}:{port}/ (API docs at /docs)")
    run(create_app(location), host=host, port=port)


@app.command()
def demo(
    store: StoreOpt = None,
    enterprises: Annotated[int, typer.Option("--enterprises", min=10)] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    data: Annotated[Path, typer.Option("--data", help="Sample data folder.")] = Path("demo/data"),
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare only.")] = False,
) -> None:
    """Sample + load + propagate + serve, with a printed demo key."""
    from queries.workflows import prepare_demo

    location = store or Settings().store
    Path(location).parent.mkdir(parents=True, exist_ok=True)

    def generating() -> None:
        err.print(f"generating {enterprises:,} sample enterprises into {data} …")

    with store_from(location, create=True) as db:
        done = prepare_demo(
            db, data, enterprises=enterprises, seed=seed, as_of=today(), on_generate=generating
        )
    err.print(f"loaded {done.report.loaded}; {done.flags:,} flags on {today()}")
    key = _demo_key()
    if key:
        err.print(f"[bold]demo API key (role admin):[/bold] {key}")
    if not no_serve:
        serve(store=location, host=host, port=port)


def _demo_key() -> str:
    from api.keys import add_key

    return add_key(Settings().keys_file, "demo", "admin", replace=True)
