// SPDX-License-Identifier: GPL-2.0
/*
 * Periodic timers (KeSetTimerEx with a Period): never early, so a bounded
 * number of expiries; cancelled, from outside or from their own DPC, they
 * stop; KeSetTimer() makes one one-shot; while the DPC's CPU stays at
 * DISPATCH_LEVEL the expiries queue it once; with a DueTime of 0 it still
 * fires, periodically.
 */
#include <linux/delay.h>

#include "conform.h"

/* The timer every check here sets; each leaves it cancelled. */
static KTIMER ptm;

static atomic_t per_n;
static VOID PeriodicRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	atomic_inc(&per_n);
}

static void periodic_count(void)
{
	static KDPC pd;
	LARGE_INTEGER due;
	BOOLEAN b1, b2;
	int n1, n2;
	ktime_t t0;
	s64 ms;

	atomic_set(&per_n, 0);
	KeInitializeDpc(&pd, PeriodicRoutine, NULL);
	KeInitializeTimerEx(&ptm, NotificationTimer);
	due.QuadPart = -10 * 10000LL;
	t0 = ktime_get();
	b1 = KeSetTimerEx(&ptm, due, 20, &pd);
	msleep(500);
	b2 = KeCancelTimer(&ptm);
	ms = ktime_ms_delta(ktime_get(), t0);
	KeFlushQueuedDpcs();
	n1 = atomic_read(&per_n);
	msleep(100);
	n2 = atomic_read(&per_n);
	CHECK("periodic-settimerex-false", !b1, "FALSE got %d", b1);
	/*
	 * Due at 10 ms, then every 20 ms: never early, so at most
	 * 1 + (ms - 10) / 20 expiries (one more for clock rounding);
	 * under emulation expiries come late, so at least 2.
	 */
	INFO("periodic-count", "%d runs in %lld ms at a 20 ms period", n1, ms);
	CHECK("periodic-count", n1 >= 2 && n1 <= 2 + (ms - 10) / 20,
	      "2 to %lld runs in %lld ms at a 20 ms period got %d", 2 + (ms - 10) / 20,
	      ms, n1);
	CHECK("periodic-cancel-true", nt_true(b2), "TRUE got %d", b2);
	CHECK("periodic-stops-after-cancel", n1 == n2,
	      "no runs after cancel+flush got %d -> %d", n1, n2);
}

static atomic_t ptm_n;
static BOOLEAN ptm_cancel_ret = 0xff;
static VOID CancelSelf(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (atomic_inc_return(&ptm_n) == 3)
		ptm_cancel_ret = KeCancelTimer(&ptm);
}

/* Cancel a periodic timer from its own DPC. */
static void periodic_cancel_from_own_dpc(void)
{
	static KDPC d;
	LARGE_INTEGER due;
	int n1, n2;

	atomic_set(&ptm_n, 0);
	KeInitializeTimer(&ptm);
	KeInitializeDpc(&d, CancelSelf, NULL);
	due.QuadPart = -5 * 10000LL;
	KeSetTimerEx(&ptm, due, 10, &d);
	WAIT_FOR(atomic_read(&ptm_n) >= 3, 10000);
	msleep(50);
	KeFlushQueuedDpcs();
	n1 = atomic_read(&ptm_n);
	msleep(100);
	n2 = atomic_read(&ptm_n);
	/*
	 * The third run cancels.  An expiry while that DPC already ran (a late
	 * DPC under emulation) may have queued it once more: 3 or 4 runs.
	 */
	CHECK("periodic-cancel-from-own-dpc",
	      nt_true(ptm_cancel_ret) && (n1 == 3 || n1 == 4) && n2 == n1,
	      "KeCancelTimer TRUE (re-armed before the DPC), 3 or 4 runs, none later got %d %d %d",
	      ptm_cancel_ret, n1, n2);
}

/*
 * KeSetTimer on a periodic timer makes it one-shot: once that has
 * expired and its DPC has run, no more runs in ten of the old periods.
 */
static void periodic_settimer_replaces(void)
{
	static struct rec r;
	LARGE_INTEGER due;
	int n1, n2;

	rec_init(&r, 1, false);
	due.QuadPart = -5 * 10000LL;
	KeSetTimerEx(&ptm, due, 10, &r.dpc);
	msleep(50);
	KeSetTimer(&ptm, due, &r.dpc);
	{
		LARGE_INTEGER to = { .QuadPart = -10000 * 10000LL };
		NTSTATUS ws = KeWaitForSingleObject(&ptm, Executive, KernelMode, FALSE, &to);

		msleep(100);
		KeFlushQueuedDpcs();
		n1 = atomic_read(&r.runs);
		msleep(100);
		n2 = atomic_read(&r.runs);
		KeCancelTimer(&ptm);
		CHECK("settimer-replaces-periodic", ws == STATUS_SUCCESS && n1 >= 1 && n2 == n1,
		      "one-shot expiry, no more runs after got %x %d -> %d", ws, n1, n2);
	}
	KeFlushQueuedDpcs();
}

/*
 * Periodic timer DPC while its CPU stays at DISPATCH: however many
 * expiries, the DPC is queued once.
 */
static void periodic_coalesced_while_busy(void)
{
	static struct rec r;
	LARGE_INTEGER due;
	KIRQL old;
	int n1;

	rec_init(&r, 1, false);
	KeSetTargetProcessorDpc(&r.dpc, (CCHAR)home_cpu);
	old = KeRaiseIrqlToDpcLevel();
	due.QuadPart = -1 * 10000LL;
	KeSetTimerEx(&ptm, due, 1, &r.dpc);
	spin_until_signalled(&ptm);
	SPIN_FOR(false, 10);	/* more expiries */
	KeCancelTimer(&ptm);
	n1 = atomic_read(&r.runs);
	KeLowerIrql(old);
	KeFlushQueuedDpcs();
	CHECK("periodic-dpc-coalesced-while-busy", n1 == 0 && atomic_read(&r.runs) == 1,
	      "0 at DISPATCH, 1 after got %d %d", n1, atomic_read(&r.runs));
}

/* Periodic timer with DueTime 0. */
static void periodic_due_zero(void)
{
	static struct rec pr;
	LARGE_INTEGER due = { .QuadPart = 0 };
	int n;

	rec_init(&pr, 1, false);
	KeInitializeTimer(&ptm);
	KeSetTimerEx(&ptm, due, 10, &pr.dpc);
	WAIT_FOR(atomic_read(&pr.runs) >= 5, 10000);
	n = atomic_read(&pr.runs);
	KeCancelTimer(&ptm);
	KeFlushQueuedDpcs();
	CHECK("periodic-due-zero-fires", n >= 5,
	      ">=5 runs within 10 s (10 ms period, DueTime 0) got %d", n);
}

void conform_timer_periodic(void)
{
	periodic_count();
	periodic_cancel_from_own_dpc();
	periodic_settimer_replaces();
	periodic_coalesced_while_busy();
	periodic_due_zero();
}
