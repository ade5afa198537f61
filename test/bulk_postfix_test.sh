#!/bin/sh
# bulk_postfix_test - the whole path through a real Postfix: a post sent by
# SMTP goes MTA -> queue (Herald's generated aliases) -> distribute -> bulk
# -> Postfix -> each subscriber's Maildir, exactly once, with the list's
# headers; a subscriber Postfix does not know is refused at RCPT and
# recorded as failed; bounces of VERP mail come back to bouncequeue.
#
#	BIN=build/bin sh test/bulk_postfix_test.sh	(root, HERALD_TEST_DATABASE)
#
# distribute and bulk run as daemons, as on a real site: bulk is woken by
# the database's notification, not by the test.
set -u
PATH=$PATH:/usr/sbin:/sbin
BIN=${BIN:-build/bin}
here=$(cd "$(dirname "$0")" && pwd) || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - not root: a private Postfix instance must be started as root"
	exit 0
fi
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - bulk_postfix_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
for p in postfix postalias smtp-source ss; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "skip - $p not installed: no Postfix to test against"
		exit 0
	fi
done
BIN=$(cd "$BIN" && pwd) || { echo "not ok - BIN=$BIN is not a directory"; exit 1; }

. "$here/lib/postfix.sh"
. "$here/lib/check.sh"
. "$here/lib/bin.sh"

T=$(mktemp -d /tmp/hbpf.XXXXXX) || exit 1
PF=$T/pf
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	postfix_down "$PF" || echo "# the Postfix instance in $PF would not stop"
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$T"
note() { sed 's/^/# /'; }

D=lists.example.test
M=mbox.example.test
L=e2e$$
export HERALD_SCENARIODIR="${HERALD_SCENARIODIR:-$(cd "$here/.." && pwd)/scenarios}"
RUNBIN=$(bin_for nobody "$BIN" "$T") || exit 1
port=$(postfix_free_port 25300 25349) || { not_ok "a free port for Postfix"; exit 1; }

cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
domain: $D
lists_directory: $T/lists
spool_directory: $T/spool
state_directory: $T/state
mail_owner: nobody
myhostname: herald.example.test
libexec_directory: $RUNBIN
alias_file: $T/aliases
alias_rebuild_command: none
listmaster: listmaster@$M
relay: 127.0.0.1:$port
relay_tls: off
bulk_lease: 5
EOC
export HERALD_CONFIG="$T/herald.yaml"
H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; note < "$T/err"; return 1; }; }
mkdir -p "$T/state"
H db migrate && H spool init && { H domain create "$D" || true; } &&
    H list create "$L" --subject "End to end" --owner "owner@$M" ||
    { not_ok "set up Herald"; exit 1; }
chown -R nobody "$T/spool"
printf 'custom_subject: e2e\n' >> "$T/lists/$D/$L/config.yaml"

# Five members with Maildirs, one address Postfix does not know.
: > "$T/vmailbox"
for i in 1 2 3 4 5; do
	H member add "$L" "m$i@$M"
	echo "m$i@$M m$i/" >> "$T/vmailbox"
done
H member add "$L" "nobody-here@$M"
echo "owner@$M owner/" >> "$T/vmailbox"
echo "listmaster@$M listmaster/" >> "$T/vmailbox"
mkdir -p "$T/mail" && chown nobody "$T/mail"

# Herald's own aliases file, as the site would install it.
if ! H aliases; then
	not_ok "herald aliases writes the aliases file"
	exit 1
fi
check "the generated aliases name the list" grep -q "^$L:" "$T/aliases"
check "the generated aliases catch VERP bounces" grep -q "^bounce:" "$T/aliases"
echo "postmaster: /dev/null" >> "$T/aliases"
echo "MAILER-DAEMON: /dev/null" >> "$T/aliases"

if ! PF_DOMAINS="$D" PF_MAIN_EXTRA="virtual_mailbox_domains = $M
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = texthash:$T/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
smtpd_recipient_restrictions = permit_mynetworks, reject" \
    postfix_up "$PF" "$port" "$T/aliases" nobody 2>"$T/up.log"; then
	note < "$T/up.log"
	not_ok "a private Postfix instance starts on 127.0.0.1:$port"
	exit 1
fi
ok "Postfix $(postconf -c "$PF/etc" -h mail_version) on 127.0.0.1:$port with Herald's aliases"

"$BIN/distribute" -c "$T/herald.yaml" 2>"$T/distribute.log" &
PIDS="$PIDS $!"
"$BIN/bulk" -v -c "$T/herald.yaml" 2>"$T/bulk.log" &
PIDS="$PIDS $!"

# One post by SMTP, as any mail client would send it.
MID="e2e.$$@sender.example.test"
cat > "$T/post" <<EOM
From: Alice <m1@$M>
To: $L@$D
Subject: end to end
Date: Sun, 22 Nov 2026 10:00:00 +0000
Message-ID: <$MID>

