#!/bin/sh
# task_manager_test - task_manager(8) against a real PostgreSQL, the time
# set by HERALD_NOW (TZ=UTC), on a week of a list's life:
#
#  1. refusals: a bad schedule (78), an unknown task (64), a bad HERALD_NOW
#  2. Mon 03:00:30: eval_bouncers runs for 03:00 and expire_bounce for
#     Sunday's 03:30 (missed, less than a period ago); process_bouncers,
#     whose last slot is a week old, does not. The scores are the hand
#     computed ones; an old bouncer's data and file are gone, the others'
#     files stay. task_runs holds each run: slot, done, owner, detail.
#  3. the same time again: nothing runs
#  4. Mon 04:00:30: process_bouncers: level 2 removed (audit records, an
#     exclusion for the included member), level 1 told by a notice, two
#     reports to the owner; again: nothing more
#  5. Tue: a 'running' row of a dead pid is taken over and run; one of a
#     live pid of this host, or of another host, is left alone until it is
#     six hours old
#  6. two weeks later: each daily task runs once, not once per day
#     missed; the weekly one not at all (its slot is more than a day old)
#  7. -r runs a task now, recorded as "manual"; the same moment again is
#     refused (75); "off" never runs; "*/5" runs its latest slot
#  8. the daemon: runs a pass at start, stops on SIGTERM at once
#  9. two at the same moment run each slot once; a task that fails is
#     recorded failed (70) and not run again; no database is 75
#
#	BIN=build/bin sh test/task_manager_test.sh	(needs HERALD_TEST_DATABASE)
#
# task_manager acts on every list of its database: the test makes a
# database of its own on the server HERALD_TEST_DATABASE names.
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - task_manager_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/pg.sh"
for p in herald task_manager; do
	if [ ! -x "$BIN/$p" ]; then
		echo "not ok - task_manager_test: $BIN/$p not built"
		exit 1
	fi
done
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
TZ=UTC
export TZ
unset HERALD_NOW

T=$(mktemp -d /tmp/htm.XXXXXX) || exit 1
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

if ! pg_own_db htm_$$; then
	echo "skip - task_manager_test: $pg_own_why"
	exit 0
fi

D=tm$$.example.org
HOST=tmtest.example.org
BD=$T/bounce
mkdir -p "$T/state"

# site FILE [LINE...]: a herald.yaml; a LINE replaces the base line of its key
site() {
	st_f=$1
	shift
	cat > "$st_f.base" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
bounce_directory: $BD
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
myhostname: $HOST
task_purge_keys: "off"
EOC
	: > "$st_f"
	for st_l in "$@"; do
		echo "$st_l" >> "$st_f"
		st_k=${st_l%%:*}
		grep -v "^$st_k:" "$st_f.base" > "$st_f.tmp"
		mv "$st_f.tmp" "$st_f.base"
	done
	cat "$st_f.base" >> "$st_f"
	rm -f "$st_f.base"
}
site "$T/herald.yaml"
export HERALD_CONFIG="$T/herald.yaml"

H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; return 1; }; }

# at ISO-TIME [ARGS]: one run of task_manager at that time (UTC); RC, err in $T/tm.err
at() {
	at_t=$(date -u -d "$1" +%s) || return 1
	shift
	HERALD_NOW=$at_t "$BIN/task_manager" "$@" >"$T/tm.out" 2>"$T/tm.err"
	RC=$?
	cat "$T/tm.err" >> "$T/tm.log"
}
# runs TASK: its task_runs rows, "slot state owner-is-us detail" one a line
runs() {
	sql "SELECT to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' ' || state
	    FROM task_runs WHERE task = '$1' ORDER BY scheduled_for"
}
nruns() { sql "SELECT count(*) FROM task_runs"; }
score() { sql "SELECT coalesce(bounce_score::text, 'null') FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.name = 'staff' AND s.email = '$1'"; }
epoch() { date -u -d "$1" +%s; }

