// SPDX-License-Identifier: GPL-2.0
/*
 * Backend for PREEMPT_RT: a per-CPU dispatch thread.
 *
 * On PREEMPT_RT softirqs run in threads: a tasklet raised by an interrupt
 * runs in ksoftirqd, an ordinary thread, which every real-time thread keeps
 * off its CPU, a threaded DPC's among them, while on NT an ordinary DPC
 * preempts a threaded one.  So here the drain has a thread of its own on
 * each CPU, "ntdpc-dispatch/N", SCHED_FIFO just below threaded interrupt
 * handlers (an ISR still preempts a DPC, as on NT) and above the threads of
 * threaded DPCs; a kick wakes it, from any context, on any CPU.
 *
 * It drains at DISPATCH_LEVEL as a task raised there is: bottom halves off
 * and its CPU's dispatch lock held (irql.c).  So a DPC does not run while
 * another task of its CPU is at DISPATCH_LEVEL, and one queued there runs
 * once that task lowers its IRQL, the thread inheriting its priority
 * meanwhile.  A kick from a task with bottom halves off is a tasklet that
 * wakes the thread when they are on again (bh.h).
 */
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smpboot.h>

#include "internal.h"

DEFINE_PER_CPU(struct task_struct *, ntdpc_dispatch_task);

static int ntdpc_dispatch_should_run(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(&ntdpc_cpus, cpu)->request_pending);
}

static void ntdpc_dispatch_setup(unsigned int cpu)
{
	ntdpc_set_fifo(current, NTDPC_PRIO_DISPATCH);
}

static void ntdpc_dispatch_fn(unsigned int cpu)
{
	ntdpc_dispatch_enter();
	ntdpc_retire_dpcs(per_cpu_ptr(&ntdpc_cpus, cpu));
	ntdpc_dispatch_exit();
}

static struct smp_hotplug_thread ntdpc_dispatch_threads = {
	.store			= &ntdpc_dispatch_task,
	.thread_should_run	= ntdpc_dispatch_should_run,
	.thread_fn		= ntdpc_dispatch_fn,
	.setup			= ntdpc_dispatch_setup,
	.thread_comm		= "ntdpc-dispatch/%u",
};

int ntdpc_bh_init(void)
{
	return smpboot_register_percpu_thread(&ntdpc_dispatch_threads);
}

void ntdpc_bh_exit(void)
{
	smpboot_unregister_percpu_thread(&ntdpc_dispatch_threads);
}

/* The wake-up a bottom-half section put off until it ended (bh.h). */
static void ntdpc_dispatch_wake_fn(struct tasklet_struct *t)
{
	struct ntdpc_cpu *c = from_tasklet(c, t, bh.wake_later);
	struct task_struct *task = READ_ONCE(per_cpu(ntdpc_dispatch_task,
						     c->dpcs.cpu));

	if (task)
		wake_up_process(task);
}

void ntdpc_bh_init_cpu(struct ntdpc_cpu *c)
{
	tasklet_setup(&c->bh.wake_later, ntdpc_dispatch_wake_fn);
}

void ntdpc_bh_exit_cpu(struct ntdpc_cpu *c)
{
	tasklet_kill(&c->bh.wake_later);
}

void ntdpc_bh_kick(struct ntdpc_cpu *c)
{
	struct task_struct *t = READ_ONCE(per_cpu(ntdpc_dispatch_task,
						  c->dpcs.cpu));

	if (t)
		wake_up_process(t);
}

const char *ntdpc_bh_name(void)
{
	return "ntdpc-dispatch/N threads";
}
