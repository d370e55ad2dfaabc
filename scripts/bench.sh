#!/usr/bin/env bash
# Runs the benchmarks (bench/CertLibrary.Bench) and writes bench/results.md.
#   scripts/bench.sh            full run (a few minutes)
#   scripts/bench.sh --smoke    under ten seconds of measuring, for CI: proves the benchmarks still run
# Builds the API, the constant-JSON ceiling and the driver in Release, starts PostgreSQL and Redis on private
# ports in a temporary directory (as scripts/test.sh does), runs the driver, and stops them again.
# Every figure is printed next to its ceiling measured in the same run; load is sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
need=()
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench.sh: installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

for project in Api/CertLibrary.Api bench/CertLibrary.Bench.Ceiling bench/CertLibrary.Bench; do
  dotnet build "$project" -c Release --nologo -v quiet -clp:ErrorsOnly
done

work=$(mktemp -d /tmp/certlib-bench.XXXXXX)
chmod 755 "$work"
pg_port=${CERTLIB_BENCH_PG_PORT:-55532}
redis_port=${CERTLIB_BENCH_REDIS_PORT:-56479}

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
# Durable settings (fsync on, synchronous_commit on): the batch figure includes the commit cost.
run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $pg_port -k $work/pgsock -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=256MB" start >/dev/null

redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
  --dir "$work/redis" --pidfile "$work/redis.pid" --logfile "$work/redis/redis.log"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export CERTLIB_BENCH_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=$pg_user;Database=postgres;Pooling=true;Maximum Pool Size=50"
export CERTLIB_BENCH_REDIS="127.0.0.1:$redis_port"

dotnet "$root/bench/CertLibrary.Bench/bin/Release/net10.0/CertLibrary.Bench.dll" "$@"
