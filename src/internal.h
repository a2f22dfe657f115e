/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntdpc internals shared by the files in src/ and by the KUnit suites.
 * Nothing here is part of the public interface (include/ntdpc/ntddk.h).
 */
#ifndef _NTDPC_INTERNAL_H
#define _NTDPC_INTERNAL_H

#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <ntdpc/ntddk.h>
#include <ntdpc/trace.h>

#include "bh.h"
#include "compat.h"
#include "list.h"

/*
 * What the watchdog's sampler saw of one thing it watches (the routine
 * running, or the drain sequence): which one, by its count, when it first
 * saw it (0: nothing running), and whether it has reported it.
 */
struct ntdpc_watched {
	unsigned long id;
	u64 seen;
	bool reported;
};

/*
 * The DPC watchdog's sampler (watchdog.c): a per-CPU hrtimer that looks at
 * the drain while this CPU has DPC activity, the way NT's clock tick counts
 * the time a processor spends in DPCs.  Written by the sampler, in hardirq
 * context on this CPU, unless noted.
 */
struct ntdpc_watchdog {
	struct hrtimer timer;
	bool armed;			/* also written by the drain */
	bool sequence_active;		/* written by the drain */
	unsigned long sequences;	/* ended; written by the drain */
	unsigned long drains_seen;
	struct ntdpc_watched routine, sequence;
	void *sequence_fn;		/* last routine seen in the sequence */
};

struct ntdpc_call;
struct ntdpc_owner;

/*
 * ntdpc's own DPCs, one of each per CPU: the flush markers of the two
 * queues (flush.c) and the generic-call DPC (generic.c).  A repaired queue
 * puts them back (list.c), so that what waits for them never hangs.
 */
enum ntdpc_own_dpc {
	NTDPC_OWN_FLUSH,
	NTDPC_OWN_FLUSH_THREADED,
	NTDPC_OWN_GENERIC,
	NTDPC_OWN_NR,
};

/*
 * Per-CPU DPC state, the counterpart of the DPC fields of NT's KPRCB.
 * Everything below dpcs is protected by dpcs.lock unless noted.
 */
struct ntdpc_cpu {
	struct ntdpc_list dpcs;
	struct ntdpc_list threaded;	/* served by this CPU's ntdpc/N thread */

	/*
	 * DPCs aimed at this CPU go to its queues: true from the hotplug
	 * online step on the CPU, until the CPU starts going down.
	 */
	bool online;
	bool request_pending;		/* drain scheduled, not yet started */
	bool draining;			/* the drain loop is running */
	bool wake_thread;		/* PREEMPT_RT: the drain wakes ntdpc/N */

	/* NT's request-rate bookkeeping (KPRCB DpcRequestRate & co). */
	unsigned long inserted;		/* DpcCount */
	unsigned long rate_count;	/* DpcLastCount */
	unsigned long rate_jiffies;
	unsigned int rate;		/* DpcRequestRate, per tick */
	unsigned int max_depth;		/* MaximumDpcQueueDepth, adapted */
	unsigned int adjust_ticks;

	/* Delivers DPCs queued without a request within one tick. */
	struct hrtimer deliver_timer;

	struct ntdpc_bh bh;

	/*
	 * The ordinary routine running on this CPU (NULL between routines),
	 * and how many have started: what KeIsExecutingDpc() and the
	 * watchdog's sampler look at.  Written by the drain only.
	 */
	struct ntdpc_call *running;
	unsigned long routines;
	struct task_struct *drainer;	/* the task draining, while it does */

	struct ntdpc_watchdog wd;
	/*
	 * A DPC storm: the queue has not emptied since the watchdog saw this
	 * CPU drain for longer than dpc_watchdog_limit_ms (where NT would
	 * bug-check).  Set by the sampler, cleared by the drain.
	 */
	bool storm;
	/* Since when its DPC thread has had work (0: none); the thread's. */
	u64 thread_busy_since;

