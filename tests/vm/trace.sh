#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side: record the demo workload with trace-cmd and send trace.dat
# back.  The timer driver runs well-behaved, then with a driver hogging its
# CPU (drop-outs, watchdog), then with the hog deferred to a work item and to
# a threaded DPC (no drop-outs); the edu driver adds device interrupts and
# their DpcForIsr; ntdpc_vmtest adds DPCs on every CPU.
M=/modules

. /vmlib.sh

# The workload, run under trace-cmd.  The modules stay loaded until the
# recording ends, so that trace.dat knows their symbols.  Each phase runs the
# timer driver for two seconds (200 buffers) and records the drop-outs.
cat > /tmp/workload.sh <<'EOT'
. /vmlib.sh
M=/modules
P=/sys/module/timer_dpc/parameters
phase() {
	name=$1
	before=$(cat $P/dropouts)
	runs=$(cat $P/slow_runs)
	sleep 2
	echo $(( $(cat $P/dropouts) - before )) > /tmp/dropouts.$name
	echo $(( $(cat $P/slow_runs) - runs )) > /tmp/slow_runs.$name
	echo "TIMER_DPC $name dropouts=$(cat /tmp/dropouts.$name) periods=$(cat $P/periods) slow_runs=$(cat /tmp/slow_runs.$name)"
}
echo 0 > /sys/kernel/debug/ntdpc/stats
insmod $M/timer_dpc.ko rate_hz=100 slow_period_ms=100 cpu=1
phase good
echo 30000 > $P/slow_dpc_us
phase slow
echo work > $P/defer
phase work
echo threaded > $P/defer
phase threaded
echo 0 > $P/slow_dpc_us
# Device interrupts and their DpcForIsr: 100 factorials on the edu device.
insmod $M/edu_dpc.ko
edu_requests 100 0
insmod $M/ntdpc_vmtest.ko mode=basic
cat /sys/kernel/debug/ntdpc/stats > /tmp/stats.txt
EOT

expect load insmod $M/ntdpc.ko dpc_time_limit_us=2000
trace-cmd record -q -e ntdpc -e irq:irq_handler_entry -o /tmp/trace.dat \
	sh /tmp/workload.sh > /tmp/record.out 2>&1
cat /tmp/record.out
expect rmmod-workload sh -c "rmmod ntdpc_vmtest && rmmod edu_dpc && rmmod timer_dpc"
expect edu-answers test "$(grep -c ' ok$' /tmp/edu.out)" -eq 100
expect recorded test -s /tmp/trace.dat
# 200 buffers a phase.  What holds under any load of the host, measured in
# the same run: each 30 ms run of the hog costs the 10 ms buffers at least
# two drop-outs (a stalled vCPU only adds to them), except the last one,
# which may still run when the phase's counts are read, and every other phase
# loses fewer than half as many as the slow one.  The counts themselves are
# in the phases' lines above: emulation's jitter costs a buffer now and
# then.
good=$(cat /tmp/dropouts.good)
slow=$(cat /tmp/dropouts.slow)
work=$(cat /tmp/dropouts.work)
threaded=$(cat /tmp/dropouts.threaded)
hogs=$(cat /tmp/slow_runs.slow)
expect hog-ran test "$hogs" -ge 5
expect dropouts-slow test "$slow" -ge $((2 * (hogs - 1)))
expect fewer-dropouts-good test $((2 * good)) -lt "$slow"
expect fewer-dropouts-work test $((2 * work)) -lt "$slow"
expect fewer-dropouts-threaded test $((2 * threaded)) -lt "$slow"
# The log line is rate-limited (one per 5 s), and a cold first run of any
# DPC may take it; the trace has every report.
expect watchdog-logged logged "ntdpc: DPC watchdog: .*(module timer_dpc)"
expect watchdog-named sh -c 'trace-cmd report /tmp/trace.dat 2>/dev/null | grep -q "ntdpc_watchdog:.*routine=SlowDpc.*module=timer_dpc.*single"'
# Traced, the statistics were timed: the threaded phase's DPCs show in the
# threaded list's rows on some CPU, as the ordinary ones in theirs.
for row in max_latency_ns dpc_time_ns threaded_depth_high \
	   threaded_max_latency_ns threaded_time_ns; do
	expect "stats-$row" awk -v row="$row:" \
		'$1 == row { for (i = 2; i <= NF; i++) if ($i > 0) ok = 1 } END { exit !ok }' \
		/tmp/stats.txt
done
cat /sys/kernel/debug/ntdpc/stats
vmexport /tmp/trace.dat trace.dat
vmexport /tmp/stats.txt stats.txt
grep TIMER_DPC /tmp/record.out > /tmp/phases.txt
vmexport /tmp/phases.txt phases.txt
dmesg > /tmp/dmesg.txt
vmexport /tmp/dmesg.txt dmesg.txt
expect rmmod-ntdpc rmmod ntdpc
expect no-splat sh -c '! dmesg | grep -E "BUG:|WARNING:|Oops|general protection|sleeping function"'
echo "VMTEST DONE"
