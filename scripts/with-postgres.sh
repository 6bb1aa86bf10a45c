#!/usr/bin/env bash
# Runs a command with a throw-away local PostgreSQL: installs Debian's server package when missing,
# initialises a cluster in a temp dir as the `postgres` user (initdb refuses root), starts it on a
# free port, creates a database, exports TECHTRAIL_TEST_DATABASE_URL and stops/removes it on exit.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

BIN=$(pg_bin || true)
if [ -z "$BIN" ]; then
  echo "with-postgres: installing Debian's postgresql package" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN=$(pg_bin)
fi

# Run PostgreSQL tools as an unprivileged user when we are root.
PGUSER_OS=$(id -un)
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    PGUSER_OS=postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then PGUSER_OS=postgres; fi

free_port() {
  local p=${PGPORT_START:-54329}
  while (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

PGDATA_DIR=$(mktemp -d /tmp/techtrail-pg.XXXXXX)
chmod 755 "$PGDATA_DIR"
[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$PGDATA_DIR"
PORT=$(free_port)

cleanup() {
  as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA_DIR"
}
trap cleanup EXIT INT TERM

as_pg "$BIN/initdb" -D "$PGDATA_DIR/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR/data" -l "$PGDATA_DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres techtrail_test

export TECHTRAIL_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/techtrail_test"
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on port $PORT" >&2
"$@"
