#!/bin/sh
# bulk_bench.sh - issue 6's sending benchmarks: one 10 KB post to a large
# list, from queue(8) to the last recipient accepted by Postfix's smtp-sink
# on loopback, each figure beside its peers measured in the same run:
#
#   P1  grouped: nrcpt 100, so 1,000 transactions of 100 recipients
#   P2  one transaction per recipient (verp_rate: 100%)
#   peers: smtp-source sending the same recipients the same way (what
#	this machine's loopback and sink can take at most), and mlmmj (the
#	Debian package) sending a list of the same members to the same sink
#   RSS: bulk's peak resident memory sending to a 1,000,000-member list
#
#	sh test/bench/bulk_bench.sh	(as root; test/bench/run.sh calls it)
#
# One line "bench NAME: VALUE UNIT" per figure. Sizes can be lowered for a
# quick run: BENCH_BULK_N (members, default 100000; a multiple of the
# nrcpt for smtp-source to send exactly as many), BENCH_BULK_MLMMJ_N
# (mlmmj's per-recipient run, default 1000: ~45 ms per recipient),
# BENCH_BULK_RSS_N (default 1000000), BENCH_BULK_NRCPT (100),
# BENCH_BULK_CONNECTIONS (4), BENCH_BULK_TIMEOUT (seconds one send may
# take, 600); BENCH_BULK_PARTS picks parts (default "check p1 p2 rss");
# BENCH_BULK_PEERS=0 leaves the peers out (Herald's figures alone).
# BIN names the programs' directory (default build/bin).
#
# How Herald is timed: distribute and bulk already run as daemons (as on a
# server: distribute sees the spool entry by inotify, bulk is woken by the
# packets' NOTIFY); the clock starts before the post is fed to queue and
# stops when no packet of its job is ready or claimed any more (one psql
# session asks every 20 ms: no process per poll). A packet is done once its results are committed,
# just after the sink's final reply: slightly later than "last RCPT
# accepted". The figure is then checked: every member has a 'sent' row.
#
# Everything lives in one temporary directory and one throwaway
# PostgreSQL; the sinks, daemons and the cluster are stopped at exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
BIN=$(cd "${BIN:-build/bin}" 2>/dev/null && pwd) || BIN=$TOP/build/bin
N=${BENCH_BULK_N:-100000}
MLN=${BENCH_BULK_MLMMJ_N:-1000}
RSSN=${BENCH_BULK_RSS_N:-1000000}
NRCPT=${BENCH_BULK_NRCPT:-100}
CONN=${BENCH_BULK_CONNECTIONS:-4}
TIMEOUT=${BENCH_BULK_TIMEOUT:-600}
PARTS=${BENCH_BULK_PARTS:-check p1 p2 rss}
PEERS=${BENCH_BULK_PEERS:-1}
DOM=lists.example.test
# shellcheck source=test/lib/pg.sh
. test/lib/pg.sh
# shellcheck source=test/lib/postfix.sh
. test/lib/postfix.sh

T=$(mktemp -d /tmp/hbb.XXXXXX) || exit 1
# The sink and mlmmj run as an unprivileged user, inside $T.
chmod 755 "$T"
PGDIR=""
SINK_PID=""
DUMP_PID=""
DAEMONS=""
bulk_cleanup() {
	# A second signal must not cut the cleanup short.
	trap '' HUP INT TERM
	for p in $DAEMONS $SINK_PID $DUMP_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $DAEMONS $SINK_PID $DUMP_PID; do
		wait "$p" 2>/dev/null
	done
	[ -n "$PGDIR" ] && pg_down "$PGDIR" >/dev/null 2>&1
	rm -rf "$T"
}
trap bulk_cleanup EXIT
trap 'exit 130' HUP INT TERM

has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
# ratio A B: A / B with one decimal
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.1f", $1 / $2; else print "?" }'; }
mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
# The figures, kept for the comparisons printed after them.
P1_BULK="" P1_SRC="" P1_MLMMJ="" P2_BULK="" P2_SRC="" P2_MLMMJ=""
BENCH_LIST=0	# the list of P1 and P2 is made

# -- what the run needs ------------------------------------------------------

ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1
# Who runs the sink and mlmmj: nobody when we are root (smtp-sink refuses
# to keep root; mlmmj works as the owner of its list directory).
if [ $ROOT -eq 1 ]; then
	RUNAS=nobody
