#!/usr/bin/env bash
# citadel-lite figures: certificates signed per second (JMH CertificateBenchmark, EC P-256 and
# RSA-2048 leaf keys, against one bare ECDSA signature by the CA key) and the time to rotate
# WORKLOADS workloads through the CA's API (CitadelLoad, against the same number of bare
# mutual-TLS connections with one health call each). Writes the citadel section of
# benchmarks/RESULTS.md and prints it. Bounded: JMH's fixed iterations, CitadelLoad's fixed counts.
#
# Needs: benchmarks/target/benchmarks.jar (mvn -B -ntp -DskipTests package), python3.
set -euo pipefail

NAME=run-citadel
source "$(dirname "${BASH_SOURCE[0]}")/load-common.sh"

OUT=$HERE/target/citadel
WORKLOADS=${WORKLOADS:-1000}
CONCURRENCY=${CONCURRENCY:-8}
ROUNDS=${ROUNDS:-3}
rm -rf "$OUT"
mkdir -p "$OUT"
mark_start

log "JMH: CertificateBenchmark"
timeout 900 java -jar "$BENCH_JAR" CertificateBenchmark -f 1 -wi 3 -i 5 -w 2s -r 3s -rf json -rff "$OUT/jmh.json" >"$OUT/jmh.log" 2>&1 \
  || die "JMH failed; see $OUT/jmh.log"
log "CitadelLoad: $WORKLOADS workloads, $CONCURRENCY threads, $ROUNDS rounds"
timeout 1200 java $JVM_OPTS -cp "$BENCH_JAR" io.tollgate.benchmarks.CitadelLoad --workloads "$WORKLOADS" \
  --concurrency "$CONCURRENCY" --rounds "$ROUNDS" >"$OUT/load.log" 2>&1 || die "CitadelLoad failed; see $OUT/load.log"

python3 - "$OUT" "$STARTED" "$LOAD_BEFORE" "$WORKLOADS" "$CONCURRENCY" "$ROUNDS" <<'PY' | write_results
import json, re, sys
out, started, load, workloads, concurrency, rounds = sys.argv[1:]
jmh = json.load(open(out + "/jmh.json"))
score = {}
for b in jmh:
    name = b["benchmark"].rsplit(".", 1)[1]
    score[(name, b["params"]["leafKey"])] = (b["primaryMetric"]["score"], b["primaryMetric"]["scoreError"])
base = (score[("caSignatureOnly", "EC_P256")][0] + score[("caSignatureOnly", "RSA_2048")][0]) / 2
jdk = (score[("caSignatureJdk", "EC_P256")][0] + score[("caSignatureJdk", "RSA_2048")][0]) / 2
log = open(out + "/load.log").read()
m = dict(kv.split("=") for kv in re.search(r"^median (.*)$", log, re.M).group(1).split())
boot = re.search(r"^bootstrap_seconds=([0-9.]+)", log, re.M).group(1)
rows = "\n".join(f"| {r.group(1)} | {r.group(2)} s | {r.group(3)} s | {r.group(4)} ms | {r.group(5)} ms |" for r in re.finditer(
    r"^round=(\d+) rotation_seconds=(\S+) baseline_seconds=(\S+) rotation_p50_ms=(\S+) rotation_p99_ms=(\S+)", log, re.M))
print(f"""<!-- citadel-results:begin (written by benchmarks/run-citadel.sh; edits between these markers are replaced) -->
## citadel-lite: signing and rotation

Run {started}, load average before {load}. In-process, CA key ECDSA P-256; see benchmarks/README.md.

Signing (JMH `CertificateBenchmark`, throughput, 1 thread; baseline: one bare SHA256withECDSA signature by the CA key with the provider the CA uses, BouncyCastle, {base:,.0f}/s; the JDK 17 provider signs {jdk:,.0f}/s):

| leaf key | certificates/s | ± | of the bare signature |
|---|---|---|---|
| EC P-256 | {score[("issue", "EC_P256")][0]:,.0f} | {score[("issue", "EC_P256")][1]:,.0f} | {score[("issue", "EC_P256")][0] / base:.2f} |
| RSA-2048 | {score[("issue", "RSA_2048")][0]:,.0f} | {score[("issue", "RSA_2048")][1]:,.0f} | {score[("issue", "RSA_2048")][0] / base:.2f} |

Rotating {workloads} workloads through the API (`CitadelLoad`, {concurrency} threads, CA and agents in one JVM; baseline: {workloads} new mutual-TLS connections with one health call each, same rounds). First certificates with bootstrap tokens: {boot} s.

| round | rotation | baseline | rotation p50 | rotation p99 |
|---|---|---|---|---|
{rows}

Median: **{m["rotation_seconds"]} s for {workloads} rotations ({m["rotations_per_second"]}/s), {m["ratio"]}× the bare mutual-TLS connections** ({m["baseline_seconds"]} s); p50 {m["rotation_p50_ms"]} ms, p99 {m["rotation_p99_ms"]} ms per rotation. Generating {workloads} EC keys alone took {m["keygen_seconds_one_thread"]} s on one thread.
<!-- citadel-results:end -->""")
PY
