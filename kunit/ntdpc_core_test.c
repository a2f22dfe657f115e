// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: NT DPC semantics on one CPU (runs in UML and on x86_64).
 */
#include <linux/hrtimer.h>
#include <linux/slab.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif

#include "ntdpc_test.h"

static void ntdpc_test_initialize(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KDPC dpc;

	memset(&dpc, 0xa5, sizeof(dpc));
	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KUNIT_EXPECT_EQ(test, dpc.Type, DpcObject);
	KUNIT_EXPECT_EQ(test, dpc.Importance, MediumImportance);
	KUNIT_EXPECT_EQ(test, dpc.Number, 0);
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData, NULL);
	KUNIT_EXPECT_PTR_EQ(test, (void *)dpc.DeferredRoutine, (void *)ntdpc_probe_fn);
	KUNIT_EXPECT_PTR_EQ(test, dpc.DeferredContext, (void *)&p);
	/* NT leaves the list entry and the system arguments alone. */
	KUNIT_EXPECT_EQ(test, (unsigned long)dpc.SystemArgument1,
			0xa5a5a5a5a5a5a5a5UL);
	KUNIT_EXPECT_EQ(test, (unsigned long)dpc.SystemArgument2,
			0xa5a5a5a5a5a5a5a5UL);
	KUNIT_EXPECT_EQ(test, (unsigned long)dpc.DpcListEntry.Flink,
			0xa5a5a5a5a5a5a5a5UL);
	KUNIT_EXPECT_EQ(test, (unsigned long)dpc.DpcListEntry.Blink,
			0xa5a5a5a5a5a5a5a5UL);
}

/* A DPC queued at PASSIVE_LEVEL on this CPU has run when the insert returns. */
static void ntdpc_test_insert_passive_runs(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KDPC dpc;
	int cpu;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KUNIT_ASSERT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	migrate_disable();
	cpu = smp_processor_id();
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, (PVOID)1, (PVOID)2));
	migrate_enable();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
	KUNIT_EXPECT_EQ(test, p.irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_TRUE(test, p.executing);
	KUNIT_EXPECT_FALSE(test, p.irqs_off);
	KUNIT_EXPECT_EQ(test, p.cpu, cpu);
	KUNIT_EXPECT_PTR_EQ(test, p.dpc, &dpc);
	KUNIT_EXPECT_PTR_EQ(test, p.arg1, (PVOID)1);
	KUNIT_EXPECT_PTR_EQ(test, p.arg2, (PVOID)2);
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData, NULL);
	KUNIT_EXPECT_FALSE(test, KeIsExecutingDpc());
}

/* Already queued: FALSE, and not even the system arguments change. */
static void ntdpc_test_insert_twice(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KIRQL old;
	KDPC dpc;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, (PVOID)11, (PVOID)12));
	KUNIT_EXPECT_PTR_NE(test, dpc.DpcData, NULL);
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&dpc, (PVOID)21, (PVOID)22));
	KUNIT_EXPECT_PTR_EQ(test, dpc.SystemArgument1, (PVOID)11);
	KUNIT_EXPECT_PTR_EQ(test, dpc.SystemArgument2, (PVOID)12);
	/* At DISPATCH_LEVEL nothing is delivered on this CPU. */
	mdelay(1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 0);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
	KUNIT_EXPECT_PTR_EQ(test, p.arg1, (PVOID)11);
	KUNIT_EXPECT_PTR_EQ(test, p.arg2, (PVOID)12);
}

/* DpcData is clear inside the routine, which may queue itself again. */
struct ntdpc_requeue {
	KDPC dpc;
	int runs;
	int max;
	bool data_clear;
	BOOLEAN requeued;
};

static VOID ntdpc_requeue_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_requeue *r = ctx;

	r->data_clear = !READ_ONCE(dpc->DpcData);
	if (++r->runs < r->max)
		r->requeued = KeInsertQueueDpc(dpc, a1, a2);
}

static void ntdpc_test_requeue_self(struct kunit *test)
{
	struct ntdpc_requeue r = { .max = 5 };

	KeInitializeDpc(&r.dpc, ntdpc_requeue_fn, &r);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&r.dpc, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, r.data_clear);
	KUNIT_EXPECT_TRUE(test, r.requeued);
	KUNIT_EXPECT_EQ(test, r.runs, 5);
	KUNIT_EXPECT_PTR_EQ(test, r.dpc.DpcData, NULL);
}

/* High goes to the head; Medium, MediumHigh and Low to the tail. */
static void ntdpc_test_importance_order(struct kunit *test)
{
	static const KDPC_IMPORTANCE imp[] = {
		MediumImportance, MediumImportance, HighImportance,
		MediumHighImportance, LowImportance, HighImportance,
	};
	static const int expect[] = { 5, 2, 0, 1, 3, 4 };
	struct ntdpc_order *order;
	struct ntdpc_probe p[ARRAY_SIZE(imp)] = {};
	KDPC dpc[ARRAY_SIZE(imp)];
	KIRQL old;
	int i;

	order = kunit_kzalloc(test, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, order);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	for (i = 0; i < ARRAY_SIZE(imp); i++) {
		p[i].order = order;
		p[i].id = i;
		KeInitializeDpc(&dpc[i], ntdpc_probe_fn, &p[i]);
		KeSetImportanceDpc(&dpc[i], imp[i]);
		KUNIT_EXPECT_EQ(test, dpc[i].Importance, imp[i]);
		KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc[i], NULL, NULL));
	}
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_ASSERT_EQ(test, atomic_read(&order->n), (int)ARRAY_SIZE(imp));
	for (i = 0; i < ARRAY_SIZE(expect); i++)
		KUNIT_EXPECT_EQ_MSG(test, order->ids[i], expect[i], "position %d", i);
}

