"""The stores of a test run: the live Neo4j (DESIGN §11), store locations.

``make test`` starts one server (``neo4j/ctl.sh up``) and passes its URI in
``CREDGRAPH_NEO4J_URI``. A bare ``pytest`` without that variable starts its
own server the first time a Neo4j test needs it (same launcher, its state in
a temporary folder, stopped when the run ends or its process dies). The
Neo4j tests skip, saying why, only where Java is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from credgraph.store import GraphStore
from credgraph.store.neo4j import Neo4jStore

ROOT = Path(__file__).resolve().parents[1]
CTL = ROOT / "neo4j" / "ctl.sh"

URI_FROM_ENV = os.environ.get("CREDGRAPH_NEO4J_URI")
JAVA_MISSING = URI_FROM_ENV is None and shutil.which("java") is None
SKIP_REASON = (
    "java not found: the Neo4j tests start a local Neo4j 5 (neo4j/ctl.sh), which needs "
    "a JDK 17; or set CREDGRAPH_NEO4J_URI to a running Neo4j"
)


class Server:
    """The run's Neo4j: the one in ``CREDGRAPH_NEO4J_URI``, or one started here."""

    def __init__(self) -> None:
        self._uri = URI_FROM_ENV
        self._state: Path | None = None
        self.user = os.environ.get("CREDGRAPH_NEO4J_USER", "neo4j")
        self.password = os.environ.get("CREDGRAPH_NEO4J_PASSWORD", "")

    @property
    def uri(self) -> str:
        if self._uri is None:
            self._uri = self._start()
        return self._uri

    @property
    def state(self) -> Path | None:
        """The server's state folder (``uri``, ``auth``, ``pid``): the one
        started here, or the repository's ``.neo4j`` of ``make test`` when it
        holds this URI; None for a server started elsewhere."""
        uri = self.uri
        for folder in (self._state, ROOT / ".neo4j"):
            file = None if folder is None else folder / "uri"
            if file is not None and file.is_file() and file.read_text("utf-8").strip() == uri:
                return folder
        return None

    def _start(self) -> str:
        self._state = Path(tempfile.mkdtemp(prefix="credgraph-neo4j-"))
        env = {**os.environ, "NEO4J_STATE": str(self._state), "NEO4J_WATCH_PID": str(os.getpid())}
        done = subprocess.run(
            [str(CTL), "up"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"could not start Neo4j for the tests: {done.stderr.strip()}")
        auth = self._state / "auth"
        if auth.exists():
            self.user, self.password = auth.read_text(encoding="utf-8").strip().split(":", 1)
            # CLI runs and processes of the tests reach it as `make test`'s do
            os.environ["CREDGRAPH_NEO4J_USER"] = self.user
            os.environ["CREDGRAPH_NEO4J_PASSWORD"] = self.password
        return (self._state / "uri").read_text(encoding="utf-8").strip()

    def stop(self) -> None:
        if self._state is None:
            return
        env = {**os.environ, "NEO4J_STATE": str(self._state)}
        subprocess.run([str(CTL), "down"], env=env, cwd=ROOT, capture_output=True, check=False)
        shutil.rmtree(self._state, ignore_errors=True)
        self._state = None


def store_location(store: GraphStore) -> str:
    """What ``--store`` / ``open_store`` take to open ``store`` again."""
    location = getattr(store, "path", None) or getattr(store, "uri", None)
    assert location is not None, store
    return str(location)


def open_neo4j(server: Server) -> Neo4jStore:
    """A Neo4j store on the run's server, emptied."""
    store = Neo4jStore(
        server.uri,
        user=server.user,
        password=server.password,
        database=os.environ.get("CREDGRAPH_NEO4J_DATABASE", "neo4j"),
    )
    store.wipe()
    return store
