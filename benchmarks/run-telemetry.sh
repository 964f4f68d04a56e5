#!/usr/bin/env bash
# Telemetry load runs: Envoy's gRPC access log into Tollgate's report rules, and what it costs the
# check path. One Tollgate JVM (policies/fifty plus policies/telemetry: three Prometheus metrics and
# a JSON access log per entry), started and stopped by this script. Phases:
#   1. warm-up: checks (ghz) and access-log entries (AlsLoad);
#   2. ingestion: AlsLoad as fast as the stream goes, ROUNDS times; entries processed per second by
#      the report workers (tollgate_report_duration_seconds_count) and entries dropped;
#   3. check p99 at a fixed rate (CHECK_RATE), alone, with a concurrent access-log stream at the same
#      rate (one entry per checked request, as a mesh sends), and with one at ALS_RATE (default:
#      80% of the median ingestion rate); rounds alternating; median p50 / p99.
# Writes the telemetry section of benchmarks/RESULTS.md and prints it. Every run is bounded.
#
# Needs: benchmarks/target/benchmarks.jar and policy-server/target/tollgate.jar (build first),
# ghz, python3, jcmd, curl.
set -euo pipefail

NAME=run-telemetry
source "$(dirname "${BASH_SOURCE[0]}")/load-common.sh"

OUT=$HERE/target/telemetry
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-30}
CONCURRENCY=${CONCURRENCY:-32}
CONNECTIONS=${CONNECTIONS:-2}
CHECK_RATE=${CHECK_RATE:-2000}
BATCH=${BATCH:-50}

rm -rf "$OUT"
mkdir -p "$OUT/policy"
mark_start
cp -r "$HERE/src/main/resources/policies/fifty/." "$OUT/policy/"
cp "$HERE/src/main/resources/policies/telemetry/telemetry.yaml" "$OUT/policy/"

log "writing ghz inputs to $OUT"
java -cp "$BENCH_JAR" io.tollgate.benchmarks.LoadInputs "$OUT"
start_tollgate tollgate "$OUT/policy"
wait_ready "$TG_ADMIN"
log "tollgate on :$TG_PORT, admin :$TG_ADMIN (pid $TG_PID)"

als() {  # SECONDS RATE -> "sent seconds"
  timeout --kill-after=10 $(($1 + 90)) $CLIENT_PIN java -cp "$BENCH_JAR" io.tollgate.benchmarks.AlsLoad \
    --port "$TG_PORT" --seconds "$1" --rate "$2" --batch "$BATCH" | sed -n 's/^sent=\([0-9]*\) seconds=\([0-9.]*\)$/\1 \2/p'
}
processed() { printf '%.0f\n' "$(metric_sum "$TG_ADMIN" 'tollgate_report_duration_seconds_count')"; }
dropped() { printf '%.0f\n' "$(metric_sum "$TG_ADMIN" 'tollgate_report_entries_total\{result="dropped"\}')"; }
drain() {  # until the report queue is empty (at most 120 s)
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ $(metric_sum "$TG_ADMIN" 'tollgate_report_queue_entries') == 0 ]] && return 0
    sleep 0.1
  done
  die "the report queue did not drain within 120 s"
}

log "warm-up: ${WARMUP}s of checks, then ${WARMUP}s of access logs"
ghz_run "$TG_PORT" "$OUT/fifty.json" "$OUT/warmup.json" $((WARMUP + 60)) -z "${WARMUP}s" -c "$CONCURRENCY" --connections "$CONNECTIONS"
als "$WARMUP" 0 >/dev/null
drain

declare -a INGEST_ROWS=()
for ((r = 1; r <= ROUNDS; r++)); do
  p0=$(processed); d0=$(dropped); t0=$(date +%s.%N)
  read -r sent secs < <(als "$DURATION" 0)
  drain
  t1=$(date +%s.%N); p1=$(processed); d1=$(dropped)
  row=$(python3 -c "print(f'{($p1 - $p0) / ($t1 - $t0):.0f}|{$sent / $secs:.0f}|{$d1 - $d0}|$sent')")
  log "ingestion round $r: processed/s|sent/s|dropped|sent $row"
  INGEST_ROWS+=("$row")
