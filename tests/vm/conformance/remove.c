// SPDX-License-Identifier: GPL-2.0
/*
 * KeRemoveQueueDpc(): TRUE only for a queued DPC, which then never runs
 * (local, remote, threaded, or removed by an earlier routine on its CPU),
 * FALSE when not queued, and the DPC can be queued again.  The races with
 * delivery are in remove_race.c.
 */
#include <linux/delay.h>

#include "conform.h"

static void remove_queued(void)
{
	static struct rec r;
	KIRQL old;
	BOOLEAN ins, rem, rem2;

	rec_init(&r, 1, false);
	CHECK("remove-never-queued-false", !KeRemoveQueueDpc(&r.dpc), "FALSE got TRUE");
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	rem2 = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	msleep(50);
	KeFlushQueuedDpcs();
	CHECK("remove-queued-true", ins && rem, "insert TRUE remove TRUE got %d %d", ins, rem);
	CHECK("remove-twice-false", !rem2, "FALSE got %d", rem2);
	CHECK("removed-never-runs", atomic_read(&r.runs) == 0, "0 runs got %d",
	      atomic_read(&r.runs));
	CHECK("removed-dpcdata-null", !r.dpc.DpcData, "NULL got %p", r.dpc.DpcData);
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("reinsert-after-remove", ins && atomic_read(&r.runs) == 1, "TRUE, 1 run got %d %d",
	      ins, atomic_read(&r.runs));
	CHECK("remove-after-run-false", !KeRemoveQueueDpc(&r.dpc), "FALSE got TRUE");

	/* Remote Low DPC removed before it ran. */
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, LowImportance);
	KeSetTargetProcessorDpc(&r.dpc, 2);
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	msleep(20);
	if (ins && rem)
		CHECK("remove-remote-never-runs", atomic_read(&r.runs) == 0, "0 runs got %d",
		      atomic_read(&r.runs));
	else
		INFO("remove-remote", "insert %d remove %d (DPC ran first)", ins, rem);

	/* Threaded DPC removed before it ran. */
	rec_init(&r, 1, true);
	old = KeRaiseIrqlToDpcLevel();
	ins = KeInsertQueueDpc(&r.dpc, NULL, NULL);
	rem = KeRemoveQueueDpc(&r.dpc);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	msleep(20);
	CHECK("remove-threaded", ins && rem && atomic_read(&r.runs) == 0,
	      "TRUE TRUE 0 runs got %d %d %d", ins, rem, atomic_read(&r.runs));
}

/* A DPC removes a later DPC from its own CPU's queue. */
static struct rec rm_b;
static BOOLEAN rm_ret = 0xff;
static VOID RemoverRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	rm_ret = KeRemoveQueueDpc(&rm_b.dpc);
}

static void remove_from_routine(void)
{
	static KDPC a;
	KIRQL old;

	KeInitializeDpc(&a, RemoverRoutine, NULL);
	rec_init(&rm_b, 2, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&a, NULL, NULL);
	KeInsertQueueDpc(&rm_b.dpc, NULL, NULL);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	CHECK("dpc-removes-later-dpc", nt_true(rm_ret) && atomic_read(&rm_b.runs) == 0,
	      "TRUE and B never runs got %d %d", rm_ret, atomic_read(&rm_b.runs));
}

void conform_remove(void)
{
	remove_queued();
	remove_from_routine();
}
