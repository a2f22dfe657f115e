// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: emulated IRQL, spin locks and processor numbering (UML and x86_64).
 */
#include <linux/kthread.h>

#include "ntdpc_test.h"

/* Every level PASSIVE..HIGH: the old level comes back, the context matches. */
static void ntdpc_test_raise_each_level(struct kunit *test)
{
	KIRQL level, old;

	KUNIT_ASSERT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	for (level = PASSIVE_LEVEL; level <= HIGH_LEVEL; level++) {
		KeRaiseIrql(level, &old);
		KUNIT_EXPECT_EQ(test, old, PASSIVE_LEVEL);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), level);
		KUNIT_EXPECT_EQ_MSG(test, irqs_disabled(), level > DISPATCH_LEVEL,
				    "level %u", level);
		KUNIT_EXPECT_EQ_MSG(test, !!in_softirq(), level >= DISPATCH_LEVEL,
				    "level %u", level);
		KeLowerIrql(old);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
		KUNIT_EXPECT_FALSE(test, irqs_disabled());
		KUNIT_EXPECT_FALSE(test, in_softirq());
	}
}

static void ntdpc_test_raise_nested(struct kunit *test)
{
	KIRQL a, b, c;

	KeRaiseIrql(APC_LEVEL, &a);
	KeRaiseIrql(DISPATCH_LEVEL, &b);
	c = KeRaiseIrqlToSynchLevel();
	KUNIT_EXPECT_EQ(test, a, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, b, APC_LEVEL);
	KUNIT_EXPECT_EQ(test, c, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), SYNCH_LEVEL);
	KeLowerIrql(c);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
	KeLowerIrql(b);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), APC_LEVEL);
	KUNIT_EXPECT_FALSE(test, in_softirq());
	KeLowerIrql(a);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	a = KeRaiseIrqlToDpcLevel();
	KUNIT_EXPECT_EQ(test, a, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(a);
}

/* DPCs run below DISPATCH_LEVEL: at APC_LEVEL a queued DPC runs at once. */
static void ntdpc_test_dpc_at_apc(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KIRQL old;
	KDPC dpc;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeRaiseIrql(APC_LEVEL, &old);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), APC_LEVEL);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, p.irql, DISPATCH_LEVEL);
}

/*
 * Lowered from DISPATCH_LEVEL to APC_LEVEL with a DPC pending: the DPC runs
 * at DISPATCH_LEVEL (on PREEMPT_RT in this task, on its way down), the task
 * is at APC_LEVEL after and at PASSIVE_LEVEL after its last lower, and a
 * routine that takes a spin lock on the way leaves all of that alone.
 */
static KSPIN_LOCK ntdpc_apc_lower_lock;

static VOID ntdpc_lock_probe_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	KIRQL old;

	KeAcquireSpinLock(&ntdpc_apc_lower_lock, &old);
	KeReleaseSpinLock(&ntdpc_apc_lower_lock, old);
	ntdpc_probe_fn(dpc, ctx, a1, a2);
}

static void ntdpc_test_lower_to_apc_runs_dpc(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_ROUTINE_IRQL);
	struct ntdpc_probe p[2] = {};
	KIRQL old, apc;
	KDPC dpc[2];
	int i;

	KeInitializeSpinLock(&ntdpc_apc_lower_lock);
	KeInitializeDpc(&dpc[0], ntdpc_probe_fn, &p[0]);
	KeInitializeDpc(&dpc[1], ntdpc_lock_probe_fn, &p[1]);
	for (i = 0; i < 2; i++) {
		KeRaiseIrql(APC_LEVEL, &old);
		KeRaiseIrql(DISPATCH_LEVEL, &apc);
		KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc[i], NULL, NULL));
		KeLowerIrql(apc);
		KUNIT_EXPECT_EQ(test, atomic_read(&p[i].runs), 1);
		KUNIT_EXPECT_EQ(test, p[i].irql, DISPATCH_LEVEL);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), APC_LEVEL);
		KeLowerIrql(old);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
		KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_ROUTINE_IRQL),
				bad);
#if defined(CONFIG_SMP) && defined(CONFIG_PREEMPT_RT)
		/* APC_LEVEL's migrate_disable() was undone. */
		KUNIT_EXPECT_EQ(test, (int)current->migration_disabled, 0);
#endif
	}
}

