#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the hostile stage (scripts/vm.sh <kernel> tests/vm/hostile.sh):
# ntdpc_hostile.ko, built against the public header only, loaded once per
# pattern (tests/vm/ntdpc_hostile.c lists them): each "HOSTILE PASS|FAIL"
# line it logs becomes a "VMTEST PASS|FAIL hostile:<name>" line, and the
# kernel log must have none of the kernel's reports after each pattern
# (scripts/vm.sh checks the whole console as well).
M=/modules
. /vmlib.sh
ncpu=$(grep -c ^processor /proc/cpuinfo)
last=$((ncpu - 1))
SPLAT='BUG:|WARNING:|Oops|general protection|INFO: possible|sleeping function|ODEBUG|KASAN|list_add corruption|list_del corruption|stall|soft lockup'

# The module's result lines since the last call.
results() {
	dmesg -c > /tmp/mode.log
	sed -n -e 's/.*HOSTILE PASS \([^ ]*\).*/VMTEST PASS hostile:\1/p' \
		-e 's/.*HOSTILE FAIL \([^ ]*\) \(.*\)/VMTEST FAIL hostile:\1: \2/p' /tmp/mode.log
	grep -o 'HOSTILE INFO .*' /tmp/mode.log | head -n 40
	if grep -E "$SPLAT" /tmp/mode.log > /tmp/splat; then
		fail "no-splat-$1" "$(head -n 5 /tmp/splat | tr '\n' '|')"
	else
		pass "no-splat-$1"
	fi
}

# mode MODE [PARAM...]: one pattern, loaded and unloaded.
mode() {
	m=$1
	shift
	expect "$m-load" insmod $M/ntdpc_hostile.ko mode="$m" "$@"
	expect "$m-rmmod" rmmod ntdpc_hostile
}

[ "$ncpu" -ge 3 ] || { fail vcpus "the patterns need 3 CPUs, the guest has $ncpu"; echo "VMTEST DONE"; exit 0; }
mount -t debugfs none /sys/kernel/debug 2>/dev/null
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
expect load insmod $M/ntdpc.ko
dmesg -c > /dev/null

mode fifo iters=100
results fifo
mode threaded
results threaded
# A threaded DPC's waits are refused with a report naming the caller.
expect threaded-reported grep -q 'ntdpc: .*caller .*\[ntdpc_hostile\]' /tmp/mode.log
mode reinit
results reinit
expect reinit-reported grep -q 'ntdpc: .*caller .*\[ntdpc_hostile\]' /tmp/mode.log
# The exit tracepoint on: it must not read a KDPC its routine freed.
echo 1 > /sys/kernel/tracing/events/ntdpc/enable 2>/dev/null
mode selffree
echo 0 > /sys/kernel/tracing/events/ntdpc/enable 2>/dev/null
results selffree
mode timerrace
results timerrace
mode timerreinit
results timerreinit
mode eventreinit
results eventreinit
mode bhrace
results bhrace
mode atdpclevel iters=300
results atdpclevel
expect atdpclevel-reported grep -q 'AtDpcLevel.*caller .*\[ntdpc_hostile\]' /tmp/mode.log
mode genericrequeue
results genericrequeue
expect genericrequeue-reported \
	grep -q 'KeGenericCallDpc() handed.*caller .*\[ntdpc_hostile\]' /tmp/mode.log
mode stacktimer
results stacktimer
mode apcdrain
results apcdrain
mode irqmix
results irqmix
expect irqmix-reported \
	grep -q 'interrupts disabled outside ntdpc.*caller .*\[ntdpc_hostile\]' /tmp/mode.log

# DPCs requeueing themselves on the last CPU while it goes offline and
# back; checked when the module goes.
expect hotplug-load insmod $M/ntdpc_hostile.ko mode=hotplug cpu=$last
sleep 0.5
expect hotplug-offline offline_within 30 $last
sleep 0.5
expect hotplug-online sh -c "echo 1 > /sys/devices/system/cpu/cpu$last/online"
sleep 0.5
expect hotplug-rmmod rmmod ntdpc_hostile
results hotplug

# Everything left running at rmmod: self-requeueing DPCs, a periodic timer
# and a one-shot re-armed from its DPC, a work item queueing itself.
i=1
while [ $i -le 5 ]; do
	expect "unload-load-$i" insmod $M/ntdpc_hostile.ko mode=unload
	sleep 0.3
	expect "unload-rmmod-$i" rmmod ntdpc_hostile
	i=$((i + 1))
done
sleep 1
results unload

expect rmmod-ntdpc rmmod ntdpc
results end
echo "VMTEST DONE"
