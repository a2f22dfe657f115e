#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/bench.sh --profile (needs the VM built with
# VM_PERF=1): load ntdpc.ko, then for each of the insert, tput and depth
# groups of samples/bench_dpc sample the CPUs with perf (cpu-clock, call
# graphs) while the module runs that group alone, and send back
# profile-<group>.txt: the group's rows, a flat profile by self time, one
# by time including callees, and perf annotate of the hot paths of both
# mechanisms.  perf reads symbols from /proc/kallsyms and disassembles the
# kernel's from /proc/kcore; the modules' from their objects under
# /lib/modules, which perf only reads when /proc/kcore is out of its way (an
# empty file is bound over it meanwhile).  All is done before rmmod.
# ITERATIONS and FREQ may be set by a line prepended to this script.
M=/modules
ITERATIONS=${ITERATIONS:-200000}
FREQ=${FREQ:-20000}
# Annotated (ntdpc's MODSYMS from ntdpc.ko, the rest from kcore), and
# (SHARED) shown with the call chains of their samples, as both mechanisms go
# through them.
MODSYMS="KeInsertQueueDpc ntdpc_retire_dpcs ntdpc_tasklet_fn"
SYMS="__tasklet_hi_schedule __tasklet_schedule_common raise_softirq_irqoff
tasklet_action_common.constprop.0 tasklet_hi_action tasklet_clear_sched
__local_bh_enable_ip __list_add_valid __list_del_entry_valid _raw_spin_lock
bench_queue"
SHARED=__tasklet_hi_schedule,__tasklet_schedule_common,raise_softirq_irqoff,\
tasklet_hi_action,__list_add_valid,__list_del_entry_valid,_raw_spin_lock,\
_raw_spin_unlock,_raw_spin_unlock_irq,__raw_spin_unlock_irq,__local_bh_enable_ip,\
__static_call_text_end,read_hpet,wake_up_var,tasklet_clear_sched
# The two paths, callees included.
PATHS=KeInsertQueueDpc,ntdpc_enqueue,ntdpc_bh_kick_local,ntdpc_tasklet_fn,\
ntdpc_retire_dpcs,__raw_spin_unlock_irq,BenchDeferredRoutine,BenchTputRoutine,\
BenchDepthRoutine,__tasklet_hi_schedule,__tasklet_schedule_common,\
tasklet_action_common.constprop.0,tasklet_clear_sched,bench_tasklet_fn,\
bench_tput_tasklet_fn,bench_depth_tasklet_fn,ktime_get_mono_fast_ns

. /vmlib.sh
export HOME=/tmp

echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
echo 100000 > /proc/sys/kernel/perf_event_max_sample_rate
# No throttling of the sample rate when an interrupt is slow under TCG.
echo 0 > /proc/sys/kernel/perf_cpu_time_max_percent
lib=/lib/modules/$(uname -r)/extra
mkdir -p "$lib"
cp $M/ntdpc.ko $M/bench_dpc.ko "$lib/"

expect load insmod "$lib/ntdpc.ko"
echo 4 > /proc/sys/kernel/printk

# report ARGS...: perf report to stdout without its comment lines.
report() { perf report --stdio -n "$@" 2>&1 | grep -v -e '^$' -e '^#$' -e 'To display' -e 'tips.txt'; }

# annotate DATA SYMBOL...: perf annotate of each, without blank lines.
annotate() {
	perf_data=$1
	shift
	for sym in "$@"; do
		echo
		echo "== perf annotate $sym"
		perf annotate -i "$perf_data" --stdio --percent-type local-period \
			"$sym" 2>&1 | grep -v '^\s*$'
	done
}

# profile GROUP CPUS: CPUS is "-C 1" (the runner's CPU) or "-a".
profile() {
	out=/tmp/profile-$1.txt
	data=/tmp/perf-$1.data
	# shellcheck disable=SC2086 # CPUS is two words or one
	expect "perf-record-$1" perf record -q -e cpu-clock -F "$FREQ" -g $2 \
		-o "$data" -- insmod "$lib/bench_dpc.ko" iterations="$ITERATIONS" only="$1"
	{
		echo "== $1: perf record -e cpu-clock -F $FREQ -g $2, iterations=$ITERATIONS"
		dmesg | sed 's/^\[[^]]*\] //' |
			awk '/^bench_dpc: INFO/ { rows = "" } /^bench_dpc: / { rows = rows $0 "\n" }
			     END { printf "%s", rows }'
		echo
		echo "== self time by symbol"
		report -i "$data" --no-children -g none --sort sym --percent-limit 0.3
		echo
		echo "== time including callees, by symbol"
		report -i "$data" --children -g none --sort sym --percent-limit 1
		echo
		echo "== the two paths, time including callees"
		report -i "$data" --children -g none --sort sym --symbols "$PATHS"
		echo
		echo "== self time of the shared symbols by call chain (callee first)"
		report -i "$data" --no-children -g folded,0.2,callee --max-stack 6 \
			--sort sym --symbols "$SHARED"
		# shellcheck disable=SC2086 # lists of symbols, one word each
		annotate "$data" $SYMS
		: > /tmp/nokcore
		mount -o bind /tmp/nokcore /proc/kcore
		# shellcheck disable=SC2086
		annotate "$data" $MODSYMS
		umount /proc/kcore
	} > "$out"
	expect "perf-report-$1" grep -q 'KeInsertQueueDpc' "$out"
	expect "rmmod-$1" rmmod bench_dpc
	vmexport "$out"
}

profile insert "-C 1"
profile tput -a
profile depth "-C 1"

expect rmmod-ntdpc rmmod ntdpc
expect no-splat sh -c '! dmesg | grep -E "BUG:|WARNING:|Oops|general protection|INFO: |sleeping function"'
echo "VMTEST DONE"