/* Queued at SYNCH_LEVEL: runs when the CPU drops below DISPATCH_LEVEL. */
static void ntdpc_test_dpc_held_until_lower(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KIRQL old, mid;
	KDPC dpc;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeRaiseIrql(SYNCH_LEVEL, &old);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KeLowerIrql(DISPATCH_LEVEL);
	mdelay(1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 0);
	mid = KeGetCurrentIrql();
	KUNIT_EXPECT_EQ(test, mid, DISPATCH_LEVEL);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
}

static void ntdpc_test_irql_misuse(struct kunit *test)
{
	long raise = ntdpc_misuses(NTDPC_MISUSE_RAISE_LOWER);
	long higher = ntdpc_misuses(NTDPC_MISUSE_LOWER_HIGHER);
	long below = ntdpc_misuses(NTDPC_MISUSE_LOWER_BELOW);
	KIRQL old, bad;

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeRaiseIrql(PASSIVE_LEVEL, &bad);	/* raise to a lower level */
	KUNIT_EXPECT_EQ(test, bad, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeRaiseIrql(HIGH_LEVEL + 1, &bad);	/* no such level */
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(HIGH_LEVEL);		/* lower to a higher level */
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_RAISE_LOWER), raise + 2);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_LOWER_HIGHER),
			higher + 1);

	/* Below the level the context started at: refused, state intact. */
	local_bh_disable();
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeRaiseIrql(SYNCH_LEVEL, &old);
	KUNIT_EXPECT_EQ(test, old, DISPATCH_LEVEL);
	KeLowerIrql(PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, irqs_disabled());
	KUNIT_EXPECT_TRUE(test, in_softirq());
	KeLowerIrql(PASSIVE_LEVEL);		/* nothing raised any more */
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_LOWER_BELOW), below + 2);
}

/*
 * A KSPIN_LOCK released inside a Linux irqsave section taken after it: the
 * release must not turn on the interrupts the caller turned off.  In a task
 * the lowering below DISPATCH_LEVEL is done with them off (refused on
 * PREEMPT_RT, and done by a later one); in a DPC routine the release has
 * nothing to lower.
 */
struct ntdpc_irqsave_probe {
	KSPIN_LOCK lock;
	int irqs_off;
	KIRQL after;
};

static VOID ntdpc_irqsave_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_irqsave_probe *p = ctx;
	unsigned long flags;
	KIRQL old;

	KeAcquireSpinLock(&p->lock, &old);
	local_irq_save(flags);
	KeReleaseSpinLock(&p->lock, old);
	p->irqs_off = irqs_disabled();
	local_irq_restore(flags);
	p->after = KeGetCurrentIrql();
}

static void ntdpc_test_release_under_irqsave(struct kunit *test)
{
	long refused = ntdpc_misuses(NTDPC_MISUSE_LOWER_IRQS_OFF);
	struct ntdpc_irqsave_probe p = { .irqs_off = -1 };
	unsigned long flags;
	KDPC dpc;
	KIRQL old;

	KIRQL high;
	int i;

	KeInitializeSpinLock(&p.lock);
	for (i = 0; i < 2; i++) {
		KeAcquireSpinLock(&p.lock, &old);
		local_irq_save(flags);
		if (i) {
			/* A raise and lowering over them: nothing recorded. */
			KeRaiseIrql(HIGH_LEVEL, &high);
			KeLowerIrql(high);
		}
		KeReleaseSpinLock(&p.lock, old);
		KUNIT_EXPECT_TRUE(test, irqs_disabled());
		local_irq_restore(flags);
		KUNIT_EXPECT_EQ(test,
				ntdpc_misuses(NTDPC_MISUSE_LOWER_IRQS_OFF),
				refused + i + 1);
		/* PREEMPT_RT refuses it, and the next lowering does it. */
		if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
			KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(),
					DISPATCH_LEVEL);
			KeLowerIrql(old);
		}
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
		KUNIT_EXPECT_FALSE(test, in_softirq());
	}

	KeInitializeDpc(&dpc, ntdpc_irqsave_fn, &p);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, p.irqs_off, 1);
	KUNIT_EXPECT_EQ(test, p.after, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_LOWER_IRQS_OFF),
			refused + 2);
}

