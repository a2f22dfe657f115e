// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: KTIMER, KEVENT, KeWaitForSingleObject and work items (UML and
 * x86_64; the cross-CPU cases need 2+ CPUs).  Timing assertions only bound
 * what cannot be early (a timer never fires before its due time) and give
 * late firing generous room: these kernels run emulated.
 */
#include <linux/kthread.h>
#include <linux/sched.h>

#include "ntdpc_test.h"

#define MS_100NS(ms)	((LONGLONG)(ms) * 10000)

static LARGE_INTEGER ntdpc_rel(LONGLONG ms)
{
	LARGE_INTEGER due = { .QuadPart = -MS_100NS(ms) };

	return due;
}

/* What a timer DPC saw. */
struct ntdpc_tdpc {
	KTIMER timer;
	KDPC dpc;
	atomic_t runs;
	LONGLONG sysarg[64];	/* SystemArgument2:1 of each run */
	LONGLONG seen_at[64];	/* KeQuerySystemTime() in the routine */
	BOOLEAN signalled;	/* KeReadStateTimer() in the routine */
	BOOLEAN still_set;	/* periodic: re-armed before the DPC ran */
	bool cancel_in_dpc;
	KIRQL irql;
	int cpu;
};

static VOID ntdpc_tdpc_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_tdpc *t = ctx;
	int i = atomic_read(&t->runs);
	LARGE_INTEGER now;

	KeQuerySystemTime(&now);
	if (i < ARRAY_SIZE(t->sysarg)) {
		t->sysarg[i] = ((LONGLONG)(ULONG_PTR)a2 << 32) | (ULONG)(ULONG_PTR)a1;
		t->seen_at[i] = now.QuadPart;
	}
	t->signalled = KeReadStateTimer(&t->timer);
	t->irql = KeGetCurrentIrql();
	t->cpu = smp_processor_id();
	if (t->cancel_in_dpc)
		t->still_set = KeCancelTimer(&t->timer);
	atomic_inc_return_release(&t->runs);
}

static void ntdpc_test_time_queries(struct kunit *test)
{
	LARGE_INTEGER sys;
	ULONGLONG it1, it2, qpc;

	KeQuerySystemTime(&sys);
	/* 2020-01-01 and 2100-01-01 in NT system time. */
	KUNIT_EXPECT_GT(test, sys.QuadPart, 132223104000000000LL);
	KUNIT_EXPECT_LT(test, sys.QuadPart, 157469184000000000LL);
	it1 = KeQueryInterruptTime();
	usleep_range(2000, 3000);
	it2 = KeQueryInterruptTimePrecise(&qpc);
	KUNIT_EXPECT_GE(test, it2 - it1, 20000ULL);
	KUNIT_EXPECT_EQ(test, qpc / 100, it2);
}

/* Expiry order: signalled, re-armed (periodic), then the DPC. */
static void ntdpc_test_timer_expiry_order(struct kunit *test)
{
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	LARGE_INTEGER set_at;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&t->timer);
	KUNIT_EXPECT_EQ(test, t->timer.Header.Type, TimerNotificationObject);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);
	t->cancel_in_dpc = true;
	KeQuerySystemTime(&set_at);
	/*
	 * Due in 50 ms: an emulated vCPU can stall for 5 before the read.  A
	 * period of 2 s: the routine cancels the timer, and a second expiry
	 * before it does (a vCPU stalled for a period) would queue the DPC
	 * again, as NT's would.
	 */
	KUNIT_EXPECT_FALSE(test, KeSetTimerEx(&t->timer, ntdpc_rel(50), 2000,
					      &t->dpc));
	KUNIT_EXPECT_FALSE(test, KeReadStateTimer(&t->timer));
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 1, 2000));
	KUNIT_EXPECT_TRUE(test, t->signalled);
	KUNIT_EXPECT_TRUE(test, t->still_set);
	KUNIT_EXPECT_EQ(test, t->irql, DISPATCH_LEVEL);
	/* The arguments are the expiry's system time: due, and already past. */
	KUNIT_EXPECT_GE(test, t->sysarg[0], set_at.QuadPart + MS_100NS(50));
	KUNIT_EXPECT_LE(test, t->sysarg[0], t->seen_at[0]);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 1);
	KUNIT_EXPECT_FALSE(test, KeCancelTimer(&t->timer));
}

