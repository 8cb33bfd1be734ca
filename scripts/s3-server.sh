#!/usr/bin/env bash
# A throwaway S3 server for tests: a single-node Ceph cluster (one mon, one in-memory OSD, no mgr) with radosgw,
# everything bound to 127.0.0.1. radosgw is the only S3 server available here with versioning and real SigV4 checks.
#
#   eval "$(scripts/s3-server.sh start)"   # installs Debian's ceph packages if needed, starts a fresh, empty cluster
#                                          # and prints export lines for S3_SERVICE_URL and the AWS_* credentials
#   scripts/s3-server.sh stop              # stops the daemons and deletes the state dir (safe when nothing runs)
#
# eval "$(...)" hides a failed start (eval of nothing succeeds); to stop on failure, use
#   s3_env="$(scripts/s3-server.sh start)" || exit 1; eval "$s3_env"
#
# Environment: S3_PORT (default 7480), S3_STATE_DIR (default /tmp/inference-s3; wiped on start and stop),
# S3_MON_PORT (the cluster's monitor; default 6789 with the default S3_PORT, else S3_PORT + 10000).
# stdout carries only the export lines; all diagnostics go to stderr. Needs root (for apt-get) unless installed.
set -euo pipefail

port="${S3_PORT:-7480}"
# Each cluster needs its own monitor port: with a shared one, a second cluster's tools talk to the first cluster's
# monitor, and its OSD joins (and, once stopped, breaks) the other cluster.
mon_port="${S3_MON_PORT:-$([ "$port" = 7480 ] && echo 6789 || echo $((port + 10000)))}"
state="${S3_STATE_DIR:-/tmp/inference-s3}"
access_key="inference-test"            # throwaway credentials for a loopback-only test server
secret_key="inference-test-secret"
timeout_s=90
export CEPH_CONF="$state/ceph.conf"    # every ceph tool below reads this instead of /etc/ceph/ceph.conf

log() { echo "s3-server: $*" >&2; }

