#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make stress` (scripts/stress.sh runs it with scripts/vm.sh):
#
#   stress   ntdpc_stress.ko mode=stress loads ntdpc for DURATION seconds
#            from every CPU and context (tests/vm/ntdpc_stress.c) while,
#            in the background, CPUs 1..3 go offline and online again
#            (hotplug); then it stops everything and checks its
#            invariants.  Each "STRESS PASS|FAIL <check>" line of its
#            becomes a "VMTEST PASS|FAIL stress:<check>" line.
#   unload   UNLOAD_CYCLES times: insmod ntdpc_stress.ko mode=leave, which
#            leaves thousands of DPCs, self-requeueing DPCs and threaded
#            DPCs, self-rearming and periodic timers and sleeping work items
#            running, and rmmod at once: ntdpc must stop all of it before
#            the module's memory goes.
#
# Any splat, a hotplug operation or a module load that does not finish in
# time (it is reported, not waited for), a lost or duplicated DPC fails.
# The guest has no environment: scripts/stress.sh prepends DURATION and
# SKIP, a list of phases not to run, since some crash today's ntdpc:
#   stress hotplug unload                        whole phases
#   hardirq dpc passive dispatch remove retarget flush timers workitems
#   generic selfq busy hammer                    load sources of the stress
#   unload-dpcs unload-threaded unload-rearm unload-timers unload-work
#                                                what mode=leave leaves
DURATION=${DURATION:-60}
SKIP=${SKIP:-}
UNLOAD_CYCLES=${UNLOAD_CYCLES:-$((DURATION / 4 + 5))}
HOTPLUG_TIMEOUT=${HOTPLUG_TIMEOUT:-30}
STRESS_GRACE=${STRESS_GRACE:-300}
M=/modules
P=/sys/module/ntdpc_stress/parameters

. /vmlib.sh

SPLAT='BUG:|WARNING:|Oops|general protection|INFO: possible|sleeping function|INFO: task .* blocked|rcu.*stall|soft lockup'

