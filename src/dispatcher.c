// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatcher objects: KEVENT, the signal state of KTIMER, and
 * KeWaitForSingleObject().
 *
 * As in NT's dispatcher, a signal satisfies waits directly.  A
 * notification object becomes signalled and satisfies every waiter; a
 * synchronization object with waiters satisfies the first one and stays not
 * signalled (so two KeSetEvent() calls release two waiters), and without
 * waiters it becomes signalled until a wait consumes it.  Waiters are
 * ntdpc_wait entries on the object's WaitListHead, which the header's raw
 * lock guards with SignalState; a waiter that times out leaves the list
 * under that lock, so a signal is never handed to a waiter that has gone.
 * The lock is raw and a waiter is woken with wake_up_process(), so that a
 * signal is fine from any context up to HIGH_LEVEL, PREEMPT_RT included;
 * a notification object wakes its waiters under the lock, each a bounded
 * piece of work, as NT does at its dispatcher level.
 */
#include <linux/hrtimer.h>
#include <linux/sched.h>

#include <linux/uaccess.h>

#include "internal.h"

struct ntdpc_wait {
	struct list_head entry;
	struct task_struct *task;
	bool satisfied;
};

static inline struct list_head *ntdpc_header_waiters(DISPATCHER_HEADER *h)
{
	return (struct list_head *)&h->WaitListHead;
}

static bool ntdpc_header_is_sync(DISPATCHER_HEADER *h)
{
	return h->Type == EventSynchronizationObject ||
	       h->Type == TimerSynchronizationObject;
}

bool ntdpc_header_valid(DISPATCHER_HEADER *h)
{
	return h && (h->Type == EventNotificationObject ||
		     h->Type == EventSynchronizationObject ||
		     h->Type == TimerNotificationObject ||
		     h->Type == TimerSynchronizationObject);
}

/*
 * Do threads wait on this object?  Asked of memory that may never have been
 * initialised (a driver's first KeInitializeEvent()), so the wait list is
 * believed only when it is a valid object's and its first entry points
 * back at it, and that entry is read without faulting.
 */
static bool ntdpc_header_awaited(DISPATCHER_HEADER *h)
{
	struct list_head *head = ntdpc_header_waiters(h), *next, *back;

	if (!ntdpc_header_valid(h))
		return false;
	next = READ_ONCE(head->next);
	if (!next || next == head ||
	    get_kernel_nofault(back, &next->prev))
		return false;
	return back == head;
}

/*
 * Initialise an event's or a timer's header.  Initialising one that threads
 * wait on would orphan them and corrupt their wait entries (on NT it
 * corrupts the wait list): it is reported, and only the type and state are
 * set, under the lock, so the waiters stay queued and a signal still
 * reaches them.  Return: false in that case.
 */
bool ntdpc_header_init(DISPATCHER_HEADER *h, UCHAR type, LONG state,
		       unsigned long caller)
{
	unsigned long flags;

	if (unlikely(ntdpc_header_awaited(h))) {
		ntdpc_report_misuse(NTDPC_MISUSE_REINIT_IN_USE, caller,
				    "object %p initialised while threads wait on it; they keep waiting",
				    h);
		raw_spin_lock_irqsave(&h->NtdpcLock, flags);
		h->Type = type;
		h->SignalState = state;
		raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
		return false;
	}
	h->Type = type;
	h->SignalState = state;
	INIT_LIST_HEAD(ntdpc_header_waiters(h));
	raw_spin_lock_init(&h->NtdpcLock);
	return true;
}

/* Under the header's lock: hand the signal to the first waiter. */
static void ntdpc_satisfy_first(DISPATCHER_HEADER *h)
{
	struct ntdpc_wait *w = list_first_entry(ntdpc_header_waiters(h),
						struct ntdpc_wait, entry);

	list_del_init(&w->entry);
	WRITE_ONCE(w->satisfied, true);
	wake_up_process(w->task);
}

/* Signal the object, satisfying waits; returns the previous state. */
LONG ntdpc_header_signal(DISPATCHER_HEADER *h)
{
	unsigned long flags;
	LONG prev;

	raw_spin_lock_irqsave(&h->NtdpcLock, flags);
	prev = h->SignalState;
	if (ntdpc_header_is_sync(h)) {
		if (list_empty(ntdpc_header_waiters(h)))
			h->SignalState = 1;
		else
			ntdpc_satisfy_first(h);
	} else {
		h->SignalState = 1;
		while (!list_empty(ntdpc_header_waiters(h)))
			ntdpc_satisfy_first(h);
	}
	raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
	return prev;
}

LONG ntdpc_header_reset(DISPATCHER_HEADER *h)
{
	unsigned long flags;
	LONG prev;

	raw_spin_lock_irqsave(&h->NtdpcLock, flags);
	prev = h->SignalState;
	h->SignalState = 0;
	raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
	return prev;
}

/* Under the header's lock: take a signal that is there, as a wait does. */
static bool ntdpc_header_consume(DISPATCHER_HEADER *h)
{
	if (h->SignalState <= 0)
		return false;
	if (ntdpc_header_is_sync(h))
		h->SignalState = 0;
	return true;
}

