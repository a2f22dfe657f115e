// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile driver patterns: what real NT drivers do that has broken ntdpc
 * or emulations before it, through <ntdpc/ntddk.h> only.  One pattern a
 * load (tests/vm/hostile.sh loads each in turn, on every kernel, and
 * checks the kernel log for reports after each).  Every check prints
 * "HOSTILE PASS <name> ..." or "HOSTILE FAIL <name> ...", and
 * "HOSTILE INFO ..." lines for numbers.
 *
 * mode=fifo         callers at real-time priorities (a driver's FIFO kthread,
 *                   a threaded IRQ handler's 50): a DPC queued at
 *                   DISPATCH_LEVEL must have run when KeLowerIrql() /
 *                   KeReleaseSpinLock() returns, one queued at PASSIVE_LEVEL
 *                   when KeInsertQueueDpc() returns
 * mode=reinit       KeInitializeDpc() of a queued DPC (ordinary, threaded,
 *                   ordinary re-made threaded, queued on a remote CPU)
 * mode=selffree     KDPC / DEVICE_OBJECT / work item freed by its own routine
 * mode=threaded     what a threaded DPC routine sees and may call
 * mode=timerrace    KeSetTimerEx/KeCancelTimer/re-arm from the DPC, on
 *                   kmalloc'd timers freed after cancel + flush
 * mode=hotplug      DPCs that requeue themselves, targeted at @cpu, while
 *                   the guest takes @cpu offline and back
 * mode=unload       leave everything running at rmmod
 * mode=timerreinit  KeInitializeTimer() of a set timer
 * mode=eventreinit  KeInitializeEvent() of an event with a waiter
 * mode=atdpclevel   KeAcquireSpinLockAtDpcLevel() from a threaded DPC and a
 *                   thread (a routine converted to threaded as it was), on a
 *                   lock an ordinary DPC of the same CPU takes: reported, and
 *                   the DPC must never find it held by the task it interrupted
 * mode=genericrequeue  a KeGenericCallDpc() routine queueing the KDPC it
 *                   was handed again (as it is, retargeted, re-initialised
 *                   as its own): all refused, the routine runs once per
 *                   CPU, the call returns only when all have
 * mode=stacktimer   the NT way to wait a while: a KTIMER (and its KDPC and
 *                   KEVENT) on the stack, set, waited on, cancelled, at
 *                   several stack depths, from the loading task and a
 *                   kthread; debug objects must see no unannounced object
 * mode=apcdrain     a task at APC_LEVEL, at SCHED_FIFO above the dispatch
 *                   thread, whose DPCs run on its way down (PREEMPT_RT runs
 *                   them in the task): routines that take a spin lock,
 *                   return at HIGH_LEVEL, lower below DISPATCH_LEVEL must
 *                   leave the task at APC_LEVEL and then PASSIVE_LEVEL,
 *                   unpinned
 * mode=irqmix       a KSPIN_LOCK released inside a Linux irqsave section
 *                   taken after it (out of order), in a task and in a DPC:
 *                   interrupts stay off; in the task the lowering below
 *                   DISPATCH_LEVEL is done with them off (on PREEMPT_RT
 *                   refused, and done by a later one)
 * mode=bhrace       a DPC queued from a timer_list callback and from a
 *                   local_bh_disable() section must not run inside them
 *                   (on PREEMPT_RT only reported: design.rst, PREEMPT_RT)
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/timer.h>
#include <uapi/linux/sched/types.h>
#include <ntdpc/ntddk.h>

#include "compat.h"	/* ntdpc_hrtimer_setup(): probes/, not NT API */

static char *mode = "fifo";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "see the head of hostile.c");

static uint cpu = 3;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "mode=hotplug: the CPU the guest takes offline");

static uint iters = 200;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "iterations");

#define hostile_pass_info(name, fmt, ...) pr_info("HOSTILE PASS " name " " fmt "\n", ##__VA_ARGS__)
#define hostile_fail_info(name, fmt, ...) pr_info("HOSTILE FAIL " name " " fmt "\n", ##__VA_ARGS__)
#define hostile_info(fmt, ...) pr_info("HOSTILE INFO " fmt "\n", ##__VA_ARGS__)

/* ------------------------------------------------------------------ */
/* mode=fifo                                                            */
/* ------------------------------------------------------------------ */

static KDPC fifo_dpc;
static LONG fifo_ran;
static LONG fifo_ran_cpu;
static KSPIN_LOCK fifo_lock;

static VOID FifoRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	WRITE_ONCE(fifo_ran_cpu, KeGetCurrentProcessorNumber());
	WRITE_ONCE(fifo_ran, 1);
}

struct fifo_job {
	int policy, prio;
	unsigned int miss_lower, miss_release, miss_insert, wrong_cpu, lost;
	struct completion done;
};

static bool fifo_wait_ran(void)
{
	int i;

	for (i = 0; i < 1000 && !READ_ONCE(fifo_ran); i++)
		usleep_range(1000, 2000);
	return READ_ONCE(fifo_ran);
}

static int fifo_thread(void *arg)
{
	struct fifo_job *j = arg;
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = j->policy,
		.sched_priority = j->prio,
	};
	unsigned int i;
	KIRQL old;

	if (j->policy != SCHED_NORMAL)
		sched_setattr_nocheck(current, &attr);
	for (i = 0; i < iters; i++) {
		ULONG me;

		/* 1: raised to DISPATCH_LEVEL, lowered. */
		WRITE_ONCE(fifo_ran, 0);
		KeRaiseIrql(DISPATCH_LEVEL, &old);
		me = KeGetCurrentProcessorNumber();
		KeInsertQueueDpc(&fifo_dpc, NULL, NULL);
		KeLowerIrql(old);
		if (!READ_ONCE(fifo_ran))
			j->miss_lower++;
		if (!fifo_wait_ran())
			j->lost++;
		else if (READ_ONCE(fifo_ran_cpu) != me)
			j->wrong_cpu++;

		/* 2: a spin lock. */
		WRITE_ONCE(fifo_ran, 0);
		KeAcquireSpinLock(&fifo_lock, &old);
		KeInsertQueueDpc(&fifo_dpc, NULL, NULL);
		KeReleaseSpinLock(&fifo_lock, old);
		if (!READ_ONCE(fifo_ran))
			j->miss_release++;
		if (!fifo_wait_ran())
			j->lost++;

		/* 3: at PASSIVE_LEVEL (Medium, the current CPU). */
		WRITE_ONCE(fifo_ran, 0);
		KeInsertQueueDpc(&fifo_dpc, NULL, NULL);
		if (!READ_ONCE(fifo_ran))
			j->miss_insert++;
		if (!fifo_wait_ran())
			j->lost++;
	}
	complete(&j->done);
	return 0;
}