/* Importance changed after queueing does not move the queued instance. */
static void ntdpc_test_importance_after_queue(struct kunit *test)
{
	struct ntdpc_order *order = kunit_kzalloc(test, sizeof(*order), GFP_KERNEL);
	struct ntdpc_probe p[2] = { { .order = order, .id = 0 },
				    { .order = order, .id = 1 } };
	KDPC dpc[2];
	KIRQL old;

	KUNIT_ASSERT_NOT_NULL(test, order);
	KeInitializeDpc(&dpc[0], ntdpc_probe_fn, &p[0]);
	KeInitializeDpc(&dpc[1], ntdpc_probe_fn, &p[1]);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeInsertQueueDpc(&dpc[0], NULL, NULL);
	KeInsertQueueDpc(&dpc[1], NULL, NULL);
	KeSetImportanceDpc(&dpc[1], HighImportance);
	KeLowerIrql(old);
	KUNIT_ASSERT_EQ(test, atomic_read(&order->n), 2);
	KUNIT_EXPECT_EQ(test, order->ids[0], 0);
	KUNIT_EXPECT_EQ(test, order->ids[1], 1);
}

static void ntdpc_test_remove(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KIRQL old;
	KDPC dpc;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KUNIT_EXPECT_FALSE(test, KeRemoveQueueDpc(&dpc));
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, KeRemoveQueueDpc(&dpc));
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData, NULL);
	KUNIT_EXPECT_FALSE(test, KeRemoveQueueDpc(&dpc));
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 0);
	/* Removed, it can be queued again and then runs once. */
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
}

/* Low waits while the rate is high and the queue shallow; a tick delivers it. */
static void ntdpc_test_low_importance(struct kunit *test)
{
	unsigned int saved_max = MaximumDpcQueueDepth;
	struct ntdpc_probe p[6] = {};
	int cpu, i, try, early[5];
	unsigned long start;
	KDPC dpc[6];

	for (i = 0; i < 6; i++) {
		KeInitializeDpc(&dpc[i], ntdpc_probe_fn, &p[i]);
		KeSetImportanceDpc(&dpc[i], LowImportance);
	}
	MaximumDpcQueueDepth = 4;

	/* Quiet CPU (rate below MinimumDpcRate): Low runs at once. */
	migrate_disable();
	cpu = smp_processor_id();
	ntdpc_set_rate(cpu, 0);
	KeInsertQueueDpc(&dpc[0], NULL, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&p[0].runs), 1);

	/*
	 * Busy CPU: Low stays queued until the queue is deeper than 4.  A
	 * tick between the insertions (a stalled vCPU) recomputes the rate
	 * and delivers what is queued: such a try does not count.
	 */
	for (try = 0; try < 20; try++) {
		ntdpc_wait_tick_edge();
		start = jiffies;
		ntdpc_set_rate(cpu, 1000);
		for (i = 1; i <= 4; i++) {
			KeInsertQueueDpc(&dpc[i], NULL, NULL);
			early[i] = atomic_read(&p[i].runs);
		}
		if (!time_after(jiffies, start))
			break;
		for (i = 1; i <= 4; i++) {
			KeRemoveQueueDpc(&dpc[i]);
			atomic_set(&p[i].runs, 0);
		}
	}
	if (try == 20) {
		migrate_enable();
		MaximumDpcQueueDepth = saved_max;
		kunit_skip(test, "a tick came between the insertions in every try");
	}
	for (i = 1; i <= 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, early[i], 0,
				    "Low DPC %d ran at depth %d", i, i);
	KeInsertQueueDpc(&dpc[5], NULL, NULL);
	for (i = 1; i <= 5; i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&p[i].runs), 1);

	/* Busy CPU, shallow queue: delivered by the tick, not left behind. */
	ntdpc_wait_tick_edge();
	ntdpc_set_rate(cpu, 1000);
	KeInsertQueueDpc(&dpc[0], NULL, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&p[0].runs), 1);
	migrate_enable();
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&p[0].runs, 2, 5000));
	KUNIT_EXPECT_EQ(test, p[0].cpu, cpu);

	MaximumDpcQueueDepth = saved_max;
}

/*
 * A DPC queued without a request while the delivery tick's routine runs,
 * after it found the queue empty, still gets a tick (issue 14, defect 6:
 * hrtimer_active() is true during the routine, so the tick was not re-armed
 * and the DPC waited for an unrelated insertion).  The tick's routine is
 * wrapped to insert a Low DPC right after it has run.
 */
static enum hrtimer_restart (*ntdpc_saved_deliver)(struct hrtimer *t);
static KDPC ntdpc_late_dpc;
static atomic_t ntdpc_deliver_calls;

static enum hrtimer_restart ntdpc_deliver_wrapper(struct hrtimer *t)
{
	enum hrtimer_restart ret = ntdpc_saved_deliver(t);

	if (atomic_inc_return(&ntdpc_deliver_calls) == 1)
		KeInsertQueueDpc(&ntdpc_late_dpc, NULL, NULL);
	return ret;
}

/* Point @c's delivery tick at @fn, with the tick idle and unable to arm. */
static void ntdpc_swap_deliver(struct ntdpc_cpu *c,
			       enum hrtimer_restart (*fn)(struct hrtimer *))
{
	for (;;) {
		raw_spin_lock_irq(&c->dpcs.lock);
		if (hrtimer_try_to_cancel(&c->deliver_timer) >= 0)
			break;
		raw_spin_unlock_irq(&c->dpcs.lock);
		cpu_relax();
	}
	c->deliver_timer.function = fn;
	raw_spin_unlock_irq(&c->dpcs.lock);
}

