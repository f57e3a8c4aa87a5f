#!/usr/bin/env bash
# The production Temporal topology of docker-compose.yml, without Docker: a private PostgreSQL cluster,
# the Temporal server and its SQL schema tool built from Go modules, the same dynamic config
# (deploy/dynamicconfig/production-sql.yaml), and the namespace. Everything lives in .nightshift/prod/
# (git-ignored) and listens on 127.0.0.1 only. Every step is idempotent: run `start` again and it only
# does what is missing. Guide: docs/deployment.md.
#
# Usage: scripts/prod-temporal.sh [start|stop|status]
#   start   (default) set up what is missing, start PostgreSQL and Temporal, create the namespace;
#           the last line on stdout is TEMPORAL_ADDRESS=127.0.0.1:<port>
#   stop    stop Temporal and PostgreSQL (data is kept; delete .nightshift/prod/pg to start afresh)
#   status  say what is running
# Settings (environment):
#   NIGHTSHIFT_PROD_PG_PORT        PostgreSQL port            (default 15432; outside the ephemeral range)
#   NIGHTSHIFT_PROD_TEMPORAL_PORT  Temporal frontend gRPC port (default 7333; the server's other ports
#                                  are this +1…+26, see ports() below)
#   NIGHTSHIFT_PROD_NAMESPACE      namespace to create        (default "default")
#   NIGHTSHIFT_PROD_DIR            state folder               (default .nightshift/prod)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
# Temporal server release: the same as the temporalio/server and admin-tools images in
# docker-compose.yml (test/compose checks those two agree). v1.32.1's go.mod asks for go 1.26.8.
TEMPORAL_SERVER_VERSION=1.32.1
TEMPORAL_SERVER_GO=1.26.8

prod="${NIGHTSHIFT_PROD_DIR:-$root/.nightshift/prod}"
pg_port="${NIGHTSHIFT_PROD_PG_PORT:-15432}"
t_port="${NIGHTSHIFT_PROD_TEMPORAL_PORT:-7333}"
namespace="${NIGHTSHIFT_PROD_NAMESPACE:-default}"
bin="$prod/bin"
logs="$prod/logs"
pgdir="$prod/pg"
pgdata="$pgdir/data"
pgsock="$pgdir/run"
pidfile="$prod/temporal-server.pid"
dynconfig="$root/deploy/dynamicconfig/production-sql.yaml"
cli="${NIGHTSHIFT_TEMPORAL_BIN:-$root/.nightshift/bin/temporal}"
address="127.0.0.1:$t_port"
# Temporal stores each service's membership port in a PostgreSQL smallint column
# (cluster_membership.rpc_port): every port must stay below 32768, or the server dies at start-up.
if ! [[ "$t_port" =~ ^[0-9]+$ ]] || [ "$t_port" -lt 1024 ] || [ $((t_port + 26)) -gt 32767 ]; then
  echo "prod-temporal: NIGHTSHIFT_PROD_TEMPORAL_PORT=$t_port must be from 1024 to 32741 (Temporal keeps its ports in a smallint column)." >&2
  exit 1
fi

fail() {
  echo "prod-temporal: $*" >&2
  exit 1
}
say() { echo "prod-temporal: $*" >&2; }

# --- PostgreSQL binaries and the user that runs them ------------------------------------------------
pg_bin=""
find_pg_bin() {
  local d
  # Debian keeps server binaries out of PATH, one folder per major version: take the newest.
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then
    pg_bin=$d
  elif command -v initdb >/dev/null 2>&1; then
    pg_bin=$(dirname "$(command -v initdb)")
  fi
}

# PostgreSQL refuses to run as root: as root we run it as the "postgres" user the package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_postgres_installed() {
  find_pg_bin
  [ -n "$pg_bin" ] && return 0
  [ "$(id -u)" = 0 ] || fail "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql' (or install PostgreSQL 13+ and put initdb on PATH)."
  say "installing PostgreSQL from Debian (apt-get; once)…"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >"$logs/apt.log" 2>&1 ||
    fail "apt-get install postgresql failed (log: ${logs#"$root"/}/apt.log)."
  find_pg_bin
  [ -n "$pg_bin" ] || fail "PostgreSQL was installed but initdb was not found under /usr/lib/postgresql."
}

