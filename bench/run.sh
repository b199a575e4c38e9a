#!/usr/bin/env bash
# The dynomite_fdw benchmark: one command that installs what is missing,
# builds and installs the extension, starts dynalite on 127.0.0.1, loads a
# table of N items of about 200 bytes with the AWS SDK for JavaScript, starts
# a PostgreSQL 15 cluster, runs every contender --runs times, and prints a
# Markdown table of medians.  See bench/README.md.
#
#   bash bench/run.sh [--items N | --million] [--runs R] [--replay]
#                     [--delay-ms D] [--page-size P] [--only LIST] [--out FILE]
#                     [--no-build | --library FILE] [--budget N]
#
# Everything it starts is stopped on exit.  BENCH_KEEP=1 keeps the work
# directory (recorded pages, logs, raw results) and says where it is.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

ITEMS=100000
RUNS=5
REPLAY=0
DELAY_MS=0
PAGE_SIZE=0
ONLY=""
OUT=""
NO_BUILD=0
LIBRARY=""
BUDGET=0
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-1200}	# seconds, for any one run of a contender
TABLE=bench_items

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while (($#)); do
	case "$1" in
	--items) ITEMS=${2:?}; shift 2 ;;
	--million) ITEMS=1000000; shift ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--replay) REPLAY=1; shift ;;
	--delay-ms) DELAY_MS=${2:?}; shift 2 ;;
	--page-size) PAGE_SIZE=${2:?}; shift 2 ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--no-build) NO_BUILD=1; shift ;;
	--library) LIBRARY=$(realpath "${2:?}"); shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--budget) BUDGET=${2:?}; shift 2 ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
for v in ITEMS RUNS DELAY_MS PAGE_SIZE BUDGET; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: $v must be a whole number" >&2; exit 2; }
done
((ITEMS > 0 && RUNS > 0)) || { echo "run.sh: --items and --runs must be positive" >&2; exit 2; }
if ((DELAY_MS > 0 && !REPLAY)); then
	echo "run.sh: --delay-ms is injected by the replay server: add --replay" >&2
	exit 2
fi

LIVE_CONTENDERS=(floor fdw_star fdw_copy fdw_count fdw_star_seg4 fdw_count_seg4 heap_copy boto3 awscli fdw_insert boto3_write)
REPLAY_CONTENDERS=(replay_floor replay_fdw_star replay_fdw_copy replay_fdw_count replay_fdw_star_seg4 replay_fdw_count_seg4 replay_fdw_copy_par1 replay_fdw_copy_par2 replay_fdw_agg replay_fdw_agg_par1 replay_fdw_agg_par2 replay_fdw_agg_par2w jsonc_parse)
ALL_CONTENDERS=("${LIVE_CONTENDERS[@]}" "${REPLAY_CONTENDERS[@]}")
if [[ -n "$ONLY" ]]; then
	IFS=', ' read -r -a CONTENDERS <<<"$ONLY"
	for c in "${CONTENDERS[@]}"; do
		[[ " ${ALL_CONTENDERS[*]} " == *" $c "* ]] ||
			{ echo "run.sh: unknown contender '$c' (known: ${ALL_CONTENDERS[*]})" >&2; exit 2; }
		if [[ $c == replay_* || $c == jsonc_parse ]] && ((!REPLAY)); then
			echo "run.sh: contender $c needs --replay" >&2
			exit 2
		fi
	done
else
	CONTENDERS=("${LIVE_CONTENDERS[@]}")
	((REPLAY)) && CONTENDERS+=("${REPLAY_CONTENDERS[@]}")
fi
wants() { [[ " ${CONTENDERS[*]} " == *" $1 "* ]]; }
wants_any() { local c; for c in "$@"; do wants "$c" && return 0; done; return 1; }

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- installing
bash test/install-deps.sh
extra=()
wants_any boto3 boto3_write && extra+=(python3-boto3)
wants awscli && extra+=(awscli)
extra+=(time)
missing=()
for p in "${extra[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	$sudo apt-get update -qq
	for p in "${missing[@]}"; do
		apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' ||
			die "Debian has no package $p"
	done
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
installed_so="$("$PG_CONFIG" --pkglibdir)/dynomite_fdw.so"