static void ntdpc_test_deliver_during_tick(struct kunit *test)
{
	unsigned int saved_min = MinimumDpcRate;
	struct ntdpc_probe first = {}, late = {};
	struct ntdpc_cpu *c;
	KDPC dpc;
	int cpu;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &first);
	KeSetImportanceDpc(&dpc, LowImportance);
	KeInitializeDpc(&ntdpc_late_dpc, ntdpc_probe_fn, &late);
	KeSetImportanceDpc(&ntdpc_late_dpc, LowImportance);
	atomic_set(&ntdpc_deliver_calls, 0);
	/* Low DPCs on a quiet CPU would request delivery: never here. */
	MinimumDpcRate = 0;

	migrate_disable();
	cpu = smp_processor_id();
	c = per_cpu_ptr(&ntdpc_cpus, cpu);
	KeSetTargetProcessorDpc(&ntdpc_late_dpc, cpu);
	ntdpc_saved_deliver = c->deliver_timer.function;
	ntdpc_swap_deliver(c, ntdpc_deliver_wrapper);
	/* Arm the tick with a Low DPC, then take it away: the tick finds none. */
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KUNIT_EXPECT_TRUE(test, hrtimer_is_queued(&c->deliver_timer));
	KUNIT_EXPECT_TRUE(test, KeRemoveQueueDpc(&dpc));
	migrate_enable();

	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&ntdpc_deliver_calls, 1, 5000));
	KUNIT_EXPECT_TRUE_MSG(test, ntdpc_wait_atomic(&late.runs, 1, 5000),
			      "a DPC queued during the delivery tick never ran");
	KUNIT_EXPECT_EQ(test, late.cpu, cpu);
	KUNIT_EXPECT_EQ(test, atomic_read(&first.runs), 0);

	ntdpc_swap_deliver(c, ntdpc_saved_deliver);
	MinimumDpcRate = saved_min;
	KeRemoveQueueDpc(&ntdpc_late_dpc);
	KeFlushQueuedDpcs();
}

/* The per-tick rate follows NT's formula: (last tick's count + rate) / 2. */
static void ntdpc_test_request_rate(struct kunit *test)
{
	struct ntdpc_probe p = {};
	struct ntdpc_cpu *c;
	unsigned long j0;
	int i, try;
	KIRQL old;
	KDPC dpc;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	/* Needs 8 insertions within one tick: retry if a tick got in between. */
	for (try = 0; try < 20; try++) {
		old = KeRaiseIrqlToDpcLevel();
		c = this_cpu_ptr(&ntdpc_cpus);
		ntdpc_wait_tick_edge();
		ntdpc_set_rate(smp_processor_id(), 10);
		j0 = jiffies;
		for (i = 0; i < 8; i++) {
			KeInsertQueueDpc(&dpc, NULL, NULL);
			KeRemoveQueueDpc(&dpc);
		}
		if (time_after(jiffies, j0)) {
			KeLowerIrql(old);
			continue;
		}
		ntdpc_wait_tick_edge();
		KeInsertQueueDpc(&dpc, NULL, NULL);
		if (!time_after(jiffies, j0 + 1)) {
			KUNIT_EXPECT_EQ(test, c->rate, (8U + 10U) / 2);
			KeLowerIrql(old);
			return;
		}
		KeLowerIrql(old);
	}
	KUNIT_FAIL(test, "no quiet tick in 20 tries");
}

static void ntdpc_test_flush_waits_for_queued(struct kunit *test)
{
	struct ntdpc_probe p = {};
	KDPC dpc;
	int cpu;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeSetImportanceDpc(&dpc, LowImportance);
	migrate_disable();
	cpu = smp_processor_id();
	ntdpc_wait_tick_edge();
	ntdpc_set_rate(cpu, 1000);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 0);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
}

static void ntdpc_test_flush_misuse(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);
	KIRQL old;

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeFlushQueuedDpcs();	/* must not sleep: DEBUG_ATOMIC_SLEEP would say */
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), before + 1);
}

struct ntdpc_io_probe {
	DEVICE_OBJECT dev;
	atomic_t calls;
	PKDPC dpc;
	PDEVICE_OBJECT seen_dev;
	PIRP irp;
	PVOID context;
	KIRQL irql;
};

static VOID ntdpc_dpc_for_isr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject,
			      PIRP Irp, PVOID Context)
{
	struct ntdpc_io_probe *io = container_of(DeviceObject,
						 struct ntdpc_io_probe, dev);

	io->dpc = Dpc;
	io->seen_dev = DeviceObject;
	io->irp = Irp;
	io->context = Context;
	io->irql = KeGetCurrentIrql();
	atomic_inc(&io->calls);
}

/* Several IoRequestDpc calls before the DpcForIsr runs give one call. */
static void ntdpc_test_io_request_dpc(struct kunit *test)
{
	struct ntdpc_io_probe io = {};
	KIRQL old;

	IoInitializeDpcRequest(&io.dev, ntdpc_dpc_for_isr);
	KUNIT_EXPECT_EQ(test, io.dev.Dpc.Type, DpcObject);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	IoRequestDpc(&io.dev, (PIRP)0x100, (PVOID)0x200);
	IoRequestDpc(&io.dev, (PIRP)0x300, (PVOID)0x400);
	IoRequestDpc(&io.dev, (PIRP)0x500, (PVOID)0x600);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, atomic_read(&io.calls), 1);
	KUNIT_EXPECT_PTR_EQ(test, io.dpc, &io.dev.Dpc);
	KUNIT_EXPECT_PTR_EQ(test, io.seen_dev, &io.dev);
	KUNIT_EXPECT_PTR_EQ(test, io.irp, (PIRP)0x100);
	KUNIT_EXPECT_PTR_EQ(test, io.context, (PVOID)0x200);
	KUNIT_EXPECT_EQ(test, io.irql, DISPATCH_LEVEL);
	IoRequestDpc(&io.dev, (PIRP)0x700, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&io.calls), 2);
}

