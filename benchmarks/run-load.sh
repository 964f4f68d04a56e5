#!/usr/bin/env bash
# Load runs with ghz against two separate JVMs on 127.0.0.1, started (and stopped) by this script:
#   noop      io.tollgate.benchmarks.NoopAuthzServer: answers every Check with OK (the ceiling)
#   tollgate  tollgate.jar serve, deciding with benchmarks/src/main/resources/policies/fifty
# Both get the same JVM flags and the same worker-thread default. Phases:
#   1. warm-up of each server;
#   2. maximum throughput: rounds alternating noop / tollgate at fixed concurrency, median rps each;
#   3. fixed rate (half the no-op median): rounds alternating again, median p50 / p99 each;
#   4. heap: a fresh tollgate, heap used after a forced GC after 100k and after 1M checks.
# Writes the load section of benchmarks/RESULTS.md and prints it. Every run and wait is bounded.
#
# Needs: benchmarks/target/benchmarks.jar and policy-server/target/tollgate.jar (build first),
# ghz (PATH, $GHZ or ~/go/bin/ghz), python3, jcmd, curl.
# Settings below can be overridden from the environment, e.g. ROUNDS=5 DURATION=30 ./run-load.sh
set -euo pipefail

NAME=run-load
source "$(dirname "${BASH_SOURCE[0]}")/load-common.sh"

POLICY=$HERE/src/main/resources/policies/fifty
OUT=$HERE/target/load
ROUNDS=${ROUNDS:-3}                    # rounds per server, per phase
DURATION=${DURATION:-15}               # seconds per round
WARMUP=${WARMUP:-40}                   # seconds of warm-up per server
CONCURRENCY=${CONCURRENCY:-32}         # ghz workers
CONNECTIONS=${CONNECTIONS:-2}          # HTTP/2 connections they share (Envoy: one per worker thread)
HEAP_FIRST=${HEAP_FIRST:-100000}       # checks before the first heap reading
HEAP_TOTAL=${HEAP_TOTAL:-1000000}      # checks before the second
HEAP_CONCURRENCY=${HEAP_CONCURRENCY:-64}
HEAP_TIMEOUT=${HEAP_TIMEOUT:-420}      # seconds the 1M-check run may take at most

rm -rf "$OUT"
mkdir -p "$OUT"
GHZ_VERSION=$(go version -m "$GHZ" 2>/dev/null | awk '$1 == "mod" {print $3}' || true)
GHZ_VERSION=${GHZ_VERSION:-$("$GHZ" --version 2>&1 | head -1)}
mark_start

log "writing ghz inputs (protoset, request mix) to $OUT"
java -cp "$BENCH_JAR" io.tollgate.benchmarks.LoadInputs "$OUT"
MIX_TOTAL=$(wc -l <"$OUT/fifty.mix")
MIX_ALLOWED=$(grep -c '^200 ' "$OUT/fifty.mix")

log "starting the no-op server and tollgate (policies/fifty)"
start_noop noop
start_tollgate tollgate "$POLICY"
log "noop on :$NOOP_PORT (pid $NOOP_PID), tollgate on :$TG_PORT, admin :$TG_ADMIN (pid $TG_PID)"

BOUND=$((DURATION + 60))
log "warm-up: ${WARMUP}s each"
ghz_run "$NOOP_PORT" "$OUT/fifty.json" "$OUT/warmup-noop.json" $((WARMUP + 60)) -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
ghz_run "$TG_PORT" "$OUT/fifty.json" "$OUT/warmup-tollgate.json" $((WARMUP + 60)) -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"

declare -a NOOP_RPS=() TG_RPS=() NOOP_MAX_ROWS=() TG_MAX_ROWS=()
for ((r = 1; r <= ROUNDS; r++)); do
  for who in noop tollgate; do
    port=$NOOP_PORT pid=$NOOP_PID
    [[ $who == tollgate ]] && port=$TG_PORT pid=$TG_PID
    f=$OUT/max-$who-$r.json
    c0=$(cpu_seconds "$pid")
    ghz_run "$port" "$OUT/fifty.json" "$f" "$BOUND" -z "${DURATION}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    c1=$(cpu_seconds "$pid")
    read -r rps p50 p99 count errors < <(summary "$f")
    cpu=$(python3 -c "print(f'{($c1 - $c0) / ($count / 1000):.4f}')")
    log "max throughput round $r $who: $rps rps (p50 $p50 ms, p99 $p99 ms, $count calls, $errors errors, $cpu CPU-s per 1,000)"
    if [[ $who == noop ]]; then NOOP_RPS+=("$rps"); NOOP_MAX_ROWS+=("$rps|$p50|$p99|$errors|$cpu");
    else TG_RPS+=("$rps"); TG_MAX_ROWS+=("$rps|$p50|$p99|$errors|$cpu"); fi
  done
