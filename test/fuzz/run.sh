#!/usr/bin/env bash
# The fuzz targets: each built with clang's libFuzzer and the address and
# undefined-behaviour sanitizers (any report aborts), then run for a bounded
# time from its kept corpus in test/fuzz/corpus/TARGET.  A crash, a
# sanitizer report, a leak or a hang fails the target; what it finds is left
# in the work directory printed.
#
#   FUZZ_SECONDS=20       how long each target runs
#   FUZZ_TARGETS="..."    which (default all four)
#
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pgc=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
seconds=${FUZZ_SECONDS:-20}
read -r -a targets <<<"${FUZZ_TARGETS:-json response token sigv4}"
work=$(mktemp -d /tmp/dynomite-fuzz.XXXXXX)
cc=${FUZZ_CC:-clang}

flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wno-ignored-attributes -Wno-unused-command-line-argument
	-I"$repo/src" -I"$here" -I"$("$pgc" --includedir-server)")
read -r -a deps <<<"$(pkg-config --cflags --libs json-c openssl)"
pglibs=("$("$pgc" --pkglibdir)/libpgcommon.a" "$("$pgc" --pkglibdir)/libpgport.a")

sources_of() {
	case $1 in
	json) echo "src/jsontext.c" ;;
	response) echo "src/dynamo_api.c src/jsontext.c src/token.c src/convert.c src/sigv4.c test/fuzz/stubs.c" ;;
	token) echo "src/token.c src/jsontext.c src/sigv4.c" ;;
	sigv4) echo "src/sigv4.c" ;;
	esac
}

passed=0
failed=0
for t in "${targets[@]}"; do
	read -r -a srcs <<<"$(sources_of "$t")"
	shim=()
	[[ $t != sigv4 ]] && shim=("$here/pgshim.c")
	bin="$work/fuzz_$t"
	if ! (cd "$repo" && "$cc" "${flags[@]}" -o "$bin" "$here/fuzz_$t.c" "${srcs[@]}" \
		"${shim[@]}" "${pglibs[@]}" "${deps[@]}") >"$work/build_$t.log" 2>&1; then
		cat "$work/build_$t.log" >&2
		echo "fuzz $t: FAILED to build"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work/corpus_$t"
	# new inputs go to the work directory; the kept corpus is only read
	if (cd "$work" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 "$work/corpus_$t" "$here/corpus/$t") \
		>"$work/run_$t.log" 2>&1; then
		echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/run_$t.log" | grep -o '[0-9]*$') runs)"
		passed=$((passed + 1))
	else
		tail -40 "$work/run_$t.log" >&2
		echo "fuzz $t: FAILED (see $work)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]] && rm -rf "$work"
[[ $failed -eq 0 ]]
