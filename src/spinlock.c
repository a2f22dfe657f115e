// SPDX-License-Identifier: GPL-2.0
/*
 * NT spin locks.  KSPIN_LOCK is a raw_spinlock_t; taking one raises to
 * DISPATCH_LEVEL first (bottom halves off), so a DPC on the same CPU cannot
 * interrupt the holder and spin on the lock.
 */
#include "internal.h"

/**
 * KeAcquireSpinLock() - raise to DISPATCH_LEVEL and take a spin lock
 * @SpinLock: lock set up by KeInitializeSpinLock()
 * @OldIrql: receives the IRQL to pass to KeReleaseSpinLock()
 *
 * Callable at IRQL <= DISPATCH_LEVEL.
 */
void KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
	__acquires(SpinLock)
{
	KIRQL old = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);

	if (OldIrql)
		*OldIrql = old;
	raw_spin_lock(SpinLock);
}
EXPORT_SYMBOL_GPL(KeAcquireSpinLock);

/**
 * KeReleaseSpinLock() - release a spin lock and restore the IRQL
 * @SpinLock: lock taken by KeAcquireSpinLock()
 * @NewIrql: the IRQL KeAcquireSpinLock() returned
 *
 * Returning below DISPATCH_LEVEL runs DPCs queued meanwhile on this CPU.
 */
void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
	__releases(SpinLock)
{
	raw_spin_unlock(SpinLock);
	ntdpc_lower_irql(NewIrql, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseSpinLock);

/**
 * KeAcquireSpinLockRaiseToDpc() - KeAcquireSpinLock() returning the old IRQL
 * @SpinLock: lock set up by KeInitializeSpinLock()
 *
 * Return: the IRQL to pass to KeReleaseSpinLock().
 */
KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock) __acquires(SpinLock)
{
	KIRQL old = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);

	raw_spin_lock(SpinLock);
	return old;
}
EXPORT_SYMBOL_GPL(KeAcquireSpinLockRaiseToDpc);

/*
 * An AtDpcLevel acquire below DISPATCH_LEVEL (from a threaded DPC, or a
 * thread) is a caller bug.  Taking the lock as asked would leave bottom
 * halves on: an ordinary DPC of the same CPU that takes the lock could
 * interrupt the holder and spin for ever.  So the acquire raises to
 * DISPATCH_LEVEL, as the ForDpc variant does, and notes the lock and the
 * IRQL it came from on its CPU (where the raise keeps it), so that the
 * FromDpcLevel release, which has no IRQL to restore, lowers again.  A few
 * such locks may be held at once on a CPU; past that the lock is taken
 * without the raise, as before, still reported.
 */
struct ntdpc_raised_lock {
	PKSPIN_LOCK lock;
	KIRQL old;
};

#define NTDPC_RAISED_LOCKS	4

struct ntdpc_raised_locks {
	unsigned int nr;
	struct ntdpc_raised_lock held[NTDPC_RAISED_LOCKS];
};

static DEFINE_PER_CPU(struct ntdpc_raised_locks, ntdpc_raised_locks);

static void ntdpc_at_dpc_level(PKSPIN_LOCK lock, const char *fn,
			       unsigned long caller)
{
	KIRQL irql = KeGetCurrentIrql(), old;
	struct ntdpc_raised_locks *r;

	if (unlikely(ntdpc_in_threaded_dpc()))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s from a threaded DPC (NT forbids it; use the ForDpc variant): raised to DISPATCH_LEVEL",
				    fn);
	else if (unlikely(irql < DISPATCH_LEVEL))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s below DISPATCH_LEVEL: raised to DISPATCH_LEVEL",
				    fn);
	if (likely(irql >= DISPATCH_LEVEL))
		return;
	old = ntdpc_raise_irql(DISPATCH_LEVEL, caller);
	r = this_cpu_ptr(&ntdpc_raised_locks);
	if (r->nr == NTDPC_RAISED_LOCKS) {
		ntdpc_lower_irql(old, caller);
		return;
	}
	r->held[r->nr].lock = lock;
	r->held[r->nr].old = old;
	r->nr++;
}

/* After a FromDpcLevel release: back to the IRQL its acquire raised from. */
static void ntdpc_from_dpc_level(PKSPIN_LOCK lock, unsigned long caller)
{
	struct ntdpc_raised_locks *r = this_cpu_ptr(&ntdpc_raised_locks);
	unsigned int i;
	KIRQL old;

	if (likely(!r->nr))
		return;
	for (i = r->nr; i-- > 0;)
		if (r->held[i].lock == lock)
			break;
	if (i >= r->nr)
		return;
	old = r->held[i].old;
	r->nr--;
	memmove(&r->held[i], &r->held[i + 1],
		(r->nr - i) * sizeof(r->held[0]));
	ntdpc_lower_irql(old, caller);
}

/**
 * KeAcquireSpinLockAtDpcLevel() - take a spin lock already at DISPATCH_LEVEL
 * @SpinLock: lock set up by KeInitializeSpinLock()
 *
 * The caller must be at IRQL >= DISPATCH_LEVEL (a DPC routine, or after
 * KeRaiseIrql()).  Called lower, or from a threaded DPC (which NT forbids),
 * it is reported, raises to DISPATCH_LEVEL and takes the lock; the matching
 * KeReleaseSpinLockFromDpcLevel() lowers the IRQL again.
 */
void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) __acquires(SpinLock)
{
	ntdpc_at_dpc_level(SpinLock, __func__, _RET_IP_);
	raw_spin_lock(SpinLock);
}
EXPORT_SYMBOL_GPL(KeAcquireSpinLockAtDpcLevel);

