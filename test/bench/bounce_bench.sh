#!/bin/sh
# bounce_bench.sh - issue 7's P3: DSNs piped through bouncequeue(8), as the
# MTA does it, and recorded by a running bounced(8) in PostgreSQL; and what
# a forged bounce costs.
#
#   P3_bounces_end_to_end	N DSNs (one per member of an N-member list,
#	to the list's tokened return path) fed by BENCH_BOUNCE_FEEDERS
#	parallel loops of bouncequeue, while bounced runs: from the first
#	bouncequeue to the last member's bounce recorded
#   P3_exec_limit		the same loops running /bin/true with the same
#	input: what this machine allows for piping at all (a fork and an
#	exec per bounce, as the MTA does)
#   P3_bounced_alone		bounced -1 over N DSNs already in the spool
#   P3_bounced_alone_tmpfs	the same with the spool and the bounce
#	directory on tmpfs: bounced's own cost, apart from the disk
#   P3_forged_cost		bounced -1 over BENCH_BOUNCE_FORGED bounces
#	whose token is forged: time per bounce (dropped before any parse
#	or database work), and that no member was touched
#
#	sh test/bench/bounce_bench.sh	(test/bench/run.sh calls it)
#
# BENCH_BOUNCE_N (default 100000), BENCH_BOUNCE_FORGED (default 20000),
# BENCH_BOUNCE_FEEDERS (default 2), BIN (default build/bin). The spool
# entries of the "alone" and "forged" parts are written by bouncequeue
# too, before the clock starts. One line "bench NAME: VALUE UNIT" each.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
BIN=$(cd "${BIN:-build/bin}" 2>/dev/null && pwd) || BIN=$TOP/build/bin
N=${BENCH_BOUNCE_N:-100000}
NF=${BENCH_BOUNCE_FORGED:-20000}
FEEDERS=${BENCH_BOUNCE_FEEDERS:-2}
DOM=lists.example.test
# shellcheck source=test/lib/pg.sh
. test/lib/pg.sh

for p in herald bouncequeue bounced; do
	if [ ! -x "$BIN/$p" ]; then
		echo "bench P3: skipped ($BIN/$p not built)"
		exit 0
	fi
done
T=$(mktemp -d /tmp/hbo.XXXXXX) || exit 1
PGDIR="" BOUNCED=""
bounce_cleanup() {
	trap '' HUP INT TERM
	[ -n "$BOUNCED" ] && kill -TERM "$BOUNCED" 2>/dev/null && wait "$BOUNCED" 2>/dev/null
	[ -n "$PGDIR" ] && pg_down "$PGDIR" >/dev/null 2>&1
	rm -rf "$T"
	[ -n "${SHM:-}" ] && rm -rf "$SHM"
}
trap bounce_cleanup EXIT
trap 'exit 130' HUP INT TERM

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ d = $3 - $2; if (d > 0) printf "%.0f", $1 / d; else print "?" }'; }
H() { "$BIN/herald" "$@" >"$T/herald.out" 2>&1 || { sed 's/^/# /' "$T/herald.out"; return 1; }; }
sql() { psql -X -q -t -A -d "$HERALD_TEST_DATABASE" -c "$1"; }

# -- the site ---------------------------------------------------------------------
PGDIR=$(mktemp -d /tmp/hbopg.XXXXXX)
if ! pg_up "$PGDIR"; then
	PGDIR=""
	echo "bench P3: skipped (no PostgreSQL to start)"
	exit 0
fi
mkdir -p "$T/lists" "$T/state"
cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $DOM
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
EOC
export HERALD_CONFIG="$T/herald.yaml"
HERALD_SCENARIODIR=$TOP/scenarios
export HERALD_SCENARIODIR
if ! { H db migrate && H spool init && H domain create "$DOM" &&
    H list create bench --subject "Bounce bench" --owner owner@example.org; }; then
	echo "bench P3: FAILED (site setup)"
	exit 0
fi
awk -v n="$N" 'BEGIN { print "email"; for (i = 1; i <= n; i++)
    printf "m%06d@dest.example.test\n", i }' > "$T/members.csv"
