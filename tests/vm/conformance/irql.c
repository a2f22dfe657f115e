// SPDX-License-Identifier: GPL-2.0
/*
 * IRQL transitions (KeRaiseIrql, KeLowerIrql and the Raise-To shortcuts)
 * and what each spin lock acquisition does to the IRQL, at PASSIVE_LEVEL
 * and at DISPATCH_LEVEL.
 */
#include "conform.h"

void conform_irql(void)
{
	KIRQL old = 0xff, o2 = 0xff, cur;
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;

	KeInitializeSpinLock(&lock);
	CHECK("irql-passive-start", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u",
	      KeGetCurrentIrql());
	CHECK("isexecuting-passive", !KeIsExecutingDpc(), "FALSE got %d", KeIsExecutingDpc());

	KeRaiseIrql(APC_LEVEL, &old);
	cur = KeGetCurrentIrql();
	KeLowerIrql(old);
	CHECK("raise-apc", old == PASSIVE_LEVEL && cur == APC_LEVEL, "old 0 cur 1 got %u %u",
	      old, cur);

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	cur = KeGetCurrentIrql();
	{
		int ex = KeIsExecutingDpc();

		KeRaiseIrql(SYNCH_LEVEL, &o2);
		KeLowerIrql(o2);
		CHECK("isexecuting-raised-dispatch", !ex, "FALSE (not in a DPC) got %d", ex);
	}
	KeLowerIrql(old);
	CHECK("raise-dispatch", old == PASSIVE_LEVEL && cur == DISPATCH_LEVEL &&
	      o2 == DISPATCH_LEVEL, "old 0 cur 2 o2 2 got %u %u %u", old, cur, o2);
	CHECK("lower-passive", KeGetCurrentIrql() == PASSIVE_LEVEL, "0 got %u", KeGetCurrentIrql());

	old = KeRaiseIrqlToDpcLevel();
	cur = KeGetCurrentIrql();
	o2 = KeRaiseIrqlToSynchLevel();
	{
		KIRQL c2 = KeGetCurrentIrql();

		KeLowerIrql(o2);
		KeLowerIrql(old);
		CHECK("raise-to-dpc-synch", old == 0 && cur == 2 && o2 == 2 && c2 == SYNCH_LEVEL,
		      "0 2 2 12 got %u %u %u %u", old, cur, o2, c2);
	}

	KeAcquireSpinLock(&lock, &old);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLock(&lock, old);
	CHECK("spinlock-acquire", old == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "old 0 in 2 after 0 got %u %u %u", old, cur, KeGetCurrentIrql());

	old = KeAcquireSpinLockRaiseToDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLock(&lock, old);
	CHECK("spinlock-raisetodpc", old == 0 && cur == 2, "0 2 got %u %u", old, cur);

	old = KeRaiseIrqlToDpcLevel();
	KeAcquireSpinLockAtDpcLevel(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockFromDpcLevel(&lock);
	o2 = KeGetCurrentIrql();
	KeLowerIrql(old);
	CHECK("spinlock-atdpclevel", cur == 2 && o2 == 2, "2 2 got %u %u", cur, o2);

	KeAcquireInStackQueuedSpinLock(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLock(&h);
	CHECK("instack-queued", h.OldIrql == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "0 2 0 got %u %u %u", h.OldIrql, cur, KeGetCurrentIrql());

	old = KeRaiseIrqlToDpcLevel();
	KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLockFromDpcLevel(&h);
	KeLowerIrql(old);
	CHECK("instack-queued-atdpc", cur == 2, "2 got %u", cur);

	old = KeAcquireSpinLockForDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockForDpc(&lock, old);
	CHECK("fordpc-passive", old == 0 && cur == 2 && KeGetCurrentIrql() == 0,
	      "0 2 0 got %u %u %u", old, cur, KeGetCurrentIrql());

	o2 = KeRaiseIrqlToDpcLevel();
	old = KeAcquireSpinLockForDpc(&lock);
	cur = KeGetCurrentIrql();
	KeReleaseSpinLockForDpc(&lock, old);
	{
		KIRQL after = KeGetCurrentIrql();

		KeLowerIrql(o2);
		CHECK("fordpc-dispatch", old == 2 && cur == 2 && after == 2,
		      "2 2 2 got %u %u %u", old, cur, after);
	}

	KeAcquireInStackQueuedSpinLockForDpc(&lock, &h);
	cur = KeGetCurrentIrql();
	KeReleaseInStackQueuedSpinLockForDpc(&h);
	CHECK("instack-fordpc-passive", cur == 2 && KeGetCurrentIrql() == 0, "2 0 got %u %u",
	      cur, KeGetCurrentIrql());
}
