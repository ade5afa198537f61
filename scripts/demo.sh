#!/bin/sh
# demo.sh - Herald's main job on a local default, from a fresh clone.
#
# Everything lives under HERALD_DEMO_DIR (default /tmp/herald-demo): the
# site configuration, the spools, and the state directory with its own
# PostgreSQL cluster. Run by `make demo` after the build.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
BIN=${BIN:-$top/build/bin}
D=${HERALD_DEMO_DIR:-/tmp/herald-demo}

step() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then
	owner=herald
	id "$owner" >/dev/null 2>&1 ||
	    useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$owner"
	as_owner() { runuser -u "$owner" -- "$@"; }
else
	owner=$(id -un)
	as_owner() { "$@"; }
fi

. "$top/test/lib/pg.sh"
. "$top/test/lib/postfix.sh"
sink=""
stop_all() {
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	pg_down "$D/state/pg" >/dev/null || true
}
trap stop_all EXIT
rm -rf "$D"
mkdir -p "$D/state"
chmod 755 "$D" "$D/state"	# the postgres user must reach the socket
# The programs and default scenarios where the owner can read them: copies
# under $D when the clone is in a directory it cannot enter.
. "$top/test/lib/bin.sh"
RUNBIN=$(bin_for "$owner" "$BIN" "$D/run")
SCENARIOS=$top/scenarios
if [ "$RUNBIN" != "$BIN" ]; then
	cp -R "$top/scenarios" "$D/run/scenarios"
	SCENARIOS=$D/run/scenarios
fi

# The relay: a local SMTP sink on a free port of the loopback.
relay=127.0.0.1:$(postfix_free_port 25260 25299)

step "site configuration ($D/herald.yaml)"
cat > "$D/herald.yaml" <<EOC
domain: lists.example.org
spool_directory: $D/spool
state_directory: $D/state
mail_owner: $owner
database: host=$D/state/pg dbname=herald_test user=postgres
relay: $relay
libexec_directory: $BIN
alias_rebuild_command: none
EOC
export HERALD_CONFIG="$D/herald.yaml"
"$BIN/herald" config -n

step "PostgreSQL cluster under the state directory, schema migrated"
pg_up "$D/state/pg"
"$BIN/herald" db migrate
"$BIN/herald" db status

step "spool tree"
"$BIN/herald" spool init
ls "$D/spool"

step "the MTA pipes a message to staff@lists.example.org through queue (as $owner)"
as_owner "$RUNBIN/queue" staff@lists.example.org < "$top/scripts/demo.eml"
echo "queue exited $?"
entry=$(ls "$D/spool/msg/new")
echo "spooled: msg/new/$entry"

step "the spool entry (envelope, message, end marker)"
cat "$D/spool/msg/new/$entry"

step "a full disk: queue exits 75 and leaves nothing behind, so the MTA retries"
set +e
(ulimit -f 0; exec "$BIN/queue" staff@lists.example.org < "$top/scripts/demo.eml")
echo "queue exited $? ; entries in msg/tmp: $(ls "$D/spool/msg/tmp" | wc -l)"
set -e

step "a domain and a list, its owner in the database and its config in $D/state/lists"
"$BIN/herald" domain create lists.example.org
"$BIN/herald" list create staff@lists.example.org --subject "Staff of Example" \
    --owner alice@example.org
"$BIN/herald" list show staff@lists.example.org | head -n 12

step "members imported from CSV: the good rows go in, each bad row is reported"
cat > "$D/members.csv" <<EOC
email,name,team
bob@example.org,Bob Example,ops
carol@example.org,Carol Example,web
not-an-address,Mallory,none
dave@example.org,"Dave, Jr.",ops
EOC
set +e
"$BIN/herald" member import staff@lists.example.org "$D/members.csv"
echo "member import exited $? (65: some rows were refused)"
set -e
"$BIN/herald" member ls staff@lists.example.org

step "distribute takes the spooled post: checks, send scenario, transformations, a bulk job"
# The default scenarios of this tree, as it is not installed.
export HERALD_SCENARIODIR="$SCENARIOS"
cat >> "$D/state/lists/lists.example.org/staff/config.yaml" <<EOC
custom_subject: staff
EOC
as_owner env HERALD_SCENARIODIR="$SCENARIOS" "$RUNBIN/distribute" -1 -v \
    -c "$D/herald.yaml"
echo "distribute exited $?"
psql -X -q -t -A -F ' | ' -h "$D/state/pg" -U postgres -d herald_test -c \
    "SELECT 'job ' || j.id, j.kind, j.list_name, 'packets ' || count(p.id),
	'recipients ' || sum(cardinality(p.recipients))
     FROM bulk_jobs j JOIN bulk_packets p ON p.job_id = j.id GROUP BY j.id"
step "the message as bulk will send it (its header)"
psql -X -q -t -A -h "$D/state/pg" -U postgres -d herald_test -c \
    "SELECT convert_from(message, 'UTF8') FROM bulk_jobs LIMIT 1" |
    sed '/^$/q'

step "bulk sends the job to a local SMTP sink (Postfix's smtp-sink) and records each recipient"
mkdir -p "$D/sink"
chmod 1777 "$D/sink"
if [ "$(id -u)" -eq 0 ]; then
	smtp-sink -u nobody -D "$D/sink/dump" "$relay" 64 &
else
	smtp-sink -D "$D/sink/dump" "$relay" 64 &
fi
sink=$!
sleep 0.3
as_owner "$RUNBIN/bulk" -1 -v -c "$D/herald.yaml"
echo "bulk exited $?"
psql -X -q -t -A -F ' | ' -h "$D/state/pg" -U postgres -d herald_test -c \
    "SELECT r.email, r.state, r.smtp_status FROM bulk_recipients r ORDER BY r.email"
step "what the sink received: the envelope of each transaction, then the header"
grep -E '^X-(Mail|Rcpt)-Args:' "$D/sink/dump"
sed -n '/^X-Rcpt-Args/,$p' "$D/sink/dump" | sed '1,/^$/d' | sed '/^$/q' | head -n 20

step "the MTA's aliases, regenerated when the list was created ($D/state/aliases)"
grep -v '^#' "$D/state/aliases" | grep -v '^$' | head -n 12

step "every list of an address"
"$BIN/herald" which alice@example.org

step "done"
echo "The spool and the sink's dump stay in $D; the database cluster and the sink were stopped."