work=$(mktemp -d /tmp/dynomite-bench.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/bin" "$work/rec" "$work/runs" "$work/lib"
chmod 755 "$work/lib"
dynalite_pid=""
replay_pid=""
proxy_pid=""
pg_started=0
cleanup() {
	local rc=$?
	set +e
	if ((pg_started)); then
		runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -m fast -t 30 stop >/dev/null 2>&1 ||
			runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -m immediate -t 30 stop >/dev/null 2>&1
	fi
	for pid in $proxy_pid $replay_pid $dynalite_pid; do
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	if [[ -n "${BENCH_KEEP:-}" ]]; then
		log "kept $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the extension
# What is measured is a private copy of the library, taken right after the
# build: the benchmark cluster's functions point at it (pg_proc.probin), so
# a `make install` by someone else during the run changes nothing here.
# The work tree may be mid-edit: retry once after a minute, then fall back
# on the build that was installed before this run.
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
ndirty=$(git status --porcelain -- src sql dynomite_fdw--*.sql dynomite_fdw.control 2>/dev/null | wc -l)
dirty=""
((ndirty == 0)) || dirty=" + uncommitted changes to $ndirty files of the extension"
have_previous=0
if [[ -f "$installed_so" ]]; then cp "$installed_so" "$work/lib/previous.so" && have_previous=1; fi
build_install() {
	make -s PG_CONFIG="$PG_CONFIG" >/dev/null && cp dynomite_fdw.so "$work/lib/dynomite_fdw.so" &&
		make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}
if [[ -n "$LIBRARY" ]]; then
	[[ -f "$LIBRARY" ]] || die "no such file: $LIBRARY"
	cp "$LIBRARY" "$work/lib/dynomite_fdw.so"
	build_note="--library: measured $LIBRARY"
	dirty=" (a given build; the work tree may differ)"
elif ((NO_BUILD)); then
	[[ -f "$installed_so" ]] || die "--no-build, and no dynomite_fdw is installed"
	cp "$installed_so" "$work/lib/dynomite_fdw.so"
	build_note="--no-build: measured the installed dynomite_fdw.so"
	dirty=" (the installed build; the work tree may differ)"
elif build_install; then
	build_note="built from the work tree"
else
	log "building the extension failed; retrying in 60 s"
	sleep 60
	if build_install; then
		build_note="built from the work tree"
	else
		((have_previous)) || die "cannot build dynomite_fdw and none is installed"
		cp "$work/lib/previous.so" "$work/lib/dynomite_fdw.so"
		build_note="WORK TREE DID NOT BUILD: measured the build installed before this run"
		log "$build_note"
	fi
fi
chmod 755 "$work/lib/dynomite_fdw.so"

# ---------------------------------------------------------------- tools
CURL_FLAGS=$(pkg-config --cflags --libs libcurl)
JSONC_FLAGS=$(pkg-config --cflags --libs json-c)
gcc -O2 -Wall -Wextra -o "$work/bin/floor" bench/floor.c $CURL_FLAGS
gcc -O2 -Wall -Wextra -o "$work/bin/replay" bench/replay.c -lz
gcc -O2 -Wall -Wextra -o "$work/bin/jsonc_parse" bench/jsonc_parse.c $JSONC_FLAGS

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http NAME PID URL: until URL answers, for at most 30 s
wait_http() {
	local name=$1 pid=$2 url=$3 deadline=$((SECONDS + 30))
	until curl -sf -o /dev/null --max-time 2 "$url"; do
		kill -0 "$pid" 2>/dev/null || die "$name exited during startup"
		((SECONDS < deadline)) || die "$name did not answer at $url within 30 s"
		sleep 0.1
	done
}

# ---------------------------------------------------------------- dynalite
dynalite_port=$(free_port)
DYNALITE="http://127.0.0.1:$dynalite_port"
test/node_modules/.bin/dynalite --host 127.0.0.1 --port "$dynalite_port" \
	--createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
	</dev/null >"$work/dynalite.log" 2>&1 &
dynalite_pid=$!
wait_http dynalite "$dynalite_pid" "$DYNALITE/"

log "loading $ITEMS items into dynalite"
load_line=$(timeout 3600 node bench/load.js --endpoint "$DYNALITE" --table "$TABLE" --items "$ITEMS" --concurrency 16)
log "$load_line"

kv() { # kv KEY LINE: the value of KEY=... in LINE
	local k=$1 line=$2
	sed -n "s/.*\\b$k=\\([^ ]*\\).*/\\1/p" <<<"$line"
}

floor_args=(--table "$TABLE")
((PAGE_SIZE > 0)) && floor_args+=(--limit "$PAGE_SIZE")
# one unmeasured pass: warms dynalite, measures the bytes and pages of a scan
probe=$(timeout "$RUN_TIMEOUT" "$work/bin/floor" --endpoint "$DYNALITE" "${floor_args[@]}")
SCAN_BYTES=$(kv bytes "$probe")
SCAN_PAGES=$(kv pages "$probe")
[[ $(kv items "$probe") == "$ITEMS" ]] ||
	die "the table holds $(kv items "$probe") items after loading $ITEMS"
log "a full scan: $SCAN_PAGES pages, $SCAN_BYTES bytes of response bodies"

# ---------------------------------------------------------------- PostgreSQL
pg_port=$(free_port)
install -d -o postgres "$work/pgdata" "$work/socket"
runuser -u postgres -- "$bindir/initdb" -D "$work/pgdata" -A trust >/dev/null
runuser -u postgres -- "$bindir/pg_ctl" -D "$work/pgdata" -l "$work/pgdata/postgres.log" -w -t 60 \
	-o "-p $pg_port -k $work/socket -c listen_addresses='' -c jit=off" start >/dev/null
pg_started=1
psql_q() {
	runuser -u postgres -- timeout "$RUN_TIMEOUT" "$bindir/psql" -X -q -h "$work/socket" -p "$pg_port" \
		-d postgres -v ON_ERROR_STOP=1 "$@"
}

# the backend reads its own /proc: CPU (ticks, and ns where the kernel keeps
# se.sum_exec_runtime) and peak RSS
sched_expr="''"
[[ -r /proc/self/sched ]] && grep -q sum_exec_runtime /proc/self/sched &&
	sched_expr="coalesce(substring(pg_read_file('/proc/self/sched') from 'se\\.sum_exec_runtime\\s*:\\s*([0-9.]+)'), '')"
clk_tck=$(getconf CLK_TCK)
page_opt=""
if ((PAGE_SIZE > 0)); then page_opt=", page_size '$PAGE_SIZE'"; fi
columns="id text, n bigint, price numeric, category text, active boolean, payload text"
# the extension's objects from its installed script, its C functions from
# the private copy (check_function_bodies off: nothing is loaded before)
psql_q <<SQL
SET check_function_bodies = off;
CREATE EXTENSION dynomite_fdw;
UPDATE pg_proc SET probin = '$work/lib/dynomite_fdw.so' WHERE probin = '\$libdir/dynomite_fdw';
SQL
if ! psql_q -c "LOAD '$work/lib/dynomite_fdw.so'" >"$work/load-library.log" 2>&1; then
	cat "$work/load-library.log" >&2
	if ((have_previous)) && [[ $build_note == "built from the work tree" ]] &&
		! cmp -s "$work/lib/previous.so" "$work/lib/dynomite_fdw.so"; then
		cp "$work/lib/previous.so" "$work/lib/dynomite_fdw.so"
		build_note="WORK TREE BUILT BUT DID NOT LOAD: measured the build installed before this run"
		log "$build_note"
		psql_q -c "LOAD '$work/lib/dynomite_fdw.so'"
	else
		die "dynomite_fdw.so does not load"
	fi
fi
so_hash=$(sha256sum "$work/lib/dynomite_fdw.so" | cut -c1-12)
psql_q <<SQL
CREATE FUNCTION bench_proc() RETURNS text LANGUAGE sql AS \$f\$
  SELECT format('ticks=%s exec_ms=%s hwm_kb=%s',
                split_part(st, ' ', 14)::bigint + split_part(st, ' ', 15)::bigint,
                $sched_expr,
                substring(ss from 'VmHWM:\s*(\d+)'))
  FROM (SELECT pg_read_file('/proc/self/stat') AS st, pg_read_file('/proc/self/status') AS ss) p
\$f\$;
SQL
# fdw_server NAME ENDPOINT: a server, its user mapping and NAME_items
fdw_server() {
	psql_q <<SQL
CREATE SERVER $1 FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint '$2');
CREATE USER MAPPING FOR CURRENT_USER SERVER $1
  OPTIONS (access_key_id 'AKIDBENCHFDW', secret_access_key 'bench-fdw-secret');
CREATE FOREIGN TABLE $1_items ($columns) SERVER $1 OPTIONS (table '$TABLE'$page_opt);
SQL
}
fdw_server live "$DYNALITE"
# segments (parallel Scan): a build without the option makes the *_seg4 contenders n/a
SEG4=0
if psql_q -c "CREATE FOREIGN TABLE live_items_seg4 ($columns) SERVER live OPTIONS (table '$TABLE', segments '4'$page_opt)" \
	>"$work/seg4.log" 2>&1; then
	SEG4=1
else
	log "the segments option is not there ($(head -1 "$work/seg4.log")): *_seg4 contenders n/a"
fi

# ---------------------------------------------------------------- heap anchor
# heap_copy: the same rows in a PostgreSQL heap table, read by the same
# COPY, so that the extension's per-row cost has PostgreSQL's own beside it.
# Made once from the foreign table (unmeasured), vacuumed (hint bits set,
# visibility map) and analyzed, and read once so that its pages are in
# shared buffers before the first measured run.
if wants heap_copy; then
	log "copying the items into the heap table bench_heap"
	psql_q <<SQL
CREATE TABLE bench_heap AS SELECT * FROM live_items;
VACUUM (ANALYZE) bench_heap;
COPY (SELECT * FROM bench_heap) TO '/dev/null';
SQL
fi

# ---------------------------------------------------------------- writes
# The write contenders put the table's own N items again into a second
# table, loaded with them beforehand so that every measured run overwrites
# as many items: the extension from a local copy of them, boto3 from the
# same rows as JSON lines.
WRITE_TABLE=bench_writes
if wants_any fdw_insert boto3_write; then
	log "loading $ITEMS items into $WRITE_TABLE"
	timeout 3600 node bench/load.js --endpoint "$DYNALITE" --table "$WRITE_TABLE" --items "$ITEMS" \
		--concurrency 16 >/dev/null
	install -d -o postgres -m 755 "$work/writes"
	psql_q <<SQL
CREATE TABLE bench_src AS SELECT * FROM live_items;
CREATE FOREIGN TABLE live_writes ($columns) SERVER live
  OPTIONS (table '$WRITE_TABLE', batch_size '25', overwrite 'true');
COPY (SELECT row_to_json(s) FROM bench_src s) TO '$work/writes/items.jsonl';
SQL
	[[ $(wc -l <"$work/writes/items.jsonl") == "$ITEMS" ]] || die "the copy of the items is not $ITEMS rows"
fi

# ---------------------------------------------------------------- replay
if ((REPLAY)); then
	streams=("items:" "count:--count")
	if ((SEG4)); then
		for s in 0 1 2 3; do
			streams+=("items-s${s}of4:--segment $s --total-segments 4" "count-s${s}of4:--count --segment $s --total-segments 4")
		done
	fi
	# a parallel scan with two workers planned reads six segments (two for each process)
	if wants_any replay_fdw_copy_par2 replay_fdw_agg_par2 replay_fdw_agg_par2w; then
		for s in 0 1 2 3 4 5; do
			streams+=("items-s${s}of6:--segment $s --total-segments 6")
		done
	fi
	for entry in "${streams[@]}"; do
		name=${entry%%:*}
		# shellcheck disable=SC2206
		flags=(${entry#*:})
		timeout "$RUN_TIMEOUT" "$work/bin/floor" --endpoint "$DYNALITE" "${floor_args[@]}" "${flags[@]}" \
			--record "$work/rec" --stream "$name" >/dev/null
	done
	# the other operation a scan may send: DescribeTable, answered as recorded
	curl -sf --max-time 30 -o "$work/rec/DescribeTable-00001.json" \
		-H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.DescribeTable' \
		-H 'X-Amz-Date: 20240101T000000Z' \
		-H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCHFLOOR/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000' \
		--data "{\"TableName\":\"$TABLE\"}" "$DYNALITE/" || die "DescribeTable failed"
	echo "DescribeTable DescribeTable-00001.json" >>"$work/rec/manifest"
	log "recorded $(wc -l <"$work/rec/manifest") pages for the replay server"
	"$work/bin/replay" --dir "$work/rec" --port-file "$work/replay.port" --delay-ms "$DELAY_MS" \
		>"$work/replay.out" 2>"$work/replay.log" &
	replay_pid=$!
	for _ in $(seq 1 300); do [[ -s "$work/replay.port" ]] && break; sleep 0.1; done
	[[ -s "$work/replay.port" ]] || die "the replay server did not start: $(cat "$work/replay.log")"
	REPLAY_URL="http://127.0.0.1:$(cat "$work/replay.port")"
	wait_http replay "$replay_pid" "$REPLAY_URL/"
	fdw_server replay "$REPLAY_URL"
	if ((SEG4)); then
		psql_q -c "CREATE FOREIGN TABLE replay_items_seg4 ($columns) SERVER replay OPTIONS (table '$TABLE', segments '4'$page_opt)"
	fi
	# parallel scans: the planner shares a table whose size it knows (dynalite's
	# ItemCount is 0): ANALYZE counts it, through the replay server, unmeasured
	PAR=0
	if wants_any replay_fdw_copy_par1 replay_fdw_copy_par2 replay_fdw_agg_par1 replay_fdw_agg_par2 replay_fdw_agg_par2w && ((SEG4)); then
		psql_q -c "CREATE FOREIGN TABLE replay_items_par ($columns) SERVER replay OPTIONS (table '$TABLE'$page_opt)"
		if psql_q -c "ANALYZE replay_items_par" >"$work/analyze-par.log" 2>&1; then
			PAR=1
		else
			log "ANALYZE of replay_items_par failed ($(head -1 "$work/analyze-par.log")): *_par contenders n/a"
		fi
	fi
fi

# ---------------------------------------------------------------- contenders
# Each run_* prints one line: items=N wall=S cpu=S rss_kb=N [rss_delta_kb=N]
# (or "na=REASON"), or fails.

run_floor() { # ENDPOINT
	local out
	out=$(timeout "$RUN_TIMEOUT" "$work/bin/floor" --endpoint "$1" "${floor_args[@]}") || return 1
	echo "items=$(kv items "$out") wall=$(kv wall "$out") cpu=$(awk -v u="$(kv cpu_user "$out")" -v s="$(kv cpu_sys "$out")" 'BEGIN{printf "%.6f", u+s}') rss_kb=$(kv maxrss_kb "$out")"
}

run_jsonc() {
	local out
	out=$(timeout "$RUN_TIMEOUT" "$work/bin/jsonc_parse" --dir "$work/rec") || return 1
	echo "items=$(kv items "$out") wall=$(kv wall "$out") cpu=$(awk -v u="$(kv cpu_user "$out")" -v s="$(kv cpu_sys "$out")" 'BEGIN{printf "%.6f", u+s}') rss_kb=$(kv maxrss_kb "$out")"
}

# run_fdw TABLE star|copy|count|agg|insert [WORKERS [LEADER]]: a fresh
# backend; the plan is made once (loading the library and caches) before the
# measured statement.  WORKERS: a parallel plan with at most that many
# workers, its costs forced (the table must be one ANALYZE has counted);
# LEADER off: the leader gathers and does not scan
run_fdw() {
	local tbl=$1 mode=$2 workers=${3:-} leader=${4:-on} query out before after ms items t0 t1 e0 e1 cpu plan settings=""
	plan="SELECT * FROM $tbl"
	if [[ -n $workers ]]; then
		settings="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = $workers; SET parallel_leader_participation = $leader;"
	fi
	if [[ $mode == insert ]]; then
		query="INSERT INTO $tbl SELECT * FROM bench_src"
		plan=$query
	elif [[ $mode == star ]]; then
		query="EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT * FROM $tbl"
	elif [[ $mode == copy ]]; then
		query="COPY (SELECT * FROM $tbl) TO '/dev/null'"
	elif [[ $mode == agg ]]; then
		query="SELECT count(*), sum(price), max(length(payload)) FROM $tbl"
		plan=$query
	else
		query="SELECT count(*) FROM $tbl"
	fi
	out=$(psql_q -At <<SQL
$settings
EXPLAIN $plan;
SELECT 'BEFORE ' || bench_proc();
\\timing on
$query;
\\timing off
\\echo ROWS :ROW_COUNT
SELECT 'AFTER ' || bench_proc();
SQL
	) || { echo "$out" >&2; return 1; }
	echo "$out" >>"$work/runs/fdw.log"
	if [[ -n $workers ]] && ! grep -q "Workers Planned: $workers" <<<"$out"; then
		echo "run_fdw: the plan of $tbl is not parallel with $workers workers" >&2
		return 1
	fi
	before=$(grep '^BEFORE ' <<<"$out")
	after=$(grep '^AFTER ' <<<"$out")
	ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1)
	if [[ $mode == star ]]; then
		items=$(grep -m1 -o 'actual rows=[0-9]*' <<<"$out" | cut -d= -f2)
	elif [[ $mode == copy || $mode == insert ]]; then
		items=$(sed -n 's/^ROWS //p' <<<"$out")
	else
		items=$(grep -B1 -m1 '^Time: ' <<<"$out" | head -1 | cut -d'|' -f1)
	fi
	t0=$(kv ticks "$before"); t1=$(kv ticks "$after")
	e0=$(kv exec_ms "$before"); e1=$(kv exec_ms "$after")
	if [[ -n "$e0" && -n "$e1" ]]; then
		cpu=$(awk -v a="$e0" -v b="$e1" 'BEGIN{printf "%.6f", (b-a)/1000}')
	else
		cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$clk_tck" 'BEGIN{printf "%.6f", (b-a)/hz}')
	fi
	echo "items=${items:-?} wall=$(awk -v m="$ms" 'BEGIN{printf "%.6f", m/1000}') cpu=$cpu rss_kb=$(kv hwm_kb "$after") rss_delta_kb=$(($(kv hwm_kb "$after") - $(kv hwm_kb "$before")))"
}

run_boto3() {
	local out args=(--endpoint "$DYNALITE" --table "$TABLE")
	((PAGE_SIZE > 0)) && args+=(--page-size "$PAGE_SIZE")
	out=$(timeout "$RUN_TIMEOUT" /usr/bin/python3 bench/boto3_scan.py "${args[@]}") || return 1
	echo "items=$(kv items "$out") wall=$(kv wall "$out") cpu=$(awk -v u="$(kv cpu_user "$out")" -v s="$(kv cpu_sys "$out")" 'BEGIN{printf "%.6f", u+s}') rss_kb=$(kv maxrss_kb "$out")"
}

run_boto3_write() {
	local out
	out=$(timeout "$RUN_TIMEOUT" /usr/bin/python3 bench/boto3_write.py --endpoint "$DYNALITE" \
		--table "$WRITE_TABLE" --items "$work/writes/items.jsonl") || return 1
	echo "items=$(kv items "$out") wall=$(kv wall "$out") cpu=$(awk -v u="$(kv cpu_user "$out")" -v s="$(kv cpu_sys "$out")" 'BEGIN{printf "%.6f", u+s}') rss_kb=$(kv maxrss_kb "$out")"
}

# the aws CLI, as a script: the measured runs write the whole JSON to
# /dev/null; one more run before them, not measured, counts the items (the
# CLI prints one Count per page)
AWSCLI_ITEMS=""
if wants awscli; then
	{
		echo '#!/bin/sh'
		echo 'export AWS_ACCESS_KEY_ID=AKIDBENCHCLI AWS_SECRET_ACCESS_KEY=bench-cli-secret AWS_DEFAULT_REGION=us-east-1'
		echo 'export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null'
		printf 'exec /usr/bin/aws dynamodb scan --table-name %s --endpoint-url %s%s "$@"\n' "$TABLE" "$DYNALITE" \
			"$( ((PAGE_SIZE > 0)) && echo " --page-size $PAGE_SIZE")"
	} >"$work/bin/aws-scan"
	chmod 755 "$work/bin/aws-scan"
	AWSCLI_ITEMS=$(timeout "$RUN_TIMEOUT" "$work/bin/aws-scan" --query Count --output text |
		tr -s ' \t' '\n\n' | awk '{s+=$1} END{print s+0}') || AWSCLI_ITEMS="?"
fi
run_awscli() {
	local out
	timeout "$RUN_TIMEOUT" /usr/bin/time -f "wall=%e cpu_user=%U cpu_sys=%S maxrss_kb=%M" -o "$work/time.out" \
		"$work/bin/aws-scan" --output json >/dev/null || return 1
	out=$(tail -1 "$work/time.out")
	echo "items=$AWSCLI_ITEMS wall=$(kv wall "$out") cpu=$(awk -v u="$(kv cpu_user "$out")" -v s="$(kv cpu_sys "$out")" 'BEGIN{printf "%.6f", u+s}') rss_kb=$(kv maxrss_kb "$out")"
}

run_contender() {
	case "$1" in
	floor) run_floor "$DYNALITE" ;;
	replay_floor) run_floor "$REPLAY_URL" ;;
	fdw_star) run_fdw live_items star ;;
	fdw_copy) run_fdw live_items copy ;;
	fdw_count) run_fdw live_items count ;;
	fdw_star_seg4) if ((SEG4)); then run_fdw live_items_seg4 star; else echo "na=no-segments-option"; fi ;;
	fdw_count_seg4) if ((SEG4)); then run_fdw live_items_seg4 count; else echo "na=no-segments-option"; fi ;;
	heap_copy) run_fdw bench_heap copy ;;
	replay_fdw_star) run_fdw replay_items star ;;
	replay_fdw_copy) run_fdw replay_items copy ;;
	replay_fdw_count) run_fdw replay_items count ;;
	replay_fdw_star_seg4) if ((SEG4)); then run_fdw replay_items_seg4 star; else echo "na=no-segments-option"; fi ;;
	replay_fdw_count_seg4) if ((SEG4)); then run_fdw replay_items_seg4 count; else echo "na=no-segments-option"; fi ;;
	replay_fdw_copy_par1) if ((PAR)); then run_fdw replay_items_par copy 1; else echo "na=no-parallel-scan"; fi ;;
	replay_fdw_copy_par2) if ((PAR)); then run_fdw replay_items_par copy 2; else echo "na=no-parallel-scan"; fi ;;
	replay_fdw_agg) run_fdw replay_items agg ;;
	replay_fdw_agg_par1) if ((PAR)); then run_fdw replay_items_par agg 1; else echo "na=no-parallel-scan"; fi ;;
	replay_fdw_agg_par2) if ((PAR)); then run_fdw replay_items_par agg 2; else echo "na=no-parallel-scan"; fi ;;
	replay_fdw_agg_par2w) if ((PAR)); then run_fdw replay_items_par agg 2 off; else echo "na=no-parallel-scan"; fi ;;
	boto3) run_boto3 ;;
	awscli) run_awscli ;;
	fdw_insert) run_fdw live_writes insert ;;
	boto3_write) run_boto3_write ;;
	jsonc_parse) run_jsonc ;;
	esac
}

