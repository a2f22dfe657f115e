// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU DPC queues: insertion, NT's request rules, and the drain
 * (NT's KiRetireDpcList).
 *
 * Each CPU owns one queue with its own raw spinlock; insert and drain take
 * only that lock, with local interrupts off, so no global lock or shared
 * cache line sits on the hot path.  KDPC.DpcData is the "queued" marker: it
 * is set by compare-and-swap under the target queue's lock (so two CPUs
 * inserting the same KDPC into two queues cannot both win) and cleared by the
 * drain, under the same lock, before the routine is called.
 *
 * Whether an insertion asks for the drain at once follows NT: High,
 * MediumHigh and Medium on the current CPU do; Low does only when the queue
 * is deeper than MaximumDpcQueueDepth or the request rate is below
 * MinimumDpcRate.  On another CPU only High and MediumHigh (or a deep queue)
 * kick at once.  Nothing is requested while the target's drain is running or
 * already scheduled.  Whatever is queued without a request is delivered by
 * the deliver timer within one tick, which also adapts the queue depth the
 * way NT's clock tick does.
 *
 * A CPU's queues take DPCs while the CPU is online in ntdpc's eyes
 * (c->online, from its hotplug online step until it starts going down);
 * a DPC aimed at a CPU that is not goes to the inserting CPU, or, if that
 * one is going down too, to another that is online.
 */
#include <linux/cpu.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>

#include "internal.h"

/* NT's defaults (KiMaximumDpcQueueDepth & co, HKLM\...\Session Manager\Kernel). */
unsigned int MaximumDpcQueueDepth = 4;
module_param(MaximumDpcQueueDepth, uint, 0644);
MODULE_PARM_DESC(MaximumDpcQueueDepth,
		 "Queue depth past which Low/remote DPCs request delivery (NT default 4)");

unsigned int MinimumDpcRate = 3;
module_param(MinimumDpcRate, uint, 0644);
MODULE_PARM_DESC(MinimumDpcRate,
		 "DPC requests per tick below which Low DPCs request delivery (NT default 3)");

unsigned int AdjustDpcThreshold = 20;
module_param(AdjustDpcThreshold, uint, 0644);
MODULE_PARM_DESC(AdjustDpcThreshold,
		 "Ticks between steps of the adapted queue depth back up (NT default 20)");

unsigned int IdealDpcRate = 20;
module_param(IdealDpcRate, uint, 0644);
MODULE_PARM_DESC(IdealDpcRate,
		 "Request rate below which the adapted queue depth shrinks (NT default 20)");

/*
 * A budget of 0 would let no drain and no DPC thread run anything (nor a
 * flush's markers, so KeFlushQueuedDpcs() and unloads would wait for ever):
 * refused, as other values outside 1..UINT_MAX are.
 */
static int ntdpc_drain_budget_set(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, UINT_MAX);
}

static const struct kernel_param_ops ntdpc_drain_budget_ops = {
	.set = ntdpc_drain_budget_set,
	.get = param_get_uint,
};

unsigned int ntdpc_drain_budget = 64;
module_param_cb(drain_budget, &ntdpc_drain_budget_ops, &ntdpc_drain_budget,
		0644);
MODULE_PARM_DESC(drain_budget,
		 "DPCs one drain pass runs before it yields and reschedules itself (at least 1)");

DEFINE_PER_CPU_SHARED_ALIGNED(struct ntdpc_cpu, ntdpc_cpus);

/*
 * NT's per-tick rate: rate = (DPCs queued in the last tick + rate) / 2,
 * computed lazily at the first insertion of a new tick; every further
 * elapsed tick with no insertions halves it again.  Idle ticks also walk the
 * adapted depth back towards MaximumDpcQueueDepth every AdjustDpcThreshold.
 */
static noinline void ntdpc_update_rate_tick(struct ntdpc_cpu *c,
					    unsigned long now)
{
	unsigned long ticks = now - c->rate_jiffies;

	c->rate = (unsigned int)((c->inserted - c->rate_count) + c->rate) / 2;
	if (ticks > 1)
		c->rate >>= min(ticks - 1, 31UL);
	c->rate_count = c->inserted;
	c->rate_jiffies = now;

	c->adjust_ticks += min(ticks, (unsigned long)UINT_MAX / 2);
	if (c->adjust_ticks >= READ_ONCE(AdjustDpcThreshold)) {
		c->adjust_ticks = 0;
		if (c->max_depth < READ_ONCE(MaximumDpcQueueDepth))
			c->max_depth++;
	}
	if (c->max_depth > READ_ONCE(MaximumDpcQueueDepth))
		c->max_depth = READ_ONCE(MaximumDpcQueueDepth);
}

static __always_inline void ntdpc_update_rate(struct ntdpc_cpu *c)
{
	unsigned long now = jiffies;

	if (unlikely(now != c->rate_jiffies))
		ntdpc_update_rate_tick(c, now);
}

/*
 * NT's KiInsertQueueDpc request rule for an ordinary DPC just queued on @c
 * with @importance, @local if @c is the inserting CPU's; under c->dpcs.lock.
 */
