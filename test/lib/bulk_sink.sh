# bulk_sink.sh - what bulk_test.sh and bulk_crash_test.sh share: Postfix's
# smtp-sink as the relay, and reading what it dumped.
#
#	. test/lib/bulk_sink.sh
#	bs_dump_dir || exit 1				# a directory in $BS_DIR
#	bs_sink_start "$BS_DIR/dump" -r RCPT || exit 1	# port in $BS_PORT
#	...
#	bs_once_each "$T/members" "$BS_DIR/dump"	# "MISSING DUPLICATES"
#	bs_cleanup					# in the EXIT trap
#
# smtp-sink -D appends each completed transaction to one dump file: its own
# header (X-Mail-Args: once, X-Rcpt-Args: per accepted RCPT, a three-line
# Received:), then the message as received (LF line ends, dots unstuffed),
# then an empty line. A transaction cut before its final dot is never
# dumped, so the dump is what the relay accepted. With -W .:SECONDS the
# sink dumps at the dot and only then waits to answer it: a client killed
# in that wait has had its message taken without knowing it.
#
# Run as root, smtp-sink must drop to another user (-u): it then writes the
# dump as that user, so the dump's directory is made writable by it
# (bs_dump_dir). The tests run from a clone other users may not enter:
# the dump lives in a directory of its own under /tmp.
#
# POSIX sh; variables and functions under the bs_/BS_ prefix.

# postfix.sh is beside this file: test/lib of the script that sources
# both, unless BS_LIBDIR says where.
# shellcheck source=test/lib/postfix.sh
. "${BS_LIBDIR:-$(dirname "$0")/lib}/postfix.sh"

BS_PIDS=""		# every sink started, for bs_cleanup
BS_DIRS=""		# directories bs_dump_dir made
if [ "$(id -u)" -eq 0 ]; then
	BS_USER=nobody
else
	BS_USER=""
fi
command -v smtp-sink >/dev/null 2>&1 || PATH=$PATH:/usr/sbin

# Whether smtp-sink can be run here at all.
bs_have_sink() { command -v smtp-sink >/dev/null 2>&1; }

# bs_dump_dir: a new directory the sink's user may write in, in $BS_DIR
# (not printed: a command substitution's subshell would not keep it in
# BS_DIRS for bs_cleanup).
bs_dump_dir() {
	BS_DIR=$(mktemp -d /tmp/hbulksink.XXXXXX) || return 1
	BS_DIRS="$BS_DIRS $BS_DIR"
	if [ -n "$BS_USER" ]; then
		chown "$BS_USER" "$BS_DIR" || return 1
	fi
	chmod 755 "$BS_DIR"
}

# bs_sink_start DUMP [smtp-sink options...]: a sink on a free port of
# 127.0.0.1 appending to DUMP (made, owned by the sink's user, when it is
# not there: several sinks may append to one dump in turn); sets BS_PORT
# and BS_PID. DUMP "" dumps nothing.
bs_sink_start() {
	bs_dump=$1
	shift
	BS_PORT=$(postfix_free_port 27000 27999) || return 1
	if [ -n "$bs_dump" ]; then
		if [ ! -e "$bs_dump" ]; then
			: > "$bs_dump" || return 1
			if [ -n "$BS_USER" ]; then
				chown "$BS_USER" "$bs_dump" || return 1
			fi
		fi
		set -- -D "$bs_dump" "$@"
	fi
	if [ -n "$BS_USER" ]; then
		set -- -u "$BS_USER" "$@"
	fi
	smtp-sink "$@" "127.0.0.1:$BS_PORT" 256 >/dev/null 2>&1 &
	BS_PID=$!
	BS_PIDS="$BS_PIDS $BS_PID"
	if ! postfix_poll 5 pf_listening "$BS_PORT"; then
		echo "# smtp-sink $* did not listen on $BS_PORT"
		bs_sink_stop "$BS_PID"
		return 1
	fi
	return 0
}

# bs_sink_stop PID: stop one sink and wait for it.
bs_sink_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	bs_rest=""
	for bs_p in $BS_PIDS; do
		[ "$bs_p" = "$1" ] || bs_rest="$bs_rest $bs_p"
	done
	BS_PIDS=$bs_rest
	return 0
}

# bs_cleanup: every sink stopped, every dump directory removed.
bs_cleanup() {
	for bs_p in $BS_PIDS; do
		kill "$bs_p" 2>/dev/null
	done
	for bs_p in $BS_PIDS; do
		wait "$bs_p" 2>/dev/null
	done
	BS_PIDS=""
	for bs_d in $BS_DIRS; do
		rm -rf "$bs_d"
	done
	BS_DIRS=""
}