# Rounds: run 1 of every contender, then run 2, ..., so that drift in the
# server spreads over all of them.
results="$work/results.tsv"
: >"$results"
mismatches=0
failures=0
for ((r = 1; r <= RUNS; r++)); do
	for c in "${CONTENDERS[@]}"; do
		if grep -q "^$c	na	" "$results"; then continue; fi
		if ! line=$(run_contender "$c"); then
			log "RUN FAILED: $c run $r"
			failures=$((failures + 1))
			printf '%s\tfailed\t\t\t\t\t\n' "$c" >>"$results"
			continue
		fi
		if [[ $line == na=* ]]; then
			printf '%s\tna\t\t\t\t\t%s\n' "$c" "${line#na=}" >>"$results"
			continue
		fi
		items=$(kv items "$line")
		status=ok
		if [[ "$items" != "$ITEMS" ]]; then
			status=mismatch
			mismatches=$((mismatches + 1))
			log "MISMATCH: $c run $r read $items items, not $ITEMS"
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$status" "$items" "$(kv wall "$line")" "$(kv cpu "$line")" \
			"$(kv rss_kb "$line")" "$(kv rss_delta_kb "$line")" >>"$results"
		log "$c run $r: $line"
	done
done

# ---------------------------------------------------------------- read budget
# --budget N: the same table read through the test proxy (which keeps when
# each request came in and its answer ended, and the ConsumedCapacity it
# carried) by a foreign table with read_capacity_per_second N, once without
# the budget and once with it
budget_report="$work/budget.md"
: >"$budget_report"
if ((BUDGET > 0)); then
	proxy_port=$(free_port)
	PROXY_URL="http://127.0.0.1:$proxy_port"
	PROXY_CREDENTIALS="AKIDBENCHFDW:bench-fdw-secret" node test/proxy.js --port "$proxy_port" \
		--upstream "$DYNALITE" </dev/null >"$work/proxy.log" 2>&1 &
	proxy_pid=$!
	wait_http proxy "$proxy_pid" "$PROXY_URL/__peak"
	psql_q <<SQL