static __always_inline bool ntdpc_want_request(struct ntdpc_cpu *c,
					       UCHAR importance, bool local)
{
	if (c->dpcs.depth > c->max_depth)
		return true;
	if (importance == HighImportance || importance == MediumHighImportance)
		return true;
	if (!local)
		return false;
	if (importance == MediumImportance)
		return true;
	return c->rate < READ_ONCE(MinimumDpcRate);
}

/* No drain is running on @c or asked for: what is queued waits for one. */
static __always_inline bool ntdpc_drain_idle(struct ntdpc_cpu *c)
{
	return !c->draining && !c->request_pending;
}

/*
 * Claim @c's drain for the caller, who kicks it once the lock is dropped;
 * false if a drain is running or already asked for, which will see what the
 * caller queued.  Under c->dpcs.lock.
 */
static __always_inline bool ntdpc_claim_drain(struct ntdpc_cpu *c)
{
	if (!ntdpc_drain_idle(c))
		return false;
	c->request_pending = true;
	return true;
}

/*
 * Deliver what is queued on @c within a tick.  hrtimer_is_queued(), not
 * hrtimer_active(): the latter is also true while the timer's routine runs,
 * which may already have looked at the queue and found it empty.
 */
static void ntdpc_arm_deliver(struct ntdpc_cpu *c)
{
	if (!hrtimer_is_queued(&c->deliver_timer))
		hrtimer_start(&c->deliver_timer,
			      ns_to_ktime(jiffies_to_nsecs(1)), HRTIMER_MODE_REL);
}

/*
 * The periodic part of NT's DPC delivery: a queue that holds DPCs nobody
 * asked to deliver gets its drain now, at most one tick after they were
 * queued.  As on NT's clock tick, a low request rate shrinks the depth at
 * which Low DPCs request delivery on their own.
 */
static enum hrtimer_restart ntdpc_deliver_timer_fn(struct hrtimer *t)
{
	struct ntdpc_cpu *c = container_of(t, struct ntdpc_cpu, deliver_timer);
	unsigned long flags;
	bool kick = false;

	raw_spin_lock_irqsave(&c->dpcs.lock, flags);
	ntdpc_update_rate(c);
	if (!list_empty(&c->dpcs.head) && c->online &&
	    ntdpc_claim_drain(c)) {
		if (c->rate < READ_ONCE(IdealDpcRate) && c->max_depth > 1)
			c->max_depth--;
		kick = true;
	}
	raw_spin_unlock(&c->dpcs.lock);
	if (kick)
		ntdpc_bh_kick(c);
	local_irq_restore(flags);
	return HRTIMER_NORESTART;
}

/*
 * The queue lock on the insertion and drain paths, inline.  Kernels built
 * without CONFIG_INLINE_SPIN_LOCK (Debian's among them) call out of line for
 * raw_spin_lock() and raw_spin_unlock(); on an insertion that is two calls
 * and returns of a path a tasklet does in one (Documentation/performance.rst).
 * These are the bodies such a call runs, from <linux/spinlock_api_smp.h>,
 * lockdep annotations included, and always inline: the compiler otherwise
 * made an out-of-line copy of the unlock for the drain loop.  Where those
 * bodies call out of line themselves into unexported code
 * (CONFIG_DEBUG_SPINLOCK, which lockdep selects), or do not exist
 * (GENERIC_LOCKBREAK, uniprocessor), the ordinary calls are used.
 *
 * Both paths hold the lock with interrupts off, so the preempt_count round
 * trip could go; measured under TCG that made the drain slower (110 ns a
 * DPC against 80), so it stays, as in the kernel's bodies.
 */
#if defined(CONFIG_SMP) && !defined(CONFIG_DEBUG_SPINLOCK) && \
	!defined(CONFIG_GENERIC_LOCKBREAK)
static __always_inline void ntdpc_queue_lock(struct ntdpc_list *l)
{
	preempt_disable();
	spin_acquire(&l->lock.dep_map, 0, 0, _RET_IP_);
	do_raw_spin_lock(&l->lock);
}

static __always_inline void ntdpc_queue_unlock(struct ntdpc_list *l)
{
	spin_release(&l->lock.dep_map, _RET_IP_);
	do_raw_spin_unlock(&l->lock);
	preempt_enable();
}

static __always_inline void ntdpc_queue_lock_irq(struct ntdpc_list *l)
{
	local_irq_disable();
	ntdpc_queue_lock(l);
}

static __always_inline void ntdpc_queue_unlock_irq(struct ntdpc_list *l)
{
	spin_release(&l->lock.dep_map, _RET_IP_);
	do_raw_spin_unlock(&l->lock);
	local_irq_enable();
	preempt_enable();
}
#else
#define ntdpc_queue_lock(l)		raw_spin_lock(&(l)->lock)
#define ntdpc_queue_unlock(l)		raw_spin_unlock(&(l)->lock)
#define ntdpc_queue_lock_irq(l)		raw_spin_lock_irq(&(l)->lock)
#define ntdpc_queue_unlock_irq(l)	raw_spin_unlock_irq(&(l)->lock)
#endif

