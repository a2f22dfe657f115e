// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: tracepoints, the DPC watchdog and the statistics (UML and x86_64).
 */
#include <ntdpc/trace.h>

#include "ntdpc_test.h"

struct ntdpc_trace_seen {
	const void *want_dpc;
	atomic_t queue, entry, exit;
	unsigned long caller;
	unsigned int importance, depth;
	bool at_head;
	int cpu;
	u64 latency_ns, runtime_ns;
	const void *routine;
};

static void ntdpc_probe_queue(void *data, const void *dpc, const void *routine,
			      int cpu, unsigned int importance, bool threaded,
			      bool at_head, unsigned int depth,
			      unsigned long caller)
{
	struct ntdpc_trace_seen *s = data;

	if (dpc != s->want_dpc)
		return;
	s->caller = caller;
	s->importance = importance;
	s->at_head = at_head;
	s->depth = depth;
	s->cpu = cpu;
	s->routine = routine;
	atomic_inc(&s->queue);
}

static void ntdpc_probe_entry(void *data, const void *dpc, const void *routine,
			      bool threaded, u64 latency_ns)
{
	struct ntdpc_trace_seen *s = data;

	if (dpc != s->want_dpc)
		return;
	s->latency_ns = latency_ns;
	atomic_inc(&s->entry);
}

static void ntdpc_probe_exit(void *data, const void *dpc, const void *routine,
			     bool threaded, u64 runtime_ns)
{
	struct ntdpc_trace_seen *s = data;

	if (dpc != s->want_dpc)
		return;
	s->runtime_ns = runtime_ns;
	atomic_inc(&s->exit);
}

/* Spins for 2 ms and records how long it really ran. */
static VOID ntdpc_slow_routine(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	u64 *spent = ctx, start = ntdpc_clock();

	mdelay(2);
	*spent = ntdpc_clock() - start;
}

static void ntdpc_test_tracepoints(struct kunit *test)
{
	struct ntdpc_trace_seen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u64 spent = 0, held_from, held_to;
	KDPC dpc;
	KIRQL old;
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, s);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "no CONFIG_TRACEPOINTS");
	KeInitializeDpc(&dpc, ntdpc_slow_routine, &spent);
	KeSetImportanceDpc(&dpc, HighImportance);
	s->want_dpc = &dpc;
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_queue(ntdpc_probe_queue, s), 0);
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_entry(ntdpc_probe_entry, s), 0);
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_exit(ntdpc_probe_exit, s), 0);

	old = KeRaiseIrqlToDpcLevel();
	cpu = smp_processor_id();
	KeInsertQueueDpc(&dpc, NULL, NULL);
	held_from = ntdpc_clock();
	mdelay(1);	/* the DPC waits at least this long to start */
	held_to = ntdpc_clock();
	KeLowerIrql(old);

	unregister_trace_ntdpc_exit(ntdpc_probe_exit, s);
	unregister_trace_ntdpc_entry(ntdpc_probe_entry, s);
	unregister_trace_ntdpc_queue(ntdpc_probe_queue, s);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_EQ(test, atomic_read(&s->queue), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->entry), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->exit), 1);
	KUNIT_EXPECT_PTR_EQ(test, s->routine, (const void *)ntdpc_slow_routine);
	KUNIT_EXPECT_EQ(test, s->importance, (unsigned int)HighImportance);
	KUNIT_EXPECT_TRUE(test, s->at_head);
	KUNIT_EXPECT_EQ(test, s->cpu, cpu);
	KUNIT_EXPECT_GE(test, s->depth, 1U);
	/* The caller is this test function. */
	KUNIT_EXPECT_GE(test, s->caller, (unsigned long)ntdpc_test_tracepoints);
	KUNIT_EXPECT_LT(test, s->caller, (unsigned long)ntdpc_test_tracepoints + 4096);
	KUNIT_EXPECT_GE(test, s->latency_ns, held_to - held_from);
	KUNIT_EXPECT_GE(test, s->runtime_ns, spent);
	KUNIT_EXPECT_GT(test, spent, 0ULL);
}

