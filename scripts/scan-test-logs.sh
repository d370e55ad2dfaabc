#!/usr/bin/env bash
# Fails when any log line the test hosts wrote (scripts/test.sh sets CERTLIB_TEST_LOG_DIR) holds an identity number
# from the test sources, a password or fixed secret of tests/known-test-secrets.txt, a client secret or token the
# tests registered while running, or anything shaped like a JWT. Prints file:line with the secret masked.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${CERTLIB_TEST_LOG_DIR:?usage: scan-test-logs.sh LOG_DIR}}
shopt -s nullglob
logs=("$dir"/*.log)
if [ ${#logs[@]} -eq 0 ]; then
  echo "scan-test-logs: no test logs in $dir"
  exit 0
fi

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
# Identity numbers (GB 11643 shape) written as literals in the tests, both x and X.
grep -rhoE --include='*.cs' '"[0-9]{17}[0-9Xx]"' tests | tr -d '"' | sort -u | while read -r n; do
  echo "$n"; echo "${n^^}"; echo "${n,,}"
done >> "$patterns"
grep -vE '^(#|$)' tests/known-test-secrets.txt >> "$patterns"
cat "$dir"/secrets.*.txt 2>/dev/null >> "$patterns" || true
sort -u -o "$patterns" "$patterns"

mask() { sed -E 's/^([^:]+:[0-9]+):(.{0,4}).*$/\1: \2…(masked)/'; }
found=$( { grep -HnoF -f "$patterns" "${logs[@]}" || true; grep -HnoE 'eyJ[A-Za-z0-9_-]+\.eyJ' "${logs[@]}" || true; } | mask | sort -u)
lines=$(cat "${logs[@]}" | wc -l)
if [ -n "$found" ]; then
  echo "scan-test-logs: secrets found in test logs ($(echo "$found" | wc -l) places; $lines lines scanned, $(wc -l < "$patterns") secrets):"
  echo "$found" | head -n 50
  exit 1
fi
echo "scan-test-logs: $lines log lines clean of $(wc -l < "$patterns") known secrets and JWTs"