/*
 * The insertion's slow path: @entry's neighbours-to-be disagree.  Next to
 * itself, the KDPC is already linked (its DpcData was cleared behind
 * ntdpc's back while it was queued): refused.  Else the list is repaired
 * and the KDPC linked into what remains of it.
 */
static noinline bool ntdpc_list_link_slow(struct ntdpc_list *l,
					  struct list_head *entry,
					  bool head, unsigned long caller)
{
	if (entry == l->head.next || entry == l->head.prev) {
		ntdpc_report_misuse(NTDPC_MISUSE_CORRUPT_QUEUE, caller,
				    "KDPC %p is already linked on the DPC queue of CPU %u (its DpcData overwritten?)",
				    ntdpc_entry_dpc(entry), l->cpu);
		return false;
	}
	ntdpc_list_corrupt(l, ntdpc_entry_dpc(head ? l->head.next :
						      l->head.prev), caller);
	return head ? ntdpc_list_link(entry, &l->head, l->head.next) :
		      ntdpc_list_link(entry, l->head.prev, &l->head);
}

/*
 * The insertion proper, under the list's lock: DpcData from NULL to this
 * list by compare-and-swap (the same KDPC may be racing into another CPU's
 * list), the system arguments only if that won, then head or tail.
 */
static __always_inline bool ntdpc_list_insert(struct ntdpc_list *l,
					      PRKDPC dpc, PVOID arg1,
					      PVOID arg2, UCHAR importance,
					      unsigned long caller)
{
	struct list_head *entry = ntdpc_dpc_entry(dpc);
	bool head = importance == HighImportance;
	bool linked;

	if (unlikely(cmpxchg(&dpc->DpcData, NULL, (PVOID)l)))
		return false;
	if (head)
		linked = ntdpc_list_link(entry, &l->head, l->head.next);
	else
		linked = ntdpc_list_link(entry, l->head.prev, &l->head);
	if (unlikely(!linked) &&
	    !ntdpc_list_link_slow(l, entry, head, caller)) {
		WRITE_ONCE(dpc->DpcData, NULL);
		return false;
	}
	dpc->SystemArgument1 = arg1;
	dpc->SystemArgument2 = arg2;
	ntdpc_stamp(dpc);
	l->depth++;
	return true;
}

/*
 * A threaded DPC goes on the CPU's second list, served by its ntdpc/N
 * thread; importance only decides head or tail.  Called under c->dpcs.lock,
 * which also orders it against the CPU going offline.  The thread is woken
 * when the list becomes non-empty: it drains until empty, so a non-empty
 * list already has a wake-up on its way.
 */
enum ntdpc_threaded_queued {
	NTDPC_THREADED_REJECTED,	/* already queued */
	NTDPC_THREADED_QUEUED,
	NTDPC_THREADED_WAKE,		/* queued on an empty list: wake ntdpc/N */
};

static noinline enum ntdpc_threaded_queued
ntdpc_enqueue_threaded(struct ntdpc_cpu *c, PRKDPC dpc, PVOID arg1,
		       PVOID arg2, UCHAR importance, unsigned long caller)
{
	struct ntdpc_list *l = &c->threaded;
	bool queued, wake;

	raw_spin_lock(&l->lock);
	wake = list_empty(&l->head);
	queued = ntdpc_list_insert(l, dpc, arg1, arg2, importance, caller);
	if (queued && trace_ntdpc_queue_enabled())
		trace_ntdpc_queue(dpc, ntdpc_routine_of(dpc), l->cpu,
				  importance, true, importance == HighImportance,
				  l->depth, caller);
	raw_spin_unlock(&l->lock);
	if (!queued) {
		ntdpc_stat_inc(c->stat_rejected);
		return NTDPC_THREADED_REJECTED;
	}
	ntdpc_stat_inc(c->stat_threaded);
	return wake ? NTDPC_THREADED_WAKE : NTDPC_THREADED_QUEUED;
}

/*
 * An ordinary DPC is on the CPU's queue; NT's rules decide whether to ask
 * for the drain now (the return value) or leave it to the delivery tick.
 * Called under c->dpcs.lock, after the insertion.
 */
static __always_inline bool ntdpc_request(struct ntdpc_cpu *c,
					  UCHAR importance, bool local,
					  bool force)
{
	ntdpc_update_rate(c);
	WRITE_ONCE(c->inserted, c->inserted + 1);

	/*
	 * A drain running or asked for will see this DPC: the rules need not
	 * be asked, which keeps the insertions of a batch short.
	 */
	if (!ntdpc_drain_idle(c))
		return false;
	if (!force && !ntdpc_want_request(c, importance, local)) {
		ntdpc_arm_deliver(c);
		return false;
	}
	if (!ntdpc_claim_drain(c))	/* it is idle: the claim holds */
		return false;
	if (!local)
		ntdpc_stat_inc(c->stat_remote_kicks);
	return true;
}

/*
 * The target CPU's queues do not take DPCs (it went offline, or is coming
 * up or going down): use the inserting CPU's, or if that one is going down
 * too, the first online CPU whose queues do.  Called with @c's lock held,
 * returns the CPU chosen (its c->dpcs.cpu), with its lock held.  The CPU
 * is not passed back through a pointer: the insertion would then take the
 * address of a local, and pay for a stack canary on every call.
 */