done
NOOP_MEDIAN=$(median "${NOOP_RPS[@]}")
TG_MEDIAN=$(median "${TG_RPS[@]}")
RATIO=$(python3 -c "print(f'{$TG_MEDIAN / $NOOP_MEDIAN:.2f}')")
RATE=$(python3 -c "print(max(1, int($NOOP_MEDIAN / 2)))")
log "median max throughput: noop $NOOP_MEDIAN rps, tollgate $TG_MEDIAN rps, ratio $RATIO; fixed rate $RATE rps"

declare -a NOOP_P50=() NOOP_P99=() TG_P50=() TG_P99=() NOOP_RATE_ROWS=() TG_RATE_ROWS=()
for ((r = 1; r <= ROUNDS; r++)); do
  for who in noop tollgate; do
    port=$NOOP_PORT
    [[ $who == tollgate ]] && port=$TG_PORT
    f=$OUT/rate-$who-$r.json
    ghz_run "$port" "$OUT/fifty.json" "$f" "$BOUND" -z "${DURATION}s" --rps "$RATE" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    read -r rps p50 p99 count errors < <(summary "$f")
    log "fixed rate round $r $who: $rps rps, p50 $p50 ms, p99 $p99 ms ($count calls, $errors errors)"
    if [[ $who == noop ]]; then NOOP_P50+=("$p50"); NOOP_P99+=("$p99"); NOOP_RATE_ROWS+=("$rps|$p50|$p99|$errors");
    else TG_P50+=("$p50"); TG_P99+=("$p99"); TG_RATE_ROWS+=("$rps|$p50|$p99|$errors"); fi
  done
done

read -r TG_CHECKS TG_ALLOWED < <(checks "$TG_ADMIN")
TG_FAILURES=$(handler_failures "$TG_ADMIN")
log "tollgate decided $TG_CHECKS checks, $TG_ALLOWED allowed, $TG_FAILURES handler failures"
stop "$NOOP_PID"
stop "$TG_PID"

log "heap: fresh tollgate, $HEAP_FIRST then $HEAP_TOTAL checks"
start_tollgate tollgate-heap "$POLICY"
HEAP_START=$(heap_used "$TG_PID")
ghz_run "$TG_PORT" "$OUT/fifty.json" "$OUT/heap-first.json" 300 -n "$HEAP_FIRST" -c "$HEAP_CONCURRENCY" --connections "$CONNECTIONS"
read -r HEAP_N1 _ < <(checks "$TG_ADMIN")
HEAP_1=$(heap_used "$TG_PID")
log "after $HEAP_N1 checks: heap used/committed MiB $HEAP_1"
# The second run may be cut short by HEAP_TIMEOUT on a slow machine; the table then names the
# number of checks actually decided.
timeout --kill-after=10 "$HEAP_TIMEOUT" "$GHZ" --insecure --protoset "$OUT/authz.protoset" --call "$CALL" \
  --data-file "$OUT/fifty.json" --format summary --output "$OUT/heap-rest.txt" \
  -n $((HEAP_TOTAL - HEAP_N1)) -c "$HEAP_CONCURRENCY" --connections "$CONNECTIONS" "127.0.0.1:$TG_PORT" \
  || log "the run to $HEAP_TOTAL checks stopped at the ${HEAP_TIMEOUT}s bound"
read -r HEAP_N2 _ < <(checks "$TG_ADMIN")
HEAP_2=$(heap_used "$TG_PID")
HEAP_FAILURES=$(handler_failures "$TG_ADMIN")
log "after $HEAP_N2 checks: heap used/committed MiB $HEAP_2"
stop "$TG_PID"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

python3 - <<PY | write_results
import sys
from statistics import median

def rows(spec):
    return [r.split("|") for r in spec.split()]

noop_max, tg_max = rows("""${NOOP_MAX_ROWS[*]}"""), rows("""${TG_MAX_ROWS[*]}""")
noop_rate, tg_rate = rows("""${NOOP_RATE_ROWS[*]}"""), rows("""${TG_RATE_ROWS[*]}""")
ratio = float("$RATIO")
def med(rs, i): return median(float(r[i]) for r in rs)
def errs(rs): return sum(int(r[3]) for r in rs)
tg_p99 = med(tg_rate, 2)
h1_used, h1_comm = "$HEAP_1".split()
h2_used, h2_comm = "$HEAP_2".split()
h0_used, _ = "$HEAP_START".split()
checks, allowed = int("$TG_CHECKS"), int("$TG_ALLOWED")
expected = $MIX_ALLOWED / $MIX_TOTAL
failures = int("$TG_FAILURES") + int("$HEAP_FAILURES")