/* Periodic: fires about window/period times, every expiry on the grid. */
static void ntdpc_test_timer_periodic(struct kunit *test)
{
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	ULONGLONG start, window;
	int runs, i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);
	start = KeQueryInterruptTime();
	KeSetTimerEx(&t->timer, ntdpc_rel(10), 10, &t->dpc);
	msleep(300);
	KUNIT_EXPECT_TRUE(test, KeCancelTimer(&t->timer));
	window = KeQueryInterruptTime() - start;
	KeFlushQueuedDpcs();
	runs = atomic_read(&t->runs);
	/*
	 * One expiry per whole period in the window, never more; an emulated
	 * CPU may miss some, which are skipped, but not most of them.
	 */
	KUNIT_EXPECT_LE(test, (ULONGLONG)runs, window / MS_100NS(10));
	KUNIT_EXPECT_GE(test, (ULONGLONG)runs, window / MS_100NS(10) / 3);
	/* No drift: every expiry is a whole number of periods after the first. */
	for (i = 1; i < min_t(int, runs, ARRAY_SIZE(t->sysarg)); i++) {
		KUNIT_EXPECT_EQ_MSG(test, (t->sysarg[i] - t->sysarg[0]) %
				    MS_100NS(10), 0LL, "expiry %d", i);
		KUNIT_EXPECT_GT(test, t->sysarg[i], t->sysarg[i - 1]);
	}
}

/*
 * Relative and absolute due times are never early; past ones are due at
 * once, and any LONGLONG is a due time.
 */
static void ntdpc_test_timer_due_times(struct kunit *test)
{
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	LARGE_INTEGER now, due;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);

	KeQuerySystemTime(&now);
	due.QuadPart = now.QuadPart + MS_100NS(20);	/* absolute */
	KeSetTimer(&t->timer, due, &t->dpc);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 1, 2000));
	KUNIT_EXPECT_GE(test, t->seen_at[0], due.QuadPart);

	KeQuerySystemTime(&now);
	KeSetTimer(&t->timer, ntdpc_rel(15), &t->dpc);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 2, 2000));
	KUNIT_EXPECT_GE(test, t->seen_at[1], now.QuadPart + MS_100NS(15));

	/*
	 * An absolute time already past expires at once, however far back:
	 * 0 (1601) is about 1.3e19 ns before now, past what s64 ns can hold.
	 */
	due.QuadPart = 0;
	KUNIT_EXPECT_FALSE(test, KeSetTimer(&t->timer, due, &t->dpc));
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 3, 2000));
	due.QuadPart = now.QuadPart - MS_100NS(1000);
	KeSetTimer(&t->timer, due, &t->dpc);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 4, 2000));

	/* Further ahead than the clock reaches: set, never due. */
	due.QuadPart = S64_MIN;
	KUNIT_EXPECT_FALSE(test, KeSetTimer(&t->timer, due, &t->dpc));
	due.QuadPart = S64_MAX;
	KUNIT_EXPECT_TRUE(test, KeSetTimer(&t->timer, due, &t->dpc));
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 4);
	KUNIT_EXPECT_FALSE(test, KeReadStateTimer(&t->timer));
	KUNIT_EXPECT_TRUE(test, KeCancelTimer(&t->timer));
}

