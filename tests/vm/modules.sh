#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the VM tests (busybox sh, run as /init's test script):
# load ntdpc.ko and companion modules on Debian's own kernel, unload them in
# every order the kernel allows, and report "VMTEST PASS|FAIL <name>" lines.
M=/modules
ncpu=$(grep -c ^processor /proc/cpuinfo)

. /vmlib.sh
threads() { ps -o comm | grep '^ntdpc/' | wc -l; }

expect load insmod $M/ntdpc.ko
expect load-message logged "ntdpc: NT DPCs on $ncpu CPUs"
expect threads-per-cpu test "$(threads)" -eq "$ncpu"
mount -t debugfs none /sys/kernel/debug 2>/dev/null
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing
expect trace-events test -d $T/events/ntdpc
echo 1 > $T/events/ntdpc/enable
# The kernel's hist triggers on ntdpc's events: runtime per routine.
expect hist-trigger sh -c "echo 'hist:keys=routine.sym,runtime_ns.log2' > $T/events/ntdpc/ntdpc_exit/trigger"
expect companion-basic insmod $M/ntdpc_vmtest.ko mode=basic
expect companion-basic-result logged "ntdpc_vmtest: basic ok: $((2 * ncpu)) DPCs on $ncpu CPUs"
echo 0 > $T/events/ntdpc/enable
grep -m3 'routine:' $T/events/ntdpc/ntdpc_exit/hist
expect hist-per-routine grep -q "routine:.*VmDeferredRoutine" $T/events/ntdpc/ntdpc_exit/hist
echo '!hist:keys=routine.sym,runtime_ns.log2' > $T/events/ntdpc/ntdpc_exit/trigger
expect trace-queue grep -q "ntdpc_queue:.*routine=VmDeferredRoutine" $T/trace
expect trace-entry grep -q "ntdpc_entry:.*routine=VmDeferredRoutine.*latency_ns=" $T/trace
expect trace-exit grep -q "ntdpc_exit:.*runtime_ns=" $T/trace
expect trace-threaded grep -q "ntdpc_entry:.*threaded" $T/trace
expect stats-file sh -c "grep -q '^ *run:' /sys/kernel/debug/ntdpc/stats && grep -q CPU$((ncpu - 1)) /sys/kernel/debug/ntdpc/stats"
expect hello-dpc insmod $M/hello_dpc.ko
expect hello-dpc-result logged "hello_dpc: $ncpu of $ncpu DPCs ran"

# A companion written as the WDK's samples are (SAL, role types, IN/OUT,
# DbgPrint and KdPrint, the list routines, Interlocked on volatile LONGs) and
# built as a checked build with -Werror: its checks, KdPrint's output, and
# the printk level each DbgPrintEx Level gets (dmesg -r shows it as <N>).
dbg_level() { dmesg -r | sed -n "s/^<\([0-9]*\)>.*wdk_style: level $1\$/\1/p" | head -n1; }
expect wdk-style-load insmod $M/wdk_style.ko
dmesg | grep 'wdk_style: FAIL' || true
expect wdk-style-result logged "wdk_style: result ok, [0-9]* checks"
expect wdk-style-kdprint logged "wdk_style: KdPrint 42 checked"
expect wdk-style-error-level test "$(dbg_level error)" = 3
expect wdk-style-warning-level test "$(dbg_level warning)" = 4
expect wdk-style-trace-level test "$(dbg_level trace)" = 6
expect wdk-style-info-level test "$(dbg_level info)" = 6
expect wdk-style-dbgprint-level test "$(dbg_level dbgprint)" = 6
expect wdk-style-own-level test "$(dbg_level five)" = 7
expect wdk-style-mask-level test "$(dbg_level mask6)" = 4
expect wdk-style-kdprintex-level test "$(dbg_level kdprintex)" = 4
expect wdk-style-rmmod rmmod wdk_style
refuse rmmod-ntdpc-in-use rmmod ntdpc
expect rmmod-hello rmmod hello_dpc
expect rmmod-companion rmmod ntdpc_vmtest
# A threaded DPC that keeps its CPU's DPC thread busy leaves room for a
# higher real-time thread (a scheduling point between routines).
expect companion-yield insmod $M/ntdpc_vmtest.ko mode=yield
expect companion-yield-result logged "ntdpc_vmtest: yield ok"
expect rmmod-companion-yield rmmod ntdpc_vmtest

# drain_budget 0 would let no drain run anything: refused, the value kept.
NP=/sys/module/ntdpc/parameters
refuse drain-budget-zero sh -c "echo 0 > $NP/drain_budget"
expect drain-budget-kept test "$(cat $NP/drain_budget)" -eq 64
expect drain-budget-set sh -c "echo 16 > $NP/drain_budget && echo 64 > $NP/drain_budget"

