// SPDX-License-Identifier: GPL-2.0
/*
 * mode=nothreads, with ntdpc loaded ThreadDpcEnable=0: a threaded DPC runs
 * as an ordinary one, at DISPATCH_LEVEL on its target CPU.
 */
#include "conform.h"

void conform_nothreads(void)
{
	static struct rec r;

	rec_init(&r, 1, true);
	KeSetTargetProcessorDpc(&r.dpc, 2);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("nothreads-threaded-at-dispatch", atomic_read(&r.runs) == 1 &&
	      r.irql == DISPATCH_LEVEL && r.cpu == 2, "1 run at 2 on cpu 2 got %d %d %d",
	      atomic_read(&r.runs), r.irql, r.cpu);
}
