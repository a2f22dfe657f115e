// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated IRQL.
 *
 * NT's IRQL is a per-processor priority; Linux has none, but every level a
 * driver can see maps onto a Linux context with the same guarantee:
 *
 *   PASSIVE_LEVEL   preemptible task context
 *   APC_LEVEL       preemption off (stricter than NT: no sleeping)
 *   DISPATCH_LEVEL  bottom halves off (implies preemption off): no DPC runs
 *                   on this CPU, exactly the guarantee NT gives; DPC
 *                   routines run in softirq context, which is the same state
 *   3..HIGH_LEVEL   local interrupts off
 *
 * The level a caller sees is the higher of what its context already imposes
 * (a hardirq handler or interrupts off is HIGH_LEVEL, softirq context or
 * bottom halves off is DISPATCH_LEVEL) and what it raised to explicitly.
 * Explicit levels are kept per CPU, per context (task, softirq, hardirq,
 * NMI), since an interrupt can nest on top of a raised task, and per task:
 * a raised task cannot leave its CPU, but on PREEMPT_RT, where bottom halves
 * off pin a task without stopping preemption, several tasks of one CPU can
 * be at DISPATCH_LEVEL at once (struct ntdpc_irql_slot).  The first raise in
 * a context records the level it started from (the floor): lowering below it
 * would undo state this code did not set, so it is refused.
 *
 * Lowering below DISPATCH_LEVEL is local_bh_enable(), which runs pending
 * softirqs, so DPCs queued while raised run before KeLowerIrql() returns.
 */
#include <linux/preempt.h>
#include <linux/spinlock.h>
/* 6.1's local_lock.h uses current under lockdep without including sched.h. */
#include <linux/sched.h>
#include <linux/local_lock.h>
#include <uapi/linux/sched/types.h>

#include "internal.h"

DEFINE_PER_CPU(struct ntdpc_irql, ntdpc_irql);

/* The level the context imposes before any explicit raise. */
static inline KIRQL ntdpc_base_irql(void)
{
	if (in_nmi() || in_hardirq() || irqs_disabled())
		return HIGH_LEVEL;
	if (in_softirq())
		return DISPATCH_LEVEL;
	return PASSIVE_LEVEL;
}

static KIRQL ntdpc_current_irql(unsigned int ctx)
{
	struct ntdpc_irql_slot *s;
	KIRQL raised;

	/*
	 * A task without a slot may move meanwhile, but then it has none on
	 * any CPU: a raised task is pinned to the CPU that holds its slot.
	 */
	s = ntdpc_irql_slot_of(raw_cpu_ptr(&ntdpc_irql), ctx);
	raised = s ? s->raised : 0;
	/*
	 * Above DISPATCH_LEVEL the interrupts-off state is our own doing (a
	 * raise from HIGH_LEVEL can only be to HIGH_LEVEL), so the raised
	 * level is the answer, not the HIGH_LEVEL that interrupts-off implies.
	 */
	if (raised > DISPATCH_LEVEL)
		return raised;
	return max_t(KIRQL, ntdpc_base_irql(), raised);
}

/*
 * The context reads above DISPATCH_LEVEL (@cur) only because Linux turned
 * interrupts off after a raise of ours (slot @s) to DISPATCH_LEVEL or
 * below: an irqsave section ntdpc may neither undo nor build on.
 */
static bool ntdpc_irqs_off_by_linux(struct ntdpc_irql_slot *s, KIRQL cur)
{
	return s && s->raised <= DISPATCH_LEVEL && cur > DISPATCH_LEVEL;
}

/*
 * A free slot of this CPU for the current task's context, which was at
 * @floor: preemption is off while it is taken, against the other tasks of
 * this CPU (on PREEMPT_RT a task at DISPATCH_LEVEL can be preempted).
 */
