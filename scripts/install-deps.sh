#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing ntdpc needs on a Debian 12 machine.
# Idempotent: packages already present are skipped, so `make check` may call
# it every time.  Needs root (apt-get); prints what it installs.
#
# Usage: scripts/install-deps.sh [build|kunit|lint|dkms|vm|profile|report|backports|all]...
set -euo pipefail

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(all)

pkgs=()
for w in "${want[@]}"; do
	case "$w" in
	build)	pkgs+=(build-essential bc kmod linux-headers-amd64) ;;
	kunit)	pkgs+=(build-essential bc flex bison libelf-dev libssl-dev \
		       python3 xz-utils linux-source-6.1 qemu-system-x86) ;;
	lint)	pkgs+=(sparse linux-source-6.1 xz-utils) ;;
	dkms)	pkgs+=(dkms) ;;
	vm)	pkgs+=(qemu-system-x86 busybox-static cpio gzip build-essential bc kmod \
		       trace-cmd python3) ;;
	profile) pkgs+=(linux-perf binutils) ;;
	report)	pkgs+=(build-essential pkg-config libtracecmd-dev libtraceevent-dev \
		       libtracefs-dev trace-cmd python3) ;;
	backports) ;;
	all)	pkgs+=(build-essential bc flex bison libelf-dev libssl-dev \
		       kmod python3 xz-utils linux-source-6.1 linux-headers-amd64 \
		       qemu-system-x86 sparse dkms busybox-static cpio trace-cmd \
		       pkg-config libtracecmd-dev libtraceevent-dev libtracefs-dev \
		       linux-perf binutils)
		want+=(backports) ;;
	*)	echo "install-deps: unknown set '$w'" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -qq
	apt_updated=1
}

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to install: $*" >&2
		exit 1
	fi
}

if [ ${#missing[@]} -gt 0 ]; then
	as_root "${missing[@]}"
	echo "install-deps: installing ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
fi

# The 6.12 headers come from bookworm-backports; the module must build there too.
for w in "${want[@]}"; do
	[ "$w" = backports ] || continue
	if ! ls -d /usr/src/linux-headers-6.12.*-amd64 >/dev/null 2>&1; then
		as_root linux-headers-6.12
		list=/etc/apt/sources.list.d/ntdpc-backports.sources
		if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
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
		fi
		apt_update
		hdr=$(apt-cache depends -t bookworm-backports linux-headers-amd64 2>/dev/null |
		      awk '/Depends: linux-headers-6\.12/ {print $2; exit}')
		[ -n "$hdr" ] || { echo "install-deps: no 6.12 headers in backports" >&2; exit 1; }
		echo "install-deps: installing $hdr from bookworm-backports"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports "$hdr" >/dev/null
	fi
done
exit 0
