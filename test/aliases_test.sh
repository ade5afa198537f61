#!/bin/sh
# aliases_test - "herald aliases" against a real PostgreSQL and Postfix's
# own map tools: the files written from the lists table, their owner, the
# .old copy, the virtual map for other domains, a writer killed half-way
# (the old file intact, its temporary file never taken for it), a failing
# rebuild command (non-zero exit, the previous file back), postalias and
# postmap on the result, names that try to inject, -n, exit statuses.
#
#	BIN=build/bin sh test/aliases_test.sh	(needs HERALD_TEST_DATABASE)
#
# The database's public schema is dropped and made again. Postfix's tools
# run on files in a temporary directory with a private main.cf (-c); the
# machine's /etc/postfix and /etc/aliases are never touched. KEEP=1 keeps
# the directory.
set -u
PATH=$PATH:/usr/sbin:/sbin
BIN=${BIN:-build/bin}

if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - HERALD_TEST_DATABASE not set (see test/lib/pg.sh)"
	exit 0
fi
if ! command -v psql >/dev/null 2>&1; then
	echo "skip - psql not installed"
	exit 0
fi
BIN=$(cd "$BIN" && pwd) || { echo "not ok - BIN=$BIN is not a directory"; exit 1; }
H=$BIN/herald
[ -x "$H" ] || { echo "not ok - $H is not built"; exit 1; }