# True while any thread of the process runs. A zombie counts as gone (some init processes are slow to reap orphans),
# but only once all its threads have exited: until then it may still hold its listening sockets.
alive() {
  local f
  for f in /proc/"$1"/task/*/status; do
    grep -q '^State:[[:space:]]*Z' "$f" 2>/dev/null || { [ -r "$f" ] && return 0; }
  done
  return 1
}

# Kills the daemons recorded in $state/pids (only those whose command line still names this state dir), then wipes the
# state dir. SIGKILL, because nothing in the cluster is worth keeping and a graceful stop takes ~6 s.
stop() {
  local pid
  if [ -f "$state/pids" ]; then
    for pid in $(cat "$state/pids"); do
      [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$CEPH_CONF" || continue
      log "stopping $(cat "/proc/$pid/comm") (pid $pid)"
      kill -9 "$pid" 2>/dev/null || true
      while alive "$pid"; do sleep 0.1; done
    done
  fi
  rm -rf "$state"
}

fail() {
  log "ERROR: $*"
  for f in "$state"/log/*.log "$state"/log/*.out; do
    [ -s "$f" ] || continue
    echo "----- tail of $f -----" >&2
    tail -n 20 "$f" >&2
  done
  stop
  exit 1
}

# Starts a daemon in the foreground (-f), detached from our stdout so that `eval "$(... start)"` does not wait for it.
# The explicit -c puts the state dir into its command line, which is how stop recognises it.
spawn() {
  local name="$1"; shift
  setsid "$@" -f -c "$CEPH_CONF" </dev/null >"$state/log/$name.out" 2>&1 &
  echo $! >>"$state/pids"
  disown    # no "Killed" job notices when this shell stops it again
}

# Waits until the command succeeds; fails the start when a daemon has died or the overall deadline has passed.
wait_for() {
  local what="$1" pid; shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${timeout_s}s waiting for $what"
    for pid in $(cat "$state/pids"); do
      alive "$pid" || fail "a daemon (pid $pid) exited while waiting for $what"
    done
    sleep 0.5
  done
}

install_packages() {
  command -v radosgw >/dev/null && command -v curl >/dev/null && command -v ss >/dev/null && return 0
  log "installing radosgw, ceph-mon, ceph-osd (and curl, iproute2) from Debian..."
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  local install=($sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
                 radosgw ceph-mon ceph-osd curl iproute2)
  if ! "${install[@]}" >&2; then
    $sudo_cmd apt-get update -qq >&2
    "${install[@]}" >&2
  fi
}

start() {
  stop    # a previous server from the same state dir, if any
  if [ -n "$(ss -Hltn "sport = :$port")" ]; then
    log "ERROR: port $port is already in use (set S3_PORT):"; ss -ltnp "sport = :$port" >&2; exit 1
  fi
  if [ -n "$(ss -Hltn "sport = :$mon_port")" ]; then
    log "ERROR: monitor port $mon_port is already in use (set S3_MON_PORT):"; ss -ltnp "sport = :$mon_port" >&2; exit 1
  fi
  install_packages
  SECONDS=0
  deadline=$timeout_s
  mkdir -p "$state"/{log,run,mon,osd,rgw}
  : >"$state/pids"
  local fsid; fsid="$(cat /proc/sys/kernel/random/uuid)"

  cat >"$CEPH_CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
# Bind every daemon (mon, osd) to loopback; without these the OSD listens on 0.0.0.0.
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# No cephx between the daemons of this throwaway cluster (S3 requests still get real SigV4 checks).
auth cluster required = none
auth service required = none
auth client required = none
# Without these radosgw loops on "get_initial_auth_request returned -13" (msgr2 otherwise wants secure mode).
ms mon client mode = crc
ms client mode = crc
# One OSD: pools of size 1, and no health warning about it.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
# radosgw creates ~7 pools; small PG counts keep a single OSD fast.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
run dir = $state/run
admin socket = $state/run/\$name.asok
log file = $state/log/\$name.log
crash dir = $state/run
keyring = /dev/null   # no cephx, so no keyrings (stops the tools looking for one in /etc/ceph)

[mon]
mon data = $state/mon
# radosgw creates its pools one map change at a time; the default 1 s batching made start-up ~8 s slower.
paxos propose interval = 0.05

[osd]
osd data = $state/osd
# Objects live in RAM only; 2 GiB is plenty for the tests (a few objects of up to ~60 MB, plus versions).
osd objectstore = memstore
memstore device bytes = 2147483648
# At boot the OSD would set its CRUSH class and location with mon commands sent right after connecting; now and then
# they go out before it has the mon's map and fail with "wrong fsid", killing the OSD. The script places it instead.
osd class update on start = false
osd crush update on start = false

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $state/rgw
EOF

  log "state dir $state; starting mon"
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$state/monmap" >"$state/log/mkfs.out" 2>&1 \
    || fail "monmaptool failed"
  ceph-mon --mkfs -i a --monmap "$state/monmap" >>"$state/log/mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
  spawn mon.a ceph-mon -i a
  wait_for "the mon" timeout 5 ceph mon stat

  log "starting osd ($SECONDS s)"
  local osd_uuid osd_id; osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  osd_id="$(ceph osd new "$osd_uuid" 2>>"$state/log/mkfs.out")" || fail "ceph osd new failed"
  ceph osd crush add "osd.$osd_id" 1.0 root=default host=localhost >>"$state/log/mkfs.out" 2>&1 \
    || fail "ceph osd crush add failed"
  # --osd-uuid must be the uuid given to 'ceph osd new', or the OSD hangs in "booting".
  ceph-osd -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$state/log/mkfs.out" 2>&1 || fail "ceph-osd --mkfs failed"
  spawn "osd.$osd_id" ceph-osd -i "$osd_id"
  wait_for "the osd to be up" sh -c "timeout 5 ceph osd dump | grep -q '^osd.$osd_id up'"

  log "starting radosgw on 127.0.0.1:$port ($SECONDS s)"
  spawn client.rgw radosgw -n client.rgw
  wait_for "radosgw to answer on port $port" curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"

  radosgw-admin user create --uid=inference-test --display-name="inference tests" \
    --access-key="$access_key" --secret="$secret_key" >"$state/log/user.out" 2>&1 || fail "radosgw-admin user create failed"

  # Evidence that nothing listens beyond loopback: every listening socket of our daemons must be 127.0.0.1.
  local pid sockets bad=0
  for pid in $(cat "$state/pids"); do
    sockets="$(ss -Hltunp | grep "pid=$pid," || true)"
    [ -n "$sockets" ] || continue
    echo "$sockets" | awk '{print "s3-server: listening " $5 " " $7}' >&2
    if echo "$sockets" | awk '{print $5}' | grep -qv '^127\.0\.0\.1:'; then bad=1; fi
  done
  [ "$bad" -eq 0 ] || fail "a daemon listens on a non-loopback address"

  log "ready in $SECONDS s"
  echo "export S3_SERVICE_URL=http://127.0.0.1:$port"
  echo "export AWS_ACCESS_KEY_ID=$access_key"
  echo "export AWS_SECRET_ACCESS_KEY=$secret_key"
  echo "export AWS_REGION=us-east-1"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
