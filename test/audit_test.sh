#!/bin/sh
# audit_test - herald audit against a real PostgreSQL: every change the
# CLI makes is printed, newest first, with its time, actor, channel,
# action, list, target, status and details; the filters (--list,
# --target, --actor, --since, --limit) and --json; refusals of bad
# options. herald member history: one address's records on one list,
# oldest first, with their proof (Message-ID, key, who asked, why), in
# text and JSON, after the list is purged too.
#
#	BIN=build/bin sh test/audit_test.sh	(needs HERALD_TEST_DATABASE)
#
# The database is shared with the other tests of a run: everything here
# lives in a domain of its own (auditNNNN.example.org) and filters on it.
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - audit_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
T=$(mktemp -d /tmp/haudit.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/check.sh"
D=audit$$.example.org

# status WANT DESCRIPTION herald-args...: the exit status of herald is WANT
status() {
	want=$1 d=$2; shift 2
	"$BIN/herald" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d (exit $want)"; else
		not_ok "$d: exit $got, wanted $want"; sed 's/^/# /' "$T/err"; fi
}
has() { grep -q -- "$2" "$T/$1"; }	# has out|err REGEX
lines() { wc -l < "$T/out" | tr -d ' '; }
# field N LINE: the Nth tab-separated field of line LINE of out
field() { sed -n "${2}p" "$T/out" | cut -f "$1"; }
PATH=$PATH:$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)

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
me=$(id -un)
status 0 "db migrate" db migrate
status 0 "domain create" domain create "$D"

# -- usage and refusals
status 0 "audit --help" audit --help
check "--help prints a usage" has out usage
status 64 "an argument" audit extra
status 64 "--limit not a number" audit --limit ten
status 64 "--limit negative" audit --limit -1
status 64 "--since neither a date nor a duration" audit --since yesterday
check "--since refusal names the forms" has err "YYYY-MM-DD"
status 64 "--since with a bad unit" audit --since 7y
status 65 "--since an impossible date" audit --since 2026-02-31
status 65 "--target not an address" audit --target "not an address"
status 65 "--list a bad name" audit --list "Bad/Name"

# -- some changes
status 0 "list create" list create news --subject "News" --owner boss@example.org
status 0 "member add" member add news alice@example.org --name "Alice"
status 0 "member add" member add news bob@example.org
status 0 "member set" member set news bob@example.org --reception digest
status 0 "member del" member del news alice@example.org
status 0 "second list" list create other --subject "Other" --owner boss@example.org
status 0 "member add to the second" member add other alice@example.org
status 67 "a refused change (no such member)" member del news nobody@example.org

# -- every change, newest first
status 0 "audit --list" audit --list news
check "six records for news (create, 2 adds, set, del ... )" test "$(lines)" -ge 5
check "newest first: member.del" test "$(field 4 1)" = member.del
check "then member.set" test "$(field 4 2)" = member.set
check "oldest last: list.create" test "$(field 4 "$(lines)")" = list.create
check "time in UTC ISO 8601" sh -c "sed -n 1p '$T/out' | cut -f 1 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\$'"
check "actor is the Unix user" test "$(field 2 1)" = "$me"
check "channel cli" test "$(field 3 1)" = cli
check "list address" test "$(field 5 1)" = "news@$D"
check "target" test "$(field 6 1)" = alice@example.org
check "status" test "$(field 7 1)" = success
check "details are JSON" sh -c "sed -n 2p '$T/out' | cut -f 8 | grep -q '\"reception\"'"
check "an empty target is -" test "$(field 6 "$(lines)")" = "-"
status 0 "audit --list NAME@DOMAIN" audit --list "news@$D"
check "the same records" test "$(lines)" -ge 5