static void fifo_run(int policy, int prio, unsigned int on)
{
	struct fifo_job j = { .policy = policy, .prio = prio };
	struct task_struct *t;
	const char *pol = policy == SCHED_FIFO ? "FIFO" : "NORMAL";

	init_completion(&j.done);
	t = kthread_create(fifo_thread, &j, "hostile_fifo");
	if (IS_ERR(t))
		return;
	kthread_bind(t, on);
	wake_up_process(t);
	wait_for_completion(&j.done);
	hostile_info("fifo %s/%d cpu %u: of %u each, DPC not yet run after KeLowerIrql %u, after KeReleaseSpinLock %u, after KeInsertQueueDpc at PASSIVE %u; wrong cpu %u, lost %u",
		     pol, prio, on, iters, j.miss_lower, j.miss_release, j.miss_insert, j.wrong_cpu,
		     j.lost);
	if (j.miss_lower || j.miss_release || j.miss_insert || j.lost ||
	    j.wrong_cpu)
		pr_info("HOSTILE FAIL fifo-%s-%d lower %u release %u insert %u lost %u wrongcpu %u\n",
			pol, prio, j.miss_lower, j.miss_release, j.miss_insert, j.lost,
			j.wrong_cpu);
	else
		pr_info("HOSTILE PASS fifo-%s-%d\n", pol, prio);
}