CREATE SERVER paced FOREIGN DATA WRAPPER dynomite_fdw
  OPTIONS (region 'us-east-1', endpoint '$PROXY_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER paced
  OPTIONS (access_key_id 'AKIDBENCHFDW', secret_access_key 'bench-fdw-secret');
CREATE FOREIGN TABLE paced_free ($columns) SERVER paced OPTIONS (table '$TABLE'$page_opt);
CREATE FOREIGN TABLE paced_items ($columns) SERVER paced
  OPTIONS (table '$TABLE', read_capacity_per_second '$BUDGET'$page_opt);
SQL
	# budget_scan TABLE: wall ms, rows, and the statistics of one COPY of
	# TABLE; the proxy's times of its Scans into $work/times-TABLE.tsv
	budget_scan() {
		local out
		curl -sf -o /dev/null -X POST "$PROXY_URL/__reset"
		out=$(psql_q -At <<SQL
EXPLAIN SELECT * FROM $1;
SELECT dynomite_stat_reset();
\\timing on
COPY (SELECT * FROM $1) TO '/dev/null';
\\timing off
\\echo ROWS :ROW_COUNT
SELECT 'STAT requests=' || scan_requests || ' capacity=' || capacity_units ||
       ' waits=' || budget_waits || ' wait_ms=' || round(budget_wait_ms::numeric)
  FROM dynomite_stat_tables WHERE foreign_table = '$1'::regclass;
SQL
		) || { echo "$out" >&2; return 1; }
		curl -sf "$PROXY_URL/__times?format=tsv" | awk -F'\t' '$2 ~ /Scan$/' >"$work/times-$1.tsv"
		echo "wall_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1)" \
			"rows=$(sed -n 's/^ROWS //p' <<<"$out") $(sed -n 's/^STAT //p' <<<"$out")"
	}
	free_line=$(budget_scan paced_free) || die "the unpaced scan through the proxy failed"
	log "without a budget: $free_line"
	paced_line=$(budget_scan paced_items) || die "the paced scan failed"
	log "with $BUDGET units/s: $paced_line"
	# the capacity the proxy saw, and the last page's (no wait follows it)
	read -r cap_total cap_last pages < <(awk -F'\t' '{t += $5; l = $5; n++} END {printf "%s %s %d\n", t, l, n}' \
		"$work/times-paced_items.tsv")
	{
		echo
		echo "#### read budget: $BUDGET capacity units a second"
		echo
		echo "A COPY of the table through the test proxy, by a foreign table with \`read_capacity_per_second '$BUDGET'\` and by one without."
		echo
		echo "| read | wall s | rows | Scan requests | capacity units (proxy) | budget waits | budget wait s | (capacity - last page) / budget s | capacity / budget s | wall / (capacity / budget) |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		for line in "without budget|$free_line" "$BUDGET units/s|$paced_line"; do
			name=${line%%|*}
			l=${line#*|}
			awk -v name="$name" -v w="$(kv wall_ms "$l")" -v rows="$(kv rows "$l")" -v req="$(kv requests "$l")" \
				-v waits="$(kv waits "$l")" -v wms="$(kv wait_ms "$l")" -v c="$cap_total" -v last="$cap_last" -v b="$BUDGET" \
				'BEGIN { if (waits == 0 && name == "without budget")
				           printf "| %s | %.3f | %s | %s | (not asked) | %s | %.3f | | | |\n", name, w / 1000, rows, req, waits, wms / 1000
				         else
				           printf "| %s | %.3f | %s | %s | %.1f | %s | %.3f | %.3f | %.3f | %.3f |\n",
				             name, w / 1000, rows, req, c, waits, wms / 1000, (c - last) / b, c / b, (w / 1000) / (c / b) }'
		done
		echo
		echo "The proxy's times of the paced Scans (ms from the first request; gap: from the answer before to this request):"
		echo
		echo "| request | came in ms | answered ms | gap ms | capacity units |"
		echo "|---:|---:|---:|---:|---:|"
		awk -F'\t' -v n="$pages" '
			NR == 1 { base = $3 }
			{ gap = (NR > 1) ? $3 - prev : 0; prev = $4
			  if (n <= 30 || NR <= 20 || NR > n - 5) printf "| %d | %d | %d | %d | %s |\n", NR, $3 - base, $4 - base, gap, $5
			  else if (NR == 21) print "| ... | | | | |" }' "$work/times-paced_items.tsv"
	} >"$budget_report"
fi

# ---------------------------------------------------------------- report
notes() {
	case "$1" in
	floor | replay_floor) echo "C + libcurl, one keep-alive connection, bodies discarded; fixed dummy Authorization (no signing)" ;;
	fdw_star | replay_fdw_star) echo "EXPLAIN (ANALYZE, TIMING OFF) SELECT *: every row built in the backend, none sent; backend CPU and VmHWM" ;;
	fdw_copy | replay_fdw_copy) echo "COPY (SELECT *) TO '/dev/null': every row built and written out as text by the backend; backend CPU and VmHWM" ;;
	fdw_count | replay_fdw_count) echo "SELECT count(*) (Select=COUNT); backend CPU and VmHWM" ;;
	heap_copy) echo "the anchor: COPY (SELECT *) TO '/dev/null' of a PostgreSQL heap table holding the same rows; backend CPU and VmHWM" ;;
	*_seg4) echo "as above with OPTIONS (segments '4')" ;;
	replay_fdw_copy_par1) echo "replay_fdw_copy as a parallel plan, 1 worker + the leader, 4 segments (parallel costs forced); CPU and VmHWM of the leader only" ;;
	replay_fdw_copy_par2) echo "replay_fdw_copy as a parallel plan, 2 workers + the leader, 6 segments (parallel costs forced); CPU and VmHWM of the leader only" ;;
	replay_fdw_agg) echo "SELECT count(*), sum(price), max(length(payload)): every row built and aggregated in the backend; backend CPU and VmHWM" ;;
	replay_fdw_agg_par1) echo "replay_fdw_agg as a parallel plan, 1 worker + the leader, 4 segments, partial aggregates (parallel costs forced); CPU and VmHWM of the leader only" ;;
	replay_fdw_agg_par2) echo "replay_fdw_agg as a parallel plan, 2 workers + the leader, 6 segments, partial aggregates (parallel costs forced); CPU and VmHWM of the leader only" ;;
	replay_fdw_agg_par2w) echo "replay_fdw_agg_par2 with parallel_leader_participation off: the 2 workers scan, the leader gathers their partial aggregates; CPU and VmHWM of the leader only" ;;
	boto3) echo "Debian python3-boto3 Scan paginator; wall and CPU of the loop only" ;;
	fdw_insert) echo "INSERT ... SELECT from a local table into a foreign table with batch_size 25, overwrite: BatchWriteItem of 25, one at a time; backend CPU and VmHWM" ;;
	boto3_write) echo "Debian python3-boto3 Table.batch_writer, put_item per row (BatchWriteItem of 25); wall and CPU of the loop only" ;;
	awscli) echo "whole process incl. ~startup; buffers every page, prints JSON to /dev/null" ;;
	jsonc_parse) echo "json-c parse + walk of the recorded bytes, in memory, no I/O" ;;
	esac
}

