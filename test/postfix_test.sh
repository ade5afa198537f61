#!/bin/sh
# postfix_test - the MTA -> queue/bouncequeue path through a real, private
# Postfix instance: mail sent by SMTP to 127.0.0.1 goes through local(8)
# and the alias pipes into the spools exactly once, with its envelope;
# a spool that cannot be written makes Postfix defer and keep the mail
# (exit 75), an oversized message is bounced (exit 65), and a burst loses
# and duplicates nothing.
#
#	BIN=build/bin sh test/postfix_test.sh	(as root; skips otherwise)
#
# KEEP=1 keeps the temporary directory (spool, Postfix log) for a look.
#
# Everything lives in one temporary directory, removed at exit together
# with the instance (test/lib/postfix.sh). The machine's /etc/postfix and
# its own instance are never touched.
set -u
PATH=$PATH:/usr/sbin:/sbin
t0=$(date +%s%N)
BIN=${BIN:-build/bin}
here=$(cd "$(dirname "$0")" && pwd) || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - not root: a private Postfix instance must be started as root"
	exit 0
fi
for p in postfix postalias postqueue smtp-source ss; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "skip - $p not installed: no Postfix to test against"
		exit 0
	fi
done
if ! id nobody >/dev/null 2>&1; then
	echo "skip - no user nobody to run the pipes as"
	exit 0
fi
BIN=$(cd "$BIN" && pwd) || { echo "not ok - BIN=$BIN is not a directory"; exit 1; }
for p in queue bouncequeue herald; do
	if [ ! -x "$BIN/$p" ]; then
		echo "not ok - $BIN/$p is not built"
		exit 1
	fi
done

# shellcheck source=test/lib/postfix.sh
. "$here/lib/postfix.sh"

