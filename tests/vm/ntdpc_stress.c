// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc_stress: a stress test of ntdpc.ko, written against the public
 * header <ntdpc/ntddk.h> alone, as a driver would be, and used the way an
 * adversary would use it.  tests/vm/stress.sh runs it in a VM (make stress).
 *
 * mode=stress  for duration seconds, on every CPU: ordinary and threaded
 *              DPCs of random importance and target (untargeted too),
 *              inserted from hardirq (a per-CPU hrtimer), from DPC
 *              routines, from kthreads at PASSIVE_LEVEL and at
 *              DISPATCH_LEVEL and from work items; removed concurrently
 *              from other CPUs; retargeted and given another importance
 *              while idle; KeFlushQueuedDpcs() and KeGenericCallDpc()
 *              calls; KTIMERs set, set again and cancelled, from their own
 *              DPCs too, one-shot and periodic; work items; an ordinary
 *              and a threaded DPC per CPU that queue themselves again in
 *              bursts, and a threaded DPC that always does, on the last
 *              CPU (a busy ntdpc/N thread).  The guest script offlines
 *              and onlines CPUs meanwhile and bumps the hotplug_gen
 *              parameter around each operation; DPCs aimed at a CPU that
 *              goes offline are inserted and removed until it is gone.  Then everything is
 *              stopped and the invariants are checked.
 *              init returns when it is all done; the result is in the
 *              kernel log, "STRESS PASS|FAIL <check>: ..." lines and a
 *              final "STRESS SUMMARY: N passed, M failed".
 * mode=leave   leaves thousands of queued DPCs, self-requeueing DPCs and
 *              threaded DPCs, self-rearming one-shot and periodic timers
 *              and sleeping work items behind, cancelling nothing, for an
 *              rmmod right after the insmod: ntdpc must clean up before
 *              this module's memory goes.
 *
 * The invariants, each a check with a name:
 *
 *   exact-count         for every KDPC (timer DPCs aside, whose insertions
 *                       ntdpc makes): TRUE inserts == runs + TRUE removes,
 *                       once everything has stopped
 *   quiesced            nothing still queued once everything has stopped
 *                       and been flushed: a DPC that never runs
 *   no-run-after-remove for a KDPC only one actor inserts and removes, no
 *                       run for an insertion that KeRemoveQueueDpc() took
 *                       back, nor two runs for one insertion, nor a run for
 *                       an insertion that returned FALSE (the instance is
 *                       told by its SystemArgument1, written only by a
 *                       successful insertion)
 *   remove-result       that actor's KeRemoveQueueDpc() returns TRUE only
 *                       for a queued instance that then does not run, and
 *                       FALSE only when the DPC is no longer queued
 *   insert-result       its KeInsertQueueDpc() of a DPC that is not queued
 *                       returns TRUE
 *   flush-waits         KeFlushQueuedDpcs() returns only after every DPC
 *                       TRUE-queued before it has finished or been removed
 *   irql-dispatch       ordinary routines at DISPATCH_LEVEL, bottom halves
 *                       off (in softirq, or PREEMPT_RT's dispatch thread),
 *                       interrupts on, KeIsExecutingDpc()
 *   irql-passive        threaded routines at PASSIVE_LEVEL in ntdpc/N
 *   target-cpu          a DPC runs on its target CPU, or on the CPU that
 *                       queued it if untargeted or the target is offline;
 *                       checked only when no CPU hotplug operation began
 *                       between the insertion and the run
 *   routine-args        the KDPC, context and system arguments passed
 *   timer-*, work-*, generic-call, raise-irql, liveness
 */
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <ntdpc/ntddk.h>

#include "compat.h"

static char *mode = "stress";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "stress or leave");

static unsigned int duration = 60;
module_param(duration, uint, 0444);
MODULE_PARM_DESC(duration, "stress: seconds of load before the checks");

static bool threads = true;
module_param(threads, bool, 0444);
MODULE_PARM_DESC(threads, "ntdpc was loaded with ThreadDpcEnable=1");

/* Each source of load can be turned off, since some crash ntdpc today. */
static bool do_irq = true;
module_param_named(hardirq, do_irq, bool, 0444);
MODULE_PARM_DESC(hardirq, "insert and remove from per-CPU hrtimers");
static bool do_dpc = true;
module_param_named(dpc, do_dpc, bool, 0444);
MODULE_PARM_DESC(dpc, "insert, remove, set timers and queue work from DPC routines");
static bool do_passive = true;
module_param_named(passive, do_passive, bool, 0444);
MODULE_PARM_DESC(passive, "kthreads inserting and removing at PASSIVE_LEVEL");
static bool do_dispatch = true;
module_param_named(dispatch, do_dispatch, bool, 0444);
MODULE_PARM_DESC(dispatch, "kthreads inserting and removing at DISPATCH_LEVEL");
static bool do_remove = true;
module_param_named(remove, do_remove, bool, 0444);
MODULE_PARM_DESC(remove, "KeRemoveQueueDpc from every source");
static bool do_retarget = true;
module_param_named(retarget, do_retarget, bool, 0444);
MODULE_PARM_DESC(retarget, "new targets and importance for idle DPCs");
static bool do_flush = true;
module_param_named(flush, do_flush, bool, 0444);
MODULE_PARM_DESC(flush, "KeFlushQueuedDpcs, checked");
static bool do_timers = true;
module_param_named(timers, do_timers, bool, 0444);
MODULE_PARM_DESC(timers, "KTIMERs set, set again and cancelled");
static bool do_work = true;
module_param_named(workitems, do_work, bool, 0444);
MODULE_PARM_DESC(workitems, "IoQueueWorkItem from DPCs and threads");
static bool do_generic = true;
module_param_named(generic, do_generic, bool, 0444);
MODULE_PARM_DESC(generic, "KeGenericCallDpc, checked");
static bool do_selfq = true;
module_param_named(selfq, do_selfq, bool, 0444);
MODULE_PARM_DESC(selfq, "an ordinary and a threaded DPC per CPU queueing themselves again in bursts");
static bool do_busy = true;
module_param_named(busy, do_busy, bool, 0444);
MODULE_PARM_DESC(busy, "a threaded DPC that always queues itself again, on the last CPU");
static bool do_hammer = true;
module_param_named(hammer, do_hammer, bool, 0444);
MODULE_PARM_DESC(hammer, "DPCs aimed at a CPU going offline, inserted and removed until it is gone");

static unsigned int pool = 1536;
module_param(pool, uint, 0444);
MODULE_PARM_DESC(pool, "shared DPCs, a third of them threaded");
static unsigned int owned = 16;
module_param(owned, uint, 0444);
MODULE_PARM_DESC(owned, "DPCs owned by each hardirq, PASSIVE and DISPATCH actor");
static unsigned int irq_period_us = 500;
module_param(irq_period_us, uint, 0444);
MODULE_PARM_DESC(irq_period_us, "period of the per-CPU hrtimers");

/* mode=leave */
static unsigned int leave_count = 4096;
module_param(leave_count, uint, 0444);
MODULE_PARM_DESC(leave_count, "leave: DPCs left queued (at most 4096)");
static bool leave_dpcs = true;
module_param(leave_dpcs, bool, 0444);
MODULE_PARM_DESC(leave_dpcs, "leave: queued DPCs, some queueing themselves and others");
static bool leave_threaded = true;
module_param(leave_threaded, bool, 0444);
MODULE_PARM_DESC(leave_threaded, "leave: a self-requeueing threaded DPC per CPU");
static bool leave_rearm = true;
module_param(leave_rearm, bool, 0444);
MODULE_PARM_DESC(leave_rearm, "leave: one-shot timers whose DPC sets them again");
static bool leave_timers = true;
module_param(leave_timers, bool, 0444);
MODULE_PARM_DESC(leave_timers, "leave: periodic timers whose DPC queues work");
static bool leave_work = true;
module_param(leave_work, bool, 0444);
MODULE_PARM_DESC(leave_work, "leave: sleeping work items that queue themselves again");

/*
 * The hotplug generation: the guest script writes this parameter (any
 * value bumps it) before and after each CPU hotplug operation, so it is
 * odd while one is in progress.  The module's own hotplug callbacks count
 * too.  A DPC's CPU is checked only when both were unchanged, and the
 * generation even, from its insertion to its run.
 */
static atomic_t hotplug_gen = ATOMIC_INIT(0);
static atomic_t cpuhp_events = ATOMIC_INIT(0);
static int dying_cpu = -1;	/* a CPU on its way offline, for the hammer */

static int hotplug_gen_set(const char *val, const struct kernel_param *kp)
{
	atomic_inc_return(&hotplug_gen);	/* a full barrier */
	return 0;
}

static int hotplug_gen_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%d\n", atomic_read(&hotplug_gen));
}

static const struct kernel_param_ops hotplug_gen_ops = {
	.set = hotplug_gen_set,
	.get = hotplug_gen_get,
};
module_param_cb(hotplug_gen, &hotplug_gen_ops, NULL, 0644);
MODULE_PARM_DESC(hotplug_gen, "write before and after each CPU hotplug operation");

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */
/* ---------------------------------------------------------------------- */

enum chk {
	CHK_EXACT,
	CHK_QUIESCED,
	CHK_RUN_REMOVED,
	CHK_REMOVE,
	CHK_INSERT,
	CHK_FLUSH,
	CHK_IRQL_DPC,
	CHK_IRQL_THREADED,
	CHK_CPU,
	CHK_ARGS,
	CHK_RAISE,
	CHK_TARGET_API,
	CHK_TIMER_EARLY,
	CHK_TIMER_CANCEL,
	CHK_TIMER_FIRES,
	CHK_TIMER_RESULT,
	CHK_WORK_IRQL,
	CHK_WORK_COUNT,
	CHK_GENERIC,
	CHK_LIVENESS,
	CHK_NR,
};

static const char *const chk_name[CHK_NR] = {
	[CHK_EXACT] = "exact-count",
	[CHK_QUIESCED] = "quiesced",
	[CHK_RUN_REMOVED] = "no-run-after-remove",
	[CHK_REMOVE] = "remove-result",
	[CHK_INSERT] = "insert-result",
	[CHK_FLUSH] = "flush-waits",
	[CHK_IRQL_DPC] = "irql-dispatch",
	[CHK_IRQL_THREADED] = "irql-passive",
	[CHK_CPU] = "target-cpu",
	[CHK_ARGS] = "routine-args",
	[CHK_RAISE] = "raise-irql",
	[CHK_TARGET_API] = "target-api",
	[CHK_TIMER_EARLY] = "timer-never-early",
	[CHK_TIMER_CANCEL] = "timer-cancel-holds",
	[CHK_TIMER_FIRES] = "timer-fires",
	[CHK_TIMER_RESULT] = "timer-results",
	[CHK_WORK_IRQL] = "work-passive",
	[CHK_WORK_COUNT] = "work-count",
	[CHK_GENERIC] = "generic-call",
	[CHK_LIVENESS] = "liveness",
};

