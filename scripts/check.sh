#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, on a fresh Debian 12 machine (installs what it
# needs) or a warm one (reuses ~/.cache/ntdpc), on every supported kernel
# (scripts/kernels.sh: 6.1, 6.12-bpo, 6.12-bpo-rt, 6.12, 6.12-rt, 7.3,
# 7.3-rt) and the debug kernel (6.1-debug).
#
#   build       ntdpc.ko and every companion (samples, tests, the bench) with
#               W=1 and no warning against every kernel; the BH-workqueue
#               backend too (NTDPC_BH=workqueue)
#   companion   a companion builds against the header and Module.symvers only
#   lint        checkpatch --strict, kernel-doc, sparse (scripts/lint.sh)
#   dkms        dkms builds it for every kernel (Debian 13's in the trixie
#               root) and publishes Module.symvers
#   kunit-*     KUnit in UML, on x86_64 with 4 vCPUs (lockdep with raw-lock
#               nesting, KASAN, DEBUG_ATOMIC_SLEEP, hotplug), under KCSAN,
#               and under PREEMPT_RT with lockdep (linux-source-6.12)
#   vmtest-*    the module tests in each kernel under QEMU (tests/vm/modules.sh)
#   vmconform-* the NT conformance stage (tests/vm/conformance.sh)
#   vmhostile-* hostile driver patterns, one load each (tests/vm/hostile.sh)
#   vmtrace-*   the demo recorded and checked (tests/vm/trace.sh)
#   stress-*    the stress suite, short (scripts/stress.sh)
#   demo        `make demo`'s path on 6.1, the report against the counters
#   report      ntdpc-latency on that trace.dat and on broken ones
#   bench-smoke the benchmark's every row, sane (never pass/fail on time)
#
# The two 6.12s share their VM runs: Debian 13's gets the conformance stage,
# bookworm-backports' the rest.  Each stage's output goes to
# out/check/<stage>.log; the last line counts tests.  NTDPC_SKIP_KCSAN=1
# skips the KCSAN run; STRESS_DURATION (default 20 s) sets the stress runs'.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$NTDPC_REPO"
mkdir -p "$NTDPC_OUT"
logdir=$NTDPC_OUT/check
mkdir -p "$logdir"

passed=0
failed=0
skipped=0
failures=()
check_start=$(date +%s)

stage() {
	local name=$1 start rc
	shift
	start=$(date +%s)
	printf 'check: %-20s ' "$name"
	"$@" > "$logdir/$name.log" 2>&1
	rc=$?
	printf '%s (%ss)\n' "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$(( $(date +%s) - start ))"
	grep -h '^[a-z0-9_.-]*: [0-9]* passed' "$logdir/$name.log" | sed 's/^/check:   /'
	if [ $rc -ne 0 ]; then
		tail -n 30 "$logdir/$name.log" | sed 's/^/    | /'
		failures+=("$name")
	fi
	return $rc
}

# Count a test stage's own tests rather than the stage.
tests_stage() {
	local name=$1 p f s
	shift
	stage "$name" "$@"
	read -r p f s < <(sed -n 's/^[a-z0-9_.-]*: \([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\?.*$/\1 \2 \4/p' \
		"$logdir/$name.log" | tail -n1)
	s=${s:-0}
	if [ -z "${p:-}" ]; then
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# A run that failed outside the tests (a splat, a build error) counts too.
	if [ "$f" -eq 0 ] && [[ " ${failures[*]} " == *" $name "* ]]; then
		failed=$((failed + 1))
	fi
}