T=$(mktemp -d /tmp/hpf.XXXXXX) || exit 1
cleanup() {
	postfix_down "$T/pf" || echo "# the Postfix instance in $T/pf would not stop"
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $T"
	else
		chmod -R u+rwX "$T" 2>/dev/null
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE	# a closed stdout must not skip the cleanup
chmod 755 "$T"		# postfix and nobody must traverse it
S=$T/spool
PF=$T/pf
. "$(dirname "$0")/lib/check.sh"

note() { sed 's/^/# /'; }
count() { find "$@" -type f 2>/dev/null | wc -l | tr -d ' '; }
# The spool entries in DIR whose message has the Message-ID.
entries_with() { grep -lFx -- "Message-ID: <$2>" "$1"/* 2>/dev/null; }
field() { sed -n "s/^$2: //p;/^\$/q" "$1"; }
# The envelope has a sender line, and it is empty.
null_sender() { [ "$(sed -n '/^$/q;/^sender:/p' "$1")" = "sender: " ]; }
not_from_line() { ! head -n 1 "$1" | grep -q '^From '; }
# The entry ends with its trailer, newline included.
sealed() { [ "$(tail -c 11 "$1" | od -An -c | tr -d ' ')" = 'HERALD-END\n' ]; }
# Postfix's queue id of the message with the Message-ID (from cleanup's log line).
qid_of() {
	postfix_wait_log "$PF" "]: [0-9A-Za-z]+: message-id=<$1>" 10 &&
	    sed -n "s/.*]: \([0-9A-Za-z]*\): message-id=<$1>\$/\1/p" "$PF/maillog" |
	    tail -n 1
}
# The log lines of one queue id, as comments (what went wrong).
show_log() { grep -F -- " $1: " "$PF/maillog" | cut -c 1-400 | note; }
# A message file to $rcpt: mkmsg FILE MESSAGE-ID SUBJECT [BODY-FILE]
rcpt=testlist@lists.example.test
mkmsg() {
	{
		printf 'From: Alice <alice@sender.example.test>\n'
		printf 'To: %s\n' "$rcpt"
		printf 'Subject: %s\n' "$3"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s>\n\n' "$2"
		if [ $# -ge 4 ]; then
			cat "$4"
		else
			printf 'hello %s\n' "$2"
		fi
	} > "$1"
}
send() {	# send FROM TO FILE: one SMTP transaction; 0 when Postfix queued it
	smtp-source -M client.example.test -f "$1" -t "$2" -F "$3" \
	    "127.0.0.1:$port" >"$T/send.err" 2>&1 || { note < "$T/send.err"; return 1; }
}
in_deferred() { [ -n "$(find "$PF/queue/deferred" -type f -name "$1" 2>/dev/null)" ]; }
not_deferred() { ! in_deferred "$1"; }
ndeferred() { grep -Ec -- "]: $1: to=<.*status=deferred" "$PF/maillog"; }
# Postfix is finished with the queue id for now: removed (delivered or
# bounced), or deferred once more than N times and back in the deferred queue.
finished() {
	grep -q -- "]: $1: removed" "$PF/maillog" ||
	    { [ "$(ndeferred "$1")" -gt "$2" ] && in_deferred "$1"; }
}
# wait_done QID [N]: wait until finished, then until nothing is in flight.
wait_done() {
	postfix_poll 15 finished "$1" "${2:-0}" && postfix_poll 10 postfix_settled "$PF"
}
delivered() {	# delivered QID RECIPIENT: the log line of a delivery to the pipe
	grep -Eq -- "]: $1: to=<$2>, relay=local, .*status=sent \(delivered to command" \
	    "$PF/maillog"
}

# Herald: the spool tree owned by nobody; a second configuration with the
# smallest queue_max_size for the oversized message.
cat > "$T/herald.yaml" <<EOF
spool_directory: $S
state_directory: $T/state
mail_owner: nobody
myhostname: test.example
EOF
{ cat "$T/herald.yaml"; echo "queue_max_size: 65536"; } > "$T/small.yaml"
if ! "$BIN/herald" -c "$T/herald.yaml" spool init >"$T/init.log" 2>&1; then
	note < "$T/init.log"
	not_ok "herald spool init"
	exit 1
fi

# The pipes run as nobody: copies where nobody cannot reach the binaries.
. "$(dirname "$0")/lib/bin.sh"
BIN=$(bin_for nobody "$BIN" "$T") || exit 1

cat > "$T/aliases" <<EOF
testlist: "|$BIN/queue -c $T/herald.yaml testlist@lists.example.test"
testlist-owner: "|$BIN/bouncequeue -c $T/herald.yaml testlist@lists.example.test"
smalllist: "|$BIN/queue -c $T/small.yaml smalllist@lists.example.test"
bounce: "|$BIN/bouncequeue -c $T/herald.yaml bounce@lists.example.test"
alice: /dev/null
postmaster: /dev/null
MAILER-DAEMON: /dev/null
EOF
port=$(postfix_free_port 25250 25299) || { not_ok "a free port for Postfix"; exit 1; }
if ! PF_DOMAINS="lists.example.test, sender.example.test" \
    postfix_up "$PF" "$port" "$T/aliases" nobody 2>"$T/up.log"; then
	note < "$T/up.log"
	not_ok "a private Postfix instance starts on 127.0.0.1:$port"
	exit 1
fi
ok "a private Postfix instance runs on 127.0.0.1:$port ($(postconf -c "$PF/etc" -h mail_version))"

# 1. A message to the list: in msg/new exactly once, with its envelope,
# without local(8)'s From_ line, the body byte for byte, sealed.
id1=one.$$@sender.example.test
{
	printf 'First line of the body.\n'
	printf 'From the start of a line: not an mbox separator here.\n'
	printf '.a line that SMTP dot-stuffs\n..and two dots\n.\n'
	printf '\n\ttabbed line with trailing spaces   \n'
	printf '%0900d\n' 0
	printf 'last line\n'
} > "$T/body1"
mkmsg "$T/m1.eml" "$id1" "check one" "$T/body1"
if send alice@sender.example.test testlist@lists.example.test "$T/m1.eml" &&
    q1=$(qid_of "$id1") && [ -n "$q1" ] && wait_done "$q1"; then
	ok "1. Postfix accepted the list message and is done with it ($q1)"
else
	not_ok "1. Postfix accepted the list message and is done with it"
	q1=${q1:-none}
fi
check "1. the log shows status=sent to the queue pipe" delivered "$q1" testlist@lists.example.test
[ "$q1" = none ] || delivered "$q1" testlist@lists.example.test || show_log "$q1"
n=$(entries_with "$S/msg/new" "$id1" | wc -l | tr -d ' ')
check "1. exactly one entry in msg/new (found $n)" test "$n" -eq 1
check "1. nothing left in msg/tmp" test "$(count "$S/msg/tmp")" -eq 0
e=$(entries_with "$S/msg/new" "$id1" | head -n 1)
if [ -n "$e" ]; then
	check "1. envelope recipient is testlist@lists.example.test" \
	    test "$(field "$e" recipient)" = testlist@lists.example.test
	check "1. envelope sender is the SMTP MAIL FROM" \
	    test "$(field "$e" sender)" = alice@sender.example.test
	check "1. program is queue" test "$(field "$e" program)" = queue
	check "1. the pipe ran as nobody, the alias file's owner" \
	    test "$(stat -c %U "$e")" = nobody
	hlen=$(sed -n '1,/^$/p' "$e" | wc -c)
	size=$(field "$e" size | sed 's/^0*//')
	size=${size:-0}
	tail -c +"$((hlen + 1))" "$e" | head -c "$size" > "$T/got1"
	check "1. local(8)'s mbox From_ line is not in the stored message" \
	    not_from_line "$T/got1"
	check "1. Postfix's Return-Path heads the stored message" \
	    test "$(head -n 1 "$T/got1")" = "Return-Path: <alice@sender.example.test>"
	sed '1,/^$/d' "$T/got1" > "$T/gotbody1"
	# smtp-source (like swaks) sends an empty line before the final dot
	# (seen on the wire: "last line\r\n\r\n.\r\n"), so Postfix has one more.
	{ cat "$T/body1"; echo; } > "$T/sent1"
	check "1. the body is intact, byte for byte" cmp -s "$T/sent1" "$T/gotbody1"
	check "1. the entry ends with the HERALD-END trailer" \
	    sealed "$e"
	check "1. the declared size ($size) matches the stored message" \
	    test "$size" -eq "$(($(wc -c < "$e") - hlen - 11))"
else
	not_ok "1. the entry's envelope, message and trailer (no entry)"
fi

# 2. A null-sender mail to list-owner: in bounce/new with an empty sender.
id2=two.$$@mta.example.test
mkmsg "$T/m2.eml" "$id2" "Undelivered Mail Returned to Sender"
if send '' testlist-owner@lists.example.test "$T/m2.eml" &&
    q2=$(qid_of "$id2") && [ -n "$q2" ] && wait_done "$q2"; then
	ok "2. Postfix accepted the null-sender mail and is done with it ($q2)"
else
	not_ok "2. Postfix accepted the null-sender mail and is done with it"
	q2=${q2:-none}
fi
check "2. the log shows status=sent to the bouncequeue pipe" \
    delivered "$q2" testlist-owner@lists.example.test
[ "$q2" = none ] || delivered "$q2" testlist-owner@lists.example.test || show_log "$q2"
n=$(entries_with "$S/bounce/new" "$id2" | wc -l | tr -d ' ')
check "2. exactly one entry in bounce/new (found $n)" test "$n" -eq 1
check "2. none in msg/new" test -z "$(entries_with "$S/msg/new" "$id2")"
e=$(entries_with "$S/bounce/new" "$id2" | head -n 1)
if [ -n "$e" ]; then
	check "2. the envelope has the empty sender" \
	    null_sender "$e"
	check "2. envelope recipient and program" \
	    test "$(field "$e" recipient)/$(field "$e" program)" = testlist@lists.example.test/bouncequeue
else
	not_ok "2. the envelope has the empty sender (no entry)"
fi

# 2b. A VERP return path: the alias cannot pass the extension on the
# command line; bouncequeue records it from the MTA's environment.
id2b=verp.$$@mta.example.test
mkmsg "$T/m2b.eml" "$id2b" "Delivery Status Notification"
if send '' bounce+alice=example.org@lists.example.test "$T/m2b.eml" &&
    q2b=$(qid_of "$id2b") && [ -n "$q2b" ] && wait_done "$q2b"; then
	e=$(entries_with "$S/bounce/new" "$id2b" | head -n 1)
	check "2b. a VERP bounce keeps its address: bounce+alice=example.org@" \
	    test -n "$e" -a "$(field "$e" original-recipient)" = \
	    bounce+alice=example.org@lists.example.test
else
	not_ok "2b. Postfix accepted the VERP bounce and is done with it"
fi

# 3. Never lose mail: nobody cannot write msg/tmp, so queue exits 75 and
# Postfix defers and keeps the message; once writable, a flush delivers it
# exactly once.
id3=three.$$@sender.example.test
mkmsg "$T/m3.eml" "$id3" "check three"
chmod 0550 "$S/msg/tmp"
q3=none
if send alice@sender.example.test testlist@lists.example.test "$T/m3.eml" &&
    q3=$(qid_of "$id3") && [ -n "$q3" ] && wait_done "$q3"; then
	ok "3. Postfix accepted the message while the spool is unwritable, and tried it ($q3)"
else
	not_ok "3. Postfix accepted the message while the spool is unwritable, and tried it"
	q3=${q3:-none}
fi
check "3. the log shows status=deferred (temporary failure)" \
    grep -Eq -- "]: $q3: to=<testlist@lists.example.test>, .*dsn=4\.[0-9.]*, status=deferred" "$PF/maillog"
grep -Eq -- "]: $q3: .*status=deferred" "$PF/maillog" || show_log "$q3"
check "3. Postfix keeps the message in its deferred queue" in_deferred "$q3"
check "3. nothing in msg/new" test -z "$(entries_with "$S/msg/new" "$id3")"
check "3. nothing left in msg/tmp" test "$(count "$S/msg/tmp")" -eq 0
chmod 0750 "$S/msg/tmp"
n=$(ndeferred "$q3")
postfix_flush "$PF" 2>&1 | note
if wait_done "$q3" "$n" && delivered "$q3" testlist@lists.example.test; then
	ok "3. after the spool is fixed and the queue flushed, status=sent"
else
	not_ok "3. after the spool is fixed and the queue flushed, status=sent"
	show_log "$q3"
fi
n=$(entries_with "$S/msg/new" "$id3" | wc -l | tr -d ' ')
check "3. the message is in msg/new exactly once (found $n)" test "$n" -eq 1
check "3. and no longer in Postfix's queue" not_deferred "$q3"

# 4. Larger than queue_max_size: refused for good (exit 65), so Postfix
# bounces instead of deferring; nothing stays in the spool.
id4=four.$$@sender.example.test
awk 'BEGIN { for (i = 0; i < 2000; i++) printf "%04d the same long line to fill up the message body\n", i }' > "$T/body4"
rcpt=smalllist@lists.example.test
mkmsg "$T/m4.eml" "$id4" "check four: about 110 KB" "$T/body4"
rcpt=testlist@lists.example.test
if send alice@sender.example.test smalllist@lists.example.test "$T/m4.eml" &&
    q4=$(qid_of "$id4") && [ -n "$q4" ] && wait_done "$q4"; then
	ok "4. Postfix accepted the large message and is done with it ($q4)"
else
	not_ok "4. Postfix accepted the large message and is done with it"
	q4=${q4:-none}
fi
check "4. the log shows status=bounced with a permanent error (exit 65)" \
    grep -Eq -- "]: $q4: to=<smalllist@lists.example.test>, .*dsn=5\.[0-9.]*, status=bounced \((data format error|Command died with status 65)" \
    "$PF/maillog"
grep -Eq -- "]: $q4: .*status=bounced" "$PF/maillog" || show_log "$q4"
check "4. not deferred" test "$(ndeferred "$q4")" -eq 0
check "4. nothing in msg/new" test -z "$(entries_with "$S/msg/new" "$id4")"
check "4. nothing left in msg/tmp" test "$(count "$S/msg/tmp")" -eq 0

# 5. A burst of 20 messages, 20 SMTP sessions at once: each arrives once.
i=1
while [ "$i" -le 20 ]; do
	mkmsg "$T/b$i.eml" "burst-$i.$$@sender.example.test" "burst $i"
	i=$((i + 1))
done
i=1
while [ "$i" -le 20 ]; do
	smtp-source -M client.example.test -f alice@sender.example.test \
	    -t testlist@lists.example.test -F "$T/b$i.eml" "127.0.0.1:$port" \
	    >"$T/b$i.err" 2>&1 || echo "$i" >> "$T/burst.failed" &
	i=$((i + 1))
done
wait
check "5. Postfix accepted all 20 messages" test ! -e "$T/burst.failed"
[ -e "$T/burst.failed" ] && cat "$T/b"*.err | sort | uniq -c | note
all_sent() {
	[ "$(grep -Ec -- "]: [0-9A-Za-z]+: message-id=<burst-[0-9]+\.$$@" "$PF/maillog")" -ge 20 ] || return 1
	for b_q in $(sed -n "s/.*]: \([0-9A-Za-z]*\): message-id=<burst-[0-9]*\.$$@.*/\1/p" "$PF/maillog"); do
		grep -q -- "]: $b_q: removed" "$PF/maillog" || return 1
	done
}
check "5. Postfix is done with all 20 within 20 s" postfix_poll 20 all_sent
postfix_poll 10 postfix_settled "$PF"
nsent=0
for b_q in $(sed -n "s/.*]: \([0-9A-Za-z]*\): message-id=<burst-[0-9]*\.$$@.*/\1/p" "$PF/maillog"); do
	if delivered "$b_q" testlist@lists.example.test; then
		nsent=$((nsent + 1))
	else
		show_log "$b_q"
	fi
done
check "5. the log shows status=sent for all 20 (found $nsent)" test "$nsent" -eq 20
grep -h "^Message-ID: <burst-[0-9]*\.$$@" "$S/msg/new"/* 2>/dev/null > "$T/burst.ids"
n=$(wc -l < "$T/burst.ids" | tr -d ' ')
d=$(sort -u "$T/burst.ids" | wc -l | tr -d ' ')
check "5. 20 entries in msg/new (found $n)" test "$n" -eq 20
check "5. 20 distinct Message-IDs: none twice (found $d)" test "$d" -eq 20
check "5. nothing left in msg/tmp" test "$(count "$S/msg/tmp")" -eq 0

# Overall: Postfix's queue is empty, no spool has a stray tmp/ file, and no
# Postfix program died.
check "Postfix's queue is empty at the end" postfix_poll 5 postfix_queue_empty "$PF"
check "no tmp/ file in any spool" test "$(count "$S"/*/tmp)" -eq 0
check "nothing in bad/" test "$(count "$S/bad/new")" -eq 0
if grep -Eq 'fatal:|panic:' "$PF/maillog"; then
	not_ok "no fatal or panic in Postfix's log"
	grep -E 'fatal:|panic:' "$PF/maillog" | head -n 5 | note
else
	ok "no fatal or panic in Postfix's log"
fi

t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
echo "# took $((ms / 1000)).$((ms % 1000 / 100)) s"
[ "$nfail" -eq 0 ]