static atomic_t violations[CHK_NR];
static atomic_long_t checked[CHK_NR];	/* how often a check was made */
static int checks_passed, checks_failed;

/*
 * A violation, from any context: counted, and the first few printed
 * (printk is safe in hardirq and softirq context).
 */
static __printf(2, 3) void violation(enum chk c, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (atomic_inc_return(&violations[c]) > 5)
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("ntdpc_stress: VIOLATION %s on CPU %u: %pV\n", chk_name[c],
	       raw_smp_processor_id(), &vaf);
	va_end(args);
}

static inline void checked_inc(enum chk c)
{
	atomic_long_inc(&checked[c]);
}

/* One result line per check, at the end; @detail says what was seen. */
static __printf(2, 3) void verdict(enum chk c, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;
	int n = atomic_read(&violations[c]);

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (n) {
		checks_failed++;
		pr_info("STRESS FAIL %s: %d violation(s); %pV\n", chk_name[c], n,
			&vaf);
	} else {
		checks_passed++;
		pr_info("STRESS PASS %s: %pV\n", chk_name[c], &vaf);
	}
	va_end(args);
}

/* ---------------------------------------------------------------------- */
/* Randomness: a xorshift per actor or context, cheap in any context       */
/* ---------------------------------------------------------------------- */

static u32 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (x * 0x2545f4914f6cdd1dULL) >> 32;
}

static u32 rnd_below(u64 *s, u32 n)
{
	return ((u64)rnd(s) * n) >> 32;
}

static void rnd_seed(u64 *s)
{
	*s = get_random_u64() | 1;
}

/* Ordinary routines (softirq) and threaded ones (ntdpc/N) of each CPU. */
static DEFINE_PER_CPU(u64, rng_dpc);
static DEFINE_PER_CPU(u64, rng_threaded);

/* ---------------------------------------------------------------------- */
/* Counters                                                                */
/* ---------------------------------------------------------------------- */

enum stress_src {
	SRC_IRQ,
	SRC_DPC,
	SRC_THREADED,
	SRC_PASSIVE,
	SRC_DISPATCH,
	SRC_WORK,
	SRC_NR,
};

static const char *const src_name[SRC_NR] = {
	[SRC_IRQ] = "hardirq",
	[SRC_DPC] = "dpc-routine",
	[SRC_THREADED] = "threaded-routine",
	[SRC_PASSIVE] = "passive-kthread",
	[SRC_DISPATCH] = "dispatch-kthread",
	[SRC_WORK] = "work-item",
};

/* Per CPU, so that counting costs no shared cache line. */
struct stress_pcpu {
	unsigned long ins[SRC_NR][2][2];	/* [source][threaded][queued] */
	unsigned long rem[SRC_NR][2];		/* [source][removed] */
	unsigned long runs[2];			/* [threaded] routines run here */
	unsigned long timer_sets, timer_cancels, timer_runs;
	unsigned long work_queued, work_runs;
	unsigned long flushes, generic_calls, retargets, hammered;
};

static DEFINE_PER_CPU(struct stress_pcpu, stress_pcpu);

static unsigned long stat_sum(size_t off)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		sum += *(unsigned long *)((char *)per_cpu_ptr(&stress_pcpu, cpu) + off);
	return sum;
}

#define STAT_SUM(field) stat_sum(offsetof(struct stress_pcpu, field))

/* ---------------------------------------------------------------------- */
/* The stress DPCs                                                         */
/* ---------------------------------------------------------------------- */

enum sd_kind {
	SD_SHARED,	/* inserted and removed by anyone */
	SD_OWNED,	/* inserted and removed by one actor only */
	SD_SELFQ,	/* by its own routine, or by one actor once it stopped */
	SD_BUSY,	/* by its own routine only, until the end */
	SD_TIMER,	/* inserted by its KTIMER only */
};

/*
 * What became of an owned DPC's recent insertions, by sequence number:
 * (seq << 8) | state in one word, changed by compare-and-swap.  The seq
 * advances only on a TRUE insertion, so a slot is reused only long after
 * its instance ran or was removed; a slot still in use is skipped.
 */
#define FATE_SLOTS	8
enum fate { F_FREE, F_QUEUED, F_RUNNING, F_DONE, F_REMOVED };
static const char *const fate_name[] = {
	"free", "queued", "running", "done", "removed",
};

#define FATE(seq, st)	(((u64)(seq) << 8) | (st))
#define FATE_SEQ(f)	((u32)((f) >> 8))
#define FATE_ST(f)	((unsigned int)((f) & 0xff))

struct st;

struct sd {
	KDPC dpc;
	u32 id;
	u8 kind;
	bool threaded;
	s16 want;		/* target CPU or -1: fixed, or the owner's */
	atomic_long_t ins_true, ins_false, rem_true, rem_false, runs;
	atomic_long_t rem_pending;	/* KeRemoveQueueDpc() calls under way */
	u32 seq;		/* SD_OWNED: the last TRUE-inserted instance */
	atomic64_t fate[FATE_SLOTS];
	struct st *timer;	/* SD_TIMER */
	int idle;		/* SD_SELFQ: stopped queueing itself */
};

#define SD_TAG		0x57e55000UL

static struct sd *sds;		/* every DPC: shared, owned, selfq, timer */
static unsigned int nsds;
static struct sd *shared;	/* the shared pool, sds[0..pool) */
static bool stopping;
static bool stress_unsafe;	/* something is still queued: never free */
static unsigned int ncpus;

static VOID StressRoutine(PKDPC Dpc, PVOID DeferredContext,
			  PVOID SystemArgument1, PVOID SystemArgument2);
static VOID StressTimerRoutine(PKDPC Dpc, PVOID DeferredContext,
			       PVOID SystemArgument1, PVOID SystemArgument2);

static bool stress_stopping(void)
{
	return READ_ONCE(stopping);
}

static struct sd *pick_shared(u64 *rng)
{
	return &shared[rnd_below(rng, pool)];
}

/*
 * SystemArgument2 of an insertion: the CPU the routine must run on (+1;
 * 0: not known, a hotplug operation is in progress) and the hotplug
 * generations it was computed under.  The caller cannot migrate.
 */
static PVOID stress_expect(struct sd *d, unsigned int cpu)
{
	u32 hg = atomic_read(&hotplug_gen);
	u32 ev = atomic_read(&cpuhp_events);
	int want = READ_ONCE(d->want);

	if (hg & 1)
		return NULL;
	smp_rmb();	/* the generations before the online mask */
	if (want >= 0 && cpu_online(want))
		cpu = want;
	return (PVOID)(((u64)ev << 32) | ((u64)(hg & 0xffffff) << 8) |
		       (cpu + 1));
}

static void check_cpu(struct sd *d, PVOID arg2)
{
	u64 e = (u64)(unsigned long)arg2;
	unsigned int cpu = raw_smp_processor_id();

	if (!(e & 0xff))
		return;
	smp_rmb();	/* the run has started before the generations are read */
	if ((u32)(e >> 32) != (u32)atomic_read(&cpuhp_events) ||
	    ((e >> 8) & 0xffffff) != (atomic_read(&hotplug_gen) & 0xffffff))
		return;
	checked_inc(CHK_CPU);
	if (cpu != (e & 0xff) - 1)
		violation(CHK_CPU, "%s DPC %u (target %d) ran on CPU %u, expected CPU %llu",
			  d->threaded ? "threaded" : "ordinary", d->id,
			  d->want, cpu, (e & 0xff) - 1);
}

/* Where and how a routine runs: DISPATCH_LEVEL or ntdpc/N at PASSIVE. */
static void check_context(struct sd *d, PKDPC dpc, PVOID ctx)
{
	KIRQL irql = KeGetCurrentIrql();

	checked_inc(CHK_ARGS);
	if (dpc != &d->dpc || ctx != d)
		violation(CHK_ARGS, "DPC %u called with KDPC %p context %p",
			  d->id, dpc, ctx);
	if (d->threaded && threads) {
		checked_inc(CHK_IRQL_THREADED);
		if (irql != PASSIVE_LEVEL || in_interrupt() || irqs_disabled() ||
		    !(current->flags & PF_KTHREAD) ||
		    strncmp(current->comm, "ntdpc/", 6))
			violation(CHK_IRQL_THREADED,
				  "threaded DPC %u: IRQL %u, preempt_count %#x, irqs %s, in %s",
				  d->id, irql, preempt_count(),
				  irqs_disabled() ? "off" : "on", current->comm);
	} else {
		/*
		 * Bottom halves off or served: in softirq context, or on
		 * PREEMPT_RT in ntdpc's dispatch thread.
		 */
		checked_inc(CHK_IRQL_DPC);
		if (irql != DISPATCH_LEVEL || !in_softirq() || irqs_disabled())
			violation(CHK_IRQL_DPC,
				  "DPC %u: IRQL %u, preempt_count %#x, irqs %s, in %s",
				  d->id, irql, preempt_count(),
				  irqs_disabled() ? "off" : "on", current->comm);
	}
	if (!KeIsExecutingDpc())
		violation(d->threaded && threads ? CHK_IRQL_THREADED :
						   CHK_IRQL_DPC,
			  "KeIsExecutingDpc() FALSE inside DPC %u", d->id);
}

/* Insert a shared DPC; the caller cannot migrate. */
static void shared_insert(struct sd *d, enum stress_src src)
{
	BOOLEAN ok;

	ok = KeInsertQueueDpc(&d->dpc, (PVOID)(SD_TAG ^ d->id),
			      stress_expect(d, raw_smp_processor_id()));
	atomic_long_inc(ok ? &d->ins_true : &d->ins_false);
	this_cpu_inc(stress_pcpu.ins[src][d->threaded][!!ok]);
}

/*
 * Every removal counts itself as under way before it starts, so that a
 * flush check that reads the counters between a TRUE removal and its
 * count does not miss it.
 */
