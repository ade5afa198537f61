#!/bin/sh
# commands_test - the mail command robot through the whole path: queue(8)
# takes each command message as the MTA would, distribute(8) carries the
# commands out, bulk(8) hands every reply to Postfix's smtp-sink, and what
# each address received is read back from the sink's dump. See
# herald-commands(7).
#
#	BIN=build/bin sh test/commands_test.sh	(needs HERALD_TEST_DATABASE, smtp-sink)
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - commands_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/bulk_sink.sh"
if ! bs_have_sink; then
	echo "skip - commands_test: no smtp-sink (the postfix package)"
	exit 0
fi
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
HERALD_SCENARIODIR=${HERALD_SCENARIODIR:-$(pwd)/scenarios}
export HERALD_SCENARIODIR

T=$(mktemp -d /tmp/hcmd.XXXXXX) || exit 1
DBNAME=""
cleanup() {
	bs_cleanup
	[ -n "$DBNAME" ] && pg_own_db_drop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM
if pg_own_db hcmd_$$; then
	DBNAME=$pg_own
else
	echo "# $pg_own_why: using the shared database"
fi

D=cmd$$.example.org
ROBOT=sympa@$D
bs_dump_dir || { not_ok "a directory for the sink's dump"; exit 1; }
DUMP=$BS_DIR/dump
bs_sink_start "$DUMP" || { not_ok "smtp-sink starts"; exit 1; }
mkdir -p "$T/state"

# site CONFIRM-POLICY [MORE LINES]
site() {
	{
		cat <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
myhostname: cmdtest.example.org
relay: 127.0.0.1:$BS_PORT
relay_tls: off
commands_confirm: $1
EOC
		shift
		for l in "$@"; do echo "$l"; done
	} > "$T/herald.yaml"
}
site never
export HERALD_CONFIG="$T/herald.yaml"
H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; return 1; }; }
H db migrate
H spool init
H domain create "$D"
H list create team --subject "The team" --owner boss@example.org
H list create authl --subject "Confirmed" --owner boss@example.org
H list create ownl --subject "Approved" --owner boss@example.org
echo "subscribe: auth" >> "$T/lists/$D/authl/config.yaml"
echo "subscribe: owner" >> "$T/lists/$D/ownl/config.yaml"
H member add team member@example.org

n=0
# send FROM TO SUBJECT [BODY-LINES...]: one message through queue, then
# distribute and bulk one pass each; what reached the sink is in $T/got.
# ENV_FROM overrides the envelope sender, EXTRA adds a header line, MSGID
# sets the Message-ID.
send() {
	s_from=$1 s_to=$2 s_subj=$3
	shift 3
	n=$((n + 1))
	{
		printf 'From: %s\nTo: %s\nSubject: %s\n' "$s_from" "$s_to" "$s_subj"
		printf 'Message-ID: <%s>\n' "${MSGID:-c$n.$$@example.org}"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
		[ -n "${EXTRA:-}" ] && printf '%s\n' "$EXTRA"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} | "$BIN/queue" -c "$T/herald.yaml" -f "${ENV_FROM:-$s_from}" "$s_to"
	"$BIN/distribute" -1 -c "$T/herald.yaml" 2>>"$T/distribute.err"
	"$BIN/bulk" -1 -c "$T/herald.yaml" 2>>"$T/bulk.err"
	cp "$DUMP" "$T/got" 2>/dev/null || : > "$T/got"
	: > "$DUMP"
}
# mail_to ADDR: the messages of the last step delivered to ADDR
mail_to() {
	awk -v want="<$1>" '
	function flush() { if (hit) printf "%s", buf; buf = ""; hit = 0 }
	/^X-Client-Addr: / { flush() }
	/^X-Rcpt-Args: / { if ($2 == want) hit = 1 }
	{ buf = buf $0 "\n" }
	END { flush() }' "$T/got"
}
count_to() { mail_to "$1" | grep -c '^X-Client-Addr: '; }
has() {	# has NAME ADDR PATTERN: ADDR got a message matching PATTERN
	if mail_to "$2" | grep -q -- "$3"; then ok "$1"; else
		not_ok "$1"; mail_to "$2" | sed -n '1,60s/^/#   /p'; fi
}
member() { sql "SELECT count(*) FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.name = '$1' AND l.domain = '$D' AND s.email = '$2'"; }
key_in() { mail_to "$1" | sed -n 's/^Subject: \(CONFIRM\|AUTH\) \([0-9a-f]\{32\}\).*/\2/p' | head -n 1; }

