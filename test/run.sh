#!/bin/sh
# run.sh - Herald's test suite.
#
#	sh test/run.sh [BUILD ...]	(default: build build/san)
#
# For each build directory: every unit test binary (BUILD/test/*_test,
# cmocka) and every integration script (test/*_test.sh, given BIN=BUILD/bin).
# Then each fuzz target of build/fuzz runs for FUZZ_SECONDS (default 4: a regression pass
# over the seeds and a little more; `make fuzz` is where fuzzing runs long).
# One throwaway PostgreSQL cluster serves the whole run. The last line is
# "N passed, N failed, N skipped", counted per test case.
set -u
cd "$(dirname "$0")/.." || exit 1

builds=${*:-build build/san}
passed=0 failed=0 skipped=0
failures=""
log=$(mktemp /tmp/herald-test.XXXXXX)

HERALD_CORPORA=${HERALD_CORPORA:-$(cd .. && pwd)/shared/corpora}
export HERALD_CORPORA
if [ ! -d "$HERALD_CORPORA" ]; then
	echo "corpora: not found at $HERALD_CORPORA: corpus tests will skip"
fi

# shellcheck source=test/lib/pg.sh
. test/lib/pg.sh
pgdir=$(mktemp -d /tmp/hpg.XXXXXX)
cleanup() {
	pg_down "$pgdir" >/dev/null 2>&1
	rm -rf "$pgdir" "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! pg_up "$pgdir"; then
	echo "PostgreSQL: could not start a throwaway cluster: database tests will skip"
	unset HERALD_TEST_DATABASE
fi

count() {	# count NAME STATUS: add the cases of the last log to the totals
	run=$(grep -c '^\[ RUN      \]' "$log")
	ok=$(grep -c '^\[       OK \]' "$log")
	# cmocka repeats each skipped case in its summary, under a count line.
	skip=$(grep '^\[  SKIPPED \] ' "$log" | grep -v ' test(s)' | sort -u | wc -l)
	tap_ok=$(grep -c '^ok - ' "$log")
	tap_fail=$(grep -c '^not ok - ' "$log")
	tap_skip=$(grep -c '^skip - ' "$log")
	fail=$((run - ok - skip + tap_fail))
	# A crash after the last case, or a sanitizer report at exit, is a failure too.
	if [ "$2" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1
	fi
	passed=$((passed + ok + tap_ok))
	skipped=$((skipped + skip + tap_skip))
	failed=$((failed + fail))
	if [ "$fail" -ne 0 ]; then
		failures="$failures $1"
		echo "FAILED: $1 (exit $2)"
		grep -E '^\[  (FAILED|ERROR)|^not ok|ERROR|runtime error|^==' "$log" | head -40
	fi
}

for b in $builds; do
	echo "=== $b"
	for t in "$b"/test/*_test; do
		[ -x "$t" ] || continue
		"$t" >"$log" 2>&1
		st=$?
		grep -E '^(cpython|sisimai|go-net-mail|isemail|skip|corpora)' "$log"
		count "$t" "$st"
		echo "$t: $(grep -c '^\[       OK \]' "$log") passed"
	done
	for s in test/*_test.sh; do
		[ -f "$s" ] || continue
		BIN="$b/bin" sh "$s" >"$log" 2>&1
		st=$?
		grep -E '^(skip|#)' "$log"
		count "$s[$b]" "$st"
		echo "$s [$b]: $(grep -c '^ok - ' "$log") passed"
	done
done

if [ -d build/fuzz ]; then
	echo "=== fuzz (${FUZZ_SECONDS:-4} s each)"
	for f in build/fuzz/*_fuzz; do
		[ -x "$f" ] || continue
		FUZZ_SECONDS=${FUZZ_SECONDS:-4} sh test/fuzz/run.sh "$f" >"$log" 2>&1
		st=$?
		if [ "$st" -eq 0 ]; then
			passed=$((passed + 1))
			echo "$f: ok ($(grep -o 'Done [0-9]* runs' "$log" | tail -1))"
		else
			failed=$((failed + 1))
			failures="$failures $f"
			echo "FAILED: $f"
			tail -40 "$log"
		fi
	done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
