// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: threaded DPCs (UML and x86_64; the cross-CPU cases need 2+ CPUs).
 */
#include <linux/hrtimer.h>
#include <linux/sched.h>

#include "ntdpc_test.h"

/* What a threaded routine saw. */
struct ntdpc_tprobe {
	struct ntdpc_probe p;
	bool in_dpc_thread;
	int policy;
	int rt_priority;
	char comm[TASK_COMM_LEN];
};

static VOID ntdpc_tprobe_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_tprobe *t = ctx;

	t->in_dpc_thread = current == ntdpc_thread_of(raw_smp_processor_id());
	t->policy = current->policy;
	t->rt_priority = current->rt_priority;
	if (!in_interrupt())	/* task_lock() is not for softirq context */
		get_task_comm(t->comm, current);
	ntdpc_probe_fn(dpc, &t->p, a1, a2);
}

static void ntdpc_test_threaded_init(struct kunit *test)
{
	struct ntdpc_tprobe t = {};
	KDPC dpc;

	memset(&dpc, 0x5a, sizeof(dpc));
	KeInitializeThreadedDpc(&dpc, ntdpc_tprobe_fn, &t);
	KUNIT_EXPECT_EQ(test, dpc.Type, ThreadedDpcObject);
	KUNIT_EXPECT_EQ(test, dpc.Importance, MediumImportance);
	KUNIT_EXPECT_EQ(test, dpc.Number, 0);
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData, NULL);
	KUNIT_EXPECT_EQ(test, (unsigned long)dpc.SystemArgument1,
			0x5a5a5a5a5a5a5a5aUL);
}

/* One ntdpc/N SCHED_FIFO thread per online CPU, bound to it. */
static void ntdpc_test_threads_exist(struct kunit *test)
{
	char want[TASK_COMM_LEN], comm[TASK_COMM_LEN];
	unsigned int cpu;

	KUNIT_ASSERT_TRUE(test, ThreadDpcEnable);
	for_each_online_cpu(cpu) {
		struct task_struct *k = ntdpc_thread_of(cpu);

		KUNIT_ASSERT_NOT_NULL(test, k);
		snprintf(want, sizeof(want), "ntdpc/%u", cpu);
		get_task_comm(comm, k);
		KUNIT_EXPECT_STREQ(test, comm, want);
		KUNIT_EXPECT_EQ(test, k->policy, SCHED_FIFO);
		KUNIT_EXPECT_EQ(test, k->nr_cpus_allowed, 1);
		KUNIT_EXPECT_EQ(test, task_cpu(k), cpu);
	}
}

static void ntdpc_test_threaded_runs_passive(struct kunit *test)
{
	struct ntdpc_tprobe t = {};
	char want[TASK_COMM_LEN];
	KIRQL old;
	KDPC dpc;
	int cpu;

	KeInitializeThreadedDpc(&dpc, ntdpc_tprobe_fn, &t);
	old = KeRaiseIrqlToDpcLevel();
	cpu = smp_processor_id();
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc, (PVOID)3, (PVOID)4));
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData,
			    (PVOID)&this_cpu_ptr(&ntdpc_cpus)->threaded);
	KUNIT_EXPECT_FALSE(test, KeInsertQueueDpc(&dpc, (PVOID)5, (PVOID)6));
	KUNIT_EXPECT_PTR_EQ(test, dpc.SystemArgument1, (PVOID)3);
	KeLowerIrql(old);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t.p.runs, 1, 2000));
	KUNIT_EXPECT_EQ(test, t.p.irql, PASSIVE_LEVEL);
	KUNIT_EXPECT_FALSE(test, t.p.irqs_off);
	KUNIT_EXPECT_TRUE(test, t.p.executing);
	KUNIT_EXPECT_TRUE(test, t.in_dpc_thread);
	KUNIT_EXPECT_EQ(test, t.policy, SCHED_FIFO);
	KUNIT_EXPECT_EQ(test, t.rt_priority, NTDPC_PRIO_THREADED);
	KUNIT_EXPECT_EQ(test, t.p.cpu, cpu);
	snprintf(want, sizeof(want), "ntdpc/%d", cpu);
	KUNIT_EXPECT_STREQ(test, t.comm, want);
	KUNIT_EXPECT_PTR_EQ(test, t.p.arg1, (PVOID)3);
	KUNIT_EXPECT_PTR_EQ(test, t.p.arg2, (PVOID)4);
	KUNIT_EXPECT_PTR_EQ(test, dpc.DpcData, NULL);
}

