#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the benchmark (scripts/bench.sh): load ntdpc.ko, run
# samples/bench_dpc once for every group but tracing, twice more with the
# ntdpc trace events off and on, once with ntdpc's latency_stats=1, and
# send its log lines back as bench.txt.  ITERATIONS may be set by a line
# prepended to this script (scripts/bench.sh --smoke does that); the guest
# has no other way to be told.
M=/modules
T=/sys/kernel/tracing
ITERATIONS=${ITERATIONS:-2000}

. /vmlib.sh
events() { echo "$1" > $T/events/ntdpc/enable; }

echo "BENCH clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" \
	"cpus=$(grep -c ^processor /proc/cpuinfo) iterations=$ITERATIONS"
expect load insmod $M/ntdpc.ko
expect trace-events test -d $T/events/ntdpc
# The results go to the log; the serial console need not print them all.
echo 4 > /proc/sys/kernel/printk

events 0
expect bench insmod $M/bench_dpc.ko iterations="$ITERATIONS"
expect bench-rmmod rmmod bench_dpc
expect bench-trace-off insmod $M/bench_dpc.ko iterations="$ITERATIONS" only=trace_off
expect bench-trace-off-rmmod rmmod bench_dpc
events 1
expect bench-trace-on insmod $M/bench_dpc.ko iterations="$ITERATIONS" only=trace_on
events 0
# Read while the module is loaded: the trace prints its routine by name.
expect trace-recorded grep -q "ntdpc_entry:.*routine=BenchDeferredRoutine" $T/trace
echo 0 > $T/trace
expect bench-trace-on-rmmod rmmod bench_dpc

# Once more with ntdpc's insertion timestamps and routine times on
# (latency_stats=1), to show what they cost.
expect ntdpc-rmmod rmmod ntdpc
expect load-stats insmod $M/ntdpc.ko latency_stats=1
expect bench-stats insmod $M/bench_dpc.ko iterations="$ITERATIONS" only=insert,hardirq,tput tag=_stats
expect bench-stats-rmmod rmmod bench_dpc

# The kernel may have changed its mind (TSC found unstable) during the run.
echo "BENCH clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

dmesg | grep 'bench_dpc: ' | sed 's/^\[[^]]*\] //' > /tmp/bench.txt
cat /tmp/bench.txt
vmexport /tmp/bench.txt bench.txt
expect bench-done test "$(grep -c 'bench_dpc: DONE' /tmp/bench.txt)" -eq 4
expect bench-no-error sh -c '! grep -q "bench_dpc: ERROR" /tmp/bench.txt'
expect rmmod-ntdpc rmmod ntdpc
expect no-splat sh -c '! dmesg | grep -E "BUG:|WARNING:|Oops|general protection|INFO: |sleeping function"'
echo "VMTEST DONE"
