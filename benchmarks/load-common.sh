# Shared by the load scripts (run-load.sh, run-rego.sh, ...); sourced, not run. Set NAME first, and
# LOAD_TOOL=vegeta where the script loads with Vegeta rather than ghz (run-envoy.sh), or
# LOAD_TOOL=maven where an integration test run by Maven makes the load (run-soak.sh, run-faults.sh).
# Defines the paths, the JVM flags, and functions to start, wait for, load and stop servers, all
# bounded in time; servers started here are stopped on exit.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BENCH_JAR=$HERE/target/benchmarks.jar
TOLLGATE_JAR=${TOLLGATE_JAR:-$ROOT/policy-server/target/tollgate.jar}
RESULTS=${RESULTS:-$HERE/RESULTS.md}   # each script replaces its own section of this file
JVM_OPTS=${JVM_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
TOLLGATE_JVM_OPTS=${TOLLGATE_JVM_OPTS:-}            # extra flags for the Tollgate JVM only (e.g. a JFR recording)
GHZ=${GHZ:-$(command -v ghz || echo "$HOME/go/bin/ghz")}
VEGETA=${VEGETA:-$(command -v vegeta || echo "$HOME/go/bin/vegeta")}
LOAD_TOOL=${LOAD_TOOL:-ghz}
CALL=${CALL:-envoy.service.auth.v3.Authorization/Check}
# Optional CPU sets (taskset -c syntax) to keep the servers and the load generator apart, so the
# client's own work does not show up as server latency: e.g. SERVER_CPUS=0 CLIENT_CPUS=1.
SERVER_CPUS=${SERVER_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-}
on_cpus() { if [[ -n $1 ]]; then echo "taskset -c $1"; fi; }
SERVER_PIN=$(on_cpus "$SERVER_CPUS")
CLIENT_PIN=$(on_cpus "$CLIENT_CPUS")

die() { echo "$NAME: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# LOAD_TOOL=maven: the load runs inside an integration test that Maven builds and runs (run-soak.sh,
# run-faults.sh), which needs neither jar built beforehand nor a load generator of its own.
if [[ $LOAD_TOOL != maven ]]; then
  [[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR; build: mvn -B -ntp package -pl benchmarks"
  [[ -f $TOLLGATE_JAR ]] || die "missing $TOLLGATE_JAR; build: mvn -B -ntp -DskipTests package"
fi
if [[ $LOAD_TOOL == vegeta ]]; then
  [[ -x $VEGETA ]] || die "vegeta not found (set VEGETA); install: benchmarks/install-peers.sh vegeta"
elif [[ $LOAD_TOOL != maven ]]; then
  [[ -x $GHZ ]] || die "ghz not found (set GHZ); install: go install github.com/bojand/ghz/cmd/ghz@v0.120.0"
fi
for tool in java jcmd python3 curl timeout; do
  command -v "$tool" >/dev/null || die "$tool is not on the PATH"
done

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # JVMs stop within seconds on SIGTERM; force the stragglers.
    timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() {  # stop one server started by this script
  local pid=$1 p keep=()
  kill "$pid" 2>/dev/null || true
  timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN (at most 90 s).
wait_line() {
  local file=$1 pattern=$2 pid=$3 i
  for ((i = 0; i < 900; i++)); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; die "server exited before it listened (log: $file)"; }
    sleep 0.1
  done
  cat "$file" >&2
  die "server did not listen within 90 s (log: $file)"
}

# wait_ready ADMIN_PORT: until /readyz answers 200 (at most 60 s).
wait_ready() {
  local i
  for ((i = 0; i < 600; i++)); do
    curl -sf --max-time 2 "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  die "server on admin port $1 not ready within 60 s: $(curl -s --max-time 2 "http://127.0.0.1:$1/readyz")"
}

# free_port: a port nobody listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_noop NAME: sets NOOP_PID, NOOP_PORT (NOOP_GRPC_PORT, if set, is the port to listen on)
start_noop() {
  local log=$OUT/$1.log
  # shellcheck disable=SC2086
  $SERVER_PIN java $JVM_OPTS -cp "$BENCH_JAR" io.tollgate.benchmarks.NoopAuthzServer --port "${NOOP_GRPC_PORT:-0}" >"$log" 2>&1 &
  NOOP_PID=$!
  PIDS+=("$NOOP_PID")
  wait_line "$log" "noop authz serving:" "$NOOP_PID"
  NOOP_PORT=$(sed -n 's/.*noop authz serving: grpc 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
}

# start_tollgate NAME POLICY_DIR [SERVE_ARGS...]: sets TG_PID, TG_PORT, TG_ADMIN (TG_GRPC_PORT, if set,
# is the gRPC port to listen on)
start_tollgate() {
  local log=$OUT/$1.log policy=$2
  shift 2
  # shellcheck disable=SC2086
  $SERVER_PIN java $JVM_OPTS $TOLLGATE_JVM_OPTS -jar "$TOLLGATE_JAR" serve --policy "$policy" --grpc-port "${TG_GRPC_PORT:-0}" --http-port -1 --admin-port 0 \
    --decision-log off --reload-interval 0s "$@" >"$log" 2>&1 &
  TG_PID=$!
  PIDS+=("$TG_PID")
  wait_line "$log" "tollgate serving:" "$TG_PID"
  TG_PORT=$(sed -n 's/.*tollgate serving: grpc 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  TG_ADMIN=$(sed -n 's/.*tollgate serving:.* admin 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
}

# ghz_run PORT DATA_FILE OUTFILE SECONDS-BOUND ARGS...: one bounded ghz run, JSON report in OUTFILE.
ghz_run() {
  local port=$1 data=$2 out=$3 bound=$4
  shift 4
  timeout --kill-after=10 "$bound" $CLIENT_PIN "$GHZ" --insecure --protoset "${PROTOSET:-$OUT/authz.protoset}" --call "$CALL" \
    --data-file "$data" --duration-stop wait --format json --output "$out" "$@" "127.0.0.1:$port" \
    || die "ghz failed or overran ${bound}s ($out)"
}

# summary FILE: "rps p50_ms p99_ms count errors" of a ghz JSON report.
summary() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = {round(d["percentage"]): d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}
errors = sum((r.get("errorDistribution") or {}).values())
print(f'{r["rps"]:.0f} {lat.get(50, float("nan")):.3f} {lat.get(99, float("nan")):.3f} {r["count"]} {errors}')
PY
}

# heap_used PID: "used_mib committed_mib" of the Java heap after a full GC.
heap_used() {
  jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | python3 -c '
import re, sys
m = re.search(r"heap\s+total (\d+)K, used (\d+)K", sys.stdin.read())
print(f"{int(m.group(2)) / 1024:.1f} {int(m.group(1)) / 1024:.0f}" if m else "nan nan")'
}

# metric_sum ADMIN_PORT REGEX: the sum of the samples whose name and labels match REGEX.
metric_sum() {
  curl -sf --max-time 10 "http://127.0.0.1:$1/metrics" | python3 -c '
import re, sys
pattern = re.compile(sys.argv[1])
total = 0.0
for line in sys.stdin:
    if line.startswith("#"):
        continue
    name, _, value = line.rstrip().rpartition(" ")
    if pattern.fullmatch(name):
        total += float(value)
print(f"{total:.9g}")' "$2"
}

# checks ADMIN_PORT: "total allowed" checks decided over gRPC.
checks() {
  printf '%.0f %.0f\n' "$(metric_sum "$1" 'tollgate_checks_total\{.*transport="grpc".*\}')" \
    "$(metric_sum "$1" 'tollgate_checks_total\{decision="allow".*transport="grpc".*\}')"
}

handler_failures() {
  printf '%.0f\n' "$(metric_sum "$1" 'tollgate_handler_failures_total(\{.*\})?')"
}

# opa_stats ADMIN_PORT: "queries seconds cache_hits cache_misses" so far.
opa_stats() {
  printf '%.0f %s %.0f %.0f\n' \
    "$(metric_sum "$1" 'tollgate_opa_query_duration_seconds_count(\{.*\})?')" \
    "$(metric_sum "$1" 'tollgate_opa_query_duration_seconds_sum(\{.*\})?')" \
    "$(metric_sum "$1" 'tollgate_decision_cache_hits_total(\{.*\})?')" \
    "$(metric_sum "$1" 'tollgate_decision_cache_misses_total(\{.*\})?')"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# cpu_seconds PID...: user + system CPU seconds the processes have used so far.
cpu_seconds() {
  python3 - "$@" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for pid in sys.argv[1:]:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    total += int(fields[11]) + int(fields[12])  # utime, stime
print(f"{total / tick:.2f}")
PY
}

# mark_start: when the run started and the machine's load then (STARTED, LOAD_BEFORE, T0), for
# the results header.
mark_start() {
  STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  T0=$SECONDS
}

# machine: CPUs and their model, memory and kernel, for the results header.
machine() {
  echo "$(nproc) CPUs ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory, $(uname -sr)"
}

# write_results: reads a results section (from its "<!-- NAME:begin" line to "<!-- NAME:end -->")
# on standard input, puts it in place of the same section of RESULTS (or at its end), and prints it.
write_results() {
  python3 -c '
import sys
section = sys.stdin.read().rstrip("\n") + "\n"
path = sys.argv[1]
name = section.split("<!-- ", 1)[1].split(":begin", 1)[0]
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Tollgate benchmark results\n\nSee README.md for what each figure means and how to reproduce it.\n\n"
begin, end = "<!-- " + name + ":begin", "<!-- " + name + ":end -->"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1].lstrip("\n")
    text = head + section + ("\n" + tail if tail else "")
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(section)' "$RESULTS"
}