/* The conversion behind both, at its edges: past is now, too far is never. */
static void ntdpc_test_due_to_expiry(struct kunit *test)
{
	LONGLONG past[] = { 0, 1, 0 };
	LARGE_INTEGER now;
	ktime_t before, at, after;
	unsigned int i;

	KeQuerySystemTime(&now);
	past[2] = now.QuadPart - MS_100NS(1000);
	for (i = 0; i < ARRAY_SIZE(past); i++) {
		before = ktime_get();
		at = ntdpc_due_to_expiry(past[i]);
		after = ktime_get();
		KUNIT_EXPECT_GE(test, at, before);
		KUNIT_EXPECT_LE(test, at, after);
	}
	before = ktime_get();
	at = ntdpc_due_to_expiry(-1);		/* 100 ns from now */
	after = ktime_get();
	KUNIT_EXPECT_GE(test, at, before + 100);
	KUNIT_EXPECT_LE(test, at, after + 100);
	KUNIT_EXPECT_EQ(test, ntdpc_due_to_expiry(S64_MIN), KTIME_MAX);
	KUNIT_EXPECT_EQ(test, ntdpc_due_to_expiry(S64_MAX), KTIME_MAX);
	KUNIT_EXPECT_EQ(test, ntdpc_due_to_expiry(-(KTIME_MAX / 100)),
			KTIME_MAX);
}

/* Setting a set timer replaces its expiry; cancel does not remove a DPC. */
static void ntdpc_test_timer_reset_and_cancel(struct kunit *test)
{
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	LARGE_INTEGER now;
	unsigned int i;
	KIRQL old;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);

	KUNIT_EXPECT_FALSE(test, KeSetTimer(&t->timer, ntdpc_rel(1000), &t->dpc));
	KeQuerySystemTime(&now);
	KUNIT_EXPECT_TRUE(test, KeSetTimer(&t->timer, ntdpc_rel(10), &t->dpc));
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 1, 2000));
	KUNIT_EXPECT_LT(test, t->seen_at[0], now.QuadPart + MS_100NS(900));
	msleep(30);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 1);

	/* Cancelled before expiry: no DPC. */
	KeSetTimer(&t->timer, ntdpc_rel(20), &t->dpc);
	KUNIT_EXPECT_TRUE(test, KeCancelTimer(&t->timer));
	KUNIT_EXPECT_FALSE(test, KeCancelTimer(&t->timer));
	msleep(40);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 1);

	/*
	 * Expired while this CPU holds DISPATCH_LEVEL: the DPC is queued here
	 * (the timer is pinned to this CPU) and KeCancelTimer leaves it.
	 */
	old = KeRaiseIrqlToDpcLevel();
	KeSetTimer(&t->timer, ntdpc_rel(2), &t->dpc);
	/* 2 ms, but an emulated CPU under KCSAN may see its interrupt late. */
	for (i = 0; i < 1000 && !KeReadStateTimer(&t->timer); i++)
		mdelay(1);
	KUNIT_EXPECT_TRUE(test, KeReadStateTimer(&t->timer));
	KUNIT_EXPECT_FALSE(test, KeCancelTimer(&t->timer));
	KUNIT_EXPECT_PTR_NE(test, t->dpc.DpcData, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 1);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 2);
}

static void ntdpc_test_timer_wait(struct kunit *test)
{
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL);
	LARGE_INTEGER timeout = ntdpc_rel(5), zero = {}, past = { .QuadPart = 1 };
	KTIMER *timer = kunit_kzalloc(test, sizeof(*timer), GFP_KERNEL);
	LARGE_INTEGER before, after;
	KIRQL old;

	KUNIT_ASSERT_NOT_NULL(test, timer);
	KeInitializeTimerEx(timer, SynchronizationTimer);
	KeSetTimer(timer, ntdpc_rel(1000), NULL);
	KeQuerySystemTime(&before);
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, &timeout),
			STATUS_TIMEOUT);
	KeQuerySystemTime(&after);
	KUNIT_EXPECT_GE(test, after.QuadPart - before.QuadPart, MS_100NS(5));
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, &zero),
			STATUS_TIMEOUT);
	/* An absolute time long past (1601) has timed out already. */
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, &past),
			STATUS_TIMEOUT);

	KeSetTimer(timer, ntdpc_rel(10), NULL);
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, NULL),
			STATUS_SUCCESS);
	/* A synchronization timer is reset by the wait it satisfied. */
	KUNIT_EXPECT_FALSE(test, KeReadStateTimer(timer));

	/* Waiting with a timeout at DISPATCH_LEVEL is a caller bug. */
	KeSetTimer(timer, ntdpc_rel(1000), NULL);
	old = KeRaiseIrqlToDpcLevel();
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, &timeout),
			STATUS_INVALID_PARAMETER);
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(timer, Executive, KernelMode,
						    FALSE, &zero),
			STATUS_TIMEOUT);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_IRQL), bad + 1);
	KeCancelTimer(timer);
}

