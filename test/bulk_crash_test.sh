#!/bin/sh
# bulk_crash_test - bulk(8) killed at random moments, several bulk
# processes on one database, and PostgreSQL restarted under them: every
# member gets the post, and the members who get it twice are at most what
# was in flight when something died.
#
#	BIN=build/bin sh test/bulk_crash_test.sh
#	(needs HERALD_TEST_DATABASE set - a PostgreSQL installation - and smtp-sink)
#
# One post to 20,000 members of one domain (BULK_CRASH_N), nrcpt 25, 4
# connections per process, bulk_lease 2, for each of A to C:
#  A. one bulk process killed (-9) and started again, KILLS times, at
#     random intervals of 0.1-0.9 s; then one runs to the end
#  B. three processes, a random one of them killed and started again,
#     KILLS times
#  C1. two processes while PostgreSQL restarts (pg_ctl restart -m fast)
#  C2. the same with PostgreSQL away for twice the lease (stop, 4 s, start)
#  D. an idle daemon while PostgreSQL is away: a post made once it is back
#     is sent
# The relay is Postfix's smtp-sink; what it accepted is counted per
# member from its dump (smtp-sink -D writes a transaction once its final
# dot is in: the test checks first that a cut one is not written). A kill
# can repeat at most the transactions in flight: bulk_connections of at
# most nrcpt recipients, per kill (or restart).
#
# The test runs its own PostgreSQL (test/lib/pg.sh) in a directory of its
# own, since it restarts it; HERALD_TEST_DATABASE only says that the
# suite runs with a database. BULK_CRASH_SEED makes the kill times repeat;
# BULK_CRASH_KEEP=1 keeps the temporary directory (the programs' stderr).
set -u
BIN=${BIN:-build/bin}
BIN=$(cd "$BIN" && pwd) || exit 1
if [ -z "${HERALD_TEST_DATABASE:-}" ]; then
	echo "skip - bulk_crash_test: HERALD_TEST_DATABASE not set"
	exit 0
fi
. "$(dirname "$0")/lib/check.sh"
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/bulk_sink.sh"
if ! bs_have_sink; then
	echo "skip - bulk_crash_test: no smtp-sink (the postfix package)"
	exit 0
fi
if ! pg_bindir >/dev/null 2>&1; then
	echo "skip - bulk_crash_test: no PostgreSQL server programs to run one of its own"
	exit 0
fi
for p in herald queue distribute bulk; do
	if [ ! -x "$BIN/$p" ]; then
		echo "not ok - bulk_crash_test: $BIN/$p not built"
		exit 1
	fi
done
PATH=$PATH:$(pg_bindir)
HERALD_SCENARIODIR=${HERALD_SCENARIODIR:-$(pwd)/scenarios}
export HERALD_SCENARIODIR