static void ntdpc_test_bad_input(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_DPC);
	long imp = ntdpc_misuses(NTDPC_MISUSE_BAD_IMPORTANCE);
	long tgt = ntdpc_misuses(NTDPC_MISUSE_BAD_TARGET);
	struct ntdpc_probe p = {};
	PROCESSOR_NUMBER pn = {};
	KDPC zero = {}, dpc;

	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(NULL, NULL, NULL));
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&zero, NULL, NULL));
	KUNIT_EXPECT_PTR_EQ(test, zero.DpcData, NULL);
	KUNIT_EXPECT_FALSE(test, KeRemoveQueueDpc(NULL));
	KUNIT_EXPECT_FALSE(test, KeRemoveQueueDpc(&zero));
	KeInitializeDpc(NULL, ntdpc_probe_fn, NULL);
	KeInitializeDpc(&zero, NULL, NULL);
	KUNIT_EXPECT_EQ(test, zero.Type, 0);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_DPC), bad + 6);

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeSetImportanceDpc(&dpc, (KDPC_IMPORTANCE)7);
	KUNIT_EXPECT_EQ(test, dpc.Importance, MediumImportance);
	dpc.Importance = 9;	/* scribbled on by a buggy driver */
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&dpc, NULL, NULL));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IMPORTANCE),
			imp + 2);
	dpc.Importance = MediumImportance;

	KeSetTargetProcessorDpc(&dpc, (CCHAR)nr_cpu_ids);
	KUNIT_EXPECT_EQ(test, dpc.Number, 0);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_TARGET), tgt + 1);
	pn.Number = nr_cpu_ids;
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&dpc, &pn),
			STATUS_INVALID_PARAMETER);
	pn.Group = 1;
	pn.Number = 0;
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&dpc, &pn),
			STATUS_INVALID_PARAMETER);
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&dpc, NULL),
			STATUS_INVALID_PARAMETER);
	KUNIT_EXPECT_EQ(test, dpc.Number, 0);
	KUNIT_EXPECT_FALSE(test, NT_SUCCESS(STATUS_INVALID_PARAMETER));
	KUNIT_EXPECT_TRUE(test, NT_SUCCESS(STATUS_SUCCESS));

	/* Nothing was queued by any of it. */
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 0);
}

/*
 * An empty queue at DISPATCH_LEVEL holding @a then @c, and a stray entry
 * linked to itself, to scribble over a queued KDPC's links with.  Returns
 * the IRQL to lower to.
 */
static KIRQL ntdpc_corrupt_setup(struct kunit *test, PKDPC a, PKDPC c,
				 PLIST_ENTRY stray)
{
	KIRQL old;

	KeFlushQueuedDpcs();
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(a, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(c, NULL, NULL));
	stray->Flink = stray;
	stray->Blink = stray;
	return old;
}

/* Nothing was ever written through the stray entry. */
static void ntdpc_corrupt_check_stray(struct kunit *test, PLIST_ENTRY stray)
{
	KUNIT_EXPECT_PTR_EQ(test, stray->Flink, stray);
	KUNIT_EXPECT_PTR_EQ(test, stray->Blink, stray);
}

/*
 * A queued KDPC whose links are scribbled on (freed and reused, say): the
 * insertion next to it reports the corrupt queue and repairs it instead of
 * following the links.  The repaired queue keeps every DPC it can reach
 * from either end, which run; the corrupt one is dropped: it never runs and
 * stays claimed until KeInitializeDpc() or KeRemoveQueueDpc() releases it.
 */
static void ntdpc_test_corrupt_queue(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE);
	long reinit = ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE);
	struct ntdpc_probe pa = {}, pb = {}, pc = {};
	struct ntdpc_cpu *cpu;
	LIST_ENTRY stray;
	KDPC a, b, c;
	KIRQL old;

	KeInitializeDpc(&a, ntdpc_probe_fn, &pa);
	KeInitializeDpc(&b, ntdpc_probe_fn, &pb);
	KeInitializeDpc(&c, ntdpc_probe_fn, &pc);
	KeSetImportanceDpc(&b, HighImportance);
	old = ntdpc_corrupt_setup(test, &a, &c, &stray);
	cpu = this_cpu_ptr(&ntdpc_cpus);
	a.DpcListEntry.Flink = &stray;
	a.DpcListEntry.Blink = &stray;

	/* High, B goes before A, whose backward link is wrong: repaired. */
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&b, NULL, NULL));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			before + 1);
	KUNIT_EXPECT_PTR_EQ(test, cpu->dpcs.head.next, ntdpc_dpc_entry(&b));
	KUNIT_EXPECT_PTR_EQ(test, b.DpcListEntry.Flink, &c.DpcListEntry);
	KUNIT_EXPECT_PTR_EQ(test, c.DpcListEntry.Blink, &b.DpcListEntry);
	KUNIT_EXPECT_EQ(test, cpu->dpcs.depth, 2U);
	/* A was dropped, and stays claimed: it cannot be queued again. */
	KUNIT_EXPECT_PTR_EQ(test, a.DpcData, (PVOID)&cpu->dpcs);
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&a, NULL, NULL));
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pa.runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pb.runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 1);
	ntdpc_corrupt_check_stray(test, &stray);

	/* Initialised again, A is released (reported) and works. */
	KeInitializeDpc(&a, ntdpc_probe_fn, &pa);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 1);
	KUNIT_EXPECT_PTR_EQ(test, a.DpcData, NULL);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&a, NULL, NULL));
	KUNIT_EXPECT_EQ(test, atomic_read(&pa.runs), 1);
	ntdpc_corrupt_check_stray(test, &stray);

	/* A dropped DPC is released by KeRemoveQueueDpc() too. */
	old = ntdpc_corrupt_setup(test, &a, &c, &stray);
	c.DpcListEntry.Flink = &stray;
	c.DpcListEntry.Blink = &stray;
	KUNIT_EXPECT_TRUE(test, KeRemoveQueueDpc(&c));
	KUNIT_EXPECT_PTR_EQ(test, c.DpcData, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			before + 2);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pa.runs), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 1);
	ntdpc_corrupt_check_stray(test, &stray);
}

