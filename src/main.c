// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc: Windows NT Deferred Procedure Calls for Linux drivers.
 *
 * Module entry points.  The mechanism is described where it lives: queue.c
 * (per-CPU queues, their tunables and the drain), irql.c (emulated IRQL),
 * bh.h (the drain's backend), flush.c, generic.c, quiesce.c, unload.c and
 * cpu.c; misuse.c reports callers' bugs; Documentation/design.rst tells it
 * as a whole.
 */
#include <linux/module.h>

#include "internal.h"

static int __init ntdpc_init(void)
{
	int ret;

	ntdpc_misuse_init();
	ntdpc_timers_init();
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