H member import bench "$T/members.csv" || { echo "bench P3: FAILED (members)"; exit 0; }
RP=$("$BIN/herald" bounce verp bench -) || { echo "bench P3: FAILED (no return path)"; exit 0; }
# The same address with the MAC's first character changed (after
# "bounce+" and the two of the day, lib/verp.h): a forgery.
c=$(printf '%s' "$RP" | cut -c10)
if [ "$c" = a ]; then c=b; else c=a; fi
FORGED=$(printf '%s' "$RP" | cut -c1-9)$c$(printf '%s' "$RP" | cut -c11-)

# dsns DIR FIRST COUNT TO: one RFC 3464 report per member, a file each
dsns() {
	mkdir -p "$1"
	awk -v dir="$1" -v first="$2" -v n="$3" -v to="$4" 'BEGIN {
	for (i = first; i < first + n; i++) {
		f = sprintf("%s/%07d", dir, i)
		m = sprintf("m%06d@dest.example.test", i)
		printf "From: MAILER-DAEMON@mx.example.test\nTo: %s\n", to > f
		printf "Subject: Undelivered Mail Returned to Sender\n" > f
		printf "Message-ID: <dsn.%d@mx.example.test>\nMIME-Version: 1.0\n", i > f
		printf "Content-Type: multipart/report; report-type=delivery-status;\n" > f
		printf "\tboundary=\"b%d\"\n\n--b%d\n", i, i > f
		printf "Content-Type: text/plain\n\nYour message could not be delivered.\n\n" > f
		printf "--b%d\nContent-Type: message/delivery-status\n\n", i > f
		printf "Reporting-MTA: dns; mx.example.test\n\n" > f
		printf "Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n", m > f
		printf "Diagnostic-Code: smtp; 550 5.1.1 <%s>: user unknown\n\n", m > f
		printf "--b%d--\n", i > f
		close(f)
	} }'
}

# feed DIR PROGRAM...: FEEDERS loops run PROGRAM < each file of DIR, as
# the MTA's pipe would (ORIGINAL_RECIPIENT is the address before aliasing)
feed() {
	fd_dir=$1
	shift
	ls "$fd_dir" > "$T/files"
	split -n "l/$FEEDERS" "$T/files" "$T/part."
	fd_pids=""
	for part in "$T"/part.*; do
		(
			while read -r f; do
				"$@" < "$fd_dir/$f" || exit 1
			done < "$part"
		) &
		fd_pids="$fd_pids $!"
	done
	# Not a bare wait: bounced runs in the background too.
	for p in $fd_pids; do
		wait "$p"
	done
	rm -f "$T"/part.*
}
bq() { ORIGINAL_RECIPIENT=$TO "$BIN/bouncequeue" -f "" "bounce@$DOM"; }
recorded() { sql "SELECT count(*) FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.name = 'bench' AND s.bounce_count >= $1"; }

# wait_recorded COUNT LEVEL: until COUNT members have bounce_count >= LEVEL
# (one psql polling every 50 ms), or 30 minutes
wait_recorded() {
	deadline=$(($(date +%s) + 1800))
	psql -X -q -t -A -d "$HERALD_TEST_DATABASE" >/dev/null 2>"$T/wait.err" <<EOS
CREATE FUNCTION pg_temp.stop(why text) RETURNS int LANGUAGE plpgsql
    AS \$\$ BEGIN RAISE EXCEPTION '%', why; END \$\$;
SELECT CASE
	WHEN (SELECT count(*) FROM subscribers s JOIN lists l ON l.id = s.list_id
	    WHERE l.name = 'bench' AND s.bounce_count >= $2) >= $1
	THEN pg_temp.stop('done')
	WHEN clock_timestamp() > to_timestamp($deadline)
	THEN pg_temp.stop('timeout')
	ELSE 0 END \watch 0.05
EOS
	grep -q 'ERROR: *done' "$T/wait.err"
}

dsns "$T/dsn" 1 "$N" "$RP"

