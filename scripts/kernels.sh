# SPDX-License-Identifier: GPL-2.0
#
# The kernels ntdpc supports, by name, and how to get, build against and
# boot each of them.  Sourced by scripts/common.sh.
#
# Every kernel is one of Debian's, named by version and flavour; make check
# builds and tests each.  Its headers live on this (Debian 12) machine or,
# for Debian 13's, in a minimal trixie root in the cache (their headers need
# trixie's gcc-14 and libc: scripts/trixie-root.sh), and the build runs
# there with the tree bind-mounted at the same path.  The kernel image for
# the VM is taken out of its package with dpkg-deb -x, never installed.
# 6.1-debug is Debian's 6.1 source built here with the kernel's debug
# checks (scripts/debug-kernel.sh).
#
# A new kernel is one line here: its name, where its headers are installed
# (host or trixie), the suite to install them from, and its release (its
# `uname -r`) as a regular expression; the newest release that matches is
# used.
NTDPC_KERNEL_TABLE='
6.1          host    bookworm            6\.1\.0-[0-9]+-amd64
6.12-bpo     host    bookworm-backports  6\.12\.[0-9]+\+deb12-amd64
6.12-bpo-rt  host    bookworm-backports  6\.12\.[0-9]+\+deb12-rt-amd64
6.12         trixie  trixie              6\.12\.[0-9]+\+deb13-amd64
6.12-rt      trixie  trixie              6\.12\.[0-9]+\+deb13-rt-amd64
7.3          trixie  trixie-backports    7\.3\.[0-9]+\+deb13-amd64
7.3-rt       trixie  trixie-backports    7\.3\.[0-9]+\+deb13-rt-amd64
'
NTDPC_TRIXIE=$NTDPC_CACHE/trixie

# Every supported Debian kernel, in the table's order.
ntdpc_kernels() {
	echo "$NTDPC_KERNEL_TABLE" | awk 'NF { print $1 }'
}

# ntdpc_kernel_field NAME N: column N of NAME's row; fails for an unknown
# kernel, naming the known ones.
ntdpc_kernel_field() {
	local f
	[ "$1" = 6.1-debug ] && { case $2 in 2) echo host ;; 3) echo none ;; 4) echo '6\.1\..*' ;; esac; return 0; }
	f=$(echo "$NTDPC_KERNEL_TABLE" | awk -v n="$1" -v c="$2" '$1 == n { print $c }')
	if [ -z "$f" ]; then
		echo "unknown kernel '$1': one of $(ntdpc_kernels | tr '\n' ' ')6.1-debug" >&2
		return 1
	fi
	echo "$f"
}

# The directory a kernel's root is at on this machine: / or the trixie root.
ntdpc_kernel_rootdir() {
	case $(ntdpc_kernel_field "$1" 2) in
	host)	echo "" ;;
	trixie)	echo "$NTDPC_TRIXIE" ;;
	*)	return 1 ;;
	esac
}

ntdpc_kernel_is_rt() {
	case $1 in *-rt) return 0 ;; *) return 1 ;; esac
}

# The installed release of a kernel: the one scripts/install-deps.sh chose
# from its suite (recorded in the cache), else the newest installed header
# tree that matches its row.
ntdpc_kernel_release() {
	local re root rel
	if [ "$1" = 6.1-debug ]; then
		ntdpc_debug_release
		return
	fi
	re=$(ntdpc_kernel_field "$1" 4) || return 1
	root=$(ntdpc_kernel_rootdir "$1")
	rel=$(cat "$NTDPC_CACHE/kernels/$1.release" 2>/dev/null || true)
	if [ -n "$rel" ] && [ -f "$root/usr/src/linux-headers-$rel/Makefile" ]; then
		echo "$rel"
		return
	fi
	ls -d "$root"/usr/src/linux-headers-* 2>/dev/null | sed 's|.*/linux-headers-||' |
		grep -E "^$re\$" | sort -V | tail -n1
}