else
	RUNAS=$(id -un)
fi
as_user() {
	if [ $ROOT -eq 1 ]; then
		runuser -u "$RUNAS" -- "$@"
	else
		"$@"
	fi
}

HAVE_SINK=1
for p in smtp-sink smtp-source; do
	command -v $p >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v $p >/dev/null 2>&1 || HAVE_SINK=0
done
if [ $HAVE_SINK -eq 0 ]; then
	echo "bench bulk: skipped (smtp-sink/smtp-source not installed: the postfix package)"
	exit 0
fi
# mlmmj is not one of Herald's dependencies: installed here, as run.sh does.
if ! [ -x /usr/bin/mlmmj-receive ] && [ $ROOT -eq 1 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends mlmmj >/dev/null 2>&1
fi
HAVE_MLMMJ=1
for p in mlmmj-make-ml mlmmj-receive mlmmj-send mlmmj-process; do
	[ -x /usr/bin/$p ] || HAVE_MLMMJ=0
done
HAVE_HERALD=1
for p in herald queue distribute; do
	[ -x "$BIN/$p" ] || HAVE_HERALD=0
done
HAVE_BULK=0
[ -x "$BIN/bulk" ] && HAVE_BULK=1
# GNU time gives a child's peak RSS exactly (wait4's ru_maxrss).
TIMECMD=""
[ -x /usr/bin/time ] && TIMECMD=/usr/bin/time

# -- the sinks ------------------------------------------------------------------

# sink_start VAR [smtp-sink options]: a sink on a free loopback port, its
# port in $VAR, its pid in $VAR_PID.
sink_start() {
	sk_var=$1
	shift
	sk_port=$(postfix_free_port 26100 26999) || return 1
	if [ $ROOT -eq 1 ]; then
		smtp-sink -u "$RUNAS" "$@" "127.0.0.1:$sk_port" 256 \
		    >/dev/null 2>"$T/sink-$sk_var.err" &
	else
		smtp-sink "$@" "127.0.0.1:$sk_port" 256 \
		    >/dev/null 2>"$T/sink-$sk_var.err" &
	fi
	sk_pid=$!
	if ! postfix_poll 5 pf_listening "$sk_port"; then
		echo "# smtp-sink did not come up: $(cat "$T/sink-$sk_var.err")"
		kill "$sk_pid" 2>/dev/null
		return 1
	fi
	eval "$sk_var=\$sk_port; ${sk_var}_PID=\$sk_pid"
}

# The timing sink counts nothing and writes nothing: it costs the senders
# as little as a sink can.
SINK="" SINK_PID=""
if ! sink_start SINK; then
	echo "bench bulk: FAILED (smtp-sink did not start)"
	exit 1
fi
# The checking sink appends every transaction to a dump (X-Mail-Args: per
# transaction, X-Rcpt-Args: per accepted RCPT).
mkdir -p "$T/dump"
chown "$RUNAS" "$T/dump" 2>/dev/null
DUMP="" DUMP_PID=""
sink_start DUMP -D "$T/dump/dump" || DUMP=""
dump_reset() { : > "$T/dump/dump"; chown "$RUNAS" "$T/dump/dump" 2>/dev/null; }
# dump_count WHAT: the lines starting with WHAT, once the sink has written
# everything it accepted (it appends as each transaction ends).
dump_count() { grep -c "^$1" "$T/dump/dump" 2>/dev/null || true; }

# -- the posts ------------------------------------------------------------------

# post LIST MSGID [HEADER]: a 10 KB post (10,240 bytes of body) to LIST
# on stdout.
post() {
	printf 'From: Alice <alice@example.org>\nTo: %s@%s\n' "$1" "$DOM"
	printf 'Subject: bulk benchmark\nMessage-ID: <%s>\n' "$2"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
	[ -n "${3:-}" ] && printf '%s\n' "$3"
	printf '\n'
	awk 'BEGIN { for (i = 0; i < 128; i++)
	    printf "Line %03d of the ten kilobyte post of the bulk benchmark, 80 bytes a line.%6s\n", i, "" }'
}

# members N FILE: the addresses m000001@sink.example.test ..., one a line
members() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "m%06d@sink.example.test\n", i }' > "$2"
}

