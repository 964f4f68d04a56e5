#!/usr/bin/env bash
# The Rego path, measured against the same policy in YAML/CEL, on 127.0.0.1 with ghz:
#   shop-cel          policies/shop-cel: the shop policy as one YAML/CEL rule
#   shop-rego         policies/shop-rego: the same policy as OPA-Envoy Rego, decided by a real OPA
#                     that Tollgate runs (no cache)
#   shop-rego-cached  the Rego policy through a rego handler with a decision cache
# Each is its own Tollgate JVM (same flags); the request stream is RequestMix.shop (24 requests,
# 13 allowed, 4 with a query parameter that changes per request, so the cache cannot answer all). Phases: a
# warm-up of each, then rounds alternating the three at fixed concurrency. Reports rps, p50, p99,
# the OPA round trip per query (from Tollgate's tollgate_opa_query_duration_seconds), the cache
# hit rate, and handler failures. Writes the Rego section of benchmarks/RESULTS.md and prints it.
#
# Needs: benchmarks/target/benchmarks.jar, policy-server/target/tollgate.jar, ghz, and opa on the
# PATH or in ~/go/bin (scripts/install-test-peers installs it).
# Environment: ROUNDS (3), DURATION (15 s), WARMUP (30 s), CONCURRENCY (32), CONNECTIONS (2),
# REGO_TIMEOUT (the rego handlers' deadline, 250ms: a saturated 2-CPU machine shared by three JVMs,
# OPA and ghz misses the 5 ms default now and then; failures are counted and reported).
set -euo pipefail
NAME=run-rego
source "$(dirname "${BASH_SOURCE[0]}")/load-common.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-30}
CONCURRENCY=${CONCURRENCY:-32}
CONNECTIONS=${CONNECTIONS:-2}
REGO_TIMEOUT=${REGO_TIMEOUT:-250ms}
OUT=$HERE/target/rego
OPA=$(command -v opa || echo "$HOME/go/bin/opa")
[[ -x $OPA ]] || die "opa not found; install: go install github.com/open-policy-agent/opa@v1.22.2 (scripts/install-test-peers)"
export PATH="$(dirname "$OPA"):$PATH"

rm -rf "$OUT"
mkdir -p "$OUT"
mark_start
java -cp "$BENCH_JAR" io.tollgate.benchmarks.LoadInputs "$OUT"
MIX_TOTAL=$(wc -l <"$OUT/shop-cel.mix")
MIX_ALLOWED=$(grep -c '^200 ' "$OUT/shop-cel.mix")

SERVERS=(shop-cel shop-rego shop-rego-cached)
declare -A PORT ADMIN PID
for s in "${SERVERS[@]}"; do
  dir=$OUT/policy-$s
  mkdir -p "$dir"
  cp -r "$HERE/src/main/resources/policies/$s/." "$dir/"
  start_tollgate "$s" "$dir" --rego-timeout "$REGO_TIMEOUT"
  PORT[$s]=$TG_PORT
  ADMIN[$s]=$TG_ADMIN
  PID[$s]=$TG_PID
  wait_ready "$TG_ADMIN"
  log "$s on :$TG_PORT, admin :$TG_ADMIN (pid $TG_PID)"
done

for s in "${SERVERS[@]}"; do
  log "warm-up $s: ${WARMUP}s"
  ghz_run "${PORT[$s]}" "$OUT/shop-cel.json" "$OUT/warmup-$s.json" $((WARMUP + 60)) \
    -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
done
declare -A OPA_N0 OPA_S0 HITS0 MISSES0
for s in "${SERVERS[@]}"; do
  read -r OPA_N0[$s] OPA_S0[$s] HITS0[$s] MISSES0[$s] < <(opa_stats "${ADMIN[$s]}")
done

declare -A ROWS
for ((r = 1; r <= ROUNDS; r++)); do
  for s in "${SERVERS[@]}"; do
    f=$OUT/max-$s-$r.json
    ghz_run "${PORT[$s]}" "$OUT/shop-cel.json" "$f" $((DURATION + 60)) \
      -z "${DURATION}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    read -r rps p50 p99 count errors < <(summary "$f")
    log "round $r $s: $rps rps (p50 $p50 ms, p99 $p99 ms, $count calls, $errors errors)"
    ROWS[$s]="${ROWS[$s]:-} $rps|$p50|$p99|$errors"
  done
done

declare -A STATS
for s in "${SERVERS[@]}"; do
  read -r n sum hits misses < <(opa_stats "${ADMIN[$s]}")
  read -r checks allowed < <(checks "${ADMIN[$s]}")
  STATS[$s]="$((n - OPA_N0[$s]))|$(python3 -c "print($sum - ${OPA_S0[$s]})")|$((hits - HITS0[$s]))|$((misses - MISSES0[$s]))|$checks|$allowed|$(handler_failures "${ADMIN[$s]}")"
  stop "${PID[$s]}"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

python3 - <<PY | write_results
import sys
from statistics import median
servers = "${SERVERS[*]}".split()
rows = {s: [r.split("|") for r in v.split()] for s, v in zip(servers, ["${ROWS[shop-cel]}", "${ROWS[shop-rego]}", "${ROWS[shop-rego-cached]}"])}
stats = {s: v.split("|") for s, v in zip(servers, ["${STATS[shop-cel]}", "${STATS[shop-rego]}", "${STATS[shop-rego-cached]}"])}
def med(s, i): return median(float(r[i]) for r in rows[s])
labels = {"shop-cel": "YAML/CEL", "shop-rego": "Rego via OPA", "shop-rego-cached": "Rego via OPA, decision cache"}
expected = $MIX_ALLOWED / $MIX_TOTAL
out = []
w = out.append
w("<!-- rego-results:begin (written by benchmarks/run-rego.sh; edits between these markers are replaced) -->")
w("## Rego through OPA against the same policy in YAML/CEL")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GiB memory; load average before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| OPA | $("$OPA" version | head -1), run by Tollgate (one per Rego server) |")
w("| ghz | $CONCURRENCY workers on $CONNECTIONS connections, \`RequestMix.shop\` ($MIX_TOTAL requests round-robin, $MIX_ALLOWED allowed) |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP REGO_TIMEOUT=$REGO_TIMEOUT benchmarks/run-rego.sh\` ($ELAPSED s) |")
w("")
w("| policy | " + " | ".join(f"round {i + 1} rps" for i in range($ROUNDS)) + " | **median rps** | p50 / p99 ms (median) | vs YAML/CEL | OPA round trip per query, mean µs | cache hit rate | handler failures | allowed |")
w("|---|" + "---|" * $ROUNDS + "---|---|---|---|---|---|---|")
base = med("shop-cel", 0)
for s in servers:
    n, total, hits, misses, checks, allowed, failures = stats[s]
    n, total, hits, misses = int(n), float(total), int(hits), int(misses)
    rt = f"{total / n * 1e6:.0f}" if n else "—"
    hr = f"{hits / (hits + misses):.0%}" if hits + misses else "—"
    share = int(allowed) / max(int(checks), 1)
    w(f"| {labels[s]} | " + " | ".join(r[0] for r in rows[s]) + f" | **{med(s, 0):.0f}** | {med(s, 1):.2f} / {med(s, 2):.2f} | {med(s, 0) / base:.2f} | {rt} | {hr} | {failures} | {share:.1%} (mix {expected:.1%}) |")
w("")
w("The OPA round trip is Tollgate's own measure of each query it sent (HTTP to OPA on 127.0.0.1 and")
w("OPA's evaluation), during the measured rounds; the cache answers without one.")
w("<!-- rego-results:end -->")
print("\n".join(out))
PY
