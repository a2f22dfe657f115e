// SPDX-License-Identifier: GPL-2.0
/*
 * The order a CPU's queue runs in: High at the head, the other importances
 * at the tail, for threaded DPCs too; ordinary DPCs before threaded ones; a
 * High DPC queued by a routine next; and strict FIFO among many Medium.
 */
#include <linux/string.h>

#include "conform.h"

static void order_importance(void)
{
	static struct rec r[6];
	char buf[64];
	KIRQL old;

	/*
	 * M1, H2, L3, H4, MH5, M6 queued at DISPATCH on this CPU:
	 * High at the head (H4 then H2), all others at the tail in order.
	 */
	order_reset();
	rec_init(&r[0], 1, false);
	rec_init(&r[1], 2, false);
	KeSetImportanceDpc(&r[1].dpc, HighImportance);
	rec_init(&r[2], 3, false);
	KeSetImportanceDpc(&r[2].dpc, LowImportance);
	rec_init(&r[3], 4, false);
	KeSetImportanceDpc(&r[3].dpc, HighImportance);
	rec_init(&r[4], 5, false);
	KeSetImportanceDpc(&r[4].dpc, MediumHighImportance);
	rec_init(&r[5], 6, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[2].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[3].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[4].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[5].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 6, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-importance", !strcmp(buf, "4,2,1,3,5,6"), "4,2,1,3,5,6 got %s", buf);

	/* Same for threaded DPCs on this CPU (only head/tail placement). */
	order_reset();
	rec_init(&r[0], 1, true);
	rec_init(&r[1], 2, true);
	KeSetImportanceDpc(&r[1].dpc, HighImportance);
	rec_init(&r[2], 3, true);
	KeSetImportanceDpc(&r[2].dpc, LowImportance);
	rec_init(&r[3], 4, true);
	KeSetImportanceDpc(&r[3].dpc, HighImportance);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[2].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[3].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 4, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-threaded-importance", !strcmp(buf, "4,2,1,3"), "4,2,1,3 got %s", buf);

	/*
	 * An ordinary DPC and a threaded DPC queued together at DISPATCH:
	 * ordinary DPCs preempt threaded ones, so the ordinary one runs first.
	 */
	order_reset();
	rec_init(&r[0], 1, true);
	rec_init(&r[1], 2, false);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
	KeInsertQueueDpc(&r[1].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 2, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-ordinary-before-threaded", !strcmp(buf, "2,1"), "2,1 got %s", buf);
}

/* Ordering when the routine itself queues High and Medium DPCs. */
static struct rec ord[10];
static VOID OrdFirst(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int k = atomic_inc_return(&order_n) - 1;

	order_log[k] = 1;
	KeInsertQueueDpc(&ord[7].dpc, NULL, NULL);	/* Medium: tail */
	KeInsertQueueDpc(&ord[8].dpc, NULL, NULL);	/* High: head */
}

static void order_from_routine(void)
{
	static KDPC first;
	char buf[128];
	KIRQL old;
	int i;

	order_reset();
	KeInitializeDpc(&first, OrdFirst, NULL);
	for (i = 2; i <= 4; i++)
		rec_init(&ord[i], i, false);
	rec_init(&ord[7], 7, false);
	rec_init(&ord[8], 8, false);
	KeSetImportanceDpc(&ord[8].dpc, HighImportance);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&first, NULL, NULL);
	for (i = 2; i <= 4; i++)
		KeInsertQueueDpc(&ord[i].dpc, NULL, NULL);
	KeLowerIrql(old);
	WAIT_FOR(atomic_read(&order_n) >= 6, 10000);
	order_str(buf, sizeof(buf));
	CHECK("order-high-from-routine-goes-next", !strcmp(buf, "1,8,2,3,4,7"),
	      "1,8,2,3,4,7 got %s", buf);
}

/* 200 Medium at DISPATCH: strict FIFO. */
static void order_fifo(void)
{
	static struct rec big[200];
	KIRQL old;
	int i, ok, bad = -1;

	atomic_set(&order_n, 0);
	for (i = 0; i < 200; i++)
		rec_init(&big[i], i, false);
	old = KeRaiseIrqlToDpcLevel();
	for (i = 0; i < 200; i++)
		KeInsertQueueDpc(&big[i].dpc, NULL, NULL);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	/* order_log holds only 64: check the first 64 and counts */
	ok = atomic_read(&order_n) == 200;
	for (i = 0; i < 64; i++)
		if (order_log[i] != i && bad < 0)
			bad = i;
	for (i = 0; i < 200; i++)
		if (atomic_read(&big[i].runs) != 1 || big[i].cpu != home_cpu)
			ok = 0;
	CHECK("order-fifo-200", ok && bad < 0,
	      "200 runs on this CPU in order got n=%d first misorder at %d",
	      atomic_read(&order_n), bad);
}

void conform_order(void)
{
	order_importance();
	order_from_routine();
	order_fifo();
}
