#!/usr/bin/env bash
# make demo: installs what is missing, builds and installs dynomite_fdw,
# starts dynalite and a PostgreSQL 15 cluster on 127.0.0.1, loads the Posts
# table with the AWS SDK, and runs test/demo.sql in psql.
# DYNOMITE_DEMO_KEEP=1 (make demo KEEP=1) leaves both servers running and
# says how to connect and how to stop them.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

bash test/install-deps.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
bindir=$("$PG_CONFIG" --bindir)

work=$(mktemp -d /tmp/dynomite-demo.XXXXXX)
chmod 755 "$work"
stop() {
	runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -m fast stop >/dev/null 2>&1 || true
	bash test/stack.sh stop "$work/stack" >/dev/null 2>&1 || true
}
keep=${DYNOMITE_DEMO_KEEP:-${KEEP:-}}
[[ -n "$keep" ]] || trap stop EXIT

bash test/stack.sh start "$work/stack"
# shellcheck disable=SC1091
source "$work/stack/env"
node test/load.js Posts

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
install -d -o postgres "$work/pgdata" "$work/socket"
runuser -u postgres -- "$bindir/initdb" -D "$work/pgdata" -A trust >/dev/null
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -l "$work/pgdata/postgres.log" -w \
	-o "-p $port -k $work/socket -c listen_addresses=127.0.0.1" start >/dev/null

cp test/demo.sql "$work/demo.sql"
chmod 644 "$work/demo.sql"
runuser -u postgres -- env DYNAMO_ENDPOINT="$DYNAMO_ENDPOINT" \
	DYNAMO_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" DYNAMO_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY" \
	"$bindir/psql" -X -h "$work/socket" -p "$port" -d postgres -v ON_ERROR_STOP=1 -e -f "$work/demo.sql"

if [[ -n "$keep" ]]; then
	# a script that stops both, usable from any directory
	cat >"$work/stop.sh" <<EOF
#!/usr/bin/env bash
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -m fast stop
bash "$repo/test/stack.sh" stop "$work/stack"
rm -rf "$work"
EOF
	chmod 755 "$work/stop.sh"
	echo
	echo "still running; connect with:"
	echo "  runuser -u postgres -- psql -h $work/socket -p $port postgres"
	echo "stop both with:"
	echo "  bash $work/stop.sh"
fi
