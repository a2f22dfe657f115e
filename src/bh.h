/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The softirq backend that drains a CPU's DPC queue: the one small interface
 * behind which ntdpc hides how a module gets code to run in softirq context.
 *
 * Kernels with BH workqueues (6.9+, WQ_BH) get a per-CPU work item on a
 * WQ_BH | WQ_HIGHPRI workqueue, the kernel's replacement for tasklets; older
 * kernels get a per-CPU tasklet_hi, kicked remotely by an async IPI.  Kbuild
 * picks one with a compile probe (NTDPC_HAVE_WQ_BH), not a version check.
 */
#ifndef _NTDPC_BH_H
#define _NTDPC_BH_H

#include <linux/interrupt.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

struct ntdpc_cpu;

struct ntdpc_bh {
#ifdef NTDPC_HAVE_WQ_BH
	struct work_struct work;
#else
	struct tasklet_struct tasklet;
	call_single_data_t csd;		/* remote kick */
#endif
};

#ifdef NTDPC_HAVE_WQ_BH
extern struct workqueue_struct *ntdpc_bh_wq;

/* Schedule this CPU's drain; interrupts off. */
static inline void ntdpc_bh_kick_local(struct ntdpc_bh *bh)
{
	queue_work_on(smp_processor_id(), ntdpc_bh_wq, &bh->work);
}
#else
static inline void ntdpc_bh_kick_local(struct ntdpc_bh *bh)
{
	tasklet_hi_schedule(&bh->tasklet);
}
#endif

int ntdpc_bh_init(void);
void ntdpc_bh_exit(void);
void ntdpc_bh_init_cpu(struct ntdpc_cpu *c);
void ntdpc_bh_exit_cpu(struct ntdpc_cpu *c);
/* Schedule @c's drain on @c's CPU.  Any context; interrupts off. */
void ntdpc_bh_kick(struct ntdpc_cpu *c);
const char *ntdpc_bh_name(void);

#endif /* _NTDPC_BH_H */