static struct ntdpc_irql_slot *ntdpc_irql_claim(struct ntdpc_irql *q,
						unsigned int ctx, KIRQL floor)
{
	struct ntdpc_irql_slot *s = NULL;
	int i;

	preempt_disable();
	for (i = 0; i < NTDPC_IRQL_SLOTS; i++) {
		if (!q->slot[ctx][i].owner) {
			s = &q->slot[ctx][i];
			s->floor = floor;
			WRITE_ONCE(s->owner, current);
			break;
		}
	}
	preempt_enable();
	return s;
}

/*
 * Between APC_LEVEL (preemption off) and DISPATCH_LEVEL (bottom halves
 * off), bottom halves change with preemption on: on PREEMPT_RT
 * local_bh_disable() takes a per-CPU lock only when it may sleep, and
 * local_bh_enable() must release what it took.  The task stays on its CPU
 * meanwhile, where its IRQL slot is.  Elsewhere bottom halves off keep
 * preemption off, and the order is the other way round.
 */
#ifdef CONFIG_PREEMPT_RT
/*
 * DISPATCH_LEVEL for a task on PREEMPT_RT.  Bottom halves off pin it to
 * its CPU but leave it preemptible, and on kernels without the softirq
 * lock (PREEMPT_RT_NEEDS_BH_LOCK off) another task of the CPU may be at
 * DISPATCH_LEVEL too.  NT promises that no DPC runs on a CPU while a task
 * there is at DISPATCH_LEVEL: that is this per-CPU lock, a sleeping one
 * with priority inheritance, taken by every task raising to DISPATCH_LEVEL
 * and by the drain's thread (bh_thread.c).  So a DPC queued at DISPATCH_LEVEL
 * runs once the IRQL drops, and a task at DISPATCH_LEVEL is alone there.
 */
static DEFINE_PER_CPU(local_lock_t, ntdpc_dispatch_lock) =
	INIT_LOCAL_LOCK(ntdpc_dispatch_lock);

/*
 * The lock is held from a raise to DISPATCH_LEVEL to the lowering below
 * it, which may be in different functions, and only when the IRQL crosses
 * DISPATCH_LEVEL: more than sparse's lock contexts can follow, so to
 * sparse these two leave the count as they found it.
 */
void ntdpc_dispatch_enter(void)
{
	local_bh_disable();
	local_lock(&ntdpc_dispatch_lock);
	__release(ntdpc_dispatch_lock);
}

/* The dispatch thread's way back, after a drain. */
void ntdpc_dispatch_exit(void)
{
	__acquire(ntdpc_dispatch_lock);
	local_unlock(&ntdpc_dispatch_lock);
	local_bh_enable();
}

/*
 * The owner of a slot set aside: no task, so the slot is neither found by
 * ntdpc_irql_slot_of() nor free to claim.
 */
#define NTDPC_IRQL_ASIDE	((struct task_struct *)ERR_PTR(-EBUSY))

/*
 * The DPCs a task runs on its way down are another context than the task's
 * (a drain's, which starts at DISPATCH_LEVEL, as in softirq context): its
 * IRQL slot is set aside meanwhile, so that their routines neither see nor
 * change the task's level.  Sharing it, a routine's spin lock left the
 * task at DISPATCH_LEVEL, the repair of a routine that returned raised
 * freed the task's slot, and a routine's lowering below DISPATCH_LEVEL
 * was taken for the task's.
 */
static struct ntdpc_irql_slot *ntdpc_irql_set_aside(void)
{
	struct ntdpc_irql_slot *s;

	s = ntdpc_irql_slot_of(this_cpu_ptr(&ntdpc_irql), NTDPC_CTX_TASK);
	if (s)
		WRITE_ONCE(s->owner, NTDPC_IRQL_ASIDE);
	return s;
}

/* After the drain: what its routines left claimed goes, the task's is back. */
static void ntdpc_irql_take_back(struct ntdpc_irql_slot *aside)
{
	struct ntdpc_irql_slot *s;

	while ((s = ntdpc_irql_slot_of(this_cpu_ptr(&ntdpc_irql),
				       NTDPC_CTX_TASK)))
		WRITE_ONCE(s->owner, NULL);
	if (aside)
		WRITE_ONCE(aside->owner, current);
}