count() {
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

# ntdpc and every companion, W=1, per kernel (scripts/modules-build.sh,
# whose trees the VM runs then reuse); the other backend where it exists.
build_all() {
	local k
	for k in $(ntdpc_kernels) 6.1-debug; do
		echo "== $k"
		scripts/modules-build.sh "$k" || return 1
		modinfo -F vermagic "$NTDPC_OUT/modules-$k/ntdpc.ko"
	done
	echo "== 6.12-bpo, NTDPC_BH=workqueue"
	NTDPC_BH=workqueue scripts/modules-build.sh 6.12-bpo || return 1
}

companion() {
	local k=6.1 kdir
	kdir=$(ntdpc_kernel_kdir $k)
	make -s KDIR="$kdir" clean && make -s KDIR="$kdir" modules || return 1
	make -C samples/hello_dpc KDIR="$kdir" NTDPC="$NTDPC_REPO" 2>&1 | tee "$NTDPC_OUT/companion.tmp"
	grep -E 'warning:|error:' "$NTDPC_OUT/companion.tmp" && return 1
	modinfo samples/hello_dpc/hello_dpc.ko | grep -q '^depends:.*ntdpc' || return 1
	make -s -C samples/hello_dpc KDIR="$kdir" clean
	make -s KDIR="$kdir" clean
	rm -f "$NTDPC_OUT/companion.tmp"
}

# dkms build for one kernel, where its headers are; Module.symvers published.
dkms_one() {
	local k=$1 ver=$2 rel symvers
	rel=$(ntdpc_kernel_release "$k")
	ntdpc_kernel_run "$k" dkms build -m ntdpc -v "$ver" -k "$rel" || return 1
	symvers=$(ntdpc_kernel_rootdir "$k")/usr/src/ntdpc-$ver/symvers/$rel/Module.symvers
	grep -q 'KeInsertQueueDpc' "$symvers" || {
		echo "no Module.symvers published at $symvers" >&2
		return 1
	}
	echo "published $symvers"
}

dkms_build() {
	local ver k root
	scripts/install-deps.sh dkms build kernels || return 1
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	for root in "" "$NTDPC_TRIXIE"; do
		k=6.1
		[ -n "$root" ] && k=7.3
		ntdpc_kernel_run "$k" sh -c "dkms remove -m ntdpc -v $ver --all >/dev/null 2>&1; rm -rf /usr/src/ntdpc-$ver"
		mkdir -p "$root/usr/src/ntdpc-$ver"
		cp -a Kbuild Makefile dkms.conf src include probes scripts \
			"$root/usr/src/ntdpc-$ver/" || return 1
		ntdpc_kernel_run "$k" dkms add -m ntdpc -v "$ver" || return 1
	done
	for k in $(ntdpc_kernels); do
		echo "== $k"
		dkms_one "$k" "$ver" || return 1
	done
	for k in 6.1 7.3; do
		ntdpc_kernel_run "$k" dkms status -m ntdpc
		ntdpc_kernel_run "$k" sh -c "dkms remove -m ntdpc -v $ver --all && rm -rf /usr/src/ntdpc-$ver"
	done
}

stress() {
	DURATION=${STRESS_DURATION:-20} UNLOAD_CYCLES=${STRESS_CYCLES:-10} scripts/stress.sh "$1"
}

scripts/install-deps.sh all > "$NTDPC_OUT/install-deps.log" 2>&1 ||
	{ cat "$NTDPC_OUT/install-deps.log"; exit 1; }

# companion and lint build in the source tree and clean it, which deletes
# the .ko files below it (out/ too): before the build trees are made.
count stage companion companion
count stage lint scripts/lint.sh
count stage build build_all
count stage dkms dkms_build
tests_stage kunit-um scripts/kunit.sh um
tests_stage kunit-x86_64 scripts/kunit.sh x86_64
if [ "${NTDPC_SKIP_KCSAN:-0}" = 1 ]; then
	echo "check: kunit-kcsan          skipped (NTDPC_SKIP_KCSAN=1)"
else
	tests_stage kunit-kcsan scripts/kunit.sh kcsan
fi
tests_stage kunit-rt scripts/kunit.sh rt

for k in 6.1 6.12-bpo 6.12-bpo-rt 7.3 7.3-rt 6.1-debug; do
	tests_stage "vmtest-$k" scripts/vm.sh "$k" tests/vm/modules.sh
done
VM_NTDPC_BH=workqueue tests_stage vmtest-6.12-bpo-wqbh scripts/vm.sh 6.12-bpo tests/vm/modules.sh
for k in 6.1 6.12 6.12-rt 7.3 7.3-rt 6.1-debug; do
	tests_stage "vmconform-$k" scripts/vm.sh "$k" tests/vm/conformance.sh
done
for k in $(ntdpc_kernels) 6.1-debug; do
	tests_stage "vmhostile-$k" scripts/vm.sh "$k" tests/vm/hostile.sh
done
for k in 6.12-bpo 6.12-bpo-rt 7.3 7.3-rt; do
	tests_stage "vmtrace-$k" scripts/vm.sh "$k" tests/vm/trace.sh
done
for k in 6.1 6.12-bpo-rt 7.3-rt 6.1-debug; do
	tests_stage "stress-$k" stress "$k"
done
tests_stage demo scripts/demo.sh --check 6.1
tests_stage report tests/report/run.sh out/demo/trace.dat
tests_stage bench-smoke scripts/bench.sh --smoke 6.1

[ ${#failures[@]} -eq 0 ] || echo "check: failed stages: ${failures[*]}"
echo "check: $passed passed, $failed failed, $skipped skipped in $(( $(date +%s) - check_start ))s"
[ "$failed" -eq 0 ] && [ ${#failures[@]} -eq 0 ]