static noinline struct ntdpc_cpu *ntdpc_redirect(struct ntdpc_cpu *c)
{
	int to = smp_processor_id();

	for (;;) {
		raw_spin_unlock(&c->dpcs.lock);
		c = per_cpu_ptr(&ntdpc_cpus, to);
		raw_spin_lock(&c->dpcs.lock);
		if (likely(c->online))
			break;
		/* Hotplug is under way here; another CPU is online. */
		to = cpumask_next(to, cpu_online_mask);
		if (to >= nr_cpu_ids)
			to = cpumask_first(cpu_online_mask);
	}
	ntdpc_stat_inc(c->stat_redirected);
	return c;
}

/* What ntdpc_insert() did, for its caller at PASSIVE_LEVEL. */
#define NTDPC_INSERT_QUEUED		BIT(0)
#define NTDPC_INSERT_KICKED_HERE	BIT(1)	/* a drain of this CPU asked for */

/*
 * The insertion behind KeInsertQueueDpc() and ntdpc_enqueue(), which say
 * what the arguments are, at DISPATCH_LEVEL or above: bottom halves or
 * interrupts are off, or this is an interrupt handler.
 *
 * The path of an ordinary DPC is kept to one function with nothing called
 * but the kick: everything else (threaded DPCs, an offline target, tracing,
 * a module being unloaded, a caller at PASSIVE_LEVEL) is out of line, so
 * that the path keeps few values live and spills few.  The queue event is
 * made under the lock: once it drops, the routine may have run on the
 * target CPU and freed the KDPC, or the device object behind it.
 */
static __always_inline unsigned int ntdpc_insert(PRKDPC dpc, PVOID arg1,
						 PVOID arg2, int cpu,
						 bool force,
						 unsigned long caller)
{
	UCHAR importance = READ_ONCE(dpc->Importance);
	bool queued, kick = false, wake = false;
	struct ntdpc_cpu *c;
	unsigned long flags;
	bool local;

	local_irq_save(flags);

	/* A module going away may not queue new DPCs: see ntdpc_quiesce(). */
	if (ntdpc_quiescing() &&
	    ntdpc_quiesce_refuses_dpc(dpc)) {
		local_irq_restore(flags);
		return 0;
	}

	local = cpu < 0 || cpu == smp_processor_id();
	c = local ? this_cpu_ptr(&ntdpc_cpus) : per_cpu_ptr(&ntdpc_cpus, cpu);
	ntdpc_queue_lock(&c->dpcs);
	if (unlikely(!c->online)) {
		c = ntdpc_redirect(c);
		local = c->dpcs.cpu == smp_processor_id();
	}

	if (unlikely(dpc->Type == ThreadedDpcObject) &&
	    READ_ONCE(ThreadDpcEnable)) {
		enum ntdpc_threaded_queued how;

		how = ntdpc_enqueue_threaded(c, dpc, arg1, arg2, importance,
					     caller);
		queued = how != NTDPC_THREADED_REJECTED;
		/* The wake-up takes scheduler locks: not inside ours. */
		wake = how == NTDPC_THREADED_WAKE;
		/*
		 * On PREEMPT_RT the thread would start at once, before the
		 * ordinary DPCs of a CPU at DISPATCH_LEVEL: the drain wakes
		 * it, after them, as NT's DPC interrupt runs first.
		 */
		if (IS_ENABLED(CONFIG_PREEMPT_RT) && wake) {
			wake = false;
			c->wake_thread = true;
			kick = ntdpc_claim_drain(c);
		}
	} else {
		queued = ntdpc_list_insert(&c->dpcs, dpc, arg1, arg2,
					   importance, caller);
		if (likely(queued)) {
			kick = ntdpc_request(c, importance, local, force);
			if (trace_ntdpc_queue_enabled())
				trace_ntdpc_queue(dpc, ntdpc_routine_of(dpc),
						  c->dpcs.cpu, importance,
						  false,
						  importance == HighImportance,
						  c->dpcs.depth, caller);
		} else {
			ntdpc_stat_inc(c->stat_rejected);
		}
	}
	ntdpc_queue_unlock(&c->dpcs);

	if (kick) {
		if (local)
			ntdpc_bh_kick_local(&c->bh);
		else
			ntdpc_bh_kick(c);
	}
	if (unlikely(wake))
		ntdpc_thread_wake(c->dpcs.cpu);
	local_irq_restore(flags);
	return (queued ? NTDPC_INSERT_QUEUED : 0) |
	       (kick && local ? NTDPC_INSERT_KICKED_HERE : 0);
}

/*
 * The insertion at PASSIVE_LEVEL or APC_LEVEL.  Bottom halves are held
 * around it, so that a DPC queued on the current CPU has run by the time
 * this returns: local_bh_enable() is Linux's "IRQL drops below
 * DISPATCH_LEVEL".  They are held before interrupts go off: on PREEMPT_RT
 * local_bh_disable() takes a per-CPU lock, which it may only do with
 * interrupts on.
 */