/* Events: notification releases all waiters, synchronization one. */
struct ntdpc_waiter {
	KEVENT *event;
	atomic_t *released;
	struct completion done;
	NTSTATUS status;
};

static int ntdpc_waiter_fn(void *arg)
{
	struct ntdpc_waiter *w = arg;
	LARGE_INTEGER timeout = ntdpc_rel(3000);

	w->status = KeWaitForSingleObject(w->event, Executive, KernelMode,
					  FALSE, &timeout);
	if (w->status == STATUS_SUCCESS)
		atomic_inc(w->released);
	complete(&w->done);
	return 0;
}

static void ntdpc_start_waiters(struct kunit *test, struct ntdpc_waiter *w,
				int n, KEVENT *event, atomic_t *released)
{
	int i;

	for (i = 0; i < n; i++) {
		struct task_struct *k;

		w[i].event = event;
		w[i].released = released;
		init_completion(&w[i].done);
		k = kthread_run(ntdpc_waiter_fn, &w[i], "ntdpc_waiter/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	}
	msleep(50);	/* let them block */
}

static void ntdpc_test_events(struct kunit *test)
{
	struct ntdpc_waiter *w = kunit_kcalloc(test, 6, sizeof(*w), GFP_KERNEL);
	KEVENT *ev = kunit_kcalloc(test, 2, sizeof(*ev), GFP_KERNEL);
	atomic_t released = ATOMIC_INIT(0);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, ev);

	KeInitializeEvent(&ev[0], NotificationEvent, FALSE);
	KUNIT_EXPECT_EQ(test, KeReadStateEvent(&ev[0]), 0);
	ntdpc_start_waiters(test, w, 3, &ev[0], &released);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 0);
	KUNIT_EXPECT_EQ(test, KeSetEvent(&ev[0], IO_NO_INCREMENT, FALSE), 0);
	for (i = 0; i < 3; i++)
		wait_for_completion(&w[i].done);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 3);
	KUNIT_EXPECT_EQ(test, KeReadStateEvent(&ev[0]), 1);
	KUNIT_EXPECT_EQ(test, KeResetEvent(&ev[0]), 1);
	KUNIT_EXPECT_EQ(test, KeReadStateEvent(&ev[0]), 0);

	atomic_set(&released, 0);
	KeInitializeEvent(&ev[1], SynchronizationEvent, FALSE);
	ntdpc_start_waiters(test, &w[3], 3, &ev[1], &released);
	KeSetEvent(&ev[1], IO_NO_INCREMENT, FALSE);
	msleep(100);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);
	KUNIT_EXPECT_EQ(test, KeReadStateEvent(&ev[1]), 0);
	KeSetEvent(&ev[1], IO_NO_INCREMENT, FALSE);
	KeSetEvent(&ev[1], IO_NO_INCREMENT, FALSE);
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&released, 3, 3000));
	for (i = 3; i < 6; i++) {
		wait_for_completion(&w[i].done);
		KUNIT_EXPECT_EQ(test, w[i].status, STATUS_SUCCESS);
	}
	KeSetEvent(&ev[1], IO_NO_INCREMENT, FALSE);
	KeClearEvent(&ev[1]);
	KUNIT_EXPECT_EQ(test, KeReadStateEvent(&ev[1]), 0);
}

/*
 * Initialising an object still in use is reported and made harmless: an
 * event threads wait on keeps its waiters (a signal still releases them),
 * a set timer is cancelled first (it does not fire, and can be set again).
 */
