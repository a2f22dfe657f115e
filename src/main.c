// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc: Windows NT Deferred Procedure Calls for Linux drivers.
 *
 * Module entry points, tunables and misuse reporting.  The mechanism is
 * described where it lives: queue.c (per-CPU queues and the drain), irql.c
 * (emulated IRQL), bh.h (the softirq backend), flush.c, generic.c, unload.c
 * and cpu.c; Documentation/design.rst tells it as a whole.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>

#include "internal.h"

/* NT's defaults (KiMaximumDpcQueueDepth & co, HKLM\...\Session Manager\Kernel). */
unsigned int MaximumDpcQueueDepth = 4;
module_param(MaximumDpcQueueDepth, uint, 0644);
MODULE_PARM_DESC(MaximumDpcQueueDepth,
		 "Queue depth past which Low/remote DPCs request delivery (NT default 4)");

unsigned int MinimumDpcRate = 3;
module_param(MinimumDpcRate, uint, 0644);
MODULE_PARM_DESC(MinimumDpcRate,
		 "DPC requests per tick below which Low DPCs request delivery (NT default 3)");

unsigned int AdjustDpcThreshold = 20;
module_param(AdjustDpcThreshold, uint, 0644);
MODULE_PARM_DESC(AdjustDpcThreshold,
		 "Ticks between steps of the adapted queue depth back up (NT default 20)");

unsigned int IdealDpcRate = 20;
module_param(IdealDpcRate, uint, 0644);
MODULE_PARM_DESC(IdealDpcRate,
		 "Request rate below which the adapted queue depth shrinks (NT default 20)");

unsigned int ntdpc_drain_budget = 64;
module_param_named(drain_budget, ntdpc_drain_budget, uint, 0644);
MODULE_PARM_DESC(drain_budget,
		 "DPCs one drain pass runs before it yields and reschedules itself");

atomic_long_t ntdpc_misuse_count[NTDPC_MISUSE_NR];

/* One message per kind every 5 s; every occurrence is counted. */
static struct ratelimit_state ntdpc_misuse_rs[NTDPC_MISUSE_NR];

/**
 * ntdpc_report_misuse() - report a caller bug without crashing
 * @kind: what went wrong, counted in ntdpc_misuse_count
 * @caller: return address of the offending call, printed as a symbol
 * @fmt: printf-style description
 */
void ntdpc_report_misuse(enum ntdpc_misuse kind, unsigned long caller,
			 const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_long_inc(&ntdpc_misuse_count[kind]);
	if (!__ratelimit(&ntdpc_misuse_rs[kind]))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	/*
	 * Deferred: reports come from under DPC queues' raw locks and from any
	 * context, where a console driver (which may take a sleeping lock on
	 * PREEMPT_RT, or a spinlock_t under PROVE_RAW_LOCK_NESTING) must not
	 * run.  The message is in the log at once; the console prints it from
	 * irq_work.
	 */
	printk_deferred(KERN_ERR "ntdpc: %pV (caller %pS)\n", &vaf, (void *)caller);
	va_end(args);
}

static int __init ntdpc_init(void)
{
	int i, ret;

	for (i = 0; i < NTDPC_MISUSE_NR; i++) {
		ratelimit_state_init(&ntdpc_misuse_rs[i], 5 * HZ, 1);
		ratelimit_set_flags(&ntdpc_misuse_rs[i],
				    RATELIMIT_MSG_ON_RELEASE);
	}
	ret = ntdpc_stats_init();
	if (ret)
		return ret;
	ret = ntdpc_queue_init();
	if (ret)
		goto err_stats;
	ret = ntdpc_hotplug_init();
	if (ret)
		goto err_queue;
	ret = ntdpc_threads_init();
	if (ret)
		goto err_hotplug;
	ret = ntdpc_workitems_init();
	if (ret)
		goto err_threads;
	ret = ntdpc_unload_init();
	if (ret)
		goto err_workitems;
	pr_info("ntdpc: NT DPCs on %u CPUs, drained by %s, threaded DPCs %s\n",
		num_online_cpus(), ntdpc_bh_name(),
		ThreadDpcEnable ? "in ntdpc/N threads" : "off");
	return 0;

err_workitems:
	ntdpc_workitems_exit();
err_threads:
	ntdpc_threads_exit();
err_hotplug:
	ntdpc_hotplug_exit();
err_queue:
	ntdpc_queue_exit();
err_stats:
	ntdpc_stats_exit();
	return ret;
}

static void __exit ntdpc_exit(void)
{
	ntdpc_unload_exit();
	ntdpc_flush_all();
	ntdpc_workitems_exit();
	ntdpc_threads_exit();
	ntdpc_hotplug_exit();
	ntdpc_queue_exit();
	ntdpc_stats_exit();
}

module_init(ntdpc_init);
module_exit(ntdpc_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The ntdpc developers");
MODULE_DESCRIPTION("Windows NT Deferred Procedure Calls for Linux drivers");
MODULE_VERSION("0.1.0");
