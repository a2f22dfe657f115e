// SPDX-License-Identifier: GPL-2.0
/*
 * When a DPC queued for its own CPU runs: not while the IRQL is at or above
 * DISPATCH_LEVEL, but as soon as it drops below (a spin lock released, a
 * lowering from SYNCH_LEVEL); before KeInsertQueueDpc() returns when queued
 * below (APC_LEVEL, and PASSIVE_LEVEL unless it is Low); not nested inside
 * the routine that queued it; and a Low one eventually, under load too, or
 * queued deeper than the maximum queue depth.
 */
#include <linux/delay.h>

#include "conform.h"

/* Queued at a raised IRQL: runs once the IRQL is below DISPATCH_LEVEL. */
static void delivery_lower_irql(void)
{
	static struct rec r;
	KIRQL old;

	/* With a spin lock held (IRQL DISPATCH) then released. */
	rec_init(&r, 1, false);
	{
		KSPIN_LOCK lock;
		int before, after;

		KeInitializeSpinLock(&lock);
		KeAcquireSpinLock(&lock, &old);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		before = atomic_read(&r.runs);
		KeReleaseSpinLock(&lock, old);
		after = atomic_read(&r.runs);
		CHECK("spinlock-release-delivers", before == 0 && after == 1,
		      "0 before, 1 after KeReleaseSpinLock got %d %d", before, after);
	}

	/* From SYNCH_LEVEL: nothing at DISPATCH, runs below it. */
	rec_init(&r, 1, false);
	{
		KIRQL o;
		int at2, at0;

		KeRaiseIrql(SYNCH_LEVEL, &o);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		KeLowerIrql(DISPATCH_LEVEL);
		mdelay(2);
		at2 = atomic_read(&r.runs);
		KeLowerIrql(o);
		at0 = atomic_read(&r.runs);
		CHECK("synch-to-dispatch-no-run", at2 == 0, "0 got %d", at2);
		CHECK("synch-to-passive-run", at0 == 1, "1 got %d", at0);
	}

	/* From APC_LEVEL: below DISPATCH, so the DPC runs at once. */
	rec_init(&r, 1, false);
	{
		KIRQL o;
		int n;

		KeRaiseIrql(APC_LEVEL, &o);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		n = atomic_read(&r.runs);
		KeLowerIrql(o);
		WAIT_FOR(atomic_read(&r.runs), 10000);
		CHECK("apc-level-insert-runs-at-once", n == 1, "1 run before return got %d", n);
	}
}

static void delivery_passive(void)
{
	static struct rec r;
	int n, i, immediate = 0;

	/* Medium, current CPU, PASSIVE: runs before KeInsertQueueDpc returns. */
	for (i = 0; i < 20; i++) {
		rec_init(&r, 1, false);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		n = atomic_read(&r.runs);
		if (n == 1)
			immediate++;
		WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	}
	CHECK("passive-medium-runs-before-return", immediate == 20,
	      "20/20 ran before KeInsertQueueDpc returned got %d/20", immediate);

	/* MediumHigh and High local: same. */
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, MediumHighImportance);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("passive-mediumhigh-runs-before-return", n == 1, "1 got %d", n);
	rec_init(&r, 1, false);
	KeSetImportanceDpc(&r.dpc, HighImportance);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs) >= 1, 10000);
	CHECK("passive-high-runs-before-return", n == 1, "1 got %d", n);

	/* Explicitly targeted at the current CPU, Medium, PASSIVE. */
	rec_init(&r, 1, false);
	KeSetTargetProcessorDpc(&r.dpc, (CCHAR)home_cpu);
	KeInsertQueueDpc(&r.dpc, NULL, NULL);
	n = atomic_read(&r.runs);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	CHECK("passive-medium-self-targeted-runs-before-return", n == 1, "1 got %d", n);

	/* Low, current CPU, PASSIVE: "do not begin processing of the queue". */
	immediate = 0;
	n = 0;
	for (i = 0; i < 20; i++) {
		rec_init(&r, 1, false);
		KeSetImportanceDpc(&r.dpc, LowImportance);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		if (atomic_read(&r.runs))
			immediate++;
		if (WAIT_FOR(atomic_read(&r.runs) >= 1, 5000))
			n++;
	}
	CHECK("passive-low-eventually-runs", n == 20, "20/20 ran within 5 s got %d/20", n);
	INFO("passive-low-immediate",
	     "%d/20 Low DPCs had run before KeInsertQueueDpc returned (idle system)",
	     immediate);
}