skipped() {
	case " $SKIP " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# A marker in the console and in the kernel log, so that a crash names
# the phase it happened in.
phase() {
	echo "STRESS PHASE $1"
	echo "STRESS PHASE $1" > /dev/kmsg
}

# Seconds since boot, in $up.  Time limits go by this clock, not by a count
# of sleeps: under the load a "sleep 0.1" can take seconds.
uptime_s() {
	read -r up _ < /proc/uptime
	up=${up%.*}
}

# wait_file FILE SECS: until FILE is not empty, SECS seconds at most.
wait_file() {
	uptime_s
	deadline=$((up + $2))
	while [ ! -s "$1" ]; do
		uptime_s
		[ "$up" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# bounded TAG SECS COMMAND...: COMMAND in the background, for SECS seconds
# at most; its status, or 124 if it did not finish.  A command stuck in
# the kernel cannot be killed: it is left behind and reported.
bounded() {
	tag=$1
	secs=$2
	shift 2
	rm -f /tmp/$tag.rc
	( "$@" > /tmp/$tag.out 2>&1; echo $? > /tmp/$tag.rc ) &
	wait_file /tmp/$tag.rc "$secs" || return 124
	return "$(cat /tmp/$tag.rc)"
}

# The state of a hang, for the diagnosis: blocked tasks, every CPU's
# backtrace, the hotplug and DPC threads whatever their state (a starved
# one is not blocked), ntdpc's counters.  /proc/sysrq-trigger ignores the
# sysrq mask.
dump_hang() {
	echo w > /proc/sysrq-trigger
	echo l > /proc/sysrq-trigger
	for d in /proc/[0-9]*; do
		read -r comm 2>/dev/null < $d/comm || continue
		case $comm in
		cpuhp/* | ntdpc/*)
			read -r _ _ state _ < $d/stat
			echo "stress: task $comm state $state wchan $(cat $d/wchan 2>/dev/null)"
			sed 's/^/stress:   /' $d/stack 2>/dev/null
			;;
		esac
	done
	cat /sys/kernel/debug/ntdpc/stats 2>/dev/null
}

# The kernel log since the last call, kept in /tmp/phase.log.
phase_log() {
	dmesg -c > /tmp/phase.log
}

# no_splat NAME: the phase's kernel log has none of the kernel's reports.
no_splat() {
	if grep -E "$SPLAT" /tmp/phase.log > /tmp/splat; then
		fail "$1" "$(head -n 5 /tmp/splat | tr '\n' '|')"
	else
		pass "$1"
	fi
}

# CPU hotplug in the background: every CPU of HOTPLUG_CPUS offline and
# online again, until /tmp/hotplug.stop, bumping ntdpc_stress's
# hotplug_gen before and after each operation (odd: one in progress).  An
# operation that takes over HOTPLUG_TIMEOUT seconds (about one under TCG)
# is reported in /tmp/hotplug.hung with the state of the system, and
# waited for: if it completes once the load stops, the loop ends and the
# run goes on.
hotplug_loop() {
	ops=0
	while [ ! -e /tmp/hotplug.stop ]; do
		for c in $HOTPLUG_CPUS; do
			for v in 0 1; do
				echo 1 > $P/hotplug_gen 2>/dev/null
				bounded hp "$HOTPLUG_TIMEOUT" sh -c \
					"echo $v > /sys/devices/system/cpu/cpu$c/online"
				rc=$?
				if [ $rc -eq 124 ]; then
					echo "echo $v > cpu$c/online did not complete within ${HOTPLUG_TIMEOUT} s (after $ops operations)" > /tmp/hotplug.hung
					echo "stress: CPU hotplug hangs: $(cat /tmp/hotplug.hung)"
					dump_hang
					while [ ! -s /tmp/hp.rc ]; do
						sleep 1
					done
					# Even again only once it is over.
					echo 1 > $P/hotplug_gen 2>/dev/null
					echo "stress: that CPU hotplug operation completed after all, with status $(cat /tmp/hp.rc)"
					echo "$ops" > /tmp/hotplug.ops
					return
				fi
				echo 1 > $P/hotplug_gen 2>/dev/null
				if [ $rc -eq 0 ]; then
					ops=$((ops + 1))
				else
					echo "echo $v > cpu$c/online: $(cat /tmp/hp.out)" >> /tmp/hotplug.err
				fi
				sleep "0.$((RANDOM % 4))"
			done
		done
	done
	echo "$ops" > /tmp/hotplug.ops
}

hung=0

run_stress() {
	args="mode=stress duration=$DURATION"
	for p in hardirq dpc passive dispatch remove retarget flush timers \
		 workitems generic selfq busy hammer; do
		skipped $p && args="$args $p=0"
	done
	phase "stress: $args"
	phase_log
	rm -f /tmp/hotplug.*
	( insmod $M/ntdpc_stress.ko $args > /tmp/stress.out 2>&1
	  echo $? > /tmp/stress.rc ) &
	n=0
	while [ ! -d $P ] && [ ! -s /tmp/stress.rc ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done

	HOTPLUG_CPUS=
	for c in 1 2 3; do
		[ -w /sys/devices/system/cpu/cpu$c/online ] &&
			HOTPLUG_CPUS="$HOTPLUG_CPUS $c"
	done
	if ! skipped hotplug && [ -n "$HOTPLUG_CPUS" ]; then
		echo "stress: CPU hotplug loop over cpu$HOTPLUG_CPUS"
		hotplug_loop &
	else
		touch /tmp/hotplug.stop
		echo 0 > /tmp/hotplug.ops
	fi

	limit=$((DURATION + STRESS_GRACE))
	wait_file /tmp/stress.rc "$limit"
	touch /tmp/hotplug.stop
	if [ -s /tmp/stress.rc ]; then
		expect stress-insmod test "$(cat /tmp/stress.rc)" -eq 0
	else
		fail stress-finished "insmod ntdpc_stress.ko mode=stress did not return within $limit s"
		hung=1
	fi

	# The hotplug loop ends with every CPU online, or stays hung.
	wait_file /tmp/hotplug.ops $((HOTPLUG_TIMEOUT + 60))
	if [ ! -s /tmp/hotplug.ops ]; then
		fail hotplug "$(cat /tmp/hotplug.hung 2>/dev/null); still hung after the load stopped"
		hung=1
	elif [ -s /tmp/hotplug.hung ]; then
		fail hotplug "$(cat /tmp/hotplug.hung); it completed once the load stopped"
	elif ! skipped hotplug && [ -n "$HOTPLUG_CPUS" ]; then
		expect hotplug test "$(cat /tmp/hotplug.ops)" -gt 0
	fi
	echo "stress: $(cat /tmp/hotplug.ops 2>/dev/null) CPU hotplug operations"
	[ -s /tmp/hotplug.err ] && sed 's/^/info: hotplug refused: /' /tmp/hotplug.err | head -n 10
	[ $hung -eq 1 ] && dump_hang

	phase_log
	sed -n -e 's/.*STRESS PASS \([^:]*\): \(.*\)/VMTEST PASS stress:\1/p' \
		-e 's/.*STRESS FAIL \([^:]*\): \(.*\)/VMTEST FAIL stress:\1: \2/p' \
		/tmp/phase.log
	# The kernel log does not reach the console: what the module counted
	# and the first violations of each check go there for scripts/stress.sh.
	grep -o 'STRESS \(INFO\|RATE\|COUNT\) .*' /tmp/phase.log
	grep -o 'ntdpc_stress: VIOLATION .*' /tmp/phase.log | head -n 40
	grep -q 'STRESS SUMMARY' /tmp/phase.log ||
		fail stress-summary "no STRESS SUMMARY line from ntdpc_stress"
	no_splat no-splat-stress
	[ $hung -eq 1 ] && return
	expect stress-rmmod bounded mod 120 rmmod ntdpc_stress
}

run_unload() {
	args="mode=leave"
	for p in dpcs threaded rearm timers work; do
		skipped unload-$p && args="$args leave_$p=0"
	done
	phase "unload: $UNLOAD_CYCLES cycles of $args"
	phase_log
	i=0
	while [ $i -lt "$UNLOAD_CYCLES" ]; do
		i=$((i + 1))
		if ! bounded mod 120 insmod $M/ntdpc_stress.ko $args; then
			fail unload-insmod "cycle $i: $(cat /tmp/mod.out)"
			hung=1
			dump_hang
			break
		fi
		if ! bounded mod 120 rmmod ntdpc_stress; then
			fail unload-rmmod "cycle $i: $(cat /tmp/mod.out)"
			hung=1
			dump_hang
			break
		fi
		dmesg | grep -E "$SPLAT" > /dev/null && break
	done
	# A stray timer or DPC in the freed module fires within this.
	sleep 2
	phase_log
	echo "unload: $i cycles"
	grep -c 'timer(s) still set' /tmp/phase.log | sed 's/^/info: unloads that found timers set: /'
	grep -c 'DPC(s) or work item(s) still queued' /tmp/phase.log | sed 's/^/info: unloads that found DPCs or work queued: /'
	[ $hung -eq 0 ] && expect unload-cycles test "$i" -eq "$UNLOAD_CYCLES"
	no_splat no-splat-unload
}

# A lockup or a hung task reports every CPU: the diagnosis needs them.
for f in softlockup_all_cpu_backtrace hung_task_all_cpu_backtrace; do
	[ -w /proc/sys/kernel/$f ] && echo 1 > /proc/sys/kernel/$f
done
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 60 > /proc/sys/kernel/hung_task_timeout_secs

expect load-ntdpc insmod $M/ntdpc.ko
phase_log

skipped stress || run_stress
[ $hung -eq 0 ] && ! skipped unload && run_unload
if [ $hung -eq 0 ]; then
	expect rmmod-ntdpc bounded mod 120 rmmod ntdpc
	phase_log
	no_splat no-splat-end
fi
echo "VMTEST DONE"
# A hung CPU hotplug holds the lock that poweroff takes: reboot at once
# (QEMU runs with -no-reboot, so it exits).
[ $hung -eq 1 ] && echo b > /proc/sysrq-trigger