# -- the machine's limit for piping -----------------------------------------------
t0=$(now)
feed "$T/dsn" /bin/true
t1=$(now)
LIMIT=$(rate "$N" "$t0" "$t1")
echo "bench P3_exec_limit: $LIMIT /s ($FEEDERS loops of fork+exec /bin/true < a DSN: what piping allows on this machine)"

# -- end to end -------------------------------------------------------------------
"$BIN/bounced" -c "$T/herald.yaml" 2>"$T/bounced.err" &
BOUNCED=$!
sleep 1
TO=$RP
t0=$(now)
feed "$T/dsn" bq
t1=$(now)
if wait_recorded "$N" 1; then
	t2=$(now)
	echo "bench P3_bounces_end_to_end: $(rate "$N" "$t0" "$t2") /s ($N DSNs, bouncequeue -> bounced -> PostgreSQL; piping took $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s at $(rate "$N" "$t0" "$t1") /s; goal >= 2000 /s; the machine pipes $LIMIT /s)"
else
	echo "bench P3_bounces_end_to_end: FAILED ($(recorded 1) of $N recorded; $(tail -n 2 "$T/bounced.err" | tr '\n' ' '))"
fi
kill -TERM "$BOUNCED" 2>/dev/null
wait "$BOUNCED" 2>/dev/null
BOUNCED=""

# -- bounced alone ------------------------------------------------------------------
feed "$T/dsn" bq
t0=$(now)
"$BIN/bounced" -1 -c "$T/herald.yaml" 2>>"$T/bounced.err"
t1=$(now)
echo "bench P3_bounced_alone: $(rate "$N" "$t0" "$t1") /s (bounced -1 over $N DSNs in the spool; $(recorded 2) members at 2 bounces)"

# -- bounced alone, the files in memory ----------------------------------------------
# The same with the spool and the bounce directory on tmpfs: what bounced
# itself costs, apart from the machine's disk (each report replaces a
# member's latest report, a file of its own).
SHM=$(mktemp -d /dev/shm/hbo.XXXXXX 2>/dev/null) || SHM=""
if [ -n "$SHM" ]; then
	sed -e "s|^spool_directory: .*|spool_directory: $SHM/spool|" \
	    -e "s|^state_directory: .*|state_directory: $SHM/state|" \
	    "$T/herald.yaml" > "$T/herald-shm.yaml"
	mkdir -p "$SHM/state"
	HERALD_CONFIG=$T/herald-shm.yaml
	if H spool init; then
		feed "$T/dsn" bq
		t0=$(now)
		"$BIN/bounced" -1 -c "$T/herald-shm.yaml" 2>>"$T/bounced.err"
		t1=$(now)
		echo "bench P3_bounced_alone_tmpfs: $(rate "$N" "$t0" "$t1") /s (the same with the spool and the bounce directory on tmpfs: bounced and PostgreSQL without this machine's disk; $(recorded 3) members at 3 bounces)"
	fi
	HERALD_CONFIG=$T/herald.yaml
	rm -rf "$SHM"
fi

# -- forged ---------------------------------------------------------------------------
rm -rf "$T/dsn"
dsns "$T/forged" 1 "$NF" "$FORGED"
TO=$FORGED
feed "$T/forged" bq
before=$(sql "SELECT coalesce(sum(bounce_count), 0) FROM subscribers")
t0=$(now)
"$BIN/bounced" -1 -c "$T/herald.yaml" 2>>"$T/bounced.err"
t1=$(now)
after=$(sql "SELECT coalesce(sum(bounce_count), 0) FROM subscribers")
echo "$NF $t0 $t1" | awk -v b="$before" -v a="$after" -v r="$(sql "SELECT coalesce(sum(count), 0) FROM bounce_rejects")" '{
    printf "bench P3_forged_cost: %.1f us per forged bounce (%d bounces; counted as rejected: %d; members touched: %s)\n",
    ($3 - $2) * 1e6 / $1, $1, r, (a == b ? "none" : "SOME") }'
exit 0
