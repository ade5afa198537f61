#!/bin/sh
# bounced_test - bounced(8) and `herald bounce` against a real PostgreSQL:
# bounces go in through bouncequeue(8) as the MTA's aliases would run it,
# one pass of `bounced -1` handles them, the database and the bounce
# directory say what it did.
#
#	BIN=build/bin sh test/bounced_test.sh	(needs HERALD_TEST_DATABASE)
#
#  1. a DSN at a member's VERP address: the member's counters, status
#     and event, the report on disk, the spool empty; a second one naming
#     another address (a forward): count 2 and bounce_address
#  2. a forged token and an expired one: dropped, counted in
#     bounce_rejects, a sample in REJECTED/, no member touched
#  3. a null-sender bounce to list-owner (no token) dropped; a person
#     writing to list-owner kept in OWNER/ for the owners
#  4. a DSN at the list-only address naming two members and a stranger:
#     two counted, three events, the stranger's not a member's
#  5. an ARF to abuse-feedback-report: a feedback event, not counted, and
#     a notice job for the owners; with complaint_action: unsubscribe, the
#     member removed too (audited)
#  6. tracking: a "delivered" DSN at a VERP address with an envid: the
#     tracking row, nothing counted; a VERP bounce nobody can read counts
#     as 5.0.0; an auto-reply is dropped
#  7. herald bounce explain on constructed messages and spool entries
#     (and on the Sisimai corpus when it is there); herald bounce reset
#  8. the database away: the entry waits in the spool and is recorded
#     once it is back; SIGTERM stops the daemon cleanly
#  9. batches: a report the database refuses goes to bad/ and the rest of
#     its batch is recorded once each; more reports than a batch holds
#
# The test makes a database of its own on the server HERALD_TEST_DATABASE
# names (and drops it at the end).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - bounced_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/pg.sh"
for p in herald bouncequeue bounced; do
	if [ ! -x "$BIN/$p" ]; then
		echo "not ok - bounced_test: $BIN/$p not built"
		exit 1
	fi
done
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
HERALD_SCENARIODIR=${HERALD_SCENARIODIR:-$(pwd)/scenarios}
export HERALD_SCENARIODIR

T=$(mktemp -d /tmp/hbounced.XXXXXX) || exit 1
DAEMON=""
cleanup() {
	if [ -n "$DAEMON" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	pg_own_db_drop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

if ! pg_own_db hbounced_$$; then
	echo "skip - bounced_test: $pg_own_why"
	exit 0
fi
SHARED_DB=$pg_shared_db DBNAME=$pg_own

D=bounce$$.example.org
BD=$T/state/bounce		# the bounce directory (the default)
SP=$T/spool/bounce
mkdir -p "$T/state"
cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
myhostname: bouncetest.example.org
EOC
export HERALD_CONFIG="$T/herald.yaml"

H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; return 1; }; }
check "db migrate" H db migrate
check "spool init" H spool init
check "domain create" H domain create "$D"
check "list create" H list create staff --subject "Staff" --owner boss@example.org
for m in alice bob carol dave erin; do
	H member add staff $m@example.net || not_ok "member add $m"
done

