#!/bin/sh
# oneclick_test - the one-click endpoint against a real PostgreSQL: start
# oneclick on a free loopback port, POST the URLs bulk would write (made
# by build/test/oneclick_test --url with the database's secret), and check
# the members and the audit log: an unsubscription with its record, a
# replay (200, nothing more), a forged token, GET and HEAD (405, nothing
# done), a bad body, an old token, a token older than the subscription, a
# multipart POST, an oversized body, a closed list, a malformed path, a
# database that is down (503), and SIGTERM.
#
#	BIN=build/bin sh test/oneclick_test.sh	(needs HERALD_TEST_DATABASE, curl)
#
# The database is shared with the other tests of a run: everything here
# lives in a domain of its own (ocNNNN.example.org).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
URLMAKER=$BIN/../test/oneclick_test
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - oneclick_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
if ! command -v curl >/dev/null 2>&1; then
	echo "skip - oneclick_test: no curl"
	exit 0
fi
if [ ! -x "$BIN/oneclick" ] || [ ! -x "$URLMAKER" ]; then
	echo "not ok - oneclick_test: $BIN/oneclick or $URLMAKER not built"
	exit 1
fi
# A test binary without --url would run its own cases, which wipe the
# database: make sure it knows the option first.
if ! "$URLMAKER" --url 2>&1 | grep -q "usage:.*--url"; then
	echo "not ok - oneclick_test: $URLMAKER has no --url"
	exit 1
fi
T=$(mktemp -d /tmp/honeclick.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/check.sh"
D=oc$$.example.org

herald() {	# herald ARGS...: quietly, its output in $T/out
	"$BIN/herald" "$@" >"$T/out" 2>"$T/err" ||
	    { echo "# herald $*: $(cat "$T/err")"; return 1; }
}
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
is_member() {	# is_member LIST ADDRESS
	herald member ls "$1" && grep -q "$2" "$T/out"
}
url() {	# url LIST ADDRESS [DAYS_AGO]: the URL bulk would write
	"$URLMAKER" --url "$BASE" "$1" "$D" "$2" ${3:+"$3"}
}
# post WANT DESCRIPTION URL [curl options]: POST a one-click, check the code
post() {
	want=$1 d=$2 u=$3; shift 3
	got=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 \
	    -X POST "$@" "$u")
	if [ "$got" = "$want" ]; then ok "$d (HTTP $want)"; else
		not_ok "$d: HTTP $got, wanted $want"; sed 's/^/# /' "$T/body"; fi
}
FORM="-H Content-Type:application/x-www-form-urlencoded --data-binary List-Unsubscribe=One-Click"
# audit_del ADDRESS: member.del records of ADDRESS by oneclick on news
audit_del() {
	sql "SELECT count(*) FROM audit_log WHERE action = 'member.del' AND list_address = 'news@$D' AND target = '$1' AND actor = 'oneclick' AND channel = 'web'"
}

cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
EOC
mkdir -p "$T/state"
export HERALD_CONFIG="$T/herald.yaml"
check "db migrate" herald db migrate
check "domain create" herald domain create "$D"
check "list create" herald list create news --subject News --owner boss@example.org
for m in alice bob carol erin frank; do
	check "member add $m" herald member add news "$m@example.org"
done
check "second list" herald list create shut --subject Shut --owner boss@example.org
check "member add dave" herald member add shut dave@example.org
check "close it" herald list close shut

# start CONFIG: oneclick -f on a free port (tried from a per-run base);
# sets pid and PORT.
start() {
	port=$((20000 + $$ % 20000))
	for try in 1 2 3 4 5 6 7 8 9 10; do
		sed -i '/^oneclick_listen:/d' "$1"
		echo "oneclick_listen: 127.0.0.1:$port" >> "$1"
		"$BIN/oneclick" -f -c "$1" 2>"$T/daemon.err" &
		pid=$!
		i=0
		while [ $i -lt 100 ]; do
			grep -q "listening on" "$T/daemon.err" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		if grep -q "listening on" "$T/daemon.err"; then
			PORT=$port
			return 0
		fi
		# Not listening after 10 s on a loaded machine: never wait on
		# a daemon that still runs.
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=""
		port=$((port + 1 + try * 7))
	done
	sed 's/^/# /' "$T/daemon.err"
	return 1
}

if ! start "$T/herald.yaml"; then
	not_ok "oneclick starts"
	exit 1
fi
ok "oneclick starts on 127.0.0.1:$PORT"
BASE=http://127.0.0.1:$PORT/lists/oneclick

