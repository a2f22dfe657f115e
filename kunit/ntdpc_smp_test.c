// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: multiprocessor DPCs.  Needs at least two CPUs (x86_64 under QEMU
 * with -smp 4); on one CPU (UML) every case is skipped.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "ntdpc_test.h"

static int ntdpc_smp_init(struct kunit *test)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 or more CPUs, has %u", num_online_cpus());
	return 0;
}

static int ntdpc_other_cpu(int cpu)
{
	int other = cpumask_next(cpu, cpu_online_mask);

	return other < nr_cpu_ids ? other : cpumask_first(cpu_online_mask);
}

/* Targeted DPCs run on their CPU, from any CPU, High and Medium alike. */
static void ntdpc_test_targeted_remote(struct kunit *test)
{
	static const KDPC_IMPORTANCE imp[] = {
		HighImportance, MediumHighImportance, MediumImportance,
		LowImportance,
	};
	struct ntdpc_probe *p;
	KDPC *dpc;
	int cpu, i, n = 0;

	p = kunit_kcalloc(test, nr_cpu_ids * 4, sizeof(*p), GFP_KERNEL);
	dpc = kunit_kcalloc(test, nr_cpu_ids * 4, sizeof(*dpc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, dpc);
	for_each_online_cpu(cpu) {
		for (i = 0; i < 4; i++, n++) {
			KeInitializeDpc(&dpc[n], ntdpc_probe_fn, &p[n]);
			KeSetImportanceDpc(&dpc[n], imp[i]);
			KeSetTargetProcessorDpc(&dpc[n], cpu);
			KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&dpc[n], NULL,
								 NULL));
		}
	}
	/* Medium and Low need no IPI, but are delivered within a tick. */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&p[i].runs, 1, 1000));
	n = 0;
	for_each_online_cpu(cpu) {
		for (i = 0; i < 4; i++, n++) {
			KUNIT_EXPECT_EQ(test, p[n].cpu, cpu);
			KUNIT_EXPECT_EQ(test, p[n].irql, DISPATCH_LEVEL);
			KUNIT_EXPECT_TRUE(test, p[n].executing);
		}
	}
}

/* High kicks the target at once; Medium does not, and rides the tick. */
static void ntdpc_test_remote_kick(struct kunit *test)
{
	struct ntdpc_probe hp = {}, mp = {};
	struct ntdpc_cpu *tc;
	unsigned long kicks;
	bool kicked = false;
	int cpu, target, tries;
	KDPC high, med;
	KIRQL old;

	KeInitializeDpc(&high, ntdpc_probe_fn, &hp);
	KeInitializeDpc(&med, ntdpc_probe_fn, &mp);
	KeSetImportanceDpc(&high, HighImportance);
	old = KeRaiseIrqlToDpcLevel();
	cpu = smp_processor_id();
	target = ntdpc_other_cpu(cpu);
	tc = per_cpu_ptr(&ntdpc_cpus, target);
	KeSetTargetProcessorDpc(&high, target);
	KeSetTargetProcessorDpc(&med, target);

	/* Medium to an idle remote CPU: queued, no request made. */
	ntdpc_wait_tick_edge();
	ntdpc_set_rate(target, 0);
	raw_spin_lock_irq(&tc->dpcs.lock);
	kicks = tc->stat_remote_kicks;
	raw_spin_unlock_irq(&tc->dpcs.lock);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&med, NULL, NULL));
	raw_spin_lock_irq(&tc->dpcs.lock);
	KUNIT_EXPECT_EQ(test, tc->stat_remote_kicks, kicks);
	KUNIT_EXPECT_FALSE(test, tc->request_pending);
	raw_spin_unlock_irq(&tc->dpcs.lock);
	KeLowerIrql(old);
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&mp.runs, 1,
						  jiffies_to_msecs(2) + 50));
	KUNIT_EXPECT_EQ(test, mp.cpu, target);

	/*
	 * High: the request (and the IPI) is made by the insert itself,
	 * unless the target's drain was asked for or running already (by
	 * anything else on that CPU), which then runs it: tried again then.
	 * Another CPU each time: this thread may have moved meanwhile.
	 */
	for (tries = 0; tries < 20 && !kicked; tries++) {
		old = KeRaiseIrqlToDpcLevel();
		target = ntdpc_other_cpu(smp_processor_id());
		tc = per_cpu_ptr(&ntdpc_cpus, target);
		KeSetTargetProcessorDpc(&high, target);
		raw_spin_lock_irq(&tc->dpcs.lock);
		kicks = tc->stat_remote_kicks;
		raw_spin_unlock_irq(&tc->dpcs.lock);
		KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&high, NULL, NULL));
		raw_spin_lock_irq(&tc->dpcs.lock);
		kicked = tc->stat_remote_kicks > kicks;
		raw_spin_unlock_irq(&tc->dpcs.lock);
		KeLowerIrql(old);
		KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&hp.runs, tries + 1,
							  1000));
		KUNIT_EXPECT_EQ(test, hp.cpu, target);
	}
	KUNIT_EXPECT_TRUE(test, kicked);
}

