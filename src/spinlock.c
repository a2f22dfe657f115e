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
VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
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
VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
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

/**
 * KeAcquireSpinLockAtDpcLevel() - take a spin lock already at DISPATCH_LEVEL
 * @SpinLock: lock set up by KeInitializeSpinLock()
 *
 * The caller must be at IRQL >= DISPATCH_LEVEL (a DPC routine, or after
 * KeRaiseIrql()).  Called lower, it is reported once and the lock is still
 * taken, so the matching release stays balanced.
 */
VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock) __acquires(SpinLock)
{
	if (unlikely(KeGetCurrentIrql() < DISPATCH_LEVEL))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, _RET_IP_,
				    "KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL");
	raw_spin_lock(SpinLock);
}
EXPORT_SYMBOL_GPL(KeAcquireSpinLockAtDpcLevel);

/**
 * KeReleaseSpinLockFromDpcLevel() - release without changing the IRQL
 * @SpinLock: lock taken by KeAcquireSpinLockAtDpcLevel()
 */
VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock) __releases(SpinLock)
{
	raw_spin_unlock(SpinLock);
}
EXPORT_SYMBOL_GPL(KeReleaseSpinLockFromDpcLevel);
