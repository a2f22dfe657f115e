#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing ntdpc needs on a Debian 12 machine.
# Idempotent: what is already present is skipped, so every script may call
# it every time.  Needs root (apt-get); prints what it installs.
#
# Usage: scripts/install-deps.sh SET...
#   build kunit kunit-rt lint dkms vm profile report debootstrap
#             host packages for that job
#   kernel NAME...
#             the headers of the named kernels (scripts/kernels.sh): on this
#             machine from Debian 12 or bookworm-backports, or in the trixie
#             root (scripts/trixie-root.sh) for Debian 13's
#   kernels   the headers of every supported kernel
#   all       all of the above
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=()
kernels=()
while [ $# -gt 0 ]; do
	case "$1" in
	build)	pkgs+=(build-essential bc kmod) ;;
	kunit)	pkgs+=(build-essential bc flex bison libelf-dev libssl-dev \
		       python3 xz-utils linux-source-6.1 qemu-system-x86) ;;
	kunit-rt) pkgs+=(build-essential bc flex bison libelf-dev libssl-dev \
		       python3 xz-utils qemu-system-x86)
		  want_rt_source=1 ;;
	lint)	pkgs+=(sparse linux-source-6.1 xz-utils) ;;
	dkms)	pkgs+=(dkms) ;;
	vm)	pkgs+=(qemu-system-x86 busybox-static cpio gzip build-essential bc kmod \
		       trace-cmd python3) ;;
	profile) pkgs+=(linux-perf binutils) ;;
	report)	pkgs+=(build-essential pkg-config libtracecmd-dev libtraceevent-dev \
		       libtracefs-dev trace-cmd python3) ;;
	debootstrap) pkgs+=(debootstrap) ;;
	kernel)	shift
		while [ $# -gt 0 ] && ntdpc_kernel_field "$1" 1 >/dev/null 2>&1; do
			kernels+=("$1")
			shift
		done
		continue ;;
	kernels) mapfile -t -O "${#kernels[@]}" kernels < <(ntdpc_kernels) ;;
	all)	set -- "$@" build kunit kunit-rt lint dkms vm profile report kernels ;;
	*)	echo "install-deps: unknown set '$1'" >&2; exit 2 ;;
	esac
	shift
done

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to install: $*" >&2
		exit 1
	fi
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -qq
	apt_updated=1
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
		--no-install-recommends "$@" >/dev/null
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# bookworm-backports, from the mirror this machine already uses.
backports_source() {
	local list=/etc/apt/sources.list.d/ntdpc-backports.sources uri
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	uri=$(grep -hs '^URIs:.*debian$' /etc/apt/sources.list.d/*.sources | head -n1 | awk '{print $2}')
	[ -n "$uri" ] || uri=$(grep -hs '^deb .*debian ' /etc/apt/sources.list | head -n1 | awk '{print $2}')
	cat > "$list" <<EOT
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	apt_updated=
}

# The newest linux-source-6.12 (bookworm-backports): the PREEMPT_RT KUnit
# kernel's source (scripts/kunit.sh rt).
if [ -n "${want_rt_source:-}" ] && ! ls /usr/src/linux-source-6.12.tar.xz >/dev/null 2>&1; then
	as_root linux-source-6.12
	backports_source
	apt_update
	echo "install-deps: installing linux-source-6.12 from bookworm-backports"
	apt_install -t bookworm-backports linux-source-6.12
fi

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	as_root "${missing[@]}"
	echo "install-deps: installing ${missing[*]}"
	apt_update
	apt_install "${missing[@]}"
fi

# The headers package of a kernel: what its suite's metapackage
# (linux-headers-amd64, linux-headers-rt-amd64) depends on, the suite's
# security and updates suites included.  Run with the root's apt-cache.
headers_package() {
	local suite=$1 meta=$2 ver
	shift 2
	ver=$("$@" apt-cache madison "$meta" |
	      awk -F'|' -v s="$suite" '$3 ~ (" " s "(-security|-updates)?/") { gsub(/ /, "", $2); print $2 }' |
	      sort -V | tail -n1)
	[ -n "$ver" ] || return 1
	"$@" apt-cache depends "$meta=$ver" | awk '/Depends: linux-headers-/ { print $2; exit }'
}

for k in "${kernels[@]}"; do
	[ "$k" = 6.1-debug ] && continue	# scripts/debug-kernel.sh builds it
	release=$NTDPC_CACHE/kernels/$k.release
	[ -f "$release" ] && [ -n "$(ntdpc_kernel_release "$k")" ] && continue
	suite=$(ntdpc_kernel_field "$k" 3)
	re=$(ntdpc_kernel_field "$k" 4)
	case $k in *-rt) meta=linux-headers-rt-amd64 ;; *) meta=linux-headers-amd64 ;; esac
	as_root "the headers of $k"
	case $(ntdpc_kernel_field "$k" 2) in
	host)
		[ "$suite" = bookworm-backports ] && backports_source
		apt_update
		hdr=$(headers_package "$suite" "$meta" env) || hdr=
		;;
	trixie)
		"$NTDPC_REPO/scripts/trixie-root.sh"
		"$NTDPC_REPO/scripts/trixie-root.sh" --update
		hdr=$(headers_package "$suite" "$meta" chroot "$NTDPC_TRIXIE") || hdr=
		;;
	esac
	rel=${hdr#linux-headers-}
	if [ -z "$hdr" ] || ! echo "$rel" | grep -qE "^$re\$"; then
		echo "install-deps: no headers for $k in $suite (found '$hdr')" >&2
		exit 1
	fi
	echo "install-deps: installing $hdr from $suite"
	case $(ntdpc_kernel_field "$k" 2) in
	host)	# Backports are only taken when asked for; the rest by priority.
		case $suite in
		*-backports) apt_install -t "$suite" "$hdr" ;;
		*) apt_install "$hdr" ;;
		esac ;;
	trixie)	"$NTDPC_REPO/scripts/trixie-root.sh" "$hdr" ;;
	esac
	mkdir -p "$NTDPC_CACHE/kernels"
	echo "$rel" > "$release"
	[ -n "$(ntdpc_kernel_release "$k")" ] ||
		{ echo "install-deps: $hdr installed, but no headers for $k" >&2; exit 1; }
done
exit 0