/* Flush waits for DPCs queued on, and running on, every CPU. */
struct ntdpc_slow {
	KDPC dpc;
	atomic_t started;
	atomic_t finished;
};

static VOID ntdpc_slow_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_slow *s = ctx;

	atomic_inc(&s->started);
	mdelay(20);
	atomic_inc(&s->finished);
}

static void ntdpc_test_flush_all_cpus(struct kunit *test)
{
	struct ntdpc_slow *s;
	struct ntdpc_probe *low;
	KDPC *ldpc;
	int cpu, n = 0;

	s = kunit_kcalloc(test, nr_cpu_ids, sizeof(*s), GFP_KERNEL);
	low = kunit_kcalloc(test, nr_cpu_ids, sizeof(*low), GFP_KERNEL);
	ldpc = kunit_kcalloc(test, nr_cpu_ids, sizeof(*ldpc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, low);
	KUNIT_ASSERT_NOT_NULL(test, ldpc);
	for_each_online_cpu(cpu) {
		KeInitializeDpc(&s[cpu].dpc, ntdpc_slow_fn, &s[cpu]);
		KeSetImportanceDpc(&s[cpu].dpc, HighImportance);
		KeSetTargetProcessorDpc(&s[cpu].dpc, cpu);
		KeInitializeDpc(&ldpc[cpu], ntdpc_probe_fn, &low[cpu]);
		KeSetImportanceDpc(&ldpc[cpu], LowImportance);
		KeSetTargetProcessorDpc(&ldpc[cpu], cpu);
		KeInsertQueueDpc(&s[cpu].dpc, NULL, NULL);
		KeInsertQueueDpc(&ldpc[cpu], NULL, NULL);
		n++;
	}
	/* Let the slow ones start, so that some are running at the flush. */
	for_each_online_cpu(cpu)
		ntdpc_wait_atomic(&s[cpu].started, 1, 1000);
	KeFlushQueuedDpcs();
	for_each_online_cpu(cpu) {
		KUNIT_EXPECT_EQ(test, atomic_read(&s[cpu].finished), 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&low[cpu].runs), 1);
		KUNIT_EXPECT_EQ(test, low[cpu].cpu, cpu);
	}
	KUNIT_EXPECT_EQ(test, n, (int)num_online_cpus());
}

/* One KDPC inserted from every CPU at once: each TRUE is exactly one run. */
struct ntdpc_race {
	KDPC dpc;
	atomic_t inserted;
	atomic_t removed;
	atomic_t runs;
	atomic_t requeued;
	int requeue_max;
	bool stop;
};

static VOID ntdpc_race_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_race *r = ctx;

	atomic_inc(&r->runs);
	if (atomic_read(&r->requeued) < r->requeue_max &&
	    KeInsertQueueDpc(dpc, NULL, NULL)) {
		atomic_inc(&r->requeued);
		atomic_inc(&r->inserted);
	}
}

static void ntdpc_race_insert_ipi(void *info)
{
	struct ntdpc_race *r = info;

	if (KeInsertQueueDpc(&r->dpc, NULL, NULL))
		atomic_inc(&r->inserted);
}

static void ntdpc_test_insert_everywhere(struct kunit *test)
{
	struct ntdpc_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KeInitializeDpc(&r->dpc, ntdpc_race_fn, r);
	for (i = 0; i < 500; i++)
		on_each_cpu(ntdpc_race_insert_ipi, r, 1);	/* hardirq */
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_GT(test, atomic_read(&r->inserted), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->runs), atomic_read(&r->inserted));
	KUNIT_EXPECT_PTR_EQ(test, r->dpc.DpcData, NULL);
}

struct ntdpc_race_thread {
	struct ntdpc_race *r;
	int mode;			/* 0: insert, 1: remove */
	struct completion done;
};

