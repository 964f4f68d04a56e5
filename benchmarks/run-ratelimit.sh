#!/usr/bin/env bash
# Rate-limit load runs with ghz (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit), every
# server its own JVM on 127.0.0.1, started (and stopped) by this script:
#   noop      io.tollgate.benchmarks.NoopAuthzServer: answers every call OK (the ceiling)
#   strict    tollgate.jar serve with policies/ratelimit (one per-tenant limit, strict mode)
#   fast      tollgate.jar serve with policies/ratelimit-fast (the same limit in fast mode)
#   3 nodes   three strict servers forming one quota cluster, each loaded by its own ghz
# The request stream cycles over 10,000 tenants (LoadInputs). Phases:
#   1. warm-up of each single server;
#   2. maximum throughput: rounds alternating noop / strict / fast at fixed concurrency; median rps,
#      p50 and p99 each;
#   3. three nodes: rounds of three ghz runs at once, one per node; summed rps, median p99;
#   4. memory: QuotaMemory, one member spending from 1M distinct keys (heap per million buckets and
#      new keys per second), and a member capped at 100k buckets taking the same flood.
# Writes the rate-limit section of benchmarks/RESULTS.md and prints it. Every run is bounded.
#
# Needs: benchmarks/target/benchmarks.jar and policy-server/target/tollgate.jar (build first),
# ghz (PATH, $GHZ or ~/go/bin/ghz), python3, jcmd, curl.
# Settings can be overridden from the environment, e.g. ROUNDS=5 DURATION=30 ./run-ratelimit.sh
set -euo pipefail

NAME=run-ratelimit
CALL=envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit
source "$(dirname "${BASH_SOURCE[0]}")/load-common.sh"

OUT=$HERE/target/ratelimit
PROTOSET=$OUT/ratelimit.protoset
DATA=$OUT/ratelimit.json
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-30}
CONCURRENCY=${CONCURRENCY:-32}
CONNECTIONS=${CONNECTIONS:-2}
MEMORY_KEYS=${MEMORY_KEYS:-1000000}
MEMORY_CAP=${MEMORY_CAP:-100000}

rm -rf "$OUT"
mkdir -p "$OUT"
mark_start

log "writing ghz inputs to $OUT"
java -cp "$BENCH_JAR" io.tollgate.benchmarks.LoadInputs "$OUT"
POLICIES=$HERE/src/main/resources/policies
QPORT=$((20000 + RANDOM % 20000))

log "starting the no-op server and tollgate strict and fast"
start_noop noop
start_tollgate strict "$POLICIES/ratelimit" --quota-cluster-name bench-strict --quota-port "$QPORT"
STRICT_PID=$TG_PID STRICT_PORT=$TG_PORT STRICT_ADMIN=$TG_ADMIN
start_tollgate fast "$POLICIES/ratelimit-fast" --quota-cluster-name bench-fast --quota-port $((QPORT + 30))
FAST_PID=$TG_PID FAST_PORT=$TG_PORT FAST_ADMIN=$TG_ADMIN
wait_ready "$STRICT_ADMIN"
wait_ready "$FAST_ADMIN"

BOUND=$((DURATION + 60))
for who in noop strict fast; do
  port_var=${who^^}_PORT
  [[ $who == noop ]] && port_var=NOOP_PORT
  log "warm-up $who: ${WARMUP}s"
  ghz_run "${!port_var}" "$DATA" "$OUT/warmup-$who.json" $((WARMUP + 60)) -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
done

declare -a ROWS=()
for ((r = 1; r <= ROUNDS; r++)); do
  for who in noop strict fast; do
    port_var=${who^^}_PORT
    [[ $who == noop ]] && port_var=NOOP_PORT
    f=$OUT/max-$who-$r.json
    ghz_run "${!port_var}" "$DATA" "$f" "$BOUND" -z "${DURATION}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    read -r rps p50 p99 count errors < <(summary "$f")
    log "round $r $who: $rps rps, p50 $p50 ms, p99 $p99 ms ($count calls, $errors errors)"
    ROWS+=("$who|$rps|$p50|$p99|$errors")
  done