static void ntdpc_test_reinit_in_use(struct kunit *test)
{
	struct ntdpc_waiter *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KEVENT *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	long reinit = ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE);
	atomic_t released = ATOMIC_INIT(0);
	PLIST_ENTRY head;
	int ms;

	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, ev);

	KeInitializeEvent(ev, NotificationEvent, FALSE);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE), reinit);
	ntdpc_start_waiters(test, w, 1, ev, &released);
	head = &ev->Header.WaitListHead;
	for (ms = 0; READ_ONCE(head->Flink) == head && ms < 2000; ms++)
		usleep_range(1000, 2000);
	KUNIT_ASSERT_NE(test, READ_ONCE(head->Flink), head);
	KeInitializeEvent(ev, NotificationEvent, FALSE);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 0);
	KeSetEvent(ev, IO_NO_INCREMENT, FALSE);
	wait_for_completion(&w->done);
	KUNIT_EXPECT_EQ(test, w->status, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, atomic_read(&released), 1);

	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);
	KUNIT_EXPECT_FALSE(test, KeSetTimer(&t->timer, ntdpc_rel(200), &t->dpc));
	KeInitializeTimer(&t->timer);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 2);
	msleep(400);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 0);
	KUNIT_EXPECT_FALSE(test, KeSetTimer(&t->timer, ntdpc_rel(10), &t->dpc));
	KUNIT_EXPECT_TRUE(test, ntdpc_wait_atomic(&t->runs, 1, 2000));
	/* An expired timer is not in use: initialised again, not reported. */
	KeInitializeTimer(&t->timer);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_REINIT_IN_USE),
			reinit + 2);
}

/*
 * Keep this CPU's worker from starting the work item queued next: the work
 * queues are per CPU, and at DISPATCH_LEVEL preemption is off, except on
 * PREEMPT_RT, where DISPATCH_LEVEL holds off only DPCs (design.rst).
 */
static void ntdpc_hold_worker(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_disable();
}

static void ntdpc_release_worker(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_enable();
}

/* Work items: PASSIVE_LEVEL, may sleep, device held, matching priority. */
struct ntdpc_work_probe {
	DEVICE_OBJECT dev;
	PIO_WORKITEM item;
	KEVENT done;
	KIRQL irql;
	LONG refs;
	int nice;
	int policy;
	PVOID ctx;
	PVOID io_object;
	PIO_WORKITEM io_item;
	atomic_t runs;
};

static VOID ntdpc_work_fn(PDEVICE_OBJECT dev, PVOID ctx)
{
	struct ntdpc_work_probe *p = container_of(dev, struct ntdpc_work_probe,
						  dev);

	p->irql = KeGetCurrentIrql();
	usleep_range(5000, 6000);		/* a work item may sleep */
	p->refs = READ_ONCE(dev->ReferenceCount);
	p->nice = task_nice(current);
	p->policy = current->policy;
	p->ctx = ctx;
	atomic_inc(&p->runs);
	KeSetEvent(&p->done, IO_NO_INCREMENT, FALSE);
}

static VOID ntdpc_work_ex_fn(PVOID io_object, PVOID ctx, PIO_WORKITEM item)
{
	struct ntdpc_work_probe *p = ctx;

	p->io_object = io_object;
	p->io_item = item;
	ntdpc_work_fn(io_object, ctx);
}

