// SPDX-License-Identifier: GPL-2.0
/*
 * Work items: IoQueueWorkItem() from a DPC runs the routine at
 * PASSIVE_LEVEL, outside any DPC, with the device object and context, and
 * holds a reference on the device object while queued or running;
 * IoQueueWorkItemEx() passes the work item too.
 */
#include <linux/delay.h>
#include <linux/string.h>

#include "conform.h"

/* What the two routines saw. */
static DEVICE_OBJECT wi_dev;
static PIO_WORKITEM wi_item, wi_item2;
static KEVENT wi_done;
static int wi_irql = -1, wi_refs = -1, wi_isdpc = -1;
static PVOID wi_dev_arg, wi_ctx, wi_ex_obj, wi_ex_ctx, wi_ex_item;
static VOID WorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	wi_irql = KeGetCurrentIrql();
	wi_isdpc = KeIsExecutingDpc();
	wi_dev_arg = DeviceObject;
	wi_ctx = Context;
	wi_refs = READ_ONCE(DeviceObject->ReferenceCount);
	usleep_range(5000, 10000);	/* may sleep at PASSIVE */
	KeSetEvent(&wi_done, IO_NO_INCREMENT, FALSE);
}

static VOID WorkRoutineEx(PVOID IoObject, PVOID Context, PIO_WORKITEM Item)
{
	wi_ex_obj = IoObject;
	wi_ex_ctx = Context;
	wi_ex_item = Item;
	KeSetEvent(&wi_done, IO_NO_INCREMENT, FALSE);
}

static VOID QueueWorkFromDpc(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	IoQueueWorkItem(wi_item, WorkRoutine, DelayedWorkQueue, (PVOID)0x7777);
}

void conform_workitem(void)
{
	static KDPC d;
	LARGE_INTEGER to = { .QuadPart = -2000 * 10000LL };
	NTSTATUS ws;

	memset(&wi_dev, 0, sizeof(wi_dev));
	KeInitializeEvent(&wi_done, SynchronizationEvent, FALSE);
	wi_item = IoAllocateWorkItem(&wi_dev);
	wi_item2 = IoAllocateWorkItem(&wi_dev);
	if (!wi_item || !wi_item2) {
		FAILF("workitem-alloc", "non-NULL got %p %p", wi_item, wi_item2);
		return;
	}
	KeInitializeDpc(&d, QueueWorkFromDpc, NULL);
	KeInsertQueueDpc(&d, NULL, NULL);
	ws = KeWaitForSingleObject(&wi_done, Executive, KernelMode, FALSE, &to);
	CHECK("workitem-from-dpc-runs", ws == STATUS_SUCCESS, "SUCCESS got %x", ws);
	CHECK("workitem-passive", wi_irql == PASSIVE_LEVEL && !wi_isdpc,
	      "PASSIVE, not in DPC got %d %d", wi_irql, wi_isdpc);
	CHECK("workitem-args", wi_dev_arg == &wi_dev && wi_ctx == (PVOID)0x7777,
	      "dev %p, 0x7777 got %p %lx", &wi_dev, wi_dev_arg, (unsigned long)wi_ctx);
	CHECK("workitem-devref-held", wi_refs >= 1, ">=1 got %d", wi_refs);
	WAIT_FOR(READ_ONCE(wi_dev.ReferenceCount) == 0, 10000);
	CHECK("workitem-devref-released", READ_ONCE(wi_dev.ReferenceCount) == 0, "0 got %d",
	      READ_ONCE(wi_dev.ReferenceCount));

	IoQueueWorkItemEx(wi_item2, WorkRoutineEx, CriticalWorkQueue, (PVOID)0x8888);
	ws = KeWaitForSingleObject(&wi_done, Executive, KernelMode, FALSE, &to);
	CHECK("workitem-ex", ws == STATUS_SUCCESS && wi_ex_obj == &wi_dev &&
	      wi_ex_ctx == (PVOID)0x8888 && wi_ex_item == wi_item2,
	      "SUCCESS dev %p 0x8888 item %p got %x %p %lx %p", &wi_dev, wi_item2, ws,
	      wi_ex_obj, (unsigned long)wi_ex_ctx, wi_ex_item);
	WAIT_FOR(READ_ONCE(wi_dev.ReferenceCount) == 0, 10000);
	IoFreeWorkItem(wi_item);
	IoFreeWorkItem(wi_item2);
}
