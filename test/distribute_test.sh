#!/bin/sh
# distribute_test - distribute(8) against a real PostgreSQL and real spools:
# each route, each scenario action, the moderation round trip by mail keys,
# loops, spam, a repeated Message-ID, and a crash between the job's commit
# and the removal of its spool entry.
#
#	BIN=build/bin sh test/distribute_test.sh	(needs HERALD_TEST_DATABASE)
#
# Messages go in through queue(8), as the MTA would hand them over;
# distribute runs one pass (-1) at a time; what it decided is read back
# from the database (bulk jobs, packets, keys) and the spools.
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - distribute_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
T=$(mktemp -d /tmp/hdist.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/check.sh"
D=dist$$.example.org

H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; }; }
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
# The default scenarios of this tree, not of an installation.
HERALD_SCENARIODIR=${HERALD_SCENARIODIR:-$(pwd)/scenarios}
export HERALD_SCENARIODIR

cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
EOC
mkdir -p "$T/state"
export HERALD_CONFIG="$T/herald.yaml"
H db migrate
H spool init
H domain create "$D"
H list create staff --subject "Staff list" --owner boss@example.org
H list create mod --subject "Moderated" --owner boss@example.org
for m in alice bob carol; do H member add staff $m@example.org; done
H member add staff dave@example.net
H member set staff carol@example.org --reception digest
H member add mod alice@example.org
H member add mod bob@example.org
H editor add mod ed@example.org
# The moderated list's send scenario and subject tag.
cat >> "$T/lists/$D/mod/config.yaml" <<EOC
send: editorkey
custom_subject: mod
process_archive: on
EOC
cat >> "$T/lists/$D/staff/config.yaml" <<EOC
custom_subject: staff
EOC

n=0
# post RCPT FROM [EXTRA-HEADER]: a message through queue; its Message-ID in $MID
post() {
	n=$((n + 1))
	MID="m$n.$$@example.org"
	{
		printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n' \
		    "$2" "$1" "${SUBJ:-Hello $n}" "$MID"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n\nBody %s\n' "$n"
	} | "$BIN/queue" -c "$T/herald.yaml" -f "$2" "$1"
}
run() { "$BIN/distribute" -1 -c "$T/herald.yaml" 2>"$T/derr"; }
jobs() {	# jobs KIND LIST: how many jobs of a kind for list (or site)
	sql "SELECT count(*) FROM bulk_jobs WHERE kind = '$1'${2:+ AND list_name = '$2'} AND domain = '$D'"
}
rcpts_of() {	# the recipients of the job made from Message-ID $1, sorted
	sql "SELECT string_agg(r, ' ' ORDER BY r) FROM bulk_jobs j, bulk_packets p,
	    unnest(p.recipients) r WHERE p.job_id = j.id AND j.message_id = '$1'"
}
message_of() {	# the stored message of the job of Message-ID $1
	sql "SELECT convert_from(message, 'UTF8') FROM bulk_jobs WHERE message_id = '$1'"
}
bad_count() { ls "$T/spool/bad/new" 2>/dev/null | grep -vc '\.reason$'; }
last_reason() { cat "$(ls -t "$T/spool/bad/new/"*.reason | head -n 1)"; }

# -- a member's post to a private list
post staff@$D alice@example.org
run; check "distribute -1 exits 0" test $? -eq 0
eq "post: one job" "$(jobs post staff)" 1
eq "post: members in mail mode, not the digest one" "$(rcpts_of "$MID")" \
    "alice@example.org bob@example.org dave@example.net"
message_of "$MID" > "$T/job"
check "post: subject tagged" grep -q "^Subject: \[staff\] Hello 1" "$T/job"
check "post: List-Id" grep -q "^List-Id: .*<staff.$D>" "$T/job"
check "post: List-Unsubscribe" grep -q "^List-Unsubscribe: <mailto:" "$T/job"
check "post: X-Loop" grep -q "^X-Loop: staff@$D" "$T/job"
eq "post: Message-ID remembered" "$(sql "SELECT count(*) FROM seen_message_ids WHERE message_id = '$MID'")" 1
check "post: digest spool has a copy" test "$(ls "$T/spool/digest/new" | wc -l)" -eq 1
check "post: msg spool empty" test -z "$(find "$T/spool/msg/new" "$T/spool/msg/cur" -type f)"
FIRST=$MID

