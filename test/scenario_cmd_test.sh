#!/bin/sh
# scenario_cmd_test - herald scenario check/test/ls, Herald's default
# scenarios, and that they decide as Sympa's own files do.
#
#	BIN=build/bin sh test/scenario_cmd_test.sh
#
# Without a database only "check" runs: every file of scenarios/ and of
# Sympa's set (HERALD_CORPORA/sympa-testdata, read in place) compiles, and
# broken files give file:line and exit 65. With HERALD_TEST_DATABASE, a
# list with members, an owner and an editor is asked "scenario test" for
# a table of (scenario, role, auth) cases, and the answer must explain
# itself (scenario file, matched rule file:line, action).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
SRC=$(cd "$(dirname "$0")/.." && pwd)
CORPORA=${HERALD_CORPORA:-$SRC/../shared/corpora}
SYMPA=$CORPORA/sympa-testdata/default/scenari
T=$(mktemp -d /tmp/hscn.XXXXXX)
trap 'rm -rf "$T"' EXIT
nfail=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; nfail=$((nfail + 1)); }
status() {	# status WANT DESCRIPTION herald-args...
	want=$1 d=$2; shift 2
	"$BIN/herald" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d (exit $want)"; else
		not_ok "$d: exit $got, wanted $want"; sed 's/^/# /' "$T/err" "$T/out" | head -20; fi
}
has() { grep -q -- "$2" "$T/$1"; }	# has out|err REGEX
expect() {	# expect DESCRIPTION out|err REGEX
	if has "$2" "$3"; then ok "$1"; else not_ok "$1: no /$3/"; sed 's/^/# /' "$T/$2" | head -20; fi
}

