# bin.sh - Herald's programs where another user can run them.
#
#	. test/lib/bin.sh
#	RUNBIN=$(bin_for nobody "$BIN" "$T") || exit 1
#
# The MTA's pipes run queue as another user (nobody, herald). A clone in a
# directory that user cannot enter (mktemp -d makes 0700 ones), or a path
# an alias would have to quote, cannot be run from there: bin_for prints
# BIN when USER can run BIN/queue from its path, else copies the programs
# into DIR/bin (DIR made traversable) and prints that.
bin_for() {	# bin_for USER BIN DIR
	if [ "$1" = "$(id -un)" ]; then
		echo "$2"
		return 0
	fi
	case $2 in
	*[!A-Za-z0-9_./-]*) ;;
	*)
		if runuser -u "$1" -- test -x "$2/queue" 2>/dev/null; then
			echo "$2"
			return 0
		fi
		;;
	esac
	mkdir -p "$3/bin" && cp "$2"/* "$3/bin/" && chmod 755 "$3" "$3/bin" ||
	    return 1
	echo "# $1 cannot run the programs in $2: using copies in $3/bin" >&2
	echo "$3/bin"
}