out = []
w = out.append
w("<!-- load-results:begin (written by benchmarks/run-load.sh; edits between these markers are replaced) -->")
w("## Load: ghz against the no-op server and Tollgate")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| java | $(java -version 2>&1 | head -1 | sed 's/"//g'); $(java -version 2>&1 | sed -n 2p) |")
w("| JVM flags (both servers) | \`$JVM_OPTS\` |")
w("| ghz | $GHZ_VERSION, $CONCURRENCY workers on $CONNECTIONS connections, request mix \`RequestMix.fifty\` ($MIX_TOTAL requests round-robin, $MIX_ALLOWED allowed) |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY CONNECTIONS=$CONNECTIONS benchmarks/run-load.sh\` ($ELAPSED s) |")
w("")
w(f"### Maximum throughput (rounds of ${DURATION} s, alternating, after ${WARMUP} s of warm-up each)")
w("")
w("| server | " + " | ".join(f"round {i + 1} rps" for i in range(len(noop_max))) + " | **median rps** | p50 / p99 ms (median) | CPU-s per 1,000 checks (median) | errors |")
w("|---|" + "---|" * len(noop_max) + "---|---|---|---|")
for name, rs in (("no-op", noop_max), ("Tollgate, fifty", tg_max)):
    w(f"| {name} | " + " | ".join(r[0] for r in rs) + f" | **{med(rs, 0):.0f}** | {med(rs, 1):.2f} / {med(rs, 2):.2f} | {med(rs, 4):.3f} | {errs(rs)} |")
w("")
tg_cpu = med(tg_max, 4)
w(f"Tollgate / no-op: **{ratio:.2f}** (issue floor 0.6: {'met' if ratio >= 0.6 else 'NOT met'}; comparison goal 0.8: "
  f"{'met' if ratio >= 0.8 else 'NOT met'}). Tollgate CPU per 1,000 checks: **{tg_cpu:.3f} s** (goal under 0.05: "
  f"{'met' if tg_cpu < 0.05 else 'NOT met'}); the no-op server's own: {med(noop_max, 4):.3f} s.")
w("")
w(f"### Fixed rate: $RATE rps (half the no-op median), rounds of ${DURATION} s, alternating")
w("")
w("| server | achieved rps (median) | **p50 ms** (median) | **p99 ms** (median) | p99 per round ms | errors |")
w("|---|---|---|---|---|---|")
for name, rs in (("no-op", noop_rate), ("Tollgate, fifty", tg_rate)):
    w(f"| {name} | {med(rs, 0):.0f} | **{med(rs, 1):.2f}** | **{med(rs, 2):.2f}** | " + ", ".join(r[2] for r in rs) + f" | {errs(rs)} |")
w("")
noop_p99 = med(noop_rate, 2)
w(f"Tollgate p99 at this rate: **{tg_p99:.2f} ms** (floor: under 2 ms: {'met' if tg_p99 < 2 else 'NOT met'}); "
  f"the no-op server's: {noop_p99:.2f} ms"
  + (" (above the floor as well, so this machine cannot show whether Tollgate meets it)." if noop_p99 >= 2 else "."))
load = $RATE / med(tg_max, 0)
w(f"The rate is {load:.0%} of Tollgate's own median maximum"
  + (", so its latencies include queueing." if load > 0.8 else "."))
w("")
w("### Heap of a fresh Tollgate (used after \`jcmd PID GC.run\`, from \`GC.heap_info\`)")
w("")
w("| checks decided | heap used MiB | heap committed MiB |")
w("|---|---|---|")
w(f"| 0 (after start) | {h0_used} | {h1_comm} |")
w(f"| {int('$HEAP_N1'):,} | {h1_used} | {h1_comm} |")
w(f"| {int('$HEAP_N2'):,} | {h2_used} | {h2_comm} |")
w("")
share = allowed / max(checks, 1)
w(f"Decisions during the throughput and fixed-rate runs: {checks:,}, allowed {share:.1%} "
  f"(the mix allows {expected:.1%}); handler failures in all Tollgate runs: {failures}.")
wrong = abs(share - expected) > 0.01 or failures > 0
if wrong:
    w("")
    w("**Tollgate's decisions do not match the request mix: these figures do not measure the intended policy.**")
w("<!-- load-results:end -->")
print("\n".join(out))
sys.exit(3 if wrong else 0)
PY
log "done in ${ELAPSED}s; results in $RESULTS"