static void ntdpc_test_work_items(struct kunit *test)
{
	struct ntdpc_work_probe *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	long bad = ntdpc_misuses(NTDPC_MISUSE_BAD_OBJECT);
	static const struct {
		WORK_QUEUE_TYPE type;
		int nice;
	} queues[] = {
		{ DelayedWorkQueue, 0 },
		{ CriticalWorkQueue, MIN_NICE },
		{ HyperCriticalWorkQueue, MIN_NICE },
	};
	int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KeInitializeEvent(&p->done, SynchronizationEvent, FALSE);
	p->item = IoAllocateWorkItem(&p->dev);
	KUNIT_ASSERT_NOT_NULL(test, p->item);

	for (i = 0; i < ARRAY_SIZE(queues); i++) {
		IoQueueWorkItem(p->item, ntdpc_work_fn, queues[i].type, (PVOID)9);
		KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(&p->done, Executive,
							    KernelMode, FALSE,
							    NULL),
				STATUS_SUCCESS);
		usleep_range(5000, 6000);	/* the reference drops after the routine */
		KUNIT_EXPECT_EQ(test, p->irql, PASSIVE_LEVEL);
		KUNIT_EXPECT_EQ(test, p->refs, 1);
		KUNIT_EXPECT_EQ(test, p->dev.ReferenceCount, 0);
		KUNIT_EXPECT_EQ_MSG(test, p->nice, queues[i].nice, "queue %d",
				    queues[i].type);
		KUNIT_EXPECT_PTR_EQ(test, p->ctx, (PVOID)9);
	}

	/* Queued twice before it runs: reported, runs once. */
	atomic_set(&p->runs, 0);
	KeRaiseIrqlToDpcLevel();
	ntdpc_hold_worker();
	IoQueueWorkItem(p->item, ntdpc_work_fn, DelayedWorkQueue, NULL);
	IoQueueWorkItem(p->item, ntdpc_work_fn, DelayedWorkQueue, NULL);
	/* And freeing it while queued is refused. */
	IoFreeWorkItem(p->item);
	ntdpc_release_worker();
	KeLowerIrql(PASSIVE_LEVEL);
	KeWaitForSingleObject(&p->done, Executive, KernelMode, FALSE, NULL);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 1);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_OBJECT), bad + 2);

	IoQueueWorkItemEx(p->item, ntdpc_work_ex_fn, CriticalWorkQueue, p);
	KeWaitForSingleObject(&p->done, Executive, KernelMode, FALSE, NULL);
	KUNIT_EXPECT_PTR_EQ(test, p->io_object, (PVOID)&p->dev);
	KUNIT_EXPECT_PTR_EQ(test, p->io_item, p->item);
	usleep_range(5000, 6000);
	IoFreeWorkItem(p->item);
	KUNIT_EXPECT_EQ(test, ntdpc_misuses(NTDPC_MISUSE_BAD_OBJECT), bad + 2);
}

/*
 * The seeds' advice: a DPC whose work would run long hands it to a work item,
 * which may sleep; the waiting thread learns of completion through an event.
 */
struct ntdpc_defer {
	DEVICE_OBJECT dev;
	KDPC dpc;
	PIO_WORKITEM item;
	KEVENT done;
	KIRQL dpc_irql, work_irql;
};

static VOID ntdpc_defer_work(PDEVICE_OBJECT dev, PVOID ctx)
{
	struct ntdpc_defer *d = ctx;

	d->work_irql = KeGetCurrentIrql();
	usleep_range(10000, 11000);
	KeSetEvent(&d->done, IO_NO_INCREMENT, FALSE);
}

static VOID ntdpc_defer_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	struct ntdpc_defer *d = ctx;

	d->dpc_irql = KeGetCurrentIrql();
	IoQueueWorkItem(d->item, ntdpc_defer_work, DelayedWorkQueue, d);
}

static void ntdpc_test_dpc_defers_to_work_item(struct kunit *test)
{
	struct ntdpc_defer *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	LARGE_INTEGER timeout = ntdpc_rel(2000);

	KUNIT_ASSERT_NOT_NULL(test, d);
	d->item = IoAllocateWorkItem(&d->dev);
	KUNIT_ASSERT_NOT_NULL(test, d->item);
	KeInitializeEvent(&d->done, NotificationEvent, FALSE);
	KeInitializeDpc(&d->dpc, ntdpc_defer_dpc, d);
	KeInsertQueueDpc(&d->dpc, NULL, NULL);
	KUNIT_EXPECT_EQ(test, KeWaitForSingleObject(&d->done, Executive,
						    KernelMode, FALSE, &timeout),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, d->dpc_irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, d->work_irql, PASSIVE_LEVEL);
	usleep_range(5000, 6000);
	IoFreeWorkItem(d->item);
}

/*
 * Set timers are on many lists, each with its lock: a going owner's timers
 * are found on all of them, and nobody else's is touched.
 */
struct ntdpc_many_timer {
	KTIMER timer;
	KDPC dpc;
};

