// SPDX-License-Identifier: GPL-2.0
/*
 * KTIMER: NT timers on hrtimers.
 *
 * A timer is an hrtimer pinned to the CPU that set it, firing in hardirq
 * context as NT's clock interrupt does.  On expiry, in NT's order: the timer
 * is signalled (waiters released), a periodic timer is re-armed, then its DPC
 * is queued, on the DPC's target CPU or this one, with SystemArgument1/2 the
 * low and high parts of the expiry's system time.  Periodic timers advance
 * from their scheduled expiry (hrtimer_forward()), so no drift accumulates;
 * missed periods are skipped, not bunched up.
 *
 * The timer's own raw lock orders setting, cancelling and expiry: an expiry
 * that finds the timer cancelled, or set again for later, does nothing.
 * Absolute due times are converted to the monotonic clock when set
 * (time.c); a later change of the wall clock does not move them.
 *
 * Set timers are also on lists, so that a module that goes away with a timer
 * still set can have it cancelled.  A timer's list is picked by a hash of
 * its address: a KTIMER has no field to remember a CPU's list in, and
 * timers set and expiring at once on different CPUs then seldom share a
 * list's lock, where one global list would make every one-shot expiry and
 * every setting of a timer take the same lock.
 */
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/task_stack.h>

#include "internal.h"

#define NTDPC_TIMER_LISTS_BITS	6

struct ntdpc_timer_list {
	raw_spinlock_t lock;
	struct list_head head;
} ____cacheline_aligned_in_smp;

static struct ntdpc_timer_list ntdpc_timer_lists[1 << NTDPC_TIMER_LISTS_BITS];

void ntdpc_timers_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ntdpc_timer_lists); i++) {
		raw_spin_lock_init(&ntdpc_timer_lists[i].lock);
		INIT_LIST_HEAD(&ntdpc_timer_lists[i].head);
	}
}

static inline struct ntdpc_timer_list *ntdpc_timer_list_of(PKTIMER t)
{
	return &ntdpc_timer_lists[hash_ptr(t, NTDPC_TIMER_LISTS_BITS)];
}

static inline struct list_head *ntdpc_timer_entry(PKTIMER t)
{
	return (struct list_head *)&t->TimerListEntry;
}

/* Called with the timer's lock held. */
static void ntdpc_timer_remember(PKTIMER t)
{
	struct ntdpc_timer_list *l = ntdpc_timer_list_of(t);

	raw_spin_lock(&l->lock);
	list_add(ntdpc_timer_entry(t), &l->head);
	raw_spin_unlock(&l->lock);
}

/* Called with the timer's lock held. */
static void ntdpc_timer_forget(PKTIMER t)
{
	struct ntdpc_timer_list *l = ntdpc_timer_list_of(t);

	t->Inserted = FALSE;
	raw_spin_lock(&l->lock);
	list_del_init(ntdpc_timer_entry(t));
	raw_spin_unlock(&l->lock);
}

static bool ntdpc_timer_cancel(PKTIMER t);

static enum hrtimer_restart ntdpc_timer_fn(struct hrtimer *hr)
{
	PKTIMER t = container_of(hr, KTIMER, NtdpcTimer);
	enum hrtimer_restart restart = HRTIMER_NORESTART;
	LARGE_INTEGER when;
	unsigned long flags;
	PKDPC dpc;

	raw_spin_lock_irqsave(&t->NtdpcLock, flags);
	/* Cancelled, or set again for later, since this expiry was due. */
	if (!t->Inserted || hrtimer_is_queued(hr)) {
		raw_spin_unlock_irqrestore(&t->NtdpcLock, flags);
		return HRTIMER_NORESTART;
	}
	if (trace_ntdpc_timer_expire_enabled())
		trace_ntdpc_timer_expire(t, t->Dpc,
					 ktime_to_ns(ktime_sub(hrtimer_cb_get_time(hr),
							       hrtimer_get_expires(hr))));
	when.QuadPart = ntdpc_mono_to_system(hrtimer_get_expires(hr));
	ntdpc_header_signal(&t->Header);
	if (t->Period) {
		hrtimer_forward(hr, hrtimer_cb_get_time(hr),
				ms_to_ktime(t->Period));
		t->DueTime.QuadPart = ktime_to_ns(hrtimer_get_expires(hr)) / 100;
		restart = HRTIMER_RESTART;
	} else {
		ntdpc_timer_forget(t);
	}
	dpc = t->Dpc;
	raw_spin_unlock_irqrestore(&t->NtdpcLock, flags);

	if (dpc)
		KeInsertQueueDpc(dpc, (PVOID)(ULONG_PTR)when.LowPart,
				 (PVOID)(ULONG_PTR)(ULONG)when.HighPart);
	return restart;
}

