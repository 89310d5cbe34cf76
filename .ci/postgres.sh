# A throw-away PostgreSQL server for the results store's PostgreSQL tests; sourced by .ci/run.
# pg_ci_start installs Debian's postgresql package when missing, creates a cluster in a temp folder
# (owned by the postgres user when run as root: initdb refuses root), starts it on a free local
# port with password authentication over TCP (so the tests can check a refused login), and exports
# PRUNELAB_TEST_PG. pg_ci_stop stops it and removes the folder. Both are safe to call twice.

PG_CI_DIR=""
PG_CI_BIN=""

pg_ci_as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ci_start() {
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    echo "ci: installing postgresql from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
      >/tmp/ci-apt-postgresql.log 2>&1 || {
      tail -5 /tmp/ci-apt-postgresql.log
      echo "ci: postgresql could not be installed"
      return 1
    }
  fi
  PG_CI_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    echo "ci: the postgresql package left no postgres user"
    return 1
  fi
  local port=54329
  PG_CI_DIR=$(mktemp -d /tmp/prunelab-ci-pg.XXXXXX)
  chmod 700 "$PG_CI_DIR"
  local password
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" >"$PG_CI_DIR/pwfile"
  [ "$(id -u)" = "0" ] && chown -R postgres "$PG_CI_DIR"
  pg_ci_as_owner "$PG_CI_BIN/initdb" -D "$PG_CI_DIR/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --pwfile="$PG_CI_DIR/pwfile" >"$PG_CI_DIR/initdb.log" 2>&1 || {
    tail -5 "$PG_CI_DIR/initdb.log"
    echo "ci: initdb failed"
    return 1
  }
  # Skip ports something already listens on (another cluster, a leftover). Another CI run on this
  # machine may take the same free port between the probe and the start ("could not create any
  # TCP/IP sockets"): then try the next one, a few times.
  local attempt
  for attempt in 1 2 3 4 5; do
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    rm -f "$PG_CI_DIR/server.log"
    # fsync off: a throw-away cluster; nothing here needs to survive a power cut.
    if pg_ci_as_owner "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/server.log" -w -t 60 \
      -o "-p $port -k $PG_CI_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
      start >/dev/null; then
      break
    fi
    if [ "$attempt" = 5 ] || ! grep -q "could not create any TCP/IP sockets" "$PG_CI_DIR/server.log"; then
      tail -5 "$PG_CI_DIR/server.log"
      echo "ci: the PostgreSQL server did not start"
      return 1
    fi
    echo "ci: port $port was taken meanwhile; trying the next one"
    port=$((port + 1))
  done
  export PRUNELAB_TEST_PG="postgres://postgres:$password@127.0.0.1:$port/postgres"
  echo "ci: PostgreSQL $("$PG_CI_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the store tests"
}

pg_ci_stop() {
  if [ -n "$PG_CI_DIR" ] && [ -d "$PG_CI_DIR/data" ]; then
    pg_ci_as_owner "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m immediate -w stop >/dev/null 2>&1
  fi
  [ -n "$PG_CI_DIR" ] && rm -rf "$PG_CI_DIR"
  PG_CI_DIR=""
  unset PRUNELAB_TEST_PG
}
