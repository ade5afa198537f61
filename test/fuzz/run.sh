#!/bin/sh
# run.sh - run one libFuzzer target (or all) for FUZZ_SECONDS each.
#
#	FUZZ_SECONDS=60 sh test/fuzz/run.sh [build/fuzz/NAME_fuzz ...]
#
# New inputs are kept in build/fuzz/corpus/NAME; seeds are read in place
# from ../shared/corpora when it is there. A crash leaves its input in
# build/fuzz/ and makes the run fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${FUZZ_SECONDS:-60}
corpora=${HERALD_CORPORA:-$(cd .. && pwd)/shared/corpora}
targets=${*:-$(ls build/fuzz/*_fuzz 2>/dev/null)}
[ -n "$targets" ] || { echo "no fuzz targets: run 'make fuzz-build'" >&2; exit 1; }

seeds() {	# the seed directories of a target that exist here
	case "$1" in
	msg) set -- "$corpora/cpython-email-testdata/data" "$corpora/sisimai-set-of-emails/maildir/bsd" ;;
	bounce) set -- test/fuzz/seeds/bounce "$corpora/sisimai-set-of-emails/maildir/bsd" ;;
	addr) set -- "$corpora/go-net-mail" "$corpora/isemail" ;;
	scenario) set -- "$corpora/sympa-testdata/default/scenari" ;;
	dkim) set -- test/fuzz/seeds/dkim "$corpora/stalwart-mail-auth/resources/dkim" ;;
	*) set -- "test/fuzz/seeds/$1" ;;
	esac
	for d in "$@"; do [ -d "$d" ] && echo "$d"; done
}

rc=0
for t in $targets; do
	name=$(basename "$t" _fuzz)
	mkdir -p "build/fuzz/corpus/$name"
	# shellcheck disable=SC2046
	"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=262144 -artifact_prefix=build/fuzz/ -print_final_stats=1 \
	    "build/fuzz/corpus/$name" $(seeds "$name") || rc=1
done
exit $rc