/*
 * With the queue event on, a KDPC (or a device object) that its routine
 * frees on another CPU is never read after the queue lock is dropped
 * (issue 14, defect 7): KASAN (x86_64 KUnit) reports a use after free if
 * the event's fields are taken outside the lock, or if the exit event reads
 * the device object after its DpcForIsr returned; and every event must
 * name the routine that was queued.
 */
struct ntdpc_freed_seen {
	atomic_t events, runs, exits;
};

static struct ntdpc_freed_seen ntdpc_freed;

static VOID ntdpc_free_self(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	kfree(dpc);
	atomic_inc(&ntdpc_freed.runs);
}

static VOID ntdpc_free_device(PKDPC dpc, PDEVICE_OBJECT dev, PIRP irp,
			      PVOID ctx)
{
	kfree(dev);
	atomic_inc(&ntdpc_freed.runs);
}

static void ntdpc_probe_queue_freed(void *data, const void *dpc,
				    const void *routine, int cpu,
				    unsigned int importance, bool threaded,
				    bool at_head, unsigned int depth,
				    unsigned long caller)
{
	/* Others queue DPCs too (the flush its markers): count only ours. */
	if (routine == (const void *)ntdpc_free_self ||
	    routine == (const void *)ntdpc_free_device)
		atomic_inc(&ntdpc_freed.events);
}

/* The exit event comes after the routine freed its KDPC or device. */
static void ntdpc_probe_exit_freed(void *data, const void *dpc,
				   const void *routine, bool threaded,
				   u64 runtime_ns)
{
	if (routine == (const void *)ntdpc_free_self ||
	    routine == (const void *)ntdpc_free_device)
		atomic_inc(&ntdpc_freed.exits);
}

static void ntdpc_test_queue_event_freed(struct kunit *test)
{
	int i, n = 2000, cpu, target;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "no CONFIG_TRACEPOINTS");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 or more CPUs");
	memset(&ntdpc_freed, 0, sizeof(ntdpc_freed));
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_queue(ntdpc_probe_queue_freed,
							 &ntdpc_freed), 0);
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_exit(ntdpc_probe_exit_freed,
							&ntdpc_freed), 0);
	for (i = 0; i < n; i++) {
		cpu = get_cpu();
		target = cpumask_next(cpu, cpu_online_mask);
		if (target >= nr_cpu_ids)
			target = cpumask_first(cpu_online_mask);
		put_cpu();
		if (i & 1) {
			PDEVICE_OBJECT dev = kzalloc(sizeof(*dev), GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, dev);
			IoInitializeDpcRequest(dev, ntdpc_free_device);
			KeSetImportanceDpc(&dev->Dpc, HighImportance);
			KeSetTargetProcessorDpc(&dev->Dpc, target);
			IoRequestDpc(dev, NULL, NULL);
		} else {
			PKDPC dpc = kmalloc(sizeof(*dpc), GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, dpc);
			KeInitializeDpc(dpc, ntdpc_free_self, NULL);
			KeSetImportanceDpc(dpc, HighImportance);
			KeSetTargetProcessorDpc(dpc, target);
			KeInsertQueueDpc(dpc, NULL, NULL);
		}
	}
	KeFlushQueuedDpcs();
	unregister_trace_ntdpc_exit(ntdpc_probe_exit_freed, &ntdpc_freed);
	unregister_trace_ntdpc_queue(ntdpc_probe_queue_freed, &ntdpc_freed);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, atomic_read(&ntdpc_freed.runs), n);
	KUNIT_EXPECT_EQ(test, atomic_read(&ntdpc_freed.events), n);
	KUNIT_EXPECT_EQ(test, atomic_read(&ntdpc_freed.exits), n);
}

static unsigned long ntdpc_watchdog_hits(void)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(&ntdpc_cpus, cpu)->stat_watchdog);
	return n;
}

/*
 * The watchdog samples, so how soon it reports depends on when its hrtimer
 * gets to run, which under emulation with KASAN and lockdep can be late by
 * milliseconds.  The long routines below therefore run until the report
 * has come (or 500 ms have passed, which fails the test) rather than for a
 * fixed time.
 */