# The issue's 20,000 members in the normal build; half under the
# sanitizers, which look for memory errors on the same paths at a quarter
# of the speed (make test must stay within 15 minutes on 2 cores).
case $BIN in
*/san/bin) N=${BULK_CRASH_N:-10000} ;;
*) N=${BULK_CRASH_N:-20000} ;;
esac
NRCPT=25
CONNS=4
KILLS=6
SEED=${BULK_CRASH_SEED:-$(($$ + $(date +%s)))}
T=$(mktemp -d /tmp/hbcrash.XXXXXX) || exit 1
PGDIR=""
PROCS=""	# bulk processes running
cleanup() {
	for p in $PROCS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	bs_cleanup
	[ -n "$PGDIR" ] && pg_down "$PGDIR" >/dev/null 2>&1
	if [ -n "${BULK_CRASH_KEEP:-}" ]; then
		echo "# kept: $T"
	else
		rm -rf "$T"
	fi
	rm -rf "$PGDIR"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

PGDIR=$(mktemp -d /tmp/hbcpg.XXXXXX) || exit 1
if ! pg_up "$PGDIR" >"$T/pg_up.log" 2>&1; then
	not_ok "a PostgreSQL of its own: $(head -n 3 "$T/pg_up.log")"
	exit 1
fi
ok "a PostgreSQL of its own"
echo "# seed $SEED (BULK_CRASH_SEED=$SEED repeats the kill times)"

D=crash$$.example.org
MD=many.c$$.test
bs_dump_dir || { not_ok "a directory for the sink's dump"; exit 1; }
DUMPDIR=$BS_DIR
mkdir -p "$T/state"
H() { "$BIN/herald" "$@" >"$T/out" 2>"$T/err" || { echo "# herald $*:"; sed 's/^/# /' "$T/err"; return 1; }; }

# site FILE RELAY-PORT: a herald.yaml sending to 127.0.0.1:PORT
site() {
	cat > "$1" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $D
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
listmaster: lm@example.org
myhostname: crashtest.example.org
relay: 127.0.0.1:$2
relay_tls: off
nrcpt: $NRCPT
bulk_connections: $CONNS
bulk_lease: 2
EOC
}

# A number in [0.10, 0.90], from the seed and a counter.
draws=0
pause() {
	draws=$((draws + 1))
	awk -v s="$SEED" -v k="$draws" 'BEGIN { srand(s * 1000 + k); printf "%.2f", 0.1 + 0.8 * rand() }'
}
# pick K: a number in [1, K], as above.
pick() {
	draws=$((draws + 1))
	awk -v s="$SEED" -v k="$draws" -v n="$1" 'BEGIN { srand(s * 1000 + k); print 1 + int(n * rand()) }'
}

start_bulk() {	# start_bulk CONFIG: a bulk daemon; its pid in $BPID
	"$BIN/bulk" -c "$1" 2>>"$T/bulk.err" &
	BPID=$!
	PROCS="$PROCS $BPID"
}
forget() {	# forget PID: no longer among the running
	f_rest=""
	for f_p in $PROCS; do
		[ "$f_p" = "$1" ] || f_rest="$f_rest $f_p"
	done
	PROCS=$f_rest
}
kill9() {	# kill9 PID
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget "$1"
}
# stop_all: SIGTERM to every process; 0 when each exited 0
stop_all() {
	sa_st=0
	for p in $PROCS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PROCS; do
		wait "$p" || sa_st=1
	done
	PROCS=""
	return $sa_st
}

# left MESSAGE-ID: the job's packets still ready or claimed ("" when the
# database does not answer)
left() {
	sql "SELECT count(*) FROM bulk_packets p JOIN bulk_jobs j ON j.id = p.job_id
	    WHERE j.message_id = '$1' AND p.state IN ('ready', 'claimed')"
}
# finished MESSAGE-ID SECONDS: wait until none of the job's packets is
# ready or claimed
finished() {
	fi_i=0
	while [ "$(left "$1")" != 0 ]; do
		[ $fi_i -ge $(($2 * 5)) ] && return 1
		sleep 0.2
		fi_i=$((fi_i + 1))
	done
	return 0
}
sent_rows() {
	sql "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id
	    JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$1' AND r.state = 'sent'"
}
post() {	# post CONFIG MESSAGE-ID: a post to the list, distributed
	{
		printf 'From: Alice <alice@example.org>\nTo: crash@%s\n' "$D"
		printf 'Subject: crash test\nMessage-ID: <%s>\n' "$2"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n\n'
		awk 'BEGIN { for (i = 0; i < 40; i++) printf "Line %02d of a post sent while things die around it.\n", i }'
	} | "$BIN/queue" -c "$1" -f alice@example.org "crash@$D" || return 1
	"$BIN/distribute" -1 -c "$1" 2>>"$T/distribute.err"
}

# verdict NAME MESSAGE-ID DUMP EVENTS: everyone once, the repeats within
# what EVENTS kills or restarts can repeat
verdict() {
	set -- "$1" "$2" "$3" "$4" "$(bs_once_each "$T/members" "$3")"
	bound=$(($4 * CONNS * NRCPT))
	eq "$1: every member got it" "${5% *}" 0
	dups=${5#* }
	echo "# $1: $dups members got it twice (bound $4 x $CONNS x $NRCPT = $bound), $(grep -c '^X-Mail-Args: ' "$3") transactions"
	check "$1: repeats within what was in flight ($dups <= $bound)" test "$dups" -le "$bound"
	eq "$1: $N rows sent" "$(sent_rows "$2")" "$N"
	eq "$1: every packet done, no lease left" "$(sql "SELECT string_agg(DISTINCT p.state || CASE WHEN p.lease_owner IS NULL THEN '' ELSE ' leased' END, ',')
	    FROM bulk_packets p JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$2'")" "done"
}

# -- the sink writes only what completed ---------------------------------------
# A transaction cut in its DATA, then a whole one, by hand.
bs_sink_start "$DUMPDIR/probe" || { not_ok "smtp-sink starts"; exit 1; }
if command -v perl >/dev/null 2>&1; then
	perl -MIO::Socket::INET -e '
	my $port = shift;
	sub cmd { my ($s, $c) = @_; print $s "$c\r\n"; my $l;
		do { $l = <$s> } while (defined $l && $l =~ /^\d{3}-/); return $l }
	for my $whole (0, 1) {
		my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!";
		<$s>;
		cmd($s, "EHLO probe.example.org");
		cmd($s, "MAIL FROM:<probe\@example.org>");
		cmd($s, $whole ? "RCPT TO:<whole\@example.org>" : "RCPT TO:<cut\@example.org>");
		cmd($s, "DATA");
		print $s "Subject: probe\r\n\r\nbody\r\n";
		if ($whole) { cmd($s, "."); cmd($s, "QUIT") }
		close $s;
	}' "$BS_PORT"
	sleep 0.3
	eq "smtp-sink -D: a transaction cut in DATA is not dumped, a whole one is" \
	    "$(sed -n 's/^X-Rcpt-Args: //p' "$DUMPDIR/probe" | tr '\n' ' ')" "<whole@example.org> "
else
	echo "skip - no perl: smtp-sink's dump of cut transactions not checked"
fi
bs_sink_stop "$BS_PID"

# -- the site -----------------------------------------------------------------------
site "$T/herald.yaml" 25
export HERALD_CONFIG="$T/herald.yaml"
check "db migrate" H db migrate
check "spool init" H spool init
check "domain create" H domain create "$D"
check "list create" H list create crash --subject "Crash test" --owner boss@example.org
bs_members "$T/members" "$N" m "$MD"
{ echo email; cat "$T/members"; } > "$T/members.csv"
check "$N members" H member import crash "$T/members.csv"
echo "send: public" >> "$T/lists/$D/crash/config.yaml"

# The sink waits 1 s before its answer to the final dot of a few
# transactions in a hundred (-W .:1:2; four for the three processes of B,
# one for C, where the job need only be going on when PostgreSQL goes):
# a job takes 10 s or more rather than 3, so that the kills fall while it
# goes on, and many land in such a wait, when the sink has dumped the
# message and bulk has no answer yet - the case that repeats a transaction.

# -- A. one process, killed again and again --------------------------------
t0=$(bs_now_ms)
bs_sink_start "$DUMPDIR/a" -W .:1:2 || { not_ok "smtp-sink starts"; exit 1; }
site "$T/a.yaml" "$BS_PORT"
MID=a.$$@example.org
check "A: distributed" post "$T/a.yaml" "$MID"
k=0 progress="" midway=0
while [ $k -lt $KILLS ]; do
	start_bulk "$T/a.yaml"
	sleep "$(pause)"
	kill9 "$BPID"
	k=$((k + 1))
	progress="$progress $(sent_rows "$MID")"
	[ "$(left "$MID")" -gt 0 ] && midway=$((midway + 1))
done
echo "# A: sent at each kill:$progress"
check "A: at least 3 kills landed in the middle of the job ($midway)" test "$midway" -ge 3
start_bulk "$T/a.yaml"
check "A: then one process sends the rest" finished "$MID" 60
check "A: it stops on SIGTERM with status 0" stop_all
bs_sink_stop "$BS_PID"
echo "# A: $(($(bs_now_ms) - t0)) ms"
verdict A "$MID" "$DUMPDIR/a" $KILLS

# -- B. three processes, a random one killed each time --------------------------
t0=$(bs_now_ms)
bs_sink_start "$DUMPDIR/b" -W .:1:4 || { not_ok "smtp-sink starts"; exit 1; }
site "$T/b.yaml" "$BS_PORT"
MID=b.$$@example.org
check "B: distributed" post "$T/b.yaml" "$MID"
start_bulk "$T/b.yaml"; P1=$BPID
start_bulk "$T/b.yaml"; P2=$BPID
start_bulk "$T/b.yaml"; P3=$BPID
k=0 progress="" midway=0
while [ $k -lt $KILLS ]; do
	sleep "$(pause)"
	case $(pick 3) in
	1) kill9 "$P1"; start_bulk "$T/b.yaml"; P1=$BPID ;;
	2) kill9 "$P2"; start_bulk "$T/b.yaml"; P2=$BPID ;;
	*) kill9 "$P3"; start_bulk "$T/b.yaml"; P3=$BPID ;;
	esac
	k=$((k + 1))
	progress="$progress $(sent_rows "$MID")"
	[ "$(left "$MID")" -gt 0 ] && midway=$((midway + 1))