static noinline bool ntdpc_insert_passive(PRKDPC dpc, PVOID arg1, PVOID arg2,
					  int cpu, bool force,
					  unsigned long caller)
{
	unsigned int how;

	local_bh_disable();
	how = ntdpc_insert(dpc, arg1, arg2, cpu, force, caller);
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && (how & NTDPC_INSERT_KICKED_HERE)) {
		/*
		 * On PREEMPT_RT local_bh_enable() runs no drain (it is a
		 * thread's): the DPCs requested of this CPU run here, before
		 * KeInsertQueueDpc() returns, as on NT.  On this CPU: preempted
		 * by the dispatch thread meanwhile, the task must not be
		 * pulled to another one and return while they still run.
		 */
		migrate_disable();
		local_bh_enable();
		ntdpc_dispatch_run_requested();
		migrate_enable();
	} else {
		local_bh_enable();
	}
	return how & NTDPC_INSERT_QUEUED;
}

/* The insertion at any IRQL. */
static __always_inline bool __ntdpc_enqueue(PRKDPC dpc, PVOID arg1,
					    PVOID arg2, int cpu, bool force,
					    unsigned long caller)
{
	if (!in_interrupt() && !irqs_disabled())
		return ntdpc_insert_passive(dpc, arg1, arg2, cpu, force,
					    caller);
	return ntdpc_insert(dpc, arg1, arg2, cpu, force, caller) &
	       NTDPC_INSERT_QUEUED;
}

/**
 * ntdpc_enqueue() - queue a DPC on a CPU's queue, for ntdpc's own callers
 * @dpc: an initialised DPC
 * @arg1: SystemArgument1, stored only if the DPC is queued by this call
 * @arg2: SystemArgument2, likewise
 * @cpu: target CPU, or -1 for the current CPU
 * @force: request delivery at once whatever the importance (flush markers)
 * @caller: return address reported by the ntdpc_queue tracepoint
 *
 * Return: true if the DPC was queued, false if it was already queued.
 */
bool ntdpc_enqueue(PRKDPC dpc, PVOID arg1, PVOID arg2, int cpu, bool force,
		   unsigned long caller)
{
	return __ntdpc_enqueue(dpc, arg1, arg2, cpu, force, caller);
}

/**
 * KeInsertQueueDpc() - queue a DPC
 * @Dpc: an initialised DPC
 * @SystemArgument1: third argument of the routine
 * @SystemArgument2: fourth argument of the routine
 *
 * Callable at any IRQL, hardirq context included, NMI context not (the
 * CPU may hold the queue lock under the NMI).  The DPC goes to its
 * target CPU's queue (KeSetTargetProcessorDpc()), or to the current CPU's;
 * HighImportance at the head, every other importance at the tail.  Queued at
 * PASSIVE_LEVEL on the current CPU (and not Low), it has run by the time this
 * returns; queued at DISPATCH_LEVEL or above, it runs once the CPU drops
 * below DISPATCH_LEVEL.
 *
 * Return: TRUE if queued.  FALSE if it was already queued, in which case
 * nothing changes, the system arguments included; FALSE also for a NULL or
 * uninitialised DPC or a call from an NMI handler, which are reported.
 */
BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
			 PVOID SystemArgument2)
{
	unsigned int number;
	int cpu = -1;

	if (unlikely(in_nmi()))
		return ntdpc_refuse_nmi(Dpc, __func__, _RET_IP_);
	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return FALSE;
	number = READ_ONCE(Dpc->Number);
	if (ntdpc_dpc_targeted(number)) {
		cpu = number - MAXIMUM_PROCESSORS;
		if (unlikely(cpu >= nr_cpu_ids)) {
			ntdpc_report_misuse(NTDPC_MISUSE_BAD_TARGET, _RET_IP_,
					    "KDPC %p targets CPU %d, which cannot exist",
					    Dpc, cpu);
			return FALSE;
		}
	}
	/* Inline: a driver's insertion is one call, as a tasklet's is. */
	return __ntdpc_enqueue(Dpc, SystemArgument1, SystemArgument2, cpu,
			       false, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeInsertQueueDpc);

/* A routine came back at another IRQL than it was called at. */
static noinline void ntdpc_check_routine_irql(PKDEFERRED_ROUTINE routine)
{
	KIRQL irql = KeGetCurrentIrql();

	ntdpc_report_misuse(NTDPC_MISUSE_ROUTINE_IRQL, (unsigned long)routine,
			    "DPC routine returned at IRQL %u, not DISPATCH_LEVEL",
			    irql);
	/* Repair what we can so the next routine starts at DISPATCH_LEVEL. */
	ntdpc_irql_reset_context();
	if (irqs_disabled())
		local_irq_enable();
}

/* One ordinary routine, as the drain runs it while nothing is timed. */
static __always_inline void ntdpc_run(struct ntdpc_cpu *c,
				      struct ntdpc_call *call)
{
	WRITE_ONCE(c->routines, c->routines + 1);
	WRITE_ONCE(c->running, call);
	call->routine(call->dpc, call->ctx, call->arg1, call->arg2);
	WRITE_ONCE(c->running, NULL);
}

/*
 * The same with the queue-to-start latency and the runtime measured, from
 * one clock read per routine: @mark is when the drain turned to this DPC
 * (the pass's start, or the end of the routine before it; 0 if not taken),
 * the return value when its routine returned.  So a pass of n routines
 * reads the clock n + 1 times, not 2n + 1: the latency runs from the
 * insertion to the moment the drain turned to the DPC, and the runtime from
 * there to the routine's return, which includes the drain's step to the
 * routine (a lock and a pop).
 */
static noinline u64 ntdpc_run_timed(struct ntdpc_cpu *c,
				    struct ntdpc_call *call, u64 mark)
{
	u64 end;

	/* Timing was turned on in the middle of the pass. */
	if (unlikely(!mark))
		mark = ntdpc_clock();
	ntdpc_account_entry(&c->dpcs, call, mark, false);
	ntdpc_run(c, call);
	end = ntdpc_clock();
	ntdpc_account_exit(&c->dpcs, call, end - mark, false);
	return end;
}

/*
 * A drain scheduled on a CPU that then went offline may be run elsewhere by
 * the kernel's takeover; the hotplug callback moves the DPCs themselves.  If
 * the CPU is back and asked for a drain meanwhile, that request was folded
 * into this run: hand it to the right CPU.
 */
static noinline void ntdpc_retire_elsewhere(struct ntdpc_cpu *c)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&c->dpcs.lock, flags);
	if (c->request_pending && c->online)
		ntdpc_bh_kick(c);
	raw_spin_unlock_irqrestore(&c->dpcs.lock, flags);
}

