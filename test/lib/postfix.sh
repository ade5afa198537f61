# postfix.sh - a private Postfix instance for the tests and the demo.
#
#	. test/lib/postfix.sh
#	port=$(postfix_free_port 25250 25299) || exit 1
#	postfix_up /tmp/hpf.X/pf "$port" aliases-file [alias-owner] || exit 1
#	...				# SMTP to 127.0.0.1:$port
#	postfix_wait_log /tmp/hpf.X/pf 'ABC123: removed' 10
#	postfix_down /tmp/hpf.X/pf
#
# Everything lives in DIR: DIR/etc (main.cf, master.cf, aliases), DIR/queue,
# DIR/data, and the log DIR/maillog (there is no syslog here). The
# machine's own /etc/postfix and its instance are never touched: every
# command gets -c DIR/etc. Needs root (master starts as root). DIR and its
# parents must be traversable by the postfix user and by the alias owner.
#
# The instance listens on 127.0.0.1:PORT only; its local domains are
# $PF_DOMAINS (default lists.example.test), resolved through the alias file
# only; mail for any other domain is refused ("no external mail in
# tests"), so nothing leaves the machine. The alias file is owned by the
# alias owner (default nobody), so local(8) runs its pipes as that user.
# Lines in $PF_MAIN_EXTRA are appended to main.cf.
#
# POSIX sh; the functions keep their variables under the pf_ prefix
# because sh has no locals.

# A TCP port of 127.0.0.1 in FROM..TO nobody listens on, starting at a
# point picked from the pid so that parallel runs rarely collide.
postfix_free_port() {
	pf_from=${1:?usage: postfix_free_port FROM TO} pf_to=${2:?}
	pf_n=$((pf_to - pf_from + 1))
	pf_i=0
	while [ "$pf_i" -lt "$pf_n" ]; do
		pf_p=$((pf_from + ($$ + pf_i) % pf_n))
		if [ -z "$(ss -Hltn "sport = :$pf_p" 2>/dev/null)" ]; then
			echo "$pf_p"
			return 0
		fi
		pf_i=$((pf_i + 1))
	done
	echo "postfix_free_port: no free port in $pf_from..$pf_to" >&2
	return 1
}

# Poll COMMAND... every 0.1 s for up to SECONDS; 0 as soon as it succeeds.
postfix_poll() {
	pf_t=$(($1 * 10))
	shift
	while ! "$@"; do
		[ "$pf_t" -le 0 ] && return 1
		sleep 0.1
		pf_t=$((pf_t - 1))
	done
	return 0
}

pf_listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