# member EMAIL COLUMN: a member's column
member() { sql "SELECT $2 FROM subscribers s JOIN lists l ON l.id = s.list_id
    WHERE l.name = 'staff' AND s.email = '$1'"; }
# events EMAIL: kind,action,status,member of the member's events, oldest first
events() { sql "SELECT kind || ',' || action || ',' || coalesce(status, '-') || ',' || member
    FROM bounce_events WHERE email = '$1' ORDER BY id"; }
rejects() { sql "SELECT coalesce(sum(count), 0) FROM bounce_rejects WHERE reason = '$1'"; }
spooled() { ls "$SP/new" "$SP/cur" 2>/dev/null | grep -c '^[0-9]'; }
bad() { ls "$T/spool/bad/new" 2>/dev/null | grep -v '\.reason$' | grep -c bounce; }

# dsn RCPT [STATUS ACTION ENVID RCPT...]: a DSN of a post to staff, the
# Nth (N in $T/n: dsn runs in a pipeline's subshell)
dsn() {
	N=$(($(cat "$T/n" 2>/dev/null || echo 0) + 1))
	echo "$N" > "$T/n"
	d_rcpt=$1 d_status=${2:-5.1.1} d_action=${3:-failed} d_envid=${4:-}
	shift
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	printf 'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n'
	printf 'To: owner-or-bounce@%s\nSubject: Undelivered Mail Returned to Sender\n' "$D"
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <dsn%s.%s@mx.example.net>\n' "$N" "$$"
	printf 'MIME-Version: 1.0\nAuto-Submitted: auto-replied\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="BB%s"\n\n' "$N"
	printf -- '--BB%s\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n\n' "$N"
	printf -- '--BB%s\nContent-Type: message/delivery-status\n\n' "$N"
	printf 'Reporting-MTA: dns; mx.example.net\n'
	[ -n "$d_envid" ] && printf 'Original-Envelope-Id: %s\n' "$d_envid"
	for r in "$d_rcpt" "$@"; do
		printf '\nFinal-Recipient: rfc822; %s\nAction: %s\nStatus: %s\n' "$r" "$d_action" "$d_status"
		printf 'Diagnostic-Code: smtp; 550 %s <%s>: Recipient address rejected: User unknown\n' "$d_status" "$r"
	done
	printf '\n--BB%s\nContent-Type: text/rfc822-headers\n\n' "$N"
	printf 'From: Boss <boss@example.org>\nTo: staff@%s\nSubject: news\n' "$D"
	printf 'Message-ID: <post%s@example.org>\nList-Id: Staff <staff.%s>\n\n--BB%s--\n' "$N" "$D" "$N"
}

# bq ORIGINAL-RECIPIENT SENDER RECIPIENT < message: bouncequeue as the alias runs it
bq() {
	ORIGINAL_RECIPIENT=$1 "$BIN/bouncequeue" -f "$2" "$3" 2>>"$T/bq.err"
}
# one: one pass of bounced; its status in RC
one() {
	"$BIN/bounced" -1 "$@" 2>>"$T/bounced.err"
	RC=$?
	[ $RC -eq 0 ] || not_ok "bounced -1 exits $RC"
}

# -- 1. a member's VERP address --------------------------------------------
H bounce verp staff alice@example.net && VA=$(cat "$T/out")
case ${VA:-} in
bounce+*=staff=alice=example.net@$D) ok "bounce verp: $VA" ;;
*) not_ok "bounce verp: '${VA:-}'" ;;
esac
dsn alice@example.net | bq "$VA" '<>' "sympa@$D"
eq "bouncequeue takes the DSN" "$?" 0
one
eq "bounced -1 exits 0" "$RC" 0
eq "the spool is empty" "$(spooled)" 0
eq "alice: count 1" "$(member alice@example.net bounce_count)" 1
eq "alice: status 5.1.1" "$(member alice@example.net bounce_status)" 5.1.1
eq "alice: first = last" "$(member alice@example.net 'bounce_first_at = bounce_last_at')" t
eq "alice: no other address" "$(member alice@example.net "coalesce(bounce_address, '-')")" -
eq "alice: one event" "$(events alice@example.net)" "dsn,failed,5.1.1,true"
eq "alice: the event's message-id" "$(sql "SELECT message_id FROM bounce_events WHERE email = 'alice@example.net'")" "post1@example.org"
check "alice: the report on disk" grep -q "Final-Recipient: rfc822; alice@example.net" "$BD/staff@$D/alice@example.net"
eq "bob untouched" "$(member bob@example.net bounce_count)" 0

dsn alice.forward@elsewhere.example | bq "$VA" '<>' "sympa@$D"
one
eq "a forward's report: alice count 2" "$(member alice@example.net bounce_count)" 2
eq "a forward's report: bounce_address" "$(member alice@example.net bounce_address)" alice.forward@elsewhere.example
eq "a forward's report: first < last" "$(member alice@example.net 'bounce_first_at < bounce_last_at')" t
eq "no event for the forward's address" "$(events alice.forward@elsewhere.example)" ""
check "the latest report replaced the first" grep -q "alice.forward@elsewhere.example" "$BD/staff@$D/alice@example.net"

# -- 2. forged and expired tokens -----------------------------------------------
# The MAC's last character changed: the same address but for one bit or more.
FORGED=$(echo "$VA" | awk -F= '{ t = $1; c = substr(t, length(t)); n = (c == "a") ? "b" : "a";
    $1 = substr(t, 1, length(t) - 1) n; print }' OFS==)