	/* Counters, written by this CPU's drain or under dpcs.lock. */
	unsigned long stat_drains;	/* drain passes */
	unsigned long stat_budget_exhausted;
	unsigned long stat_remote_kicks;
	unsigned long stat_redirected;
	unsigned long stat_rejected;	/* insert of an already queued DPC */
	unsigned long stat_threaded;	/* threaded DPCs queued */
	unsigned long stat_watchdog;	/* watchdog reports */
	unsigned long stat_queued_base;	/* inserted at the last stats reset */

	KDPC own[NTDPC_OWN_NR];
} ____cacheline_aligned_in_smp;

DECLARE_PER_CPU_SHARED_ALIGNED(struct ntdpc_cpu, ntdpc_cpus);

/* Tunables (queue.c, module parameters, NT registry names where NT has one). */
extern unsigned int MaximumDpcQueueDepth;
extern unsigned int MinimumDpcRate;
extern unsigned int AdjustDpcThreshold;
extern unsigned int IdealDpcRate;
extern unsigned int ntdpc_drain_budget;
extern bool ThreadDpcEnable;

/* Misuse reporting: counted always, printed once per kind per interval. */
enum ntdpc_misuse {
	NTDPC_MISUSE_BAD_DPC,		/* NULL or never-initialised KDPC */
	NTDPC_MISUSE_BAD_IMPORTANCE,
	NTDPC_MISUSE_BAD_TARGET,
	NTDPC_MISUSE_RAISE_LOWER,	/* KeRaiseIrql to a lower level */
	NTDPC_MISUSE_LOWER_HIGHER,	/* KeLowerIrql to a higher level */
	NTDPC_MISUSE_LOWER_BELOW,	/* below the level the context has */
	NTDPC_MISUSE_LOWER_IRQS_OFF,	/* below DISPATCH_LEVEL, irqs off by Linux */
	NTDPC_MISUSE_BAD_IRQL,		/* call made at a forbidden IRQL */
	NTDPC_MISUSE_ROUTINE_IRQL,	/* routine returned at another IRQL */
	NTDPC_MISUSE_GENERIC_DONE,	/* generic call without Done */
	NTDPC_MISUSE_BAD_OBJECT,	/* bad event, timer or work item */
	NTDPC_MISUSE_CORRUPT_QUEUE,	/* a DPC queue's links disagree */
	NTDPC_MISUSE_REINIT_IN_USE,	/* a queued DPC, set timer, awaited object */
	NTDPC_MISUSE_NR,
};

extern atomic_long_t ntdpc_misuse_count[NTDPC_MISUSE_NR];

/* misuse.c */
void ntdpc_misuse_init(void);
__printf(1, 2) void ntdpc_printk_deferred(const char *fmt, ...);
__printf(3, 4)
void ntdpc_report_misuse(enum ntdpc_misuse kind, unsigned long caller,
			 const char *fmt, ...);

/* dpc.c */
bool __cold ntdpc_refuse_nmi(PRKDPC dpc, const char *api,
			     unsigned long caller);
bool ntdpc_dpc_report_invalid(PRKDPC dpc, unsigned long caller);

/*
 * The Type of KeGenericCallDpc()'s own KDPCs, which its routines are handed:
 * no NT object type, so that every DPC call of a driver refuses them
 * (generic.c).
 */
#define NTDPC_GENERIC_CALL_DPC	0xc0
bool ntdpc_is_generic_dpc(PKDPC dpc);

/* Checks every entry point makes before touching a KDPC. */
static inline bool ntdpc_dpc_valid(PRKDPC dpc, unsigned long caller)
{
	if (likely(dpc && (dpc->Type == DpcObject ||
			   dpc->Type == ThreadedDpcObject) &&
		   dpc->DeferredRoutine &&
		   dpc->Importance <= MediumHighImportance))
		return true;
	return ntdpc_dpc_report_invalid(dpc, caller);
}