static BOOLEAN stress_remove(struct sd *d, enum stress_src src)
{
	BOOLEAN ok;

	atomic_long_inc(&d->rem_pending);
	smp_mb__after_atomic();	/* pending before the removal; see flush_check() */
	ok = KeRemoveQueueDpc(&d->dpc);
	atomic_long_inc(ok ? &d->rem_true : &d->rem_false);
	smp_mb__before_atomic();	/* the result counted before pending drops */
	atomic_long_dec(&d->rem_pending);
	this_cpu_inc(stress_pcpu.rem[src][!!ok]);
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Owned DPCs: one actor inserts and removes them, and knows their state   */
/* ---------------------------------------------------------------------- */

struct actor {
	enum stress_src src;
	unsigned int home;
	u64 rng;
	struct sd *owned;
	unsigned int nowned;
	struct hrtimer hr;
	struct task_struct *task;
	unsigned long *snap;		/* the flusher's */
};

static void owned_insert(struct sd *d, enum stress_src src, unsigned int prev)
{
	u32 next = d->seq + 1;
	atomic64_t *slot = &d->fate[next % FATE_SLOTS];
	u64 old = atomic64_read(slot);
	BOOLEAN ok;

	/* An old instance there has not finished (a stalled vCPU): later. */
	if (FATE_ST(old) == F_QUEUED || FATE_ST(old) == F_RUNNING)
		return;
	atomic64_set(slot, FATE(next, F_QUEUED));
	ok = KeInsertQueueDpc(&d->dpc, (PVOID)(unsigned long)next,
			      stress_expect(d, raw_smp_processor_id()));
	this_cpu_inc(stress_pcpu.ins[src][d->threaded][!!ok]);
	checked_inc(CHK_INSERT);
	if (ok) {
		d->seq = next;
		atomic_long_inc(&d->ins_true);
		return;
	}
	atomic_long_inc(&d->ins_false);
	if (atomic64_cmpxchg(slot, FATE(next, F_QUEUED), old) !=
	    FATE(next, F_QUEUED))
		violation(CHK_RUN_REMOVED,
			  "owned DPC %u: instance %u ran, but its KeInsertQueueDpc returned FALSE",
			  d->id, next);
	if (prev != F_QUEUED)
		violation(CHK_INSERT,
			  "owned DPC %u: KeInsertQueueDpc FALSE, but it is not queued (instance %u %s, DpcData %s)",
			  d->id, d->seq, fate_name[prev],
			  READ_ONCE(d->dpc.DpcData) ? "set" : "NULL");
}

static void owned_remove(struct sd *d, enum stress_src src)
{
	u32 seq = d->seq;
	atomic64_t *slot = &d->fate[seq % FATE_SLOTS];
	u64 was;

	checked_inc(CHK_REMOVE);
	if (stress_remove(d, src)) {
		was = atomic64_cmpxchg(slot, FATE(seq, F_QUEUED),
				       FATE(seq, F_REMOVED));
		if (was != FATE(seq, F_QUEUED))
			violation(CHK_REMOVE,
				  "owned DPC %u: KeRemoveQueueDpc TRUE, but instance %u is %s (slot seq %u)",
				  d->id, seq, fate_name[FATE_ST(was)],
				  FATE_SEQ(was));
		return;
	}
	/* Nobody else queues it: FALSE means it is no longer queued. */
	if (READ_ONCE(d->dpc.DpcData))
		violation(CHK_REMOVE,
			  "owned DPC %u (target %d): KeRemoveQueueDpc FALSE, but it is still queued (DpcData set, instance %u %s)",
			  d->id, d->want, seq,
			  fate_name[FATE_ST(atomic64_read(slot))]);
}

/* Is the hotplug state the same now as at @hg, @ev, and settled? */
static bool hotplug_settled(u32 hg, u32 ev)
{
	smp_rmb();	/* what the caller did, before the generations again */
	return !(hg & 1) && hg == (u32)atomic_read(&hotplug_gen) &&
	       ev == (u32)atomic_read(&cpuhp_events);
}

/* A new target or importance for an idle owned DPC. */
static void owned_retarget(struct actor *a, struct sd *d)
{
	u32 r = rnd(&a->rng), hg, ev;
	unsigned int cpu = rnd_below(&a->rng, ncpus);
	PROCESSOR_NUMBER pn = { .Group = 0, .Number = cpu };
	NTSTATUS st;
	bool online;

	this_cpu_inc(stress_pcpu.retargets);
	switch (r & 3) {
	case 0:
		/* Only initialisation makes a DPC untargeted again. */
		if (d->threaded)
			KeInitializeThreadedDpc(&d->dpc, StressRoutine, d);
		else
			KeInitializeDpc(&d->dpc, StressRoutine, d);
		d->want = -1;
		break;
	case 1:
		hg = atomic_read(&hotplug_gen);
		ev = atomic_read(&cpuhp_events);
		smp_rmb();	/* the generations before the online mask */
		online = cpu_online(cpu);
		st = KeSetTargetProcessorDpcEx(&d->dpc, &pn);
		if (NT_SUCCESS(st))
			d->want = cpu;
		if (hotplug_settled(hg, ev)) {
			checked_inc(CHK_TARGET_API);
			if (NT_SUCCESS(st) != online)
				violation(CHK_TARGET_API,
					  "KeSetTargetProcessorDpcEx(CPU %u, %s): %#x",
					  cpu, online ? "online" : "offline",
					  st);
		}
		break;
	case 2:
		/* The plain call reports an offline CPU: aim at online ones. */
		if (!cpu_online(cpu))
			break;
		KeSetTargetProcessorDpc(&d->dpc, (CCHAR)cpu);
		d->want = d->dpc.Number >= MAXIMUM_PROCESSORS ?
			  d->dpc.Number - MAXIMUM_PROCESSORS : -1;
		break;
	default:
		KeSetImportanceDpc(&d->dpc, (r >> 8) & 3);
		break;
	}
}

/* One random step of an actor on one of its own DPCs; cannot migrate. */
static void owned_step(struct actor *a, struct sd *d)
{
	u32 r = rnd(&a->rng);
	unsigned int st = FATE_ST(atomic64_read(&d->fate[d->seq % FATE_SLOTS]));
	bool idle = st == F_FREE || st == F_DONE || st == F_REMOVED;

	if (st == F_QUEUED && do_remove && (r & 1)) {
		owned_remove(d, a->src);
		return;
	}
	if (idle && do_retarget && (r & 6) == 0)
		owned_retarget(a, d);
	/* Now and then a removal of a DPC that is not queued: FALSE. */
	if (st != F_QUEUED && do_remove && (r & 0x38) == 0)
		owned_remove(d, a->src);
	else
		owned_insert(d, a->src, st);
}

static void owned_enter(struct sd *d, PVOID arg1)
{
	u32 seq = (u32)(unsigned long)arg1;
	atomic64_t *slot = &d->fate[seq % FATE_SLOTS];
	u64 was;

	checked_inc(CHK_RUN_REMOVED);
	was = atomic64_cmpxchg(slot, FATE(seq, F_QUEUED), FATE(seq, F_RUNNING));
	if (was == FATE(seq, F_QUEUED))
		return;
	if (FATE_SEQ(was) != seq)
		violation(CHK_RUN_REMOVED,
			  "owned DPC %u ran for instance %u, which no TRUE insertion made (slot: %u %s)",
			  d->id, seq, FATE_SEQ(was), fate_name[FATE_ST(was)]);
	else
		violation(CHK_RUN_REMOVED,
			  "owned DPC %u ran for instance %u, which was %s",
			  d->id, seq, fate_name[FATE_ST(was)]);
}

static void owned_exit(struct sd *d, PVOID arg1)
{
	u32 seq = (u32)(unsigned long)arg1;

	atomic64_cmpxchg(&d->fate[seq % FATE_SLOTS], FATE(seq, F_RUNNING),
			 FATE(seq, F_DONE));
}

/* ---------------------------------------------------------------------- */
/* Timers and work items                                                  */
/* ---------------------------------------------------------------------- */

enum st_kind { ST_SHARED, ST_REARM, ST_PERIODIC };

/*
 * ST_SHARED timers are set and cancelled by anyone, from their own DPC
 * too.  ST_REARM (one-shot, its DPC sets it again: NT's periodic job) and
 * ST_PERIODIC timers belong to the timer thread, which now and then
 * closes one (cancel, remove its DPC, flush) and checks that its DPC then
 * stays silent.
 */
struct st {
	KTIMER timer;
	struct sd *d;
	u32 id;
	u8 kind;
	bool closing, closed;
};

#define NR_TIMERS	48
#define NR_OWNED_TIMERS	16
static struct st *sts;
static bool sts_ready;		/* initialised: they may be cancelled */
static KTIMER wait_timer;	/* the timer thread's, never with a DPC */

struct sw {
	PIO_WORKITEM item;
	PDEVICE_OBJECT dev;
	atomic_t busy;
	atomic_long_t queued, ran;
	u64 rng;
	u32 id;
};

#define NR_WORK		32
#define NR_DEVS		4
static struct sw *sws;
static DEVICE_OBJECT stress_devs[NR_DEVS];

static LARGE_INTEGER due_100ns(s64 units)
{
	LARGE_INTEGER due = { .QuadPart = -units };

	return due;
}

/* Set, set again or cancel a shared timer: at IRQL <= DISPATCH_LEVEL. */
static void timer_op_shared(u64 *rng)
{
	struct st *t = &sts[NR_OWNED_TIMERS +
			    rnd_below(rng, NR_TIMERS - NR_OWNED_TIMERS)];
	u32 r = rnd(rng);

	switch (r & 7) {
	case 0:
	case 1:
		KeCancelTimer(&t->timer);
		this_cpu_inc(stress_pcpu.timer_cancels);
		break;
	case 2:
		KeSetTimerEx(&t->timer, due_100ns(500 + rnd_below(rng, 50000)),
			     1 + rnd_below(rng, 5), &t->d->dpc);
		this_cpu_inc(stress_pcpu.timer_sets);
		break;
	case 3:
		KeReadStateTimer(&t->timer);
		break;
	default:
		KeSetTimer(&t->timer, due_100ns(500 + rnd_below(rng, 50000)),
			   &t->d->dpc);
		this_cpu_inc(stress_pcpu.timer_sets);
		break;
	}
}

static VOID StressWorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context);

static void work_queue(struct sw *w, u32 r)
{
	static const WORK_QUEUE_TYPE types[] = {
		DelayedWorkQueue, CriticalWorkQueue, HyperCriticalWorkQueue,
	};

	atomic_long_inc(&w->queued);
	this_cpu_inc(stress_pcpu.work_queued);
	IoQueueWorkItem(w->item, StressWorkRoutine, types[r % 3], w);
}

/* Queue a work item that is not busy: at IRQL <= DISPATCH_LEVEL. */
static void work_op(u64 *rng)
{
	struct sw *w = &sws[rnd_below(rng, NR_WORK)];

	if (atomic_cmpxchg(&w->busy, 0, 1) == 0)
		work_queue(w, rnd(rng));
}

/* What any routine does now and then: more load, from DPC level. */
static void dpc_ops(u64 *rng, enum stress_src src)
{
	u32 r = rnd(rng);

	if ((r & 3) == 0)
		shared_insert(pick_shared(rng), src);
	if (do_remove && (r & 0x1c) == 0)
		stress_remove(pick_shared(rng), src);
	if (do_timers && (r & 0x3e0) == 0)
		timer_op_shared(rng);
	if (do_work && (r & 0x7c00) == 0)
		work_op(rng);
}

/*
 * Only one party queues a self-requeueing DPC at a time, its own routine
 * or the actor that found it idle: TRUE, always.
 */
static void selfq_insert(struct sd *d, enum stress_src src)
{
	BOOLEAN ok;

	checked_inc(CHK_INSERT);
	ok = KeInsertQueueDpc(&d->dpc, (PVOID)(SD_TAG ^ d->id),
			      stress_expect(d, raw_smp_processor_id()));
	atomic_long_inc(ok ? &d->ins_true : &d->ins_false);
	this_cpu_inc(stress_pcpu.ins[src][d->threaded][!!ok]);
	if (!ok)
		violation(CHK_INSERT,
			  "self-requeueing DPC %u: KeInsertQueueDpc FALSE from its own routine (DpcData %s)",
			  d->id, READ_ONCE(d->dpc.DpcData) ? "set" : "NULL");
}