#define NTDPC_WATCHDOG_PATIENCE_MS	500

/*
 * Busy for @ns by the clock the watchdog reads: the delay loop is not to
 * be trusted under emulation (a kunit-rt run on a loaded host got 500
 * mdelay(1) calls done in 2.4 ms).
 */
static void ntdpc_spin_ns(u64 ns)
{
	u64 end = ktime_get_ns() + ns;

	while (ktime_get_ns() < end)
		cpu_relax();
}

/* What the watchdog's last report named. */
struct ntdpc_watchdog_seen {
	const void *routine;
	bool cumulative;
};

static void ntdpc_probe_watchdog(void *data, const void *routine,
				 const char *module, u64 runtime_ns,
				 u64 limit_ns, bool cumulative)
{
	struct ntdpc_watchdog_seen *s = data;

	s->routine = routine;
	s->cumulative = cumulative;
}

struct ntdpc_watch {
	unsigned long hits;		/* before the DPC was queued */
	NTSTATUS status;
	ULONG time_limit;
	ULONG early_count;		/* DpcTimeCount at the start */
	bool early_yield, late_yield;
	u64 ran_ns;
	atomic_t runs;
};

static VOID ntdpc_watch_routine(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_watch *w = ctx;
	KDPC_WATCHDOG_INFORMATION wi;
	u64 start = ktime_get_ns();

	w->status = KeQueryDpcWatchdogInformation(&wi);
	w->time_limit = wi.DpcTimeLimit;
	w->early_count = wi.DpcTimeCount;
	w->early_yield = KeShouldYieldProcessor();
	while (ntdpc_watchdog_hits() == w->hits &&
	       ktime_get_ns() - start < NTDPC_WATCHDOG_PATIENCE_MS * NSEC_PER_MSEC)
		ntdpc_spin_ns(10 * NSEC_PER_USEC);
	w->late_yield = KeShouldYieldProcessor();
	w->ran_ns = ktime_get_ns() - start;
	atomic_inc(&w->runs);
}

struct ntdpc_chain {
	unsigned long hits;
	atomic_t runs;
	u64 start_ns, end_ns;	/* first routine's start, last one's end */
	bool done;
};

/* 1 ms a DPC, queued again until the report or the patience is spent. */
static VOID ntdpc_chain_routine(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_chain *ch = ctx;

	if (!ch->start_ns)
		ch->start_ns = ktime_get_ns();
	ntdpc_spin_ns(NSEC_PER_MSEC);
	if (atomic_inc_return(&ch->runs) < NTDPC_WATCHDOG_PATIENCE_MS &&
	    ntdpc_watchdog_hits() == ch->hits) {
		KeInsertQueueDpc(dpc, NULL, NULL);
		return;
	}
	ch->end_ns = ktime_get_ns();
	WRITE_ONCE(ch->done, true);
}