static int ntdpc_race_thread_fn(void *arg)
{
	struct ntdpc_race_thread *t = arg;
	struct ntdpc_race *r = t->r;
	int i;

	for (i = 0; i < 20000 && !READ_ONCE(r->stop); i++) {
		if (t->mode == 0 && KeInsertQueueDpc(&r->dpc, NULL, NULL))
			atomic_inc(&r->inserted);
		if (t->mode == 1 && KeRemoveQueueDpc(&r->dpc))
			atomic_inc(&r->removed);
		if (!(i & 63))
			cond_resched();
	}
	complete(&t->done);
	return 0;
}

/*
 * Inserters on every CPU, a remover, and a routine that queues itself again:
 * every successful insert is either run once or removed once.
 */
static void ntdpc_test_insert_remove_requeue_race(struct kunit *test)
{
	struct ntdpc_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct ntdpc_race_thread *t;
	int cpu, n = 0, i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	t = kunit_kcalloc(test, nr_cpu_ids + 1, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	r->requeue_max = 2000;
	KeInitializeDpc(&r->dpc, ntdpc_race_fn, r);
	KeSetImportanceDpc(&r->dpc, HighImportance);
	for_each_online_cpu(cpu) {
		struct task_struct *k;

		t[n].r = r;
		t[n].mode = n == 1;
		init_completion(&t[n].done);
		k = kthread_create_on_cpu(ntdpc_race_thread_fn, &t[n], cpu,
					  "ntdpc_race/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
		wake_up_process(k);
		n++;
	}
	for (i = 0; i < n; i++)
		wait_for_completion(&t[i].done);
	/* The routine may still be queueing itself: wait until it stops. */
	WRITE_ONCE(r->requeue_max, 0);
	KeFlushQueuedDpcs();
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_PTR_EQ(test, r->dpc.DpcData, NULL);
	KUNIT_EXPECT_GT(test, atomic_read(&r->inserted), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->runs) + atomic_read(&r->removed),
			atomic_read(&r->inserted));
}

/* KeGenericCallDpc runs concurrently: a barrier only passes if all arrive. */
struct ntdpc_gsync {
	atomic_t arrived;
	atomic_t seen_all;
	atomic_t true_count;
	atomic_t cpu_runs[NR_CPUS];
};

static VOID ntdpc_gsync_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_gsync *g = ctx;
	int round;

	atomic_inc(&g->cpu_runs[smp_processor_id()]);
	for (round = 0; round < 3; round++) {
		atomic_inc(&g->arrived);
		if (KeSignalCallDpcSynchronize(a2))
			atomic_inc(&g->true_count);
		if (atomic_read(&g->arrived) >= (round + 1) * num_online_cpus())
			atomic_inc(&g->seen_all);
		KeSignalCallDpcSynchronize(a2);
	}
	KeSignalCallDpcDone(a1);
}

static void ntdpc_test_generic_call_smp(struct kunit *test)
{
	struct ntdpc_gsync *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	unsigned int cpu, n = num_online_cpus();

	KUNIT_ASSERT_NOT_NULL(test, g);
	KeGenericCallDpc(ntdpc_gsync_fn, g);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->true_count), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&g->seen_all), 3 * (int)n);
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_EQ(test, atomic_read(&g->cpu_runs[cpu]), 1);
}

/*
 * CPU hotplug: DPCs queued on a CPU that goes offline run elsewhere, in
 * order; a DPC aimed at the offline CPU is redirected, not lost; the CPU
 * comes back with a working queue.
 */