VOID ntdpc_io_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID Irp, PVOID Context);

/* The driver's own routine behind a DPC's: a device's DpcForIsr, say. */
static inline void *ntdpc_driver_routine(PKDEFERRED_ROUTINE routine,
					 PVOID ctx)
{
	if (unlikely(routine == ntdpc_io_dpc))
		return ((PDEVICE_OBJECT)ctx)->DpcForIsr;
	return routine;
}

static inline void *ntdpc_routine_of(PKDPC dpc)
{
	return ntdpc_driver_routine(dpc->DeferredRoutine, dpc->DeferredContext);
}

/* queue.c */
int ntdpc_queue_init(void);
void ntdpc_queue_exit(void);
bool ntdpc_enqueue(PRKDPC dpc, PVOID arg1, PVOID arg2, int cpu, bool force,
		   unsigned long caller);
void ntdpc_retire_dpcs(struct ntdpc_cpu *c);
void ntdpc_queue_cpu_online(unsigned int cpu);
void ntdpc_queue_cpu_down(unsigned int cpu);
void ntdpc_queue_cpu_dead(unsigned int cpu);
unsigned int ntdpc_purge(const struct ntdpc_owner *o);
bool ntdpc_unqueue(PRKDPC dpc, unsigned long caller);
bool ntdpc_is_list(const void *p);

/* What the drain copies out of a KDPC before calling its routine. */
struct ntdpc_call {
	PKDPC dpc;
	PKDEFERRED_ROUTINE routine;
	PVOID ctx, arg1, arg2;
	u64 queued_at;
	/*
	 * The driver's routine, taken by ntdpc_account_entry() before the
	 * call for the exit event: a DpcForIsr may free its device object.
	 */
	void *driver;
};

/* The driver's routine, for reports: derived only when one is made. */
static inline void *ntdpc_call_routine(const struct ntdpc_call *call)
{
	return ntdpc_driver_routine(call->routine, call->ctx);
}

/*
 * Take the head of a non-empty list, under its lock.  DpcData is cleared
 * before the routine is called, so the routine may queue its DPC again.
 * False if the list was found corrupt: it has then been reported and
 * repaired, and may still hold DPCs.
 */
static __always_inline bool ntdpc_list_pop(struct ntdpc_list *l,
					   struct ntdpc_call *call)
{
	PKDPC dpc = ntdpc_entry_dpc(l->head.next);

	if (unlikely(!ntdpc_list_unlink(ntdpc_dpc_entry(dpc)))) {
		ntdpc_list_corrupt(l, dpc, _THIS_IP_);
		return false;
	}
	l->depth--;
	call->dpc = dpc;
	call->routine = dpc->DeferredRoutine;
	call->ctx = dpc->DeferredContext;
	call->arg1 = dpc->SystemArgument1;
	call->arg2 = dpc->SystemArgument2;
	call->queued_at = dpc->NtdpcQueuedAt;
	/* The copies above are complete before anyone sees it unqueued. */
	smp_store_release(&dpc->DpcData, NULL);
	return true;
}

/*
 * The clock of every DPC timestamp: the monotonic clock, right over long
 * intervals.  local_clock() is cheaper where the TSC is trusted, but where it
 * is not (virtual machines, often) it is clamped to a tick past the last one
 * and under-reports a long DPC several times over, and on UML it counts
 * jiffies.  ktime_get_mono_fast_ns() reads the timekeeper without the
 * seqcount, a race KCSAN reports; the DPC paths never run in NMI context, so
 * the ordinary reader serves.
 */
static inline u64 ntdpc_clock(void)
{
	return ktime_get_ns();
}

/* Statistics (stats.c) and timing. */
DECLARE_STATIC_KEY_FALSE(ntdpc_timing);
#define ntdpc_stat_inc(x)						\
	do {								\
		typeof(x) *__s = &(x);					\
		WRITE_ONCE(*__s, READ_ONCE(*__s) + 1);			\
	} while (0)
