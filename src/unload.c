// SPDX-License-Identifier: GPL-2.0
/*
 * Unload safety.  A companion module that goes away with DPCs still queued
 * would leave routines pointing into freed text.  A module notifier runs
 * while the module is MODULE_STATE_GOING (after its exit function, before its
 * memory is freed), removes its queued DPCs, waits for any of its routines
 * still running, and logs what it found.
 */
#include <linux/module.h>
#include <linux/notifier.h>

#include "internal.h"

static bool ntdpc_in_module(void *routine, void *arg)
{
	return within_module((unsigned long)routine, arg);
}

static int ntdpc_module_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct module *mod = data;
	unsigned int removed;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	removed = ntdpc_quiesce(ntdpc_in_module, mod);
	if (removed)
		pr_warn("ntdpc: module %s unloaded with %u DPC(s) still queued; removed them\n",
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