machine_cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem_gb=$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)
report="$work/report.md"
{
	echo "### dynomite_fdw benchmark: $ITEMS items"
	echo
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), commit $rev$dirty; $build_note (dynomite_fdw.so sha256 $so_hash...)"
	echo "- machine: $(nproc) cores, $machine_cpu, ${mem_gb} GB; PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), dynalite $(node -p 'require("./test/node_modules/dynalite/package.json").version'), node $(node --version)"
	echo "- table: $ITEMS items of $(kv item_bytes "$load_line") bytes (DynamoDB item size), $SCAN_BYTES bytes of Scan responses ($(awk -v b="$SCAN_BYTES" -v n="$ITEMS" 'BEGIN{printf "%.0f", b/n}') per item) in $SCAN_PAGES pages$( ((PAGE_SIZE > 0)) && echo " of Limit $PAGE_SIZE" || echo " (1 MB pages)")"
	echo "- load: $(kv seconds "$load_line") s with BatchWriteItem x 16 in flight ($(kv items_per_s "$load_line") items/s)"
	echo "- medians of $RUNS runs; items/s = items / median wall; per core = per client CPU second; MB = 10^6 bytes of response bodies"
	((REPLAY)) && echo "- replay server: pages recorded from dynalite, answered from memory$( ((DELAY_MS > 0)) && echo ", $DELAY_MS ms injected before every answer")"
	echo
	echo "| contender | median wall s | items/s | client CPU s | peak RSS MB | RSS over idle MB | MB/s per core | items/s per core | wall min-max s | notes |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for c in "${CONTENDERS[@]}"; do
		if grep -q "^$c	na	" "$results"; then
			echo "| $c | n/a | | | | | | | | $(grep -m1 "^$c	na	" "$results" | cut -f7) |"
			continue
		fi
		awk -F'\t' -v c="$c" -v n="$ITEMS" -v bytes="$SCAN_BYTES" -v note="$(notes "$c")" '
			function median(a, k,   i, j, t) {
				for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
				return (k % 2) ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
			}
			$1 == c && $2 != "failed" { k++; w[k] = $4 + 0; u[k] = $5 + 0; r[k] = $6 + 0; if ($7 != "") { d[k] = $7 + 0; hasd = 1 } if ($2 == "mismatch") bad++ }
			$1 == c && $2 == "failed" { failed++ }
			END {
				if (k == 0) { printf "| %s | FAILED | | | | | | | | %s |\n", c, note; exit }
				mw = median(w, k); mu = median(u, k); mr = median(r, k)
				range = (w[k] < 0.1) ? sprintf("%.4f-%.4f", w[1], w[k]) : sprintf("%.3f-%.3f", w[1], w[k])
				delta = hasd ? sprintf("%.1f", median(d, k) / 1024) : "-"
				counting = (c ~ /count|insert|write|heap/)
				mbs = (counting || mu <= 0) ? "-" : sprintf("%.1f", bytes / 1e6 / mu)
				ips = (mu <= 0) ? "-" : sprintf("%.0f", n / mu)
				extra = ""
				if (bad) extra = extra sprintf(" **ITEM COUNT MISMATCH in %d runs**", bad)
				if (failed) extra = extra sprintf(" **%d runs failed**", failed)
				wfmt = (mw < 0.1) ? "%.4f" : "%.3f"
				printf "| %s | " wfmt " | %.0f | %.3f | %.1f | %s | %s | %s | %s | %s%s |\n", c, mw, n / mw, mu, mr / 1024, delta, mbs, ips, range, note, extra
			}' "$results"
	done
	if ((mismatches)); then
		echo
		echo "**$mismatches runs read a number of items other than $ITEMS: see above.**"
	fi
	if ((failures)); then
		echo
		echo "**$failures runs failed: see the log above the table.**"
	fi
	cat "$budget_report"
} >"$report"
cat "$report"
[[ -n "$OUT" ]] && cp "$report" "$OUT"
if [[ -n "${BENCH_KEEP:-}" ]]; then cp "$results" "$work/results.keep.tsv"; fi
((mismatches == 0 && failures == 0)) || exit 3