/* Interrupts off (a Linux caller's own local_irq_save) read as HIGH_LEVEL. */
static void ntdpc_test_context_levels(struct kunit *test)
{
	unsigned long flags;

	local_irq_save(flags);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), HIGH_LEVEL);
	local_irq_restore(flags);
	local_bh_disable();
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_FALSE(test, KeIsExecutingDpc());
}

struct ntdpc_lock_probe {
	KSPIN_LOCK lock;
	KSPIN_LOCK passive_lock;
	KIRQL inside;
	int runs;
};

static VOID ntdpc_lock_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_lock_probe *lp = ctx;

	KeAcquireSpinLockAtDpcLevel(&lp->lock);
	lp->inside = KeGetCurrentIrql();
	lp->runs++;
	KeReleaseSpinLockFromDpcLevel(&lp->lock);
}

static void ntdpc_test_spinlocks(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);
	struct ntdpc_lock_probe lp = {};
	int i, late = 0;
	KIRQL old;
	KDPC dpc;

	KeInitializeSpinLock(&lp.lock);
	KeInitializeDpc(&dpc, ntdpc_lock_dpc, &lp);

	KeAcquireSpinLock(&lp.lock, &old);
	KUNIT_EXPECT_EQ(test, old, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	/* Queued under the lock: cannot run (and deadlock) until release. */
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KUNIT_EXPECT_EQ(test, lp.runs, 0);
	KeReleaseSpinLock(&lp.lock, old);
	KUNIT_EXPECT_EQ(test, lp.runs, 1);
	KUNIT_EXPECT_EQ(test, lp.inside, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	/*
	 * Every time: on PREEMPT_RT the DPC runs in the dispatch thread, and
	 * the releasing task, preempted by it, must not be pulled to another
	 * CPU and return before the DPC has run.
	 */
	for (i = 0; i < 200; i++) {
		int before = lp.runs;

		KeAcquireSpinLock(&lp.lock, &old);
		KeInsertQueueDpc(&dpc, NULL, NULL);
		KeReleaseSpinLock(&lp.lock, old);
		if (lp.runs != before + 1)
			late++;
		while (lp.runs == before)
			usleep_range(1000, 2000);
	}
	KUNIT_EXPECT_EQ(test, late, 0);

	old = KeAcquireSpinLockRaiseToDpc(&lp.lock);
	KUNIT_EXPECT_EQ(test, old, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeReleaseSpinLock(&lp.lock, old);

	/*
	 * AtDpcLevel from PASSIVE_LEVEL is a caller bug: reported.  A lock of
	 * its own, never used by a DPC, so that lockdep has nothing to say.
	 */
	KeInitializeSpinLock(&lp.passive_lock);
	KeAcquireSpinLockAtDpcLevel(&lp.passive_lock);
	/*
	 * Raised, so that a DPC of this CPU taking the lock cannot interrupt
	 * the holder and spin (adversarial review): lowered by the release.
	 */
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeReleaseSpinLockFromDpcLevel(&lp.passive_lock);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), bad + 1);

	/*
	 * The in-stack pair likewise, and nested: the inner acquire, already
	 * at DISPATCH_LEVEL, does not raise, so its release does not lower.
	 */
	{
		KLOCK_QUEUE_HANDLE h;

		KeAcquireInStackQueuedSpinLockAtDpcLevel(&lp.passive_lock, &h);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
		KeAcquireSpinLockAtDpcLevel(&lp.lock);
		KeReleaseSpinLockFromDpcLevel(&lp.lock);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), DISPATCH_LEVEL);
		KeReleaseInStackQueuedSpinLockFromDpcLevel(&h);
		KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	}
}

/*
 * A DPC queued on the caller's CPU has run when the caller drops below
 * DISPATCH_LEVEL, or when KeInsertQueueDpc() returns at PASSIVE_LEVEL,
 * whatever the caller's priority: a threaded interrupt handler or a
 * sched_set_fifo() thread runs above PREEMPT_RT's dispatch thread.
 */
struct ntdpc_prio_probe {
	KDPC dpc;
	KSPIN_LOCK lock;
	atomic_t runs;
	int late[3];
	struct completion done;
};

static VOID ntdpc_prio_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_prio_probe *pp = ctx;

	atomic_inc(&pp->runs);
}