static int mode_fifo(void)
{
	KeInitializeDpc(&fifo_dpc, FifoRoutine, NULL);
	KeInitializeSpinLock(&fifo_lock);
	fifo_run(SCHED_NORMAL, 0, 1);
	fifo_run(SCHED_FIFO, 1, 1);
	fifo_run(SCHED_FIFO, 48, 1);
	fifo_run(SCHED_FIFO, 49, 1);
	fifo_run(SCHED_FIFO, 50, 1);	/* sched_set_fifo(), threaded IRQs */
	fifo_run(SCHED_FIFO, 80, 2);
	KeFlushQueuedDpcs();
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=reinit                                                          */
/* ------------------------------------------------------------------ */

static LONG reinit_runs_a, reinit_runs_b;

static VOID ReinitA(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	InterlockedIncrement(&reinit_runs_a);
}

static VOID ReinitB(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	InterlockedIncrement(&reinit_runs_b);
}

static int mode_reinit(void)
{
	KDPC *d = kzalloc(sizeof(*d), GFP_KERNEL);
	KDPC *neighbour = kzalloc(sizeof(*neighbour), GFP_KERNEL);
	KIRQL old;
	BOOLEAN r1, r2, r3;
	unsigned int i, bad = 0;

	if (!d || !neighbour)
		return -ENOMEM;

	/* 1: ordinary, queued locally at DISPATCH_LEVEL, re-initialised. */
	KeInitializeDpc(d, ReinitA, NULL);
	KeInitializeDpc(neighbour, ReinitA, NULL);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	r1 = KeInsertQueueDpc(d, NULL, NULL);
	KeInsertQueueDpc(neighbour, NULL, NULL);
	KeInitializeDpc(d, ReinitB, NULL);
	r2 = KeInsertQueueDpc(d, NULL, NULL);	/* must queue again */
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	hostile_info("reinit1 r1=%d r2=%d A=%d B=%d", r1, r2, reinit_runs_a, reinit_runs_b);
	if (r1 && r2 && reinit_runs_a == 1 && reinit_runs_b == 1)
		hostile_pass_info("reinit-ordinary", "");
	else
		hostile_fail_info("reinit-ordinary",
				  "r1=%d r2=%d A=%d (want 1: neighbour) B=%d (want 1)", r1, r2,
				  reinit_runs_a, reinit_runs_b);

	/* 2: a queued threaded DPC re-initialised as an ordinary one. */
	reinit_runs_a = 0;
	reinit_runs_b = 0;
	KeInitializeThreadedDpc(d, ReinitA, NULL);
	KeSetImportanceDpc(d, LowImportance);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	r1 = KeInsertQueueDpc(d, NULL, NULL);
	KeInitializeDpc(d, ReinitB, NULL);
	r2 = KeInsertQueueDpc(d, NULL, NULL);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	r3 = KeRemoveQueueDpc(d);
	if (r1 && r2 && !r3 && reinit_runs_a == 0 && reinit_runs_b == 1)
		hostile_pass_info("reinit-threaded-to-ordinary", "");
	else
		hostile_fail_info("reinit-threaded-to-ordinary", "r1=%d r2=%d r3=%d A=%d B=%d", r1,
				  r2, r3, reinit_runs_a, reinit_runs_b);

	/* 3: queued (Low) on a remote CPU, re-initialised from here, racing its drain. */
	reinit_runs_a = 0;
	reinit_runs_b = 0;
	for (i = 0; i < iters; i++) {
		KeInitializeDpc(d, ReinitA, NULL);
		KeSetImportanceDpc(d, i & 1 ? LowImportance : HighImportance);
		KeSetTargetProcessorDpc(d, (CCHAR)((raw_smp_processor_id() + 1) %
						 num_online_cpus()));
		r1 = KeInsertQueueDpc(d, NULL, NULL);
		if (i & 2)
			udelay(i % 50);
		KeInitializeDpc(d, ReinitB, NULL);
		r2 = KeInsertQueueDpc(d, NULL, NULL);
		if (!r1 || !r2)
			bad++;
		KeFlushQueuedDpcs();
	}
	/* Every B insertion runs once; A runs at most once per round. */
	if (!bad && reinit_runs_b == iters && reinit_runs_a <= iters)
		hostile_pass_info("reinit-remote", "A ran %d of %u (rest taken off)", reinit_runs_a,
				  iters);
	else
		hostile_fail_info("reinit-remote", "bad=%u A=%d B=%d of %u", bad, reinit_runs_a,
				  reinit_runs_b, iters);
	kfree(d);
	kfree(neighbour);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=selffree                                                        */
/* ------------------------------------------------------------------ */

static atomic_t selffree_runs;

static VOID SelfFreeRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	/* NT allows it: nothing touches the KDPC after its routine is called. */
	memset(Dpc, 0x6b, sizeof(*Dpc));
	kfree(Dpc);
	atomic_inc(&selffree_runs);
}

static VOID SelfFreeIsrDpc(PKDPC Dpc, PDEVICE_OBJECT Dev, PIRP Irp, PVOID Ctx)
{
	memset(Dev, 0x6b, sizeof(*Dev));
	kfree(Dev);
	atomic_inc(&selffree_runs);
}

static VOID SelfFreeWork(PVOID IoObject, PVOID Ctx, PIO_WORKITEM Item)
{
	IoFreeWorkItem(Item);
	atomic_inc(&selffree_runs);
}

static DEVICE_OBJECT selffree_wdev;

static int mode_selffree(void)
{
	unsigned int i, want = 0;
	int k;

	for (i = 0; i < iters; i++) {
		KDPC *d = kmalloc(sizeof(*d), GFP_KERNEL);
		PDEVICE_OBJECT dev = kzalloc(sizeof(*dev), GFP_KERNEL);
		PIO_WORKITEM w = IoAllocateWorkItem(&selffree_wdev);

		if (!d || !dev || !w)
			break;
		if (i & 1)
			KeInitializeThreadedDpc(d, SelfFreeRoutine, NULL);
		else
			KeInitializeDpc(d, SelfFreeRoutine, NULL);
		KeSetTargetProcessorDpc(d, (CCHAR)(i % num_online_cpus()));
		KeSetImportanceDpc(d, (KDPC_IMPORTANCE)(i % 4));
		KeInsertQueueDpc(d, NULL, NULL);
		IoInitializeDpcRequest(dev, SelfFreeIsrDpc);
		KeSetTargetProcessorDpc(&dev->Dpc, (CCHAR)((i + 1) % num_online_cpus()));
		IoRequestDpc(dev, NULL, NULL);
		IoQueueWorkItemEx(w, SelfFreeWork, (WORK_QUEUE_TYPE)(i % 3), NULL);
		want += 3;
	}
	for (k = 0; k < 2000 && atomic_read(&selffree_runs) < want; k++)
		usleep_range(5000, 6000);
	KeFlushQueuedDpcs();
	if (atomic_read(&selffree_runs) == want)
		hostile_pass_info("selffree", "%u routines freed their objects", want);
	else
		hostile_fail_info("selffree", "%d of %u ran", atomic_read(&selffree_runs), want);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=threaded                                                        */
/* ------------------------------------------------------------------ */

static KDPC thr_dpc;
static KEVENT thr_event;
static struct {
	KIRQL irql, irql_raised, irql_after;
	LOGICAL executing;
	ULONG cpu;
	NTSTATUS wait_inf, wait_zero, wait_neg;
	bool done;
} thr;

static VOID ThrRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	LARGE_INTEGER zero = { .QuadPart = 0 }, neg = { .QuadPart = -10000 };
	KIRQL old;

	thr.irql = KeGetCurrentIrql();
	thr.executing = KeIsExecutingDpc();
	thr.cpu = KeGetCurrentProcessorNumber();
	thr.wait_zero = KeWaitForSingleObject(&thr_event, Executive, KernelMode, FALSE, &zero);
	thr.wait_neg = KeWaitForSingleObject(&thr_event, Executive, KernelMode, FALSE, &neg);
	thr.wait_inf = KeWaitForSingleObject(&thr_event, Executive, KernelMode, FALSE, NULL);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	thr.irql_raised = KeGetCurrentIrql();
	KeLowerIrql(old);
	thr.irql_after = KeGetCurrentIrql();
	WRITE_ONCE(thr.done, true);
}

static int mode_threaded(void)
{
	int k;
	unsigned int target = num_online_cpus() - 1;

	KeInitializeEvent(&thr_event, SynchronizationEvent, FALSE);
	KeInitializeThreadedDpc(&thr_dpc, ThrRoutine, NULL);
	KeSetTargetProcessorDpc(&thr_dpc, (CCHAR)target);
	KeInsertQueueDpc(&thr_dpc, NULL, NULL);
	for (k = 0; k < 2000 && !READ_ONCE(thr.done); k++)
		usleep_range(5000, 6000);
	hostile_info("threaded: done=%d irql=%u executing=%u cpu=%u(want %u) wait0=%#x wait-1ms=%#x waitinf=%#x raised=%u after=%u",
		     thr.done, thr.irql, thr.executing, thr.cpu, target, thr.wait_zero,
		     thr.wait_neg, thr.wait_inf, thr.irql_raised, thr.irql_after);
	if (thr.done && thr.irql == PASSIVE_LEVEL && thr.executing &&
	    thr.cpu == target && thr.wait_zero == STATUS_TIMEOUT &&
	    thr.wait_neg == STATUS_INVALID_PARAMETER &&
	    thr.wait_inf == STATUS_INVALID_PARAMETER &&
	    thr.irql_raised == DISPATCH_LEVEL && thr.irql_after == PASSIVE_LEVEL)
		hostile_pass_info("threaded", "");
	else
		hostile_fail_info("threaded", "see INFO");
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=timerrace                                                       */
/* ------------------------------------------------------------------ */

#define NR_RT 4
struct rtimer {
	KTIMER timer;
	KDPC dpc;
	atomic_t dpc_runs;
	LONG rearm;
};

static struct rtimer *rtimers[NR_RT];
static LONG race_stop;

static VOID RaceDpc(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	struct rtimer *r = Ctx;
	LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(get_random_u32() % 2000) };

	atomic_inc(&r->dpc_runs);
	if (READ_ONCE(r->rearm) && !READ_ONCE(race_stop))
		KeSetTimerEx(&r->timer, due, get_random_u32() & 1, &r->dpc);
}

static int race_thread(void *arg)
{
	unsigned long id = (unsigned long)arg;
	unsigned long end = jiffies + 10 * HZ;

	while (!kthread_should_stop() && time_before(jiffies, end)) {
		struct rtimer *r = rtimers[get_random_u32() % NR_RT];
		LARGE_INTEGER due = { .QuadPart = -(LONGLONG)(get_random_u32() % 5000) };
		KIRQL old = PASSIVE_LEVEL;
		bool raise = get_random_u32() & 1;

		if (raise)
			KeRaiseIrql(DISPATCH_LEVEL, &old);
		if (id & 1)
			KeSetTimerEx(&r->timer, due, get_random_u32() % 3, &r->dpc);
		else
			KeCancelTimer(&r->timer);
		if (raise)
			KeLowerIrql(old);
		if (!(get_random_u32() % 64))
			cond_resched();
	}
	return 0;
}

static int mode_timerrace(void)
{
	struct task_struct *t[4];
	unsigned int round, i, late = 0, still_set = 0, failed = 0;
	int n, runs[NR_RT];

	for (round = 0; round < 5; round++) {
		for (i = 0; i < NR_RT; i++) {
			rtimers[i] = kzalloc(sizeof(*rtimers[i]), GFP_KERNEL);
			if (!rtimers[i]) {
				while (i--)
					kfree(rtimers[i]);
				return -ENOMEM;
			}
			KeInitializeTimerEx(&rtimers[i]->timer,
					    i & 1 ? SynchronizationTimer : NotificationTimer);
			KeInitializeDpc(&rtimers[i]->dpc, RaceDpc, rtimers[i]);
			KeSetTargetProcessorDpc(&rtimers[i]->dpc, (CCHAR)(i % num_online_cpus()));
			rtimers[i]->rearm = i >= 2;
		}
		WRITE_ONCE(race_stop, 0);
		for (n = 0; n < 4; n++) {
			t[n] = kthread_create(race_thread, (void *)(unsigned long)n,
					      "hostile_race");
			if (IS_ERR(t[n])) {
				failed++;
				continue;
			}
			kthread_bind(t[n], n % num_online_cpus());
			get_task_struct(t[n]);
			wake_up_process(t[n]);
		}
		/* A second of racing (a stalled vCPU's threads stop at 10 s). */
		msleep(1000);
		for (n = 0; n < 4; n++) {
			if (IS_ERR(t[n]))
				continue;
			kthread_stop(t[n]);
			put_task_struct(t[n]);
		}
		/*
		 * A driver's unload: stop re-arming, cancel, flush, cancel
		 * again (a DPC running at the first cancel may have re-armed
		 * before it saw the flag), flush, free.
		 */
		WRITE_ONCE(race_stop, 1);
		for (i = 0; i < NR_RT; i++)
			KeCancelTimer(&rtimers[i]->timer);
		KeFlushQueuedDpcs();
		for (i = 0; i < NR_RT; i++)
			KeCancelTimer(&rtimers[i]->timer);
		KeFlushQueuedDpcs();
		/* Nothing is set or queued any more: no routine runs again. */
		for (i = 0; i < NR_RT; i++)
			runs[i] = atomic_read(&rtimers[i]->dpc_runs);
		msleep(50);
		for (i = 0; i < NR_RT; i++) {
			int now = atomic_read(&rtimers[i]->dpc_runs);

			hostile_info("timerrace round %u timer %u dpc runs %d", round, i, now);
			if (now != runs[i])
				late++;
			if (KeCancelTimer(&rtimers[i]->timer))
				still_set++;
			memset(rtimers[i], 0x6b, sizeof(*rtimers[i]));
			kfree(rtimers[i]);
		}
	}
	if (late || still_set || failed)
		hostile_fail_info("timerrace",
				  "after stop, cancel, flush, cancel, flush: %u routines ran again, %u timers still set, %u threads not started",
				  late, still_set, failed);
	else
		hostile_pass_info("timerrace", "5 rounds of 4 racing threads on %d timers", NR_RT);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=hotplug: loaded before the guest offlines @cpu, checked at exit  */
/* ------------------------------------------------------------------ */

struct hp {
	KDPC dpc;
	atomic_t runs;
	atomic_t refused;
	bool threaded;
};

static struct hp hps[4];
static LONG hp_stop;

static VOID HpRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	struct hp *h = Ctx;

	atomic_inc(&h->runs);
	if (READ_ONCE(hp_stop))
		return;
	KeSetTargetProcessorDpc(Dpc, (CCHAR)cpu);	/* offline: reported, unchanged */
	if (!KeInsertQueueDpc(Dpc, NULL, NULL))
		atomic_inc(&h->refused);
}

static int mode_hotplug(void)
{
	int i;

	for (i = 0; i < 4; i++) {
		hps[i].threaded = i & 1;
		if (hps[i].threaded)
			KeInitializeThreadedDpc(&hps[i].dpc, HpRoutine, &hps[i]);
		else
			KeInitializeDpc(&hps[i].dpc, HpRoutine, &hps[i]);
		KeSetImportanceDpc(&hps[i].dpc, i < 2 ? LowImportance : MediumImportance);
		KeSetTargetProcessorDpc(&hps[i].dpc, (CCHAR)cpu);
		KeInsertQueueDpc(&hps[i].dpc, NULL, NULL);
	}
	return 0;
}

static void hotplug_check(void)
{
	int i, before[4];

	for (i = 0; i < 4; i++)
		before[i] = atomic_read(&hps[i].runs);
	msleep(200);
	for (i = 0; i < 4; i++) {
		int after = atomic_read(&hps[i].runs);

		hostile_info("hotplug dpc %d (%s): runs %d then %d; refused self-inserts %d", i,
			     hps[i].threaded ? "threaded" : "ordinary", before[i], after,
			     atomic_read(&hps[i].refused));
		if (after > before[i] && !atomic_read(&hps[i].refused))
			pr_info("HOSTILE PASS hotplug-alive-%d\n", i);
		else
			pr_info("HOSTILE FAIL hotplug-alive-%d stopped (runs %d -> %d), refused %d\n",
				i, before[i], after, atomic_read(&hps[i].refused));
	}
	WRITE_ONCE(hp_stop, 1);
	KeFlushQueuedDpcs();
	KeFlushQueuedDpcs();
	for (i = 0; i < 4; i++) {
		if (KeRemoveQueueDpc(&hps[i].dpc))
			hostile_fail_info("hotplug-drained",
					  "dpc %d still queued after stop + flush", i);
		if (!KeInsertQueueDpc(&hps[i].dpc, NULL, NULL))
			hostile_fail_info("hotplug-requeue", "dpc %d cannot be queued again", i);
	}
	KeFlushQueuedDpcs();
	hostile_pass_info("hotplug-done", "");
}

/* ------------------------------------------------------------------ */
/* mode=unload: everything left running at rmmod                        */
/* ------------------------------------------------------------------ */

static KDPC un_self[8], un_thr[8];
static KTIMER un_per, un_one;
static KDPC un_per_dpc, un_one_dpc;
static DEVICE_OBJECT un_dev;
static PIO_WORKITEM un_work;
static KDPC *un_heap_dpc;
static PDEVICE_OBJECT un_heap_dev;

static VOID UnHop(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	/* Hop to the next CPU each time: a CPU already checked gets it back. */
	KeSetTargetProcessorDpc(Dpc, (CCHAR)((KeGetCurrentProcessorNumber() + 1) %
					     num_online_cpus()));
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

static VOID UnIsrDpc(PKDPC Dpc, PDEVICE_OBJECT Dev, PIRP Irp, PVOID Ctx)
{
	IoRequestDpc(Dev, NULL, NULL);
}

static VOID UnWork(PVOID IoObject, PVOID Ctx, PIO_WORKITEM Item)
{
	LARGE_INTEGER due = { .QuadPart = -1000 };

	usleep_range(100, 200);
	KeSetTimer(&un_one, due, &un_one_dpc);
	KeInsertQueueDpc(un_heap_dpc, NULL, NULL);
	IoQueueWorkItemEx(Item, UnWork, CriticalWorkQueue, NULL);
}

static VOID UnOne(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	LARGE_INTEGER due = { .QuadPart = -5000 };

	KeSetTimer(&un_one, due, &un_one_dpc);
	IoRequestDpc(un_heap_dev, NULL, NULL);
	KeInsertQueueDpc(&un_thr[KeGetCurrentProcessorNumber() % 8], NULL, NULL);
}

static VOID UnPer(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	IoQueueWorkItemEx(un_work, UnWork, DelayedWorkQueue, NULL);
	KeInsertQueueDpc(&un_self[KeGetCurrentProcessorNumber() % 8], NULL, NULL);
}

static int mode_unload(void)
{
	LARGE_INTEGER due = { .QuadPart = -10000 };
	int i;

	un_heap_dpc = kzalloc(sizeof(*un_heap_dpc), GFP_KERNEL);
	un_heap_dev = kzalloc(sizeof(*un_heap_dev), GFP_KERNEL);
	un_work = IoAllocateWorkItem(&un_dev);
	if (!un_heap_dpc || !un_heap_dev || !un_work)
		return -ENOMEM;
	KeInitializeThreadedDpc(un_heap_dpc, UnHop, NULL);
	IoInitializeDpcRequest(un_heap_dev, UnIsrDpc);
	for (i = 0; i < 8; i++) {
		KeInitializeDpc(&un_self[i], UnHop, NULL);
		KeInitializeThreadedDpc(&un_thr[i], UnHop, NULL);
		KeSetImportanceDpc(&un_self[i], (KDPC_IMPORTANCE)(i % 4));
		KeInsertQueueDpc(&un_self[i], NULL, NULL);
		KeInsertQueueDpc(&un_thr[i], NULL, NULL);
	}
	KeInitializeTimer(&un_per);
	KeInitializeTimer(&un_one);
	KeInitializeDpc(&un_per_dpc, UnPer, NULL);
	KeInitializeThreadedDpc(&un_one_dpc, UnOne, NULL);
	KeSetTimerEx(&un_per, due, 1, &un_per_dpc);
	KeSetTimer(&un_one, due, &un_one_dpc);
	IoRequestDpc(un_heap_dev, NULL, NULL);
	KeInsertQueueDpc(un_heap_dpc, NULL, NULL);
	IoQueueWorkItemEx(un_work, UnWork, CriticalWorkQueue, NULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=timerreinit / eventreinit                                        */
/* ------------------------------------------------------------------ */

static KTIMER *ri_timer;
static KDPC ri_dpc;
static atomic_t ri_runs;

static VOID RiRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&ri_runs);
}

static int mode_timerreinit(void)
{
	LARGE_INTEGER due = { .QuadPart = -200000 };	/* 20 ms */
	BOOLEAN was;
	int before, after;

	ri_timer = kzalloc(sizeof(*ri_timer), GFP_KERNEL);
	if (!ri_timer)
		return -ENOMEM;
	KeInitializeDpc(&ri_dpc, RiRoutine, NULL);
	KeInitializeTimer(ri_timer);
	KeSetTimerEx(ri_timer, due, 5, &ri_dpc);
	/*
	 * A driver's "start device" path that initialises again: reported,
	 * and the timer is cancelled first, so its DPC does not come again
	 * (one run before the re-init is a stalled vCPU's).
	 */
	KeInitializeTimer(ri_timer);
	KeFlushQueuedDpcs();
	before = atomic_read(&ri_runs);
	msleep(100);
	after = atomic_read(&ri_runs);
	was = KeCancelTimer(ri_timer);
	KeFlushQueuedDpcs();
	hostile_info("timerreinit: DPC ran %d times before the re-init, %d after; a cancel after it returned %d",
		     before, after - before, was);
	kfree(ri_timer);
	if (after == before && !was)
		hostile_pass_info("timerreinit", "");
	else
		hostile_fail_info("timerreinit",
				  "the DPC ran %d times after the re-init, the timer %s set",
				  after - before, was ? "was still" : "was not");
	return 0;
}

static KEVENT ev;
static struct completion ev_started, ev_done;
static NTSTATUS ev_status;

static int ev_waiter(void *arg)
{
	LARGE_INTEGER t = { .QuadPart = -100000000 };	/* 10 s */

	complete(&ev_started);
	ev_status = KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &t);
	complete(&ev_done);
	return 0;
}

/*
 * A driver initialises its event again while a thread waits on it: the
 * call is reported and keeps the waiter queued, so the KeSetEvent() that
 * follows wakes it.  (A waiter not yet waiting finds the event set.)
 */
static int mode_eventreinit(void)
{
	struct task_struct *t;

	init_completion(&ev_started);
	init_completion(&ev_done);
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	t = kthread_run(ev_waiter, NULL, "hostile_ev");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&ev_started);
	msleep(50);
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);
	if (!wait_for_completion_timeout(&ev_done, 30 * HZ)) {
		hostile_fail_info("eventreinit", "the waiter did not return within 30 s");
		/* It still refers to ev: this module must not go. */
		__module_get(THIS_MODULE);
		return 0;
	}
	hostile_info("eventreinit: the waiter returned %#x", ev_status);
	if (ev_status == STATUS_SUCCESS)
		hostile_pass_info("eventreinit", "");
	else
		hostile_fail_info("eventreinit", "the waiter returned %#x, not STATUS_SUCCESS",
				  ev_status);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=atdpclevel                                                      */
