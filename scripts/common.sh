# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts in scripts/: where things are, and the kernel source.

NTDPC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NTDPC_CACHE=${NTDPC_CACHE:-$HOME/.cache/ntdpc}
NTDPC_OUT=$NTDPC_REPO/out

# The Debian kernel header trees the module must build against: 6.1 (the
# target) and 6.12 (bookworm-backports).
ntdpc_kdirs() {
	local d
	for d in /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*-amd64; do
		[ -f "$d/Makefile" ] && echo "$d"
	done
}

# Unpack Debian's linux-source-6.1 into the cache, once per package version,
# and print its path.
ntdpc_kernel_source() {
	local debver src
	debver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	src=$NTDPC_CACHE/linux-source-$debver
	if [ ! -f "$src/Makefile" ]; then
		echo "unpacking linux-source $debver into $src" >&2
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src.tmp"
		mv "$src.tmp/linux-source-6.1" "$src"
		rmdir "$src.tmp"
	fi
	echo "$src"
}