/**
 * KeInitializeTimerEx() - initialise a timer
 * @Timer: caller-allocated KTIMER
 * @Type: NotificationTimer (stays signalled after expiry, releases every
 *	waiter) or SynchronizationTimer (releases one waiter and resets)
 */
void KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
	if (unlikely(!Timer || (Type != NotificationTimer &&
				Type != SynchronizationTimer))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(%p, %d)", __func__, Timer, Type);
		return;
	}
	/*
	 * An initialised timer (its hrtimer is ours) may be set, or expiring
	 * on another CPU: its hrtimer and its entry on the list of set timers
	 * must not be initialised under it.  Set, it is a caller bug, reported
	 * and cancelled first; expiring, the init waits for the expiry.
	 */
	if (ntdpc_header_valid(&Timer->Header) &&
	    READ_ONCE(Timer->NtdpcTimer.function) == ntdpc_timer_fn &&
	    ntdpc_timer_cancel(Timer))
		ntdpc_report_misuse(NTDPC_MISUSE_REINIT_IN_USE, _RET_IP_,
				    "KTIMER %p initialised while set; cancelled it first",
				    Timer);
	ntdpc_header_init(&Timer->Header,
			  Type == NotificationTimer ? TimerNotificationObject :
						      TimerSynchronizationObject,
			  0, _RET_IP_);
	Timer->DueTime.QuadPart = 0;
	INIT_LIST_HEAD(ntdpc_timer_entry(Timer));
	Timer->Dpc = NULL;
	Timer->Period = 0;
	Timer->Inserted = FALSE;
	raw_spin_lock_init(&Timer->NtdpcLock);
	/*
	 * NT drivers keep a KTIMER on the stack to wait on it; debug objects
	 * report an hrtimer there unless told.  NT has no call that ends a
	 * KTIMER, so nothing calls destroy_hrtimer_on_stack(): the tracking
	 * of an inactive timer is dropped when its stack is freed, or taken
	 * over by the next object initialised at that address.
	 */
	if (object_is_on_stack(Timer))
		ntdpc_hrtimer_setup_on_stack(&Timer->NtdpcTimer, ntdpc_timer_fn,
					     CLOCK_MONOTONIC,
					     HRTIMER_MODE_ABS_PINNED_HARD);
	else
		ntdpc_hrtimer_setup(&Timer->NtdpcTimer, ntdpc_timer_fn,
				    CLOCK_MONOTONIC,
				    HRTIMER_MODE_ABS_PINNED_HARD);
}
EXPORT_SYMBOL_GPL(KeInitializeTimerEx);

/**
 * KeInitializeTimer() - initialise a notification timer
 * @Timer: caller-allocated KTIMER
 */
void KeInitializeTimer(PKTIMER Timer)
{
	KeInitializeTimerEx(Timer, NotificationTimer);
}
EXPORT_SYMBOL_GPL(KeInitializeTimer);

static bool ntdpc_timer_valid(PKTIMER t, unsigned long caller)
{
	if (likely(t && (t->Header.Type == TimerNotificationObject ||
			 t->Header.Type == TimerSynchronizationObject)))
		return true;
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, caller,
			    "KTIMER %p was never initialised", t);
	return false;
}

/**
 * KeSetTimerEx() - set a timer, optionally periodic, optionally with a DPC
 * @Timer: an initialised timer
 * @DueTime: first expiry in 100 ns units: negative relative to now, positive
 *	an absolute system time (KeQuerySystemTime()), 0 at once
 * @Period: period in ms after the first expiry, 0 for a one-shot timer
 * @Dpc: DPC to queue on each expiry, or NULL
 *
 * Setting a timer that is already set cancels its pending expiry.  The timer
 * is reset to not signalled.  Callable at IRQL <= DISPATCH_LEVEL, in the
 * timer's own DPC too.
 *
 * Return: TRUE if the timer was already set, else FALSE; FALSE for bad
 * arguments (reported), which leave the timer as it was.
 */
BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period,
		     PKDPC Dpc)
{
	unsigned long flags;
	ktime_t expires;
	BOOLEAN was;

	if (!ntdpc_timer_valid(Timer, _RET_IP_))
		return FALSE;
	if (unlikely(Period < 0 || (Dpc && !ntdpc_dpc_valid(Dpc, _RET_IP_)))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(%p, period %d, dpc %p)", __func__,
				    Timer, Period, Dpc);
		return FALSE;
	}
	expires = ntdpc_due_to_expiry(DueTime.QuadPart);

	raw_spin_lock_irqsave(&Timer->NtdpcLock, flags);
	was = Timer->Inserted;
	/* A module going away may not set its timers: see ntdpc_quiesce(). */
	if (ntdpc_quiescing() &&
	    ntdpc_quiesce_refuses_timer(Timer, Dpc)) {
		raw_spin_unlock_irqrestore(&Timer->NtdpcLock, flags);
		return was;
	}
	Timer->Inserted = TRUE;
	Timer->Dpc = Dpc;
	Timer->Period = Period;
	Timer->DueTime.QuadPart = ktime_to_ns(expires) / 100;
	ntdpc_header_reset(&Timer->Header);
	if (!was)
		ntdpc_timer_remember(Timer);
	hrtimer_start(&Timer->NtdpcTimer, expires, HRTIMER_MODE_ABS_PINNED_HARD);
	raw_spin_unlock_irqrestore(&Timer->NtdpcLock, flags);
	return was;
}
EXPORT_SYMBOL_GPL(KeSetTimerEx);

