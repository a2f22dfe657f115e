#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the conformance stage (scripts/vm.sh <series>
# tests/vm/conformance.sh): nt_conformance.ko, built against the public
# header alone, checks NT's documented DPC semantics.  Each of its
# "CONFORM PASS|FAIL <name>" kernel log lines becomes one
# "VMTEST PASS|FAIL conform:<name>" line; "CONFORM INFO" lines (outcomes NT
# does not document) are echoed as "info:" lines and count for nothing.
# After every mode the kernel log must be free of splats.
M=/modules

. /vmlib.sh

# The kernel's own reports; ntdpc's misuse reports (mode=bad provokes them)
# are plain pr_err lines and do not match.
splat() { dmesg | grep -E "BUG:|WARNING:|Oops|general protection|INFO: possible|sleeping function"; }
no_splat() { ! splat; }

# report MODE: the module's lines in the kernel log since the last
# "dmesg -c", as VMTEST and info lines; then clear the log.  A load that
# failed ran its checks twice (see load), so each result is reported once.
report() {
	dmesg | grep 'CONFORM ' > /tmp/conform.txt
	sed -n -e 's/.*CONFORM PASS \([^ ]*\).*/VMTEST PASS conform:\1/p' \
		-e 's/.*CONFORM FAIL \([^:]*\): \(.*\)/VMTEST FAIL conform:\1: \2/p' \
		/tmp/conform.txt | awk '!seen[$0]++'
	sed -n 's/.*CONFORM INFO \(.*\)/info: \1/p' /tmp/conform.txt
	expect "no-splat-$1" no_splat
	splat | head -n 20
	dmesg -c > /dev/null
}

# load MODE: insmod nt_conformance.ko mode=MODE, checked as MODE-insmod;
# true when the module is then loaded.  In the modes with checks its init
# fails (-EINVAL, as lib/test_printf.c's does) when one of them failed, so
# that failure fails the insmod too and leaves no module to rmmod.  Busybox
# insmod tries init_module() when finit_module() fails: such a load runs
# the module's init, and its checks, twice.
load() {
	expect "$1-insmod" insmod $M/nt_conformance.ko "mode=$1"
	[ -d /sys/module/nt_conformance ] && return
	echo "info: $1: nt_conformance is not loaded, nothing to rmmod"
	return 1
}

expect load-ntdpc insmod $M/ntdpc.ko

# mode=main: the documented semantics, from a thread bound to CPU 1; the
# module's init returns when they have all run.
load main && expect main-rmmod rmmod nt_conformance
dmesg | grep "CONFORM SUMMARY"
expect main-summary logged "CONFORM SUMMARY [0-9]* passed 0 failed"
report main

# mode=bad: invalid targets, NULL, zeroed and garbage DPCs, IRQL misuse.
# Each step is announced first, so a crash names it.
load bad && expect bad-rmmod rmmod nt_conformance
expect bad-summary logged "CONFORM SUMMARY-BAD [0-9]* passed 0 failed"
report bad

# mode=unload: DPCs (self-requeueing, Low, threaded) on every CPU, a 1 ms
# periodic timer and a sleeping work item left behind for an immediate rmmod.
load unload && sleep 0.1 && expect unload-rmmod rmmod nt_conformance
expect unload-timer-cancelled logged "ntdpc: module nt_conformance unloaded with 1 timer(s) set"
sleep 2
report unload
expect unload-ntdpc-rmmod rmmod ntdpc

# mode=nothreads: ntdpc with ThreadDpcEnable=0 runs a threaded DPC as an
# ordinary one, at DISPATCH_LEVEL on its target CPU.
expect nothreads-load-ntdpc insmod $M/ntdpc.ko ThreadDpcEnable=0
# A failed check leaves only ntdpc to remove.
if load nothreads; then
	expect nothreads-rmmod sh -c "rmmod nt_conformance && rmmod ntdpc"
else
	expect nothreads-rmmod rmmod ntdpc
fi
dmesg | grep "CONFORM SUMMARY-NOTHREADS"
report nothreads

echo "VMTEST DONE"
