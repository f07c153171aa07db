"""CLI: ``keys add|list|remove`` — API keys in the keys file (DESIGN §7)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.keys import ApiRole, add_key, read_keys, remove_key
from cli.common import emit_table, err, fail
from credgraph.i18n import N_
from credgraph.settings import Settings

app = typer.Typer()

keys_app = typer.Typer(help="API keys: stored as SHA-256 hashes with a role.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

KeysFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--keys-file",
        envvar="CREDGRAPH_KEYS_FILE",
        help="Keys file (default ./credgraph-keys.toml).",
        show_default=False,
    ),
]


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="Who the key is for (shown in the audit log).")],
    role: Annotated[
        ApiRole, typer.Option("--role", help="public, procurement, investigator, admin.")
    ],
    keys_file: KeysFileOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing key of that name.")
    ] = False,
) -> None:
    """Create a key and print it alone on stdout — it is shown only this once."""
    path = keys_file or Settings().keys_file
    try:
        key = add_key(path, name, role.value, replace=replace)
    except ValueError as exc:
        raise fail(exc) from None
    err.print(f"key {name!r} ({role.value}) stored in {path}; keep it safe, it is not shown again")
    typer.echo(key)


@keys_app.command("list")
def keys_list(keys_file: KeysFileOpt = None) -> None:
    """Names and roles of the stored keys (never the keys)."""
    path = keys_file or Settings().keys_file
    emit_table(
        f"keys in {path}", ["name", "role"], [(k.name, k.role.value) for k in read_keys(path)]
    )


@keys_app.command("remove")
def keys_remove(name: Annotated[str, typer.Argument()], keys_file: KeysFileOpt = None) -> None:
    """Revoke a key (the running API notices at the next request)."""
    path = keys_file or Settings().keys_file
    if not remove_key(path, name):
        raise fail(N_("no key named {name!r} in {path}", name=name, path=path))
    err.print(f"key {name!r} removed from {path}")
