# Sourced by scripts/test.sh and scripts/bench.sh: installs missing Debian packages and runs PostgreSQL and
# Redis on private ports in a temporary directory, stopped again when the calling script exits.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

# certlib_install_missing PACKAGE...: PostgreSQL and Redis always, plus the packages given.
certlib_install_missing() {
  local need=()
  pg_bin=$(find_pg_bin)
  [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  need+=("$@")
  if [ ${#need[@]} -gt 0 ]; then
    echo "$(basename "$0"): installing ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
    pg_bin=$(find_pg_bin)
  fi
}

# certlib_start_servers PREFIX PG_PORT REDIS_PORT [postgres -c settings...]: sets work, pg_user, and the
# connection strings CERTLIB_<PREFIX>_POSTGRES / CERTLIB_<PREFIX>_REDIS.
certlib_start_servers() {
  local prefix=$1 pg_port=$2 redis_port=$3
  shift 3
  local settings=""
  for s in "$@"; do settings="$settings -c $s"; done
  work=$(mktemp -d /tmp/certlib-servers.XXXXXX)
  chmod 755 "$work"
  pg_user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
  trap certlib_stop_servers EXIT
  mkdir -p "$work/pg" "$work/pgsock" "$work/redis"
  [ "$(id -u)" = 0 ] && chown postgres "$work/pg" "$work/pgsock"
  run_pg "$pg_bin/initdb" -D "$work/pg" -U "$pg_user" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
    -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1$settings" start >/dev/null
  redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$work/redis" --pidfile "$work/redis.pid" --logfile "$work/redis/redis.log"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export "CERTLIB_${prefix}_POSTGRES=Host=127.0.0.1;Port=$pg_port;Username=$pg_user;Database=postgres;Pooling=true;Maximum Pool Size=50"
  export "CERTLIB_${prefix}_REDIS=127.0.0.1:$redis_port"
}

certlib_stop_servers() {
  set +e
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  [ -d "$work/pg" ] && run_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