/*
 * KeInitializeDpc() of a queued DPC: reported, and taken off its queue
 * first, which stays sound; queued again, it runs once.  A DPC whose
 * DpcData was overwritten while queued is refused when queued again, not
 * linked next to itself.  A NULL routine leaves a DPC that cannot be
 * queued, even one initialised before.
 */
static void ntdpc_test_reinit_queued(struct kunit *test)
{
	long reinit = ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE);
	long corrupt = ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE);
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_DPC);
	struct ntdpc_probe pb = {}, pc = {};
	struct ntdpc_cpu *cpu;
	KDPC b, c;
	KIRQL old;

	KeInitializeDpc(&b, ntdpc_probe_fn, &pb);
	KeInitializeDpc(&c, ntdpc_probe_fn, &pc);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	cpu = this_cpu_ptr(&ntdpc_cpus);
	KUNIT_ASSERT_TRUE(test, KeInsertQueueDpc(&b, NULL, NULL));
	KUNIT_ASSERT_TRUE(test, KeInsertQueueDpc(&c, NULL, NULL));
	KeInitializeDpc(&b, ntdpc_probe_fn, &pb);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 1);
	KUNIT_EXPECT_PTR_EQ(test, b.DpcData, NULL);
	KUNIT_EXPECT_PTR_EQ(test, cpu->dpcs.head.next, ntdpc_dpc_entry(&c));
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&b, NULL, NULL));

	/* DpcData overwritten behind ntdpc's back while queued. */
	b.DpcData = NULL;
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&b, NULL, NULL));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			corrupt + 1);
	b.DpcData = &cpu->dpcs;
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pb.runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 1);

	/* Initialised again with no routine: queued, still, it is refused. */
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KUNIT_ASSERT_TRUE(test, KeInsertQueueDpc(&c, NULL, NULL));
	KeInitializeDpc(&c, NULL, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 2);
	KUNIT_EXPECT_PTR_EQ(test, c.DpcData, NULL);
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&c, NULL, NULL));
	KeInitializeThreadedDpc(&b, NULL, NULL);
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&b, NULL, NULL));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_DPC), bad + 4);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pb.runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 1);
}

/*
 * The repair of a list corrupt in the middle: the entries reachable from
 * the head and from the tail keep their order, the ones between are
 * dropped, and ntdpc's own DPCs among those (here a generic-call DPC) are
 * put back, so that what waits for them never hangs.
 */
static void ntdpc_test_repair_rescues_own(struct kunit *test)
{
	struct ntdpc_cpu *cpu0 = per_cpu_ptr(&ntdpc_cpus, cpumask_first(cpu_online_mask));
	PKDPC own = &cpu0->own[NTDPC_OWN_GENERIC];
	struct ntdpc_list spare = {};
	struct ntdpc_probe p = {};
	LIST_ENTRY stray = { &stray, &stray };
	KDPC a, m, c;

	ntdpc_list_init(&spare, 0, "ntdpc_test_spare");
	KeInitializeDpc(&a, ntdpc_probe_fn, &p);
	KeInitializeDpc(&m, ntdpc_probe_fn, &p);
	KeInitializeDpc(&c, ntdpc_probe_fn, &p);
	KUNIT_ASSERT_PTR_EQ(test, own->DpcData, NULL);
	raw_spin_lock_irq(&spare.lock);
	/* head, a, m, own, c; m's and own's links unreachable once a and c lie. */
	list_add_tail(ntdpc_dpc_entry(&a), &spare.head);
	list_add_tail(ntdpc_dpc_entry(&m), &spare.head);
	list_add_tail(ntdpc_dpc_entry(own), &spare.head);
	list_add_tail(ntdpc_dpc_entry(&c), &spare.head);
	a.DpcData = &spare;
	m.DpcData = &spare;
	own->DpcData = &spare;
	c.DpcData = &spare;
	spare.depth = 4;
	a.DpcListEntry.Flink = &stray;
	c.DpcListEntry.Blink = &stray;
	ntdpc_list_corrupt(&spare, &a, _THIS_IP_);
	KUNIT_EXPECT_EQ(test, spare.depth, 3U);
	KUNIT_EXPECT_PTR_EQ(test, spare.head.next, ntdpc_dpc_entry(&a));
	KUNIT_EXPECT_PTR_EQ(test, a.DpcListEntry.Flink, &c.DpcListEntry);
	KUNIT_EXPECT_PTR_EQ(test, c.DpcListEntry.Flink, &own->DpcListEntry);
	KUNIT_EXPECT_PTR_EQ(test, (void *)own->DpcListEntry.Flink, (void *)&spare.head);
	KUNIT_EXPECT_PTR_EQ(test, spare.head.prev, ntdpc_dpc_entry(own));
	/* m is dropped: claimed, on no list. */
	KUNIT_EXPECT_PTR_EQ(test, m.DpcData, (PVOID)&spare);
	raw_spin_unlock_irq(&spare.lock);
	ntdpc_corrupt_check_stray(test, &stray);
	own->DpcData = NULL;
}

/* The drain yields after drain_budget DPCs and reschedules itself. */
static void ntdpc_test_drain_budget(struct kunit *test)
{
	unsigned int saved = ntdpc_drain_budget;
	struct ntdpc_order *order;
	struct ntdpc_probe *p;
	unsigned long before = 0, after = 0;
	unsigned int cpu;
	KDPC *dpc;
	KIRQL old;
	int i, n = 50;

	order = kunit_kzalloc(test, sizeof(*order), GFP_KERNEL);
	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	dpc = kunit_kcalloc(test, n, sizeof(*dpc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, order);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, dpc);

	for_each_possible_cpu(cpu)
		before += per_cpu_ptr(&ntdpc_cpus, cpu)->stat_budget_exhausted;
	ntdpc_drain_budget = 8;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	for (i = 0; i < n; i++) {
		p[i].order = order;
		p[i].id = i;
		KeInitializeDpc(&dpc[i], ntdpc_probe_fn, &p[i]);
		KeInsertQueueDpc(&dpc[i], NULL, NULL);
	}
	KeLowerIrql(old);
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&order->n, n, 2000));
	ntdpc_drain_budget = saved;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, order->ids[i], i);
	for_each_possible_cpu(cpu)
		after += per_cpu_ptr(&ntdpc_cpus, cpu)->stat_budget_exhausted;
	/* 50 DPCs, 8 a pass: the budget ran out after 8, 16, ..., 48. */
	KUNIT_EXPECT_GE(test, after - before, (unsigned long)(n / 8));
}

