// SPDX-License-Identifier: GPL-2.0
/*
 * Unload safety.  A companion module that goes away with DPCs still queued
 * would leave routines pointing into freed text.  A module notifier runs
 * while the module is MODULE_STATE_GOING (after its exit function, before its
 * memory is freed), cancels its timers that are still set, refuses new
 * insertions of its DPCs and work items, removes the queued ones, waits for
 * any of its routines still running (ntdpc_quiesce()), and logs what it
 * found.  Only modules that use ntdpc's symbols can have DPCs,
 * so the others are not waited for.
 */
#include <linux/module.h>
#include <linux/notifier.h>

#include "internal.h"

static bool ntdpc_in_module(void *routine, void *arg)
{
	return within_module((unsigned long)routine, arg);
}

/* A timer in the module's memory, or whose DPC runs the module's code. */
static bool ntdpc_timer_in_module(PKTIMER t, void *arg)
{
	return within_module((unsigned long)t, arg) ||
	       (t->Dpc && within_module((unsigned long)ntdpc_routine_of(t->Dpc),
					arg));
}

/*
 * Does @mod link against ntdpc?  A going module's uses cannot change, and
 * ntdpc cannot go away while @mod uses it, so the list is stable here.  A
 * built-in ntdpc has no struct module and no uses to look at.
 */
static bool ntdpc_used_by(struct module *mod)
{
#if defined(MODULE) && defined(CONFIG_MODULE_UNLOAD)
	struct module_use *use;

	list_for_each_entry(use, &mod->target_list, target_list)
		if (use->target == THIS_MODULE)
			return true;
	return false;
#else
	return true;
#endif
}

static int ntdpc_module_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct module *mod = data;
	unsigned int removed, timers;

	if (state != MODULE_STATE_GOING || !ntdpc_used_by(mod))
		return NOTIFY_DONE;
	timers = ntdpc_cancel_timers(ntdpc_timer_in_module, mod);
	if (timers)
		pr_warn("ntdpc: module %s unloaded with %u timer(s) still set; cancelled them\n",
			mod->name, timers);
	removed = ntdpc_quiesce(ntdpc_in_module, mod);
	if (removed)
		pr_warn("ntdpc: module %s unloaded with %u DPC(s) or work item(s) still queued; removed them\n",
			mod->name, removed);
	return NOTIFY_OK;
}

static struct notifier_block ntdpc_module_nb = {
	.notifier_call = ntdpc_module_notify,
};

int ntdpc_unload_init(void)
{
	return register_module_notifier(&ntdpc_module_nb);
}

void ntdpc_unload_exit(void)
{
	unregister_module_notifier(&ntdpc_module_nb);
}