# -- the same Message-ID again: kept aside, not sent
SUBJ="Hello 1" n=0 post staff@$D alice@example.org
run
eq "repeat: still one job" "$(jobs post staff)" 1
check "repeat: in bad/ with the reason" sh -c "grep -q 'already distributed' '$(ls -t "$T/spool/bad/new/"*.reason | head -n 1)'"
n=10

# -- a stranger: rejected, told why, kept in bad/
post staff@$D stranger@example.net
run
eq "stranger: no post job" "$(jobs post staff)" 1
eq "stranger: one reply" "$(sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'reply' AND 'stranger@example.net' = ANY(p.recipients)")" 1
eq "stranger: reply with the null return path" "$(sql "SELECT return_path FROM bulk_jobs WHERE kind = 'reply' ORDER BY id DESC LIMIT 1")" ""
check "stranger: reason in bad/" sh -c "last_reason() { cat \"\$(ls -t '$T/spool/bad/new/'*.reason | head -n 1)\"; }; last_reason | grep -q 'rejected by send'"

# -- a robot's post is dropped without any reply
before=$(jobs reply)
post staff@$D mailer-daemon@example.net
run
eq "automaton: no reply" "$(jobs reply)" "$before"
post staff@$D alice@example.org "X-Loop: staff@$D"
run
eq "X-Loop: not distributed" "$(jobs post staff)" 1
post staff@$D alice@example.org "Auto-Submitted: auto-replied"
run
eq "Auto-Submitted: not distributed" "$(jobs post staff)" 1

# -- two From fields (a way to pass a forged author past DMARC): refused
post staff@$D alice@example.org "From: ceo@example.com"
run
eq "two From: not distributed" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$MID'")" 0
check "two From: the reason kept" sh -c "grep -q 'more than one From' \"\$(ls -t '$T/spool/bad/new/'*.reason | head -n 1)\""

# -- moderation round trip: hold, notice with key, DISTRIBUTE by mail
post mod@$D bob@example.org
HELD=$MID
run
eq "editorkey: held, not sent" "$(jobs post mod)" 0
check "editorkey: in the moderation spool" test "$(ls "$T/spool/moderation/new" | wc -l)" -eq 1
KEY=$(sql "SELECT key FROM held_messages WHERE message_id = '$HELD'")
check "editorkey: a 128-bit key" sh -c "echo '$KEY' | grep -Eq '^[0-9a-f]{32}$'"
eq "editorkey: notice to the editor" "$(sql "SELECT string_agg(r, ' ') FROM bulk_jobs j, bulk_packets p, unnest(p.recipients) r WHERE p.job_id = j.id AND j.kind = 'notice' AND j.list_name = 'mod'")" "ed@example.org"
sql "SELECT convert_from(message, 'UTF8') FROM bulk_jobs WHERE kind = 'notice' AND list_name = 'mod'" > "$T/notice"
check "notice: carries the key" grep -q "$KEY" "$T/notice"
check "notice: attaches the message" grep -q "message/rfc822" "$T/notice"
eq "notice: ahead of posts (priority 0)" "$(sql "SELECT priority FROM bulk_jobs WHERE kind = 'notice' AND list_name = 'mod'")" 0
SUBJ="DISTRIBUTE mod $KEY" post sympa@$D ed@example.org
run
eq "DISTRIBUTE: the post is sent" "$(jobs post mod)" 1
eq "DISTRIBUTE: to the members" "$(rcpts_of "$HELD")" "alice@example.org bob@example.org"
eq "DISTRIBUTE: key gone" "$(sql "SELECT count(*) FROM held_messages WHERE message_id = '$HELD'")" 0
check "DISTRIBUTE: moderation spool empty" test -z "$(find "$T/spool/moderation/new" "$T/spool/moderation/cur" -type f)"
check "DISTRIBUTE: archive copy" test "$(ls "$T/spool/archive/new" | wc -l)" -eq 1
message_of "$HELD" | grep -q "^Subject: \[mod\]"; check "DISTRIBUTE: tagged" test $? -eq 0
SUBJ="DISTRIBUTE mod $KEY" post sympa@$D ed@example.org
run
eq "DISTRIBUTE twice: nothing more" "$(jobs post mod)" 1

