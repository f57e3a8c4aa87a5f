#!/bin/sh
# Creates (or upgrades) Temporal's two PostgreSQL databases with the admin-tools image's
# temporal-sql-tool. Runs on every `docker compose up`: every step is idempotent —
# `create` ignores an existing database, `setup-schema -v 0.0` only adds the version tables when they
# are missing, and `update-schema` applies only the versions newer than the database's, so upgrading
# the admin-tools image tag upgrades the schema.
# POSIX sh on purpose: the admin-tools image is Alpine (busybox sh, no bash).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is not set}"
: "${POSTGRES_USER:?POSTGRES_USER is not set}"
: "${POSTGRES_PWD:?POSTGRES_PWD is not set}"
DB_PORT=${DB_PORT:-5432}
DBNAME=${DBNAME:-temporal}
VISIBILITY_DBNAME=${VISIBILITY_DBNAME:-temporal_visibility}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
export SQL_PASSWORD="$POSTGRES_PWD" # read by temporal-sql-tool; keeps the password off the command line

# PostgreSQL's healthcheck passed before this container started, but a restart of the database can
# race us: wait up to a minute for the port.
tries=0
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "setup-postgres: PostgreSQL at $POSTGRES_SEEDS:$DB_PORT did not answer within 60 s" >&2
    exit 1
  fi
  sleep 2
done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  db=${pair%%:*}
  kind=${pair#*:}
  echo "setup-postgres: database $db ($kind schema)"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$kind/versioned"
done
echo "setup-postgres: schemas are up to date"