Hello through Postfix.
EOM
smtp-source -M client.example.test -f "m1@$M" -t "$L@$D" -F "$T/post" \
    "127.0.0.1:$port" >"$T/send.err" 2>&1
check "Postfix accepts the post" test $? -eq 0

files() { find "$T/mail/$1/new" -type f 2>/dev/null; }
all_delivered() {
	for i in 1 2 3 4 5; do
		[ -n "$(files "m$i")" ] || return 1
	done
}
postfix_poll 30 all_delivered
check "every member's Maildir got the post within 30 s" all_delivered
sqlv() { psql "$HERALD_TEST_DATABASE" -Atc "$1" 2>/dev/null; }
failed_recorded() {
	[ "$(sqlv "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id
	    JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$MID' AND r.state = 'failed'")" = 1 ]
}
postfix_poll 10 failed_recorded
postfix_poll 10 postfix_settled "$PF"
sleep 1		# anything sent twice would arrive now

for i in 1 2 3 4 5; do
	eq "m$i got exactly one copy" "$(files "m$i" | wc -l | tr -d ' ')" 1
done
f=$(files m3 | head -n 1)
check "delivered with the list's subject tag" grep -q '^Subject: \[e2e\] end to end' "$f"
check "delivered with List-Id" grep -q "^List-Id: .*<$L\\.$D>" "$f"
check "delivered with List-Unsubscribe" grep -q '^List-Unsubscribe: <mailto:' "$f"
check "delivered with the original Message-ID" grep -qF "Message-ID: <$MID>" "$f"
check "the envelope sender is the list's tokened return path" \
    grep -q "^Return-Path: <bounce+[a-z2-7]\{10\}=$L@$D>" "$f"
eq "the database says: 5 sent" "$(sqlv "SELECT count(*) FROM bulk_recipients r
    JOIN bulk_packets p ON p.id = r.packet_id JOIN bulk_jobs j ON j.id = p.job_id
    WHERE j.message_id = '$MID' AND r.state = 'sent'")" 5
check "the unknown subscriber is recorded as failed (5xx at RCPT)" failed_recorded
eq "its status is Postfix's refusal" "$(sqlv "SELECT substr(r.smtp_status, 1, 3) FROM bulk_recipients r
    WHERE r.email = 'nobody-here@$M' AND r.state = 'failed' LIMIT 1")" 550
eq "no packet is left to send" "$(sqlv "SELECT count(*) FROM bulk_packets p JOIN bulk_jobs j
    ON j.id = p.job_id WHERE j.message_id = '$MID' AND p.state IN ('ready', 'claimed')")" 0

# VERP: every member gets a return path of their own; Postfix delivers it,
# and the address routes back to bouncequeue through the generated alias.
printf 'verp_rate: 100%%\n' >> "$T/lists/$D/$L/config.yaml"
MID2="e2e2.$$@sender.example.test"
sed "s/$MID/$MID2/; s/^Subject: .*/Subject: verp/" "$T/post" > "$T/post2"
smtp-source -M client.example.test -f "m1@$M" -t "$L@$D" -F "$T/post2" \
    "127.0.0.1:$port" >"$T/send.err" 2>&1
two_each() {
	for i in 1 2 3 4 5; do
		[ "$(files "m$i" | wc -l)" -ge 2 ] || return 1
	done
}
postfix_poll 30 two_each
check "the VERP post reached every member" two_each
f=$(grep -l "Subject: \[e2e\] verp" $(files m2) | head -n 1)
rp=$(sed -n 's/^Return-Path: <\(.*\)>$/\1/p' "$f" | head -n 1)
case $rp in
bounce+*@$D) ok "m2's copy has a VERP return path ($rp)" ;;
*) not_ok "m2's copy has a VERP return path (got '$rp')" ;;
esac
# A bounce to that return path reaches the bounce spool through Postfix.
printf 'From: MAILER-DAEMON@%s\nTo: %s\nSubject: Undelivered\n\nbounce\n' "$M" "$rp" > "$T/dsn"
before=$(find "$T/spool/bounce" -type f | wc -l)
smtp-source -M client.example.test -f "" -t "$rp" -F "$T/dsn" "127.0.0.1:$port" \
    >"$T/send.err" 2>&1
bounced_in() { [ "$(find "$T/spool/bounce" -type f | wc -l)" -gt "$before" ]; }
postfix_poll 15 bounced_in
check "a bounce to the VERP address lands in the bounce spool" bounced_in

if [ "$nfail" -gt 0 ]; then
	echo "# bulk log:"; tail -n 20 "$T/bulk.log" | note
	echo "# distribute log:"; tail -n 20 "$T/distribute.log" | note
	echo "# Postfix log:"; tail -n 30 "$PF/maillog" | cut -c 1-300 | note
fi
exit $((nfail > 0))