/* Importance only decides head or tail; remove works as for ordinary DPCs. */
static void ntdpc_test_threaded_order_remove(struct kunit *test)
{
	static const KDPC_IMPORTANCE imp[] = {
		MediumImportance, LowImportance, HighImportance,
		MediumHighImportance, MediumImportance,
	};
	static const int expect[] = { 2, 0, 1, 3 };
	struct ntdpc_order *order;
	struct ntdpc_probe p[ARRAY_SIZE(imp)] = {};
	KDPC dpc[ARRAY_SIZE(imp)];
	KIRQL old;
	int i;

	order = kunit_kzalloc(test, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, order);
	old = KeRaiseIrqlToDpcLevel();	/* the thread cannot run meanwhile */
	for (i = 0; i < ARRAY_SIZE(imp); i++) {
		p[i].order = order;
		p[i].id = i;
		KeInitializeThreadedDpc(&dpc[i], ntdpc_probe_fn, &p[i]);
		KeSetImportanceDpc(&dpc[i], imp[i]);
		KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc[i], NULL, NULL));
	}
	KUNIT_EXPECT_TRUE(test, KeRemoveQueueDpc(&dpc[4]));
	KUNIT_EXPECT_FALSE(test, KeRemoveQueueDpc(&dpc[4]));
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_ASSERT_EQ(test, atomic_read(&order->n), 4);
	for (i = 0; i < ARRAY_SIZE(expect); i++)
		KUNIT_EXPECT_EQ_MSG(test, order->ids[i], expect[i], "position %d", i);
	KUNIT_EXPECT_EQ(test, atomic_read(&p[4].runs), 0);
}

/*
 * An ordinary DPC preempts a long threaded routine on the same CPU: the
 * threaded routine arms an hrtimer on its CPU whose handler (an interrupt)
 * queues an ordinary DPC, then spins until that DPC has run.
 */
struct ntdpc_preempt {
	struct hrtimer timer;
	KDPC threaded, ordinary;
	struct ntdpc_probe op;
	atomic_t threaded_done;
	int threaded_cpu;
	bool saw_ordinary;
	KIRQL threaded_irql;
};

static enum hrtimer_restart ntdpc_preempt_timer_fn(struct hrtimer *t)
{
	struct ntdpc_preempt *pr = container_of(t, struct ntdpc_preempt, timer);

	KeInsertQueueDpc(&pr->ordinary, NULL, NULL);
	return HRTIMER_NORESTART;
}

static VOID ntdpc_preempt_threaded_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_preempt *pr = ctx;
	u64 end = ktime_get_ns() + 2 * NSEC_PER_SEC;

	pr->threaded_cpu = smp_processor_id();
	pr->threaded_irql = KeGetCurrentIrql();
	hrtimer_start(&pr->timer, ms_to_ktime(2), HRTIMER_MODE_REL_PINNED_HARD);
	while (ktime_get_ns() < end) {
		if (atomic_read_acquire(&pr->op.runs)) {
			pr->saw_ordinary = true;
			break;
		}
		cpu_relax();
	}
	atomic_inc_return_release(&pr->threaded_done);
}

static void ntdpc_test_ordinary_preempts_threaded(struct kunit *test)
{
	struct ntdpc_preempt *pr = kunit_kzalloc(test, sizeof(*pr), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pr);
	ntdpc_hrtimer_setup(&pr->timer, ntdpc_preempt_timer_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_PINNED_HARD);
	KeInitializeThreadedDpc(&pr->threaded, ntdpc_preempt_threaded_fn, pr);
	KeInitializeDpc(&pr->ordinary, ntdpc_probe_fn, &pr->op);
	KeInsertQueueDpc(&pr->threaded, NULL, NULL);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&pr->threaded_done, 1, 5000));
	hrtimer_cancel(&pr->timer);
	KUNIT_EXPECT_TRUE(test, pr->saw_ordinary);
	KUNIT_EXPECT_EQ(test, pr->threaded_irql, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, pr->op.cpu, pr->threaded_cpu);
	KUNIT_EXPECT_EQ(test, pr->op.irql, DISPATCH_LEVEL);
}

/* One routine body for both kinds, through the ForDpc lock calls. */
struct ntdpc_fordpc {
	KSPIN_LOCK lock;
	KIRQL before, inside, after, in_stack_inside, in_stack_after;
	atomic_t runs;
};

