// SPDX-License-Identifier: GPL-2.0
/*
 * nt_conformance: checks of NT's documented DPC semantics (the wdm.h pages
 * of learn.microsoft.com: KeInsertQueueDpc, KeSetImportanceDpc,
 * KeSetTargetProcessorDpc(Ex), KeRemoveQueueDpc, KeFlushQueuedDpcs,
 * KeGenericCallDpc, IoRequestDpc, timers, events, work items, IRQL and
 * spin locks), written against the public header <ntdpc/ntddk.h> only, as a
 * driver would be; nothing of src/ is included.  tests/vm/conformance.sh
 * runs it in a VM (scripts/vm.sh).  Under emulation (QEMU TCG) time is
 * uneven, so a check on timing asserts only what NT promises: never early,
 * and eventually, within a generous bound.
 *
 * mode=main       the documented-semantics checks, one file a topic, run in
 *                 a kthread bound to CPU 1; module init waits for them
 * mode=bad        bad input (bad.c)
 * mode=unload     leaves DPCs, threaded DPCs, a periodic timer and a running
 *                 work item behind, for an immediate rmmod (unload.c)
 * mode=nothreads  with ntdpc loaded ThreadDpcEnable=0: a threaded DPC runs as
 *                 an ordinary one (nothreads.c)
 *
 * As lib/test_printf.c does, a mode with checks fails module init with
 * -EINVAL when one of them failed, after its summary line, so that the
 * loader sees the result: insmod fails.
 */
#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/string.h>

#include "conform.h"

static char *mode = "main";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "main, bad, unload or nothreads");

int conform_pass, conform_fail;
ULONG ncpu;
ULONG home_cpu = 1;

/* mode=main's topics, in the order they run. */
static void (* const topics[])(void) = {
	conform_fields,
	conform_processors,
	conform_irql,
	conform_insert,
	conform_delivery,
	conform_order,
	conform_remove,
	conform_remove_race,
	conform_target,
	conform_threaded,
	conform_flush,
	conform_generic,
	conform_timer,
	conform_timer_periodic,
	conform_events,
	conform_isr,
	conform_workitem,
	conform_watchdog,
};

static DECLARE_COMPLETION(main_done);

static int main_thread(void *unused)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(topics); i++)
		topics[i]();
	KeFlushQueuedDpcs();
	CHECK("irql-passive-end", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u",
	      KeGetCurrentIrql());
	/*
	 * A failed check fails the load, and the module's text is freed as
	 * soon as init returns: exit without returning into it.
	 */
	kthread_complete_and_exit(&main_done, 0);
}

/*
 * The summary line, then the verdict for the loader.  A failed init is not
 * followed by module_exit, so its flush is done here.
 */
static int conform_result(const char *summary)
{
	pr_info("CONFORM %s %d passed %d failed\n", summary, conform_pass, conform_fail);
	if (!conform_fail)
		return 0;
	KeFlushQueuedDpcs();
	return -EINVAL;
}

static int conform_main(void)
{
	struct task_struct *t;

	if (ncpu < 2)
		home_cpu = 0;
	t = kthread_create(main_thread, NULL, "nt_conformance");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, home_cpu);
	wake_up_process(t);
	wait_for_completion(&main_done);
	return conform_result("SUMMARY");
}

static int __init nt_conformance_init(void)
{
	ncpu = KeQueryActiveProcessorCount(NULL);
	if (!strcmp(mode, "main"))
		return conform_main();
	if (!strcmp(mode, "bad")) {
		conform_bad();
		return conform_result("SUMMARY-BAD");
	}
	if (!strcmp(mode, "nothreads")) {
		conform_nothreads();
		return conform_result("SUMMARY-NOTHREADS");
	}
	if (!strcmp(mode, "unload"))
		conform_unload();
	return 0;
}

static void __exit nt_conformance_exit(void)
{
	if (!strcmp(mode, "unload"))
		conform_unload_exit();
	else
		KeFlushQueuedDpcs();
}

module_init(nt_conformance_init);
module_exit(nt_conformance_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc: checks of NT's documented DPC semantics");