static VOID ntdpc_other_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	ntdpc_probe_fn(dpc, ctx, a1, a2);
}

/* What the unload notifier does: queued DPCs of a going module are removed. */
static void ntdpc_test_unload_purge(struct kunit *test)
{
	struct ntdpc_probe pa[3] = {}, pb = {};
	struct ntdpc_io_probe io = {};
	struct ntdpc_quiesced q;
	int i, runs;
	KDPC a[3], b;
	KIRQL old;

	for (i = 0; i < 3; i++)
		KeInitializeDpc(&a[i], ntdpc_probe_fn, &pa[i]);
	KeInitializeDpc(&b, ntdpc_other_fn, &pb);
	IoInitializeDpcRequest(&io.dev, ntdpc_dpc_for_isr);

	/* Matched by routine, a device's DpcForIsr by the driver's routine. */
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	for (i = 0; i < 3; i++)
		KeInsertQueueDpc(&a[i], NULL, NULL);
	KeInsertQueueDpc(&b, NULL, NULL);
	IoRequestDpc(&io.dev, NULL, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_purge(NTDPC_OWNER(ntdpc_probe_fn)), 3U);
	KUNIT_EXPECT_EQ(test, ntdpc_purge(NTDPC_OWNER(ntdpc_dpc_for_isr)), 1U);
	/* And by the KDPC's own address: its memory goes away. */
	KUNIT_EXPECT_EQ(test, ntdpc_purge(NTDPC_OWNER(&b)), 1U);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_PTR_EQ(test, a[i].DpcData, NULL);
		KUNIT_EXPECT_EQ(test, atomic_read(&pa[i].runs), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&io.calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pb.runs), 0);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&b, NULL, NULL));
	KUNIT_EXPECT_EQ(test, atomic_read(&pb.runs), 1);

	/*
	 * At PASSIVE_LEVEL, as in the notifier: a waiting Low DPC.  Quiescing
	 * (a static key flip and an RCU grace period) may take longer than
	 * the tick that delivers it, so it is either removed or has run, once,
	 * and never runs afterwards.
	 */
	KeSetImportanceDpc(&a[0], LowImportance);
	migrate_disable();
	ntdpc_wait_tick_edge();
	ntdpc_set_rate(smp_processor_id(), 1000);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&a[0], NULL, NULL));
	migrate_enable();
	ntdpc_quiesce(NTDPC_OWNER(ntdpc_probe_fn), &q);
	KUNIT_EXPECT_PTR_EQ(test, a[0].DpcData, NULL);
	runs = atomic_read(&pa[0].runs);
	KUNIT_EXPECT_EQ(test, q.dpcs + runs, 1U);
	KUNIT_EXPECT_EQ(test, q.timers + q.work + q.refused, 0U);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pa[0].runs), runs);
	/* Nothing of it left: a second pass finds nothing. */
	ntdpc_quiesce(NTDPC_OWNER(ntdpc_probe_fn), &q);
	KUNIT_EXPECT_EQ(test, q.timers + q.dpcs + q.work + q.refused, 0U);
}

/*
 * The unload race: routines that keep queueing themselves, each on the next
 * CPU, while their "module" goes away.  After ntdpc_quiesce() none of them
 * may run again, and inserting one is refused.
 */
struct ntdpc_chain {
	KDPC dpc[4];
	atomic_t runs;
};

static VOID ntdpc_chain_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_chain *ch = ctx;
	int i = dpc - ch->dpc;
	int cpu = cpumask_next(raw_smp_processor_id(), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	atomic_inc(&ch->runs);
	KeSetTargetProcessorDpc(&ch->dpc[(i + 1) % 4], cpu);
	KeInsertQueueDpc(&ch->dpc[(i + 1) % 4], NULL, NULL);
	KeInsertQueueDpc(dpc, NULL, NULL);
}

/*
 * Purging a queue that turns out corrupt half-way: it is reported and
 * repaired, the walk goes on over what the repair kept, and what it
 * dropped is claimed and can never run (a module's routine must not run
 * after it is gone).
 */
static void ntdpc_test_purge_corrupt_queue(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE);
	struct ntdpc_probe pa = {}, pc = {};
	LIST_ENTRY stray;
	KDPC a, c;
	KIRQL old;

	KeInitializeDpc(&a, ntdpc_other_fn, &pa);
	KeInitializeDpc(&c, ntdpc_other_fn, &pc);
	old = ntdpc_corrupt_setup(test, &a, &c, &stray);
	/* C's forward link, to the queue's head, scribbled on. */
	c.DpcListEntry.Flink = &stray;
	KUNIT_EXPECT_EQ(test, ntdpc_purge(NTDPC_OWNER(ntdpc_other_fn)), 2U);
	KUNIT_EXPECT_PTR_EQ(test, a.DpcData, NULL);
	KUNIT_EXPECT_PTR_EQ(test, c.DpcData, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			before + 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&this_cpu_ptr(&ntdpc_cpus)->dpcs.head));
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pa.runs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 0);
	ntdpc_corrupt_check_stray(test, &stray);
}