static int ntdpc_prio_fn(void *arg)
{
	struct ntdpc_prio_probe *pp = arg;
	int i, before;
	KIRQL old;

	for (i = 0; i < 50; i++) {
		before = atomic_read(&pp->runs);
		KeRaiseIrql(DISPATCH_LEVEL, &old);
		KeInsertQueueDpc(&pp->dpc, NULL, NULL);
		KeLowerIrql(old);
		pp->late[0] += atomic_read(&pp->runs) == before;

		before = atomic_read(&pp->runs);
		KeAcquireSpinLock(&pp->lock, &old);
		KeInsertQueueDpc(&pp->dpc, NULL, NULL);
		KeReleaseSpinLock(&pp->lock, old);
		pp->late[1] += atomic_read(&pp->runs) == before;

		before = atomic_read(&pp->runs);
		KeInsertQueueDpc(&pp->dpc, NULL, NULL);
		pp->late[2] += atomic_read(&pp->runs) == before;
		/* A late one runs once this thread sleeps. */
		usleep_range(100, 200);
	}
	complete(&pp->done);
	return 0;
}

static void ntdpc_test_high_priority_lowering(struct kunit *test)
{
	struct ntdpc_prio_probe *pp = kunit_kzalloc(test, sizeof(*pp),
						    GFP_KERNEL);
	struct task_struct *k;

	KUNIT_ASSERT_NOT_NULL(test, pp);
	KeInitializeDpc(&pp->dpc, ntdpc_prio_dpc, pp);
	KeInitializeSpinLock(&pp->lock);
	init_completion(&pp->done);
	k = kthread_create(ntdpc_prio_fn, pp, "ntdpc_prio");
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	kthread_bind(k, cpumask_first(cpu_online_mask));
	sched_set_fifo(k);	/* FIFO 50, a threaded IRQ handler's */
	wake_up_process(k);
	wait_for_completion(&pp->done);
	KUNIT_EXPECT_EQ(test, pp->late[0], 0);
	KUNIT_EXPECT_EQ(test, pp->late[1], 0);
	KUNIT_EXPECT_EQ(test, pp->late[2], 0);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pp->runs), 150);
}

static void ntdpc_test_interlocked(struct kunit *test)
{
	LONG v = 5;
	PVOID p = NULL;
	int x;

	KUNIT_EXPECT_EQ(test, InterlockedIncrement(&v), 6);
	KUNIT_EXPECT_EQ(test, InterlockedDecrement(&v), 5);
	KUNIT_EXPECT_EQ(test, InterlockedExchange(&v, 9), 5);
	KUNIT_EXPECT_EQ(test, InterlockedCompareExchange(&v, 1, 8), 9);
	KUNIT_EXPECT_EQ(test, v, 9);
	KUNIT_EXPECT_EQ(test, InterlockedCompareExchange(&v, 1, 9), 9);
	KUNIT_EXPECT_EQ(test, v, 1);
	KUNIT_EXPECT_PTR_EQ(test, InterlockedCompareExchangePointer(&p, &x, NULL),
			    NULL);
	KUNIT_EXPECT_PTR_EQ(test, p, (PVOID)&x);
	KUNIT_EXPECT_PTR_EQ(test, InterlockedCompareExchangePointer(&p, NULL, NULL),
			    (PVOID)&x);
	KUNIT_EXPECT_PTR_EQ(test, p, (PVOID)&x);
}