#define ntdpc_stat_max(x, v)						\
	do {								\
		typeof(x) *__s = &(x), __v = (v);			\
		if (__v > READ_ONCE(*__s))				\
			WRITE_ONCE(*__s, __v);				\
	} while (0)

static inline void ntdpc_stamp(PKDPC dpc)
{
	dpc->NtdpcQueuedAt = static_branch_unlikely(&ntdpc_timing) ?
			     ntdpc_clock() : 0;
}

/*
 * Queue-to-start latency and runtime, for the statistics and the entry and
 * exit events: only while ntdpc_timing is on, since they cost two clock
 * reads per routine.  The run count is kept always, by the callers.
 */
static inline void ntdpc_account_entry(struct ntdpc_list *l,
				       struct ntdpc_call *call, u64 now,
				       bool threaded)
{
	u64 latency = 0;

	call->driver = ntdpc_call_routine(call);
	if (static_branch_unlikely(&ntdpc_timing) && call->queued_at &&
	    now > call->queued_at) {
		latency = now - call->queued_at;
		ntdpc_stat_max(l->stats.max_latency_ns, latency);
	}
	if (trace_ntdpc_entry_enabled())
		trace_ntdpc_entry(call->dpc, call->driver, threaded, latency);
}

static inline void ntdpc_account_exit(struct ntdpc_list *l,
				      struct ntdpc_call *call, u64 runtime,
				      bool threaded)
{
	WRITE_ONCE(l->stats.time_ns, READ_ONCE(l->stats.time_ns) + runtime);
	ntdpc_stat_max(l->stats.max_runtime_ns, runtime);
	if (trace_ntdpc_exit_enabled())
		trace_ntdpc_exit(call->dpc, call->driver, threaded, runtime);
}

int ntdpc_stats_init(void);
void ntdpc_stats_exit(void);
void ntdpc_stats_reset(void);

/* watchdog.c */
extern unsigned int dpc_time_limit_us;
extern unsigned int dpc_watchdog_limit_ms;
void ntdpc_watchdog_init_cpu(struct ntdpc_cpu *c);
void ntdpc_watchdog_exit_cpu(struct ntdpc_cpu *c);
void ntdpc_watchdog_arm(struct ntdpc_cpu *c);

/* A drain pass starts: the sampler must be watching. */
static inline void ntdpc_watchdog_pass(struct ntdpc_cpu *c)
{
	WRITE_ONCE(c->wd.sequence_active, true);
	if (unlikely(!READ_ONCE(c->wd.armed)))
		ntdpc_watchdog_arm(c);
}

/* The drain found its queue empty: this CPU leaves DISPATCH_LEVEL. */
static inline void ntdpc_watchdog_sequence_end(struct ntdpc_cpu *c)
{
	WRITE_ONCE(c->wd.sequence_active, false);
	WRITE_ONCE(c->wd.sequences, c->wd.sequences + 1);
}

/*
 * Real-time priorities.  Threaded DPCs run where threaded interrupt
 * handlers do (sched_set_fifo()'s 50).  On PREEMPT_RT ordinary DPCs run in
 * threads too (bh_thread.c), and keep NT's order there: below interrupt
 * handlers, above threaded DPCs.
 */
#define NTDPC_PRIO_IRQ_THREAD	(MAX_RT_PRIO / 2)
#define NTDPC_PRIO_DISPATCH	(NTDPC_PRIO_IRQ_THREAD - 1)
#define NTDPC_PRIO_THREADED	(IS_ENABLED(CONFIG_PREEMPT_RT) ?	\
				 NTDPC_PRIO_DISPATCH - 1 : NTDPC_PRIO_IRQ_THREAD)
void ntdpc_set_fifo(struct task_struct *p, int prio);