check "db migrate" H db migrate
check "domain create" H domain create "$D"
check "list create" H list create staff --subject "Staff" --owner boss@example.org
printf 'email\nhard@example.net\nsoft@example.net\nincl@example.net\nfew@example.net\nold@example.net\nfine@example.net\n' > "$T/m.csv"
check "members" H member import staff "$T/m.csv"

# -- 1. refusals -------------------------------------------------------------
site "$T/bad.yaml" 'task_eval_bouncers: "0 25 * * *"'
HERALD_NOW=1 "$BIN/task_manager" -1 -c "$T/bad.yaml" 2>"$T/err"
eq "a bad schedule: exit 78" "$?" 78
check "it names the parameter and the fault" grep -q 'task_eval_bouncers: "0 25 \* \* \*": hour: 25 is not in 0-23' "$T/err"
"$BIN/task_manager" -r nosuch 2>"$T/err"
eq "an unknown task: exit 64" "$?" 64
check "the tasks are listed" grep -q 'eval_bouncers expire_bounce process_bouncers' "$T/err"
HERALD_NOW=soon "$BIN/task_manager" -1 2>"$T/err"
eq "HERALD_NOW not a number: exit 64" "$?" 64
"$BIN/task_manager" -x 2>/dev/null
eq "a bad option: exit 64" "$?" 64
eq "nothing recorded" "$(nruns)" 0

# -- 2. the first pass: bounce histories, one post a day Nov 1-22 ------------
# Nov 23 2026 is a Monday.
sql "INSERT INTO bulk_jobs (list_id, domain, message, return_path, kind, created_at)
    SELECT l.id, l.domain, '\\x41', '', 'post', d + interval '9 hours'
    FROM lists l, generate_series('2026-11-01'::timestamptz, '2026-11-22', '1 day') d
    WHERE l.name = 'staff'" >/dev/null
# bouncer EMAIL COUNT FIRST LAST STATUS
bouncer() {
	sql "UPDATE subscribers SET bounce_count = $2, bounce_first_at = '$3+00',
	    bounce_last_at = '$4+00', bounce_status = '$5' WHERE email = '$1'" >/dev/null
}
# 42 bounces over Nov 1-22, 22 posts: 42 * 42/22 = 80.2 -> 80
bouncer hard@example.net 42 '2026-11-01 10:00' '2026-11-22 10:00' 5.1.1
# 46 of 4.x.x: 46 * 46/22 * 0.5 = 48.1 -> 48
bouncer soft@example.net 46 '2026-11-01 10:00' '2026-11-22 10:00' 4.2.2
# 50: 113.6, capped at 100
bouncer incl@example.net 50 '2026-11-01 10:00' '2026-11-22 10:00' 5.1.1
# under minimum_bouncing_count
bouncer few@example.net 5 '2026-11-01 10:00' '2026-11-22 10:00' 5.1.1
# last bounce 11 days before Monday 03:00: forgotten
bouncer old@example.net 30 '2026-10-20 10:00' '2026-11-12 03:00' 5.1.1
sql "UPDATE subscribers SET included_at = now() WHERE email = 'incl@example.net'" >/dev/null
sql "INSERT INTO bounce_events (list_id, email, received_at, kind, action, status, recogniser, member)
    SELECT id, 'old@example.net', '2026-11-12 03:00+00', 'dsn', 'failed', '5.1.1', 'rfc3464', true
    FROM lists WHERE name = 'staff'" >/dev/null
mkdir -p "$BD/staff@$D"
echo old > "$BD/staff@$D/old@example.net"
echo hard > "$BD/staff@$D/hard@example.net"

