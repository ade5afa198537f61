#!/bin/sh
# family_test - herald family against a real PostgreSQL: a family of 1,000
# lists instantiated, then changed (one list removed, one added, the
# template changed, one list customised by its owner, one violating the
# constraints) and instantiated again; statuses, config files, audit
# records, one aliases regeneration per run, refusals, ls, show, close.
#
#	BIN=build/bin sh test/family_test.sh	(needs HERALD_TEST_DATABASE)
#
# The database is shared with the other tests of a run: everything here
# lives in a domain of its own (famNNNN.example.org).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - family_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
T=$(mktemp -d /tmp/hfam.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/check.sh"
D=fam$$.example.org
L=$T/lists/$D
F=$L/_families/dept

# status WANT DESCRIPTION herald-args...: the exit status of herald is WANT
status() {
	want=$1 d=$2; shift 2
	"$BIN/herald" "$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d (exit $want)"; else
		not_ok "$d: exit $got, wanted $want"; sed 's/^/# /' "$T/err" | head -20; fi
}
has() { grep -q -- "$2" "$T/$1"; }	# has out|err REGEX
lstatus() { sql "SELECT status FROM lists WHERE domain = '$D' AND name = '$1'"; }
audits() {	# audits ACTION LIST: audit records with channel cli
	sql "SELECT count(*) FROM audit_log WHERE channel = 'cli' AND action = '$1' AND list_address = '$2@$D'"
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

# -- help and usage
status 0 "family --help" family --help
check "family --help prints a usage" has out usage
for s in instantiate ls show close; do
	status 0 "family $s --help" family $s --help
done
status 64 "family without a subcommand" family
status 64 "family with an unknown subcommand" family frobnicate
status 64 "instantiate without data" family instantiate dept

mkdir -p "$F"
cat > "$F/family.yaml" <<'EOF'
template:
  subject: "Department {name}: {subject}"
  custom_subject: "{name}"
  send: private
  reply_to_header:
    value: "{reply}"
  owner:
    - email: listmaster@example.org
constraints:
  visibility: conceal
  send: [private, privateoropen, public]
  max_size: {default: 5M}
  reply_to_header.value: {allowed: [sender, list]}
EOF
# data N FIRST [EXTRA]: lists d0001..dN (FIRST the first index), reply sender
data() {
	awk -v n="$1" -v first="$2" 'BEGIN { print "lists:";
	    for (i = first; i <= n; i++)
		printf "  - name: d%04d\n    subject: \"Dept %d: \\\"q\\\" # x\"\n    reply: sender\n    owners: [o%d@example.org]\n", i, i, i % 7 }'
}
data 1000 1 > "$T/data1.yaml"

# -- refusals before anything happens
status 67 "unknown family" family instantiate nosuch "$T/data1.yaml"
status 66 "missing data file" family instantiate dept "$T/nope.yaml"
printf 'lists:\n  - name: ok1\n  - name: Bad/Name\n' > "$T/bad.yaml"
status 65 "bad data file" family instantiate dept "$T/bad.yaml"
check "bad data named with file and line" has err "bad.yaml:3: name: Bad/Name"
check "nothing created from a bad data file" test "$(sql "SELECT count(*) FROM lists WHERE domain = '$D'")" -eq 0
mkdir -p "$L/_families/broken"
printf 'template:\n  subject: s\nconstraints:\n  nosuch: 1\n' > "$L/_families/broken/family.yaml"
status 78 "broken family.yaml" family instantiate broken "$T/data1.yaml"
check "family.yaml error has file:line: key" has err "family.yaml:4: nosuch: unknown parameter"

# -- first instantiation: 1,000 lists
status 0 "instantiate 1,000 lists" family instantiate dept "$T/data1.yaml"
check "report counts 1000 created" has out "created 1000, updated 0, unchanged 0, error_config 0"
check "aliases written once" test "$(grep -c "^wrote .*/aliases (" "$T/out")" -eq 1
check "1000 rows of the family, open" test "$(sql "SELECT count(*) FROM lists WHERE domain = '$D' AND family = 'dept' AND status = 'open'")" -eq 1000
check "config.yaml of d0500" test -f "$L/d0500/config.yaml"
check "instance.yaml of d0500" test -f "$L/d0500/instance.yaml"
check "subject filled, quotes kept" grep -q 'subject: "Department d0500: Dept 500: \\"q\\" # x"' "$L/d0500/config.yaml"
check "family written in config" grep -q '^family: "dept"' "$L/d0500/config.yaml"
check "fixed value written in" grep -q '^visibility: "conceal"' "$L/d0500/config.yaml"
check "owner from the data" test "$(sql "SELECT email FROM admins a JOIN lists l ON l.id = a.list_id WHERE l.domain = '$D' AND l.name = 'd0500'")" = "o3@example.org"
check "audit list.create per list" test "$(sql "SELECT count(*) FROM audit_log WHERE channel = 'cli' AND action = 'list.create' AND list_address LIKE 'd%@$D'")" -eq 1000
check "aliases route d1000" grep -q "d1000" "$T/state/aliases"
status 0 "same data again" family instantiate dept "$T/data1.yaml"
check "everything unchanged" has out "created 0, updated 0, unchanged 1000"
check "no aliases run when nothing changed" test "$(grep -c "^wrote .*/aliases (" "$T/out")" -eq 0

# -- refusals of entries: a list of no family, one of another family
status 0 "list create outside the family" list create plain --subject P --owner a@example.org
mkdir -p "$L/_families/other"
printf 'template:\n  subject: "{subject}"\n  owner:\n    - email: x@example.org\n' > "$L/_families/other/family.yaml"
printf 'lists:\n  - name: oth1\n    subject: S\n' > "$T/other.yaml"
status 0 "another family" family instantiate other "$T/other.yaml"

# -- the changes: d0001 removed, d1001 added, template changed, d0002
# customised by its owner (one change allowed, one not), d0003 violating.
data 1000 2 | sed 's/^    reply: sender$/    reply: sender/' > "$T/data2.yaml"
awk '/name: d0003$/ { print; getline; print; getline; print "    reply: all"; next } { print }' "$T/data2.yaml" > "$T/data2b.yaml"
mv "$T/data2b.yaml" "$T/data2.yaml"
printf '  - name: d1001\n    subject: New\n    reply: list\n' >> "$T/data2.yaml"
printf '  - name: plain\n    subject: P\n    reply: sender\n  - name: oth1\n    subject: S\n    reply: sender\n' >> "$T/data2.yaml"
sed -i 's/^  send: private$/  send: private\n  message_footer: "Family footer"/' "$F/family.yaml"
sed -i 's/^custom_subject: "d0002"/custom_subject: "D-TWO"/; s/^send: "private"/send: "open"/' "$L/d0002/config.yaml"
status 65 "re-instantiate with changes" family instantiate dept "$T/data2.yaml"
check "report: 1 created, 999 updated, 1 error_config, 2 refused" has out "created 1, updated 999, unchanged 0, error_config 1, closed 0, refused 2, not in the data 1"
check "aliases written once on re-instantiation" test "$(grep -c "^wrote .*/aliases (" "$T/out")" -eq 1
check "d1001 created" test "$(lstatus d1001)" = open
check "d1001 config" grep -q '^custom_subject: "d1001"' "$L/d1001/config.yaml"
check "template change reached d0500" grep -q '^message_footer: "Family footer"' "$L/d0500/config.yaml"
check "d0003 in error_config" test "$(lstatus d0003)" = error_config
check "d0003 reason in the database" test -n "$(sql "SELECT status_reason FROM lists WHERE domain = '$D' AND name = 'd0003' AND status_reason LIKE 'reply_to_header.value: \"all\"%'")"
check "d0003 reason reported" has out "error_config d0003: reply_to_header.value"
check "d0002 free customisation kept" grep -q '^custom_subject: "D-TWO"' "$L/d0002/config.yaml"
check "d0002 forbidden customisation dropped" grep -q '^send: "private"' "$L/d0002/config.yaml"
check "d0002 kept reported" has out "kept d0002: custom_subject"
check "d0002 dropped reported" has out "dropped d0002: send"
check "d0002 gets the new template too" grep -q '^message_footer: "Family footer"' "$L/d0002/config.yaml"
check "d0001 left alone without --close-unknown" test "$(lstatus d0001)" = open
check "d0001 reported" has out "not in the data d0001"
check "list of no family refused" has out "refused plain (line [0-9]*): the list exists and belongs to no family"
check "list of another family refused" has out "refused oth1 (line [0-9]*): the list exists and belongs to family other"
check "refused list untouched" test "$(sql "SELECT COALESCE(family, '-') FROM lists WHERE domain = '$D' AND name = 'plain'")" = "-"
check "audit list.family_update" test "$(audits list.family_update d0002)" -eq 1
check "audit error_config status" test "$(audits list.status d0003)" -eq 1

# -- close-unknown, then the owner's kept change survives another run
status 65 "re-instantiate with --close-unknown" family instantiate dept "$T/data2.yaml" --close-unknown
check "d0001 family_closed" test "$(lstatus d0001)" = family_closed
check "closed reported" has out "closed d0001"
check "audit list.close for d0001" test "$(audits list.close d0001)" -eq 1
check "d0001 no longer routed" sh -c "! grep -q 'd0001' '$T/state/aliases'"
check "d0002 kept change survives" grep -q '^custom_subject: "D-TWO"' "$L/d0002/config.yaml"
check "second run: the rest unchanged" has out "unchanged 1000"
# The data fixes d0003: back to open.
sed -i '/name: d0003$/,/reply: all/ s/reply: all/reply: list/' "$T/data2.yaml"
status 65 "d0003 fixed (refusals remain)" family instantiate dept "$T/data2.yaml"
check "d0003 open again" test "$(lstatus d0003)" = open
check "d0003 reason cleared" test -z "$(sql "SELECT status_reason FROM lists WHERE domain = '$D' AND name = 'd0003' AND status_reason IS NOT NULL")"

# -- ls, show, close
status 0 "family ls" family ls "$D"
check "ls names dept with its lists" has out "dept@$D	1001 lists"
check "ls flags the broken family" grep -q "broken@$D.*does not load" "$T/out"
status 0 "family show" family show "dept@$D"
check "show lists d0001 family_closed" grep -q "d0001 *family_closed" "$T/out"
status 67 "show of an unknown family" family show "nosuch@$D"
status 0 "family close" family close "other@$D"
check "oth1 family_closed" test "$(lstatus oth1)" = family_closed
status 67 "close of a family without lists" family close "nosuch@$D"
status 67 "instantiate in an unknown domain" family instantiate "dept@nosuch$$.example.org" "$T/data1.yaml"

if [ "$nfail" -ne 0 ]; then
	echo "# $nfail failed"
	exit 1
fi
exit 0