static VOID ntdpc_fordpc_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_fordpc *f = ctx;
	KLOCK_QUEUE_HANDLE h;
	KIRQL old;

	f->before = KeGetCurrentIrql();
	old = KeAcquireSpinLockForDpc(&f->lock);
	f->inside = KeGetCurrentIrql();
	KeReleaseSpinLockForDpc(&f->lock, old);
	f->after = KeGetCurrentIrql();
	KeAcquireInStackQueuedSpinLockForDpc(&f->lock, &h);
	f->in_stack_inside = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLockForDpc(&h);
	f->in_stack_after = KeGetCurrentIrql();
	atomic_inc_return_release(&f->runs);
}

static void ntdpc_test_spinlock_for_dpc(struct kunit *test)
{
	struct ntdpc_fordpc th = {}, ord = {};
	KDPC tdpc, odpc;

	KeInitializeSpinLock(&th.lock);
	KeInitializeSpinLock(&ord.lock);
	KeInitializeThreadedDpc(&tdpc, ntdpc_fordpc_fn, &th);
	KeInitializeDpc(&odpc, ntdpc_fordpc_fn, &ord);
	KeInsertQueueDpc(&tdpc, NULL, NULL);
	KeInsertQueueDpc(&odpc, NULL, NULL);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&th.runs, 1, 2000));
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&ord.runs, 1, 2000));
	KUNIT_EXPECT_EQ(test, th.before, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, th.inside, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, th.after, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, th.in_stack_inside, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, th.in_stack_after, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, ord.before, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, ord.inside, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, ord.after, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, ord.in_stack_inside, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, ord.in_stack_after, DISPATCH_LEVEL);
}

/* KeAcquireSpinLockAtDpcLevel from a threaded DPC is reported. */
struct ntdpc_atdpc {
	KSPIN_LOCK lock;
	KIRQL held, after;	/* the IRQL with the lock held, and after */
	atomic_t runs;
};

static VOID ntdpc_atdpc_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_atdpc *a = ctx;

	KeAcquireSpinLockAtDpcLevel(&a->lock);
	a->held = KeGetCurrentIrql();
	KeReleaseSpinLockFromDpcLevel(&a->lock);
	a->after = KeGetCurrentIrql();
	atomic_inc_return_release(&a->runs);
}

static void ntdpc_test_threaded_at_dpc_level_misuse(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);
	struct ntdpc_atdpc a = {};
	KDPC dpc;

	KeInitializeSpinLock(&a.lock);
	KeInitializeThreadedDpc(&dpc, ntdpc_atdpc_fn, &a);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&a.runs, 1, 2000));
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), before + 1);
	/* Raised while held: an ordinary DPC of the CPU cannot spin on it. */
	KUNIT_EXPECT_EQ(test, a.held, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, a.after, PASSIVE_LEVEL);
}

/*
 * An ordinary DPC that runs on top of a threaded routine (here: queued from
 * it at DISPATCH_LEVEL and run by its KeLowerIrql(), in the thread's
 * context) is not "in a threaded DPC": its KeAcquireSpinLockAtDpcLevel() is
 * legal and must not be reported (issue 14, defect 5).
 */
struct ntdpc_on_top {
	struct ntdpc_atdpc ordinary;
	KDPC ordinary_dpc;
	bool ran_in_lower;	/* the ordinary DPC ran before KeLowerIrql returned */
	bool thread_flag_after;	/* the routine is still "in a threaded DPC" */
	atomic_t runs;
};

static VOID ntdpc_on_top_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_on_top *o = ctx;
	KIRQL old;

	KeSetTargetProcessorDpc(&o->ordinary_dpc,
				(CCHAR)KeGetCurrentProcessorNumber());
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeInsertQueueDpc(&o->ordinary_dpc, NULL, NULL);
	KeLowerIrql(old);
	o->ran_in_lower = atomic_read(&o->ordinary.runs) == 1;
	o->thread_flag_after = ntdpc_in_threaded_dpc();
	atomic_inc_return_release(&o->runs);
}

static void ntdpc_test_ordinary_on_top_of_threaded(struct kunit *test)
{
	long before = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);
	struct ntdpc_on_top *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	KDPC dpc;

	KUNIT_ASSERT_NOT_NULL(test, o);
	KeInitializeSpinLock(&o->ordinary.lock);
	KeInitializeDpc(&o->ordinary_dpc, ntdpc_atdpc_fn, &o->ordinary);
	KeInitializeThreadedDpc(&dpc, ntdpc_on_top_fn, o);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&o->runs, 1, 5000));
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&o->ordinary.runs, 1, 5000));
	KUNIT_EXPECT_TRUE(test, o->ran_in_lower);
	KUNIT_EXPECT_TRUE(test, o->thread_flag_after);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), before);
}

