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

static void ntdpc_check_at_dpc_level(const char *fn, unsigned long caller)
{
	if (unlikely(ntdpc_in_threaded_dpc()))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s from a threaded DPC (NT forbids it; use the ForDpc variant)",
				    fn);
	else if (unlikely(KeGetCurrentIrql() < DISPATCH_LEVEL))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "%s below DISPATCH_LEVEL", fn);
}

/**
 * KeAcquireSpinLockAtDpcLevel() - take a spin lock already at DISPATCH_LEVEL
 * @SpinLock: lock set up by KeInitializeSpinLock()
 *
 * The caller must be at IRQL >= DISPATCH_LEVEL (a DPC routine, or after
 * KeRaiseIrql()).  Called lower, or from a threaded DPC (which NT forbids),
 * it is reported and the lock is still taken, so the matching release stays
 * balanced.
 */
void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) __acquires(SpinLock)
{
	ntdpc_check_at_dpc_level(__func__, _RET_IP_);
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
	ntdpc_check_at_dpc_level(__func__, _RET_IP_);
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
	raw_spin_unlock(LockHandle->LockQueue.Lock);
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