static void ntdpc_test_watchdog(struct kunit *test)
{
	unsigned int saved_us = dpc_time_limit_us, saved_ms = dpc_watchdog_limit_ms;
	KDPC_WATCHDOG_INFORMATION wi;
	struct ntdpc_watch w = {};
	struct ntdpc_chain ch = {};
	struct ntdpc_watchdog_seen *seen;
	KDPC dpc, chain;

	KUNIT_EXPECT_EQ(test, KeQueryDpcWatchdogInformation(&wi),
			STATUS_UNSUCCESSFUL);
	KUNIT_EXPECT_FALSE(test, KeShouldYieldProcessor());
	seen = kunit_kzalloc(test, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	KUNIT_ASSERT_EQ(test, register_trace_ntdpc_watchdog(ntdpc_probe_watchdog,
							    seen), 0);

	/*
	 * One DPC over its 20 ms limit: one report, while it runs; it saw most
	 * of its allowance left at the start (all of it, unless the sampler
	 * fired in between) and used up at the end.  The limit is long so
	 * that an emulated interrupt between its first two calls cannot use
	 * up half of it.
	 */
	dpc_time_limit_us = 20000;
	dpc_watchdog_limit_ms = 0;
	w.hits = ntdpc_watchdog_hits();
	KeInitializeDpc(&dpc, ntdpc_watch_routine, &w);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	/* No assertion may end the test while the probe is registered. */
	KUNIT_EXPECT_EQ(test, atomic_read(&w.runs), 1);
	KUNIT_EXPECT_EQ(test, ntdpc_watchdog_hits(), w.hits + 1);
	KUNIT_EXPECT_GT(test, w.ran_ns, 20000ULL * NSEC_PER_USEC);
	KUNIT_EXPECT_EQ(test, (long)w.status, (long)STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, (unsigned long)w.time_limit, 20000UL);
	KUNIT_EXPECT_GE(test, (unsigned long)w.early_count, 10000UL);
	KUNIT_EXPECT_FALSE(test, w.early_yield);
	KUNIT_EXPECT_TRUE(test, w.late_yield);
	KUNIT_EXPECT_PTR_EQ(test, seen->routine, (void *)ntdpc_watch_routine);
	KUNIT_EXPECT_FALSE(test, seen->cumulative);

	/* 1 ms DPCs back to back on one CPU, 5 ms allowed: one report. */
	dpc_time_limit_us = 0;
	dpc_watchdog_limit_ms = 5;
	ch.hits = ntdpc_watchdog_hits();
	KeInitializeDpc(&chain, ntdpc_chain_routine, &ch);
	KeInsertQueueDpc(&chain, NULL, NULL);
	/*
	 * The chain queues itself again from its routine, behind a flush's
	 * marker: flush until it has stopped, which it does after at most
	 * NTDPC_WATCHDOG_PATIENCE_MS runs.
	 */
	do {
		KeFlushQueuedDpcs();
	} while (!READ_ONCE(ch.done));
	KUNIT_EXPECT_EQ(test, ntdpc_watchdog_hits(), ch.hits + 1);
	/*
	 * Not before the 5 ms were spent.  Wall time, not runs: interrupts
	 * count as time at DISPATCH_LEVEL or above, as on NT, and under
	 * emulation one can take milliseconds.
	 */
	KUNIT_EXPECT_GT(test, ch.end_ns - ch.start_ns, 5ULL * NSEC_PER_MSEC);
	KUNIT_EXPECT_LT(test, atomic_read(&ch.runs), NTDPC_WATCHDOG_PATIENCE_MS);
	/*
	 * Named by the routine that ran in the sequence (the sampler seldom
	 * catches this drain between two of them, so this checks the naming,
	 * not that case).
	 */
	KUNIT_EXPECT_PTR_EQ(test, seen->routine, (void *)ntdpc_chain_routine);
	KUNIT_EXPECT_TRUE(test, seen->cumulative);

	unregister_trace_ntdpc_watchdog(ntdpc_probe_watchdog, seen);
	tracepoint_synchronize_unregister();

	dpc_time_limit_us = saved_us;
	dpc_watchdog_limit_ms = saved_ms;
}

static void ntdpc_test_stats(struct kunit *test)
{
	struct ntdpc_probe p = {};
	struct ntdpc_cpu *c;
	u64 held_from, held_to;
	KDPC dpc, tdpc;
	KIRQL old;
	int i;

	KeInitializeDpc(&dpc, ntdpc_probe_fn, &p);
	KeInitializeThreadedDpc(&tdpc, ntdpc_probe_fn, &p);
	static_branch_inc(&ntdpc_timing);	/* as latency_stats=1 does */
	old = KeRaiseIrqlToDpcLevel();
	ntdpc_stats_reset();
	c = this_cpu_ptr(&ntdpc_cpus);
	for (i = 0; i < 3; i++)
		KeInsertQueueDpc(&dpc, NULL, NULL);	/* 1 queued, 2 rejected */
	KeRemoveQueueDpc(&dpc);
	KeInsertQueueDpc(&dpc, NULL, NULL);
	KeInsertQueueDpc(&tdpc, NULL, NULL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->inserted) - c->stat_queued_base, 2UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->stat_rejected), 2UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->dpcs.stats.removed), 1UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->stat_threaded), 1UL);
	/* The drain keeps it, as a pass starts: none has started yet. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->dpcs.stats.depth_high), 0U);
	held_from = ntdpc_clock();
	mdelay(1);
	held_to = ntdpc_clock();
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->dpcs.stats.depth_high), 1U);
	KeFlushQueuedDpcs();
	static_branch_dec(&ntdpc_timing);
	KUNIT_EXPECT_GE(test, READ_ONCE(c->dpcs.stats.run), 1UL);
	KUNIT_EXPECT_GE(test, READ_ONCE(c->threaded.stats.run), 1UL);
	KUNIT_EXPECT_GE(test, (u64)READ_ONCE(c->dpcs.stats.max_latency_ns),
			held_to - held_from);
	KUNIT_EXPECT_GT(test, (u64)READ_ONCE(c->dpcs.stats.time_ns), 0ULL);
	/* The threaded list's, taken by its thread. */
	KUNIT_EXPECT_GE(test, READ_ONCE(c->threaded.stats.depth_high), 1U);
	KUNIT_EXPECT_GT(test, (u64)READ_ONCE(c->threaded.stats.max_latency_ns),
			0ULL);
	KUNIT_EXPECT_GT(test, (u64)READ_ONCE(c->threaded.stats.time_ns), 0ULL);
	ntdpc_stats_reset();
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->stat_rejected), 0UL);
	KUNIT_EXPECT_EQ(test, (u64)READ_ONCE(c->dpcs.stats.max_latency_ns), 0ULL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->threaded.stats.depth_high), 0U);
}

