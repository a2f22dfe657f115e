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
static void ntdpc_update_rate(struct ntdpc_cpu *c)
{
	unsigned long now = jiffies, ticks = now - c->rate_jiffies;

	if (!ticks)
		return;
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
 * The insertion proper, under the list's lock: DpcData from NULL to this
 * list by compare-and-swap (the same KDPC may be racing into another CPU's
 * list), the system arguments only if that won, then head or tail.
 */
static bool ntdpc_list_insert(struct ntdpc_list *l, PRKDPC dpc, PVOID arg1,
			      PVOID arg2, UCHAR importance)
{
	if (cmpxchg(&dpc->DpcData, NULL, (PVOID)l))
		return false;
	dpc->SystemArgument1 = arg1;
	dpc->SystemArgument2 = arg2;
	ntdpc_stamp(dpc);
	if (importance == HighImportance)
		list_add(ntdpc_dpc_entry(dpc), &l->head);
	else
		list_add_tail(ntdpc_dpc_entry(dpc), &l->head);
	l->depth++;
	ntdpc_stat_max(l->stats.max_depth, l->depth);
	return true;
}

/*
 * A threaded DPC goes on the CPU's second list, served by its ntdpc/N
 * thread; importance only decides head or tail.  Called under c->dpcs.lock,
 * which also orders it against the CPU going offline.  The thread is woken
 * when the list becomes non-empty: it drains until empty, so a non-empty
 * list already has a wake-up on its way.
 */
static bool ntdpc_enqueue_threaded(struct ntdpc_cpu *c, PRKDPC dpc,
				   PVOID arg1, PVOID arg2, UCHAR importance,
				   bool *wake)
{
	struct ntdpc_list *l = &c->threaded;
	bool queued;

	raw_spin_lock(&l->lock);
	*wake = list_empty(&l->head) && c->thread;
	queued = ntdpc_list_insert(l, dpc, arg1, arg2, importance);
	raw_spin_unlock(&l->lock);
	if (queued)
		ntdpc_stat_inc(c->stat_threaded);
	else
		ntdpc_stat_inc(c->stat_rejected);
	return queued;
}

/*
 * An ordinary DPC goes on the CPU's queue; NT's rules decide whether to ask
 * for the drain now (*kick) or leave it to the delivery tick.  Called under
 * c->dpcs.lock.
 */
static bool ntdpc_enqueue_ordinary(struct ntdpc_cpu *c, PRKDPC dpc,
				   PVOID arg1, PVOID arg2, UCHAR importance,
				   bool local, bool force, bool *kick)
{
	if (!ntdpc_list_insert(&c->dpcs, dpc, arg1, arg2, importance)) {
		ntdpc_stat_inc(c->stat_rejected);
		return false;
	}
	ntdpc_update_rate(c);
	WRITE_ONCE(c->inserted, c->inserted + 1);

	if (force && !c->draining && !c->request_pending)
		*kick = true;
	else
		*kick = ntdpc_want_request(c, importance, local);
	if (*kick) {
		c->request_pending = true;
		ntdpc_stat_inc(c->stat_kicks);
		if (!local)
			ntdpc_stat_inc(c->stat_remote_kicks);
	} else if (!c->draining && !c->request_pending) {
		ntdpc_arm_deliver(c);
	}
	return true;
}

/**
 * ntdpc_enqueue() - queue a DPC on a CPU's queue
 * @dpc: an initialised DPC
 * @arg1: SystemArgument1, stored only if the DPC is queued by this call
 * @arg2: SystemArgument2, likewise
 * @cpu: target CPU, or -1 for the current CPU
 * @force: request delivery at once whatever the importance (flush markers)
 * @caller: return address reported by the ntdpc_queue tracepoint
 *
 * Called at any IRQL.  At PASSIVE_LEVEL or APC_LEVEL bottom halves are held
 * around the insertion, so that a DPC queued on the current CPU has run by
 * the time this returns: local_bh_enable() is Linux's "IRQL drops below
 * DISPATCH_LEVEL".
 *
 * Return: true if the DPC was queued, false if it was already queued.
 */
bool ntdpc_enqueue(PRKDPC dpc, PVOID arg1, PVOID arg2, int cpu, bool force,
		   unsigned long caller)
{
	UCHAR importance = READ_ONCE(dpc->Importance);
	bool below_dispatch = !in_interrupt() && !irqs_disabled();
	bool queued, threaded, kick = false, wake = false;
	struct ntdpc_cpu *c;
	unsigned long flags;

	if (below_dispatch)
		local_bh_disable();
	local_irq_save(flags);

	/* A module going away may not queue new DPCs: see ntdpc_quiesce(). */
	if (static_branch_unlikely(&ntdpc_quiescing) &&
	    ntdpc_quiesce_refuses(dpc)) {
		queued = false;
		goto out_irq;
	}

	if (cpu < 0)
		cpu = smp_processor_id();
	c = per_cpu_ptr(&ntdpc_cpus, cpu);
	raw_spin_lock(&c->dpcs.lock);
	if (unlikely(!c->dpcs.online)) {
		/*
		 * The target CPU went away after the DPC was targeted at it.
		 * Deliver on this CPU rather than lose the DPC.
		 */
		raw_spin_unlock(&c->dpcs.lock);
		cpu = smp_processor_id();
		c = per_cpu_ptr(&ntdpc_cpus, cpu);
		raw_spin_lock(&c->dpcs.lock);
		ntdpc_stat_inc(c->stat_redirected);
	}

	threaded = dpc->Type == ThreadedDpcObject && READ_ONCE(ThreadDpcEnable);
	if (threaded)
		queued = ntdpc_enqueue_threaded(c, dpc, arg1, arg2, importance,
						&wake);
	else
		queued = ntdpc_enqueue_ordinary(c, dpc, arg1, arg2, importance,
						cpu == smp_processor_id(),
						force, &kick);
	raw_spin_unlock(&c->dpcs.lock);

	if (queued && trace_ntdpc_queue_enabled())
		trace_ntdpc_queue(dpc, ntdpc_routine_of(dpc), cpu, importance,
				  threaded, importance == HighImportance,
				  threaded ? READ_ONCE(c->threaded.depth) :
					     READ_ONCE(c->dpcs.depth), caller);
	if (kick)
		ntdpc_bh_kick(c);
	if (wake)
		wake_up_process(c->thread);
out_irq:
	local_irq_restore(flags);
	if (below_dispatch)
		local_bh_enable();
	return queued;
}

static void ntdpc_check_routine_irql(PKDEFERRED_ROUTINE routine)
{
	KIRQL irql;

	if (likely(ntdpc_irql_is_drain_level()))
		return;
	irql = KeGetCurrentIrql();
	ntdpc_report_misuse(NTDPC_MISUSE_ROUTINE_IRQL, (unsigned long)routine,
			    "DPC routine returned at IRQL %u, not DISPATCH_LEVEL",
			    irql);
	/* Repair what we can so the next routine starts at DISPATCH_LEVEL. */
	ntdpc_irql_reset_context();
	if (irqs_disabled())
		local_irq_enable();
}

/**
 * ntdpc_retire_dpcs() - drain a CPU's DPC queue (NT's KiRetireDpcList)
 * @c: the queue of the CPU this runs on
 *
 * Runs in softirq context, which is ntdpc's DISPATCH_LEVEL: bottom halves
 * and preemption are off, interrupts on.  Pops DPCs from the head until the
 * queue is empty or the budget is spent; a spent budget schedules another
 * pass rather than keep the CPU in softirq context.
 */
void ntdpc_retire_dpcs(struct ntdpc_cpu *c)
{
	unsigned int budget = READ_ONCE(ntdpc_drain_budget), ran = 0;
	bool again = false;
	u64 now, pass_start;

	/*
	 * A drain scheduled on a CPU that then went offline may be run
	 * elsewhere by the kernel's takeover; the hotplug callback moves the
	 * DPCs themselves, so there is nothing to do here.
	 */
	if (c->dpcs.cpu != smp_processor_id())
		return;

	now = ntdpc_clock();
	pass_start = now;
	if (!c->dispatch_since)
		c->dispatch_since = now;
	raw_spin_lock_irq(&c->dpcs.lock);
	c->request_pending = false;
	c->draining = true;
	ntdpc_stat_inc(c->stat_drains);
	while (!list_empty(&c->dpcs.head)) {
		struct ntdpc_call call;
		u64 end;

		if (!budget--) {
			c->request_pending = true;
			ntdpc_stat_inc(c->stat_budget_exhausted);
			again = true;
			break;
		}
		ntdpc_list_pop(&c->dpcs, &call);
		raw_spin_unlock_irq(&c->dpcs.lock);

		/* One clock reading ends a routine and starts the next. */
		ntdpc_account_entry(&c->dpcs, &call, now, false);
		c->routine_start = now;
		ntdpc_executing_enter();
		call.routine(call.dpc, call.ctx, call.arg1, call.arg2);
		ntdpc_executing_exit();
		end = ntdpc_clock();
		ntdpc_account_exit(&c->dpcs, &call, end - now, false);
		ntdpc_watchdog_check(c, &call, end - now, end);
		ntdpc_check_routine_irql(call.routine);
		now = end;
		ran++;

		raw_spin_lock_irq(&c->dpcs.lock);
	}
	c->draining = false;
	if (again)
		ntdpc_bh_kick(c);
	raw_spin_unlock_irq(&c->dpcs.lock);
	if (!again)
		ntdpc_watchdog_sequence_end(c);
	if (trace_ntdpc_drain_enabled())
		trace_ntdpc_drain(ran, ntdpc_clock() - pass_start, again);
}

/* Called under cpus_read_lock() or from the hotplug prepare step. */
void ntdpc_queue_cpu_online(unsigned int cpu)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

	raw_spin_lock_irq(&c->dpcs.lock);
	c->dpcs.online = true;
	c->request_pending = false;
	c->draining = false;
	raw_spin_unlock_irq(&c->dpcs.lock);
}

