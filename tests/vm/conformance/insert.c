// SPDX-License-Identifier: GPL-2.0
/*
 * KeInsertQueueDpc(): TRUE when it queues, FALSE while already queued
 * (keeping the first call's arguments), TRUE again from the routine itself
 * or while the routine runs; the arguments the routine gets; and exactly
 * one TRUE when every CPU inserts the same DPC at once.
 */
#include <linux/delay.h>
#include <linux/string.h>

#include "conform.h"

/*
 * Insert returns, arguments, FALSE on double insert, delivery on lower:
 * queued at DISPATCH_LEVEL, the DPC runs as the IRQL drops.
 */
static void insert_basic(void)
{
	static struct rec r;
	KIRQL old;
	BOOLEAN b1, b2, b3;
	int ran_before;
	PVOID f1, f2;

	rec_init(&r, 1, false);
	old = KeRaiseIrqlToDpcLevel();
	b1 = KeInsertQueueDpc(&r.dpc, (PVOID)0xA1, (PVOID)0xA2);
	b2 = KeInsertQueueDpc(&r.dpc, (PVOID)0xB1, (PVOID)0xB2);
	f1 = r.dpc.SystemArgument1;
	f2 = r.dpc.SystemArgument2;
	mdelay(5);
	ran_before = atomic_read(&r.runs);
	KeLowerIrql(old);
	/* Nothing in between: the DPC must have run as the IRQL dropped. */
	{
		int ran_after = atomic_read(&r.runs);

		CHECK("insert-true", nt_true(b1), "TRUE got %d", b1);
		CHECK("insert-again-false", !b2, "FALSE got %d", b2);
		CHECK("insert-false-keeps-args-fields", f1 == (PVOID)0xA1 && f2 == (PVOID)0xA2,
		      "0xa1/0xa2 got %lx/%lx", (unsigned long)f1, (unsigned long)f2);
		CHECK("dispatch-no-run-before-lower", ran_before == 0, "0 runs got %d", ran_before);
		CHECK("dispatch-runs-on-lower", ran_after == 1,
		      "1 run right after KeLowerIrql(PASSIVE) got %d", ran_after);
	}
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	msleep(20);
	CHECK("insert-twice-one-call", atomic_read(&r.runs) == 1, "1 got %d", atomic_read(&r.runs));
	CHECK("routine-args", r.a1 == (PVOID)0xA1 && r.a2 == (PVOID)0xA2,
	      "0xa1/0xa2 got %lx/%lx", (unsigned long)r.a1, (unsigned long)r.a2);
	CHECK("routine-dpc-ctx", r.dpc_arg == &r.dpc && r.ctx == &r,
	      "dpc %p ctx %p got %p %p", &r.dpc, &r, r.dpc_arg, r.ctx);
	CHECK("routine-irql-dispatch", r.irql == DISPATCH_LEVEL, "2 got %d", r.irql);
	CHECK("routine-isexecutingdpc", r.executing, "TRUE got %d", r.executing);
	CHECK("routine-irqs-enabled", !r.irqs_off, "interrupts enabled got irqs_disabled=%d",
	      r.irqs_off);
	CHECK("routine-untargeted-current-cpu", r.cpu == home_cpu, "cpu %u got %d",
	      home_cpu, r.cpu);
	CHECK("dpcdata-null-after-run", !r.dpc.DpcData, "NULL got %p", r.dpc.DpcData);
	b3 = KeInsertQueueDpc(&r.dpc, (PVOID)0xC1, NULL);
	WAIT_FOR(atomic_read(&r.runs) >= 2, 10000);
	CHECK("insert-after-run-true", nt_true(b3) && atomic_read(&r.runs) == 2 &&
	      r.a1 == (PVOID)0xC1, "TRUE, 2 runs, a1 0xc1 got %d %d %lx", b3,
	      atomic_read(&r.runs), (unsigned long)r.a1);
}

/* DPC re-queues itself. */
static atomic_t self_n;
static BOOLEAN self_ret[8];
static VOID SelfRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int n = atomic_inc_return(&self_n);

	if (n < 5)
		self_ret[n] = KeInsertQueueDpc(Dpc, (PVOID)(unsigned long)(n + 1), NULL);
}