# -- the one-click itself
U=$(url news alice@example.org)
check "a URL is made" test -n "$U"
check "the URL has the token's form" sh -c "echo '$U' | grep -Eq '/news@$D/[A-Za-z0-9_-]+/[0-9]+/[A-Za-z0-9_-]{24}\$'"
check "alice is a member" is_member news alice@example.org
post 200 "one-click POST" "$U" $FORM
check "reply says so" grep -q unsubscribed "$T/body"
check "alice is gone" sh -c '! "$0" member ls news | grep -q alice@' "$BIN/herald"
check "one member.del record by oneclick (web)" test "$(audit_del alice@example.org)" = 1
check "the others stay" is_member news bob@example.org
post 200 "a replay is idempotent" "$U" $FORM
check "replay says not subscribed" grep -q "not subscribed" "$T/body"
check "no second record" test "$(audit_del alice@example.org)" = 1

# -- refusals without effect
U=$(url news bob@example.org)
BAD=$(echo "$U" | sed 's/.$/A/; t; s/.$/B/')
[ "$BAD" = "$U" ] && BAD=$(echo "$U" | sed 's/.$/B/')
post 403 "a forged MAC" "$BAD" $FORM
check "forged: no detail in the reply" sh -c '! grep -qi -e mac -e token -e expired "$0"' "$T/body"
OTHER=$(echo "$U" | sed "s|/news@|/shut@|")
post 403 "a token moved to another list" "$OTHER" $FORM
post 405 "GET" "$U" -X GET
got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -I "$U")
check "HEAD is 405 too" test "$got" = 405
post 400 "a POST without the one-click body" "$U" --data-binary "hello=1"
post 400 "a POST with an empty body" "$U" --data-binary ""
post 403 "a token 61 days old" "$(url news bob@example.org 61)" $FORM
post 404 "a malformed path" "$BASE/news@$D/xx/1/yy" $FORM
post 404 "the bare base" "$BASE" $FORM
head -c 10000 /dev/zero | tr '\0' 'a' > "$T/big"
post 413 "an oversized body" "$U" --data-binary "@$T/big"
check "bob is still a member after all that" is_member news bob@example.org
check "no record for bob" test "$(audit_del bob@example.org)" = 0

# -- the multipart form RFC 8058 prefers
post 200 "multipart/form-data POST" "$U" -F "List-Unsubscribe=One-Click"
check "bob is gone" sh -c '! "$0" member ls news | grep -q bob@' "$BIN/herald"
check "one record for bob" test "$(audit_del bob@example.org)" = 1

# -- a token older than the subscription does not undo it
since() {	# since ADDRESS INTERVAL: the member of news joined that long ago
	sql "UPDATE subscribers SET subscribed_at = now() - interval '$2' WHERE email = '$1' AND list_id = (SELECT id FROM lists WHERE name = 'news' AND domain = '$D')" >/dev/null
}
since carol@example.org '1 day'
post 200 "a token from before carol subscribed" "$(url news carol@example.org 3)" $FORM
check "carol stays" is_member news carol@example.org
since erin@example.org '100 days'
post 200 "a token 59 days old still works" "$(url news erin@example.org 59)" $FORM
check "erin is gone" sh -c '! "$0" member ls news | grep -q erin@' "$BIN/herald"

# -- a closed list keeps its members
post 409 "a closed list" "$(url shut dave@example.org)" $FORM
check "dave stays" test "$(sql "SELECT count(*) FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.domain = '$D' AND s.email = 'dave@example.org'")" = 1

# -- the daemon's log names the list and never crashes
check "the log names the list" grep -q "list=news@$D" "$T/daemon.err"
check "still running" kill -0 "$pid"

# -- SIGTERM: a clean stop
kill -TERM "$pid"
st=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
wait "$pid"
st=$?
pid=""
check "SIGTERM stops it with status 0" test "$st" -eq 0
check "it says so" grep -q stopped "$T/daemon.err"

# -- a database that is down: 503, and the daemon lives on
sed "s|^database:.*|database: \"host=$T/nopg dbname=x connect_timeout=2\"|" \
    "$T/herald.yaml" > "$T/down.yaml"
if start "$T/down.yaml"; then
	ok "oneclick starts without its database"
	BASE=http://127.0.0.1:$PORT/lists/oneclick
	post 503 "database down" "$(url news frank@example.org)" $FORM
	post 503 "database still down" "$(url news frank@example.org)" $FORM
	check "still running" kill -0 "$pid"
	kill -TERM "$pid"
	wait "$pid"
	pid=""
else
	not_ok "oneclick starts without its database"
fi
check "frank stays" is_member news frank@example.org

# -- usage
"$BIN/oneclick" -x >/dev/null 2>&1
check "an unknown option is a usage error (64)" test $? -eq 64
"$BIN/oneclick" -f -c "$T/nosuch.yaml" >/dev/null 2>&1
check "a missing configuration is EX_CONFIG (78)" test $? -eq 78

herald list close news >/dev/null 2>&1
herald list purge news >/dev/null 2>&1
herald list purge shut >/dev/null 2>&1
[ "$nfail" -eq 0 ]
