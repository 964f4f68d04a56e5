#!/usr/bin/env bash
# Installs what the comparison benchmarks run, if missing; idempotent. ghz and envoyproxy/ratelimit
# through the Go module proxy (go install), Redis from Debian (needs root or sudo). OPA-Envoy
# (github.com/open-policy-agent/opa-envoy-plugin) is tried too; where the module proxy refuses it,
# the reason is written to target/comparison/opa-envoy.txt and the comparison goes on without it.
set -euo pipefail

GHZ_VERSION=v0.120.0
RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36   # envoyproxy/ratelimit main, 2026-01-22
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gobin="$(go env GOBIN 2>/dev/null || true)"
gobin="${gobin:-$(go env GOPATH)/bin}"

if [ ! -x "$gobin/ghz" ]; then
  echo "install-peers: go install ghz $GHZ_VERSION"
  go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
if [ ! -x "$gobin/service_cmd" ] || ! go version -m "$gobin/service_cmd" | grep -q "$RATELIMIT_VERSION"; then
  echo "install-peers: go install envoyproxy/ratelimit $RATELIMIT_VERSION"
  go install "github.com/envoyproxy/ratelimit/src/service_cmd@$RATELIMIT_VERSION"
fi
if ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "install-peers: apt-get install redis-server"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  $sudo systemctl disable --now redis-server >/dev/null 2>&1 || $sudo service redis-server stop >/dev/null 2>&1 || true
fi

mkdir -p "$HERE/target/comparison"
if [ ! -x "$gobin/opa-envoy-plugin" ]; then
  if ! out=$(go install github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin@latest 2>&1); then
    echo "$out" | head -3 >"$HERE/target/comparison/opa-envoy.txt"
    echo "install-peers: OPA-Envoy cannot be installed here: $(head -1 "$HERE/target/comparison/opa-envoy.txt")"
  fi
fi
echo "install-peers: ghz, envoyproxy/ratelimit ($gobin/service_cmd), $(redis-server --version | cut -d' ' -f1-3)"
