#!/usr/bin/env bash
# The comparison with what users would pick instead, on this machine, in one run:
#   scenario 1, ext_authz: OPA-Envoy is installed if the Go module proxy serves it (install-peers.sh
#     says why not); Tollgate's side is run-load.sh (fifty rules, YAML/CEL and DRL, against a no-op
#     server, with CPU per 1,000 checks);
#   scenario 2, rate limits (this script): envoyproxy/ratelimit with Redis (Debian) against
#     Tollgate strict and fast, one config file in envoyproxy/ratelimit's format for all three, the
#     same ShouldRateLimit stream over 10,000 tenants; rps, p50, p99, CPU seconds per 1,000 calls
#     (ratelimit's with Redis's), then RateLimitAccuracy: what each admits per window against a
#     per-second limit under 16 concurrent clients;
#   scenario 3, Tollgate only: run-rego.sh (the Rego path through OPA, cache on and off).
# Writes the comparison section of benchmarks/RESULTS.md (scenarios 1 and 3 write their own).
# SCENARIOS=2 runs only scenario 2. Every run is bounded.
set -euo pipefail

NAME=run-comparison
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$HERE/install-peers.sh"
SCENARIOS=${SCENARIOS:-1 2 3}
if [[ " $SCENARIOS " == *" 1 "* ]]; then "$HERE/run-load.sh"; fi
if [[ " $SCENARIOS " == *" 3 "* ]]; then "$HERE/run-rego.sh"; fi
[[ " $SCENARIOS " == *" 2 "* ]] || exit 0

CALL=envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit
source "$HERE/load-common.sh"
OUT=$HERE/target/comparison/ratelimit
PROTOSET=$OUT/ratelimit.protoset
DATA=$OUT/ratelimit.json
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-30}
CONCURRENCY=${CONCURRENCY:-32}
CONNECTIONS=${CONNECTIONS:-2}
GOBIN_DIR=$(go env GOBIN); GOBIN_DIR=${GOBIN_DIR:-$(go env GOPATH)/bin}
RATELIMIT=$GOBIN_DIR/service_cmd
POLICIES=$HERE/src/main/resources/policies

rm -rf "$OUT"
mkdir -p "$OUT/runtime/ratelimit/config"
mark_start
java -cp "$BENCH_JAR" io.tollgate.benchmarks.LoadInputs "$OUT"
cp "$POLICIES/compare-ratelimit/limits.yaml" "$OUT/runtime/ratelimit/config/limits.yaml"

log "starting Redis and envoyproxy/ratelimit"
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --protected-mode yes \
  >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
RL_GRPC=$(free_port); RL_HTTP=$(free_port); RL_DEBUG=$(free_port)
env RUNTIME_ROOT="$OUT/runtime" RUNTIME_SUBDIRECTORY=ratelimit RUNTIME_WATCH_ROOT=false RUNTIME_IGNOREDOTFILES=true \
  USE_STATSD=false LOG_LEVEL=warn REDIS_SOCKET_TYPE=tcp REDIS_URL="127.0.0.1:$REDIS_PORT" \
  GRPC_HOST=127.0.0.1 GRPC_PORT="$RL_GRPC" HOST=127.0.0.1 PORT="$RL_HTTP" DEBUG_HOST=127.0.0.1 DEBUG_PORT="$RL_DEBUG" \
  $SERVER_PIN "$RATELIMIT" >"$OUT/ratelimit.log" 2>&1 &
RL_PID=$!
PIDS+=("$RL_PID")
for ((i = 0; i < 300; i++)); do
  curl -sf --max-time 1 "http://127.0.0.1:$RL_HTTP/healthcheck" >/dev/null && break
  kill -0 "$RL_PID" 2>/dev/null || { cat "$OUT/ratelimit.log" >&2; die "envoyproxy/ratelimit exited"; }
  sleep 0.1
done
curl -sf --max-time 1 "http://127.0.0.1:$RL_HTTP/healthcheck" >/dev/null || die "envoyproxy/ratelimit not healthy: $(cat "$OUT/ratelimit.log")"

log "starting Tollgate strict and fast"
QPORT=$((20000 + RANDOM % 20000))
start_tollgate strict "$POLICIES/compare-ratelimit" --quota-cluster-name cmp-strict --quota-port "$QPORT"
STRICT_PID=$TG_PID STRICT_PORT=$TG_PORT STRICT_ADMIN=$TG_ADMIN
start_tollgate fast "$POLICIES/compare-ratelimit-fast" --quota-cluster-name cmp-fast --quota-port $((QPORT + 30))
FAST_PID=$TG_PID FAST_PORT=$TG_PORT FAST_ADMIN=$TG_ADMIN
wait_ready "$STRICT_ADMIN"
wait_ready "$FAST_ADMIN"
RATELIMIT_PORT=$RL_GRPC

port_of() { case $1 in ratelimit) echo "$RATELIMIT_PORT" ;; strict) echo "$STRICT_PORT" ;; fast) echo "$FAST_PORT" ;; esac; }
pids_of() { case $1 in ratelimit) echo "$RL_PID $REDIS_PID" ;; strict) echo "$STRICT_PID" ;; fast) echo "$FAST_PID" ;; esac; }

for who in ratelimit strict fast; do
  log "warm-up $who: ${WARMUP}s"
  ghz_run "$(port_of $who)" "$DATA" "$OUT/warmup-$who.json" $((WARMUP + 60)) -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