T=$(mktemp -d /tmp/hal.XXXXXX) || exit 1
cleanup() {
	[ -n "${stall_pid:-}" ] && kill -9 "$stall_pid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$T"

fails=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() {	# check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
sql() { PGOPTIONS=--client-min-messages=warning psql "$HERALD_TEST_DATABASE" -X -q -v ON_ERROR_STOP=1 -At -c "$1"; }

# The owner the files must get: as root, nobody (who then owns the
# directory, as mail_owner owns the state directory); else ourselves.
if [ "$(id -u)" -eq 0 ]; then
	owner=nobody
else
	owner=$(id -un)
fi
S=$T/state
mkdir -p "$S/lists/other.example.test" "$S/lists/lists.example.test" "$T/pf"
# A directory that is no domain name must never become one.
mkdir -p "$S/lists/bad;rm -rf x"
# A private main.cf for postalias/postmap -c: nothing of /etc/postfix is read.
printf 'compatibility_level = 3.6\n' > "$T/pf/main.cf"
[ "$(id -u)" -eq 0 ] && chown -R "$owner" "$S"

rebuild=none
have_postfix=0
if command -v postalias >/dev/null 2>&1 && command -v postmap >/dev/null 2>&1; then
	rebuild="$(command -v postalias) -c $T/pf"
	have_postfix=1
fi

mkconf() {	# mkconf FILE REBUILD [FORMAT]
	cat > "$1" <<EOF
domain: lists.example.test
database: "$HERALD_TEST_DATABASE"
state_directory: $S
libexec_directory: /usr/local/libexec/herald
mail_owner: $owner
alias_rebuild_command: $2
alias_format: ${3:-postfix}
EOF
}
C=$T/herald.yaml
mkconf "$C" "$rebuild"
A=$S/aliases

sql "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public" || { echo "not ok - cannot reset the database"; exit 1; }
"$H" -c "$C" db migrate >/dev/null || { echo "not ok - herald db migrate"; exit 1; }
sql "INSERT INTO lists (name, domain, status) VALUES
	('staff', 'lists.example.test', 'open'),
	('staff', 'other.example.test', 'open'),
	('pend', 'lists.example.test', 'pending'),
	('gone', 'lists.example.test', 'closed')"

# --help, -n
check "aliases --help exits 0" sh -c "'$H' -c '$C' aliases --help | grep -q usage"
"$H" -c "$C" aliases -n > "$T/dry.out" 2> "$T/dry.err"
check "aliases -n exits 0" [ $? -eq 0 ]
check "aliases -n prints the aliases" grep -q '^staff: "|/usr/local/libexec/herald/queue -c '"$C"' -p 5 staff@lists.example.test"$' "$T/dry.out"
check "aliases -n writes nothing" [ ! -e "$A" ]

# The first run.
"$H" -c "$C" aliases > "$T/run1.out" 2> "$T/run1.err"
st=$?
check "aliases exits 0 (got $st: $(head -c 300 "$T/run1.err"))" [ "$st" -eq 0 ]
check "the report names the file" grep -q "wrote $A" "$T/run1.out"
check "the file has the open list" grep -q '^staff: "|' "$A"
check "the file has the pending list" grep -q '^pend-owner: "|/usr/local/libexec/herald/bouncequeue -c '"$C"' -p 9 pend@lists.example.test"$' "$A"
check "the file has no closed list" sh -c "! grep -q gone '$A'"
check "the other domain's list is qualified" grep -q '^other.example.test-staff: "|/usr/local/libexec/herald/queue -c '"$C"' -p 5 staff@other.example.test"$' "$A"
check "the virtual map maps it" grep -q "^staff@other.example.test	other.example.test-staff@lists.example.test$" "$A.virtual"
check "the VERP bounce alias is there" grep -q '^bounce: "|/usr/local/libexec/herald/bouncequeue .* sympa@lists.example.test"$' "$A"
check "no directory that is no domain name" sh -c "! grep -q 'rm -rf' '$A' '$A.virtual'"
check "the file belongs to $owner" [ "$(stat -c %U "$A")" = "$owner" ]
check "the virtual map belongs to $owner" [ "$(stat -c %U "$A.virtual")" = "$owner" ]
check "the file is mode 644" [ "$(stat -c %a "$A")" = 644 ]
check "no .old on the first run" [ ! -e "$A.old" ]
check "no temporary file left" sh -c "! ls -a '$S' | grep -q '\.tmp\.'"

if [ "$have_postfix" -eq 1 ]; then
	check "postalias built the map" [ -f "$A.db" ]
	check "the map belongs to $owner" [ "$(stat -c %U "$A.db")" = "$owner" ]
	v=$(postalias -c "$T/pf" -q staff "hash:$A")
	check "postalias -q staff finds the pipe" [ "$v" = "\"|/usr/local/libexec/herald/queue -c $C -p 5 staff@lists.example.test\"" ]
	v=$(postalias -c "$T/pf" -q other.example.test-staff-owner "hash:$A")
	check "postalias -q finds the other domain's owner alias" [ "$v" = "\"|/usr/local/libexec/herald/bouncequeue -c $C -p 9 staff@other.example.test\"" ]
	v=$(postmap -c "$T/pf" -q bounce@other.example.test "hash:$A.virtual")
	check "postmap -q finds the other domain's bounce address" [ "$v" = "other.example.test-bounce@lists.example.test" ]
	v=$(postmap -c "$T/pf" -q other.example.test "hash:$A.virtual")
	check "the other domain is a virtual alias domain" [ "$v" = "herald" ]
	check "the report names the commands run" grep -q "^ran .*postmap -c $T/pf $A.virtual" "$T/run1.out"
else
	echo "skip - postalias/postmap not installed: the maps are not built"
fi

# A second run keeps the first file as .old.
cp "$A" "$T/first"
sql "INSERT INTO lists (name, domain) VALUES ('second', 'lists.example.test')"
"$H" -c "$C" aliases > /dev/null 2> "$T/run2.err"
check "the second run exits 0" [ $? -eq 0 ]
check "the new list is in the file" grep -q '^second: ' "$A"
check ".old is the previous file" cmp -s "$A.old" "$T/first"

# Never half-written: the writer stops half-way through its temporary
# file and is killed there.
cp "$A" "$T/before-kill"
sql "INSERT INTO lists (name, domain) VALUES ('third', 'lists.example.test')"
HERALD_TEST_ALIASES_STALL=1 "$H" -c "$C" aliases > /dev/null 2> "$T/stall.err" &
stall_pid=$!
i=0
while ! grep -q stalled "$T/stall.err" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the writer reached the middle" grep -q stalled "$T/stall.err"
tmpf=$(ls -a "$S" | grep "^\.aliases\.tmp\.$stall_pid$")
check "a half-written temporary file exists" [ -n "$tmpf" ]
check "the temporary file is not complete" sh -c "! cmp -s '$S/$tmpf' '$A'"
kill -9 "$stall_pid"
wait "$stall_pid" 2>/dev/null
stall_pid=
check "the file is intact after the kill" cmp -s "$A" "$T/before-kill"
check "the file has no trace of the killed run" sh -c "! grep -q '^third: ' '$A'"
"$H" -c "$C" aliases > /dev/null 2>&1
check "the next run succeeds" grep -q '^third: ' "$A"
check "and removes the dead run's temporary file" [ ! -e "$S/$tmpf" ]

# A failing rebuild: non-zero exit, the previous file back, the map not replaced.
C2=$T/false.yaml
mkconf "$C2" /bin/false
cp "$A" "$T/before-false"
sql "INSERT INTO lists (name, domain) VALUES ('fourth', 'lists.example.test')"
"$H" -c "$C2" aliases > /dev/null 2> "$T/false.err"
st=$?
check "a failing rebuild exits 75 (got $st)" [ "$st" -eq 75 ]
check "it says the command failed" grep -q "/bin/false failed" "$T/false.err"
check "the previous file is back" sh -c "! grep -q '^fourth: ' '$A' && grep -q '^third: ' '$A'"
if [ "$have_postfix" -eq 1 ]; then
	check "the old map is still in use" sh -c "! postalias -c '$T/pf' -q fourth 'hash:$A' >/dev/null"
fi
C3=$T/missing.yaml
mkconf "$C3" /nonexistent/postalias
"$H" -c "$C3" aliases > /dev/null 2> "$T/missing.err"
st=$?
check "a rebuild command that cannot run exits 71 (got $st)" [ "$st" -eq 71 ]

# Names that try to inject: the database refuses most; what it lets
# through (a '+') the generator refuses, naming the list.
check "the database refuses 'a;rm -rf'" sh -c "! psql '$HERALD_TEST_DATABASE' -X -q -c \"INSERT INTO lists (name, domain) VALUES ('a;rm -rf', 'lists.example.test')\" 2>/dev/null"
check "the database refuses a newline" sh -c "! psql '$HERALD_TEST_DATABASE' -X -q -c \"INSERT INTO lists (name, domain) VALUES (E'a\\\\nb', 'lists.example.test')\" 2>/dev/null"
sql "INSERT INTO lists (name, domain) VALUES ('x+y', 'lists.example.test'), ('sympa', 'lists.example.test')"
"$H" -c "$C" aliases > /dev/null 2> "$T/inject.err"
st=$?
check "refused lists exit 65 (got $st)" [ "$st" -eq 65 ]
check "the refusal names x+y" grep -q "x+y@lists.example.test' refused" "$T/inject.err"
check "the refusal names sympa" grep -q "list sympa@lists.example.test refused" "$T/inject.err"
check "the other lists are still written" grep -q '^fourth: ' "$A"
check "x+y never reaches the file" sh -c "! grep -q 'x+y' '$A'"
sql "DELETE FROM lists WHERE name IN ('x+y', 'sympa')"

# Exim: one file keyed by address, no virtual map.
C4=$T/exim.yaml
mkconf "$C4" none exim
sed -i "s|^state_directory:.*|state_directory: $T/exim|" "$C4"
mkdir -p "$T/exim"
[ "$(id -u)" -eq 0 ] && chown "$owner" "$T/exim"
"$H" -c "$C4" aliases > /dev/null 2> "$T/exim.err"
check "exim format exits 0" [ $? -eq 0 ]
check "exim keys are addresses" grep -q '^staff@other.example.test: "|/usr/local/libexec/herald/queue -c '"$C4"' -p 5 staff@other.example.test"$' "$T/exim/aliases"
check "exim has no virtual map" [ ! -e "$T/exim/aliases.virtual" ]

# An unreachable database is a temporary failure.
C5=$T/nodb.yaml
mkconf "$C5" none
sed -i "s|^database:.*|database: \"host=$T/nosocket dbname=x connect_timeout=2\"|" "$C5"
"$H" -c "$C5" aliases > /dev/null 2>&1
st=$?
check "an unreachable database exits 75 (got $st)" [ "$st" -eq 75 ]

[ "$fails" -eq 0 ]
