// SPDX-License-Identifier: GPL-2.0
/*
 * Softirq backend for kernels without BH workqueues: a per-CPU tasklet_hi.
 *
 * open_softirq() is not exported, and HI_SOFTIRQ is the first vector the
 * softirq loop serves, so a high-priority tasklet is the closest a module gets
 * to NT's DISPATCH_LEVEL software interrupt.  A tasklet runs on the CPU that
 * scheduled it, so a remote CPU is kicked with an async IPI whose handler
 * schedules that CPU's tasklet (irq_work_queue_on() is not exported).
 */
#include "internal.h"

static void ntdpc_tasklet_fn(struct tasklet_struct *t)
{
	ntdpc_retire_dpcs(container_of(t, struct ntdpc_cpu, bh.tasklet));
}

static void ntdpc_ipi_fn(void *info)
{
	struct ntdpc_cpu *c = info;

	tasklet_hi_schedule(&c->bh.tasklet);
}

int ntdpc_bh_init(void)
{
	return 0;
}

void ntdpc_bh_exit(void)
{
}

void ntdpc_bh_init_cpu(struct ntdpc_cpu *c)
{
	tasklet_setup(&c->bh.tasklet, ntdpc_tasklet_fn);
	INIT_CSD(&c->bh.csd, ntdpc_ipi_fn, c);
}

void ntdpc_bh_exit_cpu(struct ntdpc_cpu *c)
{
	tasklet_kill(&c->bh.tasklet);
}

void ntdpc_bh_kick(struct ntdpc_cpu *c)
{
	if (c->dpcs.cpu == smp_processor_id()) {
		tasklet_hi_schedule(&c->bh.tasklet);
		return;
	}
	/*
	 * -EBUSY means a kick is still in flight and will schedule the drain;
	 * -ENXIO means the CPU is going down and ntdpc_queue_cpu_dead() will
	 * move its DPCs (a CPU coming up gets none before it is online).
	 * Neither loses a DPC.
	 */
	smp_call_function_single_async(c->dpcs.cpu, &c->bh.csd);
}

const char *ntdpc_bh_name(void)
{
	return "tasklet_hi";
}
