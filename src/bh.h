/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend that runs a CPU's drain at DISPATCH_LEVEL: the one small
 * interface behind which ntdpc hides how a module gets code to run there.
 * Kbuild picks one, by the kernel's configuration and the build option
 * NTDPC_BH, never by a version check:
 *
 *   tasklet    a per-CPU tasklet_hi, kicked remotely by an async IPI
 *              (bh_tasklet.c); the default, the fastest kick measured
 *              (Documentation/performance.rst)
 *   workqueue  a per-CPU work item on a WQ_BH | WQ_HIGHPRI workqueue,
 *              the kernel's replacement for tasklets, where the kernel
 *              has it (6.9+, found by a compile probe: NTDPC_HAVE_WQ_BH)
 *              (bh_workqueue.c)
 *   thread     a per-CPU real-time dispatch thread (bh_thread.c); always
 *              on PREEMPT_RT, where softirqs run in ordinary threads
 */
#ifndef _NTDPC_BH_H
#define _NTDPC_BH_H

#include <linux/interrupt.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

struct ntdpc_cpu;

struct ntdpc_bh {
#if defined(NTDPC_BH_WORKQUEUE)
	struct work_struct work;
#elif defined(NTDPC_BH_TASKLET)
	struct tasklet_struct tasklet;
	call_single_data_t csd;		/* remote kick */
#else
	struct tasklet_struct wake_later;	/* bh_thread.c */
#endif
};

/* Schedule this CPU's drain; interrupts off. */
#if defined(NTDPC_BH_WORKQUEUE)
extern struct workqueue_struct *ntdpc_bh_wq;

static inline void ntdpc_bh_kick_local(struct ntdpc_bh *bh)
{
	queue_work_on(smp_processor_id(), ntdpc_bh_wq, &bh->work);
}
#elif defined(NTDPC_BH_TASKLET)
static inline void ntdpc_bh_kick_local(struct ntdpc_bh *bh)
{
	tasklet_hi_schedule(&bh->tasklet);
}
#else
DECLARE_PER_CPU(struct task_struct *, ntdpc_dispatch_task);

/*
 * A task with bottom halves off (a Linux bottom-half section, ntdpc's own
 * DISPATCH_LEVEL, a softirq being served) is at DISPATCH_LEVEL: the
 * dispatch thread, woken now, would preempt it and run the DPC inside the
 * section.  The wake-up is left to a tasklet instead, which its
 * local_bh_enable() runs (or the softirq loop, after the handler), so the
 * drain starts when the section ends; and a batch queued in one section
 * costs one wake-up, not one per DPC.  From an interrupt handler the
 * thread is woken at once, as NT's DPC interrupt follows an ISR.
 */
static inline void ntdpc_bh_kick_local(struct ntdpc_bh *bh)
{
	struct task_struct *t = __this_cpu_read(ntdpc_dispatch_task);

	if (softirq_count() && !in_hardirq())
		tasklet_hi_schedule(&bh->wake_later);
	else if (t)
		wake_up_process(t);
}
#endif

/* A preemption point: a thread just woken on this CPU may run now. */
static inline void ntdpc_preempt_point(void)
{
	preempt_disable();
	preempt_enable();
}

int ntdpc_bh_init(void);
void ntdpc_bh_exit(void);
void ntdpc_bh_init_cpu(struct ntdpc_cpu *c);
void ntdpc_bh_exit_cpu(struct ntdpc_cpu *c);
/* Schedule @c's drain on @c's CPU.  Any context; interrupts off. */
void ntdpc_bh_kick(struct ntdpc_cpu *c);
const char *ntdpc_bh_name(void);

#endif /* _NTDPC_BH_H */
