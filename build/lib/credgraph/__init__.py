"""credgraph core: domain model, identifiers, policy, settings and stores."""

__version__ = "0.1.0"
