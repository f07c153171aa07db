#!/usr/bin/env bash
# A local Neo4j 5 Community server from the project's own files (DESIGN §11).
#
#   neo4j/ctl.sh up      build the launcher (Maven, pinned in neo4j/pom.xml), start
#                        Neo4j on 127.0.0.1 with an empty database and a free Bolt
#                        port, wait until it answers, write $NEO4J_STATE/uri
#   neo4j/ctl.sh down    stop it
#   neo4j/ctl.sh env     print the CREDGRAPH_NEO4J_* settings of the running server
#                        (for eval: URI, user and password)
#   neo4j/ctl.sh import DIR
#                        run neo4j-admin database import full (from the same Maven
#                        artifacts) on the files of `credgraph export neo4j-import DIR`
#                        into a fresh $NEO4J_STATE/import-home, then start Neo4j on it
#   neo4j/ctl.sh build   only build (target/classpath.txt)
#
# Settings (environment): NEO4J_STATE (default .neo4j), NEO4J_TIMEOUT seconds
# for the port to open (default 180), NEO4J_HEAP (default 1g), NEO4J_PAGECACHE_MB
# (default 256), NEO4J_COPY_FROM (start on a folder written by neo4j-admin
# import), NEO4J_WATCH_PID (stop when that process ends), NEO4J_MVN_FLAGS (extra
# Maven flags, e.g. -o), NEO4J_AUTH (on by default: user neo4j with a random
# password, written to $NEO4J_STATE/auth as user:password; off: no auth).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${NEO4J_STATE:-.neo4j}"
TIMEOUT="${NEO4J_TIMEOUT:-180}"
HEAP="${NEO4J_HEAP:-1g}"
PAGECACHE_MB="${NEO4J_PAGECACHE_MB:-256}"
CLASSPATH_FILE="$HERE/target/classpath.txt"
MAIN=credgraph.neo4j.Launcher

fail() {
    echo "neo4j: $*" >&2
    exit 1
}

build() {
    command -v java >/dev/null || fail "java not found: Neo4j needs a JDK 17 (apt-get install openjdk-17-jdk-headless)"
    command -v mvn >/dev/null || fail "mvn not found: the Neo4j server is installed through Maven (apt-get install maven)"
    if [ -f "$CLASSPATH_FILE" ] && [ "$CLASSPATH_FILE" -nt "$HERE/pom.xml" ] \
        && [ -z "$(find "$HERE/src" -newer "$CLASSPATH_FILE" -print -quit)" ]; then
        return 0
    fi
    mkdir -p "$STATE"
    local log="$STATE/maven.log"
    # shellcheck disable=SC2086  # NEO4J_MVN_FLAGS is a list of flags
    if ! mvn -q -B ${NEO4J_MVN_FLAGS:-} -f "$HERE/pom.xml" compile >"$log" 2>&1; then
        local artifact
        artifact="$(grep -oE '[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:(jar|pom)(:[A-Za-z0-9_.-]+)?:[A-Za-z0-9_.-]+' "$log" | head -n 1 || true)"
        rm -f "$CLASSPATH_FILE"
        if [ -n "$artifact" ]; then
            fail "Maven could not fetch $artifact (full output: $log)"
        fi
        fail "Maven build of neo4j/pom.xml failed: $(grep -m 1 'ERROR' "$log" || tail -n 1 "$log") (full output: $log)"
    fi
}

