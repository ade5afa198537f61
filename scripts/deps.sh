#!/bin/sh
# Install, idempotently, the Debian packages Herald needs to build, test and run its demo.
# Only what is missing is installed; a machine that has everything is left untouched.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libevent-dev libpq-dev libssl-dev libopendkim-dev libpcre2-dev libyaml-dev libcmocka-dev
postgresql postfix opendkim opendkim-tools swaks"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root to install them" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure itself as the machine's MTA: tests run private instances
# (postfix -c DIR), so the package is installed with no configuration at all.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "deps: installing:$missing"
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
