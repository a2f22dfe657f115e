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
#include <linux/cpu.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/smpboot.h>

#include "internal.h"

bool ThreadDpcEnable = true;
module_param(ThreadDpcEnable, bool, 0444);
MODULE_PARM_DESC(ThreadDpcEnable,
		 "Run threaded DPCs in per-CPU SCHED_FIFO threads (NT default 1); 0 runs them as ordinary DPCs");

/* smpboot's store of each CPU's thread: set while the thread exists. */
static DEFINE_PER_CPU(struct task_struct *, ntdpc_thread_task);
static DEFINE_PER_CPU(bool, ntdpc_thread_in_routine);

static int ntdpc_thread_should_run(unsigned int cpu)
{
	return !list_empty(&per_cpu_ptr(&ntdpc_cpus, cpu)->threaded.head);
}

static void ntdpc_thread_setup(unsigned int cpu)
{
	ntdpc_set_fifo(current, NTDPC_PRIO_THREADED);
}

/* @cpu's DPC thread, while it exists. */
struct task_struct *ntdpc_thread_of(unsigned int cpu)
{
	return READ_ONCE(per_cpu(ntdpc_thread_task, cpu));
}

/* Wake @cpu's thread: its threaded list has just become non-empty. */
void ntdpc_thread_wake(unsigned int cpu)
{
	struct task_struct *t = ntdpc_thread_of(cpu);

	if (t)
		wake_up_process(t);
}

static void ntdpc_thread_check_irql(PKDEFERRED_ROUTINE routine)
{
	KIRQL irql = KeGetCurrentIrql();

	if (likely(irql == PASSIVE_LEVEL))
		return;
	ntdpc_report_misuse(NTDPC_MISUSE_ROUTINE_IRQL, (unsigned long)routine,
			    "threaded DPC routine returned at IRQL %u, not PASSIVE_LEVEL",
			    irql);
	ntdpc_irql_repair_passive((unsigned long)routine);
}

/*
 * Is a CPU hotplug operation under way?  Its write lock makes the read
 * trylock fail.  Its steps run in each CPU's cpuhp/N thread, an ordinary
 * one, which this SCHED_FIFO thread would keep off the CPU for good while
 * its list never empties.
 */
static bool ntdpc_hotplug_waiting(void)
{
	if (!cpus_read_trylock())
		return true;
	cpus_read_unlock();
	return false;
}

/*
 * Has the thread's list not emptied for longer than the DPC watchdog's
 * cumulative limit?  A threaded DPC storm (a routine queueing itself, say)
 * keeps lower-priority real-time threads off the CPU, which PREEMPT_RT's
 * RCU callback and timer threads are; past NT's limit for DPCs without a
 * break, the thread leaves them a tick after each budget.
 */
static bool ntdpc_thread_storm(struct ntdpc_cpu *c)
{
	u64 limit = (u64)READ_ONCE(dpc_watchdog_limit_ms) * NSEC_PER_MSEC;

	return limit && ntdpc_clock() - c->thread_busy_since > limit;
}

/*
 * Drain this CPU's threaded list at PASSIVE_LEVEL, at most drain_budget
 * routines a call, so that smpboot, which parks the thread only between
 * calls, can park it for CPU hotplug however busy it is.  A list that never
 * empties must also leave the CPU to others: between routines, to those the
 * kernel would preempt for (cond_resched(), as Debian's kernels preempt only
 * voluntarily: the stopper, RCU), and for a tick to a CPU hotplug operation
 * that is waiting, which takes this CPU's ordinary threads too, and in a
 * storm (ntdpc_thread_storm()) after each budget.
 */
static void ntdpc_thread_fn(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
	unsigned int budget = READ_ONCE(ntdpc_drain_budget);
	struct ntdpc_call call;

	if (!c->thread_busy_since)
		c->thread_busy_since = ntdpc_clock();
	raw_spin_lock_irq(&c->threaded.lock);
	while (!list_empty(&c->threaded.head)) {
		u64 start = 0;
		bool timed;

		/* As the drain takes the ordinary queue's. */
		ntdpc_stat_max(c->threaded.stats.depth_high, c->threaded.depth);
		if (unlikely(!budget--)) {
			raw_spin_unlock_irq(&c->threaded.lock);
			if (ntdpc_thread_storm(c))
				schedule_timeout_interruptible(1);
			return;
		}
		if (unlikely(!ntdpc_list_pop(&c->threaded, &call)))
			continue;
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
		cond_resched();
		if (kthread_should_park())
			return;
		if (unlikely(ntdpc_hotplug_waiting())) {
			schedule_timeout_interruptible(1);
			return;
		}

		raw_spin_lock_irq(&c->threaded.lock);
	}
	raw_spin_unlock_irq(&c->threaded.lock);
	c->thread_busy_since = 0;
}

static struct smp_hotplug_thread ntdpc_threads = {
	.store			= &ntdpc_thread_task,
	.thread_should_run	= ntdpc_thread_should_run,
	.thread_fn		= ntdpc_thread_fn,
	.setup			= ntdpc_thread_setup,
	.thread_comm		= "ntdpc/%u",
};

/*
 * Is the caller a threaded DPC routine, in its CPU's DPC thread?  Not an
 * interrupt or an ordinary DPC that runs on top of one, in that thread's
 * context (in softirq, or on PREEMPT_RT inline when the routine lowers its
 * IRQL): only the routine itself.
 */
bool ntdpc_in_threaded_dpc(void)
{
	return !in_nmi() && !in_hardirq() && !in_serving_softirq() &&
	       current == raw_cpu_read(ntdpc_thread_task) &&
	       this_cpu_read(ntdpc_thread_in_routine) &&
	       !ntdpc_in_ordinary_dpc();
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
	if (ThreadDpcEnable)
		smpboot_unregister_percpu_thread(&ntdpc_threads);
}
