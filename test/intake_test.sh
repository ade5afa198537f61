#!/bin/sh
# intake_test - queue(8) and bouncequeue(8) piped directly: a message is in
# new/ exactly once with its envelope when they exit 0, and nothing is left
# behind when they exit 75, 64 or 65.
#
#	BIN=build/bin sh test/intake_test.sh
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
T=$(mktemp -d /tmp/hintake.XXXXXX)
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
chmod 755 "$T"
. "$(dirname "$0")/lib/check.sh"

count() { find "$1" -type f | wc -l | tr -d ' '; }
entry() { find "$T/spool/$1/new" -type f | head -n 1; }
field() { sed -n "s/^$2: //p;/^\$/q" "$1"; }
# The message of an entry: its declared size, just before the 11-byte trailer.
body() {
	n=$(field "$1" size | sed 's/^0*//')
	tail -c "$((${n:-0} + 11))" "$1" | head -c "${n:-0}"
}
clear_spools() { find "$T/spool" -type f -delete; }

cat > "$T/herald.yaml" <<EOC
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
myhostname: test.example
queue_max_size: 64k
EOC
export HERALD_CONFIG="$T/herald.yaml"
check "herald spool init creates the tree" "$BIN/herald" spool init
check "every spool has tmp, new and cur" test -d "$T/spool/msg/tmp" -a -d "$T/spool/bounce/cur" -a -d "$T/spool/bad/new"

msg="$T/in.eml"
printf 'From alice@example.org Sun Nov 22 10:00:00 2026\nReturn-Path: <forged@example.net>\nFrom: Alice <alice@example.org>\nSubject: hello\nMessage-ID: <1@example.org>\n\nbody line\n' > "$msg"

# 1. a piped message is spooled exactly once, with its envelope
"$BIN/queue" staff@lists.example.org < "$msg"; st=$?
check "queue exits 0" test "$st" -eq 0
check "exactly one entry in msg/new" test "$(count "$T/spool/msg/new")" -eq 1
check "nothing left in msg/tmp" test "$(count "$T/spool/msg/tmp")" -eq 0
e=$(entry msg)
check "envelope recipient" test "$(field "$e" recipient)" = staff@lists.example.org
check "sender from the From_ line, not the Return-Path" test "$(field "$e" sender)" = alice@example.org
check "program recorded" test "$(field "$e" program)" = queue
check "host recorded" test "$(field "$e" host)" = test.example
body "$e" > "$T/back.eml"
tail -n +2 "$msg" > "$T/want.eml"
check "the From_ line is dropped, the rest kept" cmp -s "$T/back.eml" "$T/want.eml"
check "the entry ends with its trailer" test "$(tail -n 1 "$e")" = HERALD-END
size=$(field "$e" size | sed 's/^0*//')
check "declared size matches the message" test "$size" -eq "$(($(wc -c < "$msg") - $(head -n 1 "$msg" | wc -c)))"
clear_spools

# 2. sender: -f beats $SENDER beats the From_ line; <> is the null sender
SENDER=env@example.org "$BIN/queue" -f '<opt@example.org>' l@x.org < "$msg"
check "-f wins" test "$(field "$(entry msg)" sender)" = opt@example.org
clear_spools
SENDER=env@example.org "$BIN/queue" l@x.org < "$msg"
check "\$SENDER beats the From_ line" test "$(field "$(entry msg)" sender)" = env@example.org
clear_spools
ORIGINAL_RECIPIENT=bounce+alice=example.org@x.org RECIPIENT=other@x.org \
    "$BIN/bouncequeue" bounce@x.org < "$msg"
check "the MTA's original recipient (VERP) is kept" \
    test "$(field "$(entry bounce)" original-recipient)" = bounce+alice=example.org@x.org
clear_spools
env -u ORIGINAL_RECIPIENT RECIPIENT=bounce+bob=example.org@x.org "$BIN/bouncequeue" bounce@x.org < "$msg"
check "else \$RECIPIENT" test "$(field "$(entry bounce)" original-recipient)" = bounce+bob=example.org@x.org
clear_spools
RECIPIENT='bad addr' "$BIN/queue" l@x.org < "$msg" 2>/dev/null
check "a malformed one is left out" test -z "$(field "$(entry msg)" original-recipient)"
clear_spools
printf 'Return-Path: <>\nSubject: bounce\n\nx\n' | "$BIN/bouncequeue" l@x.org
e=$(entry bounce)
check "bouncequeue writes to the bounce spool" test -n "$e"
check "Return-Path <> is the null sender" test -z "$(field "$e" sender)"
check "bouncequeue leaves msg alone" test "$(count "$T/spool/msg")" -eq 0
clear_spools

