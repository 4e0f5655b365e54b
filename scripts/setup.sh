#!/usr/bin/env bash
# Prepares a Debian 12 machine for this project. Idempotent: it only acts on what is missing,
# and it never starts a daemon (the app and the tests start their own Postgres and Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server: embedded Redis; the rest serve the browser, SIP and IVR tests
PACKAGES=(redis-server chromium sip-tester rtpengine-daemon espeak-ng sox)

log() { echo "setup: $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "root or sudo is needed to install: $*" >&2; exit 1
  fi
}

# runs quietly, but shows everything the command said when it fails
quiet() {
  local out
  out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    log "failed: $*" >&2
    exit 1
  fi
  rm -f "$out"
}

command -v node >/dev/null 2>&1 || { log "node (>= 20) is not installed" >&2; exit 1; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  # with no init system, package scripts must not try to start services (exit 101 = "not allowed")
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f "$policy"' EXIT
  fi
  quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  quiet as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "system packages present"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  out=$(mktemp)
  if ! npm ci --no-audit --no-fund >"$out" 2>&1; then
    # the lock lacks the optional darwin/win32 builds of msgpackr-extract (the registry used here
    # does not serve them), which npm ci rejects as out of sync although npm install accepts it
    if grep -q 'package.json and package-lock.json .* are in sync' "$out"; then
      log "npm ci refused package-lock.json as incomplete; using npm install"
      quiet npm install --no-audit --no-fund
    else
      cat "$out" >&2; rm -f "$out"; log "failed: npm ci" >&2; exit 1
    fi
  fi
  rm -f "$out"
else
  log "node_modules up to date"
fi
# the IVR's Spanish prompts for the SIP media path (espeak-ng + sox); only new or changed texts are synthesised
quiet node_modules/.bin/tsx ivr/prompts/cli.ts
log "prompts ready"
log "done"