# -- smtp-source: this machine's limit ---------------------------------------------

# -d: one connection per session for all its messages, as bulk keeps its
# connections (without it smtp-source reconnects for every message); -N:
# unique recipients (a number before the -t address); -l: the payload.
source_run() {	# source_run NAME MESSAGES RCPTS-PER-MESSAGE
	t0=$(now)
	if smtp-source -d -s "$CONN" -m "$2" -r "$3" -N -l 10240 \
	    -f alice@example.org -t m@sink.example.test -M bench.example.org \
	    "127.0.0.1:$SINK" 2>"$T/source.err"; then
		t1=$(now)
		s=$(secs "$t0" "$t1")
		echo "bench $1: $s s (smtp-source -d -s $CONN -m $2 -r $3 -N -l 10240)"
		eval "$4=\$s"
	else
		echo "bench $1: FAILED ($(head -n 3 "$T/source.err"))"
	fi
}

# -- mlmmj ---------------------------------------------------------------------------

# mlmmj_list NAME N PORT MODE: a list of N members in mlmmj's own format
# (a line per address in subscribers.d/<first letter>: the same files
# mlmmj-sub writes, without its ~5 ms per address), relaying to the sink
# on 127.0.0.1:PORT.
# MODE grouped: control/verp empty and maxverprecips NRCPT, NRCPT
# recipients per transaction; single: mlmmj's default, one transaction
# per recipient, each with its own VERP return path.
mlmmj_list() {
	ml=$T/mlmmj/$1
	mkdir -p "$T/mlmmj"
	chmod 755 "$T/mlmmj"
	# mlmmj-make-ml asks: domain, owner, language, chown (y).
	if [ $ROOT -eq 1 ]; then
		printf '%s\nowner@example.org\n\ny\n' "$DOM" |
		    /usr/bin/mlmmj-make-ml -L "$1" -s "$T/mlmmj" -c "$RUNAS" \
		    >"$T/mlmmj-make.log" 2>&1
	else
		printf '%s\nowner@example.org\n\n' "$DOM" |
		    /usr/bin/mlmmj-make-ml -L "$1" -s "$T/mlmmj" \
		    >"$T/mlmmj-make.log" 2>&1
	fi
	[ -d "$ml/subscribers.d" ] || { cat "$T/mlmmj-make.log"; return 1; }
	members "$2" "$ml/subscribers.d/m"
	echo 127.0.0.1 > "$ml/control/relayhost"
	echo "$3" > "$ml/control/smtpport"
	if [ "$4" = grouped ]; then
		: > "$ml/control/verp"
		echo "$NRCPT" > "$ml/control/maxverprecips"
	fi
	[ $ROOT -eq 1 ] && chown -R "$RUNAS" "$ml"
	chmod 600 "$ml/subscribers.d/m"
	return 0
}

# mlmmj_send LIST MSGID: post to the list and wait until mlmmj-send has
# sent it: with -F mlmmj-receive does not fork away; it execs
# mlmmj-process, which execs mlmmj-send, so the command returns when the
# last transaction is done. The envelope sender is the Return-Path field
# (without one mlmmj discards the post). Prints the seconds.
mlmmj_send() {
	post "$1" "$2" 'Return-Path: <alice@example.org>' > "$T/mlmmj-$1.eml"
	t0=$(now)
	as_user /usr/bin/mlmmj-receive -F -L "$T/mlmmj/$1" < "$T/mlmmj-$1.eml" \
	    >"$T/mlmmj-$1.log" 2>&1 || return 1
	t1=$(now)
	# A post mlmmj refuses is not archived (a discarded one goes to
	# queue/discarded); what it could not send waits in queue/ for
	# mlmmj-maintd.
	[ -f "$T/mlmmj/$1/archive/1" ] || { echo "not distributed (not archived)" > "$T/mlmmj-$1.log"; return 1; }
	left=$(find "$T/mlmmj/$1/queue" -type f | wc -l)
	[ "$left" -eq 0 ] || { echo "$left file(s) left in mlmmj's queue" > "$T/mlmmj-$1.log"; return 1; }
	secs "$t0" "$t1"
}