static VOID StressRoutine(PKDPC Dpc, PVOID DeferredContext,
			  PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct sd *d = DeferredContext;
	bool thr = d->threaded && threads;
	u64 *rng = thr ? raw_cpu_ptr(&rng_threaded) : raw_cpu_ptr(&rng_dpc);

	check_context(d, Dpc, DeferredContext);
	check_cpu(d, SystemArgument2);
	if (d->kind == SD_OWNED) {
		owned_enter(d, SystemArgument1);
	} else if (SystemArgument1 != (PVOID)(SD_TAG ^ d->id)) {
		violation(CHK_ARGS, "DPC %u: SystemArgument1 %#lx, expected %#lx",
			  d->id, (unsigned long)SystemArgument1, SD_TAG ^ d->id);
	}
	this_cpu_inc(stress_pcpu.runs[d->threaded]);

	if (!stress_stopping()) {
		/*
		 * A burst of eight runs on average: an ordinary DPC always
		 * queueing itself would keep its CPU in softirq for good, a
		 * threaded one every thread below SCHED_FIFO 50 off its CPU.
		 */
		if (d->kind == SD_BUSY ||
		    (d->kind == SD_SELFQ && (rnd(rng) & 7)))
			selfq_insert(d, thr ? SRC_THREADED : SRC_DPC);
		else if (d->kind == SD_SELFQ)
			smp_store_release(&d->idle, 1);	/* its insertions are behind it */
		if (do_dpc)
			dpc_ops(rng, thr ? SRC_THREADED : SRC_DPC);
	}
	if (d->kind == SD_OWNED)
		owned_exit(d, SystemArgument1);
	/* Last: the flush check counts finished routines. */
	atomic_long_inc(&d->runs);
}

static VOID StressTimerRoutine(PKDPC Dpc, PVOID DeferredContext,
			       PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct sd *d = DeferredContext;
	struct st *t = d->timer;
	bool thr = d->threaded && threads;
	u64 *rng = thr ? raw_cpu_ptr(&rng_threaded) : raw_cpu_ptr(&rng_dpc);
	LARGE_INTEGER now, expiry;
	u32 r;

	check_context(d, Dpc, DeferredContext);
	/* SystemArgument1/2: the low and high parts of the expiry time. */
	expiry.LowPart = (ULONG)(unsigned long)SystemArgument1;
	expiry.HighPart = (LONG)(ULONG)(unsigned long)SystemArgument2;
	KeQuerySystemTimePrecise(&now);
	checked_inc(CHK_TIMER_EARLY);
	if (now.QuadPart < expiry.QuadPart)
		violation(CHK_TIMER_EARLY,
			  "timer %u: its DPC ran %lld ns before the expiry it was queued for",
			  t->id, (expiry.QuadPart - now.QuadPart) * 100);
	else if (now.QuadPart - expiry.QuadPart > 120LL * 10000000)
		violation(CHK_ARGS,
			  "timer %u: SystemArguments %#lx %#lx are no recent expiry time",
			  t->id, (unsigned long)SystemArgument1,
			  (unsigned long)SystemArgument2);
	checked_inc(CHK_TIMER_CANCEL);
	if (READ_ONCE(t->closed))
		violation(CHK_TIMER_CANCEL,
			  "timer %u (%s): its DPC ran after KeCancelTimer, KeRemoveQueueDpc and a flush",
			  t->id, t->kind == ST_REARM ? "self-rearming" : "periodic");
	this_cpu_inc(stress_pcpu.timer_runs);
	this_cpu_inc(stress_pcpu.runs[d->threaded]);

	if (!stress_stopping()) {
		r = rnd(rng);
		if (t->kind == ST_REARM) {
			if (!READ_ONCE(t->closing)) {
				KeSetTimer(&t->timer,
					   due_100ns(1000 + rnd_below(rng, 20000)),
					   Dpc);
				this_cpu_inc(stress_pcpu.timer_sets);
			}
		} else if (t->kind == ST_SHARED) {
			/* Its own timer again, or cancelled, from its DPC. */
			if ((r & 3) == 0) {
				KeSetTimer(&t->timer,
					   due_100ns(500 + rnd_below(rng, 30000)),
					   Dpc);
				this_cpu_inc(stress_pcpu.timer_sets);
			} else if ((r & 7) == 1) {
				KeCancelTimer(&t->timer);
				this_cpu_inc(stress_pcpu.timer_cancels);
			} else if ((r & 7) == 2) {
				timer_op_shared(rng);
			}
			if (do_work && (r & 0x30) == 0)
				work_op(rng);
		}
		if (do_dpc)
			dpc_ops(rng, thr ? SRC_THREADED : SRC_DPC);
	}
	atomic_long_inc(&d->runs);
}

static VOID StressWorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	struct sw *w = Context;
	KIRQL irql = KeGetCurrentIrql();
	u32 r = rnd(&w->rng);
	int i;

	atomic_long_inc(&w->ran);
	this_cpu_inc(stress_pcpu.work_runs);
	checked_inc(CHK_WORK_IRQL);
	if (irql != PASSIVE_LEVEL || in_interrupt() || irqs_disabled() ||
	    (IS_ENABLED(CONFIG_PREEMPT_COUNT) && preempt_count()))
		violation(CHK_WORK_IRQL,
			  "work item %u: IRQL %u, preempt_count %#x, irqs %s",
			  w->id, irql, preempt_count(),
			  irqs_disabled() ? "off" : "on");
	if (DeviceObject != w->dev)
		violation(CHK_ARGS, "work item %u called with device %p, not %p",
			  w->id, DeviceObject, w->dev);
	checked_inc(CHK_WORK_COUNT);
	if (READ_ONCE(w->dev->ReferenceCount) < 1)
		violation(CHK_WORK_COUNT,
			  "work item %u runs, its device's ReferenceCount is %d",
			  w->id, READ_ONCE(w->dev->ReferenceCount));

	/* A work item may sleep. */
	if ((r & 15) == 0)
		usleep_range(1000, 4000);
	else
		usleep_range(20, 200);
	if (do_dpc) {
		for (i = 0; i < 2; i++) {
			migrate_disable();
			shared_insert(pick_shared(&w->rng), SRC_WORK);
			migrate_enable();
		}
	}
	if (do_flush && (r & 0x3f0) == 0) {
		KeFlushQueuedDpcs();
		this_cpu_inc(stress_pcpu.flushes);
	}
	if (do_timers && (r & 0xc00) == 0)
		timer_op_shared(&w->rng);
	if (!stress_stopping() && (r & 0x3000) == 0) {
		/* Queued again from its own routine; it stays busy. */
		work_queue(w, r >> 16);
		return;
	}
	atomic_set_release(&w->busy, 0);
}

/* ---------------------------------------------------------------------- */
/* Actors                                                                  */
/* ---------------------------------------------------------------------- */

static struct actor *irq_actors;	/* one per possible CPU */
static struct actor *passive_actors, *dispatch_actors;
static struct actor timer_actor, flush_actor;
static struct actor *hammer_actors;	/* one per possible CPU */
static enum cpuhp_state stress_cpuhp;
static struct sd *selfq;		/* two per possible CPU */
static struct sd *busy;

/* Start a CPU's self-requeueing DPCs again once they have stopped. */
static void selfq_restart(unsigned int cpu, enum stress_src src)
{
	unsigned int i;

	if (!do_selfq || stress_stopping())
		return;
	for (i = 2 * cpu; i < 2 * cpu + 2; i++)
		if (cmpxchg(&selfq[i].idle, 1, 0) == 1)
			selfq_insert(&selfq[i], src);
}

/* One operation of a kthread or hrtimer actor; the caller cannot migrate. */
static void actor_op(struct actor *a)
{
	u32 r = rnd(&a->rng);

	if (a->nowned && (r & 1))
		owned_step(a, &a->owned[rnd_below(&a->rng, a->nowned)]);
	else if (do_remove && (r & 6) == 0)
		stress_remove(pick_shared(&a->rng), a->src);
	else
		shared_insert(pick_shared(&a->rng), a->src);
}

#define IRQ_BATCH	4

static enum hrtimer_restart irq_actor_fn(struct hrtimer *hr)
{
	struct actor *a = container_of(hr, struct actor, hr);
	int i;