# -- filters
status 0 "audit --target" audit --target Alice@Example.ORG --list news
check "alice on news: add and del" test "$(lines)" -eq 2
status 0 "audit --target across lists" audit --target alice@example.org --since 1h
check "alice: news and other" sh -c "grep -q 'other@$D' '$T/out' && grep -q 'news@$D' '$T/out'"
status 0 "audit --limit 1" audit --list news --limit 1
check "one record" test "$(lines)" -eq 1
status 0 "audit --limit 0 (all)" audit --list news --limit 0
check "all records" test "$(lines)" -ge 5
status 0 "audit --actor" audit --actor "$me" --list news
check "actor filter keeps ours" test "$(lines)" -ge 5
status 0 "audit --actor nobody" audit --actor "nobody-$$" --list news
check "no record of nobody" test "$(lines)" -eq 0
status 0 "audit --since 1d" audit --list news --since 1d
check "today's records" test "$(lines)" -ge 5
status 0 "audit --since 30m" audit --list news --since 30m
check "recent records" test "$(lines)" -ge 5
status 0 "audit --since a date in the future" audit --list news --since 2999-01-01
check "nothing after 2999" test "$(lines)" -eq 0
status 0 "audit --since an old date and time" audit --list news --since "2000-01-01T00:00"
check "everything since 2000" test "$(lines)" -ge 5
# An old record: the filter must drop it (rows are only added, so insert one).
sql "INSERT INTO audit_log (at, actor, channel, action, list_address, status) VALUES (now() - interval '3 days', 'old', 'cli', 'list.create', 'news@$D', 'success')" >/dev/null
status 0 "audit --since 2d" audit --list news --since 2d
check "a 3-day-old record is left out" sh -c "! grep -q '	old	' '$T/out'"
status 0 "audit --since 4d" audit --list news --since 4d
check "and is there with 4d" grep -q '	old	' "$T/out"

# -- JSON Lines
status 0 "audit --json" audit --list news --json
check "one object per line" sh -c "grep -vc '^{.*}\$' '$T/out' | grep -qx 0"
if command -v python3 >/dev/null 2>&1; then
	check "each line is JSON with the fields" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert set(r) >= {"id", "at", "actor", "channel", "action", "list", "target", "status", "error", "details"}, r
    assert isinstance(r["details"], dict)
' "$T/out"
fi
check "json: member.del first" sh -c "head -n 1 '$T/out' | grep -q '\"action\":\"member.del\"'"

# -- member history: the proof of an opt-in
status 0 "history: added by cli" member add news carol@example.org --name "Carol C"
status 0 "history: set by cli" member set news carol@example.org --reception digest
# A removal by a daemon and a subscription by mail (an owner approving
# carol's request), as roster writes them: no command here goes through
# mail or a daemon (test/roster_test.c has roster write them itself).
sql "INSERT INTO audit_log (actor, channel, action, target, list_id, list_address, status, details) SELECT 'bounced', 'daemon', 'member.del', 'carol@example.org', id, 'news@$D', 'success', '{\"reason\": \"bounce level 2\"}' FROM lists WHERE name = 'news' AND domain = '$D'" >/dev/null
sql "INSERT INTO audit_log (actor, channel, action, target, list_id, list_address, status, message_id, client, details) SELECT 'boss@example.org', 'mail', 'member.add', 'carol@example.org', id, 'news@$D', 'success', 'req-1@mua.example.net', 'mx.example.net [192.0.2.1]', '{\"key\": \"0123456789abcdef\", \"requested_by\": \"carol@example.org\", \"name\": \"Carol C\"}' FROM lists WHERE name = 'news' AND domain = '$D'" >/dev/null
sql "INSERT INTO audit_log (actor, channel, action, target, list_id, list_address, status, error) SELECT 'carol@example.org', 'mail', 'member.add', 'carol@example.org', id, 'news@$D', 'error', 'already a member' FROM lists WHERE name = 'news' AND domain = '$D'" >/dev/null
# Another address's records and another list's stay out.
status 0 "history: someone else" member add news dave@example.org
status 0 "history: carol on the other list" member add other carol@example.org

