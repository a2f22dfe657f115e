// SPDX-License-Identifier: GPL-2.0
/*
 * KeQueryDpcWatchdogInformation(): STATUS_SUCCESS only inside a DPC, not at
 * PASSIVE_LEVEL nor merely raised to DISPATCH_LEVEL.  The limits and counts
 * it returns are reported, not checked.
 */
#include "conform.h"

/* What the call returned inside the DPC. */
static NTSTATUS wd_in_dpc = 0x7fffffff;
static KDPC_WATCHDOG_INFORMATION wd_info;
static VOID WdRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	wd_in_dpc = KeQueryDpcWatchdogInformation(&wd_info);
}

void conform_watchdog(void)
{
	static KDPC d;
	KDPC_WATCHDOG_INFORMATION wi;
	NTSTATUS st0, st2;
	KIRQL old;

	st0 = KeQueryDpcWatchdogInformation(&wi);
	old = KeRaiseIrqlToDpcLevel();
	st2 = KeQueryDpcWatchdogInformation(&wi);
	KeLowerIrql(old);
	KeInitializeDpc(&d, WdRoutine, NULL);
	KeInsertQueueDpc(&d, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("watchdog-info-in-dpc", wd_in_dpc == STATUS_SUCCESS, "SUCCESS got %x", wd_in_dpc);
	CHECK("watchdog-info-passive-unsuccessful", st0 == STATUS_UNSUCCESSFUL,
	      "STATUS_UNSUCCESSFUL got %x", st0);
	CHECK("watchdog-info-raised-not-in-dpc", st2 == STATUS_UNSUCCESSFUL,
	      "STATUS_UNSUCCESSFUL (not running a DPC) got %x", st2);
	INFO("watchdog-info",
	     "DpcTimeLimit %u DpcTimeCount %u DpcWatchdogLimit %u DpcWatchdogCount %u",
	     wd_info.DpcTimeLimit, wd_info.DpcTimeCount, wd_info.DpcWatchdogLimit,
	     wd_info.DpcWatchdogCount);
}
