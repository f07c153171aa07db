"""Relationship maps, web explorer assets and report templates.

Public surface (import from the modules; nothing is loaded eagerly here):

- ``viz.maps.render_map(network, path=None)`` — offline HTML map of a network
- ``viz.report.render_report_html(report)`` — printable credit report
- ``viz.explorer.mount_explorer(app)`` — the web explorer at ``/`` for the API
"""