postfix_up() {
	pf_dir=${1:?usage: postfix_up DIR PORT ALIASES [OWNER]}
	pf_port=${2:?usage: postfix_up DIR PORT ALIASES [OWNER]}
	pf_aliases=${3:?usage: postfix_up DIR PORT ALIASES [OWNER]}
	pf_owner=${4:-nobody}
	case $pf_dir in
	/*) ;;
	*) pf_dir=$(pwd)/$pf_dir ;;
	esac
	mkdir -p "$pf_dir/etc" "$pf_dir/data" "$pf_dir/queue" || return 1
	chmod 755 "$pf_dir" "$pf_dir/etc" "$pf_dir/queue" || return 1
	chown postfix: "$pf_dir/data" || return 1
	cat > "$pf_dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf_dir/queue
data_directory = $pf_dir/data
maillog_file_prefixes = $pf_dir
maillog_file = $pf_dir/maillog
myhostname = mta.example.test
mydomain = example.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination = ${PF_DOMAINS:-lists.example.test}
mynetworks = 127.0.0.0/8
relayhost =
alias_maps = hash:$pf_dir/etc/aliases
alias_database = hash:$pf_dir/etc/aliases
recipient_delimiter = +
default_transport = error:no external mail in tests
relay_transport = error:no external mail in tests
smtputf8_enable = no
biff = no
in_flow_delay = 0
smtpd_banner = \$myhostname ESMTP
delay_warning_time = 0
${PF_MAIN_EXTRA:-}
EOF
	# Only what a loopback instance needs, chroot off everywhere: nothing
	# here sets up a chroot jail (Debian's init script would).
	cat > "$pf_dir/etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$pf_port inet n -     n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# postalias as root on a root-owned file (run on a file owned by
	# someone else it drops to that user), then give both to the owner:
	# local(8) runs an alias's command as the owner of the alias database.
	cp "$pf_aliases" "$pf_dir/etc/aliases" &&
	    chown root: "$pf_dir/etc/aliases" &&
	    postalias -c "$pf_dir/etc" "$pf_dir/etc/aliases" &&
	    chown "$pf_owner" "$pf_dir/etc/aliases" "$pf_dir/etc/aliases.db" ||
	    return 1
	if ! postfix -c "$pf_dir/etc" start >"$pf_dir/start.log" 2>&1; then
		echo "postfix_up: postfix start failed:" >&2
		cat "$pf_dir/start.log" "$pf_dir/maillog" >&2 2>/dev/null
		return 1
	fi
	if ! postfix_poll 10 pf_listening "$pf_port"; then
		echo "postfix_up: nothing listens on 127.0.0.1:$pf_port after 10 s" >&2
		cat "$pf_dir/start.log" "$pf_dir/maillog" >&2 2>/dev/null
		return 1
	fi
	return 0
}

# The pid of DIR's master if it runs.
postfix_master_pid() {
	pf_pid=$(sed -n '1s/[^0-9]//gp' "${1:?}/queue/pid/master.pid" 2>/dev/null)
	[ -n "$pf_pid" ] || return 1
	# A zombie is gone too: init may take its time to reap the master.
	pf_state=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$pf_pid/stat" 2>/dev/null)
	[ -n "$pf_state" ] && [ "$pf_state" != Z ] && echo "$pf_pid"
}

pf_master_gone() { [ -z "$(postfix_master_pid "$1")" ]; }

# Succeeds when no process works in DIR's queue directory any more (every
# Postfix daemon chdirs there).
pf_workers_gone() {
	# One ls for all, rather than a readlink per process.
	# shellcheck disable=SC2010
	! ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -Fq -- "-> $1/queue"
}

# Stop DIR's instance and wait (10 s at most) until its master and the
# daemons are gone; a master that will not stop is killed. Leaves DIR in
# place. (`postfix stop` sleeps whole seconds; abort signals the master,
# which takes its process group down with it, and we poll.)
postfix_down() {
	pf_dir=${1:?usage: postfix_down DIR}
	case $pf_dir in
	/*) ;;
	*) pf_dir=$(pwd)/$pf_dir ;;
	esac
	[ -f "$pf_dir/etc/main.cf" ] || return 0
	if ! pf_master_gone "$pf_dir"; then
		postfix -c "$pf_dir/etc" abort >/dev/null 2>&1
		if ! postfix_poll 10 pf_master_gone "$pf_dir"; then
			pf_pid=$(postfix_master_pid "$pf_dir")
			[ -n "$pf_pid" ] && kill -9 "$pf_pid" 2>/dev/null
			postfix_poll 5 pf_master_gone "$pf_dir" || return 1
		fi
	fi
	postfix_poll 10 pf_workers_gone "$pf_dir"
}

# Succeeds when no message of DIR's instance waits in incoming, active or
# maildrop (deferred mail is settled: it waits for a retry or a flush).
postfix_settled() {
	[ -z "$(find "${1:?}/queue/incoming" "$1/queue/active" "$1/queue/maildrop" \
	    -type f -print 2>/dev/null | head -n 1)" ]
}

# Succeeds when DIR's queue holds no message at all.
postfix_queue_empty() {
	postfix_settled "$1" &&
	    [ -z "$(find "$1/queue/deferred" "$1/queue/hold" -type f -print \
	    2>/dev/null | head -n 1)" ]
}

pf_log_has() { grep -Eq -- "$2" "$1/maillog" 2>/dev/null; }

# Wait up to SECONDS until DIR's log has a line matching the ERE.
postfix_wait_log() {
	postfix_poll "${3:-10}" pf_log_has "${1:?}" "${2:?}"
}

# Ask DIR's instance to retry its deferred mail now.
postfix_flush() {
	postqueue -c "${1:?}/etc" -f
}