	if (stress_stopping())
		return HRTIMER_NORESTART;
	for (i = 0; i < IRQ_BATCH; i++)
		actor_op(a);
	selfq_restart(a->home, SRC_IRQ);
	hrtimer_forward_now(hr, ns_to_ktime((irq_period_us / 2 +
					     rnd_below(&a->rng, irq_period_us)) *
					    NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * On the CPU itself as it comes up (CPUHP_AP_ONLINE_DYN), and as it goes:
 * its hrtimer actor runs only while it is online, so that every CPU's
 * hardirq load comes from that CPU.
 */
static int stress_cpu_online(unsigned int cpu)
{
	atomic_inc_return(&cpuhp_events);
	if (do_irq && !stress_stopping())
		hrtimer_start(&irq_actors[cpu].hr,
			      ns_to_ktime(irq_period_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_PINNED_HARD);
	return 0;
}

static int stress_cpu_offline(unsigned int cpu)
{
	atomic_inc_return(&cpuhp_events);
	WRITE_ONCE(dying_cpu, cpu);
	hrtimer_cancel(&irq_actors[cpu].hr);
	return 0;
}

/* Back to its home CPU after hotplug moved it, if the CPU is there. */
/*
 * Move to the actor's home CPU, and leave the affinity open again: a task
 * bound to one CPU that goes offline while the task is pinned there (at
 * DISPATCH_LEVEL on PREEMPT_RT: preemptible, migration off) has its
 * affinity broken under it, which 7.3's migrate_enable() warns about; the
 * kernel's, not what this suite tests.
 */
static void actor_go_home(struct actor *a)
{
	if (raw_smp_processor_id() != a->home && cpu_online(a->home)) {
		set_cpus_allowed_ptr(current, cpumask_of(a->home));
		set_cpus_allowed_ptr(current, cpu_possible_mask);
	}
}

static void actor_idle_until_stopped(void)
{
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
}

#define THREAD_BATCH	32

static int passive_fn(void *arg)
{
	struct actor *a = arg;
	int i;

	while (!kthread_should_stop() && !stress_stopping()) {
		actor_go_home(a);
		migrate_disable();
		selfq_restart(a->home, SRC_PASSIVE);
		migrate_enable();
		for (i = 0; i < THREAD_BATCH; i++) {
			u32 r = rnd(&a->rng);

			/* Known CPU for the expected one; still preemptible. */
			migrate_disable();
			actor_op(a);
			migrate_enable();
			if (do_work && (r & 0xf00) == 0)
				work_op(&a->rng);
			if (do_timers && (r & 0x7000) == 0)
				timer_op_shared(&a->rng);
			if (do_flush && (r & 0xfff0000) == 0) {
				KeFlushQueuedDpcs();
				this_cpu_inc(stress_pcpu.flushes);
			}
		}
		usleep_range(100, 600);
	}
	actor_idle_until_stopped();
	return 0;
}

static int dispatch_fn(void *arg)
{
	struct actor *a = arg;
	KIRQL old, now;
	int i;

	while (!kthread_should_stop() && !stress_stopping()) {
		actor_go_home(a);
		KeRaiseIrql(DISPATCH_LEVEL, &old);
		now = KeGetCurrentIrql();
		checked_inc(CHK_RAISE);
		/* On PREEMPT_RT, DISPATCH_LEVEL is preemptible, and pinned. */
		if (old != PASSIVE_LEVEL || now != DISPATCH_LEVEL ||
		    !in_softirq() ||
		    (!IS_ENABLED(CONFIG_PREEMPT_RT) && preemptible()))
			violation(CHK_RAISE,
				  "KeRaiseIrql(DISPATCH_LEVEL) from a kthread: old %u, now %u, preempt_count %#x",
				  old, now, preempt_count());
		for (i = 0; i < THREAD_BATCH / 2; i++) {
			u32 r = rnd(&a->rng);

			actor_op(a);
			if (do_work && (r & 0xf00) == 0)
				work_op(&a->rng);
			if (do_timers && (r & 0x7000) == 0)
				timer_op_shared(&a->rng);
		}
		/* The DPCs queued here meanwhile run in KeLowerIrql(). */
		KeLowerIrql(old);
		if (KeGetCurrentIrql() != PASSIVE_LEVEL)
			violation(CHK_RAISE, "KeLowerIrql(PASSIVE_LEVEL) left IRQL %u",
				  KeGetCurrentIrql());
		usleep_range(200, 800);
	}
	actor_idle_until_stopped();
	return 0;
}

/*
 * Close an owned timer: after it nothing may run its DPC until it is set
 * again.  The first flush waits for a routine that missed "closing" (and
 * may have set the timer again), the cancel stops the timer, the removal
 * takes back a DPC its last expiry queued, the second flush waits for one
 * that had already started.
 */
static void timer_close_cycle(struct st *t, u64 *rng)
{
	BOOLEAN was;

	WRITE_ONCE(t->closing, true);
	smp_mb();	/* routines queued from now on see it; the flush waits for the rest */
	KeFlushQueuedDpcs();
	KeCancelTimer(&t->timer);
	stress_remove(t->d, SRC_PASSIVE);
	KeFlushQueuedDpcs();
	this_cpu_add(stress_pcpu.flushes, 2);
	WRITE_ONCE(t->closed, true);
	smp_mb();	/* closed, before the checks that nothing is set or queued */
	checked_inc(CHK_TIMER_RESULT);
	if (KeCancelTimer(&t->timer))
		violation(CHK_TIMER_RESULT,
			  "timer %u: set again though cancelled and nobody set it",
			  t->id);
	if (READ_ONCE(t->d->dpc.DpcData))
		violation(CHK_TIMER_CANCEL,
			  "timer %u: its DPC is queued after cancel, remove and flush",
			  t->id);
	/* An expiry or a DPC run now is a cancel that did not hold. */
	usleep_range(500, 3000);
	WRITE_ONCE(t->closed, false);
	WRITE_ONCE(t->closing, false);
	smp_mb();	/* open again before the timer is set, and its DPC runs */
	if (t->kind == ST_PERIODIC)
		was = KeSetTimerEx(&t->timer, due_100ns(1000 + rnd_below(rng, 20000)),
				   1 + rnd_below(rng, 4), &t->d->dpc);
	else
		was = KeSetTimer(&t->timer, due_100ns(1000 + rnd_below(rng, 20000)),
				 &t->d->dpc);
	this_cpu_inc(stress_pcpu.timer_sets);
	if (was)
		violation(CHK_TIMER_RESULT,
			  "timer %u: KeSetTimer returned TRUE for a cancelled timer",
			  t->id);
}

/* A one-shot timer signals its waiter, never early, and then is not set. */
static void timer_wait_check(u64 *rng)
{
	s64 due = 1000 + rnd_below(rng, 20000);	/* 0.1 to 2.1 ms */
	LARGE_INTEGER timeout = { .QuadPart = -10LL * 10000000 };
	ULONGLONG t0, t1;
	NTSTATUS st;

	t0 = KeQueryInterruptTime();
	checked_inc(CHK_TIMER_RESULT);
	if (KeSetTimer(&wait_timer, due_100ns(due), NULL))
		violation(CHK_TIMER_RESULT,
			  "KeSetTimer of an expired one-shot timer returned TRUE");
	st = KeWaitForSingleObject(&wait_timer, Executive, KernelMode, FALSE,
				   &timeout);
	t1 = KeQueryInterruptTime();
	checked_inc(CHK_TIMER_FIRES);
	if (st != STATUS_SUCCESS) {
		violation(CHK_TIMER_FIRES,
			  "a %lld us one-shot timer not signalled within 10 s (status %#x)",
			  due / 10, st);
		KeCancelTimer(&wait_timer);
		return;
	}
	checked_inc(CHK_TIMER_EARLY);
	if (t1 - t0 < due)
		violation(CHK_TIMER_EARLY,
			  "a %lld us one-shot timer signalled after %llu us",
			  due / 10, (t1 - t0) / 10);
	if (!KeReadStateTimer(&wait_timer))
		violation(CHK_TIMER_RESULT, "an expired timer reads not signalled");
	if (KeCancelTimer(&wait_timer))
		violation(CHK_TIMER_RESULT,
			  "KeCancelTimer of an expired one-shot timer returned TRUE");
}

static int timer_fn(void *arg)
{
	struct actor *a = arg;
	int i;

	while (!kthread_should_stop() && !stress_stopping()) {
		u32 r = rnd(&a->rng);

		for (i = 0; i < 8; i++)
			timer_op_shared(&a->rng);
		if ((r & 3) == 0)
			timer_close_cycle(&sts[rnd_below(&a->rng, NR_OWNED_TIMERS)],
					  &a->rng);
		if ((r & 0x30) == 0)
			timer_wait_check(&a->rng);
		usleep_range(200, 1000);
	}
	actor_idle_until_stopped();
	return 0;
}

struct generic_ctx {
	atomic_t runs, sync_true, bad_irql, dup_cpu;
	unsigned long cpus[BITS_TO_LONGS(NR_CPUS)];
};

static VOID StressGenericRoutine(PKDPC Dpc, PVOID DeferredContext,
				 PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct generic_ctx *g = DeferredContext;

	if (KeGetCurrentIrql() != DISPATCH_LEVEL)
		atomic_inc(&g->bad_irql);
	if (test_and_set_bit(raw_smp_processor_id(), g->cpus))
		atomic_inc(&g->dup_cpu);
	atomic_inc(&g->runs);
	if (KeSignalCallDpcSynchronize(SystemArgument2))
		atomic_inc(&g->sync_true);
	KeSignalCallDpcDone(SystemArgument1);
}

static void generic_check(void)
{
	struct generic_ctx *g = kzalloc(sizeof(*g), GFP_KERNEL);
	u32 hg, ev;
	ULONG n;

	if (!g)
		return;
	hg = atomic_read(&hotplug_gen);
	ev = atomic_read(&cpuhp_events);
	smp_rmb();	/* the generations before the count of CPUs */
	n = KeQueryActiveProcessorCount(NULL);
	KeGenericCallDpc(StressGenericRoutine, g);
	this_cpu_inc(stress_pcpu.generic_calls);
	checked_inc(CHK_GENERIC);
	if (atomic_read(&g->bad_irql) || atomic_read(&g->dup_cpu) ||
	    atomic_read(&g->sync_true) != 1)
		violation(CHK_GENERIC,
			  "routines not at DISPATCH_LEVEL %d, twice on a CPU %d, barrier TRUE on %d CPUs",
			  atomic_read(&g->bad_irql), atomic_read(&g->dup_cpu),
			  atomic_read(&g->sync_true));
	if (hotplug_settled(hg, ev) &&
	    (atomic_read(&g->runs) != n ||
	     bitmap_weight(g->cpus, nr_cpu_ids) != n))
		violation(CHK_GENERIC, "%d routines on %u CPUs, %u CPUs online",
			  atomic_read(&g->runs),
			  bitmap_weight(g->cpus, nr_cpu_ids), n);
	kfree(g);
}

/*
 * The flush check: every DPC TRUE-queued before KeFlushQueuedDpcs() has
 * finished, or been removed, when it returns.  TRUE inserts are counted
 * after the call returns and runs at the routine's end, so the snapshot
 * is a lower bound and the later sum an upper one.
 */
static u64 flush_max_ms;

static void flush_check(struct actor *a)
{
	unsigned int i, bad = 0;
	u64 start, ms;

	for (i = 0; i < nsds; i++)
		a->snap[i] = atomic_long_read(&sds[i].ins_true);
	smp_mb();	/* the snapshot is complete before the flush starts */
	start = ktime_get_ns();
	KeFlushQueuedDpcs();
	ms = (ktime_get_ns() - start) / NSEC_PER_MSEC;
	this_cpu_inc(stress_pcpu.flushes);
	/* Milliseconds under TCG; one that takes 20 s is a hang that ended. */
	if (ms > flush_max_ms)
		WRITE_ONCE(flush_max_ms, ms);
	if (ms > 20 * MSEC_PER_SEC)
		violation(CHK_FLUSH, "KeFlushQueuedDpcs took %llu ms", ms);
	smp_mb();	/* the counters are read after the flush returned */
	for (i = 0; i < nsds; i++) {
		struct sd *d = &sds[i];
		unsigned long done;

		done = atomic_long_read(&d->rem_pending);
		smp_rmb();	/* pending is dropped after TRUE is counted */
		done += atomic_long_read(&d->runs) +
			atomic_long_read(&d->rem_true);
		if (done >= a->snap[i])
			continue;
		if (!bad++)
			violation(CHK_FLUSH,
				  "%s DPC %u: %lu TRUE inserts before KeFlushQueuedDpcs, %lu runs + removes after it (DpcData %s)",
				  d->threaded ? "threaded" : "ordinary", d->id,
				  a->snap[i], done,
				  READ_ONCE(d->dpc.DpcData) ? "set" : "NULL");
	}
	checked_inc(CHK_FLUSH);
	if (bad > 1)
		violation(CHK_FLUSH, "%u DPCs not flushed by one KeFlushQueuedDpcs",
			  bad);
}

static int flush_fn(void *arg)
{
	struct actor *a = arg;
	unsigned int round = 0;

	/*
	 * A generic call in the first round and every fourth after it, not at
	 * random: a debug kernel under TCG makes only a few dozen rounds in
	 * a short run, and the liveness check wants at least one call.
	 */
	while (!kthread_should_stop() && !stress_stopping()) {
		if (do_flush)
			flush_check(a);
		if (do_generic && round++ % 4 == 0)
			generic_check();
		usleep_range(1000, 5000);
	}
	actor_idle_until_stopped();
	return 0;
}

/*
 * A CPU is going offline: its DPCs will be moved to another CPU once it
 * is dead.  Every other CPU's hammer aims its DPCs at it while it is
 * still online, and inserts and removes them back to back, at
 * DISPATCH_LEVEL in short bursts, until the operation is over: the
 * hammers queue on the dead CPU's queue lock, the move of its queue
 * comes in between, and a removal that waited for it must still find its
 * DPC.  The owned-DPC checks tell.
 */
static void hammer_cpu(struct actor *a, unsigned int cpu)
{
	PROCESSOR_NUMBER pn = { .Group = 0, .Number = cpu };
	u32 hg = atomic_read(&hotplug_gen);
	unsigned long end = jiffies + 5 * HZ;
	unsigned int i;
	KIRQL old;

	for (i = 0; i < a->nowned; i++)
		if (NT_SUCCESS(KeSetTargetProcessorDpcEx(&a->owned[i].dpc, &pn)))
			a->owned[i].want = cpu;
	this_cpu_inc(stress_pcpu.hammered);
	while (atomic_read(&hotplug_gen) == hg && time_before(jiffies, end) &&
	       !stress_stopping() && !kthread_should_stop()) {
		KeRaiseIrql(DISPATCH_LEVEL, &old);
		for (i = 0; i < a->nowned; i++) {
			struct sd *d = &a->owned[i];
			unsigned int st = FATE_ST(atomic64_read(&d->fate[d->seq % FATE_SLOTS]));

			if (st == F_QUEUED)
				owned_remove(d, SRC_DISPATCH);
			else
				owned_insert(d, SRC_DISPATCH, st);
		}
		KeLowerIrql(old);
		cond_resched();
	}
}

static int hammer_fn(void *arg)
{
	struct actor *a = arg;
	int cpu;

	while (!kthread_should_stop() && !stress_stopping()) {
		actor_go_home(a);
		cpu = READ_ONCE(dying_cpu);
		/* Not from the dying CPU, nor from elsewhere while home is away. */
		if (cpu < 0 || cpu == a->home ||
		    raw_smp_processor_id() != a->home) {
			usleep_range(100, 300);
			continue;
		}
		hammer_cpu(a, cpu);
		cmpxchg(&dying_cpu, cpu, -1);
	}
	actor_idle_until_stopped();
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Set-up, run, stop, check                                                */
/* ---------------------------------------------------------------------- */

static void sd_init(struct sd *d, u32 id, enum sd_kind kind, bool threaded,
		    u64 *rng, bool random_target)
{
	PKDEFERRED_ROUTINE fn = kind == SD_TIMER ? StressTimerRoutine :
						   StressRoutine;
	unsigned int cpu;

	d->id = id;
	d->kind = kind;
	d->threaded = threaded;
	d->want = -1;
	if (threaded)
		KeInitializeThreadedDpc(&d->dpc, fn, d);
	else
		KeInitializeDpc(&d->dpc, fn, d);
	if (!random_target)
		return;
	KeSetImportanceDpc(&d->dpc, rnd_below(rng, 4));
	/* A third untargeted; the rest on any CPU, by either call. */
	if (rnd_below(rng, 3) == 0)
		return;
	cpu = rnd_below(rng, ncpus);
	if (!cpu_online(cpu))
		return;
	if (rnd(rng) & 1) {
		PROCESSOR_NUMBER pn = { .Group = 0, .Number = cpu };

		if (NT_SUCCESS(KeSetTargetProcessorDpcEx(&d->dpc, &pn)))
			d->want = cpu;
	} else {
		KeSetTargetProcessorDpc(&d->dpc, (CCHAR)cpu);
		if (d->dpc.Number >= MAXIMUM_PROCESSORS)
			d->want = d->dpc.Number - MAXIMUM_PROCESSORS;
	}
}

static struct task_struct *actor_start(struct actor *a, int (*fn)(void *),
				       const char *name)
{
	struct task_struct *t = kthread_create(fn, a, "%s/%u", name, a->home);

	if (IS_ERR(t))
		return NULL;
	/*
	 * Not kthread_bind(): the thread follows its CPU out and back in
	 * across hotplug (actor_go_home()).
	 */
	get_task_struct(t);
	wake_up_process(t);
	a->task = t;
	return t;
}

static void actor_stop(struct actor *a)
{
	if (!a->task)
		return;
	kthread_stop(a->task);
	put_task_struct(a->task);
	a->task = NULL;
}

#define HAMMER_DPCS	16

static unsigned int nr_actors(void)
{
	return ncpus;
}

static int stress_alloc(void)
{
	unsigned int i, cpu, n = 0, nown = owned;
	u64 rng;

	rnd_seed(&rng);
	ncpus = num_possible_cpus();
	if (ncpus > MAXIMUM_PROCESSORS)
		ncpus = MAXIMUM_PROCESSORS;
	if (!pool)
		pool = 1;
	nsds = pool + 3 * nr_actors() * nown + 2 * ncpus + 1 +
	       ncpus * HAMMER_DPCS + NR_TIMERS;
	sds = vzalloc(array_size(nsds, sizeof(*sds)));
	sts = kcalloc(NR_TIMERS, sizeof(*sts), GFP_KERNEL);
	sws = kcalloc(NR_WORK, sizeof(*sws), GFP_KERNEL);
	irq_actors = kcalloc(ncpus, sizeof(*irq_actors), GFP_KERNEL);
	passive_actors = kcalloc(nr_actors(), sizeof(*passive_actors), GFP_KERNEL);
	dispatch_actors = kcalloc(nr_actors(), sizeof(*dispatch_actors), GFP_KERNEL);
	hammer_actors = kcalloc(ncpus, sizeof(*hammer_actors), GFP_KERNEL);
	flush_actor.snap = vzalloc(array_size(nsds, sizeof(unsigned long)));
	if (!sds || !sts || !sws || !irq_actors || !passive_actors ||
	    !dispatch_actors || !hammer_actors || !flush_actor.snap)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		rnd_seed(per_cpu_ptr(&rng_dpc, cpu));
		rnd_seed(per_cpu_ptr(&rng_threaded, cpu));
	}

	shared = sds;
	for (i = 0; i < pool; i++, n++)
		sd_init(&sds[n], n, SD_SHARED, i % 3 == 2, &rng, true);

	for (i = 0; i < 3 * nr_actors(); i++) {
		struct actor *a = i < ncpus ? &irq_actors[i] :
				  i < 2 * ncpus ? &passive_actors[i - ncpus] :
				  &dispatch_actors[i - 2 * ncpus];
		unsigned int j;

		a->src = i < ncpus ? SRC_IRQ : i < 2 * ncpus ? SRC_PASSIVE :
		       SRC_DISPATCH;
		a->home = i % ncpus;
		rnd_seed(&a->rng);
		a->owned = &sds[n];
		a->nowned = nown;
		for (j = 0; j < nown; j++, n++)
			sd_init(&sds[n], n, SD_OWNED, j % 4 == 3, &rng, true);
		if (a->src == SRC_IRQ) {
			ntdpc_hrtimer_setup(&a->hr, irq_actor_fn,
					    CLOCK_MONOTONIC,
					    HRTIMER_MODE_REL_PINNED_HARD);
		}
	}

	selfq = &sds[n];
	for (i = 0; i < 2 * ncpus; i++, n++) {
		PROCESSOR_NUMBER pn = { .Group = 0, .Number = i / 2 };

		sd_init(&sds[n], n, SD_SELFQ, i & 1, &rng, false);
		if (NT_SUCCESS(KeSetTargetProcessorDpcEx(&sds[n].dpc, &pn)))
			sds[n].want = i / 2;
		sds[n].idle = 1;
	}

	for (cpu = 0; cpu < ncpus; cpu++) {
		struct actor *a = &hammer_actors[cpu];

		a->src = SRC_DISPATCH;
		a->home = cpu;
		rnd_seed(&a->rng);
		a->owned = &sds[n];
		a->nowned = HAMMER_DPCS;
		for (i = 0; i < HAMMER_DPCS; i++, n++)
			sd_init(&sds[n], n, SD_OWNED, i & 1, &rng, false);
	}

	/* On the last CPU, which the guest takes offline and online too. */
	busy = &sds[n];
	sd_init(busy, n++, SD_BUSY, true, &rng, false);
	KeSetTargetProcessorDpc(&busy->dpc, (CCHAR)(ncpus - 1));
	if (busy->dpc.Number >= MAXIMUM_PROCESSORS)
		busy->want = busy->dpc.Number - MAXIMUM_PROCESSORS;

	for (i = 0; i < NR_TIMERS; i++, n++) {
		struct st *t = &sts[i];

		t->id = i;
		t->kind = i < NR_OWNED_TIMERS / 2 ? ST_REARM :
			  i < NR_OWNED_TIMERS ? ST_PERIODIC : ST_SHARED;
		t->d = &sds[n];
		sd_init(&sds[n], n, SD_TIMER, i % 4 == 1, &rng, true);
		sds[n].timer = t;
		KeInitializeTimerEx(&t->timer, i & 1 ? SynchronizationTimer :
						       NotificationTimer);
	}
	KeInitializeTimer(&wait_timer);
	sts_ready = true;

	for (i = 0; i < NR_WORK; i++) {
		struct sw *w = &sws[i];

		w->id = i;
		w->dev = &stress_devs[i % NR_DEVS];
		rnd_seed(&w->rng);
		w->item = IoAllocateWorkItem(w->dev);
		if (!w->item)
			return -ENOMEM;
	}
	rnd_seed(&timer_actor.rng);
	rnd_seed(&flush_actor.rng);
	timer_actor.src = SRC_PASSIVE;
	flush_actor.src = SRC_PASSIVE;
	return 0;
}

static void stress_free(void)
{
	unsigned int i;

	if (sts_ready)
		for (i = 0; i < NR_TIMERS; i++)
			KeCancelTimer(&sts[i].timer);
	if (sws)
		for (i = 0; i < NR_WORK; i++)
			if (sws[i].item)
				IoFreeWorkItem(sws[i].item);
	kfree(sws);
	kfree(sts);
	vfree(sds);
	vfree(flush_actor.snap);
	kfree(irq_actors);
	kfree(passive_actors);
	kfree(dispatch_actors);
	kfree(hammer_actors);
}

static int stress_start(void)
{
	unsigned int i;
	int ret;

	/* The self-requeueing DPCs and the owned timers get going. */
	migrate_disable();
	for (i = 0; i < ncpus; i++)
		selfq_restart(i, SRC_PASSIVE);
	if (do_busy)
		selfq_insert(busy, SRC_PASSIVE);
	migrate_enable();
	if (do_timers)
		for (i = 0; i < NR_OWNED_TIMERS; i++) {
			struct st *t = &sts[i];

			if (t->kind == ST_PERIODIC)
				KeSetTimerEx(&t->timer, due_100ns(10000), 1 + i % 4,
					     &t->d->dpc);
			else
				KeSetTimer(&t->timer, due_100ns(10000), &t->d->dpc);
		}

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "ntdpc_stress:online",
				stress_cpu_online, stress_cpu_offline);
	if (ret < 0)
		return ret;
	stress_cpuhp = ret;

	for (i = 0; i < nr_actors(); i++) {
		if (do_passive)
			actor_start(&passive_actors[i], passive_fn, "stress_passive");
		if (do_dispatch)
			actor_start(&dispatch_actors[i], dispatch_fn, "stress_dispatch");
	}
	timer_actor.home = 0;
	flush_actor.home = ncpus > 1 ? 1 : 0;
	if (do_timers)
		actor_start(&timer_actor, timer_fn, "stress_timer");
	if (do_flush || do_generic)
		actor_start(&flush_actor, flush_fn, "stress_flush");
	for (i = 0; i < ncpus && do_hammer; i++)
		actor_start(&hammer_actors[i], hammer_fn, "stress_hammer");
	return 0;
}

static bool work_idle(void)
{
	unsigned int i;

	for (i = 0; i < NR_WORK; i++)
		if (atomic_read_acquire(&sws[i].busy))
			return false;
	return true;
}

static unsigned long total_activity(void)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < nsds; i++)
		sum += atomic_long_read(&sds[i].runs) +
		       atomic_long_read(&sds[i].ins_true);
	for (i = 0; i < NR_WORK; i++)
		sum += atomic_long_read(&sws[i].ran);
	return sum;
}

static unsigned int still_queued(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < nsds; i++)
		if (READ_ONCE(sds[i].dpc.DpcData))
			n++;
	return n;
}