/**
 * KeWaitForSingleObject() - wait for an event or a timer to be signalled
 * @Object: a KEVENT or KTIMER
 * @WaitReason: ignored (Executive)
 * @WaitMode: ignored (the wait is always a kernel-mode wait)
 * @Alertable: ignored (ntdpc has no APCs); the wait is not interruptible
 * @Timeout: NULL to wait forever; else 100 ns units, negative relative,
 *	positive an absolute system time, 0 to test without waiting
 *
 * A synchronization object is reset by the wait it satisfies.
 *
 * Context: PASSIVE_LEVEL outside DPC routines, or anywhere with a zero
 * @Timeout.  ntdpc's APC_LEVEL is not preemptible, so unlike NT it cannot
 * wait there.  A non-zero timeout above PASSIVE_LEVEL or in a threaded DPC
 * routine (which must not block, as NT says) is reported and fails.
 *
 * Return: STATUS_SUCCESS (STATUS_WAIT_0), STATUS_TIMEOUT, or
 * STATUS_INVALID_PARAMETER for a bad object or a wait at raised IRQL.
 */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
			       KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
			       PLARGE_INTEGER Timeout)
{
	DISPATCHER_HEADER *h = Object;
	struct ntdpc_wait w = { .task = current };
	ktime_t deadline = KTIME_MAX;
	NTSTATUS status;
	unsigned long flags;
	bool timed_out = false, got;

	if (unlikely(!ntdpc_header_valid(h))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(%p): not an event or timer", __func__, h);
		return STATUS_INVALID_PARAMETER;
	}
	raw_spin_lock_irqsave(&h->NtdpcLock, flags);
	got = ntdpc_header_consume(h);
	raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
	if (got)
		return STATUS_SUCCESS;
	if (Timeout && Timeout->QuadPart == 0)
		return STATUS_TIMEOUT;
	if (!ntdpc_passive_only("a wait with a timeout", _RET_IP_))
		return STATUS_INVALID_PARAMETER;
	if (Timeout)
		deadline = ntdpc_due_to_expiry(Timeout->QuadPart);

	raw_spin_lock_irqsave(&h->NtdpcLock, flags);
	if (ntdpc_header_consume(h)) {	/* signalled meanwhile */
		raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
		return STATUS_SUCCESS;
	}
	list_add_tail(&w.entry, ntdpc_header_waiters(h));
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
		if (!READ_ONCE(w.satisfied) && !timed_out) {
			if (deadline == KTIME_MAX)
				schedule();
			else if (!schedule_hrtimeout(&deadline, HRTIMER_MODE_ABS))
				timed_out = true;
		}
		raw_spin_lock_irqsave(&h->NtdpcLock, flags);
		if (w.satisfied) {
			status = STATUS_SUCCESS;
			break;
		}
		if (timed_out) {
			list_del_init(&w.entry);
			status = STATUS_TIMEOUT;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&h->NtdpcLock, flags);
	__set_current_state(TASK_RUNNING);
	return status;
}
EXPORT_SYMBOL_GPL(KeWaitForSingleObject);

/**
 * KeInitializeEvent() - initialise an event
 * @Event: caller-allocated KEVENT
 * @Type: NotificationEvent (stays signalled, releases every waiter) or
 *	SynchronizationEvent (releases one waiter and resets)
 * @State: initial state, TRUE for signalled
 */
void KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
	if (unlikely(!Event || (Type != NotificationEvent &&
				Type != SynchronizationEvent))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(%p, %d)", __func__, Event, Type);
		return;
	}
	ntdpc_header_init(&Event->Header,
			  Type == NotificationEvent ? EventNotificationObject :
						      EventSynchronizationObject,
			  !!State, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeInitializeEvent);

static bool ntdpc_event_valid(PRKEVENT Event, unsigned long caller)
{
	if (likely(Event && (Event->Header.Type == EventNotificationObject ||
			     Event->Header.Type == EventSynchronizationObject)))
		return true;
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, caller,
			    "KEVENT %p was never initialised", Event);
	return false;
}

/**
 * KeSetEvent() - signal an event
 * @Event: the event
 * @Increment: ignored (no priority boosts)
 * @Wait: ignored (no wait call follows in ntdpc's sense)
 *
 * Context: any IRQL up to DISPATCH_LEVEL (hardirq works too).
 *
 * Return: the previous state, or 0 for a bad event (reported).
 */
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	if (!ntdpc_event_valid(Event, _RET_IP_))
		return 0;
	return ntdpc_header_signal(&Event->Header);
}
EXPORT_SYMBOL_GPL(KeSetEvent);

/**
 * KeClearEvent() - set an event to not signalled
 * @Event: the event
 */
void KeClearEvent(PRKEVENT Event)
{
	if (ntdpc_event_valid(Event, _RET_IP_))
		ntdpc_header_reset(&Event->Header);
}
EXPORT_SYMBOL_GPL(KeClearEvent);

/**
 * KeResetEvent() - set an event to not signalled
 * @Event: the event
 *
 * Return: the previous state.
 */
LONG KeResetEvent(PRKEVENT Event)
{
	if (!ntdpc_event_valid(Event, _RET_IP_))
		return 0;
	return ntdpc_header_reset(&Event->Header);
}
EXPORT_SYMBOL_GPL(KeResetEvent);

/**
 * KeReadStateEvent() - the current state of an event
 * @Event: the event
 *
 * Return: nonzero if signalled.
 */
LONG KeReadStateEvent(PRKEVENT Event)
{
	if (!ntdpc_event_valid(Event, _RET_IP_))
		return 0;
	return READ_ONCE(Event->Header.SignalState);
}
EXPORT_SYMBOL_GPL(KeReadStateEvent);