pg_running() { as_pg "$pg_bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

psql_admin() {
  as_pg "$pg_bin/psql" -X -q -h "$pgsock" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

start_postgres() {
  ensure_postgres_installed
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || fail "the 'postgres' user does not exist (it comes with Debian's postgresql package)."
  fi
  mkdir -p "$pgdir" "$pgsock"
  touch "$logs/postgres.log"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$pgdir" "$logs/postgres.log"; fi
  chmod 700 "$pgdir" "$pgsock"
  as_pg test -w "$pgdir" ||
    fail "the postgres user cannot write to $pgdir (a parent folder is not searchable by it): move the project or set NIGHTSHIFT_PROD_DIR."

  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "creating a private PostgreSQL cluster in ${pgdata#"$root"/}…"
    # Local (socket) connections: trust, because the socket folder is private to the cluster's user
    # (mode 700). TCP on 127.0.0.1: passwords (scram-sha-256), as Temporal connects.
    as_pg "$pg_bin/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$logs/initdb.log" 2>&1 ||
      fail "initdb failed (log: ${logs#"$root"/}/initdb.log)."
  fi

  if pg_running; then
    # Already running (an earlier start): keep it, on the port it was started with.
    pg_port=$(sed -n 4p "$pgdata/postmaster.pid")
    say "PostgreSQL is already running on 127.0.0.1:$pg_port"
  else
    if port_in_use "$pg_port"; then
      fail "port $pg_port is in use by another program: set NIGHTSHIFT_PROD_PG_PORT to a free port."
    fi
    as_pg "$pg_bin/pg_ctl" -D "$pgdata" -l "$logs/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pgsock -c unix_socket_permissions=0700 -c max_connections=200" \
      start >/dev/null 9>&- ||
      fail "PostgreSQL did not start (log: ${logs#"$root"/}/postgres.log)."
    say "PostgreSQL is running on 127.0.0.1:$pg_port"
  fi

  # The temporal role and its two databases. The password is made once and kept private.
  local pwfile="$prod/postgres-password"
  if [ ! -s "$pwfile" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$pwfile")
  fi
  pg_password=$(cat "$pwfile")
  # psql variables (:'pw') quote the value, so no password can break the statement. CREATEDB: the
  # schema tool's `create` (run by docker-compose's schema job, where the role owns the cluster)
  # needs it even when the database exists.
  psql_admin -v pw="$pg_password" <<'SQL'
SELECT format('CREATE ROLE temporal LOGIN CREATEDB PASSWORD %L', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'temporal') \gexec
SELECT format('ALTER ROLE temporal LOGIN CREATEDB PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE temporal OWNER temporal'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal') \gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER temporal'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal_visibility') \gexec
SQL
}

stop_postgres() {
  find_pg_bin
  if [ -n "$pg_bin" ] && [ -f "$pgdata/PG_VERSION" ] && pg_running; then
    as_pg "$pg_bin/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null
    say "PostgreSQL stopped"
  fi
}

# --- Temporal server and SQL tool from Go modules -------------------------------------------------
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

build_temporal() {
  local marker="$bin/temporal-server.version"
  if [ -x "$bin/temporal-server" ] && [ -x "$bin/temporal-sql-tool" ] &&
    [ "$(cat "$marker" 2>/dev/null)" = "$TEMPORAL_SERVER_VERSION" ]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 ||
    fail "Go is not installed; it is needed once to build the Temporal server: install Go $TEMPORAL_SERVER_GO or newer."
  local have
  have=$(go env GOVERSION | sed 's/^go//')
  if ! version_ge "$have" "$TEMPORAL_SERVER_GO" && [ "${GOTOOLCHAIN:-local}" = local ]; then
    fail "Go $have is older than the go $TEMPORAL_SERVER_GO that Temporal server v$TEMPORAL_SERVER_VERSION needs: install a newer Go, or set GOTOOLCHAIN to a newer toolchain (e.g. GOTOOLCHAIN=go1.27.3)."
  fi
  say "building Temporal server v$TEMPORAL_SERVER_VERSION and its SQL tool from Go modules (first time only; several minutes)…"
  local tmp="$bin/.build"
  rm -rf "$tmp" && mkdir -p "$tmp"
  local t0=$SECONDS
  # Pure Go (no cgo), stripped, reproducible paths. Both commands come from the same module version.
  if ! CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="-trimpath -buildvcs=false" \
    go install -ldflags "-s -w" \
    "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >"$logs/go-build.log" 2>&1; then
    tail -5 "$logs/go-build.log" >&2
    fail "building the Temporal server failed (log: ${logs#"$root"/}/go-build.log)."
  fi
  mv "$tmp/server" "$bin/temporal-server"
  mv "$tmp/sql" "$bin/temporal-sql-tool"
  rm -rf "$tmp"
  echo "$TEMPORAL_SERVER_VERSION" >"$marker"
  say "built in $((SECONDS - t0)) s"
}

setup_schema() {
  local db kind
  for pair in temporal:temporal temporal_visibility:visibility; do
    db=${pair%%:*}
    kind=${pair#*:}
    # setup-schema -v 0.0 only adds the version tables when missing; update-schema applies the
    # versions newer than the database's, from the schemas embedded in the tool (--schema-name).
    if ! {
      SQL_PASSWORD="$pg_password" "$bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$pg_port" \
        -u temporal --db "$db" setup-schema -v 0.0 &&
        SQL_PASSWORD="$pg_password" "$bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$pg_port" \
          -u temporal --db "$db" update-schema --schema-name "postgresql/v12/$kind"
    } >>"$logs/schema.log" 2>&1; then
      tail -5 "$logs/schema.log" >&2
      fail "the $db schema setup failed (log: ${logs#"$root"/}/schema.log)."
    fi
  done
  say "schemas of temporal and temporal_visibility are up to date"
}

# Every port the single-process server binds, from the frontend port, so two copies can coexist.
ports() {
  echo "$t_port $((t_port + 1)) $((t_port + 2)) $((t_port + 6)) $((t_port + 10)) $((t_port + 20)) $((t_port + 21)) $((t_port + 22)) $((t_port + 26))"
}

server_running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start_temporal() {
  "$bin/temporal-server" validate-dynamic-config "$dynconfig" >"$logs/dynamic-config.log" 2>&1 ||
    fail "$(tail -3 "$logs/dynamic-config.log" | tr '\n' ' ')(deploy/dynamicconfig/production-sql.yaml)"
  if server_running; then
    # Already running (an earlier start): keep it, at the address it was started with.
    t_port=$(cat "$prod/temporal-server.port")
    address="127.0.0.1:$t_port"
    say "Temporal server is already running (pid $(cat "$pidfile"), $address)"
    return 0
  fi
  local p
  for p in $(ports); do
    port_in_use "$p" && fail "port $p (Temporal) is in use by another program: set NIGHTSHIFT_PROD_TEMPORAL_PORT to another base port."
  done
  # The embedded config template of the server (v1.30+) reads these; the values mirror the
  # temporal service of docker-compose.yml, bound to 127.0.0.1.
  DB=postgres12 DB_PORT="$pg_port" POSTGRES_SEEDS=127.0.0.1 POSTGRES_USER=temporal POSTGRES_PWD="$pg_password" \
    DBNAME=temporal VISIBILITY_DBNAME=temporal_visibility NUM_HISTORY_SHARDS=4 \
    BIND_ON_IP=127.0.0.1 FRONTEND_GRPC_PORT="$t_port" FRONTEND_HTTP_PORT=$((t_port + 10)) \
    HISTORY_GRPC_PORT=$((t_port + 1)) MATCHING_GRPC_PORT=$((t_port + 2)) WORKER_GRPC_PORT=$((t_port + 6)) \
    FRONTEND_MEMBERSHIP_PORT=$((t_port + 20)) HISTORY_MEMBERSHIP_PORT=$((t_port + 21)) \
    MATCHING_MEMBERSHIP_PORT=$((t_port + 22)) WORKER_MEMBERSHIP_PORT=$((t_port + 26)) \
    DYNAMIC_CONFIG_FILE_PATH="$dynconfig" TEMPORAL_ALLOW_NO_AUTH=true LOG_LEVEL=info \
    setsid "$bin/temporal-server" start >>"$logs/temporal-server.log" 2>&1 </dev/null 9>&- &
  echo $! >"$pidfile"
  echo "$t_port" >"$prod/temporal-server.port"
  say "Temporal server starting (pid $!, log ${logs#"$root"/}/temporal-server.log)…"
}

wait_healthy() {
  local i
  for i in $(seq 1 120); do
    if "$cli" operator cluster health --address "$address" >/dev/null 2>&1; then
      say "Temporal is healthy at $address (after ${i}x0.5 s)"
      return 0
    fi
    server_running || {
      local why
      why=$(grep '"level":"fatal"' "$logs/temporal-server.log" | tail -1 |
        sed -E 's/.*"msg":"([^"]*)".*"error":"(([^"\\]|\\.)*)".*/\1: \2/' || true)
      fail "the Temporal server exited${why:+: $why} (log: ${logs#"$root"/}/temporal-server.log)."
    }
    sleep 0.5
  done
  fail "Temporal at $address was not healthy within 60 s (log: ${logs#"$root"/}/temporal-server.log)."
}

create_namespace() {
  if "$cli" operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1; then
    say "namespace $namespace exists"
    return 0
  fi
  local i
  # Right after the first start the namespace registry may lag the health check: retry briefly.
  for i in $(seq 1 10); do
    if "$cli" operator namespace create --address "$address" -n "$namespace" --retention 720h >>"$logs/namespace.log" 2>&1 ||
      "$cli" operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1; then
      say "namespace $namespace created"
      return 0
    fi
    sleep "$i"
  done
  fail "could not create namespace $namespace (log: ${logs#"$root"/}/namespace.log)."
}

stop_temporal() {
  if server_running; then
    local pid i
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "Temporal server did not stop in 20 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "Temporal server stopped"
  fi
  rm -f "$pidfile" "$prod/temporal-server.port"
}

cmd="${1:-start}"
mkdir -p "$bin" "$logs"
# One invocation at a time (a test and a terminal, say). The daemons started below get this file
# descriptor closed (9>&-): an inherited copy would hold the lock for as long as they run.
exec 9>"$prod/lock"
flock 9

case "$cmd" in
  start)
    [ -x "$cli" ] || bash "$root/scripts/setup.sh" --temporal-only ||
      fail "the Temporal CLI (used to create the namespace) could not be built: see above."
    start_postgres
    build_temporal
    setup_schema
    start_temporal
    wait_healthy
    create_namespace
    say "ready: Temporal $TEMPORAL_SERVER_VERSION on PostgreSQL, namespace $namespace"
    echo "TEMPORAL_ADDRESS=$address"
    ;;
  stop)
    stop_temporal
    stop_postgres
    ;;
  status)
    find_pg_bin
    if [ -n "$pg_bin" ] && [ -f "$pgdata/PG_VERSION" ] && pg_running; then echo "postgres: running (127.0.0.1:$pg_port)"; else echo "postgres: stopped"; fi
    if server_running; then echo "temporal: running (pid $(cat "$pidfile"), 127.0.0.1:$(cat "$prod/temporal-server.port"))"; else echo "temporal: stopped"; fi
    ;;
  *)
    echo "usage: scripts/prod-temporal.sh [start|stop|status]" >&2
    exit 2
    ;;
esac