/*
 * A pass that spent its budget in a DPC storm (see struct ntdpc_cpu), or on
 * a CPU going down (its hotplug steps run in an ordinary thread, which
 * counts as one), leaves the rest to the next tick instead of running again
 * at once, and the passes of a storm run a sixteenth of the budget: threads
 * get most of the CPU meanwhile, whatever the routines' length.
 */
static noinline bool ntdpc_drain_yields(struct ntdpc_cpu *c)
{
	if (!cpu_active(c->dpcs.cpu))
		WRITE_ONCE(c->storm, true);
	return READ_ONCE(c->storm);
}

/**
 * ntdpc_retire_dpcs() - drain a CPU's DPC queue (NT's KiRetireDpcList)
 * @c: the queue of the CPU this runs on
 *
 * Runs in softirq context, which is ntdpc's DISPATCH_LEVEL: bottom halves
 * and preemption are off, interrupts on.  Pops DPCs from the head until the
 * queue is empty or the budget is spent; a spent budget schedules another
 * pass rather than keep the CPU in softirq context, at once, or at the next
 * tick if the drain yields (ntdpc_drain_yields()).
 *
 * Per routine this takes the queue lock once and keeps a few per-CPU words
 * for the watchdog's sampler; it reads no clock unless ntdpc_timing is on,
 * and then once per routine and once per pass (ntdpc_run_timed()).
 */
void ntdpc_retire_dpcs(struct ntdpc_cpu *c)
{
	unsigned int budget = READ_ONCE(ntdpc_drain_budget), ran = 0;
	/*
	 * Out of the loop: its address is published (c->running), and kernels
	 * built to zero automatic variables zero it where it is declared.
	 */
	struct ntdpc_call call;
	bool again = false, later = false, wake = false;
	u64 pass_start = 0, mark;

	if (unlikely(c->dpcs.cpu != smp_processor_id())) {
		ntdpc_retire_elsewhere(c);
		return;
	}
	if (static_branch_unlikely(&ntdpc_timing))
		pass_start = ntdpc_clock();
	mark = pass_start;
	if (unlikely(READ_ONCE(c->storm)))
		budget = max(budget / 16, 1U);
	ntdpc_queue_lock_irq(&c->dpcs);
	c->request_pending = false;
	c->draining = true;
	WRITE_ONCE(c->drainer, current);
	ntdpc_stat_inc(c->stat_drains);
	ntdpc_watchdog_pass(c);
	while (!list_empty(&c->dpcs.head)) {
		/*
		 * Here, not at each insertion: off the insertion's path, and
		 * still seeing what was queued while the pass ran.
		 */
		ntdpc_stat_max(c->dpcs.stats.depth_high, c->dpcs.depth);
		if (unlikely(!budget--)) {
			ntdpc_stat_inc(c->stat_budget_exhausted);
			later = ntdpc_drain_yields(c);
			again = !later;
			c->request_pending = again;
			break;
		}
		/* A corrupt queue is repaired; what it still holds runs. */
		if (unlikely(!ntdpc_list_pop(&c->dpcs, &call)))
			continue;
		ntdpc_queue_unlock_irq(&c->dpcs);

		if (static_branch_unlikely(&ntdpc_timing)) {
			mark = ntdpc_run_timed(c, &call, mark);
		} else {
			ntdpc_run(c, &call);
			mark = 0;	/* timing off: a later mark is stale */
		}
		ntdpc_stat_inc(c->dpcs.stats.run);
		if (unlikely(!ntdpc_irql_is_drain_level()))
			ntdpc_check_routine_irql(call.routine);
		ran++;

		ntdpc_queue_lock_irq(&c->dpcs);
	}
	c->draining = false;
	WRITE_ONCE(c->drainer, NULL);
	if (unlikely(c->wake_thread)) {
		c->wake_thread = false;
		wake = true;
	}
	if (again) {
		ntdpc_bh_kick(c);
	} else {
		ntdpc_watchdog_sequence_end(c);
		if (unlikely(later))
			ntdpc_arm_deliver(c);
		else if (unlikely(READ_ONCE(c->storm)))
			WRITE_ONCE(c->storm, false);	/* the queue emptied */
	}
	ntdpc_queue_unlock_irq(&c->dpcs);
	if (unlikely(wake))
		ntdpc_thread_wake(c->dpcs.cpu);
	if (trace_ntdpc_drain_enabled())
		trace_ntdpc_drain(ran, pass_start ? ntdpc_clock() - pass_start : 0,
				  again);
}