# The kernel build directory as the build sees it (in its root).
ntdpc_kernel_kdir() {
	local rel
	if [ "$1" = 6.1-debug ]; then
		ntdpc_debug_builddir
		return
	fi
	rel=$(ntdpc_kernel_release "$1")
	[ -n "$rel" ] || { echo "no headers for kernel $1 (scripts/install-deps.sh kernel $1)" >&2; return 1; }
	echo "/usr/src/linux-headers-$rel"
}

# ntdpc_kernel_run NAME CMD...: run CMD where NAME's headers are, in the
# current directory.  In the trixie root, the tree is bind-mounted at its
# own path, with /proc, in a mount namespace of its own that ends with the
# command; the directory must be in the tree.
ntdpc_kernel_run() {
	local name=$1
	shift
	ntdpc_kernel_run_at "$name" "$PWD" "$@"
}

# ntdpc_kernel_run_at NAME DIR CMD...: the same in DIR, as the root sees it.
ntdpc_kernel_run_at() {
	local name=$1 dir=$2 root
	shift 2
	root=$(ntdpc_kernel_rootdir "$name") || return 1
	if [ -z "$root" ]; then
		(cd "$dir" && "$@")
		return
	fi
	mkdir -p "$root$NTDPC_REPO"
	unshare -m /bin/sh -c 'root=$1 tree=$2 dir=$3; shift 3
		mount --bind "$tree" "$root$tree" && mount -t proc proc "$root/proc" &&
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 /bin/sh -c '"'"'cd "$0" && exec "$@"'"'"' "$dir" "$@"' \
		sh "$root" "$NTDPC_REPO" "$dir" "$@"
}

# ntdpc_kernel_make NAME ARGS...: make for kernel NAME, KDIR set.
ntdpc_kernel_make() {
	local name=$1 kdir
	shift
	kdir=$(ntdpc_kernel_kdir "$name") || return 1
	ntdpc_kernel_run "$name" make KDIR="$kdir" "$@"
}

# The image to boot for a kernel, taken once out of its package
# (linux-binary-* from 7.x on, linux-image-* before) into the cache, where
# only the vmlinuz is kept; prints its path.
ntdpc_kernel_image() {
	local name=$1 rel root img tmp pkg
	if [ "$name" = 6.1-debug ]; then
		echo "$(ntdpc_debug_builddir)/arch/x86/boot/bzImage"
		return
	fi
	rel=$(ntdpc_kernel_release "$name")
	[ -n "$rel" ] || { echo "no headers for kernel $name" >&2; return 1; }
	img=$NTDPC_CACHE/kernels/$rel/vmlinuz
	if [ ! -f "$img" ]; then
		root=$(ntdpc_kernel_rootdir "$name")
		tmp=$root/tmp/ntdpc-image.$$
		rm -rf "$tmp"
		mkdir -p "$tmp/x"
		for pkg in "linux-binary-$rel" "linux-image-$rel"; do
			(cd "$tmp" && ntdpc_kernel_run_at "$name" "${tmp#"$root"}" \
				apt-get -q -o APT::Sandbox::User=root download "$pkg") >/dev/null 2>&1 && break
		done
		if ls "$tmp"/*.deb >/dev/null 2>&1; then
			dpkg-deb -x "$tmp"/*.deb "$tmp/x"
			mkdir -p "${img%/*}"
			find "$tmp/x" -name "vmlinuz*" -type f -exec cp {} "$img.tmp" \; -quit
			[ -s "$img.tmp" ] && mv "$img.tmp" "$img"
		fi
		rm -rf "$tmp" "$img.tmp"
		[ -f "$img" ] || { echo "cannot get the image of $rel from its package" >&2; return 1; }
	fi
	echo "$img"
}

# The debug kernel's build directory and release (scripts/debug-kernel.sh
# builds it; its directory is keyed by source version and config).
ntdpc_debug_builddir() {
	"$NTDPC_REPO/scripts/debug-kernel.sh" --builddir
}

ntdpc_debug_release() {
	cat "$(ntdpc_debug_builddir)/include/config/kernel.release" 2>/dev/null
}