status 0 "member history" member history news Carol@Example.org
check "history: a heading with the count" has out "^History of carol@example.org on news@$D: 5 records, oldest first"
heads() { grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z  ' "$T/out"; }
eq "history: five records, ISO 8601 UTC" "$(heads | wc -l | tr -d ' ')" 5
eq "history: oldest first, every channel" "$(heads | awk '{print $2 "/" $4}' | tr '\n' ' ')" \
    "member.add/cli member.set/cli member.del/daemon member.add/mail member.add/mail "
# block N: the lines of the Nth record
block() { awk -v n="$1" '/^[0-9][0-9][0-9][0-9]-/ { k++ } k == n' "$T/out"; }
for k in 1 3 5; do block $k > "$T/b$k"; done
check "history 1: actor is the Unix user" grep -q "^  actor: *$me\$" "$T/b1"
check "history 1: its details" grep -q '^  details: .*Carol C' "$T/b1"
check "history 3: the daemon" grep -q '^  actor: *bounced$' "$T/b3"
check "history 3: its reason" grep -q '^  reason: *bounce level 2$' "$T/b3"
block 4 > "$T/b4"
check "history 4: the owner who approved" grep -q '^  actor: *boss@example.org$' "$T/b4"
check "history 4: who asked" grep -q '^  requested by: *carol@example.org$' "$T/b4"
check "history 4: the Message-ID" grep -q '^  message-id: *<req-1@mua.example.net>$' "$T/b4"
check "history 4: the key" grep -q '^  key: *0123456789abcdef$' "$T/b4"
check "history 4: the relay" grep -q '^  client: *mx.example.net \[192.0.2.1\]$' "$T/b4"
check "history 4: success" grep -q '^  status: *success$' "$T/b4"
check "history 4: no key in the details line" sh -c "! grep -q '^  details:.*0123456789abcdef' '$T/b4'"
check "history 5: the error" grep -q '^  status: *error: already a member$' "$T/b5"
check "history: nothing of dave" sh -c "! grep -q dave '$T/out'"

status 0 "member history --json" member history --json news carol@example.org
if command -v python3 >/dev/null 2>&1; then
	check "history --json: json.tool reads it" sh -c "python3 -m json.tool '$T/out' >/dev/null"
	check "history --json: the records and their proof" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))
assert h["list"] == sys.argv[2] and h["email"] == "carol@example.org", h
assert h["count"] == 5 and len(h["records"]) == 5, h
r = h["records"]
assert [x["action"] for x in r] == ["member.add", "member.set", "member.del", "member.add", "member.add"], r
assert [x["channel"] for x in r] == ["cli", "cli", "daemon", "mail", "mail"], r
assert r[0]["at"] < r[1]["at"] < r[2]["at"] < r[3]["at"], r
assert r[2]["reason"] == "bounce level 2" and r[2]["actor"] == "bounced", r[2]
m = r[3]
assert m["message_id"] == "req-1@mua.example.net" and m["key"] == "0123456789abcdef", m
assert m["requested_by"] == "carol@example.org" and m["actor"] == "boss@example.org", m
assert m["client"] == "mx.example.net [192.0.2.1]" and m["details"]["name"] == "Carol C", m
assert r[4]["status"] == "error" and r[4]["error"] == "already a member", r[4]
assert r[0]["message_id"] is None and r[0]["key"] is None, r[0]
' "$T/out" "news@$D"
elif command -v jq >/dev/null 2>&1; then
	check "history --json: jq reads it" sh -c "jq -e '.count == 5' '$T/out' >/dev/null"
fi

status 67 "history of an address with no record" member history news nobody@example.org
check "history: says there is no record" has err "no record of nobody@example.org"
check "history: nothing on stdout" test ! -s "$T/out"
status 67 "history on a list that never was" member history "never$$" carol@example.org
status 64 "history without an address" member history news
status 64 "history with an extra argument" member history news carol@example.org x
status 64 "history with an unknown option" member history --bogus news carol@example.org
status 65 "history of something not an address" member history news "not an address"
status 0 "member history --help" member history --help
check "history --help: a usage" has out "member history LIST EMAIL"

# -- hostile values stay data
status 0 "actor with a quote" audit --actor "x' OR '1'='1"
check "no record matches an injection" test "$(lines)" -eq 0

status 0 "list close" list close other
status 0 "list purge" list purge other
status 0 "list close" list close news
status 0 "list purge" list purge news
status 0 "audit after purge: records stay" audit --list news
check "the purge is recorded and the history kept" sh -c "grep -q list.purge '$T/out' && grep -q member.add '$T/out'"
status 0 "member history after purge" member history news carol@example.org
check "history after purge: every record" has out "5 records"
status 0 "member history --json after purge" member history news carol@example.org --json
check "history after purge: the key kept" has out '"key":"0123456789abcdef"'
status 0 "history of the other list after purge" member history other carol@example.org
check "history of the other list: its own record" has out "1 record,"

echo "# audit_test: $nfail failed"
[ "$nfail" -eq 0 ]