done
decisions() {  # ADMIN_PORT -> "admitted rejected failed"
  printf '%.0f %.0f %.0f\n' "$(metric_sum "$1" 'tollgate_ratelimit_decisions_total\{.*result="admitted".*\}')" \
    "$(metric_sum "$1" 'tollgate_ratelimit_decisions_total\{.*result="rejected".*\}')" \
    "$(metric_sum "$1" 'tollgate_ratelimit_failures_total(\{.*\})?')"
}
read -r STRICT_ADMITTED STRICT_REJECTED STRICT_FAILED < <(decisions "$STRICT_ADMIN")
read -r FAST_ADMITTED FAST_REJECTED FAST_FAILED < <(decisions "$FAST_ADMIN")
STRICT_HEAP=$(heap_used "$STRICT_PID")
log "strict: $STRICT_ADMITTED admitted, $STRICT_REJECTED rejected, $STRICT_FAILED failed; heap $STRICT_HEAP"
log "fast: $FAST_ADMITTED admitted, $FAST_REJECTED rejected, $FAST_FAILED failed"
stop "$NOOP_PID"
stop "$STRICT_PID"
stop "$FAST_PID"

log "three strict nodes in one quota cluster"
P3=$((QPORT + 60))
MEMBERS="127.0.0.1:$P3,127.0.0.1:$((P3 + 1)),127.0.0.1:$((P3 + 2))"
declare -a NODE_PORTS=() NODE_ADMINS=()
for i in 0 1 2; do
  start_tollgate "node$i" "$POLICIES/ratelimit" --quota-cluster-name bench-three --quota-port $((P3 + i)) --quota-members "$MEMBERS"
  NODE_PORTS+=("$TG_PORT")
  NODE_ADMINS+=("$TG_ADMIN")
done
for a in "${NODE_ADMINS[@]}"; do wait_ready "$a"; done
for ((i = 0; i < 600; i++)); do
  [[ $(metric_sum "${NODE_ADMINS[0]}" 'tollgate_quota_cluster_members') == 3 ]] && break
  sleep 0.1
done
[[ $(metric_sum "${NODE_ADMINS[0]}" 'tollgate_quota_cluster_members') == 3 ]] || die "the three nodes did not form one cluster"
PER_NODE=$(( (CONCURRENCY + 2) / 3 ))
# Three ghz at once; wait for those only (the servers are background jobs too).
three_ghz() {  # PREFIX SECONDS-BOUND ARGS...
  local prefix=$1 bound=$2 i pids=()
  shift 2
  for i in 0 1 2; do
    ghz_run "${NODE_PORTS[$i]}" "$DATA" "$prefix-$i.json" "$bound" "$@" -c "$PER_NODE" --connections 1 &
    pids+=($!)
  done
  for i in 0 1 2; do wait "${pids[$i]}" || die "ghz against node $i failed"; done
}
three_ghz "$OUT/warmup-node" $((WARMUP + 60)) -z "${WARMUP}s"
declare -a THREE_ROWS=()
for ((r = 1; r <= ROUNDS; r++)); do
  three_ghz "$OUT/three-$r" "$BOUND" -z "${DURATION}s"
  row=$(python3 - "$OUT/three-$r-0.json" "$OUT/three-$r-1.json" "$OUT/three-$r-2.json" <<'PY'
import json, sys
from statistics import median
rs = [json.load(open(f)) for f in sys.argv[1:]]
p = lambda r, q: {round(d["percentage"]): d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}.get(q, float("nan"))
errors = sum(sum((r.get("errorDistribution") or {}).values()) for r in rs)
print(f'{sum(r["rps"] for r in rs):.0f}|{median(p(r, 50) for r in rs):.3f}|{median(p(r, 99) for r in rs):.3f}|{errors}')
PY
)
  log "three nodes round $r: rps|p50|p99|errors $row"
  THREE_ROWS+=("$row")
done
THREE_FAILED=0
for a in "${NODE_ADMINS[@]}"; do
  THREE_FAILED=$((THREE_FAILED + $(printf '%.0f' "$(metric_sum "$a" 'tollgate_ratelimit_failures_total(\{.*\})?')")))
done
for pid in "${PIDS[@]}"; do stop "$pid"; done

log "memory: $MEMORY_KEYS distinct keys, then the same against a cap of $MEMORY_CAP buckets"
MEMORY=$(timeout 900 java -Xms4g -Xmx4g -XX:+UseG1GC -cp "$BENCH_JAR" io.tollgate.benchmarks.QuotaMemory \
  --keys "$MEMORY_KEYS" --cap "$MEMORY_CAP" 2>"$OUT/memory.log" | grep '^phase=' || true)
[[ -n $MEMORY ]] || { cat "$OUT/memory.log" >&2; die "QuotaMemory printed nothing"; }
log "$MEMORY"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