# bs_txns DUMP: one line per transaction of the dump, tab-separated:
#	return path, RCPT count, recipients (space-separated), Message-ID,
#	Subject, List-Id, List-Unsubscribe, DKIM-Signature's h= (lower case),
#	Disposition-Notification-To
# with angle brackets kept on the addresses of the first three fields
# removed, and folded header fields unfolded.
bs_txns() {
	awk '
	function flush() {
		if (mail == "")
			return
		printf "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mail, n, rcpts,
		    h["message-id"], h["subject"], h["list-id"],
		    h["list-unsubscribe"], sigh,
		    h["disposition-notification-to"]
		mail = ""; n = 0; rcpts = ""; sigh = ""
		delete h
	}
	function addr(s) {
		sub(/^[^:]*: */, "", s)
		sub(/ .*/, "", s)
		gsub(/[<>]/, "", s)
		return s
	}
	function header(line,    name, v) {
		name = tolower(line)
		sub(/:.*/, "", name)
		v = line
		sub(/^[^:]*:[ \t]*/, "", v)
		if (!(name in h))
			h[name] = v
		last = name
	}
	/^X-Client-Addr: / { flush(); state = "sink"; next }
	state == "sink" && /^X-Mail-Args: / { mail = addr($0); next }
	state == "sink" && /^X-Rcpt-Args: / {
		rcpts = rcpts (n ? " " : "") addr($0); n++; next
	}
	state == "sink" && /^Received: / { state = "recv"; next }
	state == "sink" { next }
	state == "recv" && /^\t/ { next }
	state == "recv" { state = "hdr" }
	state == "hdr" && /^$/ {
		if ("dkim-signature" in h) {
			sigh = h["dkim-signature"]
			gsub(/[ \t]/, "", sigh)
			if (match(sigh, /(^|;)h=[^;]*/)) {
				sigh = substr(sigh, RSTART, RLENGTH)
				sub(/^;?h=/, "", sigh)
				sigh = tolower(sigh)
			} else
				sigh = ""
		}
		state = "body"; next
	}
	state == "hdr" && /^[ \t]/ {
		if (last != "" && h[last] != "") {
			v = $0
			sub(/^[ \t]+/, " ", v)
			h[last] = h[last] v
		}
		next
	}
	state == "hdr" { header($0); next }
	END { flush() }
	' "$1"
}

# bs_split DUMP DIR MESSAGE-ID: each dumped message with that Message-ID
# (with its angle brackets; "*" for any) as DIR/N.eml, without the sink's own header,
# and its recipients in DIR/N.rcpt; prints how many.
bs_split() {
	mkdir -p "$2" || return 1
	awk -v dir="$2" -v want="$3" '
	function flush(    i, f) {
		if (nl > 0 && (want == "*" || mid == want)) {
			k++
			f = dir "/" k ".eml"
			for (i = 1; i <= nl; i++)
				print line[i] > f
			close(f)
			print rcpts > (dir "/" k ".rcpt")
			close(dir "/" k ".rcpt")
		}
		nl = 0; mid = ""; rcpts = ""; inhdr = 0
	}
	/^X-Client-Addr: / { flush(); state = "sink"; next }
	state == "sink" && /^X-Rcpt-Args: / {
		a = $2; gsub(/[<>]/, "", a); rcpts = rcpts " " a; next
	}
	state == "sink" && /^Received: / { state = "recv"; next }
	state == "sink" { next }
	state == "recv" && /^\t/ { next }
	state == "recv" { state = "msg"; inhdr = 1 }
	state == "msg" {
		line[++nl] = $0
		if (inhdr && /^$/)
			inhdr = 0
		else if (inhdr && tolower($0) ~ /^message-id:/) {
			mid = $0
			sub(/^[^:]*:[ \t]*/, "", mid)
		}
	}
	END { flush(); print k + 0 }
	' "$1"
}

# bs_once_each MEMBERS DUMP: "MISSING DUPLICATES" - how many addresses of
# the file MEMBERS (one a line) never had an RCPT in DUMP, and how many
# RCPTs in DUMP were more than the first for a member.
bs_once_each() {
	awk '
	NR == FNR { if ($1 != "") want[$1] = 1; next }
	/^X-Rcpt-Args: / { a = $2; gsub(/[<>]/, "", a); n[a]++ }
	END {
		for (m in want)
			if (!(m in n))
				miss++
			else if (n[m] > 1)
				dup += n[m] - 1
		print miss + 0, dup + 0
	}' "$1" "$2"
}

# bs_rcpt_count DUMP: the number of RCPTs dumped.
bs_rcpt_count() { grep -c '^X-Rcpt-Args: ' "$1" 2>/dev/null || true; }

# bs_members FILE N LOCAL DOMAIN: N addresses LOCALnnnnnn@DOMAIN, one a
# line, in FILE.
bs_members() {
	awk -v n="$2" -v l="$3" -v d="$4" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "%s%06d@%s\n", l, i, d
	}' > "$1"
}

# bs_now_ms: milliseconds since the epoch (GNU date).
bs_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# bs_sanitizer_reports FILE...: the lines of ASan/UBSan/LSan reports.
bs_sanitizer_reports() {
	grep -h -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: .*Sanitizer' "$@" 2>/dev/null
}
