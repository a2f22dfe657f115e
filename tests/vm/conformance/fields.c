// SPDX-License-Identifier: GPL-2.0
/*
 * The KDPC fields KeInitializeDpc(), KeInitializeThreadedDpc(),
 * KeSetImportanceDpc() and KeSetTargetProcessorDpc() set, as wdm.h lays
 * them out: a driver may read them.
 */
#include <linux/string.h>

#include "conform.h"

void conform_fields(void)
{
	static KDPC d, t;

	memset(&d, 0x5a, sizeof(d));
	d.SystemArgument1 = (PVOID)0x1111;
	d.SystemArgument2 = (PVOID)0x2222;
	KeInitializeDpc(&d, RecRoutine, (PVOID)0x1234);
	CHECK("init-type", d.Type == DpcObject, "Type %d got %d", DpcObject, d.Type);
	CHECK("init-importance-medium", d.Importance == MediumImportance,
	      "Importance %d got %d", MediumImportance, d.Importance);
	CHECK("init-number-0", d.Number == 0, "Number 0 got %u", d.Number);
	CHECK("init-dpcdata-null", !d.DpcData, "DpcData NULL got %p", d.DpcData);
	CHECK("init-routine-context", d.DeferredRoutine == RecRoutine &&
	      d.DeferredContext == (PVOID)0x1234, "routine/context stored got %ps/%lx",
	      d.DeferredRoutine, (unsigned long)d.DeferredContext);
	KeInitializeThreadedDpc(&t, RecRoutine, NULL);
	CHECK("init-threaded-type", t.Type == ThreadedDpcObject, "Type %d got %d",
	      ThreadedDpcObject, t.Type);
	KeSetImportanceDpc(&d, HighImportance);
	CHECK("set-importance-field", d.Importance == HighImportance, "2 got %d", d.Importance);
	KeSetTargetProcessorDpc(&d, 2);
	CHECK("set-target-number-field", d.Number == MAXIMUM_PROCESSORS + 2,
	      "Number %d got %u", MAXIMUM_PROCESSORS + 2, d.Number);
}