/*
 * The hotplug move of a dead CPU's queue, here run on the current CPU's
 * queue into a spare list: a queue that turns out corrupt is reported and
 * repaired before anything moves or is written through its links; what it
 * kept moves, what it dropped never runs.  A corrupt list moved into is
 * repaired the same way, and what it held stays and runs.
 */
static void ntdpc_test_move_corrupt_queue(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE);
	struct ntdpc_probe pa = {}, pc = {}, pd = {};
	struct ntdpc_list spare = {};
	struct ntdpc_cpu *cpu;
	LIST_ENTRY stray;
	KDPC a, c, d;
	KIRQL old;

	ntdpc_list_init(&spare, 0, "ntdpc_test_spare");
	KeInitializeDpc(&a, ntdpc_probe_fn, &pa);
	KeInitializeDpc(&c, ntdpc_probe_fn, &pc);
	KeInitializeDpc(&d, ntdpc_probe_fn, &pd);
	old = ntdpc_corrupt_setup(test, &a, &c, &stray);
	/* C's backward link scribbled on: the walk meets it second. */
	c.DpcListEntry.Blink = &stray;
	cpu = this_cpu_ptr(&ntdpc_cpus);
	raw_spin_lock_irq(&cpu->dpcs.lock);
	raw_spin_lock_nested(&spare.lock, SINGLE_DEPTH_NESTING);
	KUNIT_EXPECT_TRUE(test, ntdpc_list_move(&cpu->dpcs, &spare));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			before + 1);
	KUNIT_EXPECT_PTR_EQ(test, spare.head.next, ntdpc_dpc_entry(&a));
	KUNIT_EXPECT_PTR_EQ(test, spare.head.prev, ntdpc_dpc_entry(&a));
	KUNIT_EXPECT_EQ(test, spare.depth, 1U);
	KUNIT_EXPECT_PTR_EQ(test, a.DpcData, (PVOID)&spare);
	/* C was dropped: claimed by the queue it was on, never to run. */
	KUNIT_EXPECT_PTR_EQ(test, c.DpcData, (PVOID)&cpu->dpcs);

	/*
	 * The queue moved into is corrupt at its tail (D's forward link
	 * points elsewhere): repaired, D kept, A appended after it.
	 */
	ntdpc_list_move(&spare, &cpu->dpcs);
	list_add_tail(ntdpc_dpc_entry(&d), &spare.head);
	d.DpcData = &spare;
	spare.depth = 1;
	d.DpcListEntry.Flink = &stray;
	KUNIT_EXPECT_TRUE(test, ntdpc_list_move(&cpu->dpcs, &spare));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_CORRUPT_QUEUE),
			before + 2);
	KUNIT_EXPECT_PTR_EQ(test, spare.head.next, ntdpc_dpc_entry(&d));
	KUNIT_EXPECT_PTR_EQ(test, d.DpcListEntry.Flink, &a.DpcListEntry);
	KUNIT_EXPECT_EQ(test, spare.depth, 2U);
	KUNIT_EXPECT_TRUE(test, ntdpc_list_move(&spare, &cpu->dpcs));
	raw_spin_unlock(&spare.lock);
	raw_spin_unlock_irq(&cpu->dpcs.lock);
	KUNIT_EXPECT_PTR_EQ(test, a.DpcData, (PVOID)&cpu->dpcs);
	KUNIT_EXPECT_PTR_EQ(test, d.DpcData, (PVOID)&cpu->dpcs);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&pa.runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pd.runs), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&pc.runs), 0);
	ntdpc_corrupt_check_stray(test, &stray);
	KeInitializeDpc(&c, ntdpc_probe_fn, &pc);
}

static void ntdpc_test_unload_self_requeue(struct kunit *test)
{
	struct ntdpc_chain *ch = kunit_kzalloc(test, sizeof(*ch), GFP_KERNEL);
	struct ntdpc_quiesced q;
	int i, runs;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	for (i = 0; i < 4; i++)
		KeInitializeDpc(&ch->dpc[i], ntdpc_chain_fn, ch);
	KeInsertQueueDpc(&ch->dpc[0], NULL, NULL);
	msleep(20);
	KUNIT_EXPECT_GT(test, atomic_read(&ch->runs), 4);
	ntdpc_quiesce(NTDPC_OWNER(ntdpc_chain_fn), &q);
	runs = atomic_read(&ch->runs);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_PTR_EQ(test, ch->dpc[i].DpcData, NULL);
	/* What was queued was removed, what was queued meanwhile refused. */
	KUNIT_EXPECT_GT(test, q.dpcs + q.refused, 0U);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&ch->runs), runs);
}

/* A routine that returns with its IRQL raised is reported and repaired. */
static VOID ntdpc_bad_routine(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	KIRQL old;

	KeRaiseIrql(SYNCH_LEVEL, &old);
}

static void ntdpc_test_routine_leaves_irql(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_ROUTINE_IRQL);
	struct ntdpc_probe p = {};
	KDPC bad, good;
	KIRQL old;

	KeInitializeDpc(&bad, ntdpc_bad_routine, NULL);
	KeInitializeDpc(&good, ntdpc_probe_fn, &p);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeInsertQueueDpc(&bad, NULL, NULL);
	KeInsertQueueDpc(&good, NULL, NULL);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_ROUTINE_IRQL),
			before + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&p.runs), 1);
	KUNIT_EXPECT_EQ(test, p.irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, p.irqs_off);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* An interrupt handler (here an hrtimer) queues a DPC. */
struct ntdpc_isr {
	struct hrtimer timer;
	KDPC dpc;
	struct ntdpc_probe p;
	KIRQL isr_irql;
	BOOLEAN inserted;
	int isr_cpu;
};

static enum hrtimer_restart ntdpc_isr_fn(struct hrtimer *t)
{
	struct ntdpc_isr *isr = container_of(t, struct ntdpc_isr, timer);

