#!/usr/bin/env bash
# Everything Nightshift needs on a fresh clone, done once and reused afterwards:
#   1. npm packages (npm ci, when package-lock.json changed since the last install);
#   2. the Temporal CLI (embeds the dev server), built from its Go module into .nightshift/bin;
#   3. with --for-tests, Chromium for the browser tests (Debian's package, when missing);
#   4. the TypeScript build in dist/ (incremental), the console's assets (dist/console-assets/) and the
#      workflow bundle (dist/workflow-bundle.js).
# Usage: scripts/setup.sh [--for-tests] [--temporal-only]
#   --for-tests      always build the Temporal binary (the tests start their own dev server),
#                    even when TEMPORAL_ADDRESS points at an existing server; install Chromium.
#   --temporal-only  only step 2.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
TEMPORAL_CLI_VERSION=1.5.1 # the last release installable with `go install` (shared reference: temporal.md §1)
bin_dir="$root/.nightshift/bin"
# NIGHTSHIFT_TEMPORAL_BIN: use (or build into) another path, e.g. a Temporal CLI you already have.
temporal_bin="${NIGHTSHIFT_TEMPORAL_BIN:-$bin_dir/temporal}"
for_tests=false
temporal_only=false
for arg in "$@"; do
  case "$arg" in
    --for-tests) for_tests=true ;;
    --temporal-only) temporal_only=true ;;
    *) echo "usage: scripts/setup.sh [--for-tests] [--temporal-only]" >&2 && exit 2 ;;
  esac
done

fail() {
  echo "nightshift setup: $*" >&2
  exit 1
}

mkdir -p "$root/.nightshift"
# One setup at a time (two terminals, or tests started while `npm start` builds).
exec 9>"$root/.nightshift/setup.lock"
flock 9

# 1. npm packages ---------------------------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || fail "Node.js is not installed: install Node.js 20.19 or newer."
[ "$node_major" -ge 20 ] || fail "Node.js $(node -v) is too old: install Node.js 20.19 or newer."
stamp="$root/node_modules/.nightshift-lock-hash"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if ! $temporal_only && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; }; then
  echo "nightshift setup: installing npm packages (npm ci)…"
  # allowScripts in package.json records the review of every dependency install script.
  npm ci --no-audit --no-fund --strict-allow-scripts >"$root/.nightshift/npm-ci.log" 2>&1 ||
    {
      tail -20 "$root/.nightshift/npm-ci.log" >&2
      fail "npm ci failed (full log: .nightshift/npm-ci.log)."
    }
  echo "$lock_hash" >"$stamp"
fi

# 2. Temporal CLI ---------------------------------------------------------------------------------
need_temporal=true
if [ -n "${TEMPORAL_ADDRESS:-}" ] && [ "$for_tests" = false ]; then
  need_temporal=false # an existing server or Temporal Cloud: nothing to build
fi
if $need_temporal; then
  have=""
  [ -x "$temporal_bin" ] && have=$("$temporal_bin" --version 2>/dev/null || true)
  if [[ "$have" != *"version $TEMPORAL_CLI_VERSION "* ]]; then
    command -v go >/dev/null 2>&1 ||
      fail "Go is not installed, and it is needed once to build the Temporal dev server: install Go 1.25 or newer (https://go.dev/doc/install, or 'apt-get install golang'), or set TEMPORAL_ADDRESS to use an existing Temporal server."
    echo "nightshift setup: building the Temporal CLI v$TEMPORAL_CLI_VERSION from its Go module (first time only; a few minutes)…"
    mkdir -p "$(dirname "$temporal_bin")"
    # GOTOOLCHAIN=auto lets an older Go fetch the toolchain go.mod asks for through the module proxy.
    if ! GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOBIN="$(cd "$(dirname "$temporal_bin")" && pwd)" GOFLAGS=-trimpath \
      go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
      "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$root/.nightshift/temporal-build.log" 2>&1; then
      tail -20 "$root/.nightshift/temporal-build.log" >&2
      fail "building the Temporal CLI failed (full log: .nightshift/temporal-build.log)."
    fi
    built="$(cd "$(dirname "$temporal_bin")" && pwd)/temporal"
    [ "$built" -ef "$temporal_bin" ] || mv "$built" "$temporal_bin"
    echo "nightshift setup: $("$temporal_bin" --version)"
  fi
fi

$temporal_only && exit 0

# 3. Chromium for the browser tests -----------------------------------------------------------------
# playwright-core drives Debian's chromium by its path: no browser download (NIGHTSHIFT_CHROMIUM
# points at another Chromium).
chromium="${NIGHTSHIFT_CHROMIUM:-/usr/bin/chromium}"
if $for_tests && [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "nightshift setup: installing Chromium for the browser tests (apt-get install chromium)…"
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; } \
      >"$root/.nightshift/chromium-install.log" 2>&1; then
      tail -20 "$root/.nightshift/chromium-install.log" >&2
      fail "installing Chromium failed (full log: .nightshift/chromium-install.log)."
    fi
  else
    fail "the browser tests need Chromium at $chromium: run 'apt-get install chromium' as root, or set NIGHTSHIFT_CHROMIUM to a Chromium binary."
  fi
fi

# 4. TypeScript build ------------------------------------------------------------------------------
npx --no-install tsc -p tsconfig.build.json || fail "the TypeScript build failed (see the errors above)."
node deploy/build-console.js || fail "building the console's assets failed (see the errors above)."
# The workflow bundle (a no-op when it is newer than the code): workers then start without webpack.
node deploy/bundle-workflows.js || fail "bundling the workflows failed (see the error above)."