/* Append @from to @to in order, DpcData following; true if it moved any. */
static bool ntdpc_list_move(struct ntdpc_list *from, struct ntdpc_list *to)
{
	struct list_head *pos;

	if (list_empty(&from->head))
		return false;
	list_for_each(pos, &from->head)
		WRITE_ONCE(ntdpc_entry_dpc(pos)->DpcData, to);
	to->depth += from->depth;
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
 * Later insertions aimed at @cpu see it offline and land on the inserting
 * CPU instead.
 */
void ntdpc_queue_cpu_dead(unsigned int cpu)
{
	struct ntdpc_cpu *dead = per_cpu_ptr(&ntdpc_cpus, cpu);
	struct ntdpc_cpu *to;
	bool kick = false, wake;

	local_irq_disable();
	to = this_cpu_ptr(&ntdpc_cpus);
	raw_spin_lock(&dead->dpcs.lock);
	raw_spin_lock_nested(&to->dpcs.lock, SINGLE_DEPTH_NESTING);
	dead->dpcs.online = false;
	dead->request_pending = false;
	dead->draining = false;
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
	struct list_head *pos, *n;
	unsigned int removed = 0;

	raw_spin_lock_irq(&l->lock);
	list_for_each_safe(pos, n, &l->head) {
		PKDPC dpc = ntdpc_entry_dpc(pos);

		if (!match(dpc, arg))
			continue;
		list_del(pos);
		l->depth--;
		WRITE_ONCE(dpc->DpcData, NULL);
		removed++;
	}
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
}
