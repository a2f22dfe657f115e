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
 */
#include <linux/cpu.h>
#include <linux/jiffies.h>

#include "internal.h"

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

/* NT's KiInsertQueueDpc request decision; called under c->dpcs.lock. */
static bool ntdpc_want_request(struct ntdpc_cpu *c, UCHAR importance,
			       bool local)
{
	if (c->draining || c->request_pending)
		return false;
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

static void ntdpc_arm_deliver(struct ntdpc_cpu *c)
{
	if (!hrtimer_active(&c->deliver_timer))
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
	if (!list_empty(&c->dpcs.head) && !c->draining &&
	    !c->request_pending && c->dpcs.online) {
		if (c->rate < READ_ONCE(IdealDpcRate) && c->max_depth > 1)
			c->max_depth--;
		c->request_pending = true;
		ntdpc_stat_inc(c->stat_kicks);
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

/* A queue whose links disagree: say so, with the KDPC and the caller. */
void ntdpc_report_corrupt(struct ntdpc_list *l, PKDPC dpc,
			  unsigned long caller)
{
	ntdpc_report_misuse(NTDPC_MISUSE_CORRUPT_QUEUE, caller,
			    "DPC queue of CPU %u is corrupt at KDPC %p (freed or reinitialised while queued?)",
			    l->cpu, dpc);
}

/*
 * A list found corrupt at @bad cannot be walked on: it starts afresh.  The
 * DPCs that were on it never run and keep their DpcData, so they are not
 * queued again until KeInitializeDpc().  Those reachable from the head
 * before @bad and back from the tail, while the links agree and no more
 * than the list's depth, are unhooked (linked to themselves), so that
 * KeRemoveQueueDpc() reports them instead of writing through their stale
 * neighbours.  Under the list's lock.
 */
void ntdpc_list_abandon(struct ntdpc_list *l, struct list_head *bad)
{
	struct list_head *pos = l->head.next, *prev = &l->head, *next;
	unsigned int left = l->depth;

	while (pos != bad && pos != &l->head && left &&
	       ntdpc_list_walk_ok(pos, prev)) {
		left--;
		next = pos->next;
		INIT_LIST_HEAD(pos);
		prev = pos;
		pos = next;
	}
	pos = l->head.prev;
	next = &l->head;
	while (pos != bad && pos != &l->head && left && pos->next == next) {
		left--;
		prev = pos->prev;
		INIT_LIST_HEAD(pos);
		next = pos;
		pos = prev;
	}
	INIT_LIST_HEAD(&l->head);
	l->depth = 0;
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
	struct list_head *entry = ntdpc_dpc_entry(dpc), *prev, *next;

	if (unlikely(cmpxchg(&dpc->DpcData, NULL, (PVOID)l)))
		return false;
	if (importance == HighImportance) {
		prev = &l->head;
		next = l->head.next;
	} else {
		prev = l->head.prev;
		next = &l->head;
	}
	if (unlikely(!ntdpc_list_link(entry, prev, next))) {
		WRITE_ONCE(dpc->DpcData, NULL);
		ntdpc_report_corrupt(l, dpc, caller);
		return false;
	}
	dpc->SystemArgument1 = arg1;
	dpc->SystemArgument2 = arg2;
	ntdpc_stamp(dpc);
	l->depth++;
	if (unlikely(l->depth > READ_ONCE(l->stats.max_depth)))
		WRITE_ONCE(l->stats.max_depth, l->depth);
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
	wake = list_empty(&l->head) && c->thread;
	queued = ntdpc_list_insert(l, dpc, arg1, arg2, importance, caller);
	raw_spin_unlock(&l->lock);
	if (!queued) {
		ntdpc_stat_inc(c->stat_rejected);
		return NTDPC_THREADED_REJECTED;
	}
	ntdpc_stat_inc(c->stat_threaded);
	return wake ? NTDPC_THREADED_WAKE : NTDPC_THREADED_QUEUED;
}

/*
 * An ordinary DPC goes on the CPU's queue; NT's rules decide whether to ask
 * for the drain now (the return value) or leave it to the delivery tick.
 * Called under c->dpcs.lock, after the insertion.
 */
static __always_inline bool ntdpc_request(struct ntdpc_cpu *c,
					  UCHAR importance, bool local,
					  bool force)
{
	bool kick;

	ntdpc_update_rate(c);
	WRITE_ONCE(c->inserted, c->inserted + 1);

	/* The common case: a drain is already on its way or running. */
	if (c->draining || c->request_pending)
		return false;
	kick = force || ntdpc_want_request(c, importance, local);
	if (kick) {
		c->request_pending = true;
		ntdpc_stat_inc(c->stat_kicks);
		if (!local)
			ntdpc_stat_inc(c->stat_remote_kicks);
	} else {
		ntdpc_arm_deliver(c);
	}
	return kick;
}

/* The target CPU went away after the DPC was targeted at it: use this one. */
static noinline struct ntdpc_cpu *ntdpc_redirect(struct ntdpc_cpu *c)
{
	raw_spin_unlock(&c->dpcs.lock);
	c = this_cpu_ptr(&ntdpc_cpus);
	raw_spin_lock(&c->dpcs.lock);
	ntdpc_stat_inc(c->stat_redirected);
	return c;
}

static noinline void ntdpc_trace_queue(struct ntdpc_cpu *c, PRKDPC dpc,
				       int cpu, UCHAR importance,
				       bool threaded, unsigned long caller)
{
	trace_ntdpc_queue(dpc, ntdpc_routine_of(dpc), cpu, importance,
			  threaded, importance == HighImportance,
			  threaded ? READ_ONCE(c->threaded.depth) :
				     READ_ONCE(c->dpcs.depth), caller);
}

/*
 * The insertion behind KeInsertQueueDpc() and ntdpc_enqueue(), which say
 * what the arguments are.  Called at any IRQL.  At PASSIVE_LEVEL or
 * APC_LEVEL bottom halves are held around the insertion, so that a DPC
 * queued on the current CPU has run by the time this returns:
 * local_bh_enable() is Linux's "IRQL drops below DISPATCH_LEVEL".
 *
 * The path of an ordinary DPC is kept to one function with nothing called
 * but the kick: everything else (threaded DPCs, an offline target, tracing,
 * a module being unloaded) is out of line.
 */
static __always_inline bool __ntdpc_enqueue(PRKDPC dpc, PVOID arg1,
					    PVOID arg2, int cpu, bool force,
					    unsigned long caller)
{
	UCHAR importance = READ_ONCE(dpc->Importance);
	bool queued, threaded, kick = false, wake = false;
	bool below_dispatch, local;
	struct ntdpc_cpu *c;
	unsigned long flags;
	int this;

	local_irq_save(flags);
	below_dispatch = !in_interrupt() && !irqs_disabled_flags(flags);
	if (below_dispatch)
		local_bh_disable();

	/* A module going away may not queue new DPCs: see ntdpc_quiesce(). */
	if (static_branch_unlikely(&ntdpc_quiescing) &&
	    ntdpc_quiesce_refuses(dpc)) {
		queued = false;
		goto out_irq;
	}

	this = smp_processor_id();
	if (cpu < 0)
		cpu = this;
	c = per_cpu_ptr(&ntdpc_cpus, cpu);
	ntdpc_queue_lock(&c->dpcs);
	if (unlikely(!c->dpcs.online)) {
		c = ntdpc_redirect(c);
		cpu = this;
	}
	local = cpu == this;

	threaded = unlikely(dpc->Type == ThreadedDpcObject) &&
		   READ_ONCE(ThreadDpcEnable);
	if (threaded) {
		enum ntdpc_threaded_queued how;

		how = ntdpc_enqueue_threaded(c, dpc, arg1, arg2, importance,
					     caller);
		queued = how != NTDPC_THREADED_REJECTED;
		/* The wake-up takes scheduler locks: not inside ours. */
		wake = how == NTDPC_THREADED_WAKE;
	} else {
		queued = ntdpc_list_insert(&c->dpcs, dpc, arg1, arg2,
					   importance, caller);
		if (likely(queued))
			kick = ntdpc_request(c, importance, local, force);
		else
			ntdpc_stat_inc(c->stat_rejected);
	}
	ntdpc_queue_unlock(&c->dpcs);

	if (queued && trace_ntdpc_queue_enabled())
		ntdpc_trace_queue(c, dpc, cpu, importance, threaded, caller);
	if (kick) {
		if (local)
			ntdpc_bh_kick_local(&c->bh);
		else
			ntdpc_bh_kick(c);
	}
	if (unlikely(wake))
		wake_up_process(c->thread);
out_irq:
	local_irq_restore(flags);
	if (below_dispatch)
		local_bh_enable();
	return queued;
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

/* The same with the queue-to-start latency and the runtime measured. */
static noinline void ntdpc_run_timed(struct ntdpc_cpu *c,
				     struct ntdpc_call *call)
{
	u64 start = ntdpc_clock();

	ntdpc_account_entry(&c->dpcs, call, start, false);
	ntdpc_run(c, call);
	ntdpc_account_exit(&c->dpcs, call, ntdpc_clock() - start, false);
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
	if (c->request_pending && c->dpcs.online)
		ntdpc_bh_kick(c);
	raw_spin_unlock_irqrestore(&c->dpcs.lock, flags);
}

/**
 * ntdpc_retire_dpcs() - drain a CPU's DPC queue (NT's KiRetireDpcList)
 * @c: the queue of the CPU this runs on
 *
 * Runs in softirq context, which is ntdpc's DISPATCH_LEVEL: bottom halves
 * and preemption are off, interrupts on.  Pops DPCs from the head until the
 * queue is empty or the budget is spent; a spent budget schedules another
 * pass rather than keep the CPU in softirq context.
 *
 * Per routine this takes the queue lock once and keeps a few per-CPU words
 * for the watchdog's sampler; it reads no clock unless ntdpc_timing is on.
 */
void ntdpc_retire_dpcs(struct ntdpc_cpu *c)
{
	unsigned int budget = READ_ONCE(ntdpc_drain_budget), ran = 0;
	/*
	 * Out of the loop: its address is published (c->running), and kernels
	 * built to zero automatic variables zero it where it is declared.
	 */
	struct ntdpc_call call;
	bool again = false;
	u64 pass_start = 0;

	if (unlikely(c->dpcs.cpu != smp_processor_id())) {
		ntdpc_retire_elsewhere(c);
		return;
	}
	if (static_branch_unlikely(&ntdpc_timing))
		pass_start = ntdpc_clock();
	ntdpc_queue_lock_irq(&c->dpcs);
	c->request_pending = false;
	c->draining = true;
	ntdpc_stat_inc(c->stat_drains);
	ntdpc_watchdog_pass(c);
	while (!list_empty(&c->dpcs.head)) {
		if (unlikely(!budget--)) {
			c->request_pending = true;
			ntdpc_stat_inc(c->stat_budget_exhausted);
			again = true;
			break;
		}
		if (unlikely(!ntdpc_list_pop(&c->dpcs, &call)))
			break;
		ntdpc_queue_unlock_irq(&c->dpcs);

		if (static_branch_unlikely(&ntdpc_timing))
			ntdpc_run_timed(c, &call);
		else
			ntdpc_run(c, &call);
		ntdpc_stat_inc(c->dpcs.stats.run);
		if (unlikely(!ntdpc_irql_is_drain_level()))
			ntdpc_check_routine_irql(call.routine);
		ran++;

		ntdpc_queue_lock_irq(&c->dpcs);
	}
	c->draining = false;
	if (again)
		ntdpc_bh_kick(c);
	else
		ntdpc_watchdog_sequence_end(c);
	ntdpc_queue_unlock_irq(&c->dpcs);
	if (trace_ntdpc_drain_enabled())
		trace_ntdpc_drain(ran, pass_start ? ntdpc_clock() - pass_start : 0,
				  again);
}

/*
 * On @cpu itself, once it is online (the hotplug online step): from now on
 * DPCs aimed at it go to its queue, and a kick can reach it.  Anything the
 * CPU queued here itself on the way up is drained.
 */
void ntdpc_queue_cpu_online(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
	bool kick;

	local_bh_disable();
	raw_spin_lock_irq(&c->dpcs.lock);
	c->dpcs.online = true;
	kick = !list_empty(&c->dpcs.head) && !c->request_pending &&
	       !c->draining;
	if (kick)
		c->request_pending = true;
	raw_spin_unlock(&c->dpcs.lock);
	if (kick)
		ntdpc_bh_kick(c);
	local_irq_enable();
	local_bh_enable();
}

/*
 * Append @from to @to in order, DpcData following; true if it moved any.
 * Under both lists' locks.  The links of @from are checked before anything
 * is written: a corrupt list is reported and abandoned, as the drain would
 * abandon it, and nothing moves.
 */
bool ntdpc_list_move(struct ntdpc_list *from, struct ntdpc_list *to)
{
	struct list_head *pos, *prev = &from->head;
	unsigned int left = from->depth;

	lockdep_assert_held(&from->lock);
	lockdep_assert_held(&to->lock);
	if (list_empty(&from->head))
		return false;
	for (pos = from->head.next; pos != &from->head; pos = pos->next) {
		if (unlikely(!left-- || !ntdpc_list_walk_ok(pos, prev))) {
			ntdpc_report_corrupt(from, ntdpc_entry_dpc(pos),
					     _RET_IP_);
			ntdpc_list_abandon(from, pos);
			return false;
		}
		prev = pos;
	}
	if (unlikely(from->head.prev != prev)) {
		ntdpc_report_corrupt(from, ntdpc_entry_dpc(prev), _RET_IP_);
		ntdpc_list_abandon(from, &from->head);
		return false;
	}
	/* The splice writes through the last entry of @to: check it too. */
	if (unlikely(to->head.prev->next != &to->head)) {
		ntdpc_report_corrupt(to, ntdpc_entry_dpc(to->head.prev),
				     _RET_IP_);
		ntdpc_list_abandon(to, to->head.prev);
	}
	list_for_each(pos, &from->head)
		WRITE_ONCE(ntdpc_entry_dpc(pos)->DpcData, to);
	to->depth += from->depth - left;
	from->depth = 0;
	list_splice_tail_init(&from->head, &to->head);
	return true;
}

/**
 * ntdpc_queue_cpu_dead() - move a dead CPU's DPCs to the current CPU
 * @cpu: the CPU that went offline
 *
 * Runs on a control CPU after @cpu is dead (the kernel's own model is
 * takeover_tasklets()).  The DPCs keep their order and are appended to this
 * CPU's queue; their DpcData follows them, so KeRemoveQueueDpc() still works.
 * A queue found corrupt on the way (either one) is reported and abandoned
 * as the drain abandons one: its DPCs do not run.  Later insertions aimed
 * at @cpu see it offline and land on the inserting CPU instead.
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
	dead->dpcs.online = false;
	dead->request_pending = false;
	dead->draining = false;
	ntdpc_watchdog_sequence_end(dead);
	ntdpc_list_move(&dead->dpcs, &to->dpcs);
	if (!list_empty(&to->dpcs.head) && !to->draining &&
	    !to->request_pending) {
		to->request_pending = true;
		kick = true;
	}
	/* Lock order: a CPU's dpcs lock, then its threaded lock. */
	raw_spin_lock(&dead->threaded.lock);
	raw_spin_lock_nested(&to->threaded.lock, SINGLE_DEPTH_NESTING);
	wake = ntdpc_list_move(&dead->threaded, &to->threaded) && to->thread;
	raw_spin_unlock(&to->threaded.lock);
	raw_spin_unlock(&dead->threaded.lock);
	raw_spin_unlock(&to->dpcs.lock);
	raw_spin_unlock(&dead->dpcs.lock);
	if (kick)
		ntdpc_bh_kick(to);
	if (wake)
		wake_up_process(to->thread);
	local_irq_enable();
}

static unsigned int ntdpc_list_purge(struct ntdpc_list *l,
				     bool (*match)(PKDPC dpc, void *arg),
				     void *arg)
{
	struct list_head *pos, *next, *prev = &l->head;
	unsigned int removed = 0, left;

	raw_spin_lock_irq(&l->lock);
	left = l->depth;
	for (pos = l->head.next; pos != &l->head; pos = next) {
		PKDPC dpc = ntdpc_entry_dpc(pos);

		/*
		 * The walk checks the links it follows: past a corrupt entry
		 * nothing can be found, so nothing on the list may run.
		 */
		next = pos->next;
		if (unlikely(!left-- || !ntdpc_list_walk_ok(pos, prev)))
			goto corrupt;
		if (!match(dpc, arg)) {
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
	ntdpc_report_corrupt(l, ntdpc_entry_dpc(pos), _RET_IP_);
	ntdpc_list_abandon(l, pos);
	raw_spin_unlock_irq(&l->lock);
	return removed;
}

/**
 * ntdpc_purge() - remove queued DPCs that match a predicate
 * @match: called under a queue lock, interrupts off; true removes the DPC
 * @arg: passed to @match
 *
 * Used when a module goes away: its queued DPCs must not run afterwards.
 *
 * Return: the number of DPCs removed.
 */
unsigned int ntdpc_purge(bool (*match)(PKDPC dpc, void *arg), void *arg)
{
	unsigned int cpu, removed = 0;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		removed += ntdpc_list_purge(&c->dpcs, match, arg);
		removed += ntdpc_list_purge(&c->threaded, match, arg);
	}
	return removed;
}

int ntdpc_queue_init(void)
{
	unsigned int cpu;
	int ret;

	ret = ntdpc_bh_init();
	if (ret)
		return ret;
	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		raw_spin_lock_init(&c->dpcs.lock);
		INIT_LIST_HEAD(&c->dpcs.head);
		c->dpcs.cpu = cpu;
		c->dpcs.online = cpu_online(cpu);
		raw_spin_lock_init(&c->threaded.lock);
		INIT_LIST_HEAD(&c->threaded.head);
		c->threaded.cpu = cpu;
		c->max_depth = MaximumDpcQueueDepth;
		c->rate_jiffies = jiffies;
		hrtimer_init(&c->deliver_timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL);
		c->deliver_timer.function = ntdpc_deliver_timer_fn;
		ntdpc_watchdog_init_cpu(c);
		ntdpc_bh_init_cpu(c);
	}
	return 0;
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