at '2026-11-23 03:00:30' -1
eq "Mon 03:00:30: exit 0" "$RC" 0
eq "eval_bouncers ran for Mon 03:00" "$(runs eval_bouncers)" "2026-11-23 03:00:00 done"
eq "expire_bounce ran for Sun 03:30" "$(runs expire_bounce)" "2026-11-22 03:30:00 done"
eq "process_bouncers (last slot Mon Nov 16) did not" "$(runs process_bouncers)" ""
eq "hard: 80" "$(score hard@example.net)" 80
eq "soft (4.x.x): 48" "$(score soft@example.net)" 48
eq "incl: capped at 100" "$(score incl@example.net)" 100
eq "few: not scored" "$(score few@example.net)" null
eq "fine: not scored" "$(score fine@example.net)" null
eq "old: data and score forgotten" \
    "$(sql "SELECT bounce_count || ' ' || coalesce(bounce_last_at::text, '-') || ' ' || coalesce(bounce_score::text, '-') FROM subscribers WHERE email = 'old@example.net'")" "0 - -"
eq "old: its event deleted" "$(sql "SELECT count(*) FROM bounce_events")" 0
check "old: its bounce file removed" test ! -e "$BD/staff@$D/old@example.net"
check "hard: its bounce file kept" test -e "$BD/staff@$D/hard@example.net"
eq "the runs' owner is this host and a pid" \
    "$(sql "SELECT count(*) FROM task_runs WHERE owner ~ '^$HOST:[0-9]+\$' AND finished_at IS NOT NULL")" 2
eq "started and finished at HERALD_NOW" \
    "$(sql "SELECT DISTINCT extract(epoch FROM started_at)::bigint || ' ' || extract(epoch FROM finished_at)::bigint FROM task_runs")" \
    "$(epoch '2026-11-23 03:00:30') $(epoch '2026-11-23 03:00:30')"
eq "eval's detail" "$(sql "SELECT detail FROM task_runs WHERE task = 'eval_bouncers'")" \
    "3 scored, 1 below the minimums, 3 changed"
eq "expire's detail" "$(sql "SELECT detail FROM task_runs WHERE task = 'expire_bounce'")" \
    "1 member forgotten, 1 events and 1 files removed"

# -- 3. the same time again -------------------------------------------------
at '2026-11-23 03:00:30' -1
eq "again: exit 0" "$RC" 0
eq "again: no new run" "$(nruns)" 2
at '2026-11-23 03:29:59' -1
eq "03:29:59: no new run" "$(nruns)" 2

# -- 4. process_bouncers ----------------------------------------------------
at '2026-11-23 04:00:30' -1
eq "Mon 04:00:30: exit 0" "$RC" 0
eq "expire_bounce ran for Mon 03:30" "$(runs expire_bounce)" "2026-11-22 03:30:00 done
2026-11-23 03:30:00 done"
eq "process_bouncers ran for Mon 04:00" "$(runs process_bouncers)" "2026-11-23 04:00:00 done"
eq "level 2 removed" "$(sql "SELECT string_agg(email, ',' ORDER BY email) FROM subscribers")" \
    "few@example.net,fine@example.net,old@example.net,soft@example.net"
eq "each removal audited" \
    "$(sql "SELECT string_agg(target, ',' ORDER BY target) FROM audit_log WHERE action = 'member.del' AND actor = 'task_manager' AND channel = 'daemon' AND list_address = 'staff@$D'")" \
    "hard@example.net,incl@example.net"
eq "each removal says why" \
    "$(sql "SELECT string_agg(DISTINCT details->>'reason', ',') FROM audit_log WHERE action = 'member.del' AND actor = 'task_manager'")" \
    "bounce level 2"
eq "the included member excluded" "$(sql "SELECT string_agg(email, ',') FROM exclusions")" "incl@example.net"
eq "soft marked at level 1" \
    "$(sql "SELECT bounce_action_level || ' ' || extract(epoch FROM bounce_action_at)::bigint FROM subscribers WHERE email = 'soft@example.net'")" \
    "1 $(epoch '2026-11-23 04:00:30')"
