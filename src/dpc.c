// SPDX-License-Identifier: GPL-2.0
/*
 * The KDPC object: initialisation, importance, target, and taking it off its
 * queue.  KeInsertQueueDpc() is in queue.c, in one piece with the queue it
 * inserts into.
 */
#include <linux/cpumask.h>

#include "internal.h"

/*
 * An NMI can arrive while its CPU holds the very queue lock an insertion or
 * removal needs, and an NMI cannot wait for it: ntdpc refuses the call
 * (NT documents KeInsertQueueDpc() for any IRQL and says nothing of NMIs).
 * printk and the rate limit behind the report are NMI-safe.
 */
bool ntdpc_refuse_nmi(PRKDPC dpc, const char *call, unsigned long caller)
{
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
			    "%s(%p) from an NMI: refused, the queue lock may be held under it",
			    call, dpc);
	return false;
}

/* The report behind ntdpc_dpc_valid(), out of the fast path. */
bool ntdpc_dpc_report_invalid(PRKDPC dpc, unsigned long caller)
{
	if (!dpc) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller, "NULL KDPC");
		return false;
	}
	if ((dpc->Type != DpcObject && dpc->Type != ThreadedDpcObject) ||
	    !dpc->DeferredRoutine) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller,
				    "KDPC %p was never initialised (Type %u)",
				    dpc, dpc->Type);
		return false;
	}
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_IMPORTANCE, caller,
			    "KDPC %p has importance %u", dpc, dpc->Importance);
	return false;
}

/**
 * KeInitializeDpc() - initialise a DPC object
 * @Dpc: caller-allocated KDPC, in memory that outlives any queued instance
 * @DeferredRoutine: routine called at DISPATCH_LEVEL when the DPC runs
 * @DeferredContext: its second argument
 *
 * Sets Type to DpcObject, Importance to MediumImportance, Number to 0 (not
 * targeted: the DPC runs on the CPU that queues it), DpcData to NULL (not
 * queued), and the routine and context.  As on NT, the list entry and the
 * system arguments are left alone.  A NULL @Dpc or @DeferredRoutine is
 * reported and the object is left uninitialised, so it cannot be queued.
 */
void KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
		     PVOID DeferredContext)
{
	if (unlikely(!Dpc || !DeferredRoutine)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, _RET_IP_,
				    "%s(%p, %ps): NULL argument",
				    __func__, Dpc, DeferredRoutine);
		return;
	}
	Dpc->Type = DpcObject;
	Dpc->Importance = MediumImportance;
	Dpc->Number = 0;
	Dpc->DeferredRoutine = DeferredRoutine;
	Dpc->DeferredContext = DeferredContext;
	WRITE_ONCE(Dpc->DpcData, NULL);
}
EXPORT_SYMBOL_GPL(KeInitializeDpc);

/**
 * KeRemoveQueueDpc() - take a queued DPC off its queue
 * @Dpc: the DPC
 *
 * Callable at any IRQL, NMI context excepted.  When it returns TRUE the
 * routine has not started for that insertion and will not run for it.
 *
 * Return: TRUE if the DPC was queued and is now removed, else FALSE; FALSE
 * also, reported, for a bad DPC or a call from an NMI handler.
 */
BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
	struct ntdpc_list *list;
	unsigned long flags;
	BOOLEAN removed = FALSE;
	bool corrupt = false;

	if (unlikely(in_nmi()))
		return ntdpc_refuse_nmi(Dpc, __func__, _RET_IP_);
	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return FALSE;
	list = READ_ONCE(Dpc->DpcData);
	if (!list)
		return FALSE;
	raw_spin_lock_irqsave(&list->lock, flags);
	/* Recheck: it may have been drained, or moved by CPU hotplug. */
	if (Dpc->DpcData == list) {
		corrupt = !ntdpc_list_unlink(ntdpc_dpc_entry(Dpc));
		if (likely(!corrupt)) {
			list->depth--;
			WRITE_ONCE(Dpc->DpcData, NULL);
			ntdpc_stat_inc(list->stats.removed);
			removed = TRUE;
		}
	}
	raw_spin_unlock_irqrestore(&list->lock, flags);
	if (unlikely(corrupt))
		ntdpc_report_corrupt(list, Dpc, _RET_IP_);
	if (removed && trace_ntdpc_remove_enabled())
		trace_ntdpc_remove(Dpc, ntdpc_routine_of(Dpc), list->cpu);
	return removed;
}
EXPORT_SYMBOL_GPL(KeRemoveQueueDpc);