done
ALS_RATE=${ALS_RATE:-$(python3 -c "
from statistics import median
print(int(0.8 * median(float(r.split('|')[0]) for r in '''${INGEST_ROWS[*]}'''.split())))")}
log "check p99 at $CHECK_RATE rps, alone and with access logs at $ALS_RATE entries/s"

declare -a CHECK_ROWS=()
BOUND=$((DURATION + 60))
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in alone matched heavy; do
    f=$OUT/check-$mode-$r.json
    if [[ $mode != alone ]]; then
      rate=$CHECK_RATE
      [[ $mode == heavy ]] && rate=$ALS_RATE
      als $((DURATION + 4)) "$rate" >"$OUT/als-$mode-$r.txt" &
      als_pid=$!
      sleep 2
    fi
    p0=$(processed)
    ghz_run "$TG_PORT" "$OUT/fifty.json" "$f" "$BOUND" -z "${DURATION}s" --rps "$CHECK_RATE" -c "$CONCURRENCY" --connections "$CONNECTIONS"
    p1=$(processed)
    if [[ $mode != alone ]]; then
      wait "$als_pid" || die "AlsLoad failed"
    fi
    drain
    read -r rps p50 p99 count errors < <(summary "$f")
    als_rate=$(python3 -c "print(f'{($p1 - $p0) / $DURATION:.0f}')")
    log "round $r $mode: $rps rps, p50 $p50 ms, p99 $p99 ms, $errors errors; reports processed $als_rate/s"
    CHECK_ROWS+=("$mode|$rps|$p50|$p99|$errors|$als_rate")
  done
done
LINES=$(wc -l <"$OUT/policy/logs/access.jsonl")
FAILURES=$(handler_failures "$TG_ADMIN")
HEAP=$(heap_used "$TG_PID")
stop "$TG_PID"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

python3 - <<PY | write_results
import sys
from statistics import median
ingest = [r.split("|") for r in """${INGEST_ROWS[*]}""".split()]
checks = [r.split("|") for r in """${CHECK_ROWS[*]}""".split()]
def med(rs, i): return median(float(r[i]) for r in rs)
alone = [r for r in checks if r[0] == "alone"]
matched = [r for r in checks if r[0] == "matched"]
heavy = [r for r in checks if r[0] == "heavy"]
out = []
w = out.append
w("<!-- telemetry-results:begin (written by benchmarks/run-telemetry.sh; edits between these markers are replaced) -->")
w("## Telemetry: Envoy's access log into report rules, and the check path beside it")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| JVM flags | \`$JVM_OPTS\`, report queue 10,000, 2 report workers |")
w("| policy | \`policies/fifty\` for checks plus \`policies/telemetry\`: per entry three Prometheus metrics (a counter with 4 labels, two histograms) and one JSON access-log line to a file |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CHECK_RATE=$CHECK_RATE BATCH=$BATCH benchmarks/run-telemetry.sh\` ($ELAPSED s) |")
w("")
w(f"### Ingestion (AlsLoad: one stream, {int('$BATCH')} entries per message, as fast as flow control allows, ${DURATION} s)")
w("")
w("| round | entries processed per second | entries sent per second | dropped (queue full) |")
w("|---|---|---|---|")
for i, r in enumerate(ingest):
    w(f"| {i + 1} | {r[0]} | {r[1]} | {r[2]} |")
w(f"| **median** | **{med(ingest, 0):.0f}** | {med(ingest, 1):.0f} | |")
w("")
w(f"### Check latency at {int('$CHECK_RATE'):,} checks/s: alone, with access logs at the same rate, and at {int('$ALS_RATE'):,} entries/s (rounds of ${DURATION} s, alternating)")
w("")
w("| | achieved rps | p50 ms (median) | **p99 ms** (median) | p99 per round | reports processed/s | errors |")
w("|---|---|---|---|---|---|---|")
for name, rs in (("checks alone", alone), ("with access logs at the check rate", matched),
                 (f"with access logs at {int('$ALS_RATE'):,}/s", heavy)):
    w(f"| {name} | {med(rs, 1):.0f} | {med(rs, 2):.2f} | **{med(rs, 3):.2f}** | " + ", ".join(r[3] for r in rs) + f" | {med(rs, 5):.0f} | {sum(int(r[4]) for r in rs)} |")
slow = med(matched, 3) / med(alone, 3) - 1
heavy_ratio = med(heavy, 3) / med(alone, 3)
w("")
w(f"p99 with access logs at the check rate / alone: **{1 + slow:.2f}** (issue goal: at most 1.10: {'met' if slow <= 0.10 else 'NOT met'}); "
  f"at {int('$ALS_RATE'):,} entries/s: **{heavy_ratio:.2f}**. "
  f"Access-log lines written: $LINES; handler failures: $FAILURES; heap after the runs (used / committed MiB): $HEAP.")
w("<!-- telemetry-results:end -->")
print("\n".join(out))
PY
log "done in ${ELAPSED}s; results in $RESULTS"