static void ntdpc_test_processor_numbers(struct kunit *test)
{
	PROCESSOR_NUMBER pn = { .Reserved = 9 };
	KAFFINITY aff = 0;
	ULONG n, idx;

	n = KeQueryActiveProcessorCount(&aff);
	KUNIT_EXPECT_EQ(test, n, num_online_cpus());
	KUNIT_EXPECT_EQ(test, (unsigned int)hweight_long(aff),
			min_t(unsigned int, n, BITS_PER_LONG));
	KUNIT_EXPECT_EQ(test, aff, KeQueryActiveProcessors());
	KUNIT_EXPECT_EQ(test, KeQueryActiveProcessorCountEx(0), n);
	KUNIT_EXPECT_EQ(test, KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS), n);
	KUNIT_EXPECT_EQ(test, KeQueryActiveProcessorCountEx(1), 0U);

	migrate_disable();
	idx = KeGetCurrentProcessorNumberEx(&pn);
	KUNIT_EXPECT_EQ(test, idx, (ULONG)smp_processor_id());
	KUNIT_EXPECT_EQ(test, KeGetCurrentProcessorNumber(), idx);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, pn.Group, 0);
	KUNIT_EXPECT_EQ(test, pn.Number, idx);
	KUNIT_EXPECT_EQ(test, pn.Reserved, 0);
	KUNIT_EXPECT_TRUE(test, aff & BIT(idx));

	memset(&pn, 0xff, sizeof(pn));
	KUNIT_EXPECT_EQ(test, KeGetProcessorNumberFromIndex(idx, &pn),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, pn.Group, 0);
	KUNIT_EXPECT_EQ(test, pn.Number, idx);
	KUNIT_EXPECT_EQ(test, KeGetProcessorIndexFromNumber(&pn), idx);
	KUNIT_EXPECT_EQ(test, KeGetProcessorNumberFromIndex(nr_cpu_ids, &pn),
			STATUS_INVALID_PARAMETER);
	KUNIT_EXPECT_EQ(test, KeGetProcessorNumberFromIndex(0, NULL),
			STATUS_INVALID_PARAMETER);
	pn.Group = 1;
	KUNIT_EXPECT_EQ(test, KeGetProcessorIndexFromNumber(&pn),
			(ULONG)INVALID_PROCESSOR_INDEX);
	KUNIT_EXPECT_EQ(test, KeGetProcessorIndexFromNumber(NULL),
			(ULONG)INVALID_PROCESSOR_INDEX);
}

/* Targeting the current CPU is not the same as leaving the DPC untargeted. */
static void ntdpc_test_target_current(struct kunit *test)
{
	struct ntdpc_probe p = {};
	PROCESSOR_NUMBER pn = {};
	KDPC dpc;
	int cpu;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	migrate_disable();
	cpu = smp_processor_id();
	KeSetTargetProcessorDpc(&dpc, cpu);
	KUNIT_EXPECT_EQ(test, dpc.Number, MAXIMUM_PROCESSORS + cpu);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	migrate_enable();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
	KUNIT_EXPECT_EQ(test, p.cpu, cpu);

	pn.Number = cpu;
	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KUNIT_EXPECT_EQ(test, dpc.Number, 0);
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&dpc, &pn),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, dpc.Number, MAXIMUM_PROCESSORS + cpu);
}

/* KeGenericCallDpc on however many CPUs this kernel has. */
struct ntdpc_generic_probe {
	atomic_t calls;
	atomic_t sync_true;
	atomic_t sync2_true;
	atomic_t bad_irql;
	atomic_t per_cpu[NR_CPUS];
	PVOID ctx;
};

static VOID ntdpc_generic_probe_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_generic_probe *g = ctx;

	if (KeGetCurrentIrql() != DISPATCH_LEVEL || !KeIsExecutingDpc())
		atomic_inc(&g->bad_irql);
	atomic_inc(&g->per_cpu[smp_processor_id()]);
	atomic_inc(&g->calls);
	if (KeSignalCallDpcSynchronize(a2))
		atomic_inc(&g->sync_true);
	/* Everyone passed the first barrier: every CPU has called. */
	if (atomic_read(&g->calls) != num_online_cpus())
		atomic_inc(&g->bad_irql);
	if (KeSignalCallDpcSynchronize(a2))
		atomic_inc(&g->sync2_true);
	KeSignalCallDpcDone(a1);
}

static void ntdpc_test_generic_call(struct kunit *test)
{
	struct ntdpc_generic_probe *g;
	long forgot = ntdpc_misuses(NTDPC_MISUSE_GENERIC_DONE);
	unsigned int cpu;

	g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KeGenericCallDpc(ntdpc_generic_probe_fn, g);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->calls), (int)num_online_cpus());
	KUNIT_EXPECT_EQ(test, atomic_read(&g->sync_true), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->sync2_true), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->bad_irql), 0);
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&g->per_cpu[cpu]), 1,
				    "cpu %u", cpu);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_GENERIC_DONE), forgot);
}

static VOID ntdpc_generic_forgetful_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	atomic_inc(ctx);
}

/* A routine that never calls KeSignalCallDpcDone() cannot hang the caller. */
static void ntdpc_test_generic_call_no_done(struct kunit *test)
{
	long forgot = ntdpc_misuses(NTDPC_MISUSE_GENERIC_DONE);
	atomic_t calls = ATOMIC_INIT(0);

	KeGenericCallDpc(ntdpc_generic_forgetful_fn, &calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), (int)num_online_cpus());
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_GENERIC_DONE),
			forgot + 1);
}

