#!/usr/bin/env bash
# A throwaway MongoDB wire-protocol server for the registry tests: jongodb (npm, in memory) on 127.0.0.1.
# There is no mongod in the registries here; jongodb covers the subset the registry keeps to (see the README).
#
#   s=$(scripts/mongo-server.sh start) && eval "$s"   # prints: export REGISTRY_MONGO_URI=mongodb://127.0.0.1:PORT/...
#   scripts/mongo-server.sh stop
#
# It runs the single-node replica-set profile (transactions) and adds serverMonitoringMode=poll to the URI, without
# which every operation takes 0.5-1.5 s against it. Diagnostics go to stderr; stdout carries only the export line.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${MONGO_STATE_DIR:-/tmp/inference-mongo}"
package="$root/tools/mongo"
binary="$package/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"

log() { echo "mongo-server: $*" >&2; }

stop() {
  if [ -f "$state/pid" ]; then
    local pid
    pid="$(cat "$state/pid")"
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q jongodb; then
      kill "$pid" 2>/dev/null || true
      log "stopped jongodb (pid $pid)"
    fi
  fi
  rm -rf "$state"
}

start() {
  stop
  mkdir -p "$state"
  # The committed lock file pins the exact package; npm ci installs nothing else.
  if [ ! -x "$binary" ]; then
    log "installing jongodb with npm ci"
    (cd "$package" && npm ci --no-audit --no-fund --silent >&2)
  fi

  "$binary" --host=127.0.0.1 --port=0 --topology-profile=singleNodeReplicaSet >"$state/out" 2>"$state/err" &
  echo $! >"$state/pid"

  local uri=""
  for _ in $(seq 1 200); do
    uri="$(sed -n 's/^JONGODB_URI=//p' "$state/out" | head -n 1)"
    [ -n "$uri" ] && break
    kill -0 "$(cat "$state/pid")" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$uri" ]; then
    log "jongodb did not start:"
    cat "$state/err" >&2 || true
    stop
    exit 1
  fi

  log "ready at $uri"
  echo "export REGISTRY_MONGO_URI='${uri}&serverMonitoringMode=poll'"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