/*
 * Take a DPC off its queue: true if it was queued and now is not, false if
 * it was not queued.  Its DpcData is followed to the queue's lock and
 * checked again under it; if it changed meanwhile (drained, or moved by CPU
 * hotplug to another CPU's queue), it is followed again.  A DPC whose links
 * are found corrupt is reported, its queue repaired, and it is taken off
 * whether the repair kept it or dropped it.
 */
bool ntdpc_unqueue(PRKDPC dpc, unsigned long caller)
{
	struct ntdpc_list *l;
	unsigned long flags;

	while ((l = READ_ONCE(dpc->DpcData))) {
		raw_spin_lock_irqsave(&l->lock, flags);
		if (unlikely(READ_ONCE(dpc->DpcData) != l)) {
			raw_spin_unlock_irqrestore(&l->lock, flags);
			continue;
		}
		if (likely(ntdpc_list_unlink(ntdpc_dpc_entry(dpc))))
			l->depth--;
		else
			ntdpc_list_take(l, dpc, caller);
		WRITE_ONCE(dpc->DpcData, NULL);
		ntdpc_stat_inc(l->stats.removed);
		if (trace_ntdpc_remove_enabled())
			trace_ntdpc_remove(dpc, ntdpc_routine_of(dpc), l->cpu);
		raw_spin_unlock_irqrestore(&l->lock, flags);
		return true;
	}
	return false;
}

/**
 * KeRemoveQueueDpc() - take a queued DPC off its queue
 * @Dpc: the DPC
 *
 * Callable at any IRQL, NMI context excepted.  When it returns TRUE the
 * routine has not started for that insertion and will not run for it.
 *
 * Return: TRUE if the DPC was queued and is now removed, else FALSE; FALSE
 * also, reported, for a bad DPC or a call from an NMI handler.
 */
BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
	if (unlikely(in_nmi()))
		return ntdpc_refuse_nmi(Dpc, __func__, _RET_IP_);
	if (!ntdpc_dpc_valid(Dpc, _RET_IP_))
		return FALSE;
	return ntdpc_unqueue(Dpc, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeRemoveQueueDpc);

/* Does @p name one of ntdpc's DPC lists? */
bool ntdpc_is_list(const void *p)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		if (p == &c->dpcs || p == &c->threaded)
			return true;
	}
	return false;
}

/*
 * On @cpu itself, once it is online (the hotplug online step): from now on
 * DPCs aimed at it go to its queues, and a kick can reach it.  Anything
 * queued here on the way up is drained.
 */
void ntdpc_queue_cpu_online(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
	bool kick;

	local_bh_disable();
	raw_spin_lock_irq(&c->dpcs.lock);
	c->online = true;
	kick = !list_empty(&c->dpcs.head) && ntdpc_claim_drain(c);
	raw_spin_unlock(&c->dpcs.lock);
	if (kick)
		ntdpc_bh_kick(c);
	local_irq_enable();
	local_bh_enable();
}

/*
 * On @cpu itself, as it starts going down (the first hotplug step of its
 * teardown): its queues take no more DPCs (they go to the inserting CPU,
 * as for an offline CPU), so that no kick is ever sent to a CPU on its way
 * out, and its threaded queue empties for its thread to park.  Insertions
 * that saw it online and have still to kick it run with interrupts off: an
 * RCU grace period lets them finish while it can still take the kick.
 * What is already queued here is drained here now.
 */
void ntdpc_queue_cpu_down(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
	bool kick;

	raw_spin_lock_irq(&c->dpcs.lock);
	c->online = false;
	raw_spin_unlock_irq(&c->dpcs.lock);
	synchronize_rcu();

	local_bh_disable();
	raw_spin_lock_irq(&c->dpcs.lock);
	kick = !list_empty(&c->dpcs.head) && ntdpc_claim_drain(c);
	raw_spin_unlock(&c->dpcs.lock);
	if (kick)
		ntdpc_bh_kick_local(&c->bh);
	local_irq_enable();
	local_bh_enable();
}

