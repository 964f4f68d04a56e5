#!/usr/bin/env bash
# A bounded load run against the HTTP check port with wrk: for each tollgate jar given, starts
# `serve` (bundled policy, decision log off), warms it up, then runs ROUNDS rounds of a denied
# (GET /admin, Host details) and an allowed (GET /details/1) check at fixed concurrency, printing
# requests/s and the p50/p99 latency wrk reports. Give two jars to compare them, e.g. main's and a
# branch's: ./run-http-check.sh /tmp/main-tollgate.jar ../policy-server/target/tollgate.jar
# Needs: wrk (Debian package wrk), curl, java. Every run is bounded by wrk's -d.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-20}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
HTTP_PORT=${HTTP_PORT:-19092}
ADMIN_PORT=${ADMIN_PORT:-19014}

if [ $# -eq 0 ]; then
  set -- "$(dirname "$0")/../policy-server/target/tollgate.jar"
fi
command -v wrk >/dev/null || { echo "run-http-check: needs wrk (apt-get install wrk)" >&2; exit 1; }

for jar in "$@"; do
  java -Xmx512m -jar "$jar" serve --grpc-port 0 --http-port "$HTTP_PORT" --admin-port "$ADMIN_PORT" \
    --decision-log off --reload-interval 0s >"/tmp/run-http-check.$$.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  ready=""
  for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null; then ready=1; break; fi
    sleep 0.5
  done
  [ -n "$ready" ] || { echo "run-http-check: $jar did not get ready; see /tmp/run-http-check.$$.log" >&2; exit 1; }
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H 'Host: details' "http://127.0.0.1:$HTTP_PORT/admin" >/dev/null
  for r in $(seq 1 "$ROUNDS"); do
    for path in /admin /details/1; do
      out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H 'Host: details' "http://127.0.0.1:$HTTP_PORT$path")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      echo "$jar round $r $path: $rps req/s, p50 $p50, p99 $p99"
    done
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  trap - EXIT
done