running_pid() {
    local pid
    [ -f "$STATE/pid" ] || return 1
    pid="$(cat "$STATE/pid")"
    # the pid is ours only while it is still our launcher (pids are reused)
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$MAIN"; then
        echo "$pid"
        return 0
    fi
    return 1
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

up() {
    build
    down >/dev/null  # every start begins with an empty database
    mkdir -p "$STATE"
    rm -f "$STATE/uri" "$STATE/auth"
    local args=(--work "$STATE/server" --uri-file "$STATE/uri" --pagecache-mb "$PAGECACHE_MB")
    [ -n "${NEO4J_COPY_FROM:-}" ] && args+=(--copy-from "$NEO4J_COPY_FROM")
    [ -n "${NEO4J_WATCH_PID:-}" ] && args+=(--watch-pid "$NEO4J_WATCH_PID")
    if [ "${NEO4J_AUTH:-on}" != off ]; then
        local password
        password="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
        (umask 077 && printf '%s\n' "$password" >"$STATE/password" && printf 'neo4j:%s\n' "$password" >"$STATE/auth")
        args+=(--password-file "$STATE/password")
    fi
    nohup java "-Xmx$HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -cp "$HERE/target/classes:$(cat "$CLASSPATH_FILE")" "$MAIN" "${args[@]}" \
        >"$STATE/neo4j.log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$STATE/pid"
    local waited=0 uri port
    while [ "$waited" -lt "$TIMEOUT" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$STATE/pid"
            echo "neo4j: Neo4j exited while starting; last lines of $STATE/neo4j.log:" >&2
            tail -n 20 "$STATE/neo4j.log" >&2
            exit 1
        fi
        if [ -s "$STATE/uri" ]; then
            uri="$(cat "$STATE/uri")"
            port="${uri##*:}"
            port="${port%%/*}"
            if port_open "$port"; then
                echo "Neo4j running at $uri (pid $pid, log $STATE/neo4j.log); stop it with make neo4j-down"
                return 0
            fi
        fi
        sleep 1
        waited=$((waited + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/pid" "$STATE/uri" "$STATE/auth" "$STATE/password"
    fail "Neo4j did not open its Bolt port on 127.0.0.1 within ${TIMEOUT}s (log: $STATE/neo4j.log)"
}

down() {
    local pid waited=0
    if ! pid="$(running_pid)"; then
        rm -f "$STATE/pid" "$STATE/uri" "$STATE/auth" "$STATE/password"
        echo "Neo4j is not running"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/pid" "$STATE/uri" "$STATE/auth" "$STATE/password"
    echo "Neo4j stopped"
}

print_env() {
    running_pid >/dev/null && [ -s "$STATE/uri" ] || fail "Neo4j is not running (make neo4j-up)"
    printf "export CREDGRAPH_NEO4J_URI='%s'\n" "$(cat "$STATE/uri")"
    if [ -s "$STATE/auth" ]; then
        local auth
        auth="$(cat "$STATE/auth")"
        printf "export CREDGRAPH_NEO4J_USER='%s' CREDGRAPH_NEO4J_PASSWORD='%s'\n" "${auth%%:*}" "${auth#*:}"
    fi
}

import_and_up() {
    local dir="${1:-}"
    [ -n "$dir" ] && [ -x "$dir/import.sh" ] || fail "usage: neo4j/ctl.sh import DIR (a folder written by credgraph export neo4j-import)"
    build
    down >/dev/null
    mkdir -p "$STATE"
    local home
    home="$(cd "$STATE" && pwd)/import-home"
    rm -rf "$home"
    mkdir -p "$home/conf"
    echo "neo4j-admin database import full into $home (log $STATE/import.log)"
    if ! (cd "$dir" && NEO4J_HOME="$home" NEO4J_ADMIN="$HERE/neo4j-admin" ./import.sh neo4j) \
        >"$STATE/import.log" 2>&1; then
        echo "neo4j: neo4j-admin import failed; last lines of $STATE/import.log:" >&2
        grep -v '^[[:space:]]*at ' "$STATE/import.log" | tail -n 15 >&2
        exit 1
    fi
    grep -E 'IMPORT DONE|nodes$|relationships$|properties$' "$STATE/import.log" || true
    NEO4J_COPY_FROM="$home" up
}

case "${1:-}" in
    up) up ;;
    import) import_and_up "${2:-}" ;;
    env) print_env ;;
    down) down ;;
    build) build ;;
    *) fail "usage: neo4j/ctl.sh up|down|env|import DIR|build" ;;
esac