done

declare -a ROWS=()
BOUND=$((DURATION + 60))
for ((r = 1; r <= ROUNDS; r++)); do
  for who in ratelimit strict fast; do
    f=$OUT/max-$who-$r.json
    # shellcheck disable=SC2046
    c0=$(cpu_seconds $(pids_of $who))
    ghz_run "$(port_of $who)" "$DATA" "$f" "$BOUND" -z "${DURATION}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    # shellcheck disable=SC2046
    c1=$(cpu_seconds $(pids_of $who))
    read -r rps p50 p99 count errors < <(summary "$f")
    cpu=$(python3 -c "print(f'{($c1 - $c0) / ($count / 1000):.4f}')")
    log "round $r $who: $rps rps, p50 $p50 ms, p99 $p99 ms, $errors errors, $cpu CPU-s per 1,000 calls"
    ROWS+=("$who|$rps|$p50|$p99|$errors|$cpu")
  done
done

declare -a ACC=()
for who in ratelimit strict fast; do
  line=$(timeout 120 $CLIENT_PIN java -cp "$BENCH_JAR" io.tollgate.benchmarks.RateLimitAccuracy --port "$(port_of $who)" \
    --tenants 20 --limit 20 --seconds 5 --workers 16)
  log "accuracy $who: $line"
  ACC+=("$who $line")
done
for pid in "${PIDS[@]}"; do stop "$pid"; done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))
OPA_ENVOY=$(head -1 "$HERE/target/comparison/opa-envoy.txt" 2>/dev/null || echo "")

python3 - <<PY | write_results
import sys
from statistics import median
rows = [r.split("|") for r in """${ROWS[*]}""".split()]
acc = {}
for line in """$(printf '%s\n' "${ACC[@]}")""".splitlines():
    who, rest = line.split(" ", 1)
    acc[who] = dict(kv.split("=") for kv in rest.split())
def by(w): return [r for r in rows if r[0] == w]
def med(rs, i): return median(float(r[i]) for r in rs)
rl = med(by("ratelimit"), 1)
out = []
w = out.append
w("<!-- comparison-results:begin (written by benchmarks/run-comparison.sh; edits between these markers are replaced) -->")
w("## Comparison: envoyproxy/ratelimit with Redis against Tollgate (scenario 2)")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| peers | envoyproxy/ratelimit \`$(go version -m "$RATELIMIT" | awk '$1 == "mod" {print $3}')\` (go install), Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') (Debian), defaults (no pipelining); Tollgate JVM flags \`$JVM_OPTS\` |")
w("| config | [\`policies/compare-ratelimit/limits.yaml\`](src/main/resources/policies/compare-ratelimit/limits.yaml), read unchanged by envoyproxy/ratelimit and Tollgate strict; Tollgate fast adds \`mode: fast\` |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY SCENARIOS='$SCENARIOS' benchmarks/run-comparison.sh\` (scenario 2: $ELAPSED s) |")
w("")
w(f"### Throughput: ShouldRateLimit over 10,000 tenants, limit 10 per minute each, {int('$CONCURRENCY')} ghz workers, rounds of ${DURATION} s alternating")
w("")
w("| server | " + " | ".join(f"round {i + 1} rps" for i in range(len(by("ratelimit")))) + " | **median rps** | vs envoyproxy/ratelimit | p50 / p99 ms (median) | CPU-s per 1,000 calls (median) | errors |")
w("|---|" + "---|" * len(by("ratelimit")) + "---|---|---|---|---|")
for who, name in (("ratelimit", "envoyproxy/ratelimit + Redis"), ("strict", "Tollgate, strict"), ("fast", "Tollgate, fast")):
    rs = by(who)
    w(f"| {name} | " + " | ".join(r[1] for r in rs) + f" | **{med(rs, 1):.0f}** | {med(rs, 1) / rl:.2f} | {med(rs, 2):.2f} / {med(rs, 3):.2f} | {med(rs, 5):.3f} | {sum(int(r[4]) for r in rs)} |")
strict = med(by("strict"), 1) / rl
w("")
w(f"Tollgate strict / envoyproxy/ratelimit: **{strict:.2f}** (goal: at least 2: {'met' if strict >= 2 else 'NOT met'}). "
  "envoyproxy/ratelimit's CPU includes its Redis.")
w("")
w("### What is admitted per window (RateLimitAccuracy: 16 concurrent clients, 20 keys, 20 per second each, 5 s)")
w("")
w("| server | calls | left out (straddled a second) | admitted | key-windows | **admitted beyond the limit** | most in one window |")
w("|---|---|---|---|---|---|---|")
for who, name in (("ratelimit", "envoyproxy/ratelimit + Redis"), ("strict", "Tollgate, strict"), ("fast", "Tollgate, fast")):
    a = acc[who]
    w(f"| {name} | {int(a['calls']):,} | {int(a['uncertain']):,} | {int(a['admitted']):,} | {a['windows']} | **{a['over_admitted']}** | {a['max_in_window']} (limit {a['limit']}) |")
w("")
opa = """$OPA_ENVOY"""
if opa:
    w("Scenario 1 (OPA-Envoy) could not run: the peer cannot be installed here — " + opa.replace("|", "/"))
w("<!-- comparison-results:end -->")
print("\n".join(out))
PY
log "done in ${ELAPSED}s; results in $RESULTS"
