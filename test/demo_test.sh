#!/bin/sh
# demo_test - `make demo`'s script works and cleans up after itself: the
# entry is spooled, the full-disk case exits 75, no database server is left.
#
#	BIN=build/bin sh test/demo_test.sh
set -u
BIN=$(cd "${BIN:-build/bin}" && pwd) || exit 1
D=$(mktemp -d /tmp/hdemo.XXXXXX)
trap 'rm -rf "$D"' EXIT
nfail=0
check() {
	d=$1; shift
	if "$@"; then echo "ok - $d"; else echo "not ok - $d"; nfail=$((nfail + 1)); fi
}

BIN=$BIN HERALD_DEMO_DIR=$D sh scripts/demo.sh > "$D.log" 2>&1; st=$?
check "the demo runs to the end" test "$st" -eq 0
check "it spools the sample message" grep -q '^recipient: staff@lists.example.org$' "$D.log"
check "it shows the full disk refused with 75" grep -q 'queue exited 75 ; entries in msg/tmp: 0' "$D.log"
check "it migrated the schema" grep -q '^pending: none$' "$D.log"
check "it creates a list" grep -q '^created list staff@lists.example.org with 1 owner$' "$D.log"
check "the import reports the bad row by line" grep -q "members.csv:4: 'not-an-address'" "$D.log"
check "the import summary" grep -q 'added 3, already there 0, invalid 1' "$D.log"
check "the aliases route the list to queue" grep -q "^staff: \"|$BIN/queue -c $D/herald.yaml -p 5 staff@lists.example.org\"$" "$D.log"
check "distribute makes a bulk job of the post" grep -q '^job [0-9]* | post | staff | packets 1 | recipients 3$' "$D.log"
check "the job's message is tagged" grep -q '^Subject: \[staff\] ' "$D.log"
check "the job's message has its List-Id" grep -q '^List-Id: .*<staff.lists.example.org>' "$D.log"
check "bulk sends the job and exits 0" grep -q '^bulk exited 0$' "$D.log"
check "bulk records each recipient as sent" grep -q '^carol@example.org | sent | 250' "$D.log"
check "the sink got one transaction from the list's tokened return path" \
    test "$(grep -c '^X-Mail-Args: <bounce+[a-z2-7]\{10\}=staff@lists.example.org>' "$D.log")" -eq 1
check "the sink got the three members" test "$(grep -c '^X-Rcpt-Args: <' "$D.log")" -eq 3
check "no SMTP sink is left running" sh -c "! pgrep -f '[s]mtp-sink .*$D/' >/dev/null"
check "which finds the owner" grep -q '^staff@lists.example.org	owner	open	privileged$' "$D.log"
# "[p]" keeps pgrep from finding this very command line.
check "no database server is left running" \
    sh -c "! pgrep -f '[p]ostgres -D $D/' >/dev/null"
check "the cluster's directory is gone" test ! -e "$D/state/pg"
[ "$nfail" -eq 0 ] || cat "$D.log"
rm -f "$D.log"
[ "$nfail" -eq 0 ]
