"""Relationship maps, web explorer assets and report templates.

Public surface (import from the modules; nothing heavy is loaded here):

- ``viz.maps.render_map(network, path=None)`` — offline HTML map of a network
- ``viz.report.render_report_html(report)`` — printable credit report
- :data:`STATIC_DIR` — the web explorer's assets, served by ``api.explorer``
"""

from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
