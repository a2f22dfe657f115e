#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build ntdpc.ko and every companion of the tree (samples/*, tests/vm) for
# one supported kernel (scripts/kernels.sh), with W=1, in a private build
# tree: out/modules-<kernel>[-<backend>]/.  Any warning fails the build.
# The tree is rebuilt only when the sources or the kernel changed, so the
# VM runs of one kernel share one build.  Prints the build tree.
#
#   scripts/modules-build.sh <kernel>            e.g. 7.3-rt
#   NTDPC_BH=workqueue scripts/modules-build.sh 6.12-bpo
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel=${1:?kernel: $(ntdpc_kernels | tr '\n' ' ')6.1-debug}
cd "$NTDPC_REPO"
ntdpc_kernel_field "$kernel" 1 >/dev/null
"$NTDPC_REPO/scripts/install-deps.sh" build kernel "$kernel" >&2
[ "$kernel" = 6.1-debug ] && "$NTDPC_REPO/scripts/debug-kernel.sh" >/dev/null
kdir=$(ntdpc_kernel_kdir "$kernel")
bh=${NTDPC_BH:-}
# Only the command line below passes the choice on (make would take an empty
# one from the environment too).
unset NTDPC_BH
build=$NTDPC_OUT/modules-$kernel${bh:+-$bh}
sources=(Kbuild Makefile src include probes samples tests/vm)

# What the build depends on: the sources, the kernel, the backend.
stamp=$( {
	echo "$kernel $(ntdpc_kernel_release "$kernel") $bh"
	find "${sources[@]}" -type f \( -name '*.[ch]' -o -name Kbuild -o -name '*.mk' \
		-o -name Makefile \) -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-16)
# A `make clean` of the source tree (M=) deletes every .ko below it, out/
# included: the stamp counts only with the modules still there.
if [ -f "$build/.stamp" ] && [ "$(cat "$build/.stamp")" = "$stamp" ] &&
   [ -f "$build/ntdpc.ko" ] && [ -f "$build/tests/vm/ntdpc_vmtest.ko" ]; then
	echo "$build"
	exit 0
fi

rm -rf "$build"
mkdir -p "$build/tests"
cp -a Kbuild Makefile src include probes samples "$build/"
cp -a tests/vm "$build/tests/"
log=$build/build.log
jobs=$(nproc)
status=0
{
	ntdpc_kernel_run "$kernel" make -j"$jobs" -C "$build" KDIR="$kdir" W=1 \
		${bh:+NTDPC_BH=$bh} modules || status=1
	for dir in samples/*/ tests/vm/; do
		dir=${dir%/}
		ntdpc_kernel_run "$kernel" make -j"$jobs" -C "$kdir" M="$build/$dir" \
			NTDPC="$build" KBUILD_EXTRA_SYMBOLS="$build/Module.symvers" \
			W=1 modules || status=1
	done
} > "$log" 2>&1
if [ $status -ne 0 ] || grep -E 'warning:|error:|ERROR:' "$log" >&2; then
	echo "modules-build: $kernel: the build failed or warned (see $log)" >&2
	exit 1
fi
echo "$stamp" > "$build/.stamp"
echo "$build"
