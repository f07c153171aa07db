"""The ``credgraph`` console script: the command list and lazy loading.

Every command is listed here with its module and a one-line help, so that
``credgraph --help`` prints the list without importing a single command
module (and with it pandas, networkx or the store). A command module is
imported only when its command runs or its own ``--help`` is asked for.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from typer.core import TyperGroup


class Command(NamedTuple):
    module: str  # under cli/
    help: str


# The command list (DESIGN §5), in the order ``--help`` shows it.
COMMANDS: dict[str, Command] = {
    "sample": Command("data", "Write a realistic synthetic data folder (zh_CN names, valid ids)."),
    "load": Command(
        "data", "Validate and load a data folder (exit 0 loaded, 1 strict, 2 unusable)."
    ),
    "propagate": Command("flags", "Materialise flags for as_of."),
    "flags": Command("flags", "List flags (of one subject) with rule, citation and path."),
    "objection": Command("flags", "File and resolve objections to list entries (003:L32)."),
    "screen": Command("screening", "Screen the bidders of a tender: reject / review / pass."),
    "measures": Command(
        "screening", "Joint reward/punishment verdict of one subject in a scenario."
    ),
    "paths": Command("investigate", "Shortest relationship paths between two entities."),
    "ownership": Command("investigate", "Owners, UBOs, actual controller and holdings of a firm."),
    "network": Command("investigate", "Ego network of an entity, optionally as an HTML map."),
    "report": Command("investigate", "Credit report of an entity (table, JSON or HTML)."),
    "level": Command("supervision", "Credit level (A–D) with its reasons."),
    "inspection-plan": Command("supervision", "Random inspection plan with conflict checks."),
    "commitment": Command("supervision", "Credit commitments and their fulfilment (002:L15)."),
    "exchange": Command("supervision", "List exchange: upstream comparison and deadlines."),
    "export": Command("export", "Interchange exports: neo4j-admin CSV, GraphML, FtM."),
    "keys": Command("keys", "API keys: stored as SHA-256 hashes with a role."),
    "serve": Command("serve", "Serve the HTTP API and the web explorer."),
    "demo": Command("serve", "Sample + load + propagate + serve, with a printed demo key."),
    "bench": Command("bench", "Benchmark load, propagation, queries, maps and API."),
    "watch": Command("monitor", "Watchlists: add, import, list and remove watched subjects."),
    "changes": Command("monitor", "The change feed: what changed, when and why."),
    "webhook": Command("monitor", "Webhooks: signed POSTs of a watchlist's changes."),
    "deliver": Command("monitor", "Send due webhook deliveries once (for cron)."),
    "history": Command("monitor", "Dated timeline of an entity: listings, roles, flags."),
}


def load_command(name: str) -> Any:
    """Import the module of ``name`` and return its click command (typer
    builds it from the module's own ``app``; a module of several commands
    gives a group, of which we take the one asked for)."""
    spec = COMMANDS[name]
    module = importlib.import_module(f"cli.{spec.module}")
    command = typer.main.get_command(module.app)
    if isinstance(command, TyperGroup):
        found = command.commands.get(name)
        if found is None:  # the table and a module disagree: a bug, not user input
            raise RuntimeError(f"cli.{spec.module} has no command {name!r}")
        return found
    return command


class LazyGroup(TyperGroup):
    """A root group whose commands come from :data:`COMMANDS`, imported on use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        return load_command(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, spec.help) for name, spec in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="credgraph",
    cls=LazyGroup,
    help="Graph-based credit relationship explorer: who stands behind a dishonest firm.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _global_options(
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            envvar="CREDGRAPH_POLICY",
            help="Propagation and measures policy YAML (default: the shipped policy).",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="CREDGRAPH_LANG",
            help="Language of tables, reports and explanations: zh (default) or en.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Options for every command; the policy and language are checked before any work."""
    from credgraph.i18n import parse_lang, set_lang

    chosen = parse_lang(lang)
    set_lang(chosen)  # None: CREDGRAPH_LANG's default (zh), whatever ran before
    if lang is not None and chosen is None:
        from cli.common import fail
        from credgraph.i18n import N_

        raise fail(N_("--lang {value!r}: choose zh or en", value=lang))
    if policy is not None:
        from cli.common import fail
        from credgraph.policy import PolicyError, use_policy_file

        try:
            use_policy_file(policy)
        except PolicyError as exc:
            raise fail(exc) from None


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
