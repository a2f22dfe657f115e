// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest companion module: NT-style code, written as the WDK's
 * samples write it, built only against <ntdpc/ntddk.h> and ntdpc's
 * Module.symvers.  On load it queues a DPC on every CPU and reports where
 * and at which IRQL each one ran.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <ntdpc/ntddk.h>

static PKDPC hello_dpcs;
static LONG hello_ran;

/* Declared through its role type, as the WDK does: the prototype is NT's. */
static KDEFERRED_ROUTINE HelloDeferredRoutine;

_Use_decl_annotations_
static VOID HelloDeferredRoutine(PKDPC Dpc, PVOID DeferredContext,
				 PVOID SystemArgument1, PVOID SystemArgument2)
{
	UNREFERENCED_PARAMETER(Dpc);
	UNREFERENCED_PARAMETER(SystemArgument1);
	UNREFERENCED_PARAMETER(SystemArgument2);

	DbgPrint("hello_dpc: DPC %lu ran on CPU %u at IRQL %u\n",
		 (unsigned long)DeferredContext, KeGetCurrentProcessorNumber(),
		 KeGetCurrentIrql());
	InterlockedIncrement(&hello_ran);
}

static int __init hello_init(void)
{
	ULONG cpus = KeQueryActiveProcessorCount(NULL);
	PROCESSOR_NUMBER pn;
	ULONG i;

	hello_dpcs = kcalloc(cpus, sizeof(*hello_dpcs), GFP_KERNEL);
	if (!hello_dpcs)
		return -ENOMEM;
	for (i = 0; i < cpus; i++) {
		KeInitializeDpc(&hello_dpcs[i], HelloDeferredRoutine,
				(PVOID)(unsigned long)i);
		if (NT_SUCCESS(KeGetProcessorNumberFromIndex(i, &pn)))
			KeSetTargetProcessorDpcEx(&hello_dpcs[i], &pn);
		KeInsertQueueDpc(&hello_dpcs[i], NULL, NULL);
	}
	KeFlushQueuedDpcs();
	DbgPrint("hello_dpc: %d of %u DPCs ran\n", hello_ran, cpus);
	return 0;
}

static void __exit hello_exit(void)
{
	KeFlushQueuedDpcs();
	kfree(hello_dpcs);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc companion module example");
