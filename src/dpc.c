// SPDX-License-Identifier: GPL-2.0
/*
 * The KDPC object: initialisation, importance and target.  Inserting it and
 * taking it off its queue are in queue.c, with the queue.
 */
#include <linux/cpumask.h>

#include "internal.h"

/*
 * An NMI can arrive while its CPU holds the very queue lock an insertion or
 * removal needs, and an NMI cannot wait for it: ntdpc refuses the call
 * (NT documents KeInsertQueueDpc() for any IRQL and says nothing of NMIs).
 * printk and the rate limit behind the report are NMI-safe.
 */
bool ntdpc_refuse_nmi(PRKDPC dpc, const char *api, unsigned long caller)
{
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
			    "%s(%p) from an NMI: refused, the queue lock may be held under it",
			    api, dpc);
	return false;
}

/* The report behind ntdpc_dpc_valid(), out of the fast path. */
bool ntdpc_dpc_report_invalid(PRKDPC dpc, unsigned long caller)
{
	if (!dpc) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller, "NULL KDPC");
		return false;
	}
	if (dpc->Type == NTDPC_GENERIC_CALL_DPC && ntdpc_is_generic_dpc(dpc)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller,
				    "KDPC %p is the one KeGenericCallDpc() handed its routine, not the driver's to queue or change",
				    dpc);
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

/*
 * KeInitializeDpc() of a DPC that is queued, or was on a queue repaired
 * as corrupt: its DpcData names one of ntdpc's queues.  On NT that queue
 * would be corrupted; here it is reported and the DPC taken off its queue
 * first (it does not run for that insertion), so the queue stays sound.
 * Anything else in DpcData is uninitialised memory, not ntdpc's.
 */
static noinline void ntdpc_dpc_reinit_queued(PRKDPC dpc, unsigned long caller)
{
	if (!ntdpc_is_list(READ_ONCE(dpc->DpcData)))
		return;
	ntdpc_report_misuse(NTDPC_MISUSE_REINIT_IN_USE, caller,
			    "KDPC %p initialised while queued; taken off its queue",
			    dpc);
	ntdpc_unqueue(dpc, caller);
}

/*
 * KeInitializeDpc() and KeInitializeThreadedDpc().  A NULL routine leaves
 * a DPC that cannot be queued, even one that was initialised before.
 */
static void ntdpc_dpc_init(PRKDPC dpc, PKDEFERRED_ROUTINE routine, PVOID ctx,
			   UCHAR type, const char *api, unsigned long caller)
{
	if (unlikely(!dpc)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller,
				    "%s(NULL, %ps): NULL KDPC", api, routine);
		return;
	}
	/* Made a driver's DPC, it could be queued under the call (generic.c). */
	if (unlikely(READ_ONCE(dpc->Type) == NTDPC_GENERIC_CALL_DPC) &&
	    ntdpc_is_generic_dpc(dpc)) {
		ntdpc_dpc_report_invalid(dpc, caller);
		return;
	}
	if (unlikely(READ_ONCE(dpc->DpcData)))
		ntdpc_dpc_reinit_queued(dpc, caller);
	if (unlikely(!routine)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_DPC, caller,
				    "%s(%p, NULL): NULL routine; the DPC cannot be queued",
				    api, dpc);
		dpc->DeferredRoutine = NULL;
		return;
	}
	dpc->Type = type;
	dpc->Importance = MediumImportance;
	dpc->Number = 0;
	dpc->DeferredRoutine = routine;
	dpc->DeferredContext = ctx;
	WRITE_ONCE(dpc->DpcData, NULL);
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
 * system arguments are left alone.  A NULL @Dpc is reported; a NULL
 * @DeferredRoutine is reported and leaves a DPC that cannot be queued.  A
 * DPC still queued is reported and taken off its queue first.  The KDPC
 * KeGenericCallDpc() hands its routine is refused with a report.
 */
void KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
		     PVOID DeferredContext)
{
	ntdpc_dpc_init(Dpc, DeferredRoutine, DeferredContext, DpcObject,
		       __func__, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeInitializeDpc);

/**
 * KeInitializeThreadedDpc() - initialise a threaded DPC object
 * @Dpc: caller-allocated KDPC
 * @DeferredRoutine: routine called at PASSIVE_LEVEL in the target CPU's
 *	ntdpc/N thread (at DISPATCH_LEVEL if ThreadDpcEnable is 0)
 * @DeferredContext: its second argument
 *
 * As KeInitializeDpc(), with Type set to ThreadedDpcObject.  Importance only
 * decides head or tail of the threaded queue.  The routine must not block,
 * as on NT; use KeAcquireSpinLockForDpc() for locks shared with DPC code.
 */
void KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
			     PVOID DeferredContext)
{
	ntdpc_dpc_init(Dpc, DeferredRoutine, DeferredContext, ThreadedDpcObject,
		       __func__, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeInitializeThreadedDpc);

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