done
echo "# B: sent at each kill:$progress"
check "B: at least 3 kills landed in the middle of the job ($midway)" test "$midway" -ge 3
check "B: the three send the rest" finished "$MID" 60
check "B: they stop on SIGTERM with status 0" stop_all
bs_sink_stop "$BS_PID"
echo "# B: $(($(bs_now_ms) - t0)) ms"
verdict B "$MID" "$DUMPDIR/b" $KILLS

# -- C. PostgreSQL goes away under two processes -----------------------------------
# pg_away HOW: restart (pg_ctl restart -m fast), or stop (a fast stop, 4 s -
# twice the lease - and a start with the options the server had)
pg_away() {
	pa_ctl=$(pg_bindir)/pg_ctl
	if [ "$1" = restart ]; then
		pg_as_owner "$pa_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -m fast \
		    -w -t 30 restart
		return
	fi
	# postmaster.opts: the server's command line, each word quoted
	pa_opts=$(sed 's/^[^ ]* //' "$PGDIR/data/postmaster.opts") || return 1
	pg_as_owner "$pa_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop || return 1
	sleep 4
	pg_as_owner "$pa_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -o "$pa_opts" \
	    -w -t 30 start
}
# scenario_pg NAME HOW: a post sent by two processes while the database
# goes away as HOW says
scenario_pg() {
	t0=$(bs_now_ms)
	bs_sink_start "$DUMPDIR/$1" -W .:1:1 || { not_ok "smtp-sink starts"; return 1; }
	site "$T/$1.yaml" "$BS_PORT"
	MID=$1.$$@example.org
	check "$1: distributed" post "$T/$1.yaml" "$MID"
	cat "$T/bulk.err" >> "$T/bulk.all" 2>/dev/null
	: > "$T/bulk.err"	# what this scenario's processes say
	start_bulk "$T/$1.yaml"
	start_bulk "$T/$1.yaml"
	# Away once sending has begun (a fixed pause may see it all done).
	w=0
	while [ "$(sent_rows "$MID")" -eq 0 ] && [ $w -lt 200 ]; do
		sleep 0.05
		w=$((w + 1))
	done
	before=$(sent_rows "$MID")
	if pg_away "$2" >"$T/restart.log" 2>&1; then
		ok "$1: PostgreSQL $2 ($before sent before)"
	else
		not_ok "$1: PostgreSQL $2: $(head -n 3 "$T/restart.log")"
	fi
	check "$1: the job was not over before" test "$before" -lt "$N"
	check "$1: the processes live on" sh -c "for p in $PROCS; do kill -0 \$p || exit 1; done"
	check "$1: they send the rest" finished "$MID" 60
	check "$1: they stop on SIGTERM with status 0" stop_all
	bs_sink_stop "$BS_PID"
	echo "# $1: $(($(bs_now_ms) - t0)) ms"
	# each process may lose what it had in flight
	verdict "$1" "$MID" "$DUMPDIR/$1" 2
	check "$1: bulk saw the database go" grep -Eq "connection lost|database unavailable" "$T/bulk.err"
}
scenario_pg C1 restart
scenario_pg C2 stop