# -- HELP in the Subject, reply prefix and all
send alice@example.org "$ROBOT" "Re: HELP"
has "HELP: the report answers" alice@example.org "mail command service"
has "HELP: report subject" alice@example.org "^Subject: Results of your commands"
has "HELP: auto-replied" alice@example.org "^Auto-Submitted: auto-replied"
eq "HELP: one message" "$(count_to alice@example.org)" 1

# -- several commands in the body, an unknown line stops the rest
send alice@example.org "$ROBOT" "" "SUB team Alice Example" "which" \
    "INFO team" "this is not a command" "LISTS"
has "body: subscribed" alice@example.org "You are now a member of team"
has "body: WHICH" alice@example.org "member of team@$D"
has "body: INFO" alice@example.org "List team@$D: The team"
has "body: unknown line" alice@example.org "> this is not a command"
if mail_to alice@example.org | grep -q "The lists of"; then
	not_ok "body: nothing after the unknown line"; else ok "body: nothing after the unknown line"; fi
has "body: welcome" alice@example.org "^Subject: Welcome to team"
eq "body: alice is a member" "$(member team alice@example.org)" 1
eq "body: the audit keeps the Message-ID" "$(sql "SELECT message_id FROM audit_log WHERE action = 'member.add' AND target = 'alice@example.org' ORDER BY id DESC LIMIT 1")" "c$n.$$@example.org"

# -- short forms, SET, REVIEW refused to a member, QUIET SIGNOFF
send alice@example.org "$ROBOT" "" "set team nomail" "SET team conceal" \
    "rev team" "QUIET sig team"
has "short: SET nomail" alice@example.org "is now: nomail"
has "short: SET conceal" alice@example.org "is now: conceal"
has "short: REVIEW not allowed" alice@example.org "You are not allowed"
has "short: SIG done" alice@example.org "alice@example.org is no longer a member of team"
if mail_to alice@example.org | grep -q "^Subject: You have left"; then
	not_ok "QUIET: no bye"; else ok "QUIET: no bye"; fi
eq "short: alice left" "$(member team alice@example.org)" 0

# -- REVIEW by the owner, STATS, MODINDEX, INDEX, VERIFY
send boss@example.org "$ROBOT" "" "REVIEW team" "STATS team" \
    "MODINDEX team" "INDEX team" "VERIFY team"
has "owner: REVIEW lists members" boss@example.org "member@example.org"
has "owner: STATS" boss@example.org "team: 1 members"
has "owner: MODINDEX" boss@example.org "No message waits for moderation"
has "owner: INDEX" boss@example.org "cannot be read by mail"
has "owner: VERIFY" boss@example.org "carries no valid signature"

# -- the -subscribe and -unsubscribe addresses, and Smartlist -request
send carol@example.org "team-subscribe@$D" "anything"
eq "-subscribe: carol is a member" "$(member team carol@example.org)" 1
has "-subscribe: welcome" carol@example.org "^Subject: Welcome to team"
send carol@example.org "team-unsubscribe@$D" "whatever"
eq "-unsubscribe: carol left" "$(member team carol@example.org)" 0
has "-unsubscribe: bye" carol@example.org "^Subject: You have left team"
send carol@example.org "team-request@$D" "subscribe"
eq "-request subscribe: carol is a member" "$(member team carol@example.org)" 1
send carol@example.org "team-request@$D" "A question for the owners" "Hello?"
has "-request: other mail goes to the owners" boss@example.org "A question for the owners"
eq "-request: carol gets no reply" "$(count_to carol@example.org)" 0

