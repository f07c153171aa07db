"""docker-compose.yml: Neo4j 5 with a healthcheck, and the app waiting on it.

There is no Docker engine here: the file is checked as data, and with
``docker-compose config`` (Debian's docker-compose) when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def env_example() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def test_neo4j_service(compose: dict[str, Any]) -> None:
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5-community"
    env = neo4j["environment"]
    assert env["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD")
    for setting in (
        "NEO4J_server_memory_heap_initial__size",
        "NEO4J_server_memory_heap_max__size",
        "NEO4J_server_memory_pagecache_size",
    ):
        assert setting in env
    health = neo4j["healthcheck"]
    assert health["test"][0] == "CMD-SHELL" and "cypher-shell" in health["test"][1]
    assert "RETURN 1" in health["test"][1]
    assert health["retries"] >= 10
    data = [v for v in neo4j["volumes"] if v.endswith(":/data")]
    assert data and data[0].split(":")[0] in compose["volumes"]
    assert {"127.0.0.1:7474:7474", "127.0.0.1:7687:7687"} <= set(neo4j["ports"])


def test_app_waits_for_a_healthy_neo4j(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["build"] == "."
    assert app["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    env = app["environment"]
    assert env["CREDGRAPH_STORE"] == "neo4j://neo4j:7687"
    assert env["CREDGRAPH_NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD")
    assert "CREDGRAPH_NEO4J_USER" in env
    assert app["command"] == ["credgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "8000:8000" in app["ports"]


def test_env_example_sets_every_required_variable() -> None:
    example = env_example()
    assert len(example["NEO4J_PASSWORD"]) >= 8  # Neo4j's minimum
    assert {"NEO4J_HEAP", "NEO4J_PAGECACHE", "CREDGRAPH_NEO4J_USER"} <= set(example)
    assert ".env" in (ROOT / ".gitignore").read_text("utf-8").splitlines()


def test_dockerfile_installs_the_package_and_serves() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install ." in dockerfile
    assert 'CMD ["credgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_accepts_the_file() -> None:
    done = subprocess.run(
        ["docker-compose", "--env-file", ".env.example", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
