# pg.sh - a throwaway PostgreSQL cluster for the tests and the demo.
#
#	. test/lib/pg.sh
#	pg_up /tmp/hpg || exit 1	# exports HERALD_TEST_DATABASE
#	...
#	pg_down /tmp/hpg
#
# The cluster lives entirely in DIR: data, log, and the unix socket (no TCP
# port, so clusters of parallel runs never collide). Trust authentication,
# UTF8, the C.UTF-8 locale and no fsync: it is fast to make and holds
# nothing worth keeping. Run as root, the server runs as postgres (initdb
# and postgres refuse root); run as anyone else, as that user.
#
# POSIX sh; the functions keep their variables under the pg_ prefix
# because sh has no locals.

# The directory of initdb and pg_ctl: pg_config's, else the newest under
# /usr/lib/postgresql (Debian keeps them off the PATH).
pg_bindir() {
	if command -v pg_config >/dev/null 2>&1; then
		pg_b=$(pg_config --bindir 2>/dev/null)
		if [ -x "$pg_b/initdb" ]; then
			echo "$pg_b"
			return 0
		fi
	fi
	pg_b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1)
	if [ -n "$pg_b" ] && [ -x "$pg_b/initdb" ]; then
		echo "$pg_b"
		return 0
	fi
	echo "pg.sh: no PostgreSQL server binaries (initdb) found" >&2
	return 1
}

# Run a server program as the cluster's owner.
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_up() {
	pg_dir=${1:?usage: pg_up DIR}
	# The socket path goes to the server through pg_ctl's shell, and a
	# unix socket path must stay under ~107 bytes: keep DIR plain and short.
	case $pg_dir in
	/*) ;;
	*) pg_dir=$(pwd)/$pg_dir ;;
	esac
	case $pg_dir in
	*[!A-Za-z0-9_./-]*)
		echo "pg_up: $pg_dir: use only letters, digits and _ . / -" >&2
		return 1 ;;
	esac
	if [ ${#pg_dir} -gt 80 ]; then
		echo "pg_up: $pg_dir: too long for a socket path" >&2
		return 1
	fi
	pg_bin=$(pg_bindir) || return 1
	if [ -f "$pg_dir/data/postmaster.pid" ]; then
		pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w \
		    stop >/dev/null 2>&1
	fi
	rm -rf "$pg_dir" && mkdir -p "$pg_dir" || return 1
	# Others (the daemons, the tests run as another user) must reach the
	# socket in DIR; the data directory itself stays 0700.
	chmod 755 "$pg_dir" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$pg_dir" || return 1
	fi
	if ! pg_as_owner "$pg_bin/initdb" -D "$pg_dir/data" -U postgres \
	    -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
	    >"$pg_dir/initdb.log" 2>&1; then
		echo "pg_up: initdb failed:" >&2
		cat "$pg_dir/initdb.log" >&2
		return 1
	fi
	# listen_addresses='' : the socket only. fsync and friends off: a
	# crashed test cluster is thrown away anyway.
	if ! pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" \
	    -w -t 30 -o "-k $pg_dir -p 5432 -c listen_addresses='' \
	    -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
	    start >/dev/null; then
		echo "pg_up: the server did not start:" >&2
		cat "$pg_dir/log" >&2
		return 1
	fi
	if ! pg_as_owner "$pg_bin/createdb" -h "$pg_dir" -p 5432 -U postgres \
	    herald_test; then
		echo "pg_up: createdb failed" >&2
		pg_down "$pg_dir"
		return 1
	fi
	HERALD_TEST_DATABASE="host=$pg_dir port=5432 user=postgres dbname=herald_test"
	export HERALD_TEST_DATABASE
}

pg_down() {
	pg_dir=${1:?usage: pg_down DIR}
	case $pg_dir in
	/*) ;;
	*) pg_dir=$(pwd)/$pg_dir ;;
	esac
	if [ -f "$pg_dir/data/postmaster.pid" ]; then
		pg_bin=$(pg_bindir) || return 1
		pg_as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 \
		    stop >/dev/null || return 1
	fi
	rm -rf "$pg_dir"
	unset HERALD_TEST_DATABASE
}

# pg_own_db NAME: a database of the test's own, NAME, on the server
# HERALD_TEST_DATABASE names (a conninfo, not a URI); HERALD_TEST_DATABASE
# then names it, pg_shared_db the one it came from. 1, with the reason in
# pg_own_why, when it cannot be made. pg_own_db_drop drops it, its
# connections forced out.
pg_own_db() {
	pg_shared_db=$HERALD_TEST_DATABASE
	pg_own=""
	case $pg_shared_db in
	*://*)
		pg_own_why="HERALD_TEST_DATABASE is a URI"
		return 1 ;;
	esac
	if ! pg_err=$(psql -X -q -d "$pg_shared_db" -c "CREATE DATABASE $1" 2>&1 >/dev/null); then
		pg_own_why="cannot make a database of its own ($(printf '%s\n' "$pg_err" | head -n 1))"
		return 1
	fi
	pg_own=$1
	HERALD_TEST_DATABASE="$pg_shared_db dbname=$1"
}
pg_own_db_drop() {
	[ -n "${pg_own:-}" ] || return 0
	psql -X -q -d "$pg_shared_db" -c "ALTER DATABASE $pg_own ALLOW_CONNECTIONS true" >/dev/null 2>&1
	psql -X -q -d "$pg_shared_db" -c "DROP DATABASE IF EXISTS $pg_own WITH (FORCE)" >/dev/null 2>&1 ||
	    psql -X -q -d "$pg_shared_db" -c "DROP DATABASE IF EXISTS $pg_own" >/dev/null 2>&1
	pg_own=""
}
