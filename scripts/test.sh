#!/usr/bin/env bash
# Runs every test of the solution against real PostgreSQL and Redis servers.
# Installs what is missing (Debian packages, npm packages for the interop tests), starts PostgreSQL and
# Redis on private ports in a temporary directory, runs `dotnet test`, and stops them again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
need=()
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
command -v node >/dev/null || need+=(nodejs npm)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk fontconfig)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

if [ -f tests/interop/package.json ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --silent)
fi

work=$(mktemp -d /tmp/certlib-test.XXXXXX)
chmod 755 "$work"
pg_port=${CERTLIB_TEST_PG_PORT:-55432}
redis_port=${CERTLIB_TEST_REDIS_PORT:-56379}

run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)

cleanup() {
  set +e
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  [ -d "$work/pg" ] && run_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/pg" "$work/pgsock" "$work/redis"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg" "$work/pgsock"
run_pg "$pg_bin/initdb" -D "$work/pg" -U "$pg_user" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null

redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$work/redis" --pidfile "$work/redis.pid" --logfile "$work/redis/redis.log"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export CERTLIB_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=$pg_user;Database=postgres;Pooling=true;Maximum Pool Size=50"
export CERTLIB_TEST_PG_BIN="$pg_bin"
export CERTLIB_TEST_REDIS="127.0.0.1:$redis_port"
export CERTLIB_TEST_REDIS_SERVER=$(command -v redis-server)
export CERTLIB_TEST_INTEROP="$root/tests/interop"

dotnet test "$root/CertLibrary.sln" --nologo "$@"