notice() {	# notice RECIPIENT LIKE: jobs of kind notice to RECIPIENT whose text is LIKE
	sql "SELECT count(*) FROM bulk_jobs j JOIN bulk_packets k ON k.job_id = j.id
	    WHERE j.kind = 'notice' AND k.recipients = ARRAY['$1']::email_address[]
	    AND convert_from(j.message, 'UTF8') LIKE '$2'"
}
eq "soft told" "$(notice soft@example.net '%bounce score%of 48 (out of 100)%')" 1
eq "the removed not told" "$(notice hard@example.net '%')" 0
eq "the owner's report of level 2" \
    "$(notice boss@example.org '%Subject: staff: 2 bouncing members at level 2 (remove_bouncers)%hard@example.net (score 80)%incl@example.net (score 100)%')" 1
eq "the owner's report of level 1" \
    "$(notice boss@example.org '%Subject: staff: 1 bouncing member at level 1 (notify_bouncers)%soft@example.net (score 48)%')" 1
eq "process' detail" "$(sql "SELECT detail FROM task_runs WHERE task = 'process_bouncers'")" \
    "1 list; level 2: 2, level 1: 1; 2 removed, 1 told, 2 reports"
at '2026-11-23 04:30:00' -1
eq "again at 04:30: no new run" "$(nruns)" 4
eq "again: no new mail" "$(sql "SELECT count(*) FROM bulk_jobs WHERE kind = 'notice'")" 3

# -- 5. runs left running ---------------------------------------------------
sh -c 'exit 0' &
DEAD=$!
wait $DEAD
# started_at RUN-OWNER SLOT TASK
leftover() {
	sql "INSERT INTO task_runs (task, scheduled_for, owner, started_at)
	    VALUES ('$1', '$2+00', '$3', '$2+00'::timestamptz + interval '5 seconds')" >/dev/null
}
leftover eval_bouncers '2026-11-24 03:00' "$HOST:$DEAD"
leftover expire_bounce '2026-11-24 03:30' "other.example.org:1"
at '2026-11-24 03:31:00' -1
eq "Tue: exit 0" "$RC" 0
eq "a dead pid's run taken over and done" \
    "$(sql "SELECT state || ' ' || (owner <> '$HOST:$DEAD') FROM task_runs WHERE task = 'eval_bouncers' AND scheduled_for = '2026-11-24 03:00+00'")" "done true"
check "the takeover is logged" grep -q "taking over the run of 2026-11-24 03:00:00 UTC left by $HOST:$DEAD" "$T/tm.err"
eq "another host's recent run left alone" \
    "$(sql "SELECT state || ' ' || owner FROM task_runs WHERE task = 'expire_bounce' AND scheduled_for = '2026-11-24 03:30+00'")" \
    "running other.example.org:1"
leftover eval_bouncers '2026-11-25 03:00' "$HOST:$$"
at '2026-11-25 03:01:00' -1
eq "a live pid of this host: left alone" \
    "$(sql "SELECT state || ' ' || owner FROM task_runs WHERE task = 'eval_bouncers' AND scheduled_for = '2026-11-25 03:00+00'")" \
    "running $HOST:$$"
at '2026-11-24 09:35:06' -1
eq "another host's run six hours old: taken over" \
    "$(sql "SELECT state || ' ' || (owner LIKE '$HOST:%') FROM task_runs WHERE task = 'expire_bounce' AND scheduled_for = '2026-11-24 03:30+00'")" \
    "done true"
sql "DELETE FROM task_runs WHERE scheduled_for = '2026-11-25 03:00+00'" >/dev/null