/**
 * KeSetImportanceDpc() - set where the DPC is queued and how soon it runs
 * @Dpc: an initialised DPC
 * @Importance: LowImportance, MediumImportance, MediumHighImportance or
 *	HighImportance
 *
 * Affects the next insertion only, not an instance already queued.  An
 * unknown importance is reported and ignored.
 */
void KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
{
	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return;
	if (unlikely((unsigned int)Importance > MediumHighImportance)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IMPORTANCE, _RET_IP_,
				    "%s(%p, %d)", __func__, Dpc,
				    Importance);
		return;
	}
	WRITE_ONCE(Dpc->Importance, Importance);
}
EXPORT_SYMBOL_GPL(KeSetImportanceDpc);

static bool ntdpc_target_ok(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

/**
 * KeSetTargetProcessorDpc() - make a DPC run on one processor
 * @Dpc: an initialised DPC
 * @Number: processor index (group 0)
 *
 * Affects the next insertion only.  A processor that does not exist or is
 * offline is reported and the target is left unchanged.  A DPC targeted at
 * the current processor is still targeted: queued later from another CPU it
 * runs on @Number, unlike an untargeted DPC.
 */
void KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
{
	unsigned int cpu = (unsigned char)Number;

	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return;
	if (unlikely(!ntdpc_target_ok(cpu))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_TARGET, _RET_IP_,
				    "%s(%p, %u): no such online CPU",
				    __func__, Dpc, cpu);
		return;
	}
	WRITE_ONCE(Dpc->Number, MAXIMUM_PROCESSORS + cpu);
}
EXPORT_SYMBOL_GPL(KeSetTargetProcessorDpc);

/**
 * KeSetTargetProcessorDpcEx() - KeSetTargetProcessorDpc() by PROCESSOR_NUMBER
 * @Dpc: an initialised DPC
 * @ProcNumber: group (must be 0) and number of the processor
 *
 * Return: STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for a bad DPC, a
 * group other than 0, or a processor that does not exist or is offline (the
 * target is then unchanged).
 */
NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)
{
	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return STATUS_INVALID_PARAMETER;
	if (!ProcNumber || ProcNumber->Group != 0 ||
	    !ntdpc_target_ok(ProcNumber->Number))
		return STATUS_INVALID_PARAMETER;
	WRITE_ONCE(Dpc->Number, MAXIMUM_PROCESSORS + ProcNumber->Number);
	return STATUS_SUCCESS;
}
EXPORT_SYMBOL_GPL(KeSetTargetProcessorDpcEx);

/* The KDPC routine behind every device's DpcForIsr. */
VOID ntdpc_io_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID Irp, PVOID Context)
{
	PDEVICE_OBJECT dev = DeferredContext;

	dev->DpcForIsr(Dpc, dev, Irp, Context);
}

/**
 * IoInitializeDpcRequest() - set up a device's DpcForIsr
 * @DeviceObject: the device; its embedded Dpc is initialised
 * @DpcRoutine: called as DpcRoutine(Dpc, DeviceObject, Irp, Context) at
 *	DISPATCH_LEVEL after IoRequestDpc(DeviceObject, Irp, Context)
 *
 * NT casts the IO_DPC_ROUTINE to a KDEFERRED_ROUTINE; ntdpc calls it through
 * a routine of the right type instead, so kernels with control-flow
 * integrity checks accept the call.
 */
void IoInitializeDpcRequest(PDEVICE_OBJECT DeviceObject,
			    PIO_DPC_ROUTINE DpcRoutine)
{
	if (unlikely(!DeviceObject || !DpcRoutine)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, _RET_IP_,
				    "%s(%p, %ps): NULL argument",
				    __func__, DeviceObject, DpcRoutine);
		return;
	}
	DeviceObject->DpcForIsr = DpcRoutine;
	KeInitializeDpc(&DeviceObject->Dpc, ntdpc_io_dpc, DeviceObject);
}
EXPORT_SYMBOL_GPL(IoInitializeDpcRequest);
