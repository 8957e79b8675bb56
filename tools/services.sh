#!/usr/bin/env bash
# Start or stop the real Redis and PostgreSQL servers the integration tests use.
#
#   tools/services.sh start STATE_DIR   installs Debian's redis-server / postgresql when
#                                       missing, starts both on free loopback ports and
#                                       writes STATE_DIR/env with QUORUM_TEST_*_URL lines
#   tools/services.sh stop STATE_DIR    stops both and removes STATE_DIR
#
# Servers listen on 127.0.0.1 only, on non-default ports chosen at start, with data in
# STATE_DIR, so several checkouts can test at once without touching a system instance.
set -euo pipefail
cmd=${1:?usage: services.sh start|stop STATE_DIR}
state=${2:?usage: services.sh start|stop STATE_DIR}

log() { echo "services: $*" >&2; }

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "cannot install $* (not root); install them and retry"
    return 1
  fi
  log "installing $* from Debian's packages"
  if [ ! -f /var/lib/apt/quorum-updated ] || [ -z "$(find /var/lib/apt/quorum-updated -mmin -720 2>/dev/null)" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch /var/lib/apt/quorum-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

ensure_tools() {  # offline validators the infra tests call (compose, Kubernetes, alert rules)
  local missing=()
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server redis-tools || return 1
  # The Debian package starts a system instance on 6379; we do not use or need it.
  local port; port=$(free_port)
  mkdir -p "$state/redis"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$state/redis" --save "" --appendonly no \
    --daemonize yes --pidfile "$state/redis/redis.pid" --logfile "$state/redis/redis.log" \
    --maxmemory-policy noeviction
  wait_for 20 redis-cli -p "$port" ping || { log "redis did not answer on $port"; return 1; }
  echo "QUORUM_TEST_REDIS_URL=redis://127.0.0.1:$port/0" >>"$state/env"
  echo "QUORUM_TEST_REDIS_PORT=$port" >>"$state/env"
  log "redis on 127.0.0.1:$port"
}

start_postgres() {
  local bindir
  bindir=$(pg_bindir) || { apt_install postgresql && bindir=$(pg_bindir); } || return 1
  local port; port=$(free_port)
  local data="$state/pg/data" run=(env)
  mkdir -p "$state/pg"
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: the package's postgres user owns the cluster.
    chown -R postgres "$state/pg"
    chmod 755 "$state"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$state/pg/initdb.log" 2>&1 \
    || { log "initdb failed: $(tail -5 "$state/pg/initdb.log")"; return 1; }
  "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$state/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state/pg -c fsync=off -c max_connections=200" start >/dev/null \
    || { log "postgres did not start: $(tail -5 "$state/pg/server.log")"; return 1; }
  "${run[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres quorum_test
  echo "QUORUM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/quorum_test" >>"$state/env"
  echo "QUORUM_TEST_PG_BINDIR=$bindir" >>"$state/env"
  log "postgresql on 127.0.0.1:$port"
}

case "$cmd" in
  start)
    mkdir -p "$state"
    : >"$state/env"
    status=0
    ensure_tools || { log "test tools unavailable"; status=1; }
    start_redis || { log "redis unavailable"; status=1; }
    start_postgres || { log "postgresql unavailable"; status=1; }
    exit $status
    ;;
  stop)
    if [ -f "$state/redis/redis.pid" ]; then
      kill "$(cat "$state/redis/redis.pid")" 2>/dev/null || true
    fi
    if [ -d "$state/pg/data" ]; then
      bindir=$(pg_bindir || true)
      if [ -n "$bindir" ]; then
        if [ "$(id -u)" = 0 ]; then
          runuser -u postgres -- "$bindir/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null 2>&1 || true
        else
          "$bindir/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null 2>&1 || true
        fi
      fi
    fi
    rm -rf "$state"
    ;;
  *)
    echo "usage: services.sh start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
