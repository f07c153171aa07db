"""HTTP API (FastAPI) and the typer CLI."""