dsn bob@example.net | bq "$FORGED" '<>' "sympa@$D"
H bounce verp -t $(($(date +%s) - 40 * 86400)) staff bob@example.net && OLD=$(cat "$T/out")
dsn bob@example.net | bq "$OLD" '<>' "sympa@$D"
one
eq "forged and expired: the spool is empty" "$(spooled)" 0
eq "forged: counted" "$(rejects forged)" 1
eq "expired: counted" "$(rejects expired)" 1
eq "forged, expired: bob untouched" "$(member bob@example.net bounce_count)" 0
eq "forged, expired: no event" "$(events bob@example.net)" ""
eq "forged, expired: alice untouched" "$(member alice@example.net bounce_count)" 2
check "forged: a sample in REJECTED/" test -f "$BD/REJECTED/forged.00" -a -f "$BD/REJECTED/forged.00.reason"
check "expired: a sample in REJECTED/" sh -c "ls '$BD/REJECTED' | grep -q '^expired\.[0-9]*\$'"
check "the sample says why" grep -q "^reason: forged" "$BD/REJECTED/forged.00.reason"
# A flood: many forgeries, one upsert of their count, no event.
i=0
while [ $i -lt 30 ]; do
	dsn carol@example.net | bq "$FORGED" '<>' "sympa@$D"
	i=$((i + 1))
done
one
eq "a flood of 30 forgeries: counted" "$(rejects forged)" 31
eq "a flood: no event" "$(sql "SELECT count(*) FROM bounce_events WHERE email = 'carol@example.net'")" 0
check "a flood: a bounded sample ($(ls "$BD/REJECTED" | grep -c '^forged\.[0-9]*$') files)" \
    test "$(ls "$BD/REJECTED" | grep -c '^forged\.[0-9]*$')" -le 11

# -- 3. list-owner without a token ----------------------------------------------
dsn dave@example.net | bq "staff-owner@$D" '<>' "staff@$D"
one
eq "no token at list-owner: counted" "$(rejects no-token)" 1
eq "no token: dave untouched" "$(member dave@example.net bounce_count)" 0
printf 'From: Person <person@example.com>\nTo: staff-owner@%s\nSubject: a question\nMessage-ID: <q1@example.com>\n\nHello owners.\n' "$D" |
    bq "staff-owner@$D" person@example.com "staff@$D"
one
check "a person's mail to list-owner: kept in OWNER/" sh -c "grep -l 'Hello owners' '$BD/OWNER/staff@$D/'* | grep -q ."
check "... with its reason" sh -c "cat '$BD/OWNER/staff@$D/'*.reason | grep -q '^sender: <person@example.com>'"

# -- 4. the list-only address ----------------------------------------------------
H bounce verp staff - && LA=$(cat "$T/out")
case ${LA:-} in
bounce+*=staff@$D) ok "bounce verp, list only: $LA" ;;
*) not_ok "bounce verp, list only: '${LA:-}'" ;;
esac
dsn bob@example.net 5.2.2 failed "" carol@example.net stranger@example.com | bq "$LA" '<>' "sympa@$D"
one
eq "list only: bob counted" "$(member bob@example.net bounce_count),$(member bob@example.net bounce_status)" 1,5.2.2
eq "list only: carol counted" "$(member carol@example.net bounce_count)" 1
eq "list only: the stranger's event" "$(events stranger@example.com)" "dsn,failed,5.2.2,false"
check "list only: bob's report on disk" test -f "$BD/staff@$D/bob@example.net"
check "list only: carol's report on disk" test -f "$BD/staff@$D/carol@example.net"
check "list only: none for the stranger" test ! -e "$BD/staff@$D/stranger@example.com"

