# check.sh - what the integration scripts share: TAP-like result lines and
# the count of failures they end on.
#
#	. "$(dirname "$0")/lib/check.sh"
#	check "the file is there" test -f "$f"
#	eq "one job" "$(sql "SELECT count(*) FROM bulk_jobs")" 1
#	[ $nfail -eq 0 ]
nfail=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; nfail=$((nfail + 1)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
check() {
	check_d=$1; shift
	if "$@"; then ok "$check_d"; else not_ok "$check_d"; fi
}
# eq DESCRIPTION GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', wanted '$3'"; fi
}
# sql QUERY: one value per line, unaligned, from the test database
sql() { psql -X -q -t -A -d "$HERALD_TEST_DATABASE" -c "$1" 2>/dev/null; }