mlmmj_bench() {	# mlmmj_bench NAME LIST N MODE VAR
	if [ $HAVE_MLMMJ -eq 0 ]; then
		echo "bench $1: skipped (mlmmj not installed)"
		return 0
	fi
	if ! mlmmj_list "$2" "$3" "$SINK" "$4"; then
		echo "bench $1: FAILED (mlmmj-make-ml)"
		return 1
	fi
	if s=$(mlmmj_send "$2" "$2.$$@example.org"); then
		echo "bench $1: $s s (mlmmj $(dpkg-query -W -f '${Version}' mlmmj 2>/dev/null), $4, to the same sink)"
		eval "$5=\$s"
	else
		echo "bench $1: FAILED ($(head -n 3 "$T/mlmmj-$2.log"))"
	fi
}

# A check of mlmmj's setup (the subscriber files are read, the mode is
# the one wanted): 250 members grouped, 20 single, through the dump.
mlmmj_check() {
	[ $HAVE_MLMMJ -eq 1 ] && [ -n "$DUMP" ] || return 0
	dump_reset
	mlmmj_list chkg 250 "$DUMP" grouped && mlmmj_send chkg chkg.$$@example.org >/dev/null &&
	    mlmmj_list chks 20 "$DUMP" single && mlmmj_send chks chks.$$@example.org >/dev/null
	r=$(dump_count X-Rcpt-Args:) m=$(dump_count X-Mail-Args:)
	want_m=$(( (250 + NRCPT - 1) / NRCPT + 20 ))
	if [ "$r" -eq 270 ] && [ "$m" -eq "$want_m" ]; then
		echo "bench check_mlmmj: ok (250 grouped + 20 single: $r recipients in $m transactions)"
	else
		echo "bench check_mlmmj: FAILED ($r recipients in $m transactions, wanted 270 in $want_m)"
	fi
}

# -- Herald ----------------------------------------------------------------------------

# The site: one database, the relay given per configuration file (the
# checks send to the dump, the timed runs to the silent sink).
herald_site() {	# herald_site FILE RELAY-PORT
	cat > "$1" <<EOC
database: "$HERALD_TEST_DATABASE"
lists_directory: $T/lists
domain: $DOM
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
alias_rebuild_command: none
relay: 127.0.0.1:$2
nrcpt: $NRCPT
bulk_connections: $CONN
EOC
}

H() { "$BIN/herald" "$@" >"$T/herald.out" 2>&1 || { sed 's/^/# /' "$T/herald.out"; return 1; }; }
sql() { psql -X -q -t -A -d "$HERALD_TEST_DATABASE" -c "$1"; }

herald_setup() {
	PGDIR=$(mktemp -d /tmp/hbbpg.XXXXXX)
	pg_up "$PGDIR" || { PGDIR=""; return 1; }
	mkdir -p "$T/lists" "$T/state"
	herald_site "$T/herald.yaml" "$SINK"
	herald_site "$T/check.yaml" "${DUMP:-$SINK}"
	export HERALD_CONFIG="$T/herald.yaml"
	HERALD_SCENARIODIR=$TOP/scenarios
	export HERALD_SCENARIODIR
	H db migrate && H spool init && H domain create "$DOM" &&
	    sql "CREATE FUNCTION bench_stop(why text) RETURNS int LANGUAGE plpgsql
		AS \$\$ BEGIN RAISE EXCEPTION '%', why; END \$\$" >/dev/null
}

# herald_list NAME N [CONFIG-LINE]: a list anyone may post to, N members
# by `herald member import` (the CLI's fastest way in).
herald_list() {
	H list create "$1" --subject "Bulk bench" --owner owner@example.org || return 1
	{ echo email; members "$2" /dev/stdout; } > "$T/$1.csv"
	H member import "$1" "$T/$1.csv" || return 1
	rm -f "$T/$1.csv"
	{
		echo "send: public"
		[ -n "${3:-}" ] && echo "$3"
	} >> "$T/lists/$DOM/$1/config.yaml"
	return 0
}

# queue_post LIST MSGID: the post through queue(8), as the MTA hands it over.
queue_post() {
	post "$1" "$2" | "$BIN/queue" -f alice@example.org "$1@$DOM"
}

