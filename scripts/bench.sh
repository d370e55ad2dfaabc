#!/usr/bin/env bash
# Runs the benchmarks (bench/CertLibrary.Bench) and writes bench/results.md.
#   scripts/bench.sh            full run (about 5 minutes; lookup latency at 10^5 certificates vs 10^4)
#   scripts/bench.sh --large    the same with the large store at 10^6 certificates (generating it takes minutes)
#   scripts/bench.sh --smoke    about a minute of measuring, for CI: proves every benchmark still runs (exit 1 if one fails)
# Builds the API, the constant-JSON ceiling and the driver in Release, starts PostgreSQL and Redis on private
# ports in a temporary directory (as scripts/test.sh does), runs the driver, and stops them again.
# Every figure is printed next to its ceiling measured in the same run; load is sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

source scripts/servers.sh
extra=()
command -v openssl >/dev/null || extra+=(openssl)
certlib_install_missing "${extra[@]}"

for project in Api/CertLibrary.Api bench/CertLibrary.Bench.Ceiling bench/CertLibrary.Bench; do
  dotnet build "$project" -c Release --nologo -v quiet -clp:ErrorsOnly
done

# Durable settings (fsync on, synchronous_commit on): the batch figure includes the commit cost.
certlib_start_servers BENCH "${CERTLIB_BENCH_PG_PORT:-55532}" "${CERTLIB_BENCH_REDIS_PORT:-56479}" max_connections=100 shared_buffers=256MB

dotnet "$root/bench/CertLibrary.Bench/bin/Release/net10.0/CertLibrary.Bench.dll" "$@"