# -- REJECT
post mod@$D alice@example.org
R=$MID
run
KEY=$(sql "SELECT key FROM held_messages WHERE message_id = '$R'")
SUBJ="REJECT mod $KEY" post sympa@$D ed@example.org
run
eq "REJECT: not sent" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$R' AND kind = 'post'")" 0
eq "REJECT: key gone" "$(sql "SELECT count(*) FROM held_messages WHERE message_id = '$R'")" 0
# replies are numbered by kind in their job id: 4 held, 7 rejected by a moderator, 0 no such list
replies() { sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'reply' AND '$1' = ANY(p.recipients) AND j.spool_id LIKE '%/reply$2'"; }
eq "editorkey: the author is told it waits" "$(replies alice@example.org 4)" 1
eq "REJECT: the author is told" "$(replies alice@example.org 7)" 1

# -- spam held for moderation: notice without the message
post mod@$D bob@example.org "X-Spam-Status: Yes, score=12.0"
S=$MID
run
KEY=$(sql "SELECT key FROM held_messages WHERE message_id = '$S'")
check "spam: held with a key" test -n "$KEY"
eq "spam: flagged" "$(sql "SELECT spam FROM held_messages WHERE message_id = '$S'")" t
sql "SELECT convert_from(j.message, 'UTF8') FROM bulk_jobs j WHERE j.kind = 'notice' ORDER BY id DESC LIMIT 1" > "$T/notice2"
check "spam: the notice does not attach it" sh -c "! grep -q 'message/rfc822' '$T/notice2'"

# -- request_auth: the sender confirms with CONFIRM key, then it goes out
H list create conf --subject "Confirmed" --owner boss@example.org
H member add conf bob@example.org
echo "send: privateorpublickey" >> "$T/lists/$D/conf/config.yaml"
post conf@$D stranger2@example.net
A=$MID
run
eq "request_auth: held, not sent" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$A' AND kind = 'post'")" 0
KEY=$(sql "SELECT key FROM held_messages WHERE message_id = '$A' AND kind = 'auth'")
check "request_auth: a key" test -n "$KEY"
eq "request_auth: the key goes to the sender" "$(sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'auth' AND 'stranger2@example.net' = ANY(p.recipients)")" 1
check "request_auth: in the auth spool" test "$(ls "$T/spool/auth/new" | wc -l)" -eq 1
SUBJ="Re: CONFIRM $KEY" post sympa@$D stranger2@example.net
run
eq "CONFIRM: sent to the members" "$(rcpts_of "$A")" "bob@example.org"
eq "CONFIRM: key gone" "$(sql "SELECT count(*) FROM held_messages WHERE message_id = '$A'")" 0
check "CONFIRM: auth spool empty" test -z "$(find "$T/spool/auth/new" "$T/spool/auth/cur" -type f)"

# -- a scenario of the list's own whose action is owner
mkdir -p "$T/lists/$D/conf/scenarios"
printf 'title owners decide\ntrue() smtp,dkim,md5,smime -> owner\n' > "$T/lists/$D/conf/scenarios/send.toowner"
sed -i 's/^send: privateorpublickey$/send: toowner/' "$T/lists/$D/conf/config.yaml"
post conf@$D bob@example.org
O=$MID
run
eq "owner action: not sent to the list" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$O' AND kind = 'post'")" 0
eq "owner action: forwarded to the owner" "$(sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'forward' AND j.list_name = 'conf' AND 'boss@example.org' = ANY(p.recipients)")" 1

# -- service addresses
post staff-request@$D alice@example.org
run
eq "-request: forwarded to the owner" "$(sql "SELECT string_agg(r, ' ') FROM bulk_jobs j, bulk_packets p, unnest(p.recipients) r WHERE p.job_id = j.id AND j.kind = 'forward' AND j.message_id IS NULL AND j.list_name = 'staff'")" "boss@example.org"
post mod-editor@$D alice@example.org
run
eq "-editor: forwarded to the editor" "$(sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'forward' AND j.list_name = 'mod' AND 'ed@example.org' = ANY(p.recipients)")" 1
before=$(jobs forward)
post staff-request@$D alice@example.org "X-Spam-Status: Yes, score=20"
run
eq "spam to -request: not forwarded" "$(jobs forward)" "$before"
post listmaster@$D alice@example.org
run
eq "listmaster: forwarded" "$(sql "SELECT count(*) FROM bulk_jobs j, bulk_packets p WHERE p.job_id = j.id AND j.kind = 'forward' AND 'lm@example.org' = ANY(p.recipients)")" 1
before=$(bad_count)
post nosuch@$D alice@example.org
run
eq "unknown list: kept in bad/" "$(bad_count)" $((before + 1))
eq "unknown list: the sender is told" "$(replies alice@example.org 0)" 1

