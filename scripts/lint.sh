#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict (from Debian's kernel source) on every C file,
# kernel-doc on the sources and the public header, and sparse (C=1) on the
# module and on the companion modules (samples/, tests/vm/) built against
# each Debian kernel.  Any finding fails.
#
# checkpatch is told to ignore two rules the NT API contract breaks on
# purpose: CAMELCASE (KeInsertQueueDpc, SystemArgument1, ...) and
# NEW_TYPEDEFS (KDPC, PKDPC, KIRQL, ...).  Nothing else is ignored.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$NTDPC_REPO"

"$NTDPC_REPO/scripts/install-deps.sh" lint build kernels
src=$(ntdpc_kernel_source)
status=0

mkdir -p "$NTDPC_OUT"
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null |
		     grep -v '^include/ntdpc/trace.h$')
echo "lint: checkpatch --strict on $(( ${#files[@]} + 1 )) files"
"$src/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore CAMELCASE,NEW_TYPEDEFS -f "${files[@]}" \
	> "$NTDPC_OUT/checkpatch.txt" 2>&1 || true
# The TRACE_EVENT() language is laid out as in the kernel's own trace headers
# and samples/trace_events, which two of --strict's layout checks dislike.
"$src/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f include/ntdpc/trace.h \
	>> "$NTDPC_OUT/checkpatch.txt" 2>&1 || true
if grep -E ': (ERROR|WARNING|CHECK):' "$NTDPC_OUT/checkpatch.txt"; then
	echo "lint: checkpatch findings above" >&2
	status=1
fi

echo "lint: kernel-doc on src/ and include/"
if "$src/scripts/kernel-doc" -none src/*.c include/ntdpc/*.h 2>&1 | grep -i warning; then
	echo "lint: kernel-doc findings above" >&2
	status=1
fi

# sparse on ntdpc against the oldest kernel and the newest RT one
# (LINT_KERNELS, which takes any list), in the root its headers are in; the
# API differences between them are in probes/ and compiled on both; on the
# companions, through the public header alone (its SAL lock annotations are
# sparse contexts, and wdk_style's wrappers rely on it), against Debian 12's
# kernel and an RT one.  Every kernel's build is also W=1-clean (check.sh).
sparse() {
	local k=$1 what=$2 dir=$3
	shift 3
	if ! ntdpc_kernel_run "$k" make -s -j"$(nproc)" "$@" C=1 W=1 modules > "$NTDPC_OUT/sparse.txt" 2>&1; then
		cat "$NTDPC_OUT/sparse.txt" >&2
		status=1
	elif grep -E 'warning:|error:' "$NTDPC_OUT/sparse.txt"; then
		echo "lint: sparse findings above ($what, $k)" >&2
		status=1
	fi
}

for k in ${LINT_KERNELS:-6.1 7.3-rt}; do
	kdir=$(ntdpc_kernel_kdir "$k")
	echo "lint: sparse against $k"
	ntdpc_kernel_make "$k" -s clean >/dev/null
	sparse "$k" ntdpc . KDIR="$kdir"
	case $k in
	6.1|7.3-rt)
		for dir in samples/*/ tests/vm/; do
			dir=$NTDPC_REPO/${dir%/}
			sparse "$k" "${dir#"$NTDPC_REPO"/}" "$dir" -C "$kdir" M="$dir" \
				NTDPC="$NTDPC_REPO" KBUILD_EXTRA_SYMBOLS="$NTDPC_REPO/Module.symvers"
			ntdpc_kernel_run "$k" make -s -C "$kdir" M="$dir" NTDPC="$NTDPC_REPO" clean >/dev/null
		done ;;
	esac
	ntdpc_kernel_make "$k" -s clean >/dev/null
done
[ $status -eq 0 ] && echo "lint: clean"
exit $status