# -- request_auth: the confirmation round trip, the key used once
send dan@example.org "$ROBOT" "SUB authl Dan"
eq "auth: not yet a member" "$(member authl dan@example.org)" 0
K=$(key_in dan@example.org)
check "auth: a key of 32 hex digits" test ${#K} -eq 32
has "auth: confirmation subject" dan@example.org "^Subject: AUTH $K SUB authl Dan"
send dan@example.org "$ROBOT" "Re: AUTH $K SUB authl Dan"
eq "auth: dan is a member" "$(member authl dan@example.org)" 1
eq "auth: the audit keeps the key" "$(sql "SELECT details->>'key' FROM audit_log WHERE action = 'member.add' AND target = 'dan@example.org'")" "$K"
send dan@example.org "$ROBOT" "AUTH $K SUB authl Dan"
has "auth: a spent key" dan@example.org "No request waits with this key"
send erin@example.org "$ROBOT" "SUB authl"
K=$(key_in erin@example.org)
send erin@example.org "$ROBOT" "AUTH $K SIG authl"
has "auth: a key for another command" erin@example.org "not given for this command"

# -- owner approval
send fred@example.org "$ROBOT" "SUB ownl Fred"
has "owner: the requester is told" fred@example.org "passed to the owners"
K=$(key_in boss@example.org)
has "owner: the owners get the ADD line" boss@example.org "AUTH $K ADD ownl fred@example.org Fred"
eq "owner: not yet" "$(member ownl fred@example.org)" 0
send boss@example.org "$ROBOT" "AUTH $K ADD ownl fred@example.org Fred"
eq "owner: fred is a member" "$(member ownl fred@example.org)" 1
has "owner: fred is welcomed" fred@example.org "^Subject: Welcome to ownl"
eq "owner: requested_by kept" "$(sql "SELECT details->>'requested_by' FROM audit_log WHERE action = 'member.add' AND target = 'fred@example.org'")" "fred@example.org"

# -- automatons: an auto-reply and a bounce get nothing, do nothing
EXTRA="Auto-Submitted: auto-replied" send gina@example.org "$ROBOT" "SUB team"
eq "auto-reply: no member" "$(member team gina@example.org)" 0
eq "auto-reply: no mail at all" "$(bs_rcpt_count "$T/got")" 0
EXTRA="Auto-Submitted: auto-replied" send gina@example.org "team-request@$D" "subscribe"
eq "auto-reply to -request: no member" "$(member team gina@example.org)" 0
eq "auto-reply to -request: no reply" "$(count_to gina@example.org)" 0
ENV_FROM="" send MAILER-DAEMON@example.org "$ROBOT" "Undelivered" "SUB team"
eq "bounce: no mail at all" "$(bs_rcpt_count "$T/got")" 0

# -- a command message taken twice is carried out once
MSGID=twice.$$@example.org send kim@example.org "$ROBOT" "" "SUB team"
eq "twice: the first is carried out (welcome and report)" "$(member team kim@example.org) $(count_to kim@example.org)" "1 2"
H member del team kim@example.org
MSGID=twice.$$@example.org send kim@example.org "team-subscribe@$D" ""
eq "twice: the second, to another address of the robot, is not" \
    "$(member team kim@example.org) $(count_to kim@example.org)" "0 0"
check "twice: it is kept in bad/ with the reason" \
    grep -rq "Message-ID <twice.$$@example.org> already taken" "$T/spool/bad/new"
MSGID=twice.$$@example.org send member@example.org "team@$D" "Hello team" "A post."
eq "twice: a post with that Message-ID is distributed all the same" \
    "$(sql "SELECT count(*) FROM bulk_jobs WHERE message_id = 'twice.$$@example.org' AND kind = 'post'")" 1

# -- REMIND: each member told of their own address, after the owner's AUTH
H member add ownl member@example.org
send boss@example.org "$ROBOT" "REMIND team"
K=$(key_in boss@example.org)
has "remind: the owner confirms first" boss@example.org "^Subject: AUTH $K REMIND team"
eq "remind: nobody but the owner is written to before" \
    "$(bs_rcpt_count "$T/got")" "$(count_to boss@example.org)"
send boss@example.org "$ROBOT" "AUTH $K REMIND team"
sql "SELECT s.email FROM subscribers s JOIN lists l ON l.id = s.list_id
    WHERE l.name = 'team' AND l.domain = '$D'" > "$T/team"
good=0
while read -r e; do
	[ "$(mail_to "$e" | grep -c "with the address $e\.")" -eq 1 ] && good=$((good + 1))
done < "$T/team"
eq "remind: every member got one reminder naming their own address" \
    "$good of $(grep -c . "$T/team")" "$(grep -c . "$T/team") of $(grep -c . "$T/team")"
has "remind: the owner's report counts them" boss@example.org \
    "A reminder was sent to the $(grep -c . "$T/team") members of team"

# -- REMIND *: the listmaster confirms; each member gets one list of lists
echo "visibility: secret" >> "$T/lists/$D/authl/config.yaml"
send member@example.org "$ROBOT" "REMIND *"
has "remind *: refused to a member" member@example.org "not allowed"
eq "remind *: and nothing held" "$(count_to member@example.org)" 1
send lm@example.org "$ROBOT" "REMIND *"
K=$(key_in lm@example.org)
has "remind *: the listmaster is asked to confirm" lm@example.org "^Subject: CONFIRM $K"
eq "remind *: nobody else is written to before" "$(bs_rcpt_count "$T/got")" 1
send lm@example.org "$ROBOT" "Re: CONFIRM $K"
has "remind *: a member of two lists has both" member@example.org "^  ownl@$D"
has "remind *: ... in one message" member@example.org "^  team@$D"
eq "remind *: one message for the member" "$(count_to member@example.org)" 1
eq "remind *: a secret list is not named: its only member gets nothing" \
    "$(count_to dan@example.org)" 0
has "remind *: the listmaster's report" lm@example.org "A reminder was sent to the [0-9]* members of the lists of $D"
sed -i '/^visibility: secret$/d' "$T/lists/$D/authl/config.yaml"

# -- the reply limit: 3 per window, the listmasters told once
site never "loop_command_max: 3"
for i in 1 2 3 4 5; do
	send hank@example.org "$ROBOT" "HELP"
	echo "$(count_to hank@example.org) $(count_to lm@example.org)" >> "$T/rate"
done
eq "rate: three replies, then none; one alarm" "$(tr '\n' ' ' < "$T/rate")" \
    "1 0 1 0 1 0 0 1 0 0 "

# -- unauthenticated senders confirm their commands first
site unauthenticated
send ivy@example.org "$ROBOT" "" "SUB team Ivy" "WHICH"
eq "hold: not yet a member" "$(member team ivy@example.org)" 0
K=$(key_in ivy@example.org)
has "hold: the confirmation lists the commands" ivy@example.org "SUB team Ivy"
eq "hold: one message" "$(count_to ivy@example.org)" 1
send ivy@example.org "$ROBOT" "Re: CONFIRM $K"
eq "hold: confirmed, a member" "$(member team ivy@example.org)" 1
has "hold: one report for it all" ivy@example.org "You are now a member of team"
eq "hold: the audit keeps the confirming key" "$(sql "SELECT details->>'key' FROM audit_log WHERE action = 'member.add' AND target = 'ivy@example.org'")" "$K"

# -- a forger: the victim gets one confirmation, the forger nothing
ENV_FROM=forger@evil.example send victim@example.org "$ROBOT" "SUB team"
eq "forged: the victim gets one message" "$(count_to victim@example.org)" 1
has "forged: and it is a confirmation" victim@example.org "^Subject: CONFIRM "
eq "forged: the forger gets nothing" "$(count_to forger@evil.example)" 0
eq "forged: no member" "$(member team victim@example.org)" 0

# -- a held message whose key expired is swept to bad/, kept with the reason
site unauthenticated
send olga@example.org "$ROBOT" "" "SUB team"
K=$(key_in olga@example.org)
held_before=$(ls "$T/spool/auth/new" | grep -c .)
sql "UPDATE held_messages SET created_at = now() - interval '15 days', expires_at = now() - interval '1 day' WHERE key = '$K'" >/dev/null
check "sweep: purge_keys runs" "$BIN/task_manager" -c "$T/herald.yaml" -r purge_keys
"$BIN/distribute" -1 -c "$T/herald.yaml" 2>>"$T/distribute.err"
eq "sweep: the expired entry left the auth spool, the others stayed" \
    "$(ls "$T/spool/auth/new" | grep -c .)" $((held_before - 1))
check "sweep: it is in bad/ with the reason" \
    grep -rq "its key expired before anyone confirmed" "$T/spool/bad/new"
send olga@example.org "$ROBOT" "Re: CONFIRM $K"
has "sweep: its CONFIRM finds nothing" olga@example.org "No request waits with this key"
eq "sweep: olga is no member" "$(member team olga@example.org)" 0

# -- replies are DKIM-signed like list mail (dkim_add_signature_to)
# signed ADDR: "V of N": of the N messages ADDR got in the last step, opendkim verifies V
signed() {
	rm -rf "$T/split"
	bs_split "$T/got" "$T/split" '*' >/dev/null
	v=0 all=0
	for f in "$T"/split/*.eml; do
		[ -f "$f" ] && grep -q " $1\$" "${f%.eml}.rcpt" || continue
		all=$((all + 1))
		if opendkim -x "$T/dkim/opendkim.conf" -t "$f" 2>&1 |
		    grep -q "verification (s=k1, d=$D, .*) succeeded"; then
			v=$((v + 1))
		else
			echo "# $1: $(opendkim -x "$T/dkim/opendkim.conf" -t "$f" 2>&1)"
		fi
	done
	echo "$v of $all"
}
mkdir -p "$T/dkim"
if command -v opendkim >/dev/null 2>&1 &&
    openssl genrsa -out "$T/dkim/k1.private" 2048 >/dev/null 2>&1; then
	pub=$(openssl rsa -in "$T/dkim/k1.private" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')
	printf 'k1._domainkey.%s v=DKIM1; k=rsa; p=%s\n' "$D" "$pub" > "$T/dkim/keys"
	printf 'Mode v\nSyslog no\nTestPublicKeys %s\n' "$T/dkim/keys" > "$T/dkim/opendkim.conf"
	keys="dkim_feature: on|dkim_private_key_path: $T/dkim/k1.private|dkim_selector: k1"
	IFS='|'; set -- $keys; unset IFS
	site never "$@"
	send jo@example.org "$ROBOT" "HELP"
	eq "dkim: the robot's reply verifies" "$(signed jo@example.org)" "1 of 1"
	send jo@example.org "team-request@$D" "subscribe"
	eq "dkim: the list's welcome and report verify" "$(signed jo@example.org)" "2 of 2"
	send jo@example.org "team-request@$D" "Hello owners"
	eq "dkim: the forward to the owners verifies" "$(signed boss@example.org)" "1 of 1"
	site never "$@" "dkim_add_signature_to: list"
	send jo@example.org "$ROBOT" "HELP"
	eq "dkim: add_signature_to list: the robot's reply goes unsigned" \
	    "$(mail_to jo@example.org | grep -ci '^DKIM-Signature:')" 0
	site never "$@"
else
	echo "skip - no opendkim or openssl: the replies' signatures are not checked"
fi

if [ -s "$T/distribute.err" ] && grep -q 'AddressSanitizer\|runtime error' "$T/distribute.err"; then
	not_ok "no sanitizer report"; sed 's/^/# /' "$T/distribute.err" | head -40
fi
[ $nfail -eq 0 ]