/* With ThreadDpcEnable=0 a threaded DPC runs as an ordinary one. */
static void ntdpc_test_thread_dpc_disabled(struct kunit *test)
{
	struct ntdpc_tprobe t = {};
	bool saved = ThreadDpcEnable;
	KDPC dpc;

	KeInitializeThreadedDpc(&dpc, ntdpc_tprobe_fn, &t);
	WRITE_ONCE(ThreadDpcEnable, false);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	WRITE_ONCE(ThreadDpcEnable, saved);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&t.p.runs), 1);
	KUNIT_EXPECT_EQ(test, t.p.irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, t.in_dpc_thread);
}

/* Flush covers queued and running threaded DPCs; unload purges them. */
struct ntdpc_tslow {
	atomic_t started, finished;
};

static VOID ntdpc_tslow_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_tslow *s = ctx;

	atomic_inc(&s->started);
	mdelay(20);
	atomic_inc(&s->finished);
}

static void ntdpc_test_threaded_flush_and_purge(struct kunit *test)
{
	struct ntdpc_tslow s = {};
	struct ntdpc_tprobe t = {};
	KDPC slow, queued;
	KIRQL old;

	KeInitializeThreadedDpc(&slow, ntdpc_tslow_fn, &s);
	KeInitializeThreadedDpc(&queued, ntdpc_tprobe_fn, &t);
	KeInsertQueueDpc(&slow, NULL, NULL);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&s.started, 1, 2000));
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&s.finished), 1);

	old = KeRaiseIrqlToDpcLevel();
	KeInsertQueueDpc(&queued, NULL, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_purge(NTDPC_OWNER(ntdpc_tprobe_fn)), 1U);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&t.p.runs), 0);
	KUNIT_EXPECT_PTR_EQ(test, queued.DpcData, NULL);
}

/* Targeted threaded DPCs run in the target CPU's thread. */
static void ntdpc_test_threaded_targeted(struct kunit *test)
{
	struct ntdpc_tprobe *t;
	KDPC *dpc;
	unsigned int cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 or more CPUs");
	t = kunit_kcalloc(test, nr_cpu_ids, sizeof(*t), GFP_KERNEL);
	dpc = kunit_kcalloc(test, nr_cpu_ids, sizeof(*dpc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, dpc);
	for_each_online_cpu(cpu) {
		PROCESSOR_NUMBER pn = { .Number = cpu };

		KeInitializeThreadedDpc(&dpc[cpu], ntdpc_tprobe_fn, &t[cpu]);
		KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&dpc[cpu], &pn),
				STATUS_SUCCESS);
		KeInsertQueueDpc(&dpc[cpu], NULL, NULL);
	}
	KeFlushQueuedDpcs();
	for_each_online_cpu(cpu) {
		KUNIT_EXPECT_EQ(test, atomic_read(&t[cpu].p.runs), 1);
		KUNIT_EXPECT_EQ(test, t[cpu].p.cpu, cpu);
		KUNIT_EXPECT_TRUE(test, t[cpu].in_dpc_thread);
		KUNIT_EXPECT_EQ(test, t[cpu].p.irql, PASSIVE_LEVEL);
	}
}

static struct kunit_case ntdpc_threaded_cases[] = {
	KUNIT_CASE(ntdpc_test_threaded_init),
	KUNIT_CASE(ntdpc_test_threads_exist),
	KUNIT_CASE(ntdpc_test_threaded_runs_passive),
	KUNIT_CASE(ntdpc_test_threaded_order_remove),
	KUNIT_CASE(ntdpc_test_ordinary_preempts_threaded),
	KUNIT_CASE(ntdpc_test_spinlock_for_dpc),
	KUNIT_CASE(ntdpc_test_threaded_at_dpc_level_misuse),
	KUNIT_CASE(ntdpc_test_ordinary_on_top_of_threaded),
	KUNIT_CASE(ntdpc_test_thread_dpc_disabled),
	KUNIT_CASE(ntdpc_test_threaded_flush_and_purge),
	KUNIT_CASE(ntdpc_test_threaded_targeted),
	{}
};

static struct kunit_suite ntdpc_threaded_suite = {
	.name = "ntdpc_threaded",
	.test_cases = ntdpc_threaded_cases,
};

kunit_test_suite(ntdpc_threaded_suite);

MODULE_LICENSE("GPL");