/*
 * A task lowering its IRQL below DISPATCH_LEVEL runs the DPCs requested of
 * its CPU itself, before it leaves DISPATCH_LEVEL, as NT runs them on the
 * lowering thread.  The dispatch thread was woken for them, but it may not
 * preempt a task of its priority or above (a threaded interrupt handler, a
 * sched_set_fifo() thread), and a task it preempts may be pulled to another
 * CPU and return before they have run.  The task holds what the dispatch
 * thread would: bottom halves off, the dispatch lock, its CPU.  What a spent
 * drain budget leaves is the dispatch thread's.
 */
void ntdpc_dispatch_lower(void)
{
	struct ntdpc_cpu *c = this_cpu_ptr(&ntdpc_cpus);
	struct ntdpc_irql_slot *s;

	if (READ_ONCE(c->request_pending) && !READ_ONCE(c->draining)) {
		s = ntdpc_irql_set_aside();
		ntdpc_retire_dpcs(c);
		ntdpc_irql_take_back(s);
	}
	ntdpc_dispatch_exit();
}

/*
 * After an insertion below DISPATCH_LEVEL that requested this CPU's drain:
 * run it here, as on NT the DPC interrupt does before KeInsertQueueDpc()
 * returns.  A task that may not sleep (preemption off) cannot take the
 * dispatch lock; it offers the CPU to the dispatch thread instead.
 */
void ntdpc_dispatch_run_requested(void)
{
	if (!preemptible()) {
		ntdpc_preempt_point();
		return;
	}
	ntdpc_dispatch_enter();
	ntdpc_dispatch_lower();
}

/*
 * APC_LEVEL on PREEMPT_RT: pinned but preemptible, as on NT, where only
 * APCs are held off; with preemption off the way on to DISPATCH_LEVEL
 * could not take the dispatch lock, nor could local_bh_enable() run the
 * DPCs queued meanwhile.
 */
static void ntdpc_apc_enter(void)
{
	migrate_disable();
}

static void ntdpc_apc_exit(void)
{
	migrate_enable();
}
#else
/* APC_LEVEL elsewhere: preemption off, so that the IRQL slot stays ours. */
static void ntdpc_apc_enter(void)
{
	preempt_disable();
}

static void ntdpc_apc_exit(void)
{
	preempt_enable();
}
#endif

static void ntdpc_irql_up(KIRQL from, KIRQL to)
{
	if (from < DISPATCH_LEVEL && to >= DISPATCH_LEVEL) {
		ntdpc_dispatch_enter();
		if (from == APC_LEVEL)
			ntdpc_apc_exit();	/* DISPATCH_LEVEL keeps it */
	} else if (from == PASSIVE_LEVEL && to == APC_LEVEL) {
		ntdpc_apc_enter();
	}
	if (from <= DISPATCH_LEVEL && to > DISPATCH_LEVEL)
		local_irq_disable();
}

static void ntdpc_irql_down(KIRQL from, KIRQL to)
{
	if (from > DISPATCH_LEVEL && to <= DISPATCH_LEVEL)
		local_irq_enable();
	if (from >= DISPATCH_LEVEL && to < DISPATCH_LEVEL) {
		if (to == APC_LEVEL)
			ntdpc_apc_enter();
		ntdpc_dispatch_lower();	/* pending DPCs run here */
	} else if (from == APC_LEVEL && to == PASSIVE_LEVEL) {
		ntdpc_apc_exit();
	}
}

/**
 * ntdpc_raise_irql() - KeRaiseIrql() with the caller to report
 * @new: level to raise to
 * @caller: return address blamed for misuse
 *
 * Return: the previous level.  A raise to a lower level, or past
 * HIGH_LEVEL, is reported and changes nothing.
 */