# 3. bytes are kept exactly: NUL, CR, 8-bit, no final newline
printf 'Subject: bin\r\n\r\n\000\001\377caf\303\251\rend' > "$T/bin.eml"
"$BIN/queue" l@x.org < "$T/bin.eml"
e=$(entry msg)
body "$e" > "$T/back.eml"
check "binary message kept byte for byte" cmp -s "$T/bin.eml" "$T/back.eml"
clear_spools

# 4. wrong usage: 64, nothing written
for args in "" "a@b c@d" "../../etc@x" "nodomain" "-p 12 l@x.org" "-z l@x.org"; do
	# shellcheck disable=SC2086
	"$BIN/queue" $args < "$msg" 2>/dev/null; st=$?
	check "usage '$args' exits 64" test "$st" -eq 64
done
check "nothing spooled on usage errors" test "$(count "$T/spool")" -eq 0

# 5. too large for queue_max_size: 65 (the MTA bounces), nothing left
head -c 70000 /dev/zero | tr '\0' x > "$T/big.eml"
"$BIN/queue" l@x.org < "$T/big.eml" 2>/dev/null; st=$?
check "larger than queue_max_size exits 65" test "$st" -eq 65
check "nothing left after 65" test "$(count "$T/spool")" -eq 0

# 6. anything a retry can fix: 75, nothing left behind
head -c 40000 /dev/zero | tr '\0' y > "$T/mid.eml"
(ulimit -f 8; exec "$BIN/queue" l@x.org < "$T/mid.eml") 2>/dev/null; st=$?
check "a full disk (file size limit) exits 75" test "$st" -eq 75
check "nothing left after a full disk" test "$(count "$T/spool")" -eq 0
HERALD_CONFIG=$T/missing.yaml "$BIN/queue" l@x.org < "$msg" 2>/dev/null; st=$?
check "an unreadable config exits 75" test "$st" -eq 75
printf 'max_size: [\n' > "$T/broken.yaml"
HERALD_CONFIG=$T/broken.yaml "$BIN/queue" l@x.org < "$msg" 2>/dev/null; st=$?
check "a broken config exits 75" test "$st" -eq 75
mv "$T/spool/msg" "$T/spool/msg.away"
"$BIN/queue" l@x.org < "$msg" 2>"$T/err"; st=$?
mv "$T/spool/msg.away" "$T/spool/msg"
check "a missing spool exits 75" test "$st" -eq 75
check "the reason reaches stderr (the MTA logs it)" grep -q "cannot open spool" "$T/err"
if [ "$(id -u)" -eq 0 ]; then
	. "$(dirname "$0")/lib/bin.sh"
	NBIN=$(bin_for nobody "$BIN" "$T") || exit 1
	chown -R nobody "$T/spool"
	chmod 0500 "$T/spool/msg/tmp"
	runuser -u nobody -- "$NBIN/queue" -c "$T/herald.yaml" l@x.org < "$msg" 2>/dev/null; st=$?
	chmod 0750 "$T/spool/msg/tmp"
	check "an unwritable spool exits 75" test "$st" -eq 75
	check "nothing left after an unwritable spool" test "$(count "$T/spool")" -eq 0
	runuser -u nobody -- "$NBIN/queue" -c "$T/herald.yaml" l@x.org < "$msg"; st=$?
	check "as the spool's owner it works again" test "$st" -eq 0 -a "$(count "$T/spool/msg/new")" -eq 1
	clear_spools
	"$BIN/queue" -c "$T/herald.yaml" l@x.org < "$msg"
	check "an entry written by root belongs to the spool's owner" \
	    test "$(stat -c %U "$(entry msg)")" = nobody
	chown -R "$(id -u)" "$T/spool"
	clear_spools
else
	echo "skip - unwritable spool (needs root to run queue as another user)"
fi

printf 'Subject: no sender\n\nx\n' | env -u SENDER "$BIN/queue" l@x.org 2>"$T/err"
check "no sender at all: the null sender, with a warning" \
    sh -c "[ -z \"\$(sed -n 's/^sender: //p;/^\$/q' '$(entry msg)')\" ] && grep -q 'null sender' '$T/err'"
clear_spools

# 7. an empty message is spooled (distribute decides what to do with it)
"$BIN/queue" l@x.org < /dev/null; st=$?
check "an empty message exits 0 and is kept" test "$st" -eq 0 -a "$(count "$T/spool/msg/new")" -eq 1
clear_spools

# 8. many writers at once: every message once, unique names
i=0
while [ $i -lt 50 ]; do
	"$BIN/queue" l@x.org < "$msg" &
	i=$((i + 1))
done
wait
check "50 concurrent writers: 50 entries" test "$(count "$T/spool/msg/new")" -eq 50
check "50 concurrent writers: nothing in tmp" test "$(count "$T/spool/msg/tmp")" -eq 0

[ "$nfail" -eq 0 ]
