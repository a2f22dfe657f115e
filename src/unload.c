// SPDX-License-Identifier: GPL-2.0
/*
 * Unload safety.  A companion module that goes away with a timer set or DPCs
 * queued would leave them pointing into freed memory and text.  A module
 * notifier runs while a module is MODULE_STATE_GOING (after its exit
 * function, before its memory is freed) and quiesces everything of it
 * (src/quiesce.c), whatever its routines do meanwhile, then says once what
 * it found.
 *
 * What belongs to the module is found from the module itself, by address:
 * objects in its memory, routines in its text.  Every going module is
 * looked at, since which modules use ntdpc cannot be told on every kernel;
 * for one that never used ntdpc it costs an RCU grace period and a flush.
 */
#include <linux/module.h>
#include <linux/notifier.h>

#include "internal.h"

static bool ntdpc_module_owns(const void *addr, const void *mod)
{
	return within_module((unsigned long)addr, (struct module *)mod);
}

static int ntdpc_module_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct module *mod = data;
	const struct ntdpc_owner owner = {
		.owns = ntdpc_module_owns,
		.arg = mod,
	};
	struct ntdpc_quiesced q;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	ntdpc_quiesce(&owner, &q);
	if (q.timers || q.dpcs || q.work || q.refused)
		pr_warn("ntdpc: module %s unloaded with %u timer(s) set, %u DPC(s) and %u work item(s) queued: cancelled them, and refused %u more\n",
			mod->name, q.timers, q.dpcs, q.work, q.refused);
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
