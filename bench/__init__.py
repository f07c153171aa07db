"""``credgraph bench``: the benchmark run (``run``), the networkx baseline it
is measured against (``baseline``) and the HTTP load test (``loadtest``)."""