/*
 * depth_high is the drain's: a routine that queues more on its own CPU
 * deepens the queue while the pass runs, and the pass sees it.
 */
#define NTDPC_FANOUT 8

struct ntdpc_fanout {
	KDPC first;
	KDPC more[NTDPC_FANOUT];
	atomic_t runs;
};

static VOID ntdpc_fanout_more_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_fanout *f = ctx;

	atomic_inc(&f->runs);
}

static VOID ntdpc_fanout_first_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_fanout *f = ctx;
	int i;

	for (i = 0; i < NTDPC_FANOUT; i++)
		KeInsertQueueDpc(&f->more[i], NULL, NULL);
	atomic_inc(&f->runs);
}

static void ntdpc_test_stats_depth_high(struct kunit *test)
{
	struct ntdpc_fanout *f;
	struct ntdpc_cpu *c;
	unsigned int high;
	KIRQL old;
	int i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KeInitializeDpc(&f->first, ntdpc_fanout_first_fn, f);
	for (i = 0; i < NTDPC_FANOUT; i++)
		KeInitializeDpc(&f->more[i], ntdpc_fanout_more_fn, f);
	old = KeRaiseIrqlToDpcLevel();
	ntdpc_stats_reset();
	c = this_cpu_ptr(&ntdpc_cpus);
	KUNIT_EXPECT_TRUE(test, KeInsertQueueDpc(&f->first, NULL, NULL));
	KUNIT_EXPECT_EQ(test, READ_ONCE(c->dpcs.stats.depth_high), 0U);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	KUNIT_EXPECT_EQ(test, atomic_read(&f->runs), NTDPC_FANOUT + 1);
	/* At least the fan-out; other DPCs of this CPU may have joined it. */
	high = READ_ONCE(c->dpcs.stats.depth_high);
	KUNIT_EXPECT_GE(test, high, (unsigned int)NTDPC_FANOUT);
}

static struct kunit_case ntdpc_trace_cases[] = {
	KUNIT_CASE(ntdpc_test_tracepoints),
	KUNIT_CASE(ntdpc_test_queue_event_freed),
	KUNIT_CASE(ntdpc_test_watchdog),
	KUNIT_CASE(ntdpc_test_stats),
	KUNIT_CASE(ntdpc_test_stats_depth_high),
	{}
};

static struct kunit_suite ntdpc_trace_suite = {
	.name = "ntdpc_trace",
	.test_cases = ntdpc_trace_cases,
};

kunit_test_suite(ntdpc_trace_suite);

MODULE_LICENSE("GPL");