static void ntdpc_test_hotplug(struct kunit *test)
{
	struct ntdpc_hotplug {
		struct ntdpc_order order;
		struct ntdpc_probe p[5], late, back;
		KDPC dpc[5], late_dpc, back_dpc;
	} *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	PROCESSOR_NUMBER pn = {};
	struct ntdpc_cpu *c;
	int victim, i, ret;

	KUNIT_ASSERT_NOT_NULL(test, h);

	victim = cpumask_last(cpu_online_mask);
	if (victim == 0 || !cpu_is_hotpluggable(victim))
		kunit_skip(test, "CPU %d cannot go offline", victim);
	c = per_cpu_ptr(&ntdpc_cpus, victim);

	for (i = 0; i < 5; i++) {
		h->p[i].order = &h->order;
		h->p[i].id = i;
		KeInitializeDpc(&h->dpc[i], ntdpc_probe_fn, &h->p[i]);
		KeSetImportanceDpc(&h->dpc[i], LowImportance);
		KeSetTargetProcessorDpc(&h->dpc[i], victim);
	}
	KeInitializeDpc(&h->late_dpc, ntdpc_probe_fn, &h->late);
	KeSetTargetProcessorDpc(&h->late_dpc, victim);

	/* Hold the victim's queue: its drain looks already requested. */
	hrtimer_cancel(&c->deliver_timer);
	raw_spin_lock_irq(&c->dpcs.lock);
	c->request_pending = true;
	raw_spin_unlock_irq(&c->dpcs.lock);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&h->dpc[i], NULL, NULL));
	KUNIT_EXPECT_EQ(test, atomic_read(&h->order.n), 0);
	KUNIT_EXPECT_TRUE(test, KeRemoveQueueDpc(&h->dpc[2]));

	ret = remove_cpu(victim);
	if (ret) {
		raw_spin_lock_irq(&c->dpcs.lock);
		c->request_pending = false;
		raw_spin_unlock_irq(&c->dpcs.lock);
		KeFlushQueuedDpcs();
		KUNIT_FAIL(test, "remove_cpu(%d) failed: %d", victim, ret);
		return;
	}
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&h->order.n, 4, 2000));
	KUNIT_EXPECT_EQ(test, h->order.ids[0], 0);
	KUNIT_EXPECT_EQ(test, h->order.ids[1], 1);
	KUNIT_EXPECT_EQ(test, h->order.ids[2], 3);
	KUNIT_EXPECT_EQ(test, h->order.ids[3], 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->p[2].runs), 0);
	for (i = 0; i < 5; i++)
		if (i != 2)
			KUNIT_EXPECT_NE(test, h->p[i].cpu, victim);

	/* Offline: the Ex call refuses it, an earlier target is redirected. */
	pn.Number = victim;
	KeInitializeDpc(&h->back_dpc, ntdpc_probe_fn, &h->back);
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&h->back_dpc, &pn),
			STATUS_INVALID_PARAMETER);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&h->late_dpc, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&h->late.runs, 1, 2000));
	KUNIT_EXPECT_NE(test, h->late.cpu, victim);

	KUNIT_ASSERT_EQ(test, add_cpu(victim), 0);
	KUNIT_EXPECT_EQ(test, KeSetTargetProcessorDpcEx(&h->back_dpc, &pn),
			STATUS_SUCCESS);
	KeSetImportanceDpc(&h->back_dpc, HighImportance);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&h->back_dpc, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&h->back.runs, 1, 2000));
	KUNIT_EXPECT_EQ(test, h->back.cpu, victim);
	KeFlushQueuedDpcs();
}

/*
 * A DPC aimed at a CPU that is coming back online, queued before the CPU can
 * take an IPI (by a prepare-step hotplug callback of the test's own), is not
 * left waiting for a kick that cannot reach it: it is redirected and runs.
 */
static struct {
	KDPC dpc;
	struct ntdpc_probe p;
	int victim;
	BOOLEAN inserted;
} ntdpc_coming;

static int ntdpc_coming_prepare(unsigned int cpu)
{
	if (cpu == READ_ONCE(ntdpc_coming.victim))
		ntdpc_coming.inserted = KeInsertQueueDpc(&ntdpc_coming.dpc,
							 NULL, NULL);
	return 0;
}

static void ntdpc_test_hotplug_coming_up(struct kunit *test)
{
	int victim = cpumask_last(cpu_online_mask), state, ret;

	if (victim == 0 || !cpu_is_hotpluggable(victim))
		kunit_skip(test, "CPU %d cannot go offline", victim);
	memset(&ntdpc_coming, 0, sizeof(ntdpc_coming));
	ntdpc_coming.victim = -1;
	KeInitializeDpc(&ntdpc_coming.dpc, ntdpc_probe_fn, &ntdpc_coming.p);
	KeSetImportanceDpc(&ntdpc_coming.dpc, HighImportance);
	KeSetTargetProcessorDpc(&ntdpc_coming.dpc, victim);
	state = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN,
					  "ntdpc_test:coming",
					  ntdpc_coming_prepare, NULL);
	KUNIT_ASSERT_GE(test, state, 0);
	ret = remove_cpu(victim);
	if (ret) {
		cpuhp_remove_state_nocalls(state);
		KUNIT_FAIL(test, "remove_cpu(%d) failed: %d", victim, ret);
		return;
	}
	WRITE_ONCE(ntdpc_coming.victim, victim);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	WRITE_ONCE(ntdpc_coming.victim, -1);
	cpuhp_remove_state_nocalls(state);
	KUNIT_EXPECT_TRUE(test, ntdpc_coming.inserted);
	if (!ntdpc_wait_atomic(&ntdpc_coming.p.runs, 1, 2000)) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, victim);

		KUNIT_FAIL(test, "the DPC waits on CPU %d for a lost kick",
			   victim);
		/* Unwedge the queue, or every later flush waits for it. */
		KeRemoveQueueDpc(&ntdpc_coming.dpc);
		raw_spin_lock_irq(&c->dpcs.lock);
		c->request_pending = false;
		raw_spin_unlock_irq(&c->dpcs.lock);
	}
	KeFlushQueuedDpcs();
}