# -- a crash after the commit, before the entry is removed
post staff@$D bob@example.org
C=$MID
E=$(ls "$T/spool/msg/new")
cp "$T/spool/msg/new/$E" "$T/saved"
run
eq "crash: one job" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$C'")" 1
seq_before=$(sql "SELECT posts FROM list_sequences s JOIN lists l ON l.id = s.list_id WHERE l.name = 'staff' AND l.domain = '$D'")
cp "$T/saved" "$T/spool/msg/new/$E"	# as if the unlink never happened
run
eq "crash: still one job after the re-run" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$C'")" 1
eq "crash: the post counter did not move" "$(sql "SELECT posts FROM list_sequences s JOIN lists l ON l.id = s.list_id WHERE l.name = 'staff' AND l.domain = '$D'")" "$seq_before"
check "crash: the entry is gone" test ! -e "$T/spool/msg/new/$E"

# -- DMARC protection and the DKIM signature, after every other change
H list create dm --subject "Protected" --owner boss@example.org
H member add dm alice@example.org
H member add dm bob@example.org
cat >> "$T/lists/$D/dm/config.yaml" <<EOC
custom_subject: dm
message_footer: "-- the dm list"
footer_type: append
dmarc_protection:
  mode: all
dkim_signature_apply_on: any
EOC
if openssl genrsa -out "$T/dkim.key" 2048 2>/dev/null; then
	cat >> "$T/herald.yaml" <<EOC
dkim_feature: on
dkim_private_key_path: $T/dkim.key
dkim_selector: t1
EOC
	post dm@$D '"Ann Example" <alice@example.org>'
	run
	message_of "$MID" > "$T/dm"
	check "dmarc: From rewritten to the list" grep -q "^From: .*<dm@$D>" "$T/dm"
	check "dmarc: the author kept in X-Original-From" grep -q "^X-Original-From: .*alice@example.org" "$T/dm"
	check "dkim: the signature comes first" sh -c "head -n 1 '$T/dm' | grep -q '^DKIM-Signature:'"
	check "dkim: signed by the list's domain" sh -c "head -n 12 '$T/dm' | tr -d ' \t\n' | grep -q 'd=$D;'"
	check "footer appended" grep -q "the dm list" "$T/dm"
	eq "dkim: the job says who signed" "$(sql "SELECT dkim_sign || ' ' || dkim_domain || ' ' || dkim_selector FROM bulk_jobs WHERE message_id = '$MID'")" "true $D t1"
	# A real verifier: opendkim with the public key as a test key.
	if command -v opendkim >/dev/null 2>&1; then
		pub=$(openssl rsa -in "$T/dkim.key" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')
		printf 't1._domainkey.%s v=DKIM1; k=rsa; p=%s\n' "$D" "$pub" > "$T/keys"
		printf 'Mode v\nSyslog no\nTestPublicKeys %s\n' "$T/keys" > "$T/opendkim.conf"
		opendkim -x "$T/opendkim.conf" -t "$T/dm" > "$T/ov" 2>&1
		check "dkim: opendkim verifies the distributed message" grep -q "verification (s=t1, d=$D" "$T/ov"
	else
		echo "skip - opendkim absent: signature not verified here"
	fi
else
	echo "skip - openssl absent: no DKIM key"
fi

# -- as a daemon: a post is taken at once (inotify), SIGHUP reloads,
#    SIGTERM stops it cleanly
"$BIN/distribute" -c "$T/herald.yaml" 2>"$T/daemon.err" &
dpid=$!
sleep 1
post staff@$D bob@example.org
i=0
until [ "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$MID'")" = 1 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "daemon: the post became a job" "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = '$MID'")" 1
kill -HUP $dpid; sleep 0.3
check "daemon: alive after SIGHUP" kill -0 $dpid
kill -TERM $dpid
i=0
while kill -0 $dpid 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
check "daemon: SIGTERM stops it within 3 s" sh -c "! kill -0 $dpid 2>/dev/null"
wait $dpid; eq "daemon: exit status 0" "$?" 0

# -- broken input is kept with its reason
before=$(bad_count)
printf 'garbage' > "$T/spool/msg/new/5.1700000000.000000.1.x.host"
run
eq "torn entry: kept in bad/" "$(bad_count)" $((before + 1))
check "distribute carried on" test $? -eq 0

sql "DELETE FROM lists WHERE domain = '$D'" >/dev/null
sql "DELETE FROM bulk_jobs WHERE domain = '$D'" >/dev/null
[ $nfail -eq 0 ]