# wait_job MSGID: returns when the post's job exists and none of its
# packets is ready or claimed (fails when there is no job after 60 s, or
# after TIMEOUT seconds). One psql
# polls every 20 ms with \watch, each query its own transaction: a loop
# inside one statement would hold a snapshot back, and the dead rows of
# the packets it cannot prune would slow down every claim. \watch stops
# at the first error, so the query raises one to stop: "done", or
# "timeout".
wait_job() {
	start=$(date +%s)
	deadline=$((start + TIMEOUT))
	psql -X -q -t -A -d "$HERALD_TEST_DATABASE" >/dev/null 2>"$T/wait.err" <<EOS
SELECT CASE
	WHEN EXISTS (SELECT 1 FROM bulk_jobs WHERE message_id = '$1')
	    AND NOT EXISTS (SELECT 1 FROM bulk_jobs j
		JOIN bulk_packets p ON p.job_id = j.id
		WHERE j.message_id = '$1' AND p.state IN ('ready', 'claimed'))
	THEN bench_stop('done')
	WHEN clock_timestamp() > to_timestamp($start + 60)
	    AND NOT EXISTS (SELECT 1 FROM bulk_jobs WHERE message_id = '$1')
	THEN bench_stop('no job for the post within 60 s')
	WHEN clock_timestamp() > to_timestamp($deadline)
	THEN bench_stop('not sent within $TIMEOUT s')
	ELSE 0 END \watch 0.02
EOS
	grep -q 'ERROR: *done' "$T/wait.err"
}

# sent_of MSGID: the recipients of the post's job with a 'sent' result
sent_of() {
	sql "SELECT count(*) FROM bulk_recipients r JOIN bulk_packets p ON p.id = r.packet_id
	    JOIN bulk_jobs j ON j.id = p.job_id WHERE j.message_id = '$1' AND r.state = 'sent'"
}

# herald_split MSGID T0: where the time went, from the database's clock
# (the same machine's): when distribute began the job's transaction, when
# the first and the last packet were done, in seconds after T0.
herald_split() {
	sql "SELECT format('job begun at +%s s, packets done from +%s to +%s s',
	    round((extract(epoch FROM j.created_at) - $2)::numeric, 2),
	    round((extract(epoch FROM min(p.finished_at)) - $2)::numeric, 2),
	    round((extract(epoch FROM max(p.finished_at)) - $2)::numeric, 2))
	    FROM bulk_jobs j JOIN bulk_packets p ON p.job_id = j.id
	    WHERE j.message_id = '$1' GROUP BY j.id"
}

daemons_start() {	# daemons_start CONFIG
	"$BIN/distribute" -c "$1" 2>"$T/distribute.err" &
	DAEMONS="$!"
	"$BIN/bulk" -c "$1" 2>"$T/bulk.err" &
	DAEMONS="$DAEMONS $!"
	# Let them connect, LISTEN and settle before the clock starts.
	sleep 1
	for p in $DAEMONS; do
		kill -0 "$p" 2>/dev/null || return 1
	done
}

# SIGTERM; they have 2 s to finish what is in flight (bulk's contract),
# are given 5 before they are killed, and must exit 0 (else the status of
# the last one that did not is returned).
daemons_stop() {
	ds_st=0
	for p in $DAEMONS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $DAEMONS; do
		postfix_poll 5 daemon_gone "$p" || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
		ds_rc=$?
		[ $ds_rc -eq 0 ] || ds_st=$ds_rc
	done
	DAEMONS=""
	return $ds_st
}
daemon_gone() { ! kill -0 "$1" 2>/dev/null; }

daemon_errors() { tail -n 2 "$T/distribute.err" "$T/bulk.err" 2>/dev/null | grep -v '^==>' | grep . | head -n 4 | tr '\n' ' '; }

# herald_bench NAME LIST N VAR: time one post to LIST (N members) from
# queue to its job's last packet done, the daemons running.
herald_bench() {
	mid="$1.$$@example.org"
	if ! daemons_start "$T/herald.yaml"; then
		echo "bench $1: FAILED (the daemons did not start: $(daemon_errors))"
		daemons_stop
		return 1
	fi
	t0=$(now)
	if ! queue_post "$2" "$mid"; then
		echo "bench $1: FAILED (queue)"
		daemons_stop
		return 1
	fi
	if ! wait_job "$mid"; then
		echo "bench $1: FAILED ($(sed -n 's/^ERROR: *//p' "$T/wait.err" | head -n 1); $(daemon_errors))"
		daemons_stop
		return 1
	fi
	t1=$(now)
	if ! daemons_stop; then
		echo "bench $1: FAILED (a daemon exited with status $ds_st on SIGTERM: $(daemon_errors))"
		return 1
	fi
	s=$(secs "$t0" "$t1")
	got=$(sent_of "$mid")
	if [ "$got" != "$3" ]; then
		echo "bench $1: FAILED ($s s but $got of $3 recipients sent)"
		return 1
	fi
	echo "bench $1: $s s (from queue to the last packet done; $3 recipients sent; $(herald_split "$mid" "$t0"))"
	eval "$4=\$s"
}

