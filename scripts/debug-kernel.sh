#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of the VM tests ("6.1-debug" in scripts/kernels.sh):
# Debian's linux-source-6.1 built for x86_64 from allnoconfig plus
# tests/vm/debug-kernel.config (lockdep with raw-lock nesting, KASAN,
# DEBUG_OBJECTS, DEBUG_LIST, lockup and hung-task detectors...), with
# modules, so that ntdpc.ko and its companions load into it under the same
# VM scripts as Debian's kernels.  The build is cached in ~/.cache/ntdpc,
# keyed by the source's package version and the config, and is built once.
#
#   scripts/debug-kernel.sh              build it unless cached; print its dir
#   scripts/debug-kernel.sh --builddir   only print the directory
set -euo pipefail
. "$(dirname "$0")/common.sh"

config=$NTDPC_REPO/tests/vm/debug-kernel.config
debver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
key=$(cat "$config" | sha256sum | cut -c1-12)
build=$NTDPC_CACHE/debug-$debver-$key

if [ "${1:-}" = --builddir ]; then
	echo "$build"
	exit 0
fi

if [ ! -f "$build/.ntdpc-built" ]; then
	"$NTDPC_REPO/scripts/install-deps.sh" kunit >&2
	src=$(ntdpc_kernel_source 6.1)
	log=$NTDPC_OUT/debug-kernel.log
	mkdir -p "$NTDPC_OUT"
	echo "debug-kernel: building Linux $(make -s -C "$src" kernelversion) with $config in $build" >&2
	rm -rf "$build"
	mkdir -p "$build"
	start=$(date +%s)
	{
		make -C "$src" O="$build" ARCH=x86_64 KCONFIG_ALLCONFIG="$config" allnoconfig &&
		make -C "$src" O="$build" ARCH=x86_64 -j"$(nproc)" bzImage modules
	} > "$log" 2>&1 || { tail -n 30 "$log" >&2; echo "debug-kernel: build failed (see $log)" >&2; exit 1; }
	# Every option asked for must have survived the config's dependencies.
	missing=$(grep -E '^CONFIG_' "$config" | while read -r line; do
		grep -qx "$line" "$build/.config" || echo "$line"
	done)
	if [ -n "$missing" ]; then
		echo "debug-kernel: options not in the built config:" $missing >&2
		exit 1
	fi
	touch "$build/.ntdpc-built"
	echo "debug-kernel: built in $(( $(date +%s) - start ))s" >&2
fi
echo "$build"