/*
 * KeRemoveQueueDpc() on a DPC whose queue moves (CPU hotplug moves a dead
 * CPU's list) between its read of DpcData and its lock: it must follow the
 * DPC and return TRUE (issue 14, defect 8).  The remover, on another CPU,
 * is caught waiting for the first list's lock, which this test holds, and
 * the list is moved to a second one before the lock is let go.
 */
struct ntdpc_move_race {
	struct ntdpc_list from, to;
	struct ntdpc_probe p;
	KDPC dpc;
	struct work_struct work;
	BOOLEAN removed;
	atomic_t done;
};

static void ntdpc_move_race_remove(struct work_struct *work)
{
	struct ntdpc_move_race *r = container_of(work, struct ntdpc_move_race,
						 work);

	r->removed = KeRemoveQueueDpc(&r->dpc);
	atomic_set_release(&r->done, 1);
}

static void ntdpc_test_remove_during_move(struct kunit *test)
{
	struct ntdpc_move_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	bool contended = false;
	u64 end;
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, r);
	ntdpc_list_init(&r->from, 0, "ntdpc_test_from");
	ntdpc_list_init(&r->to, 0, "ntdpc_test_to");
	KeInitializeDpc(&r->dpc, ntdpc_probe_fn, &r->p);
	INIT_WORK(&r->work, ntdpc_move_race_remove);

	raw_spin_lock_irq(&r->from.lock);
	list_add_tail(ntdpc_dpc_entry(&r->dpc), &r->from.head);
	r->from.depth = 1;
	WRITE_ONCE(r->dpc.DpcData, &r->from);
	cpu = smp_processor_id();
	queue_work_on(ntdpc_other_cpu(cpu), system_highpri_wq, &r->work);
	/* Seconds, not less: the remover's vCPU may stall. */
	end = ktime_get_ns() + 10 * NSEC_PER_SEC;
	while (!(contended = raw_spin_is_contended(&r->from.lock)) &&
	       ktime_get_ns() < end)
		cpu_relax();
	raw_spin_lock(&r->to.lock);
	KUNIT_EXPECT_TRUE(test, ntdpc_list_move(&r->from, &r->to));
	raw_spin_unlock(&r->to.lock);
	raw_spin_unlock_irq(&r->from.lock);
	flush_work(&r->work);

	KUNIT_EXPECT_TRUE_MSG(test, contended,
			      "the remover never waited for the list lock");
	KUNIT_EXPECT_EQ(test, atomic_read(&r->done), 1);
	KUNIT_EXPECT_TRUE(test, r->removed);
	KUNIT_EXPECT_PTR_EQ(test, r->dpc.DpcData, NULL);
	KUNIT_EXPECT_TRUE(test, list_empty(&r->to.head));
	KUNIT_EXPECT_EQ(test, r->to.depth, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&r->p.runs), 0);
}

static struct kunit_case ntdpc_smp_cases[] = {
	KUNIT_CASE(ntdpc_test_targeted_remote),
	KUNIT_CASE(ntdpc_test_remote_kick),
	KUNIT_CASE(ntdpc_test_flush_all_cpus),
	KUNIT_CASE(ntdpc_test_insert_everywhere),
	KUNIT_CASE(ntdpc_test_insert_remove_requeue_race),
	KUNIT_CASE(ntdpc_test_remove_during_move),
	KUNIT_CASE(ntdpc_test_generic_call_smp),
	KUNIT_CASE(ntdpc_test_hotplug),
	KUNIT_CASE(ntdpc_test_hotplug_coming_up),
	{}
};

static struct kunit_suite ntdpc_smp_suite = {
	.name = "ntdpc_smp",
	.init = ntdpc_smp_init,
	.test_cases = ntdpc_smp_cases,
};

kunit_test_suite(ntdpc_smp_suite);

MODULE_LICENSE("GPL");
