"""The ``credgraph`` command line (typer): ``cli.main`` lists the commands,
one module per command group, each imported only when used."""