/* ------------------------------------------------------------------ */

static KSPIN_LOCK at_lock;
static KDPC at_threaded_dpc, at_ordinary_dpc;
static KTIMER at_timer;
static atomic_t at_held_runs, at_ordinary_runs, at_on_top;
static int at_holder_cpu = -1;	/* CPU of a task holding at_lock */
static KIRQL at_held_irql;
static bool at_stop;

static void at_hold(void)
{
	u64 end;

	KeAcquireSpinLockAtDpcLevel(&at_lock);
	WRITE_ONCE(at_holder_cpu, raw_smp_processor_id());
	at_held_irql = KeGetCurrentIrql();
	/* 300 us held, by the clock: interrupts may come meanwhile. */
	end = ktime_get_ns() + 300 * NSEC_PER_USEC;
	while (ktime_get_ns() < end)
		cpu_relax();
	WRITE_ONCE(at_holder_cpu, -1);
	KeReleaseSpinLockFromDpcLevel(&at_lock);
	atomic_inc(&at_held_runs);
}

static VOID AtThreaded(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	at_hold();
	if (atomic_read(&at_held_runs) < (int)iters && !READ_ONCE(at_stop))
		KeInsertQueueDpc(Dpc, NULL, NULL);
}

/*
 * Taking the lock while the task this DPC interrupted holds it would spin
 * for ever: counted instead.
 */