# -- 5. ARF ------------------------------------------------------------------------
arf() {
	printf 'From: feedback@fbl.example.com\nTo: abuse-feedback-report@%s\nSubject: complaint\n' "$D"
	printf 'Message-ID: <arf.%s@fbl.example.com>\nMIME-Version: 1.0\n' "$1"
	printf 'Content-Type: multipart/report; report-type=feedback-report; boundary="AA"\n\n'
	printf -- '--AA\nContent-Type: text/plain\n\nThis is an abuse report.\n\n'
	printf -- '--AA\nContent-Type: message/feedback-report\n\n'
	printf 'Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\n'
	printf 'Original-Rcpt-To: %s\nReporting-MTA: dns; fbl.example.com\n\n' "$1"
	printf -- '--AA\nContent-Type: message/rfc822\n\n'
	printf 'From: Boss <boss@example.org>\nTo: staff@%s\nSubject: news\n' "$D"
	printf 'Message-ID: <post-arf@example.org>\nList-Id: Staff <staff.%s>\n\nThe news.\n\n--AA--\n' "$D"
}
arf erin@example.net | bq "abuse-feedback-report@$D" feedback@fbl.example.com "sympa@$D"
one
eq "ARF: a feedback event" "$(events erin@example.net)" "arf,feedback,-,true"
eq "ARF: not counted" "$(member erin@example.net bounce_count)" 0
eq "ARF: a notice for the owners" "$(sql "SELECT count(*) FROM bulk_jobs j JOIN lists l ON l.id = j.list_id
    WHERE j.kind = 'notice' AND l.name = 'staff' AND convert_from(j.message, 'UTF8') LIKE '%erin@example.net%complain%'")" 1
eq "ARF: sent to the owner" "$(sql "SELECT string_agg(array_to_string(p.recipients, ','), ',')
    FROM bulk_packets p JOIN bulk_jobs j ON j.id = p.job_id WHERE j.kind = 'notice'")" boss@example.org
eq "ARF: still a member" "$(member erin@example.net "count(*)")" 1
check "ARF: a complaint is no bounce on disk" test ! -e "$BD/staff@$D/erin@example.net"
# complaint_action: unsubscribe - the member goes, audited, the owners told
echo "complaint_action: unsubscribe" >> "$T/lists/$D/staff/config.yaml"
check "ARF: a member to complain" H member add staff frank@example.net
arf frank@example.net | bq "abuse-feedback-report@$D" feedback@fbl.example.com "sympa@$D"
one
eq "ARF unsubscribe: the event" "$(events frank@example.net)" "arf,feedback,-,true"
eq "ARF unsubscribe: no longer a member" "$(member frank@example.net "count(*)")" 0
eq "ARF unsubscribe: audited as bounced's" "$(sql "SELECT count(*) FROM audit_log
    WHERE action = 'member.del' AND target = 'frank@example.net' AND actor = 'bounced'
    AND details->>'reason' = 'complaint'")" 1
eq "ARF unsubscribe: the owners told it was done" "$(sql "SELECT count(*) FROM bulk_jobs j
    WHERE j.kind = 'notice' AND convert_from(j.message, 'UTF8') LIKE '%frank@example.net%removed the member%'")" 1

# -- 6. tracking, unreadable VERP bounces, auto-replies ----------------------------
H bounce verp staff dave@example.net 42 && TA=$(cat "$T/out")
dsn dave@example.net 2.0.0 delivered 42 | bq "$TA" '<>' "sympa@$D"
one
eq "tracking: the row" "$(sql "SELECT envid || ',' || email || ',' || type || ',' || status || ',' || message_id FROM tracking")" \
    "42,dave@example.net,dsn,delivered,post$(cat "$T/n")@example.org"
eq "tracking: delivered is not counted" "$(member dave@example.net bounce_count)" 0
eq "tracking: the event" "$(events dave@example.net)" "dsn,delivered,2.0.0,true"
check "tracking: a delivery report is no bounce on disk" test ! -e "$BD/staff@$D/dave@example.net"
dsn dave@example.net 5.1.1 failed 42 | bq "$TA" '<>' "sympa@$D"
one
eq "tracking: the row follows the latest report" "$(sql "SELECT status FROM tracking")" failed
eq "tracking: a failure counts" "$(member dave@example.net bounce_count)" 1
check "tracking: the failure on disk" test -f "$BD/staff@$D/dave@example.net"

H bounce verp staff erin@example.net && EA=$(cat "$T/out")
printf 'From: postmaster@old.example\nTo: %s\nSubject: oops\n\nSomething went wrong with a message.\n' "$EA" |
    bq "$EA" '<>' "sympa@$D"