static VOID ntdpc_many_fn(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
	atomic_inc(ctx);
}

static void ntdpc_test_unload_many_timers(struct kunit *test)
{
	const unsigned int n = 256;
	struct ntdpc_many_timer *t;
	unsigned int i, still_set = 0;
	atomic_t runs = ATOMIC_INIT(0);
	KTIMER other;

	t = kunit_kcalloc(test, n, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&other);
	KeSetTimer(&other, ntdpc_rel(2000), NULL);
	for (i = 0; i < n; i++) {
		KeInitializeTimer(&t[i].timer);
		KeInitializeDpc(&t[i].dpc, ntdpc_many_fn, &runs);
		KeSetTimer(&t[i].timer, ntdpc_rel(2000), &t[i].dpc);
	}
	KUNIT_EXPECT_EQ(test, ntdpc_cancel_timers(NTDPC_OWNER(ntdpc_many_fn)), n);
	KUNIT_EXPECT_EQ(test, ntdpc_cancel_timers(NTDPC_OWNER(ntdpc_many_fn)), 0U);
	for (i = 0; i < n; i++)
		if (KeCancelTimer(&t[i].timer))
			still_set++;
	KUNIT_EXPECT_EQ(test, still_set, 0U);
	KUNIT_EXPECT_TRUE(test, KeCancelTimer(&other));
	KUNIT_EXPECT_EQ(test, atomic_read(&runs), 0);
}

/* What unload does: a going module's timers and work items are cancelled. */
static void ntdpc_test_unload_timers_and_work(struct kunit *test)
{
	struct ntdpc_tdpc *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct ntdpc_work_probe *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);
	KeSetTimerEx(&t->timer, ntdpc_rel(20), 20, &t->dpc);
	KUNIT_EXPECT_EQ(test, ntdpc_cancel_timers(NTDPC_OWNER(&t->timer)), 1U);
	KUNIT_EXPECT_EQ(test, ntdpc_cancel_timers(NTDPC_OWNER(&t->timer)), 0U);
	KUNIT_EXPECT_FALSE(test, KeCancelTimer(&t->timer));
	msleep(60);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->runs), 0);

	/* A queued work item of the going module is cancelled, not run. */
	KeInitializeEvent(&p->done, SynchronizationEvent, FALSE);
	p->item = IoAllocateWorkItem(&p->dev);
	KUNIT_ASSERT_NOT_NULL(test, p->item);
	KeRaiseIrqlToDpcLevel();
	ntdpc_hold_worker();
	IoQueueWorkItem(p->item, ntdpc_work_fn, DelayedWorkQueue, NULL);
	KUNIT_EXPECT_EQ(test, ntdpc_cancel_workitems(NTDPC_OWNER(ntdpc_work_fn)), 1U);
	ntdpc_release_worker();
	KeLowerIrql(PASSIVE_LEVEL);
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 0);
	KUNIT_EXPECT_EQ(test, p->dev.ReferenceCount, 0);
	IoFreeWorkItem(p->item);
}

/* A timer's DPC targeted at another CPU runs there. */
static void ntdpc_test_timer_dpc_targeted(struct kunit *test)
{
	struct ntdpc_tdpc *t;
	int cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 or more CPUs");
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KeInitializeTimer(&t->timer);
	KeInitializeDpc(&t->dpc, ntdpc_tdpc_fn, t);
	cpu = cpumask_last(cpu_online_mask);
	KeSetTargetProcessorDpc(&t->dpc, cpu);
	KeSetTimer(&t->timer, ntdpc_rel(5), &t->dpc);
	KUNIT_ASSERT_TRUE(test, ntdpc_wait_atomic(&t->runs, 1, 2000));
	KUNIT_EXPECT_EQ(test, t->cpu, cpu);
}

/*
 * KeSetTimer() and KeCancelTimer() racing on two CPUs leave a timer whose
 * Inserted says what its hrtimer does (issue 14, defect 10: the cancel's
 * hrtimer_cancel() ran after its lock was dropped and could cancel the
 * concurrent set's expiry, leaving Inserted TRUE on a timer that never
 * fires).  Each round: set, then a re-set here against a cancel there.
 */