/* Everything stops; true once nothing is queued or running any more. */
static bool stress_stop(void)
{
	unsigned long last = ULONG_MAX, now;
	unsigned int i, round;

	WRITE_ONCE(stopping, true);
	smp_mb();	/* every routine and actor that starts from now sees it */
	pr_info("STRESS STEP stopping the actors\n");
	if (stress_cpuhp > 0)
		cpuhp_remove_state(stress_cpuhp);
	for (i = 0; i < ncpus; i++)
		hrtimer_cancel(&irq_actors[i].hr);
	for (i = 0; i < nr_actors(); i++) {
		actor_stop(&passive_actors[i]);
		actor_stop(&dispatch_actors[i]);
	}
	actor_stop(&timer_actor);
	actor_stop(&flush_actor);
	for (i = 0; i < ncpus; i++)
		actor_stop(&hammer_actors[i]);

	/*
	 * Routines that saw "stopping" too late may still queue DPCs, set
	 * timers and queue work: flush and cancel until nothing moves.
	 */
	for (round = 0; round < 20; round++) {
		pr_info("STRESS STEP quiesce round %u\n", round);
		KeFlushQueuedDpcs();
		for (i = 0; i < NR_TIMERS; i++)
			KeCancelTimer(&sts[i].timer);
		for (i = 0; i < 100 && !work_idle(); i++)
			usleep_range(1000, 2000);
		KeFlushQueuedDpcs();
		now = total_activity();
		if (now == last && work_idle() && !still_queued())
			return true;
		last = now;
		usleep_range(10000, 20000);
	}
	return false;
}

