#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The minimal Debian 13 (trixie) root that Debian 13's kernels are built
# against: their headers need trixie's gcc-14 and libc, which Debian 12 does
# not have.  Made once with debootstrap into ~/.cache/ntdpc/trixie, from the
# mirror this machine's apt already uses, with trixie, its updates, security
# and backports suites; scripts/kernels.sh runs builds in it.  Idempotent:
# an existing root is only checked.
#
#   scripts/trixie-root.sh [--update] [PACKAGE...]
#       --update    refresh its package lists
#       PACKAGE     install it there, unless it is
set -euo pipefail
. "$(dirname "$0")/common.sh"

root=$NTDPC_TRIXIE
mkdir -p "$NTDPC_CACHE"
exec 9>"$NTDPC_CACHE/trixie.lock"
flock 9

# CMD... run in ROOT, with /proc (dpkg's scripts want it) in a mount
# namespace of its own; the output goes to the log, shown if it fails.
log=$NTDPC_CACHE/trixie-root.log
in_root() {
	local dir=$1
	shift
	unshare -m /bin/sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
		"$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" >> "$log" 2>&1 ||
		{ echo "trixie-root: failed: $* (log: $log)" >&2; tail -n 20 "$log" >&2; return 1; }
}

# The mirror URIs of this machine's Debian sources: the archive and security.
mirror() {
	local kind=$1
	{
		cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true
	} | awk '/^URIs:/ || /^deb / { print $2 }' | grep -E "/debian$kind/?\$" | head -n1 || true
}

if [ ! -f "$root/.ntdpc-root" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "trixie-root: needs root (debootstrap)" >&2; exit 1; }
	"$NTDPC_REPO/scripts/install-deps.sh" debootstrap
	archive=$(mirror "")
	security=$(mirror -security)
	[ -n "$archive" ] || { echo "trixie-root: no Debian mirror in this machine's apt sources" >&2; exit 1; }
	[ -n "$security" ] || security=${archive%/debian}/debian-security
	echo "trixie-root: debootstrap trixie into $root"
	rm -rf "$root.tmp"
	debootstrap --variant=minbase \
		--include=gcc-14,make,bc,libelf-dev,kmod,dkms,sparse \
		trixie "$root.tmp" "$archive" > "$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; exit 1; }
	cat > "$root.tmp/etc/apt/sources.list" <<EOT
deb $archive trixie main
deb $archive trixie-updates main
deb $security trixie-security main
deb $archive trixie-backports main
EOT
	# Headers depend on their kernel image; nothing here boots it.
	in_root "$root.tmp" dpkg-divert --local --rename --add /usr/sbin/update-initramfs
	ln -s /bin/true "$root.tmp/usr/sbin/update-initramfs"
	in_root "$root.tmp" apt-get update -qq
	touch "$root.tmp/.ntdpc-root"
	mv "$root.tmp" "$root"
fi

if [ "${1:-}" = --update ]; then
	in_root "$root" apt-get update -qq
	shift
fi

# Packages asked for, unless installed.
missing=()
for p in "$@"; do
	chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "trixie-root: installing ${missing[*]}"
	in_root "$root" apt-get update -qq
	in_root "$root" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
