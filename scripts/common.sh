# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts in scripts/: where things are, and the kernel source.

NTDPC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NTDPC_CACHE=${NTDPC_CACHE:-$HOME/.cache/ntdpc}
NTDPC_OUT=$NTDPC_REPO/out

. "$NTDPC_REPO/scripts/kernels.sh"

# ntdpc_kernel_source [SERIES]: unpack Debian's linux-source-SERIES (6.1 by
# default; 6.12 for the PREEMPT_RT KUnit kernel) into the cache, once per
# package version, and print its path.
ntdpc_kernel_source() {
	local series=${1:-6.1} debver src
	debver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
	src=$NTDPC_CACHE/linux-source-$debver
	if [ ! -f "$src/Makefile" ]; then
		echo "unpacking linux-source $debver into $src" >&2
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xJf "/usr/src/linux-source-$series.tar.xz" -C "$src.tmp"
		mv "$src.tmp/linux-source-$series" "$src"
		rmdir "$src.tmp"
	fi
	echo "$src"
}
