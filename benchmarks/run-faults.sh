#!/usr/bin/env bash
# Faults under steady load through real Envoy (100 requests per second, 8 clients), each repaired or
# repairing itself without manual action:
#   1. the policy server SIGKILLed, then started again on its port: Envoy's ext_authz failure mode
#      (failure_mode_allow false) answers 403 while it is down, never a 200; Envoy reconnects;
#   2. one of three `tollgate quota-node`s SIGKILLed under rate-limit calls (the policy server a
#      client of the nodes): the calls keep being answered;
#   3. the OPA that Tollgate supervises SIGKILLed: it is restarted and Rego checks recover;
#   4. pilot-lite SIGKILLed, then started again on its port: the sidecar Envoy keeps serving its
#      config and reconnects over xDS.
# Per fault: the requests clients sent, those without a 200 and their statuses, and the time to
# recovery. The run is the integration test FaultsUnderLoadIT (policy-server), the same one the
# suite runs, built and run by Maven with its launchers (MVN, default mvn). Everything listens on
# 127.0.0.1; every wait is bounded and the whole run by `timeout`.
#
# Writes the faults-results section of benchmarks/RESULTS.md and prints it; exits 3 if a case failed.
# Needs: Envoy 1.40 (scripts/install-test-peers, or TOLLGATE_ENVOY=/path/to/envoy), OPA, Maven.
set -euo pipefail

NAME=run-faults
LOAD_TOOL=maven
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/load-common.sh"

MVN=${MVN:-mvn}
OUT=$HERE/target/faults
rm -rf "$OUT"
mkdir -p "$OUT"
mark_start
ENVOY=${TOLLGATE_ENVOY:-$(ls "$ROOT"/.venv-envoy/lib/python3*/site-packages/envoy/_bin/envoy 2>/dev/null | head -1)}
[[ -x $ENVOY ]] || die "envoy not found (set TOLLGATE_ENVOY); install: scripts/install-test-peers"
ENVOY_VERSION=$("$ENVOY" --version | sed -n 's/.*version: [0-9a-f]*\/\([^/]*\)\/.*/\1/p')

log "FaultsUnderLoadIT; Maven log: $OUT/maven.log"
status=0
(cd "$ROOT" && TOLLGATE_ENVOY=$ENVOY timeout --kill-after=30 1800 $MVN -B -ntp verify \
  -pl policy-server -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=FaultsUnderLoadIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dtollgate.faults.report="$OUT/faults.md" >"$OUT/maven.log" 2>&1) || status=$?
[[ -s $OUT/faults.md ]] || { tail -50 "$OUT/maven.log" >&2; die "FaultsUnderLoadIT wrote no rows (exit $status; $OUT/maven.log)"; }
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((SECONDS - T0))

{
  echo "<!-- faults-results:begin (written by benchmarks/run-faults.sh; edits between these markers are replaced) -->"
  echo "## Faults under load through Envoy"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $STARTED |"
  echo "| machine | $(machine) |"
  echo "| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |"
  echo "| setup | Envoy $ENVOY_VERSION; cases 1-3: a listener with ext_authz gRPC V3 (failure_mode_allow false; timeout 0.5 s in case 1, 1 s in case 2, 2 s in case 3), in case 2 also the global rate limit (failure_mode_deny true, so an unanswered call shows as a 500); case 4: a sidecar from \`deploy/envoy/bootstrap.yaml\` configured by pilot-lite over ADS; servers are \`tollgate.jar\` JVMs (\`-Xmx256m\`) |"
  echo "| load | FaultsUnderLoadIT's clients: 100 requests per second (open model), 8 clients, HTTP/1.1 keep-alive |"
  echo "| command | \`benchmarks/run-faults.sh\` ($ELAPSED s) |"
  echo
  echo "Errors are the requests sent from the fault on that did not get a 200. Recovery: case 1 from the restart, cases 2 and 3 from the kill, to the end of the last failed request; case 4 from pilot-lite's restart to the sidecar connected again (its requests never failed)."
  echo
  echo "| fault | requests in the run | errors seen by clients | their statuses | time to recovery | notes |"
  echo "|---|---|---|---|---|---|"
  cat "$OUT/faults.md"
  echo
  echo "The machine is shared with other builds (2 cores), so the times are noisy: a JVM's start and an OPA restart take longer on a loaded machine. The behaviour (which answers, that recovery needs no action) is what the test asserts."
  echo "<!-- faults-results:end -->"
} | write_results
log "done in ${ELAPSED}s; results in $RESULTS"
if ((status != 0)); then
  log "a fault case failed (Maven exit $status; $OUT/maven.log)"
  exit 3
fi
