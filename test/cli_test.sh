#!/bin/sh
# cli_test - herald's list, member, owner, editor and which subcommands
# against a real PostgreSQL: every subcommand, the refusals and their exit
# statuses, CSV import reports (line numbers, counts), audit records.
#
#	BIN=build/bin sh test/cli_test.sh	(needs HERALD_TEST_DATABASE)
#
# The database is shared with the other tests of a run: everything here
# lives in a domain of its own (cliNNNN.example.org) and is purged at the
# end.
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - cli_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
T=$(mktemp -d /tmp/hcli.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/check.sh"
D=cli$$.example.org
D2=cli$$b.example.org

# status WANT DESCRIPTION herald-args...: the exit status of herald is WANT
status() {
	want=$1 d=$2; shift 2
	"$BIN/herald" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d (exit $want)"; else
		not_ok "$d: exit $got, wanted $want"; sed 's/^/# /' "$T/err"; fi
}
has() { grep -q -- "$2" "$T/$1"; }	# has out|err REGEX
# audits ACTION LIST [TARGET]: audit records with channel cli
audits() {
	sql "SELECT count(*) FROM audit_log WHERE channel = 'cli' AND action = '$1' AND list_address = '$2'${3:+ AND target = '$3'}"
}
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
status 0 "db migrate" db migrate
status 0 "domain create" domain create "$D"
status 0 "second domain create" domain create "$D2"

# -- help and usage
for c in list member owner editor which; do
	status 0 "$c --help" $c --help
	check "$c --help prints a usage" has out usage
done
status 0 "list create --help" list create --help
status 64 "list without a subcommand" list
status 64 "list with an unknown subcommand" list frobnicate
status 64 "list create without --owner" list create a --subject S

# -- list create and its refusals
status 0 "list create" list create staff --subject "Staff" --owner Boss@Example.ORG
check "config.yaml written" test -f "$T/lists/$D/staff/config.yaml"
check "create says what it did" has out "created list staff@$D"
check "audit list.create" test "$(audits list.create "staff@$D")" -eq 1
check "create regenerates the aliases: staff is routed" grep -q '^staff: "|' "$T/state/aliases"
status 73 "duplicate list" list create staff@$D --subject "Staff" --owner boss@example.org
check "duplicate named" has err "already exists"
status 65 "upper-case list name" list create Staff --subject S --owner a@example.org
status 65 "list name with a slash" list create "a/b" --subject S --owner a@example.org
status 65 "reserved suffix" list create staff-request --subject S --owner a@example.org
status 65 "list name with a shell character" list create 'a;rm' --subject S --owner a@example.org
status 65 "bad owner address" list create other --subject S --owner not-an-address
status 67 "unknown domain" list create x@nowhere$$.example.org --subject S --owner a@example.org
check "unknown domain named" has err "no domain nowhere"
status 0 "list create in the second domain, same name" list create staff@$D2 --subject "Other" --owner a@example.org

# -- show, ls
status 0 "list show" list show staff
check "show: database facts" has out "status: open"
check "show: owner from the database" has out "boss@example.org, profile: privileged"
check "show: config as YAML" has out '^subject: "*Staff'
status 67 "show an unknown list" list show nosuch@$D
check "unknown list named" has err "nosuch@$D: no such list"
status 0 "list ls --domain" list ls --domain "$D"
check "ls shows the list" has out "^staff@$D	open"
check "ls keeps to the domain" test "$(wc -l < "$T/out")" -eq 1
status 64 "list ls --status bogus" list ls --status bogus

# -- members
status 0 "member add" member add staff Alice@Example.org --name "Alice Ä"
check "audit member.add" test "$(audits member.add "staff@$D" alice@example.org)" -eq 1
status 65 "member add twice" member add staff alice@example.org
check "duplicate member named" has err "is a member already"
status 65 "member add of an invalid address" member add staff "no at sign"
status 67 "member add to an unknown list" member add nosuch bob@example.org
status 0 "member set" member set staff alice@example.org --reception digest --visibility conceal
check "audit member.set" test "$(audits member.set "staff@$D" alice@example.org)" -eq 1
status 64 "member set with a bad mode" member set staff alice@example.org --reception html
status 67 "member set of a non-member" member set staff zed@example.org --reception nomail
status 0 "member ls" member ls staff
check "ls shows the member and her settings" has out "^alice@example.org	digest	conceal	Alice Ä"
status 0 "member find" member find ALICE@
check "find gives the list" has out "^staff@$D	alice@example.org"
status 0 "member del" member del staff alice@example.org
check "audit member.del" test "$(audits member.del "staff@$D" alice@example.org)" -eq 1
status 67 "member del of a non-member" member del staff alice@example.org
check "unknown member named" has err "is not a member"

# -- import: good rows in, bad rows reported with their line numbers
printf 'Email,Name,dept\r\nbob@x.org,Bob,IT\r\n"carol@x.org","Carol ""C"", Jr",HR\r\nnot-an-address,Bad,\r\nbob@x.org,Again,\r\nd@x.org,Caf\351,\r\ne@x.org,Too,many,fields\r\nf@x.org\r\n"g@x.org",G,"multi\r\nline"\r\nh@x.org,"Zoë Ærø",\r\nbroken"quote@x.org,x,y\r\ni@x.org,"unterminated,\r\n' > "$T/m.csv"
status 65 "import with invalid rows" member import staff "$T/m.csv"
check "summary counts" has out "added 4, already there 0, invalid 7"
check "line 4: invalid address" has err "m.csv:4: 'not-an-address'"
check "line 5: duplicate in the file" has err "m.csv:5: bob@x.org: already on line 2"
check "line 6: 8-bit name" has err "m.csv:6: name: not UTF-8"
check "line 7: too many fields" has err "m.csv:7: 4 fields"
check "line 8: too few fields" has err "m.csv:8: 1 fields"
check "line 9: a line end inside quotes is data" sh -c "! grep -q 'm.csv:1[01]:' '$T/err'"
check "line 12: quote inside a field" has err "m.csv:12: a quote inside"
check "line 13: unterminated quote" has err "m.csv:13: unterminated quote"
check "no progress bar when stderr is no terminal" sh -c "! grep -q 'importing' '$T/err'"
check "quoted name with comma and quotes stored" test "$(sql "SELECT s.name FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.domain = '$D' AND email = 'carol@x.org'")" = 'Carol "C", Jr'
check "attribute stored" test "$(sql "SELECT custom_attributes->>'dept' FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.domain = '$D' AND email = 'bob@x.org'")" = IT
check "UTF-8 name stored" test "$(sql "SELECT s.name FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.domain = '$D' AND email = 'h@x.org'")" = "Zoë Ærø"
check "attribute with an embedded line end stored" test "$(sql "SELECT custom_attributes->>'dept' FROM subscribers s JOIN lists l ON l.id = s.list_id WHERE l.domain = '$D' AND email = 'g@x.org'")" = "$(printf 'multi\r\nline')"
check "one audit record per imported member" test "$(audits member.add "staff@$D")" -eq 5
printf 'bob@x.org,Bob\nnew@x.org,New\n' > "$T/m2.csv"
status 0 "import without a header, one already there" member import staff "$T/m2.csv"
check "already there counted" has out "added 1, already there 1, invalid 0"
printf 'name,dept\nx,y\n' > "$T/m3.csv"
status 65 "import without an email column" member import staff "$T/m3.csv"
status 66 "import of a missing file" member import staff "$T/none.csv"
status 67 "import into an unknown list" member import nosuch "$T/m2.csv"

# -- export, dump
status 0 "member export" member export staff "$T/out.csv"
check "export header" test "$(head -n 1 "$T/out.csv" | tr -d '\r')" = "email,name,reception,visibility,dept"
check "export quotes what needs it" grep -q '^carol@x.org,"Carol ""C"", Jr",mail,noconceal,HR' "$T/out.csv"
check "export has every member" test "$(grep -c "@x.org" "$T/out.csv")" -eq 5
status 0 "export re-imported: nothing new" member import staff "$T/out.csv"
check "round trip" has out "added 0, already there 5, invalid 0"
status 0 "list dump" list dump staff "$T/dump"
check "dump: config.yaml" cmp -s "$T/dump/config.yaml" "$T/lists/$D/staff/config.yaml"
check "dump: members.csv" cmp -s "$T/dump/members.csv" "$T/out.csv"
check "dump: admins.csv" grep -q '^boss@example.org,owner,privileged' "$T/dump/admins.csv"

# -- owners and editors
status 0 "owner add" owner add staff second@example.org --profile normal
check "audit owner.add" test "$(audits owner.add "staff@$D" second@example.org)" -eq 1
status 65 "owner add twice" owner add staff second@example.org
status 64 "editor with a profile" editor add staff ed@example.org --profile privileged
status 0 "editor add" editor add staff Ed@Example.org
status 0 "owner ls" owner ls staff
check "owner ls lists both owners" test "$(wc -l < "$T/out")" -eq 2
status 0 "editor ls" editor ls staff
check "editor ls" has out "^ed@example.org	editor"
status 0 "owner del" owner del staff boss@example.org
status 65 "last owner kept" owner del staff second@example.org
check "last owner named" has err "last owner"
status 67 "editor del of a non-editor" editor del staff nobody@example.org
status 0 "editor del" editor del staff ed@example.org
check "audit editor.del" test "$(audits editor.del "staff@$D" ed@example.org)" -eq 1

# -- which
status 0 "which" which Bob@X.org
check "which: member role" has out "^staff@$D	member	open	mail"
status 0 "which an owner" which second@example.org
check "which: owner role" has out "^staff@$D	owner	open	normal"
status 65 "which with a bad address" which "bad address"

# -- close, reopen, rename, purge
status 0 "list close" list close staff
check "close regenerates the aliases: staff is gone" sh -c "! grep -q '^staff:' '$T/state/aliases'"
check "audit list.close" test "$(audits list.close "staff@$D")" -eq 1
status 65 "close twice" list close staff
status 65 "member add to a closed list" member add staff zz@example.org
status 65 "purge refuses an open list" list purge staff@$D2
status 0 "list reopen" list reopen staff
status 65 "reopen an open list" list reopen staff
status 73 "rename onto an existing list" list rename staff@$D2 staff@$D
status 0 "list rename across domains" list rename staff@$D2 moved@$D
check "directory moved" test -f "$T/lists/$D/moved/config.yaml" -a ! -d "$T/lists/$D2/staff"
check "audit list.rename" test "$(audits list.rename "moved@$D")" -eq 1
status 67 "old name gone" list show staff@$D2
status 0 "close before purge" list close moved
status 0 "list purge" list purge moved
check "purge says what it removed" has out "removed 0 members, 1 owners"
check "purge removed the directory" test ! -d "$T/lists/$D/moved"
check "audit record outlives the list" test "$(audits list.purge "moved@$D")" -eq 1
status 67 "purge an unknown list" list purge moved

# clean up what the shared database holds for this run
"$BIN/herald" list close staff >/dev/null 2>&1
"$BIN/herald" list purge staff >/dev/null 2>&1
check "nothing left in the test domains" test "$(sql "SELECT count(*) FROM lists WHERE domain IN ('$D', '$D2')")" -eq 0

[ "$nfail" -eq 0 ]
