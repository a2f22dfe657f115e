#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: every test, on a fresh Debian 12 machine (installs what it
# needs) or a warm one (reuses ~/.cache/ntdpc).
#
#   1. ntdpc.ko builds with W=1 and no warning on Debian's 6.1 and 6.12
#   2. a companion module builds against the header and Module.symvers only
#   3. checkpatch --strict and sparse are clean (scripts/lint.sh)
#   4. DKMS builds it for the installed kernels and publishes Module.symvers
#   5. KUnit in UML (one CPU, lockdep, KASAN)
#   6. KUnit on x86_64 under QEMU with 4 vCPUs (lockdep, KASAN,
#      DEBUG_ATOMIC_SLEEP, CPU hotplug)
#   7. KUnit on x86_64 with 4 vCPUs under KCSAN (skip with NTDPC_SKIP_KCSAN=1)
#   8. ntdpc.ko and companion modules loaded and unloaded in Debian's own
#      6.1 and 6.12 kernels under QEMU with 4 vCPUs (tests/vm/modules.sh)
#   9. the demo (edu PCI driver and timer driver) traced with trace-cmd in
#      both kernels: drop-outs only with the hogging driver, the watchdog
#      names it (tests/vm/trace.sh); `make demo`'s path, with the report
#      checked against ntdpc's counters (scripts/demo.sh --check)
#  10. ntdpc-latency on that trace.dat and on broken ones (tests/report/)
#  11. a smoke run of the benchmark (scripts/bench.sh --smoke): every row
#      there and sane; its timings are never pass/fail
#
# Each stage's output goes to out/check/<stage>.log; the last line counts
# tests.
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

stage() {
	local name=$1 start rc
	shift
	start=$(date +%s)
	printf 'check: %-14s ' "$name"
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
	read -r p f s < <(sed -n 's/^[a-z0-9_.-]*: \([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\?$/\1 \2 \4/p' \
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

build_all() {
	local kdir n=0
	scripts/install-deps.sh build backports || return 1
	for kdir in $(ntdpc_kdirs); do
		echo "== $kdir"
		make -s KDIR="$kdir" clean
		make KDIR="$kdir" W=1 modules 2>&1 | tee "$NTDPC_OUT/build.tmp" || return 1
		if grep -E 'warning:|error:' "$NTDPC_OUT/build.tmp"; then
			echo "warnings building against $kdir" >&2
			return 1
		fi
		[ -f ntdpc.ko ] || return 1
		modinfo ntdpc.ko | grep -E '^(vermagic|license)'
		n=$((n + 1))
	done
	rm -f "$NTDPC_OUT/build.tmp"
	[ $n -ge 2 ] || { echo "expected 6.1 and 6.12 headers, found $n" >&2; return 1; }
}

companion() {
	local kdir
	kdir=$(ntdpc_kdirs | head -n1)
	make -s KDIR="$kdir" clean && make -s KDIR="$kdir" modules || return 1
	make -C samples/hello_dpc KDIR="$kdir" NTDPC="$NTDPC_REPO" 2>&1 | tee "$NTDPC_OUT/companion.tmp"
	grep -E 'warning:|error:' "$NTDPC_OUT/companion.tmp" && return 1
	modinfo samples/hello_dpc/hello_dpc.ko | grep -q '^depends:.*ntdpc' || return 1
	make -s -C samples/hello_dpc KDIR="$kdir" clean
	make -s KDIR="$kdir" clean
	rm -f "$NTDPC_OUT/companion.tmp"
}

dkms_build() {
	local ver kdir kver symvers
	scripts/install-deps.sh dkms build backports || return 1
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	dkms remove -m ntdpc -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/ntdpc-$ver"
	mkdir -p "/usr/src/ntdpc-$ver"
	cp -a Kbuild Makefile dkms.conf src include probes scripts \
		"/usr/src/ntdpc-$ver/" || return 1
	dkms add -m ntdpc -v "$ver" || return 1
	for kdir in $(ntdpc_kdirs); do
		kver=${kdir#/usr/src/linux-headers-}
		dkms build -m ntdpc -v "$ver" -k "$kver" || return 1
		symvers=/usr/src/ntdpc-$ver/symvers/$kver/Module.symvers
		grep -q 'KeInsertQueueDpc' "$symvers" || {
			echo "no Module.symvers published at $symvers" >&2
			return 1
		}
		echo "published $symvers"
	done
	dkms status -m ntdpc
	dkms remove -m ntdpc -v "$ver" --all
	rm -rf "/usr/src/ntdpc-$ver"
}

scripts/install-deps.sh all > "$NTDPC_OUT/install-deps.log" 2>&1 ||
	{ cat "$NTDPC_OUT/install-deps.log"; exit 1; }

count stage build build_all
count stage companion companion
count stage lint scripts/lint.sh
count stage dkms dkms_build
tests_stage kunit-um scripts/kunit.sh um
tests_stage kunit-x86_64 scripts/kunit.sh x86_64
if [ "${NTDPC_SKIP_KCSAN:-0}" = 1 ]; then
	echo "check: kunit-kcsan    skipped (NTDPC_SKIP_KCSAN=1)"
else
	tests_stage kunit-kcsan scripts/kunit.sh kcsan
fi
tests_stage vmtest-6.1 scripts/vm.sh 6.1 tests/vm/modules.sh
tests_stage vmtest-6.12 scripts/vm.sh 6.12 tests/vm/modules.sh
tests_stage vmconform-6.1 scripts/vm.sh 6.1 tests/vm/conformance.sh
tests_stage vmconform-6.12 scripts/vm.sh 6.12 tests/vm/conformance.sh
tests_stage vmtrace-6.12 scripts/vm.sh 6.12 tests/vm/trace.sh
tests_stage demo scripts/demo.sh --check 6.1
tests_stage report tests/report/run.sh out/demo/trace.dat
tests_stage bench-smoke scripts/bench.sh --smoke 6.1

[ ${#failures[@]} -eq 0 ] || echo "check: failed stages: ${failures[*]}"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ ${#failures[@]} -eq 0 ]