one
eq "an unreadable VERP bounce counts as 5.0.0" "$(member erin@example.net bounce_count),$(member erin@example.net bounce_status)" 1,5.0.0
printf 'From: erin@example.net\nTo: %s\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n' "$EA" |
    bq "$EA" erin@example.net "sympa@$D"
one
eq "an auto-reply is not counted" "$(member erin@example.net bounce_count)" 1
eq "nothing went to bad/" "$(bad)" 0
eq "the spool is empty" "$(spooled)" 0

# -- 7. herald bounce explain, reset ---------------------------------------------------
dsn alice@example.net > "$T/m1.eml"
H bounce explain "$T/m1.eml"
eq "explain: exit 0" "$?" 0
check "explain: the kind" grep -qx "kind: dsn" "$T/out"
check "explain: the recipient line" grep -qx "rcpt: alice@example.net failed 5.1.1 hard 550 5.1.1 <alice@example.net>: Recipient address rejected: User unknown" "$T/out"
check "explain: the list-id" grep -qx "list-id: staff.$D" "$T/out"
# A spool entry: its envelope counts, and the token is checked.
mkdir -p "$T/hold"
dsn alice@example.net | bq "$VA" '<>' "sympa@$D"
E=$(ls "$SP/new" | head -n 1)
mv "$SP/new/$E" "$T/hold/entry"
H bounce explain "$T/hold/entry"
check "explain an entry: verp" grep -qx "attribution: verp" "$T/out"
check "explain an entry: the member" grep -qx "member: alice@example.net" "$T/out"
check "explain an entry: the token is good" grep -qx "token: ok" "$T/out"
check "explain an entry: the list" grep -qx "list: staff@$D" "$T/out"
H bounce explain -n "$T/hold/entry"
check "explain -n: not checked" grep -qx "token: not checked" "$T/out"
dsn alice@example.net | bq "$FORGED" '<>' "sympa@$D"
E=$(ls "$SP/new" | head -n 1)
mv "$SP/new/$E" "$T/hold/forged"
H bounce explain "$T/hold/forged"
check "explain a forgery: reject" grep -qx "attribution: reject" "$T/out"
check "explain a forgery: forged" grep -qx "token: forged" "$T/out"
printf 'From: a@example.com\nTo: b@example.com\nSubject: hi\n\nJust a letter.\n' > "$T/plain.eml"
"$BIN/herald" bounce explain -n "$T/plain.eml" >"$T/out" 2>"$T/err"
eq "explain a letter: exit 65" "$?" 65
"$BIN/herald" bounce explain -n "$T/nosuch.eml" >"$T/out" 2>"$T/err"
eq "explain a missing file: exit 66" "$?" 66

CORPUS=${HERALD_CORPORA:-$(pwd)/../shared/corpora}/sisimai-set-of-emails/maildir/bsd
if [ -d "$CORPUS" ]; then
	for f in rfc3464-01 lhost-postfix-01 lhost-qmail-01 lhost-exim-01 arf-01; do
		"$BIN/herald" bounce explain -n "$CORPUS/$f.eml" >"$T/out" 2>"$T/err"
		st=$?
		eq "explain $f: exit 0" "$st" 0
		check "explain $f: a recipient" grep -q '^rcpt: [^ ]*@' "$T/out"
	done
	check "explain arf-01: a feedback" grep -q '^rcpt: [^ ]* feedback ' "$T/out"
else
	echo "skip - bounced_test: the Sisimai corpus is not at $CORPUS"
fi

check "reset alice" H bounce reset staff alice@example.net
eq "reset: the counters" "$(member alice@example.net "bounce_count || ',' || coalesce(bounce_status, '-') || ',' || coalesce(bounce_first_at::text, '-') || ',' || coalesce(bounce_address, '-')")" "0,-,-,-"
check "reset: the file is gone" test ! -e "$BD/staff@$D/alice@example.net"
eq "reset: audited" "$(sql "SELECT count(*) FROM audit_log WHERE action = 'member.bounce_reset' AND target = 'alice@example.net'")" 1
"$BIN/herald" bounce reset staff nobody@example.net >"$T/out" 2>"$T/err"
eq "reset a stranger: exit 67" "$?" 67

