#!/usr/bin/env bash
# Runs every test of the solution against real PostgreSQL and Redis servers.
# Installs what is missing (Debian packages, npm packages for the interop tests), starts PostgreSQL and
# Redis on private ports in a temporary directory, runs `dotnet test`, and stops them again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/servers.sh

extra=()
command -v openssl >/dev/null || extra+=(openssl)
command -v node >/dev/null || extra+=(nodejs npm)
# grep reads all of fc-list's output: with -q it would stop early, fc-list would die of SIGPIPE and pipefail would call the font missing
fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null || extra+=(fonts-noto-cjk fontconfig)
command -v pdftoppm >/dev/null || extra+=(poppler-utils)
# printable certificates: PDFsharp embeds only single-face TrueType fonts (no .ttc, no CFF)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || extra+=(fonts-droid-fallback)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || extra+=(fonts-dejavu-core)
command -v chromium >/dev/null || extra+=(chromium)
# high availability (HighAvailabilityTests drive scripts/ha.sh): pg_auto_failover and Redis Sentinel
command -v pg_autoctl >/dev/null || extra+=(postgresql-15-auto-failover)
command -v redis-sentinel >/dev/null || extra+=(redis-sentinel)
certlib_install_missing "${extra[@]}"

if [ -f tests/interop/package.json ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --silent)
fi

certlib_start_servers TEST "${CERTLIB_TEST_PG_PORT:-55432}" "${CERTLIB_TEST_REDIS_PORT:-56379}" max_connections=300 fsync=off
export CERTLIB_TEST_PG_BIN="$pg_bin"
export CERTLIB_TEST_REDIS_SERVER=$(command -v redis-server)
export CERTLIB_TEST_INTEROP="$root/tests/interop"

export CERTLIB_TEST_LOG_DIR="$work/test-logs"
# A test stuck for 10 minutes fails its run (with a dump under TestResults/) instead of using up CI's 90.
dotnet test "$root/CertLibrary.sln" --nologo --blame-hang-timeout 10m --blame-hang-dump-type mini "$@"
"$root/scripts/scan-test-logs.sh" "$CERTLIB_TEST_LOG_DIR"