# --- check, no database ---
status 0 "scenario --help" scenario --help
status 0 "scenario check --help" scenario check --help
status 0 "scenario test --help" scenario test --help
status 64 "scenario, no subcommand" scenario
status 64 "scenario frobnicate" scenario frobnicate
n=$(ls "$SRC/scenarios" | wc -l)
status 0 "check every default scenario ($n files)" scenario check "$SRC"/scenarios/*
if [ "$(grep -c ': [0-9]* rules$' "$T/out")" -eq "$n" ]; then ok "a rule count for each default file"
else not_ok "rule counts: $(grep -c ': [0-9]* rules$' "$T/out") of $n"; fi
if grep -q ': 0 rules$' "$T/out"; then not_ok "a default file has no rule"; else ok "every default file has rules"; fi
if [ -d "$SYMPA" ]; then
	n=$(ls "$SYMPA" | wc -l)
	status 0 "check every Sympa scenario ($n files)" scenario check "$SYMPA"/*
	# Every name Sympa ships exists in Herald's set.
	miss=""
	for f in "$SYMPA"/*; do [ -e "$SRC/scenarios/${f##*/}" ] || miss="$miss ${f##*/}"; done
	if [ -z "$miss" ]; then ok "Herald's set has every Sympa name"; else not_ok "missing:$miss"; fi
else
	echo "ok - # SKIP Sympa's scenarios not found at $SYMPA"
fi
printf 'title.gettext broken\ntrue() smtp -> do_it\nthis is not a rule\n' > "$T/send.bad1"
status 65 "a line that is not a rule" scenario check "$T/send.bad1"
expect "its error names file:line" err "send.bad1:3"
printf 'true() smtp -> do_it\nequal([sender]) smtp -> do_it\n' > "$T/send.bad2"
status 65 "equal() with one argument" scenario check "$T/send.bad2"
expect "its error names file:line" err "send.bad2:2"
printf 'match([sender],/(/) smtp -> do_it\n' > "$T/send.bad3"
status 65 "a regex that does not compile" scenario check "$T/send.bad3"
expect "its error names file:line" err "send.bad3:1"
printf 'true() smtp -> frobnicate\n' > "$T/send.bad4"
status 65 "an unknown action" scenario check "$T/send.bad4"
expect "its error names file:line" err "send.bad4:1"
status 65 "a good and a bad file" scenario check "$SRC/scenarios/send.public" "$T/send.bad1"
expect "the good one still reported" out "send.public: 1 rules"

if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "ok - # SKIP scenario test: HERALD_TEST_DATABASE not set"
	[ "$nfail" -eq 0 ]; exit $?
fi

# --- test, against the database ---
D=scn$$.example.org
cat > "$T/herald.yaml" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@$D
EOC
mkdir -p "$T/state"
export HERALD_CONFIG="$T/herald.yaml"
export HERALD_SCENARIODIR="$SRC/scenarios"
status 0 "db migrate" db migrate
status 0 "domain create" domain create "$D"
status 0 "list create" list create staff --subject Staff --owner boss@example.org
status 0 "member add" member add staff alice@example.org
status 0 "editor add" editor add staff ed@example.org
status 0 "list create, no editor" list create noed --subject NoEd --owner boss@example.org
status 0 "scenario ls send" scenario ls send
expect "ls shows send.private from the defaults" out "^send.private	default	"
status 67 "test on an unknown list" scenario test nosuch send --sender a@example.org
status 64 "test without --sender" scenario test staff send
status 64 "test an unknown function" scenario test staff frob --sender a@example.org
status 64 "test a bad --auth" scenario test staff send --sender a@example.org --auth pgp

# tcase NAME SENDER AUTH WANT [more args]: the action starts with WANT
tcase() {
	nm=$1 snd=$2 au=$3 want=$4; shift 4
	fn=${nm%%.*}
	"$BIN/herald" scenario test staff "$fn" --name "${nm#*.}" --sender "$snd" --auth "$au" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	act=$(sed -n 's/^action: //p' "$T/out")
	if [ "$rc" -eq 0 ] && case $act in "$want"*) true;; *) false;; esac &&
	    grep -q "^matched: $SRC/scenarios/$nm:[0-9]" "$T/out" && grep -q '^rule: ' "$T/out"; then
		ok "$nm $snd $au -> $act"
	else
		not_ok "$nm $snd $au: exit $rc, action '$act', wanted $want"; sed 's/^/# /' "$T/out" "$T/err" | head -12
	fi
}
M=alice@example.org O=boss@example.org E=ed@example.org X=stranger@example.net
tcase send.private "$M" smtp do_it
tcase send.private "$O" smtp do_it
tcase send.private "$E" md5 do_it
tcase send.private "$X" smtp "reject(reason='send_subscriber')"
tcase send.private "$X" md5 reject
tcase send.public "$X" smtp do_it
tcase send.public "$X" md5 do_it
tcase send.editorkey "$E" smtp do_it
tcase send.editorkey "$M" smtp editorkey
tcase send.editorkey "$X" md5 editorkey
tcase send.privatekey "$M" smtp request_auth
tcase send.privatekey "$M" md5 do_it
tcase send.privatekey "$X" md5 reject
tcase subscribe.owner "$X" smtp owner
tcase subscribe.owner "$M" smtp do_it
tcase subscribe.owner "$O" smtp do_it
tcase subscribe.owner "$X" smtp "request_auth" --email other@example.net
tcase subscribe.auth "$X" smtp request_auth
tcase subscribe.auth "$X" md5 do_it
tcase review.owner "$O" smtp do_it
tcase review.owner "lm@$D" md5 do_it
tcase review.owner "$M" smtp "reject(reason='review_owner')"
tcase review.owner "$X" md5 reject
printf 'From: x@example.net\nTo: staff@%s\nSubject: buy\nX-Spam-Status: Yes, score=12.0\n\nspam\n' "$D" > "$T/spam.eml"
printf 'From: x@example.net\nTo: staff@%s\nSubject: hi\nX-Spam-Status: No, score=0.1\n\nham\n' "$D" > "$T/ham.eml"
tcase spam_status.x-spam-status "$X" smtp spam --message "$T/spam.eml"
tcase spam_status.x-spam-status "$X" smtp unsure --message "$T/ham.eml"
status 0 "send with a spam message" scenario test staff send --sender "$M" --message "$T/spam.eml"
expect "the spam status is shown" out "^spam_status: spam"
status 0 "the list's own send scenario (private)" scenario test staff send --sender "$X"
expect "the default name is used" out "^scenario: .*/send.private$"
expect "the reject is explained" out "^action: reject"

# Whether Herald's files mean what Sympa's do is test/scenario_consistency_test.c:
# the same table in process, where thousands of `herald scenario test` runs
# would cost minutes.
sql() { psql -X -q -t -A -d "$HERALD_TEST_DATABASE" -c "$1" >/dev/null 2>&1; }
"$BIN/herald" list close staff >/dev/null 2>&1; "$BIN/herald" list purge staff >/dev/null 2>&1
"$BIN/herald" list close noed >/dev/null 2>&1; "$BIN/herald" list purge noed >/dev/null 2>&1
[ "$nfail" -eq 0 ]