struct ntdpc_set_cancel {
	KTIMER timer;
	atomic_t go, done;
	int rounds;
};

/* Wait up to seconds for @v to reach @want; false on timeout. */
static bool ntdpc_spin_until(atomic_t *v, int want)
{
	u64 end = ktime_get_ns() + 10 * NSEC_PER_SEC;

	while (atomic_read_acquire(v) < want) {
		if (ktime_get_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static int ntdpc_set_cancel_thread(void *arg)
{
	struct ntdpc_set_cancel *r = arg;
	int i;

	for (i = 1; i <= r->rounds; i++) {
		if (!ntdpc_spin_until(&r->go, i))
			break;
		KeCancelTimer(&r->timer);
		atomic_set_release(&r->done, i);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void ntdpc_test_set_cancel_race(struct kunit *test)
{
	struct ntdpc_set_cancel *r;
	struct task_struct *k;
	int i, cpu, mismatched = 0, done = 0;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 or more CPUs");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->rounds = 3000;
	KeInitializeTimer(&r->timer);
	migrate_disable();
	cpu = smp_processor_id();
	k = kthread_create(ntdpc_set_cancel_thread, r, "ntdpc-cancel");
	if (IS_ERR(k)) {
		migrate_enable();
		KUNIT_FAIL(test, "no thread");
		return;
	}
	kthread_bind(k, cpumask_any_but(cpu_online_mask, cpu));
	wake_up_process(k);
	for (i = 1; i <= r->rounds; i++) {
		/* Due in a minute: nothing expires during the test. */
		KeSetTimer(&r->timer, ntdpc_rel(60000), NULL);
		atomic_set_release(&r->go, i);
		KeSetTimer(&r->timer, ntdpc_rel(60000), NULL);
		if (!ntdpc_spin_until(&r->done, i))
			break;
		done++;
		if (READ_ONCE(r->timer.Inserted) !=
		    hrtimer_is_queued(&r->timer.NtdpcTimer))
			mismatched++;
	}
	migrate_enable();
	kthread_stop(k);
	KUNIT_EXPECT_EQ(test, done, r->rounds);
	KUNIT_EXPECT_EQ_MSG(test, mismatched, 0,
			    "Inserted disagreed with the hrtimer in %d of %d rounds",
			    mismatched, done);
	KeCancelTimer(&r->timer);
	KUNIT_EXPECT_FALSE(test, r->timer.Inserted);
	KUNIT_EXPECT_FALSE(test, hrtimer_is_queued(&r->timer.NtdpcTimer));
}

static struct kunit_case ntdpc_timer_cases[] = {
	KUNIT_CASE(ntdpc_test_time_queries),
	KUNIT_CASE(ntdpc_test_timer_expiry_order),
	KUNIT_CASE(ntdpc_test_timer_periodic),
	KUNIT_CASE(ntdpc_test_timer_due_times),
	KUNIT_CASE(ntdpc_test_due_to_expiry),
	KUNIT_CASE(ntdpc_test_timer_reset_and_cancel),
	KUNIT_CASE(ntdpc_test_timer_wait),
	KUNIT_CASE(ntdpc_test_events),
	KUNIT_CASE(ntdpc_test_reinit_in_use),
	KUNIT_CASE(ntdpc_test_work_items),
	KUNIT_CASE(ntdpc_test_dpc_defers_to_work_item),
	KUNIT_CASE(ntdpc_test_unload_timers_and_work),
	KUNIT_CASE(ntdpc_test_unload_many_timers),
	KUNIT_CASE(ntdpc_test_timer_dpc_targeted),
	KUNIT_CASE(ntdpc_test_set_cancel_race),
	{}
};

static struct kunit_suite ntdpc_timer_suite = {
	.name = "ntdpc_timer",
	.test_cases = ntdpc_timer_cases,
};

kunit_test_suite(ntdpc_timer_suite);

MODULE_LICENSE("GPL");