KIRQL ntdpc_raise_irql(KIRQL new, unsigned long caller)
{
	unsigned int ctx = ntdpc_ctx();
	KIRQL cur = ntdpc_current_irql(ctx);
	struct ntdpc_irql_slot *s;
	struct ntdpc_irql *q;

	if (unlikely(new < cur || new > HIGH_LEVEL)) {
		ntdpc_report_misuse(NTDPC_MISUSE_RAISE_LOWER, caller,
				    "KeRaiseIrql to %u from %u", new, cur);
		return cur;
	}
	if (new == PASSIVE_LEVEL)
		return cur;
	q = raw_cpu_ptr(&ntdpc_irql);
	s = ntdpc_irql_slot_of(q, ctx);
	/*
	 * Interrupts off by Linux over a raise of ours to DISPATCH_LEVEL or
	 * below: they are not ours, so neither is a raise over them, which
	 * changes nothing (its lowering finds the slot as it was).
	 */
	if (unlikely(ntdpc_irqs_off_by_linux(s, cur)))
		return cur;
	ntdpc_irql_up(cur, new);
	/* Pinned to this CPU from here: its slot is ours. */
	q = this_cpu_ptr(&ntdpc_irql);
	if (!s) {
		s = ntdpc_irql_claim(q, ctx, cur);
		if (unlikely(!s)) {
			ntdpc_irql_down(new, cur);
			ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
					    "KeRaiseIrql to %u: more than %d tasks raised at once on CPU %d; refused",
					    new, NTDPC_IRQL_SLOTS,
					    raw_smp_processor_id());
			return cur;
		}
	}
	s->raised = new;
	return cur;
}

/*
 * From DISPATCH_LEVEL to @new below it while Linux has interrupts off (a
 * spin lock released inside an irqsave section taken after it).  Bottom
 * halves cannot come on the usual way with interrupts off: elsewhere than
 * on PREEMPT_RT they come on without running the pending softirqs, and the
 * DPCs wait for the CPU's next interrupt; the interrupts stay as the caller
 * has them.  On PREEMPT_RT the dispatch lock and bottom halves can only be
 * let go with interrupts on: the lowering is refused, and a later one
 * does it.
 */
static void ntdpc_lower_irqs_off(struct ntdpc_irql_slot *s, KIRQL new,
				 unsigned long caller)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		ntdpc_report_misuse(NTDPC_MISUSE_LOWER_IRQS_OFF, caller,
				    "KeLowerIrql to %u with interrupts disabled outside ntdpc: refused, IRQL stays %u",
				    new, DISPATCH_LEVEL);
		return;
	}
	ntdpc_report_misuse(NTDPC_MISUSE_LOWER_IRQS_OFF, caller,
			    "KeLowerIrql to %u with interrupts disabled outside ntdpc: they stay off, DPCs run at the next interrupt",
			    new);
	if (new == s->floor)
		WRITE_ONCE(s->owner, NULL);
	else
		s->raised = new;
	if (new == APC_LEVEL)
		ntdpc_apc_enter();
	ntdpc_dispatch_exit_irqs_off();
}

/*
 * A thread's routine (threaded DPC, work item) returned above
 * PASSIVE_LEVEL: back to it, with the interrupts it left off on, before
 * the lowering, which would otherwise keep them as they are.
 */
void ntdpc_irql_repair_passive(unsigned long caller)
{
	struct ntdpc_irql_slot *s;

	s = ntdpc_irql_slot_of(raw_cpu_ptr(&ntdpc_irql), NTDPC_CTX_TASK);
	if (irqs_disabled() && (!s || s->raised <= DISPATCH_LEVEL))
		local_irq_enable();
	ntdpc_lower_irql(PASSIVE_LEVEL, caller);
	/* A raise made with them off started above DISPATCH_LEVEL: not ours. */
	if (irqs_disabled())
		local_irq_enable();
}

/**
 * ntdpc_lower_irql() - KeLowerIrql() with the caller to report
 * @new: level to return to, normally what the matching raise returned
 * @caller: return address blamed for misuse
 */