# -- 6. a long downtime ----------------------------------------------------
before=$(nruns)
at '2026-12-08 12:00:00' -1
eq "Tue Dec 8 12:00: exit 0" "$RC" 0
eq "two runs, no more" "$(($(nruns) - before))" 2
eq "eval_bouncers once, for Dec 8" "$(runs eval_bouncers | tail -n 1)" "2026-12-08 03:00:00 done"
eq "expire_bounce once, for Dec 8" "$(runs expire_bounce | tail -n 1)" "2026-12-08 03:30:00 done"
eq "process_bouncers not: Mon 04:00 is 32 hours old" \
    "$(runs process_bouncers | tail -n 1)" "2026-11-23 04:00:00 done"

# -- 7. -r and off -----------------------------------------------------------
at '2026-12-08 12:00:00' -r process_bouncers
eq "-r process_bouncers: exit 0" "$RC" 0
eq "recorded at that moment, as manual" \
    "$(sql "SELECT state || ' ' || detail FROM task_runs WHERE task = 'process_bouncers' AND scheduled_for = '2026-12-08 12:00+00'")" \
    "done manual: 0 lists; level 2: 0, level 1: 0; 0 removed, 0 told, 0 reports"
at '2026-12-08 12:00:00' -r process_bouncers
eq "-r at the same moment again: exit 75" "$RC" 75
site "$T/off.yaml" 'task_eval_bouncers: "off"' 'task_expire_bounce: "*/5 * * * *"'
before=$(nruns)
at '2026-12-09 03:07:00' -1 -c "$T/off.yaml"
eq "off: eval_bouncers does not run" "$(runs eval_bouncers | tail -n 1)" "2026-12-08 03:00:00 done"
eq "every 5 minutes: 03:05" "$(runs expire_bounce | tail -n 1)" "2026-12-09 03:05:00 done"
eq "off: one run in all" "$(($(nruns) - before))" 1