# The edu PCI driver: requests from user space, many outstanding, completed
# by the DpcForIsr.  The device's DMA takes 100 ms (virtual) a transfer.
expect edu-load insmod $M/edu_dpc.ko
expect edu-dev test -c /dev/edu_dpc
edu_requests 60 15
expect edu-answers test "$(grep -c ' ok$' /tmp/edu.out)" -eq 64
expect edu-factorial grep -q '^fact 13 1932053504 ok$' /tmp/edu.out
expect edu-dma grep -q '^dma 3016 45 ok$' /tmp/edu.out
S=/sys/kernel/debug/edu_dpc/stats
expect edu-dispatch-level grep -q '^not_dispatch_level 0$' $S
expect edu-isr-cpu grep -q '^not_isr_cpu 0$' $S
expect edu-completed grep -q '^completed 64$' $S
cat $S
expect edu-rmmod rmmod edu_dpc

# Interrupts faster than DPCs: a 20 ms DpcForIsr while the factorial unit and
# the DMA engine both interrupt.  Interrupts fold into fewer DPC calls, and
# no request is lost.  On PREEMPT_RT the interrupt handler is a thread, and
# the DPC it queues runs in that thread as the handler returns: the next
# interrupt of the device waits for it, so there are as many calls at most.
expect edu-slow-load insmod $M/edu_dpc.ko dpc_delay_us=20000
edu_requests 60 15
expect edu-slow-answers test "$(grep -c ' ok$' /tmp/edu.out)" -eq 64
expect edu-slow-completed grep -q '^completed 64$' $S
irqs=$(sed -n 's/^interrupts //p' $S)
dpcs=$(sed -n 's/^dpc_calls //p' $S)
echo "edu_dpc with a slow DPC: $irqs interrupts, $dpcs DPC calls"
if uname -v | grep -q PREEMPT_RT; then
	expect edu-slow-coalesced test "$dpcs" -le "$irqs"
else
	expect edu-slow-coalesced test "$dpcs" -lt "$irqs"
fi
expect edu-slow-rmmod rmmod edu_dpc

# A companion unloaded while its DPCs keep queueing themselves.
expect leak-load insmod $M/ntdpc_vmtest.ko mode=leak
sleep 1
expect leak-rmmod rmmod ntdpc_vmtest
# Both timers (the periodic one, and the one its own DPC sets again) are
# cancelled, or the latter's DPC was queued or refused meanwhile.
expect leak-cancelled logged "ntdpc: module ntdpc_vmtest unloaded with [12] timer(s) set, [0-9]* DPC(s) and [01] work item(s) queued: cancelled them"
sleep 1
expect leak-no-oops sh -c '! dmesg | grep -q -E "Oops|BUG:|general protection"'

# CPU hotplug with the module loaded: offline the last CPU, run, online it.
last=$((ncpu - 1))
if [ -w /sys/devices/system/cpu/cpu$last/online ]; then
	expect cpu-offline offline_within 20 $last
	expect threads-after-offline test "$(threads)" -ge "$last"
	expect companion-offline insmod $M/ntdpc_vmtest.ko mode=basic
	expect companion-offline-result logged "basic ok: $((2 * last)) DPCs on $last CPUs"
	expect rmmod-offline rmmod ntdpc_vmtest
	expect cpu-online sh -c "echo 1 > /sys/devices/system/cpu/cpu$last/online"
	expect companion-online insmod $M/ntdpc_vmtest.ko mode=basic
	expect rmmod-online rmmod ntdpc_vmtest
fi

# A threaded DPC that calls what is PASSIVE_LEVEL-only outside DPCs is
# refused at once, instead of waiting for its own thread.
expect passive insmod $M/ntdpc_vmtest.ko mode=passive
expect passive-result logged "ntdpc_vmtest: passive ok"
expect passive-rmmod rmmod ntdpc_vmtest

# A CPU that a threaded and an ordinary DPC keep busy still goes offline,
# within seconds even under emulation (the time it took is printed).
if [ -w /sys/devices/system/cpu/cpu$last/online ]; then
	expect busy-load insmod $M/ntdpc_vmtest.ko mode=busy cpu=$last
	sleep 0.5
	expect busy-offline offline_within 20 $last
	expect busy-online sh -c "echo 1 > /sys/devices/system/cpu/cpu$last/online"
	expect busy-rmmod rmmod ntdpc_vmtest
fi

expect rmmod-ntdpc rmmod ntdpc
expect threads-gone test "$(threads)" -eq 0

# Threaded DPCs disabled: they run as ordinary DPCs at DISPATCH_LEVEL.
expect load-nothreads insmod $M/ntdpc.ko ThreadDpcEnable=0
expect no-threads test "$(threads)" -eq 0
expect companion-nothreads insmod $M/ntdpc_vmtest.ko mode=basic threads=0
expect rmmod-nothreads sh -c "rmmod ntdpc_vmtest && rmmod ntdpc"

expect no-splat sh -c '! dmesg | grep -E "BUG:|WARNING:|Oops|general protection|INFO: possible|sleeping function"'
echo "VMTEST DONE"
