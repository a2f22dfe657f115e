// SPDX-License-Identifier: GPL-2.0
/*
 * Threaded DPCs (KeInitializeThreadedDpc) run at PASSIVE_LEVEL, and an
 * ordinary DPC for the same CPU preempts one: queued from inside it, or
 * while it runs.  Where they run and at which IRQL when targeted is in
 * target.c; their queue order in order.c.
 */
#include "conform.h"

/*
 * Threaded DPC queues an ordinary DPC on its own CPU: the ordinary one
 * preempts it (runs before KeInsertQueueDpc returns).
 */
static struct rec tq_b;
static int tq_b_after_insert = -1, tq_irql = -1;
static VOID ThreadedQueuesRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	tq_irql = KeGetCurrentIrql();
	KeInsertQueueDpc(&tq_b.dpc, NULL, NULL);
	tq_b_after_insert = atomic_read(&tq_b.runs);
}

static void threaded_queues_ordinary(void)
{
	static KDPC t;

	rec_init(&tq_b, 3, false);
	KeInitializeThreadedDpc(&t, ThreadedQueuesRoutine, NULL);
	KeInsertQueueDpc(&t, NULL, NULL);
	WAIT_FOR(atomic_read(&tq_b.runs) >= 1, 10000);
	KeFlushQueuedDpcs();
	CHECK("threaded-queues-ordinary-preempts",
	      tq_irql == PASSIVE_LEVEL && tq_b_after_insert == 1,
	      "threaded at 0, ordinary ran before insert returned (1) got irql %d runs %d",
	      tq_irql, tq_b_after_insert);
}

/* A threaded DPC is preempted by an ordinary DPC on its CPU. */
static void threaded_preempted(void)
{
	static struct rec th, od;
	ULONG t = (home_cpu + 2) % ncpu;

	/*
	 * The threaded DPC is held running (busy, at PASSIVE_LEVEL) on CPU t
	 * until the ordinary DPC for t has finished, or 10 s.
	 */
	rec_init(&th, 1, true);
	atomic_set(&th.hold, 1);
	KeSetTargetProcessorDpc(&th.dpc, (CCHAR)t);
	rec_init(&od, 2, false);
	KeSetImportanceDpc(&od.dpc, HighImportance);
	KeSetTargetProcessorDpc(&od.dpc, (CCHAR)t);
	KeInsertQueueDpc(&th.dpc, NULL, NULL);
	if (!WAIT_FOR(atomic_read(&th.started), 10000)) {
		atomic_set(&th.hold, 0);
		FAILF("threaded-preempted-by-ordinary", "threaded DPC never started");
		KeFlushQueuedDpcs();
		return;
	}
	KeInsertQueueDpc(&od.dpc, NULL, NULL);
	WAIT_FOR(atomic_read(&od.finished), 10000);
	{
		int od_fin = atomic_read(&od.finished);
		int th_fin = atomic_read(&th.finished);

		atomic_set(&th.hold, 0);
		KeFlushQueuedDpcs();
		CHECK("threaded-preempted-by-ordinary", od_fin && od.cpu == t,
		      "ordinary DPC ran on %u got fin %d cpu %d", t, od_fin, od.cpu);
		CHECK("threaded-preempted-ordinary-finishes-first", od_fin && !th_fin,
		      "ordinary DPC finished while the threaded one still ran got %d %d",
		      od_fin, th_fin);
	}
}

/* Threaded DPC on the current CPU at PASSIVE: when does it run? */
static void threaded_passive_local(void)
{
	static struct rec r;
	int n;

	rec_init(&r, 1, true);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	INFO("threaded-passive-local", "ran before KeInsertQueueDpc returned: %d; cpu %d irql %d",
	     n, r.cpu, r.irql);
}

void conform_threaded(void)
{
	threaded_queues_ordinary();
	threaded_preempted();
	threaded_passive_local();
}