# -- 8. the daemon ---------------------------------------------------------
before=$(nruns)
HERALD_NOW=$(epoch '2026-12-10 03:00:10') "$BIN/task_manager" 2>>"$T/tm.log" &
DAEMON=$!
n=0
while [ "$(nruns)" -lt $((before + 2)) ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
eq "the daemon's first pass: eval and expire" "$(($(nruns) - before))" 2
t0=$(date +%s%N)
kill -TERM "$DAEMON"
wait "$DAEMON"
st=$?
DAEMON=""
t1=$(date +%s%N)
eq "SIGTERM: exit 0" "$st" 0
check "SIGTERM: stopped within a second ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 1000
eq "nothing left running" "$(sql "SELECT count(*) FROM task_runs WHERE state = 'running'")" 0

# -- 9. two at once, a failure, no database ---------------------------------
before=$(nruns)
HERALD_NOW=$(epoch '2026-12-11 03:31:00') "$BIN/task_manager" -1 -v 2>"$T/a.err" &
A=$!
HERALD_NOW=$(epoch '2026-12-11 03:31:00') "$BIN/task_manager" -1 -v 2>"$T/b.err" &
B=$!
wait $A
sa=$?
wait $B
sb=$?
eq "two at once: both exit 0" "$sa $sb" "0 0"
eq "two at once: each slot recorded once" "$(($(nruns) - before))" 2
eq "two at once: each slot run once" "$(cat "$T/a.err" "$T/b.err" | grep -c 'the run of .* starts')" 2
site "$T/broken.yaml" "lists_directory: $T/herald.yaml"
at '2026-12-11 12:00:00' -r process_bouncers -c "$T/broken.yaml"
eq "a task that fails: exit 70" "$RC" 70
eq "recorded failed, with the reason" \
    "$(sql "SELECT state || ' ' || (detail LIKE 'manual: lists: %') FROM task_runs WHERE task = 'process_bouncers' AND scheduled_for = '2026-12-11 12:00+00'")" \
    "failed true"
at '2026-12-18 12:00:00' -1 -c "$T/broken.yaml"
eq "a failed run is not retried; the others run" "$(runs process_bouncers | grep -c failed) $(runs eval_bouncers | tail -n 1)" \
    "1 2026-12-18 03:00:00 done"
site "$T/nodb.yaml" "database: \"host=$T/nowhere port=5432 dbname=none connect_timeout=2\""
at '2026-12-19 12:00:00' -1 -c "$T/nodb.yaml"
eq "no database: exit 75" "$RC" 75

# -- 10. purge_keys ---------------------------------------------------------
eq "off: purge_keys never ran" "$(runs purge_keys)" ""
# Keys expire by the database's clock (now()), not by HERALD_NOW: the rows
# are dated from the real time.
LID=$(sql "SELECT id FROM lists WHERE name = 'staff'")
# held KEY EXPIRES: a held post's key
held() {
	sql "INSERT INTO held_messages (key, kind, list_id, spool_name, sender, created_at, expires_at)
	    VALUES ('$1', 'moderation', $LID, 'e$1', 'poster@example.net',
	    now() - interval '30 days', now() + interval '$2')" >/dev/null
}
# request KEY EMAIL EXPIRES
request() {
	sql "INSERT INTO requests (key, kind, list_id, action, email, requester, created_at, expires_at)
	    VALUES ('$1', 'confirm', $LID, 'subscribe', '$2', '$2',
	    now() - interval '30 days', now() + interval '$3')" >/dev/null
}
# replies ADDRESS WINDOW-START-AGO
replies() {
	sql "INSERT INTO command_replies (address, window_start, count)
	    VALUES ('$1', now() - interval '$2', 3)" >/dev/null
}
# ids KIND AGO: a post's and a command message's Message-ID first seen AGO
ids() {
	sql "INSERT INTO seen_message_ids (list_id, message_id, first_seen)
	    VALUES ($LID, '$1@example.net', now() - interval '$2');
	    INSERT INTO seen_command_ids (domain, message_id, first_seen)
	    VALUES ('example.net', '$1@example.net', now() - interval '$2')" >/dev/null
}
K1=0123456789abcdef0123456789abcdef
K2=fedcba9876543210fedcba9876543210
K3=00000000000000000000000000000001
K4=00000000000000000000000000000002
held $K1 '-1 hour'
held $K2 '1 day'
request $K3 gone@example.net '-1 minute'
request $K4 waits@example.net '13 days'
# The window is 600 s in purge.yaml: 30 minutes ago ended, 5 minutes ago did not
# (with the default of 3600 s both would stay).
replies ended@example.net '30 minutes'
replies counting@example.net '5 minutes'
# Message-IDs are kept a day in purge.yaml (the default is 30).
ids old '25 hours'
ids new '23 hours'
site "$T/purge.yaml" 'task_eval_bouncers: "off"' 'task_expire_bounce: "off"' \
    'task_process_bouncers: "off"' 'loop_command_sampling_delay: 600' \
    'msgid_days: 1'
# Its default schedule, 17 * * * *.
grep -v '^task_purge_keys:' "$T/purge.yaml" > "$T/purge.tmp" && mv "$T/purge.tmp" "$T/purge.yaml"
before=$(nruns)
at '2026-12-20 05:17:30' -1 -v -c "$T/purge.yaml"
eq "purge_keys: exit 0" "$RC" 0
eq "purge_keys ran for 05:17 (its default schedule), alone" \
    "$(runs purge_keys) $(($(nruns) - before))" "2026-12-20 05:17:00 done 1"
eq "purge_keys' detail" "$(sql "SELECT detail FROM task_runs WHERE task = 'purge_keys'")" \
    "1 held keys, 1 requests, 1 reply counters, 1 post Message-IDs, 1 command Message-IDs purged"
check "the detail is logged" grep -q 'the run of 2026-12-20 05:17:00 UTC is done: 1 held keys, 1 requests, 1 reply counters, 1 post Message-IDs, 1 command Message-IDs purged' "$T/tm.err"
eq "the unexpired held key stays" "$(sql "SELECT string_agg(key, ',') FROM held_messages")" "$K2"
eq "the unexpired request stays" "$(sql "SELECT string_agg(key || ' ' || email, ',') FROM requests")" "$K4 waits@example.net"
eq "the counter of an open window stays" "$(sql "SELECT string_agg(address, ',') FROM command_replies")" "counting@example.net"
eq "the Message-IDs of the last day stay" \
    "$(sql "SELECT string_agg(message_id, ',') FROM seen_message_ids") $(sql "SELECT string_agg(message_id, ',') FROM seen_command_ids")" \
    "new@example.net new@example.net"
at '2026-12-20 06:16:59' -1 -c "$T/purge.yaml"
eq "06:16:59: no new run" "$(($(nruns) - before))" 1

# A purge that fails (a trigger refuses the DELETE): the run fails, the
# other purges are done all the same.
held $K1 '-1 hour'
request $K3 gone@example.net '-1 minute'
replies ended@example.net '30 minutes'
sql "CREATE FUNCTION htm_refuse() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN RAISE EXCEPTION 'htm: refused'; END\$\$;
    CREATE TRIGGER htm_refuse BEFORE DELETE ON held_messages
    FOR EACH ROW EXECUTE FUNCTION htm_refuse()" >/dev/null
at '2026-12-20 06:17:30' -1 -c "$T/purge.yaml"
eq "a purge fails: exit 70" "$RC" 70
eq "recorded failed, with the purge and the reason" \
    "$(sql "SELECT state || ' ' || detail FROM task_runs WHERE task = 'purge_keys' AND scheduled_for = '2026-12-20 06:17+00'")" \
    "failed ? held keys, 1 requests, 1 reply counters, 0 post Message-IDs, 0 command Message-IDs purged; held keys: htm: refused"
eq "the others purged all the same" \
    "$(sql "SELECT count(*) FROM held_messages") $(sql "SELECT count(*) FROM requests") $(sql "SELECT count(*) FROM command_replies")" \
    "2 1 1"

# A temporary error (a serialization failure): the run stops there and
# gives its slot back, to be run again.
request $K3 gone@example.net '-1 minute'
sql "CREATE OR REPLACE FUNCTION htm_refuse() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN RAISE EXCEPTION 'htm: busy' USING ERRCODE = 'serialization_failure'; END\$\$" >/dev/null
at '2026-12-20 07:17:30' -1 -v -c "$T/purge.yaml"
eq "a temporary error: exit 75" "$RC" 75
eq "the slot given back" "$(sql "SELECT count(*) FROM task_runs WHERE task = 'purge_keys' AND scheduled_for = '2026-12-20 07:17+00'")" 0
check "the run to retry is logged" grep -q 'the run of 2026-12-20 07:17:00 UTC is to retry: ? held keys, ? requests, ? reply counters, ? post Message-IDs, ? command Message-IDs purged; stopped at held keys: htm: busy' "$T/tm.err"
eq "nothing after it purged" "$(sql "SELECT count(*) FROM requests")" 2
sql "DROP TRIGGER htm_refuse ON held_messages" >/dev/null
at '2026-12-20 07:18:00' -1 -c "$T/purge.yaml"
eq "the next pass runs the slot" \
    "$RC $(sql "SELECT state || ' ' || detail FROM task_runs WHERE task = 'purge_keys' AND scheduled_for = '2026-12-20 07:17+00'")" \
    "0 done 1 held keys, 1 requests, 0 reply counters, 0 post Message-IDs, 0 command Message-IDs purged"
at '2026-12-20 07:18:00' -r purge_keys -c "$T/purge.yaml"
eq "-r purge_keys: nothing left" \
    "$(sql "SELECT detail FROM task_runs WHERE task = 'purge_keys' AND scheduled_for = '2026-12-20 07:18+00'")" \
    "manual: 0 held keys, 0 requests, 0 reply counters, 0 post Message-IDs, 0 command Message-IDs purged"

[ $nfail -eq 0 ]