/* A queues B on the same CPU: B runs after A returns, not nested. */
static struct rec nest_b;
static int nest_b_runs_inside_a;
static BOOLEAN nest_ret;
static VOID NestARoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	nest_ret = KeInsertQueueDpc(&nest_b.dpc, NULL, NULL);
	mdelay(2);
	nest_b_runs_inside_a = atomic_read(&nest_b.runs);
}

static void delivery_no_nesting(void)
{
	static KDPC a;

	rec_init(&nest_b, 2, false);
	nest_b_runs_inside_a = -1;
	KeInitializeDpc(&a, NestARoutine, NULL);
	KeInsertQueueDpc(&a, NULL, NULL);
	WAIT_FOR(atomic_read(&nest_b.runs) >= 1, 10000);
	CHECK("dpc-inserts-dpc-no-nesting", nest_ret && nest_b_runs_inside_a == 0 &&
	      atomic_read(&nest_b.runs) == 1 && nest_b.cpu == home_cpu,
	      "TRUE, 0 inside A, 1 after, same cpu got %d %d %d cpu %d", nest_ret,
	      nest_b_runs_inside_a, atomic_read(&nest_b.runs), nest_b.cpu);
}

static void delivery_low_under_load(void)
{
	static struct rec r, load;
	int i, n, imm = 0;

	/*
	 * Low while this CPU has a high DPC rate: busy-queue Medium DPCs for
	 * 100 ms, then a Low one.  Whether the rate counts as high depends on
	 * how fast the (emulated) CPU queues them, so when the Low DPC runs is
	 * reported, not checked; that it runs is checked.
	 */
	n = 0;
	for (i = 0; i < 5; i++) {
		unsigned long end = jiffies + msecs_to_jiffies(100);

		rec_init(&load, 9, false);
		while (time_before(jiffies, end)) {
			KeInsertQueueDpc(&load.dpc, NULL, NULL);
			spin_us(20);
		}
		rec_init(&r, 1, false);
		KeSetImportanceDpc(&r.dpc, LowImportance);
		KeInsertQueueDpc(&r.dpc, NULL, NULL);
		if (atomic_read(&r.runs))
			imm++;
		if (WAIT_FOR(atomic_read(&r.runs), 10000))
			n++;
	}
	INFO("low-under-dpc-load",
	     "%d/5 Low DPCs ran before KeInsertQueueDpc returned after %d Medium DPCs in 100 ms",
	     imm, atomic_read(&load.runs));
	CHECK("low-under-dpc-load-runs", n == 5, "5/5 Low DPCs ran within 10 s got %d/5", n);
}

/* Low queue deeper than MaximumDpcQueueDepth (4) at DISPATCH: runs on lower. */
static void delivery_low_deep_queue(void)
{
	static struct rec lows[6];
	KIRQL old;
	int i, n;

	for (i = 0; i < 6; i++) {
		rec_init(&lows[i], i, false);
		KeSetImportanceDpc(&lows[i].dpc, LowImportance);
	}
	old = KeRaiseIrqlToDpcLevel();
	for (i = 0; i < 6; i++)
		KeInsertQueueDpc(&lows[i].dpc, NULL, NULL);
	KeLowerIrql(old);
	n = 0;
	for (i = 0; i < 6; i++)
		n += atomic_read(&lows[i].runs);
	KeFlushQueuedDpcs();
	{
		int later = 0;

		for (i = 0; i < 6; i++)
			later += atomic_read(&lows[i].runs);
		CHECK("low-deep-queue-runs-on-lower", n == 6,
		      "6 Low DPCs (depth > 4) run when IRQL drops got %d (%d after a flush)",
		      n, later);
	}
}

void conform_delivery(void)
{
	delivery_lower_irql();
	delivery_passive();
	delivery_no_nesting();
	delivery_low_under_load();
	delivery_low_deep_queue();
}
