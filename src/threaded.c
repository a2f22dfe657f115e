// SPDX-License-Identifier: GPL-2.0
/*
 * Threaded DPCs: NT runs them at PASSIVE_LEVEL in a per-processor real-time
 * thread, preempted only by interrupts and ordinary DPCs.  ntdpc gives every
 * online CPU an smpboot thread "ntdpc/N", bound to it, at SCHED_FIFO with the
 * priority of threaded IRQ handlers (sched_set_fifo(), 50).  smpboot creates,
 * parks and unparks the threads across CPU hotplug; the DPCs left on a dead
 * CPU's threaded list are moved with its ordinary ones (queue.c).
 *
 * With ThreadDpcEnable=0 threaded DPCs go to the ordinary queue and run at
 * DISPATCH_LEVEL, as on NT.
 */
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/smpboot.h>

#include "internal.h"

bool ThreadDpcEnable = true;
module_param(ThreadDpcEnable, bool, 0444);
MODULE_PARM_DESC(ThreadDpcEnable,
		 "Run threaded DPCs in per-CPU SCHED_FIFO threads (NT default 1); 0 runs them as ordinary DPCs");

static DEFINE_PER_CPU(struct task_struct *, ntdpc_thread_task);
static DEFINE_PER_CPU(bool, ntdpc_thread_in_routine);

static int ntdpc_thread_should_run(unsigned int cpu)
{
	return !list_empty(&per_cpu_ptr(&ntdpc_cpus, cpu)->threaded.head);
}

static void ntdpc_thread_setup(unsigned int cpu)
{
	sched_set_fifo(current);
	per_cpu_ptr(&ntdpc_cpus, cpu)->thread = current;
}

static void ntdpc_thread_check_irql(PKDEFERRED_ROUTINE routine)
{
	KIRQL irql = KeGetCurrentIrql();

	if (likely(irql == PASSIVE_LEVEL))
		return;
	ntdpc_report_misuse(NTDPC_MISUSE_ROUTINE_IRQL, (unsigned long)routine,
			    "threaded DPC routine returned at IRQL %u, not PASSIVE_LEVEL",
			    irql);
	ntdpc_lower_irql(PASSIVE_LEVEL, (unsigned long)routine);
}

/* Drain this CPU's threaded list at PASSIVE_LEVEL. */
static void ntdpc_thread_fn(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
	struct ntdpc_call call;

	raw_spin_lock_irq(&c->threaded.lock);
	while (!list_empty(&c->threaded.head)) {
		u64 start = 0;
		bool timed;

		if (unlikely(!ntdpc_list_pop(&c->threaded, &call)))
			break;
		raw_spin_unlock_irq(&c->threaded.lock);

		timed = static_branch_unlikely(&ntdpc_timing);
		if (timed) {
			start = ntdpc_clock();
			ntdpc_account_entry(&c->threaded, &call, start, true);
		}
		__this_cpu_write(ntdpc_thread_in_routine, true);
		call.routine(call.dpc, call.ctx, call.arg1, call.arg2);
		__this_cpu_write(ntdpc_thread_in_routine, false);
		if (timed)
			ntdpc_account_exit(&c->threaded, &call,
					   ntdpc_clock() - start, true);
		ntdpc_stat_inc(c->threaded.stats.run);
		ntdpc_thread_check_irql(call.routine);
		/*
		 * A list that never empties (a routine queueing itself) must
		 * not keep the CPU from the stopper, or from RCU, where the
		 * kernel preempts only voluntarily (Debian's default).
		 */
		cond_resched();

		raw_spin_lock_irq(&c->threaded.lock);
	}
	raw_spin_unlock_irq(&c->threaded.lock);
}

static struct smp_hotplug_thread ntdpc_threads = {
	.store			= &ntdpc_thread_task,
	.thread_should_run	= ntdpc_thread_should_run,
	.thread_fn		= ntdpc_thread_fn,
	.setup			= ntdpc_thread_setup,
	.thread_comm		= "ntdpc/%u",
};

/* Is the caller a threaded DPC routine, in its CPU's DPC thread? */
bool ntdpc_in_threaded_dpc(void)
{
	return current == this_cpu_read(ntdpc_thread_task) &&
	       this_cpu_read(ntdpc_thread_in_routine);
}

/* With ThreadDpcEnable=0 no thread would ever have work: none are made. */
int ntdpc_threads_init(void)
{
	if (!ThreadDpcEnable)
		return 0;
	return smpboot_register_percpu_thread(&ntdpc_threads);
}

void ntdpc_threads_exit(void)
{
	unsigned int cpu;

	if (!ThreadDpcEnable)
		return;
	smpboot_unregister_percpu_thread(&ntdpc_threads);
	for_each_possible_cpu(cpu)
		per_cpu_ptr(&ntdpc_cpus, cpu)->thread = NULL;
}

/**
 * KeInitializeThreadedDpc() - initialise a threaded DPC object
 * @Dpc: caller-allocated KDPC
 * @DeferredRoutine: routine called at PASSIVE_LEVEL in the target CPU's
 *	ntdpc/N thread (at DISPATCH_LEVEL if ThreadDpcEnable is 0)
 * @DeferredContext: its second argument
 *
 * As KeInitializeDpc(), with Type set to ThreadedDpcObject.  Importance only
 * decides head or tail of the threaded queue.  The routine must not block,
 * as on NT; use KeAcquireSpinLockForDpc() for locks shared with DPC code.
 */
void KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
			     PVOID DeferredContext)
{
	if (unlikely(!Dpc || !DeferredRoutine)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, _RET_IP_,
				    "%s(%p, %ps): NULL argument", __func__,
				    Dpc, DeferredRoutine);
		return;
	}
	KeInitializeDpc(Dpc, DeferredRoutine, DeferredContext);
	Dpc->Type = ThreadedDpcObject;
}
EXPORT_SYMBOL_GPL(KeInitializeThreadedDpc);
