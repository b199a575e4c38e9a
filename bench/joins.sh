#!/usr/bin/env bash
# The join benchmark: the batched whole-key join and the partition-key join
# with one request at a time and with several in flight, against boto3
# sending the same requests from threads, every request held --delay-ms at
# the test proxy.  See bench/README.md.
#
#   bash bench/joins.sh [--delay-ms D] [--runs R] [--key-rows N] [--partition-rows N]
#                       [--out FILE]
#
# Uses the test stack (test/stack.sh: dynalite behind the signature-checking
# proxy, the fixture tables Users and Wide) and a throwaway PostgreSQL 15
# cluster with the extension installed into a private copy of PostgreSQL's
# tree, never the machine's.  Everything it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

DELAY_MS=5
RUNS=3
KEY_ROWS=5000
PARTITION_ROWS=1000
OUT=""
PG=15

while (($#)); do
	case "$1" in
	--delay-ms) DELAY_MS=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--key-rows) KEY_ROWS=${2:?}; shift 2 ;;
	--partition-rows) PARTITION_ROWS=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

log() { echo "joins: $*" >&2; }
die() { echo "joins: $*" >&2; exit 1; }

work=$(mktemp -d /tmp/dynomite-joinbench.XXXXXX)
chmod 755 "$work"
pgbin=""
cleanup() {
	set +e
	[[ -n "$pgbin" && -d "$work/data" ]] &&
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1
	bash test/stack.sh stop "$work/stack" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# --- the extension, in a private copy of PostgreSQL's tree ---
tree="$work/tree"
mkdir -p "$tree/usr/lib/postgresql/$PG" "$tree/usr/share/postgresql"
cp -a "/usr/lib/postgresql/$PG/bin" "/usr/lib/postgresql/$PG/lib" "$tree/usr/lib/postgresql/$PG/"
cp -a "/usr/share/postgresql/$PG" "$tree/usr/share/postgresql/"
make -s PG_CONFIG="/usr/lib/postgresql/$PG/bin/pg_config" >/dev/null
make -s PG_CONFIG="/usr/lib/postgresql/$PG/bin/pg_config" DESTDIR="$tree" install >/dev/null
pgbin="$tree/usr/lib/postgresql/$PG/bin"

# --- the stack: dynalite behind the proxy, every request held DELAY_MS ---
mkdir -p "$work/stack"
PROXY_DELAY_MS=$DELAY_MS bash test/stack.sh start "$work/stack" dynalite >&2
# shellcheck disable=SC1091
source "$work/stack/env"
node test/load.js >&2

# --- a PostgreSQL cluster ---
chown postgres "$work"
runuser -u postgres -- "$pgbin/initdb" -D "$work/data" -A trust --no-locale >/dev/null
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
	-o "-p $port -k $work -c listen_addresses=''" start >/dev/null
psql_q() { runuser -u postgres -- "$pgbin/psql" -h "$work" -p "$port" -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }

psql_q <<SQL
CREATE EXTENSION dynomite_fdw;
CREATE SERVER dynamo FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint '$DYNAMO_ENDPOINT');
CREATE USER MAPPING FOR CURRENT_USER SERVER dynamo
  OPTIONS (access_key_id '$DYNAMO_ACCESS_KEY_ID', secret_access_key '$DYNAMO_SECRET_ACCESS_KEY');
CREATE TABLE outer_keys AS
  SELECT g, 'u' || lpad((1 + g % 1000)::text, 4, '0') AS id FROM generate_series(1, $KEY_ROWS) g;
CREATE TABLE outer_parts AS
  SELECT g, 'p' || lpad((g % 100)::text, 3, '0') AS pk FROM generate_series(1, $PARTITION_ROWS) g;
ANALYZE outer_keys;
ANALYZE outer_parts;
-- the time of a query, in seconds, and the rows it counted
CREATE FUNCTION timed(q text, OUT wall float8, OUT items bigint) LANGUAGE plpgsql AS \$\$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE q INTO items;
  wall := extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SQL
for k in 1 4 8; do
	psql_q -c "CREATE FOREIGN TABLE users_k$k (user_id text, name text, score integer)
	  SERVER dynamo OPTIONS (table 'Users', join_requests_in_flight '$k')" \
		-c "CREATE FOREIGN TABLE wide_k$k (pk text, n integer, v integer)
	  SERVER dynamo OPTIONS (table 'Wide', join_requests_in_flight '$k')"
done

# the joins as the extension runs them: hash and merge joins over a Scan of
# the whole table, and a Memoize in front of the Query, are off
settings="SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_memoize = off;"
key_q() { echo "SELECT count(u.score) FROM outer_keys o JOIN users_k$1 u ON u.user_id = o.id"; }
part_q() { echo "SELECT count(w.v) FROM outer_parts o JOIN wide_k$1 w ON w.pk = o.pk AND w.n <= 10"; }

declare -A walls items
run_fdw() { # NAME QUERY
	local line
	line=$(psql_q -c "$settings" -c "SELECT wall || ' ' || items FROM timed(\$q\$$2\$q\$)")
	walls[$1]+="${line% *} "
	items[$1]=${line#* }
}
run_boto3() { # NAME MODE ROWS
	local line
	line=$(/usr/bin/python3 bench/boto3_join.py --endpoint "$DYNAMO_ENDPOINT" --mode "$2" \
		--rows "$3" --threads 4)
	walls[$1]+="$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line") "
	items[$1]=$(sed -E 's/^items=([0-9]+).*/\1/' <<<"$line")
}

names=(key_k1 key_k4 key_k8 key_boto3_t4 part_k1 part_k4 part_k8 part_boto3_t4)
for _ in $(seq 1 "$RUNS"); do
	for k in 1 4 8; do run_fdw "key_k$k" "$(key_q $k)"; done
	run_boto3 key_boto3_t4 key "$KEY_ROWS"
	for k in 1 4 8; do run_fdw "part_k$k" "$(part_q $k)"; done
	run_boto3 part_boto3_t4 partition "$PARTITION_ROWS"
	log "run done"
done
# the plans measured
psql_q -c "$settings" -c "EXPLAIN (COSTS OFF) $(key_q 4)" -c "EXPLAIN (COSTS OFF) $(part_q 4)" \
	-c "EXPLAIN (COSTS OFF) $(part_q 1)" >"$work/plans"

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (work tree)')"
	echo "- $DELAY_MS ms held at the proxy before every request; medians of $RUNS runs; dynalite, the proxy, PostgreSQL and boto3 on the same $(nproc) cores"
	echo "- whole-key join: $KEY_ROWS outer rows, BatchGetItem of 100 keys; partition-key join: $PARTITION_ROWS outer rows, a Query each (n <= 10: 10 items)"
	echo
	echo "| contender | median wall s | rows | vs one at a time | runs s |"
	echo "|---|---:|---:|---:|---|"
	for n in "${names[@]}"; do
		base=${n%%_*}_k1
		m=$(median "${walls[$n]}")
		b=$(median "${walls[$base]}")
		echo "| $n | $(printf '%.3f' "$m") | ${items[$n]} | $(awk -v a="$b" -v b="$m" 'BEGIN {printf "%.2f x", a / b}') | ${walls[$n]} |"
	done
	echo
	echo '```'
	cat "$work/plans"
	echo '```'
} | tee "${OUT:-/dev/null}"