static VOID AtOrdinary(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (READ_ONCE(at_holder_cpu) == (int)raw_smp_processor_id()) {
		atomic_inc(&at_on_top);
		return;
	}
	KeAcquireSpinLockAtDpcLevel(&at_lock);
	atomic_inc(&at_ordinary_runs);
	KeReleaseSpinLockFromDpcLevel(&at_lock);
}

static int at_thread(void *arg)
{
	while (atomic_read(&at_held_runs) < (int)iters && !READ_ONCE(at_stop)) {
		at_hold();
		cond_resched();
	}
	return 0;
}

static void at_run(bool threaded)
{
	LARGE_INTEGER due = { .QuadPart = -10000 };	/* 1 ms */
	const char *who = threaded ? "threaded" : "thread";
	struct task_struct *t = NULL;
	int k;

	atomic_set(&at_held_runs, 0);
	atomic_set(&at_ordinary_runs, 0);
	atomic_set(&at_on_top, 0);
	at_held_irql = PASSIVE_LEVEL;
	WRITE_ONCE(at_stop, false);
	KeSetTimerEx(&at_timer, due, 1, &at_ordinary_dpc);
	if (threaded) {
		KeInsertQueueDpc(&at_threaded_dpc, NULL, NULL);
	} else {
		t = kthread_create(at_thread, NULL, "hostile_atdpc");
		if (IS_ERR(t)) {
			hostile_fail_info("atdpclevel", "no thread: %ld", PTR_ERR(t));
			KeCancelTimer(&at_timer);
			return;
		}
		kthread_bind(t, 1);
		get_task_struct(t);
		wake_up_process(t);
	}
	for (k = 0; k < 6000 && atomic_read(&at_held_runs) < (int)iters; k++)
		usleep_range(5000, 6000);
	WRITE_ONCE(at_stop, true);
	if (t) {
		kthread_stop(t);
		put_task_struct(t);
	}
	KeCancelTimer(&at_timer);
	KeFlushQueuedDpcs();
	hostile_info("atdpclevel %s: held %d times at IRQL %u, the ordinary DPC ran %d times, %d of them on top of the holder",
		     who, atomic_read(&at_held_runs), at_held_irql,
		     atomic_read(&at_ordinary_runs), atomic_read(&at_on_top));
	if (atomic_read(&at_on_top) || at_held_irql != DISPATCH_LEVEL ||
	    atomic_read(&at_held_runs) < (int)iters)
		pr_info("HOSTILE FAIL atdpclevel-%s %d of %u holds, at IRQL %u; an ordinary DPC interrupted the holder %d times (each a deadlock)\n",
			who, atomic_read(&at_held_runs), iters, at_held_irql,
			atomic_read(&at_on_top));
	else
		pr_info("HOSTILE PASS atdpclevel-%s\n", who);
}

