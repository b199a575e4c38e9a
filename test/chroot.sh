#!/usr/bin/env bash
# Debian chroots that hold another PostgreSQL for the test matrix, made with
# debootstrap from the Debian archive (the only archive reachable) and kept in
# a cache directory, so that only the first run on a machine pays for them.
#
#   test/chroot.sh path PG        print the chroot's directory for PostgreSQL PG
#   test/chroot.sh ensure PG      make it unless it is already there and complete
#   test/chroot.sh run PG CMD...  run CMD inside it (as root, with /proc and a
#                                 private /dev/shm mounted for its lifetime)
#
# DYNOMITE_CHROOT_DIR names the cache (default /var/cache/dynomite_fdw/chroots).
# A chroot shares the host's network: the DynamoDB servers and the test proxy
# run on the host, only the build and PostgreSQL inside.
set -euo pipefail

MIRROR=${DYNOMITE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${DYNOMITE_CHROOT_DIR:-/var/cache/dynomite_fdw/chroots}

die() {
	echo "chroot.sh: $*" >&2
	exit 1
}

# the Debian suite that ships each PostgreSQL major version
suite_of() {
	case "$1" in
	17) echo trixie ;;
	18) echo sid ;;
	*) die "no chroot for PostgreSQL $1 (known: 17, 18)" ;;
	esac
}

packages_of() {
	echo "postgresql-$1 postgresql-server-dev-$1 libcurl4-openssl-dev libjson-c-dev" \
		"libssl-dev libicu-dev pkg-config make gcc curl"
}

path_of() { echo "$CACHE/pg$1"; }

# in_root DIR CMD...: CMD inside DIR, in a mount namespace of its own with
# /proc and a private /dev/shm mounted, unmounted again when CMD ends.  The
# namespace's mounts are private where the root allows it (it does not when
# this script itself runs in a chroot)
in_root() {
	local root=$1 propagation=private
	shift
	unshare --mount --propagation private true 2>/dev/null || propagation=unchanged
	unshare --mount --propagation "$propagation" --fork /bin/sh -ec '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mkdir -p "$root/dev/shm"
		mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
		rc=0
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@" || rc=$?
		umount "$root/dev/shm" "$root/proc" 2>/dev/null || true
		exit $rc
	' in_root "$root" "$@"
}

# the stamp records what the chroot was made with: a change remakes it
stamp_text() { echo "suite=$(suite_of "$1") packages=$(packages_of "$1")"; }

ensure() {
	local pg=$1 dir suite tmp
	dir=$(path_of "$pg")
	suite=$(suite_of "$pg")
	if [[ -f "$dir/.dynomite-stamp" && "$(cat "$dir/.dynomite-stamp")" == "$(stamp_text "$pg")" ]]; then
		return 0
	fi
	[[ $(id -u) -eq 0 ]] || die "making a chroot needs root"
	if ! command -v debootstrap >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
	fi
	mkdir -p "$CACHE"
	tmp="$dir.new"
	rm -rf "$tmp"
	echo "chroot.sh: making a $suite chroot for PostgreSQL $pg in $dir (once per machine)" >&2
	debootstrap --variant=minbase "$suite" "$tmp" "$MIRROR" >"$CACHE/pg$pg.log" 2>&1 ||
		{ tail -20 "$CACHE/pg$pg.log" >&2; die "debootstrap $suite failed"; }
	# no service starts inside, and no cluster is made: pg_regress makes its own
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mkdir -p "$tmp/etc/postgresql-common"
	echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.conf"
	# sid's Release may be past its Valid-Until date
	echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99dynomite"
	# shellcheck disable=SC2046
	in_root "$tmp" DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $(packages_of "$pg")" \
		>>"$CACHE/pg$pg.log" 2>&1 ||
		{ tail -20 "$CACHE/pg$pg.log" >&2; die "installing PostgreSQL $pg in the $suite chroot failed"; }
	chroot "$tmp" /usr/lib/postgresql/"$pg"/bin/pg_config --version >/dev/null ||
		die "no pg_config for PostgreSQL $pg in the $suite chroot"
	chroot "$tmp" apt-get clean
	stamp_text "$pg" >"$tmp/.dynomite-stamp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

usage() { die "usage: $0 path|ensure PG, or $0 run PG CMD..."; }
[[ $# -ge 2 ]] || usage
case "$1" in
path) path_of "$2" ;;
ensure) ensure "$2" ;;
run)
	[[ $# -ge 3 ]] || usage
	dir=$(path_of "$2")
	[[ -f "$dir/.dynomite-stamp" ]] || die "no chroot for PostgreSQL $2: run '$0 ensure $2' first"
	shift 2
	in_root "$dir" "$@"
	;;
*) usage ;;
esac
