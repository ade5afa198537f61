#!/bin/sh
# run.sh - Herald's benchmarks; one line "bench NAME: VALUE UNIT" each, with
# a peer's figure measured in the same run beside ours where there is one.
#
#	sh test/bench/run.sh		(BENCH_N messages, default 2000)
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=$(pwd)/build/bin
N=${BENCH_N:-2000}
T=$(mktemp -d /tmp/hbench.XXXXXX)
trap 'rm -rf "$T"' EXIT

# A 2 KB list post, the size Sympa's and mlmmj's figures use.
{
	printf 'From: Alice <alice@example.org>\nTo: bench@lists.example.org\n'
	printf 'Subject: benchmark\nMessage-ID: <bench@example.org>\n\n'
	i=0
	while [ $i -lt 30 ]; do
		printf 'Line %02d of a message of about two kilobytes, like a list post.\n' $i
		i=$((i + 1))
	done
} > "$T/post.eml"

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) }'; }

# feed P LOOPS COMMAND...: P shell loops each run COMMAND < post N/P times.
feed() {
	p=$1; shift
	j=0
	while [ $j -lt "$p" ]; do
		(
			i=0
			while [ $i -lt $((N / p)) ]; do
				"$@" < "$T/post.eml" || exit 1
				i=$((i + 1))
			done
		) &
		j=$((j + 1))
	done
	wait
}

# queue intake: N messages, each through a fresh queue process (as the MTA
# does), one at a time and from 4 pipes at once (Postfix runs several).
bench_queue() {
	cat > "$T/herald.yaml" <<EOC
spool_directory: $T/spool
state_directory: $T/state
mail_owner: $(id -un)
EOC
	HERALD_CONFIG=$T/herald.yaml "$BIN/herald" spool init >/dev/null || return 1
	export HERALD_CONFIG=$T/herald.yaml SENDER=alice@example.org	# as Postfix sets it
	for p in 1 4; do
		rm -f "$T"/spool/msg/new/*
		t0=$(now)
		feed $p "$BIN/queue" bench@lists.example.org
		t1=$(now)
		got=$(ls "$T/spool/msg/new" | wc -l)
		[ "$got" -eq "$N" ] || { echo "bench queue_intake_p$p: FAILED ($got of $N spooled)"; return 1; }
		echo "bench queue_intake_p$p: $(rate "$N" "$t0" "$t1") msg/s"
	done
}

# The peer: mlmmj-receive -P (store only, no processing), same loops.
bench_mlmmj() {
	if ! command -v mlmmj-receive >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		    mlmmj >/dev/null 2>&1
	fi
	recv=$(command -v mlmmj-receive) || { echo "bench mlmmj_receive_intake: skipped (mlmmj not installed)"; return 0; }
	mkdir -p "$T/mlmmj/bench/incoming" "$T/mlmmj/bench/control"
	for p in 1 4; do
		rm -f "$T"/mlmmj/bench/incoming/*
		t0=$(now)
		feed $p "$recv" -F -P -s alice@example.org -L "$T/mlmmj/bench"
		t1=$(now)
		got=$(ls "$T/mlmmj/bench/incoming" | wc -l)
		echo "bench mlmmj_receive_intake_p$p: $(rate "$N" "$t0" "$t1") msg/s ($got of $N stored; one fsync, no directory fsync)"
	done
}

# The ceiling of any one-process-per-message intake on this machine: the
# same loops running /bin/true.
bench_spawn() {
	for p in 1 4; do
		t0=$(now)
		feed $p /bin/true
		t1=$(now)
		echo "bench spawn_ceiling_p$p: $(rate "$N" "$t0" "$t1") processes/s (/bin/true in the same loop)"
	done
}

echo "# $N messages of $(wc -c < "$T/post.eml") bytes, one process each, on $(nproc) cores"
bench_spawn
bench_queue
bench_mlmmj