# A check through the dump before the timed runs: a grouped list and a
# VERP one, one bulk -1 pass each; what the sink got is counted.
herald_check() {
	if [ -z "$DUMP" ]; then
		echo "bench check_bulk: skipped (no dump sink)"
		return 0
	fi
	if ! herald_list chkg 250 || ! herald_list chkv 20 "verp_rate: 100%"; then
		echo "bench check_bulk: FAILED (lists)"
		return 1
	fi
	dump_reset
	queue_post chkg chkg.$$@example.org && queue_post chkv chkv.$$@example.org &&
	    "$BIN/distribute" -1 -c "$T/check.yaml" 2>"$T/distribute.err" &&
	    "$BIN/bulk" -1 -c "$T/check.yaml" 2>"$T/bulk.err"
	st=$?
	r=$(dump_count X-Rcpt-Args:) m=$(dump_count X-Mail-Args:)
	v=$(grep -c '^X-Mail-Args: <bounce+' "$T/dump/dump")
	want_m=$(( (250 + NRCPT - 1) / NRCPT + 20 ))
	if [ $st -eq 0 ] && [ "$r" -eq 270 ] && [ "$m" -eq "$want_m" ] && [ "$v" -eq 20 ]; then
		echo "bench check_bulk: ok (250 grouped + 20 VERP: $r recipients in $m transactions, $v with a VERP return path)"
	else
		echo "bench check_bulk: FAILED (exit $st; $r recipients in $m transactions, $v VERP; wanted 270 in $want_m, 20 VERP; $(daemon_errors))"
	fi
}

# peak_rss_kb COMMAND...: runs it; its peak RSS in KB in $PEAK, its status
# returned. GNU time reads it from wait4(); without it, VmHWM is polled.
peak_rss_kb() {
	if [ -n "$TIMECMD" ]; then
		"$TIMECMD" -f '%M' -o "$T/rss" "$@"
		st=$?
		PEAK=$(tail -n 1 "$T/rss")
		return $st
	fi
	"$@" &
	pk=$!
	PEAK=0
	while kill -0 $pk 2>/dev/null; do
		v=$(awk '/^VmHWM:/ { print $2 }' /proc/$pk/status 2>/dev/null)
		[ -n "$v" ] && PEAK=$v
		sleep 0.05
	done
	wait $pk
}

# RSS: bulk -1 sending one post to an RSSN-member list (grouped); its
# peak RSS, and distribute's for making the job.
rss_bench() {
	name=bulk_rss_$RSSN
	t0=$(now)
	if ! herald_list rss "$RSSN"; then
		echo "bench $name: FAILED (list)"
		return 1
	fi
	t1=$(now)
	mid=rss.$$@example.org
	queue_post rss "$mid" || { echo "bench $name: FAILED (queue)"; return 1; }
	if peak_rss_kb "$BIN/distribute" -1 -c "$T/herald.yaml" 2>"$T/distribute.err"; then
		echo "bench distribute_rss_$RSSN: $(mb "$PEAK") MB (distribute -1 making the job of one post to $RSSN members)"
	else
		echo "bench distribute_rss_$RSSN: FAILED ($(daemon_errors))"
		return 1
	fi
	t2=$(now)
	if ! peak_rss_kb "$BIN/bulk" -1 -c "$T/herald.yaml" 2>"$T/bulk.err"; then
		echo "bench $name: FAILED (bulk -1: $(daemon_errors))"
		return 1
	fi
	t3=$(now)
	got=$(sent_of "$mid")
	if [ "$got" != "$RSSN" ]; then
		echo "bench $name: FAILED ($got of $RSSN sent)"
		return 1
	fi
	echo "bench $name: $(mb "$PEAK") MB (peak RSS of bulk -1 sending to $RSSN members grouped, in $(secs "$t2" "$t3") s; goal <= 64 MB; import took $(secs "$t0" "$t1") s)"
}

