#!/usr/bin/env bash
# Local DynamoDB test stack for dynomite_fdw: dynalite (in memory) behind the
# SigV4-verifying proxy (test/proxy.js), both on 127.0.0.1 only.
#
#   test/stack.sh start DIR   start both, write DIR/env, pids and logs
#   test/stack.sh stop DIR    stop both
#
# DIR/env exports DYNAMO_ENDPOINT (proxy), DYNALITE_ENDPOINT (direct),
# PROXY_PORT, DYNAMO_ACCESS_KEY_ID, DYNAMO_SECRET_ACCESS_KEY, AWS_REGION, and
# DYNAMO_SESSION_KEY_ID / _SECRET / _TOKEN: temporary credentials whose token
# the proxy requires.
# PROXY_DELAY_MS in the caller's environment is passed to the proxy.
set -euo pipefail

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START_TIMEOUT=${STACK_START_TIMEOUT:-30}   # seconds per service

ACCESS_KEY_ID=AKIDDYNOMITETEST
SECRET_ACCESS_KEY=dynomite-test-secret
SESSION_KEY_ID=AKIDSESSIONTEST
SESSION_SECRET=session-test-secret
SESSION_TOKEN=session-test-token
REGION=us-east-1

die() {
  echo "stack.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

ensure_deps() {
  command -v node >/dev/null || die "node is not installed"
  command -v curl >/dev/null || die "curl is not installed"
  local stamp="$TEST_DIR/node_modules/.package-lock.json"
  if [ ! -d "$TEST_DIR/node_modules" ] || [ ! -f "$stamp" ] ||
     [ "$TEST_DIR/package-lock.json" -nt "$stamp" ]; then
    echo "stack.sh: installing test dependencies (npm ci in $TEST_DIR)" >&2
    (cd "$TEST_DIR" && npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
}

# Print two distinct free TCP ports on 127.0.0.1.
free_ports() {
  node -e '
    const net = require("net");
    const servers = [net.createServer(), net.createServer()];
    let ready = 0;
    for (const s of servers) s.listen(0, "127.0.0.1", () => {
      if (++ready === 2) {
        console.log(servers.map((x) => x.address().port).join(" "));
        for (const x of servers) x.close();
      }
    });
  '
}

# pid_is PID PATTERN: PID is alive and its command line matches PATTERN.
pid_is() {
  local pid=$1 pattern=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

# wait_http NAME PID URL LOG: wait until URL answers 200, or fail.
wait_http() {
  local name=$1 pid=$2 url=$3 log=$4 deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if curl -sf -o /dev/null --max-time 2 "$url"; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "stack.sh: $name (pid $pid) exited during startup; last log lines:" >&2
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "stack.sh: $name did not answer at $url within ${START_TIMEOUT}s; last log lines:" >&2
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

stop_one() {
  local dir=$1 name=$2 pattern=$3 pidfile="$1/$2.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if pid_is "$pid" "$pattern"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stack.sh: $name (pid $pid) ignored SIGTERM, killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local dir=$1
  [ -d "$dir" ] || die "no such directory: $dir"
  stop_one "$dir" proxy 'proxy.js'
  stop_one "$dir" dynalite 'dynalite'
  rm -f "$dir/env"
}

cmd_start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local name
  for name in dynalite proxy; do
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      die "$name already running from $dir (pid $(cat "$dir/$name.pid")); run '$0 stop $dir' first"
    fi
  done
  ensure_deps

  # On any failure below, take down whatever was started.
  trap 'cmd_stop "$dir" >/dev/null 2>&1 || true' ERR

  local ports dynalite_port proxy_port
  ports=$(free_ports)
  read -r dynalite_port proxy_port <<<"$ports"

  "$TEST_DIR/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$dynalite_port" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
    </dev/null >"$dir/dynalite.log" 2>&1 &
  echo $! >"$dir/dynalite.pid"
  wait_http dynalite "$(cat "$dir/dynalite.pid")" "http://127.0.0.1:$dynalite_port/" "$dir/dynalite.log" ||
    { cmd_stop "$dir"; die "dynalite failed to start"; }

  PROXY_CREDENTIALS="$ACCESS_KEY_ID:$SECRET_ACCESS_KEY,$SESSION_KEY_ID:$SESSION_SECRET:$SESSION_TOKEN" \
  PROXY_REGION=$REGION \
    node "$TEST_DIR/proxy.js" --port "$proxy_port" --upstream "http://127.0.0.1:$dynalite_port" \
    </dev/null >"$dir/proxy.log" 2>&1 &
  echo $! >"$dir/proxy.pid"
  wait_http proxy "$(cat "$dir/proxy.pid")" "http://127.0.0.1:$proxy_port/__stats" "$dir/proxy.log" ||
    { cmd_stop "$dir"; die "proxy failed to start"; }

  cat >"$dir/env" <<EOF
export DYNAMO_ENDPOINT=http://127.0.0.1:$proxy_port
export DYNALITE_ENDPOINT=http://127.0.0.1:$dynalite_port
export PROXY_PORT=$proxy_port
export DYNAMO_ACCESS_KEY_ID=$ACCESS_KEY_ID
export DYNAMO_SECRET_ACCESS_KEY=$SECRET_ACCESS_KEY
export DYNAMO_SESSION_KEY_ID=$SESSION_KEY_ID
export DYNAMO_SESSION_SECRET=$SESSION_SECRET
export DYNAMO_SESSION_TOKEN=$SESSION_TOKEN
export AWS_REGION=$REGION
EOF
  trap - ERR
  echo "stack.sh: dynalite on 127.0.0.1:$dynalite_port, proxy on 127.0.0.1:$proxy_port; source $dir/env"
}

[ $# -eq 2 ] || usage
case "$1" in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