static int mode_atdpclevel(void)
{
	KeInitializeSpinLock(&at_lock);
	KeInitializeThreadedDpc(&at_threaded_dpc, AtThreaded, NULL);
	KeSetTargetProcessorDpc(&at_threaded_dpc, 1);
	KeInitializeDpc(&at_ordinary_dpc, AtOrdinary, NULL);
	KeSetTargetProcessorDpc(&at_ordinary_dpc, 1);
	KeSetImportanceDpc(&at_ordinary_dpc, HighImportance);
	KeInitializeTimer(&at_timer);
	at_run(true);
	at_run(false);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=bhrace: Linux BH contexts that KeGetCurrentIrql() calls          */
/* DISPATCH_LEVEL, with a DPC queued on their CPU meanwhile              */
/* ------------------------------------------------------------------ */

static DEFINE_PER_CPU(int, bh_in_sec);
static atomic_t bh_violations, bh_dpc_runs;
static KDPC bh_dpc;
static struct timer_list bh_timer;
static KIRQL bh_timer_irql, bh_task_irql;
static atomic_t bh_timer_rounds;

static VOID BhRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&bh_dpc_runs);
	if (__this_cpu_read(bh_in_sec))
		atomic_inc(&bh_violations);
}

static void bh_section(void)
{
	__this_cpu_write(bh_in_sec, 1);
	KeInsertQueueDpc(&bh_dpc, NULL, NULL);	/* this CPU, High */
	mdelay(2);
	__this_cpu_write(bh_in_sec, 0);
}

static void bh_timer_fn(struct timer_list *t)
{
	bh_timer_irql = KeGetCurrentIrql();
	bh_section();
	if (atomic_inc_return(&bh_timer_rounds) < (int)iters / 4)
		mod_timer(&bh_timer, jiffies + 1);
}

static int mode_bhrace(void)
{
	unsigned int i;
	int v_timer, k;

	KeInitializeDpc(&bh_dpc, BhRoutine, NULL);
	KeSetImportanceDpc(&bh_dpc, HighImportance);

	/* (a) a timer_list callback (softirq context). */
	timer_setup(&bh_timer, bh_timer_fn, 0);
	bh_timer.expires = jiffies + 1;
	add_timer_on(&bh_timer, 1);
	for (k = 0; k < 4000 && atomic_read(&bh_timer_rounds) < (int)iters / 4; k++)
		usleep_range(5000, 6000);
	timer_delete_sync(&bh_timer);
	KeFlushQueuedDpcs();
	v_timer = atomic_read(&bh_violations);
	hostile_info("bhrace timer_list: IRQL seen %u, %d rounds, DPC ran %d times, %d of them inside the callback",
		     bh_timer_irql, atomic_read(&bh_timer_rounds), atomic_read(&bh_dpc_runs),
		     v_timer);
	if (v_timer && IS_ENABLED(CONFIG_PREEMPT_RT))
		hostile_info("bhrace-timer: on PREEMPT_RT a Linux bottom half does not exclude DPCs (design.rst)");
	else if (v_timer)
		hostile_fail_info("bhrace-timer",
				  "a DPC ran on the CPU of a timer_list callback at IRQL %u, inside it, %d times",
				  bh_timer_irql, v_timer);
	else
		hostile_pass_info("bhrace-timer", "");

	/* (b) a task with bottom halves off (spin_lock_bh() and kin). */
	atomic_set(&bh_violations, 0);
	atomic_set(&bh_dpc_runs, 0);
	for (i = 0; i < iters / 4; i++) {
		local_bh_disable();
		bh_task_irql = KeGetCurrentIrql();
		bh_section();
		local_bh_enable();
	}
	KeFlushQueuedDpcs();
	hostile_info("bhrace local_bh_disable: IRQL seen %u, DPC ran %d times, %d of them inside the section",
		     bh_task_irql, atomic_read(&bh_dpc_runs), atomic_read(&bh_violations));
	if (atomic_read(&bh_violations) && IS_ENABLED(CONFIG_PREEMPT_RT))
		hostile_info("bhrace-bh-disabled: on PREEMPT_RT a Linux bottom half does not exclude DPCs (design.rst)");
	else if (atomic_read(&bh_violations))
		hostile_fail_info("bhrace-bh-disabled",
				  "a DPC ran on the CPU of a task at IRQL %u (bottom halves off), inside it, %d times",
				  bh_task_irql, atomic_read(&bh_violations));
	else
		hostile_pass_info("bhrace-bh-disabled", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=genericrequeue                                                  */
/* ------------------------------------------------------------------ */

static atomic_t gr_calls, gr_queued, gr_own_runs, gr_late;
static atomic_t gr_in_call;	/* routines of the current call not returned */
static atomic_t gr_runs_on[NR_CPUS];
static LONG gr_how;		/* 0: as it is and retargeted, 1: re-initialised */

static VOID GrOwn(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&gr_own_runs);
}

static VOID GrRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	ULONG self = KeGetCurrentProcessorNumber();
	u64 t0;

	atomic_inc(&gr_calls);
	/* The first run on a CPU tries: a second one must not happen. */
	if (atomic_inc_return(&gr_runs_on[self]) == 1) {
		if (READ_ONCE(gr_how) == 0) {
			if (KeInsertQueueDpc(Dpc, A1, A2))
				atomic_inc(&gr_queued);
			KeSetTargetProcessorDpc(Dpc, (CCHAR)((self + 1) % num_online_cpus()));
			if (KeInsertQueueDpc(Dpc, A1, A2))
				atomic_inc(&gr_queued);
		} else {
			KeInitializeDpc(Dpc, GrOwn, NULL);
			if (KeInsertQueueDpc(Dpc, NULL, NULL))
				atomic_inc(&gr_queued);
		}
	}
	/*
	 * Spin a little: a second run, if any, gets the time to start on
	 * another CPU before this one returns.
	 */
	t0 = ktime_get_ns();
	while (ktime_get_ns() - t0 < 200 * NSEC_PER_USEC)
		cpu_relax();
	atomic_dec(&gr_in_call);
	KeSignalCallDpcDone(A1);
}