/* threaded.c */
int ntdpc_threads_init(void);
void ntdpc_threads_exit(void);
bool ntdpc_in_threaded_dpc(void);
void ntdpc_thread_wake(unsigned int cpu);
struct task_struct *ntdpc_thread_of(unsigned int cpu);

/* irql.c */
enum ntdpc_context {
	NTDPC_CTX_TASK,
	NTDPC_CTX_SOFTIRQ,
	NTDPC_CTX_HARDIRQ,
	NTDPC_CTX_NMI,
	NTDPC_CTX_NR,
};

/*
 * What a task raised to in one context, on this CPU: 0 if nothing.  A
 * raised task cannot leave its CPU (preemption, bottom halves or interrupts
 * are off; on PREEMPT_RT bottom halves off pin it, but it can be
 * preempted), so a CPU keeps the slots of the tasks raised on it: on
 * PREEMPT_RT several may be at DISPATCH_LEVEL at once, each preempted by
 * the next.
 */
struct ntdpc_irql_slot {
	struct task_struct *owner;
	KIRQL raised;
	KIRQL floor;		/* where its first raise started */
};

#define NTDPC_IRQL_SLOTS	(IS_ENABLED(CONFIG_PREEMPT_RT) ? 8 : 1)

struct ntdpc_irql {
	struct ntdpc_irql_slot slot[NTDPC_CTX_NR][NTDPC_IRQL_SLOTS];
};

DECLARE_PER_CPU(struct ntdpc_irql, ntdpc_irql);

/* The context the caller runs in, for its IRQL slot. */
static __always_inline unsigned int ntdpc_ctx(void)
{
	if (in_nmi())
		return NTDPC_CTX_NMI;
	if (in_hardirq())
		return NTDPC_CTX_HARDIRQ;
	if (in_serving_softirq())
		return NTDPC_CTX_SOFTIRQ;
	return NTDPC_CTX_TASK;
}

/* The current task's slot of a context on this CPU, or NULL. */
static __always_inline struct ntdpc_irql_slot *
ntdpc_irql_slot_of(struct ntdpc_irql *q, unsigned int ctx)
{
	int i;

	for (i = 0; i < NTDPC_IRQL_SLOTS; i++)
		if (READ_ONCE(q->slot[ctx][i].owner) == current)
			return &q->slot[ctx][i];
	return NULL;
}

/*
 * The drain's check after each routine, cheaper than KeGetCurrentIrql():
 * draining, so DISPATCH_LEVEL unless interrupts were left off or a raise
 * was left standing.
 */
static inline bool ntdpc_irql_is_drain_level(void)
{
	struct ntdpc_irql_slot *s;

	if (irqs_disabled())
		return false;
	s = ntdpc_irql_slot_of(raw_cpu_ptr(&ntdpc_irql), ntdpc_ctx());
	return !s || s->raised == DISPATCH_LEVEL;
}

/*
 * A task's way to DISPATCH_LEVEL and back: bottom halves off, and on
 * PREEMPT_RT, where that does not stop preemption, the CPU's dispatch lock
 * (irql.c), which the drain's thread holds too.
 */
#ifdef CONFIG_PREEMPT_RT
void ntdpc_dispatch_enter(void);
void ntdpc_dispatch_exit(void);
void ntdpc_dispatch_lower(void);
void ntdpc_dispatch_run_requested(void);
#else
static inline void ntdpc_dispatch_enter(void)
{
	local_bh_disable();
}

static inline void ntdpc_dispatch_exit(void)
{
	local_bh_enable();
}

/* local_bh_enable() runs the pending softirqs, the drain's among them. */
static inline void ntdpc_dispatch_lower(void)
{
	local_bh_enable();
}

static inline void ntdpc_dispatch_run_requested(void)
{
}
#endif

