// SPDX-License-Identifier: GPL-2.0
/*
 * mode=unload: a careless driver.  Its init leaves, on every CPU, a DPC
 * that keeps queueing itself, a slow Low DPC and a slow threaded DPC, plus
 * a 1 ms periodic timer and a sleeping work item; its exit stops, frees and
 * waits for nothing.  tests/vm/conformance.sh removes it at once: ntdpc
 * must cancel the timer and purge the DPCs before the module's text goes.
 */
#include <linux/delay.h>

#include "conform.h"

static KDPC un_self[64], un_low[64], un_thr[64];
static KTIMER un_timer;
static KDPC un_timer_dpc;
static DEVICE_OBJECT un_dev;
static PIO_WORKITEM un_item;
static atomic_t un_runs;

static VOID UnSelf(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
	spin_us(50);
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

static VOID UnSlow(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
	mdelay(5);
}

static VOID UnWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	msleep(300);
	atomic_inc(&un_runs);
}

static VOID UnTimer(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&un_runs);
}

void conform_unload(void)
{
	ULONG c;
	LARGE_INTEGER due = { .QuadPart = -10000LL };

	for (c = 0; c < ncpu; c++) {
		KeInitializeDpc(&un_self[c], UnSelf, NULL);
		KeSetTargetProcessorDpc(&un_self[c], (CCHAR)c);
		KeInsertQueueDpc(&un_self[c], NULL, NULL);
		KeInitializeDpc(&un_low[c], UnSlow, NULL);
		KeSetImportanceDpc(&un_low[c], LowImportance);
		KeSetTargetProcessorDpc(&un_low[c], (CCHAR)c);
		KeInsertQueueDpc(&un_low[c], NULL, NULL);
		KeInitializeThreadedDpc(&un_thr[c], UnSlow, NULL);
		KeSetTargetProcessorDpc(&un_thr[c], (CCHAR)c);
		KeInsertQueueDpc(&un_thr[c], NULL, NULL);
	}
	KeInitializeDpc(&un_timer_dpc, UnTimer, NULL);
	KeInitializeTimer(&un_timer);
	KeSetTimerEx(&un_timer, due, 1, &un_timer_dpc);
	un_item = IoAllocateWorkItem(&un_dev);
	if (un_item)
		IoQueueWorkItem(un_item, UnWork, DelayedWorkQueue, NULL);
	pr_info("CONFORM unload-mode armed\n");
}

void conform_unload_exit(void)
{
	/*
	 * A careless driver: stops, frees and waits for nothing; ntdpc must
	 * cancel the timer and purge the DPCs it left behind.
	 */
	pr_info("CONFORM unload-mode exit: %d runs so far\n", atomic_read(&un_runs));
}