/*
 * A routine that queues again the KDPC it was handed, retargeted or not,
 * or re-initialises it as its own: refused with a report on every CPU, and
 * it runs once per CPU only (run again, it would count itself returned and
 * let the call return while the other CPUs still used the caller's frame).
 * Only the first run on a CPU tries, so that old code fails the counts
 * rather than loop.
 */
struct ntdpc_generic_requeue {
	atomic_t calls;
	atomic_t queued;
	atomic_t per_cpu[NR_CPUS];
};

static VOID ntdpc_generic_requeue_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_generic_requeue *g = ctx;
	unsigned int cpu = smp_processor_id();
	unsigned int next = cpumask_next(cpu, cpu_online_mask);

	if (next >= nr_cpu_ids)
		next = cpumask_first(cpu_online_mask);
	atomic_inc(&g->calls);
	if (atomic_inc_return(&g->per_cpu[cpu]) == 1) {
		if (KeInsertQueueDpc(dpc, a1, a2))
			atomic_inc(&g->queued);
		KeSetTargetProcessorDpc(dpc, (CCHAR)next);
		if (KeInsertQueueDpc(dpc, a1, a2))
			atomic_inc(&g->queued);
		KeInitializeDpc(dpc, ntdpc_generic_forgetful_fn, &g->calls);
		if (KeInsertQueueDpc(dpc, NULL, NULL))
			atomic_inc(&g->queued);
	}
	KeSignalCallDpcDone(a1);
}

static void ntdpc_test_generic_call_requeue(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_DPC);
	int n = num_online_cpus();
	struct ntdpc_generic_requeue *g;
	unsigned int cpu;

	g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);
	KeGenericCallDpc(ntdpc_generic_requeue_fn, g);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&g->queued), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->calls), n);
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&g->per_cpu[cpu]), 1,
				    "cpu %u", cpu);
	/* Three insertions, the retarget and the init, refused everywhere. */
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_DPC), bad + 5 * n);
	/* The next call is unaffected. */
	KeGenericCallDpc(ntdpc_generic_forgetful_fn, &g->calls);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->calls), 2 * n);
}

/* Garbage that looks like a generic-call KDPC's Type is still a KDPC. */
static void ntdpc_test_init_generic_lookalike(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_DPC);
	atomic_t runs = ATOMIC_INIT(0);
	KDPC dpc;

	memset(&dpc, NTDPC_GENERIC_CALL_DPC, sizeof(dpc));
	KeInitializeDpc(&dpc, ntdpc_generic_forgetful_fn, &runs);
	KUNIT_EXPECT_EQ(test, dpc.Type, (UCHAR)DpcObject);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 1);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_DPC), bad);
}

static struct kunit_case ntdpc_irql_cases[] = {
	KUNIT_CASE(ntdpc_test_raise_each_level),
	KUNIT_CASE(ntdpc_test_raise_nested),
	KUNIT_CASE(ntdpc_test_dpc_at_apc),
	KUNIT_CASE(ntdpc_test_lower_to_apc_runs_dpc),
	KUNIT_CASE(ntdpc_test_dpc_held_until_lower),
	KUNIT_CASE(ntdpc_test_irql_misuse),
	KUNIT_CASE(ntdpc_test_release_under_irqsave),
	KUNIT_CASE(ntdpc_test_context_levels),
	KUNIT_CASE(ntdpc_test_spinlocks),
	KUNIT_CASE(ntdpc_test_high_priority_lowering),
	KUNIT_CASE(ntdpc_test_interlocked),
	KUNIT_CASE(ntdpc_test_processor_numbers),
	KUNIT_CASE(ntdpc_test_target_current),
	KUNIT_CASE(ntdpc_test_generic_call),
	KUNIT_CASE(ntdpc_test_generic_call_no_done),
	KUNIT_CASE(ntdpc_test_generic_call_requeue),
	KUNIT_CASE(ntdpc_test_init_generic_lookalike),
	{}
};

static struct kunit_suite ntdpc_irql_suite = {
	.name = "ntdpc_irql",
	.test_cases = ntdpc_irql_cases,
};

kunit_test_suite(ntdpc_irql_suite);

MODULE_LICENSE("GPL");
