// SPDX-License-Identifier: GPL-2.0
/*
 * Softirq backend for kernels with BH workqueues (WQ_BH, 6.9+): the kernel's
 * supported replacement for tasklets.  Work on a WQ_BH | WQ_HIGHPRI queue runs
 * from HI_SOFTIRQ on the CPU it was queued on, and queue_work_on() a remote
 * CPU kicks that CPU itself, so no IPI code of our own is needed.
 */
#include "internal.h"

struct workqueue_struct *ntdpc_bh_wq;

static void ntdpc_work_fn(struct work_struct *work)
{
	ntdpc_retire_dpcs(container_of(work, struct ntdpc_cpu, bh.work));
}

int ntdpc_bh_init(void)
{
	ntdpc_bh_wq = alloc_workqueue("ntdpc_bh",
				      WQ_BH | WQ_HIGHPRI | NTDPC_WQ_BH_PERCPU, 0);
	return ntdpc_bh_wq ? 0 : -ENOMEM;
}

void ntdpc_bh_exit(void)
{
	destroy_workqueue(ntdpc_bh_wq);
}

void ntdpc_bh_init_cpu(struct ntdpc_cpu *c)
{
	INIT_WORK(&c->bh.work, ntdpc_work_fn);
}

void ntdpc_bh_exit_cpu(struct ntdpc_cpu *c)
{
	cancel_work_sync(&c->bh.work);
}

void ntdpc_bh_kick(struct ntdpc_cpu *c)
{
	queue_work_on(c->dpcs.cpu, ntdpc_bh_wq, &c->bh.work);
}

const char *ntdpc_bh_name(void)
{
	return "WQ_BH";
}