# -- D. an idle daemon while PostgreSQL is away ---------------------------------
# Nothing in hand when its look for packets fails: once the database is
# back, a new post must still go out (the idle look is every 2 s).
check "D: a small list" H list create idle --subject "Idle" --owner boss@example.org
bs_members "$T/idle" 3 i "idle.c$$.test"
{ echo email; cat "$T/idle"; } > "$T/idle.csv"
check "D: its members" H member import idle "$T/idle.csv"
echo "send: public" >> "$T/lists/$D/idle/config.yaml"
bs_sink_start "$DUMPDIR/d" || { not_ok "smtp-sink starts"; exit 1; }
site "$T/d.yaml" "$BS_PORT"
cat "$T/bulk.err" >> "$T/bulk.all" 2>/dev/null
: > "$T/bulk.err"
start_bulk "$T/d.yaml"
sleep 1
if pg_away stop >"$T/restart.log" 2>&1; then
	ok "D: PostgreSQL stopped for 4 s and started"
else
	not_ok "D: PostgreSQL stopped and started: $(head -n 3 "$T/restart.log")"
fi
sleep 1
MID=idle.$$@example.org
{
	printf 'From: Alice <alice@example.org>\nTo: idle@%s\nSubject: idle\n' "$D"
	printf 'Message-ID: <%s>\n\nhello\n' "$MID"
} | "$BIN/queue" -c "$T/d.yaml" -f alice@example.org "idle@$D" &&
    "$BIN/distribute" -1 -c "$T/d.yaml" 2>>"$T/distribute.err"
check "D: distributed" test $? -eq 0
check "D: the daemon sends it within 10 s" finished "$MID" 10
eq "D: every member once" "$(bs_once_each "$T/idle" "$DUMPDIR/d")" "0 0"
check "D: it stops on SIGTERM with status 0" stop_all
bs_sink_stop "$BS_PID"

if bs_sanitizer_reports "$T/bulk.all" "$T/bulk.err" "$T/distribute.err" > "$T/san"; then
	not_ok "a sanitizer report:"
	head -n 20 "$T/san" | sed 's/^/# /'
else
	ok "no sanitizer report from bulk or distribute"
fi
[ "$nfail" -eq 0 ]