static void report_rates(unsigned long ms)
{
	unsigned long all = 0, all_true = 0;
	int s;

	for (s = 0; s < SRC_NR; s++) {
		unsigned long ord_q = STAT_SUM(ins[s][0][1]), ord_f = STAT_SUM(ins[s][0][0]);
		unsigned long thr_q = STAT_SUM(ins[s][1][1]), thr_f = STAT_SUM(ins[s][1][0]);
		unsigned long tot = ord_q + ord_f + thr_q + thr_f;

		all += tot;
		all_true += ord_q + thr_q;
		pr_info("STRESS RATE source=%s inserts=%lu true=%lu per_s=%lu true_per_s=%lu ordinary_per_s=%lu threaded_per_s=%lu removes=%lu removes_true=%lu\n",
			src_name[s], tot, ord_q + thr_q, tot * 1000 / ms,
			(ord_q + thr_q) * 1000 / ms, (ord_q + ord_f) * 1000 / ms,
			(thr_q + thr_f) * 1000 / ms,
			STAT_SUM(rem[s][0]) + STAT_SUM(rem[s][1]),
			STAT_SUM(rem[s][1]));
	}
	pr_info("STRESS RATE source=all inserts=%lu true=%lu per_s=%lu true_per_s=%lu\n",
		all, all_true, all * 1000 / ms, all_true * 1000 / ms);
	pr_info("STRESS COUNT runs ordinary=%lu threaded=%lu timer_dpcs=%lu per_s=%lu\n",
		STAT_SUM(runs[0]), STAT_SUM(runs[1]), STAT_SUM(timer_runs),
		(STAT_SUM(runs[0]) + STAT_SUM(runs[1])) * 1000 / ms);
	pr_info("STRESS COUNT timers sets=%lu cancels=%lu; work queued=%lu ran=%lu; flushes=%lu generic_calls=%lu retargets=%lu hammered_offlines=%lu\n",
		STAT_SUM(timer_sets), STAT_SUM(timer_cancels),
		STAT_SUM(work_queued), STAT_SUM(work_runs), STAT_SUM(flushes),
		STAT_SUM(generic_calls), STAT_SUM(retargets),
		STAT_SUM(hammered));
}

static void check_exact(void)
{
	unsigned long ins = 0, runs = 0, rem = 0;
	unsigned int i, lost = 0, dup = 0;

	for (i = 0; i < nsds; i++) {
		struct sd *d = &sds[i];
		long it = atomic_long_read(&d->ins_true);
		long r = atomic_long_read(&d->runs);
		long rt = atomic_long_read(&d->rem_true);

		if (d->kind == SD_TIMER)
			continue;
		checked_inc(CHK_EXACT);
		ins += it;
		runs += r;
		rem += rt;
		if (it == r + rt)
			continue;
		if (it > r + rt)
			lost++;
		else
			dup++;
		violation(CHK_EXACT,
			  "%s %s DPC %u (target %d): %ld TRUE inserts, %ld runs, %ld TRUE removes (%ld FALSE inserts, %ld FALSE removes), DpcData %s",
			  d->kind == SD_SHARED ? "shared" :
			  d->kind == SD_OWNED ? "owned" :
			  d->kind == SD_BUSY ? "busy" : "self-requeueing",
			  d->threaded ? "threaded" : "ordinary", d->id, d->want,
			  it, r, rt, atomic_long_read(&d->ins_false),
			  atomic_long_read(&d->rem_false),
			  READ_ONCE(d->dpc.DpcData) ? "set" : "NULL");
	}
	verdict(CHK_EXACT,
		"%lu TRUE inserts, %lu runs, %lu TRUE removes over %u DPCs; %u lost, %u run too often",
		ins, runs, rem, nsds - NR_TIMERS, lost, dup);
}

static void check_owned_final(void)
{
	unsigned int i, j;

	for (i = 0; i < nsds; i++) {
		struct sd *d = &sds[i];

		if (d->kind != SD_OWNED)
			continue;
		for (j = 0; j < FATE_SLOTS; j++) {
			u64 f = atomic64_read(&d->fate[j]);

			if (FATE_ST(f) == F_QUEUED || FATE_ST(f) == F_RUNNING)
				violation(CHK_RUN_REMOVED,
					  "owned DPC %u: instance %u still %s after the end",
					  d->id, FATE_SEQ(f), fate_name[FATE_ST(f)]);
		}
	}
}

static void check_work_final(void)
{
	unsigned long q = 0, r = 0;
	unsigned int i;

	for (i = 0; i < NR_WORK; i++) {
		long wq = atomic_long_read(&sws[i].queued);
		long wr = atomic_long_read(&sws[i].ran);

		q += wq;
		r += wr;
		if (wq != wr)
			violation(CHK_WORK_COUNT,
				  "work item %u queued %ld times, ran %ld times",
				  i, wq, wr);
	}
	/* The reference is dropped just after the routine returns. */
	for (i = 0; i < 1000; i++) {
		bool zero = true;
		unsigned int k;

		for (k = 0; k < NR_DEVS; k++)
			zero &= !READ_ONCE(stress_devs[k].ReferenceCount);
		if (zero)
			break;
		usleep_range(1000, 2000);
	}
	for (i = 0; i < NR_DEVS; i++)
		if (READ_ONCE(stress_devs[i].ReferenceCount))
			violation(CHK_WORK_COUNT,
				  "device %u: ReferenceCount %d with nothing queued",
				  i, READ_ONCE(stress_devs[i].ReferenceCount));
	verdict(CHK_WORK_COUNT, "%lu queued, %lu ran", q, r);
}

static void check_liveness(void)
{
	unsigned int cpu;
	int s;

	for (s = 0; s < SRC_NR; s++) {
		bool on = (s == SRC_IRQ && do_irq) ||
			  ((s == SRC_DPC || s == SRC_THREADED) &&
			   (do_dpc || do_selfq || do_busy)) ||
			  (s == SRC_PASSIVE && do_passive) ||
			  (s == SRC_DISPATCH && do_dispatch) ||
			  (s == SRC_WORK && do_work && do_dpc);

		if (on && !STAT_SUM(ins[s][0][1]) && !STAT_SUM(ins[s][1][1]))
			violation(CHK_LIVENESS, "no TRUE insertion from %s",
				  src_name[s]);
	}
	for_each_possible_cpu(cpu) {
		struct stress_pcpu *p = per_cpu_ptr(&stress_pcpu, cpu);

		if (cpu_online(cpu) && !p->runs[0])
			violation(CHK_LIVENESS, "no ordinary DPC ran on CPU %u", cpu);
		if (cpu_online(cpu) && threads && !p->runs[1])
			violation(CHK_LIVENESS, "no threaded DPC ran on CPU %u", cpu);
	}
	if (do_timers && !STAT_SUM(timer_runs))
		violation(CHK_LIVENESS, "no timer DPC ran");
	if (do_work && !STAT_SUM(work_runs))
		violation(CHK_LIVENESS, "no work item ran");
	if (do_flush && !STAT_SUM(flushes))
		violation(CHK_LIVENESS, "no flush");
	if (do_generic && !STAT_SUM(generic_calls))
		violation(CHK_LIVENESS, "no generic call");
	verdict(CHK_LIVENESS, "every enabled source inserted, every online CPU ran DPCs");
}

static void stress_report(unsigned long ms, bool quiet)
{
	unsigned int n = still_queued();
	int c;

	if (!quiet || n) {
		unsigned int i, shown = 0;

		for (i = 0; i < nsds && shown < 5; i++)
			if (READ_ONCE(sds[i].dpc.DpcData)) {
				shown++;
				violation(CHK_QUIESCED,
					  "%s DPC %u (kind %u, target %d) still queued after everything stopped",
					  sds[i].threaded ? "threaded" : "ordinary",
					  sds[i].id, sds[i].kind, sds[i].want);
			}
		if (!shown)
			violation(CHK_QUIESCED,
				  "still running or queueing after 20 rounds of flushes");
	}
	checked_inc(CHK_QUIESCED);
	report_rates(ms);
	verdict(CHK_QUIESCED, "%u DPCs still queued", n);
	check_exact();
	check_owned_final();
	for (c = CHK_RUN_REMOVED; c < CHK_NR; c++) {
		if (c == CHK_WORK_COUNT) {
			check_work_final();
			continue;
		}
		if (c == CHK_LIVENESS) {
			check_liveness();
			continue;
		}
		if (c == CHK_FLUSH) {
			verdict(c, "checked %ld times, the longest flush %llu ms",
				atomic_long_read(&checked[c]), flush_max_ms);
			continue;
		}
		verdict(c, "checked %ld times", atomic_long_read(&checked[c]));
	}
	pr_info("STRESS SUMMARY: %d passed, %d failed\n", checks_passed,
		checks_failed);
}