/**
 * KeReleaseSpinLockFromDpcLevel() - release without changing the IRQL
 * @SpinLock: lock taken by KeAcquireSpinLockAtDpcLevel()
 */
void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) __releases(SpinLock)
{
	raw_spin_unlock(SpinLock);
	ntdpc_from_dpc_level(SpinLock, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseSpinLockFromDpcLevel);

/**
 * KeAcquireSpinLockForDpc() - take a spin lock from code shared by ordinary
 *	and threaded DPCs
 * @SpinLock: lock set up by KeInitializeSpinLock()
 *
 * Raises to DISPATCH_LEVEL only when called below it (in a threaded DPC), so
 * one routine body serves both kinds of DPC.
 *
 * Return: the IRQL to pass to KeReleaseSpinLockForDpc().
 */
KIRQL KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock) __acquires(SpinLock)
{
	KIRQL old = KeGetCurrentIrql();

	if (old < DISPATCH_LEVEL)
		old = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);
	raw_spin_lock(SpinLock);
	return old;
}
EXPORT_SYMBOL_GPL(KeAcquireSpinLockForDpc);

/**
 * KeReleaseSpinLockForDpc() - release a lock taken by KeAcquireSpinLockForDpc()
 * @SpinLock: the lock
 * @OldIrql: what KeAcquireSpinLockForDpc() returned
 */
void KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql)
	__releases(SpinLock)
{
	raw_spin_unlock(SpinLock);
	if (OldIrql < DISPATCH_LEVEL)
		ntdpc_lower_irql(OldIrql, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseSpinLockForDpc);

/*
 * Fill in an in-stack handle's queue entry and take its lock.  OldIrql is
 * the caller's business: the AtDpcLevel acquire leaves it alone, as NT's
 * does, since its release does not read it.
 */
static void ntdpc_take_handle(PKSPIN_LOCK SpinLock,
			      PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock)
{
	LockHandle->LockQueue.Next = NULL;
	LockHandle->LockQueue.Lock = SpinLock;
	raw_spin_lock(SpinLock);
}

/**
 * KeAcquireInStackQueuedSpinLock() - raise to DISPATCH_LEVEL and take a lock,
 *	state in a caller-provided handle
 * @SpinLock: lock set up by KeInitializeSpinLock()
 * @LockHandle: caller's (usually on-stack) handle, passed to the release
 *
 * Linux's raw spinlock is itself a fair queued lock on x86 (qspinlock), which
 * is what NT's in-stack queued locks provide.
 */
void KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
				    PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock)
{
	LockHandle->OldIrql = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);
	ntdpc_take_handle(SpinLock, LockHandle);
}
EXPORT_SYMBOL_GPL(KeAcquireInStackQueuedSpinLock);

/**
 * KeReleaseInStackQueuedSpinLock() - release and restore the IRQL
 * @LockHandle: the handle KeAcquireInStackQueuedSpinLock() filled in
 */
void KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle)
{
	raw_spin_unlock(LockHandle->LockQueue.Lock);
	ntdpc_lower_irql(LockHandle->OldIrql, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseInStackQueuedSpinLock);

/**
 * KeAcquireInStackQueuedSpinLockAtDpcLevel() - in-stack lock at DISPATCH_LEVEL
 * @SpinLock: lock set up by KeInitializeSpinLock()
 * @LockHandle: caller's handle
 *
 * As KeAcquireSpinLockAtDpcLevel(), including its misuse reports.
 * LockHandle->OldIrql is not written: NT leaves it as it was, and a caller
 * may keep a value of its own there across the AtDpcLevel pair.
 */
void KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
					      PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock)
{
	ntdpc_at_dpc_level(SpinLock, __func__, _RET_IP_);
	ntdpc_take_handle(SpinLock, LockHandle);
}
EXPORT_SYMBOL_GPL(KeAcquireInStackQueuedSpinLockAtDpcLevel);

/**
 * KeReleaseInStackQueuedSpinLockFromDpcLevel() - release, IRQL unchanged
 * @LockHandle: the handle the AtDpcLevel acquire filled in
 */
void KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle)
{
	PKSPIN_LOCK lock = LockHandle->LockQueue.Lock;

	raw_spin_unlock(lock);
	ntdpc_from_dpc_level(lock, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseInStackQueuedSpinLockFromDpcLevel);

/**
 * KeAcquireInStackQueuedSpinLockForDpc() - in-stack variant of
 *	KeAcquireSpinLockForDpc()
 * @SpinLock: lock set up by KeInitializeSpinLock()
 * @LockHandle: caller's handle
 */
void KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock,
					  PKLOCK_QUEUE_HANDLE LockHandle)
	__acquires(SpinLock)
{
	KIRQL old = KeGetCurrentIrql();

	if (old < DISPATCH_LEVEL)
		old = ntdpc_raise_irql(DISPATCH_LEVEL, _RET_IP_);
	LockHandle->OldIrql = old;
	ntdpc_take_handle(SpinLock, LockHandle);
}
EXPORT_SYMBOL_GPL(KeAcquireInStackQueuedSpinLockForDpc);

/**
 * KeReleaseInStackQueuedSpinLockForDpc() - release an in-stack ForDpc lock
 * @LockHandle: the handle KeAcquireInStackQueuedSpinLockForDpc() filled in
 */
void KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle)
	__releases(LockHandle)
{
	raw_spin_unlock(LockHandle->LockQueue.Lock);
	if (LockHandle->OldIrql < DISPATCH_LEVEL)
		ntdpc_lower_irql(LockHandle->OldIrql, _RET_IP_);
}
EXPORT_SYMBOL_GPL(KeReleaseInStackQueuedSpinLockForDpc);