static int mode_genericrequeue(void)
{
	int n = num_online_cpus();
	unsigned int i, c, bad = 0;

	for (i = 0; i < iters / 10; i++) {
		WRITE_ONCE(gr_how, i & 1);
		atomic_set(&gr_calls, 0);
		atomic_set(&gr_queued, 0);
		atomic_set(&gr_own_runs, 0);
		atomic_set(&gr_in_call, n);
		for_each_possible_cpu(c)
			atomic_set(&gr_runs_on[c], 0);
		KeGenericCallDpc(GrRoutine, NULL);
		/* Every routine had returned when the call did. */
		if (atomic_read(&gr_in_call) != 0)
			atomic_inc(&gr_late);
		KeFlushQueuedDpcs();
		if (atomic_read(&gr_calls) != n || atomic_read(&gr_queued) ||
		    atomic_read(&gr_own_runs)) {
			if (!bad++)
				hostile_info("genericrequeue round %u (how %u): %d runs, %d CPUs, %d queued, own %d",
					     i, i & 1, atomic_read(&gr_calls), n,
					     atomic_read(&gr_queued), atomic_read(&gr_own_runs));
		}
	}
	if (!bad && !atomic_read(&gr_late))
		hostile_pass_info("genericrequeue", "%u calls", iters / 10);
	else
		hostile_fail_info("genericrequeue", "%u of %u wrong, %d returned early", bad,
				  iters / 10, atomic_read(&gr_late));
	return 0;
}

/*
 * Run @fn(@arg) in a kthread of its own and wait until it has completed
 * @done: the thread ends on its own, held so that kthread_stop() reaps it.
 */
static int run_in_thread(int (*fn)(void *), void *arg,
			 struct completion *done, const char *name)
{
	struct task_struct *t;

	init_completion(done);
	t = kthread_create(fn, arg, "%s", name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	wake_up_process(t);
	wait_for_completion(done);
	kthread_stop(t);
	put_task_struct(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=apcdrain                                                        */
/* ------------------------------------------------------------------ */

static KSPIN_LOCK apc_lock;
static KDPC apc_dpc;
static KIRQL apc_seen, apc_after;
static atomic_t apc_runs;

static VOID ApcLockRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	KLOCK_QUEUE_HANDLE h;
	KIRQL old;

	apc_seen = KeGetCurrentIrql();
	KeAcquireSpinLock(&apc_lock, &old);
	KeReleaseSpinLock(&apc_lock, old);
	KeAcquireInStackQueuedSpinLock(&apc_lock, &h);
	KeReleaseInStackQueuedSpinLock(&h);
	apc_after = KeGetCurrentIrql();
	atomic_inc(&apc_runs);
}

static VOID ApcLeftHighRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	KIRQL old;

	apc_seen = KeGetCurrentIrql();
	KeRaiseIrql(HIGH_LEVEL, &old);		/* never lowered: misuse */
	apc_after = KeGetCurrentIrql();
	atomic_inc(&apc_runs);
}

static VOID ApcLowersRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	apc_seen = KeGetCurrentIrql();
	KeLowerIrql(PASSIVE_LEVEL);		/* below its own: misuse */
	apc_after = KeGetCurrentIrql();
	atomic_inc(&apc_runs);
}

static const struct {
	const char *name;
	PKDEFERRED_ROUTINE routine;
	KIRQL after;	/* what the routine must see last */
} apc_routines[] = {
	{ "spinlock", ApcLockRoutine, DISPATCH_LEVEL },
	{ "lefthigh", ApcLeftHighRoutine, HIGH_LEVEL },
	{ "lowers", ApcLowersRoutine, DISPATCH_LEVEL },
};

#ifdef CONFIG_PREEMPT_RT
static int apc_pinned(void)
{
	return current->migration_disabled;
}
#else
static int apc_pinned(void)
{
	return 0;
}
#endif

/*
 * One routine, queued at APC_LEVEL (@raised false) or at DISPATCH_LEVEL
 * raised from APC_LEVEL: the caller must find APC_LEVEL after the DPC ran,
 * then PASSIVE_LEVEL, preemptible and not pinned.  NULL if all held.
 */
static const char *apc_one(unsigned int r, bool raised)
{
	KIRQL old, apc, at_apc, at_passive;

	KeInitializeDpc(&apc_dpc, apc_routines[r].routine, NULL);
	atomic_set(&apc_runs, 0);
	apc_seen = 0xff;
	apc_after = 0xff;
	KeRaiseIrql(APC_LEVEL, &old);
	if (raised) {
		KeRaiseIrql(DISPATCH_LEVEL, &apc);
		KeInsertQueueDpc(&apc_dpc, NULL, NULL);
		KeLowerIrql(apc);
	} else {
		KeInsertQueueDpc(&apc_dpc, NULL, NULL);
	}
	at_apc = KeGetCurrentIrql();
	KeLowerIrql(old);
	at_passive = KeGetCurrentIrql();
	KeFlushQueuedDpcs();
	hostile_info("apcdrain %s %s: routine saw %u then %u, caller %u then %u, pinned %d, runs %d",
		     apc_routines[r].name, raised ? "raised" : "at-apc", apc_seen,
		     apc_after, at_apc, at_passive, apc_pinned(),
		     atomic_read(&apc_runs));
	if (atomic_read(&apc_runs) != 1)
		return "the DPC did not run once";
	if (apc_seen != DISPATCH_LEVEL || apc_after != apc_routines[r].after)
		return "the routine saw the wrong IRQL";
	if (at_apc != APC_LEVEL || at_passive != PASSIVE_LEVEL)
		return "the caller's IRQL changed under it";
	if (in_softirq() || !preemptible() || apc_pinned())
		return "the caller was left with bottom halves off, preemption off or pinned";
	return NULL;
}

struct apc_job {
	const char *what;
	struct completion done;
};

static int apc_thread(void *arg)
{
	struct apc_job *j = arg;
	unsigned int r;

	/* Above the dispatch thread (49): it cannot run the DPCs for us. */
	sched_set_fifo(current);
	for (r = 0; r < ARRAY_SIZE(apc_routines) && !j->what; r++) {
		j->what = apc_one(r, false);
		if (!j->what)
			j->what = apc_one(r, true);
	}
	complete(&j->done);
	return 0;
}

