# credgraph API + web explorer. With docker-compose.yml it runs on Neo4j;
# alone it keeps the embedded store in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY credgraph ./credgraph
COPY graph_loader ./graph_loader
COPY queries ./queries
COPY api ./api
COPY cli ./cli
COPY bench ./bench
COPY viz ./viz
RUN pip install . \
    && useradd --create-home --uid 1000 credgraph \
    && mkdir /data \
    && chown credgraph /data

USER credgraph
WORKDIR /data
ENV CREDGRAPH_STORE=/data/credgraph.db \
    CREDGRAPH_KEYS_FILE=/data/credgraph-keys.toml
VOLUME ["/data"]
EXPOSE 8000
CMD ["credgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
