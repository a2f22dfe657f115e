// SPDX-License-Identifier: GPL-2.0
/*
 * KeSetTargetProcessorDpc(Ex): a targeted DPC runs on its CPU, at
 * DISPATCH_LEVEL (a threaded one at PASSIVE_LEVEL), and sees that CPU's
 * number; a remote Low or Medium one runs without a flush, a remote High or
 * MediumHigh one at once while the caller stays at DISPATCH_LEVEL; and
 * retargeting a queued DPC does not move it.
 */
#include <linux/kernel.h>

#include "conform.h"

static void target_cpu(void)
{
	static struct rec r[64];
	ULONG c;
	int bad = 0, badirql = 0, badnum = 0, badex = 0;
	char detail[128] = "";

	/* KeSetTargetProcessorDpc, Medium (remote may wait): flush then check. */
	for (c = 0; c < ncpu; c++) {
		rec_init(&r[c], c, false);
		KeSetTargetProcessorDpc(&r[c].dpc, (CCHAR)c);
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	}
	KeFlushQueuedDpcs();
	for (c = 0; c < ncpu; c++) {
		if (atomic_read(&r[c].runs) != 1 || r[c].cpu != c) {
			bad++;
			scnprintf(detail, sizeof(detail), "dpc for %u ran %d times on %d", c,
				  atomic_read(&r[c].runs), r[c].cpu);
		}
		if (r[c].irql != DISPATCH_LEVEL)
			badirql++;
		if (r[c].pn_group != 0 || r[c].pn_number != c || r[c].exnum != c)
			badnum++;
	}
	CHECK("target-cpu", bad == 0, "each on its CPU after flush; %s", detail);
	CHECK("target-irql", badirql == 0, "DISPATCH on all; %d not", badirql);
	CHECK("target-number-ex", badnum == 0, "group 0/number = cpu; %d wrong", badnum);

	/* KeSetTargetProcessorDpcEx, High and Low, threaded too. */
	bad = 0;
	badirql = 0;
	badex = 0;
	for (c = 0; c < ncpu; c++) {
		PROCESSOR_NUMBER pn = { .Group = 0, .Number = c };
		NTSTATUS st;

		rec_init(&r[c], c, false);
		KeSetImportanceDpc(&r[c].dpc, (c & 1) ? HighImportance : LowImportance);
		st = KeSetTargetProcessorDpcEx(&r[c].dpc, &pn);
		if (st != STATUS_SUCCESS)
			badex++;
		rec_init(&r[32 + c], 32 + c, true);
		st = KeSetTargetProcessorDpcEx(&r[32 + c].dpc, &pn);
		if (st != STATUS_SUCCESS)
			badex++;
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
		KeInsertQueueDpc(&r[32 + c].dpc, NULL, NULL);
	}
	KeFlushQueuedDpcs();
	for (c = 0; c < ncpu; c++) {
		if (atomic_read(&r[c].runs) != 1 || r[c].cpu != c)
			bad++;
		if (atomic_read(&r[32 + c].runs) != 1 || r[32 + c].cpu != c) {
			bad++;
			scnprintf(detail, sizeof(detail), "threaded for %u ran %d on %d", c,
				  atomic_read(&r[32 + c].runs), r[32 + c].cpu);
		}
		if (r[c].irql != DISPATCH_LEVEL || r[32 + c].irql != PASSIVE_LEVEL)
			badirql++;
	}
	CHECK("target-ex-status", badex == 0, "STATUS_SUCCESS; %d failed", badex);
	CHECK("target-ex-cpu", bad == 0, "each on its CPU after flush; %d wrong %s", bad, detail);
	CHECK("threaded-irql-passive", badirql == 0, "DPC 2 / threaded 0; %d wrong (e.g. %d/%d)",
	      badirql, r[0].irql, r[32].irql);
	INFO("threaded-isexecutingdpc", "KeIsExecutingDpc() in a threaded DPC = %d",
	     r[32].executing);

	/* Remote Low/Medium DPC without flush: eventually runs. */
	for (c = 0; c < ncpu; c++) {
		rec_init(&r[c], c, false);
		KeSetImportanceDpc(&r[c].dpc, (c & 1) ? MediumImportance : LowImportance);
		KeSetTargetProcessorDpc(&r[c].dpc, (CCHAR)c);
		KeInsertQueueDpc(&r[c].dpc, NULL, NULL);
	}
	{
		int ok = 1;

		for (c = 0; c < ncpu; c++)
			ok &= WAIT_FOR(atomic_read(&r[c].runs) == 1, 10000);
		CHECK("remote-low-medium-run-without-flush", ok, "all ran within 10 s got not");
	}

	/*
	 * Remote High: processed at once (an IPI), while this CPU stays at
	 * DISPATCH.  Under emulation the target vCPU may not run for a while:
	 * 2 s of busy-waiting is the bound.
	 */
	{
		ULONG t = (home_cpu + 1) % ncpu;
		KIRQL old;
		int ok;

		rec_init(&r[0], 0, false);
		KeSetImportanceDpc(&r[0].dpc, HighImportance);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)t);
		old = KeRaiseIrqlToDpcLevel();
		KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
		ok = SPIN_FOR(atomic_read(&r[0].runs), 2000);
		KeLowerIrql(old);
		CHECK("remote-high-runs-while-caller-at-dispatch", ok && r[0].cpu == t,
		      "ran on %u within 2 s got runs %d cpu %d", t, ok, r[0].cpu);
	}

	/* Target changed after queueing: the queued instance keeps its CPU. */
	{
		ULONG t = (home_cpu + 2) % ncpu;
		KIRQL old;

		rec_init(&r[0], 0, false);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)home_cpu);
		old = KeRaiseIrqlToDpcLevel();
		KeInsertQueueDpc(&r[0].dpc, NULL, NULL);
		KeSetTargetProcessorDpc(&r[0].dpc, (CCHAR)t);
		KeLowerIrql(old);
		WAIT_FOR(atomic_read(&r[0].runs), 10000);
		CHECK("retarget-after-queue-no-effect", r[0].cpu == home_cpu, "cpu %u got %d",
		      home_cpu, r[0].cpu);
	}
}

/* Remote MediumHigh: processed at once, caller stays at DISPATCH (2 s). */
static void target_remote_mediumhigh(void)
{
	static struct rec r;
	ULONG t = (home_cpu + 1) % ncpu;
	KIRQL old;
	int ok;

	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, MediumHighImportance);
	KeSetTargetProcessorDpc(&r.dpc, (CCHAR)t);
	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	ok = SPIN_FOR(atomic_read(&r.runs), 2000);
	KeLowerIrql(old);
	CHECK("remote-mediumhigh-runs-while-caller-at-dispatch", ok && r.cpu == t,
	      "ran on %u within 2 s got %d cpu %d", t, ok, r.cpu);
}

void conform_target(void)
{
	target_cpu();
	target_remote_mediumhigh();
}