/**
 * KeSetTimer() - set a one-shot timer
 * @Timer: an initialised timer
 * @DueTime: as for KeSetTimerEx()
 * @Dpc: DPC to queue on expiry, or NULL
 *
 * Return: TRUE if the timer was already set.
 */
BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
	return KeSetTimerEx(Timer, DueTime, 0, Dpc);
}
EXPORT_SYMBOL_GPL(KeSetTimer);

/*
 * Cancel a timer: when this returns it is not set, no expiry of it is
 * pending or running, and it is off the list of set timers, so its memory
 * may be freed.  The pending expiry is cancelled under the timer's lock, so
 * that a KeSetTimerEx() racing the cancel is either before it (and
 * cancelled) or after it (and stays set), never half of each.  An expiry
 * already running on another CPU cannot be stopped, but it finds the timer
 * no longer Inserted and does nothing; it is waited for outside the lock,
 * which it takes.  Returns whether the timer was set.
 */
static bool ntdpc_timer_cancel(PKTIMER t)
{
	struct hrtimer *hr = &t->NtdpcTimer;
	unsigned long flags;
	bool was;
	int ret;

	raw_spin_lock_irqsave(&t->NtdpcLock, flags);
	was = t->Inserted;
	if (was)
		ntdpc_timer_forget(t);
	ret = hrtimer_try_to_cancel(hr);
	raw_spin_unlock_irqrestore(&t->NtdpcLock, flags);
	if (likely(ret >= 0))
		return was;

	/*
	 * The wait also cancels what a KeSetTimerEx() started meanwhile: that
	 * setting counts as one before this cancel, and is undone in full.
	 */
	hrtimer_cancel(hr);
	raw_spin_lock_irqsave(&t->NtdpcLock, flags);
	if (t->Inserted && !hrtimer_active(hr)) {
		ntdpc_timer_forget(t);
		was = true;
	}
	raw_spin_unlock_irqrestore(&t->NtdpcLock, flags);
	return was;
}

/**
 * KeCancelTimer() - cancel a set timer
 * @Timer: the timer
 *
 * Waits for an expiry running on another CPU to finish.  As on NT, a DPC the
 * timer has already queued is not removed: it still runs.
 *
 * Return: TRUE if the timer was set, FALSE if it had expired (one-shot) or
 * was never set.
 */
BOOLEAN KeCancelTimer(PKTIMER Timer)
{
	if (!ntdpc_timer_valid(Timer, _RET_IP_))
		return FALSE;
	return ntdpc_timer_cancel(Timer);
}
EXPORT_SYMBOL_GPL(KeCancelTimer);

/**
 * KeReadStateTimer() - has the timer expired since it was set?
 * @Timer: the timer
 *
 * Return: TRUE if signalled.
 */
BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
	if (!ntdpc_timer_valid(Timer, _RET_IP_))
		return FALSE;
	return READ_ONCE(Timer->Header.SignalState) != 0;
}
EXPORT_SYMBOL_GPL(KeReadStateTimer);

/**
 * ntdpc_cancel_timers() - cancel the set timers of an owner going away
 * @o: what belongs to it
 *
 * Called while ntdpc_quiesce() refuses to set them again.  Does not sleep,
 * but waits for an expiry running on another CPU.
 *
 * Return: how many set timers were cancelled.
 */
unsigned int ntdpc_cancel_timers(const struct ntdpc_owner *o)
{
	unsigned int cancelled = 0, i;

	for (i = 0; i < ARRAY_SIZE(ntdpc_timer_lists); i++) {
		struct ntdpc_timer_list *l = &ntdpc_timer_lists[i];

		for (;;) {
			struct list_head *pos;
			PKTIMER found = NULL;

			raw_spin_lock_irq(&l->lock);
			list_for_each(pos, &l->head) {
				PKTIMER t = container_of((PLIST_ENTRY)pos,
							 KTIMER,
							 TimerListEntry);

				if (ntdpc_owns_timer(o, t, READ_ONCE(t->Dpc))) {
					found = t;
					break;
				}
			}
			raw_spin_unlock_irq(&l->lock);
			if (!found)
				break;
			/* Off its list once cancelled, set or not. */
			if (ntdpc_timer_cancel(found))
				cancelled++;
		}
	}
	return cancelled;
}