static int stress_run(void)
{
	unsigned long start = jiffies, end, next;
	unsigned int ms;
	bool quiet;
	int ret;

	ret = stress_alloc();
	if (ret) {
		stress_free();
		return ret;
	}
	pr_info("STRESS INFO %u s on %u CPUs: %u DPCs (%u shared, %u owned per actor), %u timers, %u work items; hardirq %d dpc %d passive %d dispatch %d remove %d retarget %d flush %d timers %d workitems %d generic %d selfq %d busy %d hammer %d\n",
		duration, num_online_cpus(), nsds, pool, owned, NR_TIMERS,
		NR_WORK, do_irq, do_dpc, do_passive, do_dispatch, do_remove,
		do_retarget, do_flush, do_timers, do_work, do_generic,
		do_selfq, do_busy, do_hammer);
	ret = stress_start();
	if (ret) {
		if (stress_stop())
			stress_free();
		return ret;
	}
	end = start + duration * HZ;
	next = start + 10 * HZ;
	while (time_before(jiffies, end)) {
		msleep_interruptible(200);
		if (time_after_eq(jiffies, next)) {
			next += 10 * HZ;
			pr_info("STRESS PROGRESS %u s: %lu ordinary and %lu threaded DPCs run, %lu flushes, hotplug_gen %d\n",
				jiffies_to_msecs(jiffies - start) / 1000,
				STAT_SUM(runs[0]), STAT_SUM(runs[1]),
				STAT_SUM(flushes), atomic_read(&hotplug_gen));
		}
	}
	ms = jiffies_to_msecs(jiffies - start) ? : 1;
	quiet = stress_stop();
	stress_unsafe = still_queued() || !work_idle();
	stress_report(ms, quiet);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* mode=leave: everything left running for an immediate rmmod             */
/* ---------------------------------------------------------------------- */

/*
 * In the module's own memory, which goes away with it: ntdpc has to have
 * removed, cancelled and waited for all of it by then.
 */
#define LEAVE_MAX	4096
#define LEAVE_CPUS	MAXIMUM_PROCESSORS
#define LEAVE_REARM	16
#define LEAVE_PERIODIC	8
#define LEAVE_WORK	16

static KDPC leave_dpc[LEAVE_MAX];
static KDPC leave_thr[LEAVE_CPUS];
static struct leave_timer {
	KTIMER timer;
	KDPC dpc;
	s64 due;		/* 100 ns units */
} leave_rearm_t[LEAVE_REARM], leave_periodic_t[LEAVE_PERIODIC];
static DEVICE_OBJECT leave_dev;
/* The self-rearming timers' due times: 0.1, 1, 10 and 100 ms. */
static const s64 leave_dues[] = { 1000, 10000, 100000, 1000000 };
static struct leave_work {
	PIO_WORKITEM item;
	atomic_t busy;
	u64 rng;
} leave_w[LEAVE_WORK];
static unsigned int leave_n;

static VOID LeaveRoutine(PKDPC Dpc, PVOID DeferredContext,
			 PVOID SystemArgument1, PVOID SystemArgument2)
{
}

/*
 * Every 64th DPC keeps itself queued, and now and then another one: the
 * queues never empty, but the CPUs still get to run the rmmod.
 */
static VOID LeavePumpRoutine(PKDPC Dpc, PVOID DeferredContext,
			     PVOID SystemArgument1, PVOID SystemArgument2)
{
	u64 *rng = Dpc->Type == ThreadedDpcObject ? raw_cpu_ptr(&rng_threaded) :
						    raw_cpu_ptr(&rng_dpc);

	KeInsertQueueDpc(Dpc, NULL, NULL);
	if (rnd(rng) & 1)
		KeInsertQueueDpc(&leave_dpc[rnd_below(rng, leave_n)], NULL, NULL);
}

static VOID LeaveThreadedRoutine(PKDPC Dpc, PVOID DeferredContext,
				 PVOID SystemArgument1, PVOID SystemArgument2)
{
	KeInsertQueueDpc(Dpc, NULL, NULL);
}

/*
 * A one-shot timer whose DPC sets it again: NT's idiom for a periodic job.
 * Due in 0.1 ms to 100 ms: a timer set again while the module goes away
 * must not fire after it is gone, however late.
 */
static VOID LeaveRearmRoutine(PKDPC Dpc, PVOID DeferredContext,
			      PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct leave_timer *t = DeferredContext;

	KeSetTimer(&t->timer, due_100ns(t->due), Dpc);
}

static VOID LeaveWorkRoutine(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
	struct leave_work *w = Context;

	usleep_range(1000, 1000 + rnd_below(&w->rng, 10000));
	IoQueueWorkItem(w->item, LeaveWorkRoutine, DelayedWorkQueue, w);
}

static VOID LeavePeriodicRoutine(PKDPC Dpc, PVOID DeferredContext,
				 PVOID SystemArgument1, PVOID SystemArgument2)
{
	u64 *rng = raw_cpu_ptr(&rng_dpc);
	struct leave_work *w;

	if (!leave_work)
		return;
	w = &leave_w[rnd_below(rng, LEAVE_WORK)];
	if (w->item && atomic_cmpxchg(&w->busy, 0, 1) == 0)
		IoQueueWorkItem(w->item, LeaveWorkRoutine, CriticalWorkQueue, w);
	if (leave_dpcs && leave_n)
		KeInsertQueueDpc(&leave_dpc[rnd_below(rng, leave_n)], NULL, NULL);
}

static int leave_run(void)
{
	unsigned int i, n = num_online_cpus(), queued = 0;
	KIRQL old;
	u64 rng;

	rnd_seed(&rng);
	for_each_possible_cpu(i) {
		rnd_seed(per_cpu_ptr(&rng_dpc, i));
		rnd_seed(per_cpu_ptr(&rng_threaded, i));
	}
	leave_n = min_t(unsigned int, leave_count, LEAVE_MAX);
	if (!leave_n)
		leave_n = 1;

	if (leave_work) {
		for (i = 0; i < LEAVE_WORK; i++) {
			struct leave_work *w = &leave_w[i];

			rnd_seed(&w->rng);
			w->item = IoAllocateWorkItem(&leave_dev);
			if (w->item && i % 2 == 0) {
				atomic_set(&w->busy, 1);
				IoQueueWorkItem(w->item, LeaveWorkRoutine,
						DelayedWorkQueue, w);
			}
		}
	}

	if (leave_dpcs) {
		for (i = 0; i < leave_n; i++) {
			PKDPC d = &leave_dpc[i];
			PKDEFERRED_ROUTINE fn = i % 64 == 0 ? LeavePumpRoutine :
						LeaveRoutine;
			PROCESSOR_NUMBER pn = {
				.Group = 0, .Number = rnd_below(&rng, n),
			};

			if (i % 4 == 3)
				KeInitializeThreadedDpc(d, fn, NULL);
			else
				KeInitializeDpc(d, fn, NULL);
			KeSetImportanceDpc(d, rnd_below(&rng, 4));
			if (rnd(&rng) & 3)
				KeSetTargetProcessorDpcEx(d, &pn);
		}
		/* At DISPATCH_LEVEL, so that the local ones do not run at once. */
		KeRaiseIrql(DISPATCH_LEVEL, &old);
		for (i = 0; i < leave_n; i++)
			queued += KeInsertQueueDpc(&leave_dpc[i], NULL, NULL);
		KeLowerIrql(old);
	}

	/*
	 * Not on CPU 0: a threaded DPC that always queues itself keeps every
	 * thread below SCHED_FIFO 50 to RT throttling's 5% of its CPU, the
	 * rmmod too.
	 */
	if (leave_threaded) {
		for (i = 1; i < min_t(unsigned int, nr_cpu_ids, LEAVE_CPUS); i++) {
			PROCESSOR_NUMBER pn = { .Group = 0, .Number = i };

			if (!cpu_online(i))
				continue;
			KeInitializeThreadedDpc(&leave_thr[i], LeaveThreadedRoutine,
						NULL);
			if (NT_SUCCESS(KeSetTargetProcessorDpcEx(&leave_thr[i], &pn)))
				KeInsertQueueDpc(&leave_thr[i], NULL, NULL);
		}
	}

	if (leave_rearm) {
		for (i = 0; i < LEAVE_REARM; i++) {
			struct leave_timer *t = &leave_rearm_t[i];
			PROCESSOR_NUMBER pn = { .Group = 0, .Number = i % n };

			t->due = leave_dues[i % ARRAY_SIZE(leave_dues)];
			KeInitializeTimer(&t->timer);
			KeInitializeDpc(&t->dpc, LeaveRearmRoutine, t);
			if (i & 1)
				KeSetTargetProcessorDpcEx(&t->dpc, &pn);
			KeSetTimer(&t->timer, due_100ns(t->due), &t->dpc);
		}
	}

	if (leave_timers) {
		for (i = 0; i < LEAVE_PERIODIC; i++) {
			struct leave_timer *t = &leave_periodic_t[i];

			KeInitializeTimer(&t->timer);
			KeInitializeDpc(&t->dpc, LeavePeriodicRoutine, t);
			KeSetTimerEx(&t->timer, due_100ns(10000), 1 + i % 3, &t->dpc);
		}
	}
	pr_info("ntdpc_stress: leave: %u of %u DPCs queued, threaded %d, rearming timers %d, periodic timers %d, work items %d\n",
		queued, leave_dpcs ? leave_n : 0, leave_threaded, leave_rearm,
		leave_timers, leave_work);
	return 0;
}

static bool leave_mode;

static int __init stress_init(void)
{
	int ret;

	if (!strcmp(mode, "leave")) {
		leave_mode = true;
		return leave_run();
	}
	if (strcmp(mode, "stress"))
		return -EINVAL;
	ret = stress_run();
	if (ret)
		pr_err("ntdpc_stress: could not start: %d\n", ret);
	return ret;
}

static void __exit stress_exit(void)
{
	/*
	 * mode=leave cancels nothing, on purpose: ntdpc's unload notifier,
	 * which runs after this, must.  mode=stress stopped everything before
	 * its init returned; what it could not stop stays allocated, since a
	 * queued KDPC must not be freed.
	 */
	if (leave_mode)
		return;
	if (stress_unsafe) {
		pr_err("ntdpc_stress: DPCs or work items were still queued; their memory is leaked\n");
		return;
	}
	stress_free();
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ntdpc stress test companion");