# -- the run ------------------------------------------------------------------------------

echo "# bulk: one post of $(post bench x | wc -c) bytes to $N members, nrcpt $NRCPT, $CONN connections, smtp-sink on 127.0.0.1, $(nproc) cores"
HERALD_OK=0
if [ $HAVE_HERALD -eq 0 ]; then
	echo "bench bulk: Herald's parts skipped ($BIN has no herald, queue or distribute: make build)"
elif [ $HAVE_BULK -eq 0 ]; then
	echo "bench bulk: Herald's parts skipped ($BIN/bulk is not built)"
elif ! command -v psql >/dev/null 2>&1 || ! pg_bindir >/dev/null 2>&1; then
	echo "bench bulk: Herald's parts skipped (no PostgreSQL)"
elif herald_setup; then
	HERALD_OK=1
else
	echo "bench bulk: Herald's parts FAILED (database setup)"
fi

if has_part check; then
	[ $HERALD_OK -eq 1 ] && herald_check
	mlmmj_check
fi

if has_part p1; then
	if [ $HERALD_OK -eq 1 ]; then
		if herald_list bench "$N"; then
			BENCH_LIST=1
			herald_bench "P1_bulk_grouped_$N" bench "$N" P1_BULK
		else
			echo "bench P1_bulk_grouped_$N: FAILED (list)"
		fi
	fi
	if [ "$PEERS" = 1 ]; then
		source_run "P1_smtp_source_grouped_$N" $(((N + NRCPT - 1) / NRCPT)) "$NRCPT" P1_SRC
		mlmmj_bench "P1_mlmmj_grouped_$N" p1 "$N" grouped P1_MLMMJ
	fi
	[ -n "$P1_BULK" ] && [ -n "$P1_SRC" ] &&
	    echo "bench P1_bulk_of_limit: $(echo "$P1_SRC $P1_BULK" | awk '{ printf "%.0f", 100 * $1 / $2 }') % (smtp-source's time / bulk's; goal >= 50 %)"
	[ -n "$P1_BULK" ] && [ -n "$P1_MLMMJ" ] &&
	    echo "bench P1_bulk_vs_mlmmj: $(ratio "$P1_MLMMJ" "$P1_BULK") x faster (goal >= 15 x)"
fi

if has_part p2; then
	if [ $HERALD_OK -eq 1 ]; then
		# The same list, every member with a VERP return path.
		if [ $BENCH_LIST -eq 1 ] || herald_list bench "$N"; then
			BENCH_LIST=1
			echo "verp_rate: 100%" >> "$T/lists/$DOM/bench/config.yaml"
			herald_bench "P2_bulk_single_$N" bench "$N" P2_BULK
		else
			echo "bench P2_bulk_single_$N: FAILED (list)"
		fi
	fi
	if [ "$PEERS" = 1 ]; then
		source_run "P2_smtp_source_single_$N" "$N" 1 P2_SRC
		mlmmj_bench "P2_mlmmj_single_$MLN" p2 "$MLN" single P2_MLMMJ
	fi
	[ -n "$P2_BULK" ] && [ -n "$P2_SRC" ] &&
	    echo "bench P2_bulk_of_limit: $(echo "$P2_SRC $P2_BULK" | awk '{ printf "%.0f", 100 * $1 / $2 }') % (smtp-source's time / bulk's; goal >= 50 %)"
	if [ -n "$P2_MLMMJ" ]; then
		x=$(echo "$P2_MLMMJ $MLN $N" | awk '{ printf "%.0f", $1 / $2 * $3 }')
		echo "bench P2_mlmmj_single_${N}_extrapolated: $x s (the $MLN-recipient run times $N / $MLN; not measured)"
		[ -n "$P2_BULK" ] &&
		    echo "bench P2_bulk_vs_mlmmj: $(echo "$P2_MLMMJ $MLN $P2_BULK $N" | awk '{ printf "%.0f", ($1 / $2) / ($3 / $4) }') x faster per recipient"
	fi
fi

if has_part rss; then
	if [ $HERALD_OK -eq 1 ]; then
		rss_bench
	else
		echo "bench bulk_rss_$RSSN: skipped (Herald's parts cannot run)"
	fi
fi
exit 0