static void insert_self_requeue(void)
{
	static KDPC d;
	BOOLEAN b;
	int i, ok;

	atomic_set(&self_n, 0);
	memset(self_ret, 0, sizeof(self_ret));
	KeInitializeDpc(&d, SelfRoutine, NULL);
	b = KeInsertQueueDpc(&d, (PVOID)1, NULL);
	WAIT_FOR(atomic_read(&self_n) >= 5, 10000);
	KeFlushQueuedDpcs();
	msleep(20);
	ok = 1;
	for (i = 1; i < 5; i++)
		ok &= nt_true(self_ret[i]);
	CHECK("self-requeue", b && atomic_read(&self_n) == 5 && ok,
	      "5 runs, every re-insert TRUE got %d runs, ret %d%d%d%d", atomic_read(&self_n),
	      self_ret[1], self_ret[2], self_ret[3], self_ret[4]);

	/* Same, remote CPU. */
	atomic_set(&self_n, 0);
	memset(self_ret, 0, sizeof(self_ret));
	KeInitializeDpc(&d, SelfRoutine, NULL);
	KeSetTargetProcessorDpc(&d, (CCHAR)((home_cpu + 1) % ncpu));
	KeInsertQueueDpc(&d, (PVOID)1, NULL);
	WAIT_FOR(atomic_read(&self_n) >= 5, 10000);
	KeFlushQueuedDpcs();
	CHECK("self-requeue-remote", atomic_read(&self_n) == 5 && nt_true(self_ret[4]),
	      "5 runs got %d", atomic_read(&self_n));
}

/* Running-DPC insert returns TRUE (DpcData cleared before the call). */
static struct rec run_r;

/*
 * Insert while the routine runs (remote): TRUE, and it runs again.  The
 * routine is held running until the second insert is done.
 */
static void insert_while_running(void)
{
	BOOLEAN b;

	rec_init(&run_r, 1, false);
	atomic_set(&run_r.hold, 1);
	KeSetTargetProcessorDpc(&run_r.dpc, (CCHAR)((home_cpu + 1) % ncpu));
	KeSetImportanceDpc(&run_r.dpc, HighImportance);
	KeInsertQueueDpc(&run_r.dpc, NULL, NULL);
	if (WAIT_FOR(atomic_read(&run_r.started), 10000)) {
		int fin;

		b = KeInsertQueueDpc(&run_r.dpc, (PVOID)7, NULL);
		fin = atomic_read(&run_r.finished);
		atomic_set(&run_r.hold, 0);
		WAIT_FOR(atomic_read(&run_r.runs) >= 2, 10000);
		msleep(20);
		CHECK("insert-while-running-true",
		      !fin && nt_true(b) && atomic_read(&run_r.runs) == 2 && run_r.a1 == (PVOID)7,
		      "TRUE and a second run with the new argument got fin %d ret %d runs %d a1 %lx",
		      fin, b, atomic_read(&run_r.runs), (unsigned long)run_r.a1);
	} else {
		atomic_set(&run_r.hold, 0);
		FAILF("insert-while-running-true", "remote High DPC never started");
	}
	KeFlushQueuedDpcs();
}

/* Same DPC inserted from every CPU at once: one TRUE. */
static KDPC shared_dpc;
static atomic_t shared_true, shared_runs;
static VOID SharedRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&shared_runs);
}

static VOID InsertEverywhere(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	KeSignalCallDpcSynchronize(A2);
	if (KeInsertQueueDpc(&shared_dpc, NULL, NULL))
		atomic_inc(&shared_true);
	KeSignalCallDpcSynchronize(A2);
	KeSignalCallDpcDone(A1);
}

static void insert_concurrent(void)
{
	int round, bad = 0, badruns = 0;

	KeInitializeDpc(&shared_dpc, SharedRoutine, NULL);
	for (round = 0; round < 50; round++) {
		atomic_set(&shared_true, 0);
		atomic_set(&shared_runs, 0);
		KeGenericCallDpc(InsertEverywhere, NULL);
		KeFlushQueuedDpcs();
		if (atomic_read(&shared_true) != 1)
			bad++;
		if (atomic_read(&shared_runs) != 1)
			badruns++;
	}
	CHECK("concurrent-insert-one-true", bad == 0 && badruns == 0,
	      "exactly one TRUE and one run per round; bad rounds %d/%d", bad, badruns);
}

void conform_insert(void)
{
	insert_basic();
	insert_self_requeue();
	insert_while_running();
	insert_concurrent();
}
