#!/usr/bin/env bash
# PGlite (PostgreSQL 18 compiled to WebAssembly, in Node.js) with pgvector 0.8.7, served on loopback for the
# pgvector gallery tests: Debian has no pgvector package.
#
#   tests/postgres/pglite.sh start   installs the pinned npm packages (npm ci, into tests/postgres/node_modules),
#                                    starts three in-memory servers on free loopback ports, waits until they accept
#                                    connections and writes artifacts/pglite/env
#   tests/postgres/pglite.sh stop    stops them (and is harmless when none runs)
#
# artifacts/pglite/env sets, for `source`:
#   SWINFACE_PG            a database with pgvector, for the tests and the CLI's --db
#   SWINFACE_PG_NO_VECTOR  a database without it, for the test of the error that says to install it
#   SWINFACE_PG_SERVICE    a database with pgvector for the service's replica tests, which run beside the others:
#                          PGlite interleaves its connections' messages, so test assemblies that run at once
#                          need servers of their own
#
# PGlite is one PostgreSQL backend in one process. Its socket server (pglite-server) accepts at most
# --max-connections connections (default 1: a second one gets "Too many connections" and is closed, which Npgsql
# reports as "Exception while reading from stream"), and runs their messages one at a time on that backend,
# giving a connection inside a transaction block the backend until the block ends. So transactions never
# overlap there and row locks never wait. The servers here accept 64 connections, and SWINFACE_PG caps each
# Npgsql pool at one (Maximum Pool Size=1): every test's store and every CLI run gets one connection.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="$root/artifacts/pglite"
max_connections=64

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# start_server NAME [EXTENSIONS]: starts one server, waits until it listens, prints its port.
start_server() {
  local name="$1" extensions="${2:-}" port pid
  for _ in 1 2 3; do
    port=$(free_port)
    local args=(--port "$port" --host 127.0.0.1 --max-connections "$max_connections")
    [ -n "$extensions" ] && args+=(--extensions "$extensions")
    node "$here/node_modules/@electric-sql/pglite-socket/dist/scripts/server.js" "${args[@]}" \
      >"$state/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$state/$name.pid"
    # The server loads PGlite (seconds on a busy machine), then listens.
    for _ in $(seq 1 240); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if grep -q "listening" "$state/$name.log" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$port"
        return 0
      fi
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pglite.sh: $name did not listen on port $port within 120 s; its log:" >&2
      cat "$state/$name.log" >&2
      return 1
    fi
    # It died: most likely the port was taken between choosing and binding it. Try another.
    echo "pglite.sh: $name exited on port $port; retrying. Its log:" >&2
    cat "$state/$name.log" >&2
  done
  return 1
}

stop() {
  local name pid
  for name in pgvector plain service; do
    [ -f "$state/$name.pid" ] || continue
    pid=$(cat "$state/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$state/$name.pid"
  done
  rm -f "$state/env"
}

start() {
  command -v node >/dev/null || { echo "pglite.sh: node is not on PATH (Node.js 20 or later is needed)" >&2; exit 1; }
  # npm ci again only when the lock file changed since the last install.
  if ! cmp -s "$here/package-lock.json" "$here/node_modules/.swinface-installed-lock" 2>/dev/null; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$here/node_modules/.swinface-installed-lock"
  fi
  mkdir -p "$state"
  stop
  local vector_port plain_port service_port
  vector_port=$(start_server pgvector @electric-sql/pglite-pgvector:vector)
  plain_port=$(start_server plain)
  service_port=$(start_server service @electric-sql/pglite-pgvector:vector)
  local common="Host=127.0.0.1;Username=postgres;Password=postgres;Database=postgres;Maximum Pool Size=1;Timeout=60;Command Timeout=120"
  cat >"$state/env" <<EOF
export SWINFACE_PG='$common;Port=$vector_port'
export SWINFACE_PG_NO_VECTOR='$common;Port=$plain_port'
export SWINFACE_PG_SERVICE='$common;Port=$service_port'
EOF
  echo "pglite.sh: pgvector on 127.0.0.1:$vector_port and $service_port (the service's tests), without pgvector on 127.0.0.1:$plain_port; source $state/env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