python3 - <<PY | write_results
import sys
from statistics import median

rows = [r.split("|") for r in """${ROWS[*]}""".split()]
three = [r.split("|") for r in """${THREE_ROWS[*]}""".split()]
memory = [dict(kv.split("=", 1) for kv in line.split()) for line in """$MEMORY""".splitlines()]
def by(who): return [r for r in rows if r[0] == who]
def med(rs, i): return median(float(r[i]) for r in rs)
noop = med(by("noop"), 1)

out = []
w = out.append
w("<!-- ratelimit-results:begin (written by benchmarks/run-ratelimit.sh; edits between these markers are replaced) -->")
w("## Rate limits: ghz against the no-op server and Tollgate (ShouldRateLimit)")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| JVM flags (every server) | \`$JVM_OPTS\` |")
w("| requests | domain \`bench\`, one descriptor \`tenant=t<i>\` cycling over 10,000 tenants; limit 10 per minute per tenant (\`policies/ratelimit\`, \`policies/ratelimit-fast\`) |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CONCURRENCY=$CONCURRENCY CONNECTIONS=$CONNECTIONS benchmarks/run-ratelimit.sh\` ($ELAPSED s) |")
w("")
w(f"### One node, maximum throughput ($CONCURRENCY ghz workers on $CONNECTIONS connections, rounds of ${DURATION} s alternating)")
w("")
w("| server | " + " | ".join(f"round {i + 1} rps" for i in range(len(by("noop")))) + " | **median rps** | ratio to no-op | p50 / p99 ms (median) | errors |")
w("|---|" + "---|" * len(by("noop")) + "---|---|---|---|")
for who, name in (("noop", "no-op"), ("strict", "Tollgate, strict"), ("fast", "Tollgate, fast")):
    rs = by(who)
    w(f"| {name} | " + " | ".join(r[1] for r in rs) + f" | **{med(rs, 1):.0f}** | {med(rs, 1) / noop:.2f} | {med(rs, 2):.2f} / {med(rs, 3):.2f} | {sum(int(r[4]) for r in rs)} |")
strict_ratio = med(by("strict"), 1) / noop
w("")
w(f"Strict / no-op: **{strict_ratio:.2f}** (issue floor 0.5: {'met' if strict_ratio >= 0.5 else 'NOT met'}). "
  f"Decisions during these runs: strict $STRICT_ADMITTED admitted, $STRICT_REJECTED refused, $STRICT_FAILED failed; "
  f"fast $FAST_ADMITTED admitted, $FAST_REJECTED refused, $FAST_FAILED failed. Heap of the strict server afterwards "
  f"(used / committed MiB after a full GC): $STRICT_HEAP.")
w("")
w(f"### Three strict nodes in one quota cluster (one ghz per node, {int('$PER_NODE')} workers each, at once)")
w("")
w("| round | total rps | p50 ms (median of nodes) | p99 ms (median of nodes) | errors |")
w("|---|---|---|---|---|")
for i, r in enumerate(three):
    w(f"| {i + 1} | {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
w(f"| **median** | **{med(three, 0):.0f}** | {med(three, 1):.2f} | {med(three, 2):.2f} | |")
w("")
w(f"Three JVMs and three load generators share this machine's $(nproc) CPUs, so the total is not three nodes' worth; "
  f"it shows what a hit costs when two thirds of the buckets live on another member. Cluster failures: $THREE_FAILED.")
w("")
w("### Memory per million active keys (QuotaMemory: one embedded member, 1 hit per distinct key, heap after a full GC)")
w("")
w("| member | keys sent | buckets held | new keys per second | heap held by buckets | per bucket | **per million buckets** |")
w("|---|---|---|---|---|---|---|")
for m in memory:
    held = float(m["heap_after_mib"]) - float(m["heap_member_mib"])
    w(f"| {m['phase']} (cap {int(m['cap']):,}) | {int(m['keys']):,} | {int(m['buckets']):,} | {float(m['keys_per_second']):,.0f} "
      f"| {held:.0f} MiB | {float(m['bytes_per_bucket']):.0f} B | **{float(m['mib_per_million']):.0f} MiB** |")
w("")
w("In a cluster each bucket also has one backup on another member, so the cluster holds twice this per key. "
  "The capped member shows the bound: it keeps at most its cap and drops the least recently used.")
w("<!-- ratelimit-results:end -->")
print("\n".join(out))
PY
log "done in ${ELAPSED}s; results in $RESULTS"