	isr->isr_irql = KeGetCurrentIrql();
	isr->isr_cpu = smp_processor_id();
	isr->inserted = KeInsertQueueDpc(&isr->dpc, (PVOID)7, NULL);
	return HRTIMER_NORESTART;
}

static void ntdpc_test_insert_from_hardirq(struct kunit *test)
{
	struct ntdpc_isr *isr = kunit_kzalloc(test, sizeof(*isr), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, isr);
	KeInitializeDpc(&isr->dpc, ntdpc_probe_fn, &isr->p);
	ntdpc_hrtimer_setup(&isr->timer, ntdpc_isr_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_HARD);
	hrtimer_start(&isr->timer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&isr->p.runs, 1, 2000));
	hrtimer_cancel(&isr->timer);
	KUNIT_EXPECT_TRUE(test, isr->inserted);
	KUNIT_EXPECT_EQ(test, isr->isr_irql, HIGH_LEVEL);
	KUNIT_EXPECT_EQ(test, isr->p.irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, isr->p.cpu, isr->isr_cpu);
	KUNIT_EXPECT_PTR_EQ(test, isr->p.arg1, (PVOID)7);
}

#ifdef CONFIG_X86_LOCAL_APIC
/*
 * A real NMI on this CPU (an NMI IPI to itself): insertion and removal are
 * refused and reported there, since the CPU may hold its queue lock under
 * the NMI; nothing is queued.
 */
static struct {
	KDPC dpc;
	struct ntdpc_probe p;
	bool armed;
	bool in_nmi;
	atomic_t fired;
	BOOLEAN inserted, removed;
} ntdpc_nmi;

static int ntdpc_nmi_fn(unsigned int type, struct pt_regs *regs)
{
	if (!READ_ONCE(ntdpc_nmi.armed))
		return NMI_DONE;
	WRITE_ONCE(ntdpc_nmi.armed, false);
	ntdpc_nmi.in_nmi = in_nmi();
	ntdpc_nmi.inserted = KeInsertQueueDpc(&ntdpc_nmi.dpc, NULL, NULL);
	ntdpc_nmi.removed = KeRemoveQueueDpc(&ntdpc_nmi.dpc);
	/* The results above are seen by the waiter's acquire. */
	atomic_inc_return_release(&ntdpc_nmi.fired);
	return NMI_HANDLED;
}

static void ntdpc_test_nmi_refused(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);

	memset(&ntdpc_nmi, 0, sizeof(ntdpc_nmi));
	KeInitializeDpc(&ntdpc_nmi.dpc, ntdpc_probe_fn, &ntdpc_nmi.p);
	KUNIT_ASSERT_EQ(test, register_nmi_handler(NMI_LOCAL, ntdpc_nmi_fn, 0,
						   "ntdpc_test"), 0);
	WRITE_ONCE(ntdpc_nmi.armed, true);
	preempt_disable();
	apic->send_IPI_mask(cpumask_of(smp_processor_id()), NMI_VECTOR);
	preempt_enable();
	ntdpc_wait_atomic(&ntdpc_nmi.fired, 1, 2000);
	WRITE_ONCE(ntdpc_nmi.armed, false);
	unregister_nmi_handler(NMI_LOCAL, "ntdpc_test");
	if (!atomic_read(&ntdpc_nmi.fired))
		kunit_skip(test, "no NMI arrived");
	KUNIT_EXPECT_TRUE(test, ntdpc_nmi.in_nmi);
	KUNIT_EXPECT_FALSE(test, ntdpc_nmi.inserted);
	KUNIT_EXPECT_FALSE(test, ntdpc_nmi.removed);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), bad + 2);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&ntdpc_nmi.p.runs), 0);
	KUNIT_EXPECT_PTR_EQ(test, ntdpc_nmi.dpc.DpcData, NULL);
}
#else
static void ntdpc_test_nmi_refused(struct kunit *test)
{
	kunit_skip(test, "no local APIC to send this CPU an NMI");
}
#endif

static struct kunit_case ntdpc_core_cases[] = {
	KUNIT_CASE(ntdpc_test_initialize),
	KUNIT_CASE(ntdpc_test_insert_passive_runs),
	KUNIT_CASE(ntdpc_test_insert_twice),
	KUNIT_CASE(ntdpc_test_requeue_self),
	KUNIT_CASE(ntdpc_test_importance_order),
	KUNIT_CASE(ntdpc_test_importance_after_queue),
	KUNIT_CASE(ntdpc_test_remove),
	KUNIT_CASE(ntdpc_test_low_importance),
	KUNIT_CASE(ntdpc_test_deliver_during_tick),
	KUNIT_CASE(ntdpc_test_request_rate),
	KUNIT_CASE(ntdpc_test_flush_waits_for_queued),
	KUNIT_CASE(ntdpc_test_flush_misuse),
	KUNIT_CASE(ntdpc_test_io_request_dpc),
	KUNIT_CASE(ntdpc_test_bad_input),
	KUNIT_CASE(ntdpc_test_corrupt_queue),
	KUNIT_CASE(ntdpc_test_reinit_queued),
	KUNIT_CASE(ntdpc_test_repair_rescues_own),
	KUNIT_CASE(ntdpc_test_drain_budget),
	KUNIT_CASE(ntdpc_test_unload_purge),
	KUNIT_CASE(ntdpc_test_purge_corrupt_queue),
	KUNIT_CASE(ntdpc_test_move_corrupt_queue),
	KUNIT_CASE(ntdpc_test_unload_self_requeue),
	KUNIT_CASE(ntdpc_test_routine_leaves_irql),
	KUNIT_CASE(ntdpc_test_insert_from_hardirq),
	KUNIT_CASE(ntdpc_test_nmi_refused),
	{}
};

static struct kunit_suite ntdpc_core_suite = {
	.name = "ntdpc_core",
	.test_cases = ntdpc_core_cases,
};

kunit_test_suite(ntdpc_core_suite);

MODULE_LICENSE("GPL");