# -- 8. the database away; SIGTERM --------------------------------------------------
"$BIN/bounced" 2>>"$T/daemon.err" &
DAEMON=$!
sleep 1
psql -X -q -d "$SHARED_DB" -c "ALTER DATABASE $DBNAME ALLOW_CONNECTIONS false" >/dev/null 2>&1
psql -X -q -d "$SHARED_DB" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = '$DBNAME' AND pid <> pg_backend_pid()" >/dev/null 2>&1
dsn bob@example.net 5.1.1 | bq "$LA" '<>' "sympa@$D"
sleep 2
eq "database away: the entry is still spooled" "$(spooled)" 1
eq "database away: nothing in bad/" "$(bad)" 0
psql -X -q -d "$SHARED_DB" -c "ALTER DATABASE $DBNAME ALLOW_CONNECTIONS true" >/dev/null 2>&1
i=0
while [ "$(spooled)" -ne 0 ] && [ $i -lt 40 ]; do
	sleep 0.25
	i=$((i + 1))
done
eq "database back: the entry was handled" "$(spooled)" 0
eq "database back: bob counted once more" "$(member bob@example.net bounce_count)" 2
kill -TERM "$DAEMON"
wait "$DAEMON"
eq "SIGTERM: exit 0" "$?" 0
DAEMON=""
check "the daemon said it would retry" grep -q "will retry" "$T/daemon.err"

# -- 9. a batch with a report the database refuses --------------------------------
# A trigger refuses the events of status 5.9.9: the batch in hand is rolled
# back, the refused entry goes to bad/, the others go back to new/ and the
# same pass records each of them once.
sql "CREATE FUNCTION refuse_599() RETURNS trigger LANGUAGE plpgsql AS
    \$\$ BEGIN IF NEW.status = '5.9.9' THEN RAISE EXCEPTION 'refused'; END IF;
    RETURN NEW; END \$\$" >/dev/null
sql "CREATE TRIGGER refuse_599 BEFORE INSERT ON bounce_events
    FOR EACH ROW EXECUTE FUNCTION refuse_599()" >/dev/null
for m in alice bob carol dave; do
	eval "before_$m=\$(member $m@example.net bounce_count)"
done
bad_before=$(bad)
dsn alice@example.net 5.1.2 | bq "$LA" '<>' "sympa@$D"
dsn bob@example.net 5.1.2 | bq "$LA" '<>' "sympa@$D"
dsn dave@example.net 5.9.9 | bq "$LA" '<>' "sympa@$D"
dsn carol@example.net 5.1.2 | bq "$LA" '<>' "sympa@$D"
one
eq "batch: the spool is empty after one pass" "$(spooled)" 0
eq "batch: the refused report is in bad/" "$(bad)" $((bad_before + 1))
for m in alice bob carol; do
	eval "b=\$before_$m"
	eq "batch: $m counted once" "$(member $m@example.net bounce_count)" $((b + 1))
	eq "batch: one event of $m at 5.1.2" "$(sql "SELECT count(*) FROM bounce_events WHERE email = '$m@example.net' AND status = '5.1.2'")" 1
done
eq "batch: dave untouched" "$(member dave@example.net bounce_count)" "$before_dave"
check "batch: the others went back to new/" grep -q "of the batch back in new/" "$T/bounced.err"
sql "DROP TRIGGER refuse_599 ON bounce_events" >/dev/null
# Many reports in one pass: more than a batch holds, each recorded once.
i=0
while [ $i -lt 150 ]; do
	dsn erin@example.net 4.2.2 delayed
	i=$((i + 1))
done > "$T/many"
awk -v dir="$T" '/^From: Mail Delivery/ { n++ } { print > (dir "/many." n) }' "$T/many"
for f in "$T"/many.*; do
	bq "$LA" '<>' "sympa@$D" < "$f"
done
one
eq "many: the spool is empty" "$(spooled)" 0
eq "many: 150 events" "$(sql "SELECT count(*) FROM bounce_events WHERE email = 'erin@example.net' AND status = '4.2.2'")" 150
eq "many: erin's latest report on disk" "$(ls "$BD/staff@$D" | grep -c '^erin')" 1

if [ $nfail -ne 0 ]; then
	for f in bq.err bounced.err daemon.err; do
		[ -s "$T/$f" ] && { echo "# $f:"; tail -n 20 "$T/$f" | sed 's/^/# /'; }
	done
fi
[ $nfail -eq 0 ]