void ntdpc_lower_irql(KIRQL new, unsigned long caller)
{
	unsigned int ctx = ntdpc_ctx();
	KIRQL cur = ntdpc_current_irql(ctx);
	struct ntdpc_irql_slot *s;
	KIRQL floor;

	s = ntdpc_irql_slot_of(raw_cpu_ptr(&ntdpc_irql), ctx);
	if (unlikely(ntdpc_irqs_off_by_linux(s, cur))) {
		/*
		 * Interrupts are off, and not by a raise of ours: a Linux
		 * irqsave section entered after the raise (a spin lock
		 * released out of order).  Only the raise is ours to undo,
		 * not the interrupts the caller turned off.  A lowering to
		 * above the raise is the match of a raise made over them,
		 * which recorded nothing.
		 */
		if (new > s->raised && new <= HIGH_LEVEL)
			return;
		cur = s->raised;
		if (cur == DISPATCH_LEVEL && new < DISPATCH_LEVEL &&
		    new >= s->floor) {
			ntdpc_lower_irqs_off(s, new, caller);
			return;
		}
	}
	if (unlikely(new > cur)) {
		ntdpc_report_misuse(NTDPC_MISUSE_LOWER_HIGHER, caller,
				    "KeLowerIrql to %u from %u", new, cur);
		return;
	}
	if (!s) {
		if (new < cur)
			ntdpc_report_misuse(NTDPC_MISUSE_LOWER_BELOW, caller,
					    "KeLowerIrql to %u, but %u is this context's own level",
					    new, cur);
		return;
	}
	floor = s->floor;
	if (unlikely(new < floor)) {
		ntdpc_report_misuse(NTDPC_MISUSE_LOWER_BELOW, caller,
				    "KeLowerIrql to %u, below %u where this context started",
				    new, floor);
		new = floor;
	}
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && new != floor &&
	    cur >= DISPATCH_LEVEL && new < DISPATCH_LEVEL) {
		/*
		 * To APC_LEVEL on PREEMPT_RT: the DPCs requested meanwhile
		 * run in this task on its way down (ntdpc_dispatch_lower()),
		 * so its slot says DISPATCH_LEVEL while they do, and
		 * APC_LEVEL after, when APC_LEVEL pins the task already.
		 */
		s->raised = DISPATCH_LEVEL;
		ntdpc_irql_down(cur, new);
		s->raised = new;
		return;
	}
	/* The slot first: lowering may let the task move or be preempted. */
	if (new == floor)
		WRITE_ONCE(s->owner, NULL);
	else
		s->raised = new;
	ntdpc_irql_down(cur, new);
}

/**
 * KeGetCurrentIrql() - the IRQL of the current processor
 *
 * Inside a DPC routine this is DISPATCH_LEVEL; in a Linux hardirq handler (an
 * ISR) or with local interrupts off it is HIGH_LEVEL; in softirq context or
 * with bottom halves off it is DISPATCH_LEVEL; otherwise PASSIVE_LEVEL, or
 * whatever KeRaiseIrql() raised it to.  Callable in any context.
 *
 * Return: the current IRQL.
 */
KIRQL KeGetCurrentIrql(void)
{
	return ntdpc_current_irql(ntdpc_ctx());
}
EXPORT_SYMBOL_GPL(KeGetCurrentIrql);

/**
 * KeRaiseIrql() - raise the processor's IRQL
 * @NewIrql: the level to raise to, not below the current one
 * @OldIrql: receives the previous level, for KeLowerIrql()
 *
 * Raising to DISPATCH_LEVEL holds off DPCs and preemption on this CPU; above
 * DISPATCH_LEVEL local interrupts are off too.  Raising to a lower level is a
 * caller bug (fatal on NT): it is reported once and changes nothing, and
 * @OldIrql still receives the current level so a matching KeLowerIrql() is
 * harmless.
 */
void KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
	KIRQL old = ntdpc_raise_irql(NewIrql, _RET_IP_);

	if (OldIrql)
		*OldIrql = old;
}
EXPORT_SYMBOL_GPL(KeRaiseIrql);

/**
 * KeLowerIrql() - restore the IRQL saved by KeRaiseIrql()
 * @NewIrql: the level KeRaiseIrql() returned
 *
 * Dropping below DISPATCH_LEVEL runs the DPCs queued on this CPU before it
 * returns, as NT's DPC software interrupt does.  Lowering to a higher level,
 * or below the level the caller's context started at, is reported once; the
 * IRQL is left consistent.
 */
void KeLowerIrql(KIRQL NewIrql)
{
	ntdpc_lower_irql(NewIrql, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeLowerIrql);

/**
 * KeRaiseIrqlToDpcLevel() - raise to DISPATCH_LEVEL
 *
 * Return: the previous IRQL.
 */
KIRQL KeRaiseIrqlToDpcLevel(void)
{
	return ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeRaiseIrqlToDpcLevel);

/**
 * KeRaiseIrqlToSynchLevel() - raise to SYNCH_LEVEL (local interrupts off)
 *
 * Return: the previous IRQL.
 */
KIRQL KeRaiseIrqlToSynchLevel(void)
{
	return ntdpc_raise_irql(SYNCH_LEVEL, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeRaiseIrqlToSynchLevel);

/* Is the caller an ordinary DPC routine, or an interrupt on top of one? */
bool ntdpc_in_ordinary_dpc(void)
{
	struct ntdpc_cpu *c = raw_cpu_ptr(&ntdpc_cpus);

	/* On PREEMPT_RT another task may preempt the drain: not in a DPC. */
	return READ_ONCE(c->running) && READ_ONCE(c->drainer) == current;
}

/**
 * KeIsExecutingDpc() - is a DPC routine running on this processor?
 *
 * True inside a DPC routine, ordinary or threaded, and in an interrupt that
 * arrived while an ordinary one was running on this CPU (as NT's
 * DpcRoutineActive).
 *
 * Return: TRUE or FALSE.
 */
LOGICAL KeIsExecutingDpc(void)
{
	return ntdpc_in_ordinary_dpc() || ntdpc_in_threaded_dpc();
}
EXPORT_SYMBOL_GPL(KeIsExecutingDpc);

/* Make @p SCHED_FIFO at @prio (see NTDPC_PRIO_DISPATCH). */
void ntdpc_set_fifo(struct task_struct *p, int prio)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_FIFO,
		.sched_priority = prio,
	};

	sched_setattr_nocheck(p, &attr);
}

/**
 * ntdpc_passive_only() - may the caller make a PASSIVE_LEVEL-only call?
 * @api: the NT call being made, for the report
 * @caller: its caller, for the report
 *
 * Those calls sleep or wait for DPCs to run.  A threaded DPC routine runs
 * at PASSIVE_LEVEL, but NT counts it as DISPATCH_LEVEL for them: it would
 * wait for its own thread, or block the CPU's other threaded DPCs.
 *
 * Return: true if it may; otherwise the call is reported and false.
 */
bool ntdpc_passive_only(const char *api, unsigned long caller)
{
	KIRQL irql = KeGetCurrentIrql();

	if (likely(irql == PASSIVE_LEVEL && !ntdpc_in_threaded_dpc()))
		return true;
	if (irql == PASSIVE_LEVEL)
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s from a threaded DPC routine: refused, it needs PASSIVE_LEVEL outside DPCs",
				    api);
	else
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s at IRQL %u: refused, it needs PASSIVE_LEVEL",
				    api, irql);
	return false;
}

/* After a routine left its IRQL raised: the drain's slot starts clean. */
void ntdpc_irql_reset_context(void)
{
	struct ntdpc_irql_slot *s;

	s = ntdpc_irql_slot_of(this_cpu_ptr(&ntdpc_irql), ntdpc_ctx());
	if (s)
		WRITE_ONCE(s->owner, NULL);
}