/**
 * ntdpc_queue_cpu_dead() - move a dead CPU's DPCs to the current CPU
 * @cpu: the CPU that went offline
 *
 * Runs on a control CPU after @cpu is dead (the kernel's own model is
 * takeover_tasklets()).  The DPCs keep their order and are appended to this
 * CPU's queue; their DpcData follows them, so KeRemoveQueueDpc() still works.
 * A queue found corrupt on the way (either one) is reported and repaired
 * first.  Later insertions aimed at @cpu see it offline and land on the
 * inserting CPU instead.
 */
void ntdpc_queue_cpu_dead(unsigned int cpu)
{
	struct ntdpc_cpu *dead = per_cpu_ptr(&ntdpc_cpus, cpu);
	struct ntdpc_cpu *to;
	bool kick = false, wake;

	/* Its sampler, which hotplug may have moved to a live CPU, stops. */
	ntdpc_watchdog_exit_cpu(dead);
	local_irq_disable();
	to = this_cpu_ptr(&ntdpc_cpus);
	raw_spin_lock(&dead->dpcs.lock);
	raw_spin_lock_nested(&to->dpcs.lock, SINGLE_DEPTH_NESTING);
	dead->online = false;
	dead->request_pending = false;
	dead->draining = false;
	ntdpc_watchdog_sequence_end(dead);
	if (ntdpc_list_move(&dead->dpcs, &to->dpcs))
		kick = ntdpc_claim_drain(to);
	/* Lock order: a CPU's dpcs lock, then its threaded lock. */
	raw_spin_lock(&dead->threaded.lock);
	raw_spin_lock_nested(&to->threaded.lock, SINGLE_DEPTH_NESTING);
	wake = ntdpc_list_move(&dead->threaded, &to->threaded);
	raw_spin_unlock(&to->threaded.lock);
	raw_spin_unlock(&dead->threaded.lock);
	raw_spin_unlock(&to->dpcs.lock);
	raw_spin_unlock(&dead->dpcs.lock);
	if (kick)
		ntdpc_bh_kick(to);
	if (wake)
		ntdpc_thread_wake(to->dpcs.cpu);
	local_irq_enable();
}

static unsigned int ntdpc_list_purge(struct ntdpc_list *l,
				     const struct ntdpc_owner *o)
{
	struct list_head *pos, *next, *prev;
	unsigned int removed = 0, left;
	bool repaired = false;

	raw_spin_lock_irq(&l->lock);
restart:
	prev = &l->head;
	left = l->depth;
	for (pos = l->head.next; pos != &l->head; pos = next) {
		PKDPC dpc = ntdpc_entry_dpc(pos);

		/* The walk checks the links it follows: see list.h. */
		next = pos->next;
		if (unlikely(!left-- || pos->prev != prev || next == pos))
			goto corrupt;
		if (!ntdpc_owns_dpc(o, dpc)) {
			prev = pos;
			continue;
		}
		if (unlikely(!ntdpc_list_unlink(pos)))
			goto corrupt;
		l->depth--;
		WRITE_ONCE(dpc->DpcData, NULL);
		removed++;
	}
	raw_spin_unlock_irq(&l->lock);
	return removed;

corrupt:
	/* Repaired, the list is sound: the walk starts again, once. */
	ntdpc_list_corrupt(l, ntdpc_entry_dpc(pos), _RET_IP_);
	if (!repaired) {
		repaired = true;
		goto restart;
	}
	raw_spin_unlock_irq(&l->lock);
	return removed;
}

/**
 * ntdpc_purge() - remove the queued DPCs of an owner going away
 * @o: what belongs to it (asked under a queue lock, interrupts off)
 *
 * Used when a module goes away: its queued DPCs must not run afterwards.
 *
 * Return: the number of DPCs removed.
 */
unsigned int ntdpc_purge(const struct ntdpc_owner *o)
{
	unsigned int cpu, removed = 0;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		removed += ntdpc_list_purge(&c->dpcs, o);
		removed += ntdpc_list_purge(&c->threaded, o);
	}
	return removed;
}

/*
 * Every CPU's queues start not taking DPCs: the hotplug online step marks
 * each online CPU's, on the CPU itself (src/cpu.c).
 */
int ntdpc_queue_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		ntdpc_list_init(&c->dpcs, cpu, "ntdpc_dpc_queue");
		ntdpc_list_init(&c->threaded, cpu, "ntdpc_threaded_queue");
		c->online = false;
		c->max_depth = MaximumDpcQueueDepth;
		c->rate_jiffies = jiffies;
		ntdpc_hrtimer_setup(&c->deliver_timer, ntdpc_deliver_timer_fn,
				    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		ntdpc_watchdog_init_cpu(c);
		ntdpc_bh_init_cpu(c);
	}
	return ntdpc_bh_init();
}

void ntdpc_queue_exit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		hrtimer_cancel(&c->deliver_timer);
		ntdpc_bh_exit_cpu(c);
		WARN_ON_ONCE(!list_empty(&c->dpcs.head));
		WARN_ON_ONCE(!list_empty(&c->threaded.head));
	}
	ntdpc_bh_exit();
	/* Last: a drain that ran in the backend's teardown arms the sampler. */
	for_each_possible_cpu(cpu)
		ntdpc_watchdog_exit_cpu(per_cpu_ptr(&ntdpc_cpus, cpu));
}