/* Bottom halves on again with interrupts off: no softirq runs here. */
static inline void ntdpc_dispatch_exit_irqs_off(void)
{
#ifndef CONFIG_PREEMPT_RT
	_local_bh_enable();
#endif
}

void ntdpc_irql_repair_passive(unsigned long caller);

KIRQL ntdpc_raise_irql(KIRQL new, unsigned long caller);
void ntdpc_lower_irql(KIRQL new, unsigned long caller);
void ntdpc_irql_reset_context(void);
bool ntdpc_passive_only(const char *api, unsigned long caller);
bool ntdpc_in_ordinary_dpc(void);

/* flush.c */
void ntdpc_flush_all(void);

/* unload.c */
#ifdef CONFIG_MODULES
int ntdpc_unload_init(void);
void ntdpc_unload_exit(void);
#else
static inline int ntdpc_unload_init(void) { return 0; }
static inline void ntdpc_unload_exit(void) { }
#endif

/* quiesce.c: what belongs to something going away, by address. */
struct ntdpc_owner {
	bool (*owns)(const void *addr, const void *arg);
	const void *arg;
};

/* What ntdpc_quiesce() found of it. */
struct ntdpc_quiesced {
	unsigned int timers;	/* set, cancelled */
	unsigned int dpcs;	/* queued, removed */
	unsigned int work;	/* queued, cancelled */
	unsigned int refused;	/* settings and insertions refused meanwhile */
};

void ntdpc_quiesce(const struct ntdpc_owner *o, struct ntdpc_quiesced *q);
bool ntdpc_owns_dpc(const struct ntdpc_owner *o, PKDPC dpc);
bool ntdpc_owns_timer(const struct ntdpc_owner *o, PKTIMER timer, PKDPC dpc);
bool ntdpc_owns_work(const struct ntdpc_owner *o, void *routine,
		     PDEVICE_OBJECT dev);
/*
 * The refusal checks, made with interrupts off or under rcu_read_lock()
 * while something is being quiesced (ntdpc_quiescing()): true refuses (and
 * counts) the call.
 */
extern const struct ntdpc_owner *ntdpc_quiesce_owner;

static __always_inline bool ntdpc_quiescing(void)
{
	return unlikely(READ_ONCE(ntdpc_quiesce_owner));
}

bool ntdpc_quiesce_refuses_dpc(PKDPC dpc);
bool ntdpc_quiesce_refuses_timer(PKTIMER timer, PKDPC dpc);
bool ntdpc_quiesce_refuses_work(void *routine, PDEVICE_OBJECT dev);

/* dispatcher.c */
bool ntdpc_header_valid(DISPATCHER_HEADER *h);
bool ntdpc_header_init(DISPATCHER_HEADER *h, UCHAR type, LONG state,
		       unsigned long caller);
LONG ntdpc_header_signal(DISPATCHER_HEADER *h);
LONG ntdpc_header_reset(DISPATCHER_HEADER *h);

/* time.c */
LONGLONG ntdpc_system_time(void);
LONGLONG ntdpc_mono_to_system(ktime_t mono);
ktime_t ntdpc_due_to_expiry(LONGLONG due);

/* timer.c */
void ntdpc_timers_init(void);
unsigned int ntdpc_cancel_timers(const struct ntdpc_owner *o);

/* workitem.c */
int ntdpc_workitems_init(void);
void ntdpc_workitems_exit(void);
unsigned int ntdpc_cancel_workitems(const struct ntdpc_owner *o);
void ntdpc_flush_workitems(void);

/* cpu.c */
int ntdpc_hotplug_init(void);
void ntdpc_hotplug_exit(void);

/* A targeted DPC's Number: MAXIMUM_PROCESSORS + CPU, as on NT; 0 = untargeted. */
static inline bool ntdpc_dpc_targeted(unsigned int number)
{
	return number >= MAXIMUM_PROCESSORS;
}

#endif /* _NTDPC_INTERNAL_H */
