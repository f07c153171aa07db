"""Interchange exports of a whole store (DESIGN §5 ``export``).

- ``neo4j-admin`` import files: ``credgraph.store.neo4j.admin_import``,
  beside the backend whose graph model they are.
- :func:`export_graphml` (``graphml.py``): the enterprise/person graph as GraphML (Gephi,
  ``networkx.read_graphml``), with scalar attributes only.
- :func:`export_ftm` (``ftm.py``): FollowTheMoney entities, one JSON object a line, for
  OpenSanctions / yente / Aleph users.

Every export streams nodes and relations as the store yields them, so memory
stays flat at 1 M enterprises; entries, objections and flags are read as
lists (a small fraction of the graph). Which entries are in force and which
flags hold on a day are rules of ``queries/``: callers pass them in.
"""

from __future__ import annotations

from graph_loader.export.ftm import export_ftm, ftm_id
from graph_loader.export.graphml import export_graphml

__all__ = ["export_ftm", "export_graphml", "ftm_id"]