static int mode_apcdrain(void)
{
	struct apc_job job = { };
	int ret;

	KeInitializeSpinLock(&apc_lock);
	ret = run_in_thread(apc_thread, &job, &job.done, "hostile_apc");
	if (ret)
		return ret;
	if (job.what)
		hostile_fail_info("apcdrain", "%s", job.what);
	else
		hostile_pass_info("apcdrain", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=irqmix                                                          */
/* ------------------------------------------------------------------ */

/* A Linux lock an interrupt handler takes too. */
static DEFINE_RAW_SPINLOCK(mix_linux_lock);
static struct hrtimer mix_hrtimer;
static atomic_t mix_hrtimer_runs;
static KSPIN_LOCK mix_lock;
static KDPC mix_dpc;
static int mix_dpc_irqs_off = -1;

static enum hrtimer_restart mix_hrtimer_fn(struct hrtimer *t)
{
	raw_spin_lock(&mix_linux_lock);
	atomic_inc(&mix_hrtimer_runs);
	raw_spin_unlock(&mix_linux_lock);
	return HRTIMER_NORESTART;
}

static VOID MixRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	unsigned long flags;
	KIRQL old;

	KeAcquireSpinLock(&mix_lock, &old);
	raw_spin_lock_irqsave(&mix_linux_lock, flags);
	KeReleaseSpinLock(&mix_lock, old);	/* out of order */
	mix_dpc_irqs_off = irqs_disabled();
	raw_spin_unlock_irqrestore(&mix_linux_lock, flags);
}

static int mode_irqmix(void)
{
	bool irqs_off, level_after, lowered;
	unsigned long flags;
	KIRQL old;

	KeInitializeSpinLock(&mix_lock);
	/* The lock is an interrupt handler's too, as lockdep learns here. */
	ntdpc_hrtimer_setup(&mix_hrtimer, mix_hrtimer_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_HARD);
	hrtimer_start(&mix_hrtimer, ns_to_ktime(1000), HRTIMER_MODE_REL_HARD);
	msleep(20);
	hrtimer_cancel(&mix_hrtimer);

	KeAcquireSpinLock(&mix_lock, &old);
	raw_spin_lock_irqsave(&mix_linux_lock, flags);
	KeReleaseSpinLock(&mix_lock, old);	/* out of order */
	irqs_off = irqs_disabled();
	raw_spin_unlock_irqrestore(&mix_linux_lock, flags);
	/* Lowered with interrupts off; on PREEMPT_RT refused instead. */
	level_after = KeGetCurrentIrql() ==
		  (IS_ENABLED(CONFIG_PREEMPT_RT) ? DISPATCH_LEVEL : PASSIVE_LEVEL);
	KeLowerIrql(old);			/* RT: the lowering, done now */
	lowered = KeGetCurrentIrql() == PASSIVE_LEVEL && !in_softirq();

	KeInitializeDpc(&mix_dpc, MixRoutine, NULL);
	KeInsertQueueDpc(&mix_dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	hostile_info("irqmix: handler ran %d times; task: interrupts off %d, IRQL as it should be %d, lowered after %d; DPC: interrupts off %d",
		     atomic_read(&mix_hrtimer_runs), irqs_off, level_after,
		     lowered, mix_dpc_irqs_off);
	if (irqs_off && level_after && lowered && mix_dpc_irqs_off == 1)
		hostile_pass_info("irqmix", "");
	else
		hostile_fail_info("irqmix",
				  "interrupts the caller turned off were turned on, or the IRQL was lost");
	return 0;
}

/* ------------------------------------------------------------------ */
/* mode=stacktimer                                                      */
/* ------------------------------------------------------------------ */

struct stack_result {
	unsigned int waits, dpcs, cancels, bad;
	const char *what;
	struct completion done;
};

static VOID StackDpc(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	KeSetEvent(Ctx, 0, FALSE);
}

/*
 * One frame of the pattern, then the same again @depth frames deeper, so
 * that the objects sit at other addresses each time.
 */
static noinline void stack_wait(struct stack_result *r, unsigned int depth)
{
	LARGE_INTEGER due = { .QuadPart = -20000 };		/* 2 ms */
	LARGE_INTEGER late = { .QuadPart = -100000000 };	/* 10 s */
	LARGE_INTEGER limit = { .QuadPart = -100000000 };	/* 10 s */
	KTIMER timer;
	KEVENT done;
	KDPC dpc;

	/* Set, waited on: signalled at its due time. */
	KeInitializeTimer(&timer);
	if (KeSetTimer(&timer, due, NULL)) {
		r->bad++;
		r->what = "a new timer was already set";
	}
	if (KeWaitForSingleObject(&timer, Executive, KernelMode, FALSE,
				  &limit) != STATUS_SUCCESS ||
	    !KeReadStateTimer(&timer)) {
		r->bad++;
		r->what = "the wait on the timer did not end signalled";
	} else {
		r->waits++;
	}

	/* With a DPC on the stack too, which signals an event there. */
	KeInitializeEvent(&done, NotificationEvent, FALSE);
	KeInitializeDpc(&dpc, StackDpc, &done);
	KeInitializeTimerEx(&timer, SynchronizationTimer);
	KeSetTimer(&timer, due, &dpc);
	if (KeWaitForSingleObject(&done, Executive, KernelMode, FALSE,
				  &limit) != STATUS_SUCCESS) {
		r->bad++;
		r->what = "the timer's DPC did not run";
	} else {
		r->dpcs++;
	}
	KeCancelTimer(&timer);
	KeFlushQueuedDpcs();

	/* Set far ahead and cancelled before the frame goes. */
	KeInitializeTimer(&timer);
	KeSetTimer(&timer, late, &dpc);
	if (KeCancelTimer(&timer)) {
		r->cancels++;
	} else {
		r->bad++;
		r->what = "a set timer's cancel returned FALSE";
	}
	KeRemoveQueueDpc(&dpc);

	if (depth)
		stack_wait(r, depth - 1);
}

static int stack_thread(void *arg)
{
	struct stack_result *r = arg;
	unsigned int i;

	for (i = 0; i < 5; i++)
		stack_wait(r, 3);
	complete(&r->done);
	return 0;
}

static int mode_stacktimer(void)
{
	struct stack_result mine = {}, theirs = {};
	unsigned int i;
	int ret;

	for (i = 0; i < 5; i++)
		stack_wait(&mine, 3);
	ret = run_in_thread(stack_thread, &theirs, &theirs.done,
			    "hostile_stack");
	if (ret)
		return ret;
	hostile_info("stacktimer: waits %u+%u, timer DPCs %u+%u, cancels %u+%u",
		     mine.waits, theirs.waits, mine.dpcs, theirs.dpcs,
		     mine.cancels, theirs.cancels);
	if (!mine.bad && !theirs.bad && mine.waits == 20 && theirs.waits == 20)
		hostile_pass_info("stacktimer", "");
	else
		hostile_fail_info("stacktimer", "%s",
				  mine.what ?: theirs.what ?: "fewer waits than frames");
	return 0;
}

static int __init hostile_init(void)
{
	pr_info("HOSTILE START %s\n", mode);
	if (!strcmp(mode, "fifo"))
		return mode_fifo();
	if (!strcmp(mode, "reinit"))
		return mode_reinit();
	if (!strcmp(mode, "selffree"))
		return mode_selffree();
	if (!strcmp(mode, "threaded"))
		return mode_threaded();
	if (!strcmp(mode, "timerrace"))
		return mode_timerrace();
	if (!strcmp(mode, "hotplug"))
		return mode_hotplug();
	if (!strcmp(mode, "unload"))
		return mode_unload();
	if (!strcmp(mode, "timerreinit"))
		return mode_timerreinit();
	if (!strcmp(mode, "bhrace"))
		return mode_bhrace();
	if (!strcmp(mode, "atdpclevel"))
		return mode_atdpclevel();
	if (!strcmp(mode, "eventreinit"))
		return mode_eventreinit();
	if (!strcmp(mode, "genericrequeue"))
		return mode_genericrequeue();
	if (!strcmp(mode, "stacktimer"))
		return mode_stacktimer();
	if (!strcmp(mode, "apcdrain"))
		return mode_apcdrain();
	if (!strcmp(mode, "irqmix"))
		return mode_irqmix();
	return -EINVAL;
}

static void __exit hostile_exit(void)
{
	if (!strcmp(mode, "hotplug"))
		hotplug_check();
	pr_info("HOSTILE END %s\n", mode);
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hostile NT driver patterns against ntdpc");
