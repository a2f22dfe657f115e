// SPDX-License-Identifier: GPL-2.0
/*
 * One-shot timers: what KeSetTimer() and KeCancelTimer() return; the DPC
 * once, at DISPATCH_LEVEL, with the expiry's system time as its arguments,
 * on its target CPU, still run when cancelled after the expiry queued it,
 * re-armed from inside it; relative, absolute and past due times; the
 * timer as a dispatcher object (notification and synchronization); and
 * waits whose absolute timeout is already past.  Periodic timers are in
 * timer_periodic.c.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/string.h>

#include "conform.h"

static void timer_oneshot(void)
{
	static KTIMER tm;
	static struct rec tr;
	LARGE_INTEGER due, now;
	BOOLEAN b1, b2, st0;
	NTSTATUS ws;

	KeInitializeTimer(&tm);
	CHECK("timer-initial-not-signalled", !KeReadStateTimer(&tm), "FALSE got TRUE");
	CHECK("cancel-unset-timer-false", !KeCancelTimer(&tm), "FALSE got TRUE");
	rec_init(&tr, 1, false);
	due.QuadPart = -5000 * 10000LL;	/* 5 s relative: still set below */
	b1 = KeSetTimer(&tm, due, &tr.dpc);
	due.QuadPart = -30 * 10000LL;
	b2 = KeSetTimer(&tm, due, &tr.dpc);
	st0 = KeReadStateTimer(&tm);
	CHECK("settimer-returns", !b1 && nt_true(b2), "FALSE then TRUE got %d %d", b1, b2);
	CHECK("settimer-not-signalled", !st0, "FALSE got TRUE");
	ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, NULL);
	CHECK("wait-timer", ws == STATUS_SUCCESS, "SUCCESS got %x", ws);
	WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
	KeQuerySystemTime(&now);
	msleep(100);
	CHECK("timer-dpc-once", atomic_read(&tr.runs) == 1, "1 run (replaced expiry) got %d",
	      atomic_read(&tr.runs));
	CHECK("timer-dpc-irql", tr.irql == DISPATCH_LEVEL, "2 got %d", tr.irql);
	{
		LONGLONG t = ((LONGLONG)(ULONG)(unsigned long)tr.a2 << 32) |
			     (ULONG)(unsigned long)tr.a1;
		LONGLONG diff = now.QuadPart - t;

		CHECK("timer-dpc-args-systime", diff >= 0 && diff < 100000000LL,
		      "SystemArgument1/2 = expiry system time (not after now, within 10 s) got diff %lld (100ns)",
		      diff);
	}
	CHECK("timer-signalled-after", nt_true(KeReadStateTimer(&tm)), "TRUE got FALSE");
	CHECK("cancel-expired-false", !KeCancelTimer(&tm), "FALSE got TRUE");

	/* Set then cancel before expiry: TRUE, DPC never runs. */
	rec_init(&tr, 1, false);
	due.QuadPart = -10000 * 10000LL;
	KeSetTimer(&tm, due, &tr.dpc);
	b1 = KeCancelTimer(&tm);
	msleep(200);
	CHECK("cancel-pending-true-no-dpc", nt_true(b1) && atomic_read(&tr.runs) == 0,
	      "TRUE, 0 runs got %d %d", b1, atomic_read(&tr.runs));

	/* Targeted timer DPC. */
	rec_init(&tr, 1, false);
	KeSetTargetProcessorDpc(&tr.dpc, (CCHAR)((home_cpu + 2) % ncpu));
	due.QuadPart = -10 * 10000LL;
	KeSetTimer(&tm, due, &tr.dpc);
	WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
	CHECK("timer-dpc-target-cpu", tr.cpu == (home_cpu + 2) % ncpu, "cpu %u got %d",
	      (home_cpu + 2) % ncpu, tr.cpu);

	/* KeCancelTimer does not remove an already queued DPC. */
	rec_init(&tr, 1, false);
	KeSetTargetProcessorDpc(&tr.dpc, (CCHAR)home_cpu);
	{
		KIRQL old;
		int before;

		old = KeRaiseIrqlToDpcLevel();
		due.QuadPart = -1 * 10000LL;
		KeSetTimer(&tm, due, &tr.dpc);
		spin_until_signalled(&tm);
		b1 = KeCancelTimer(&tm);
		before = atomic_read(&tr.runs);
		KeLowerIrql(old);
		WAIT_FOR(atomic_read(&tr.runs) >= 1, 10000);
		CHECK("cancel-after-expiry-dpc-still-runs", !b1 && before == 0 &&
		      atomic_read(&tr.runs) == 1, "cancel FALSE, DPC runs after lower got %d %d %d",
		      b1, before, atomic_read(&tr.runs));
	}

	/* Synchronization timer: a wait resets it. */
	KeInitializeTimerEx(&tm, SynchronizationTimer);
	due.QuadPart = -5 * 10000LL;
	KeSetTimer(&tm, due, NULL);
	ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, NULL);
	CHECK("sync-timer-wait-resets", ws == STATUS_SUCCESS && !KeReadStateTimer(&tm),
	      "SUCCESS and not signalled got %x %d", ws, KeReadStateTimer(&tm));
	{
		LARGE_INTEGER to = { .QuadPart = -20 * 10000LL };

		ws = KeWaitForSingleObject(&tm, Executive, KernelMode, FALSE, &to);
		CHECK("sync-timer-second-wait-timeout", ws == STATUS_TIMEOUT, "TIMEOUT got %x", ws);
	}
}

static KTIMER tm2;
static atomic_t tm2_n;
static BOOLEAN rearm_ret[4];
static VOID Rearm(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	int n = atomic_inc_return(&tm2_n);
	LARGE_INTEGER due = { .QuadPart = -5 * 10000LL };

	if (n < 4)
		rearm_ret[n] = KeSetTimer(&tm2, due, Dpc);
}

/* Re-arm a one-shot timer from its DPC. */
static void timer_rearm_from_dpc(void)
{
	static KDPC d;
	LARGE_INTEGER due = { .QuadPart = -5 * 10000LL };

	KeInitializeTimer(&tm2);
	atomic_set(&tm2_n, 0);
	memset(rearm_ret, 0xff, sizeof(rearm_ret));
	KeInitializeDpc(&d, Rearm, NULL);
	KeSetTimer(&tm2, due, &d);
	WAIT_FOR(atomic_read(&tm2_n) >= 4, 10000);
	msleep(50);
	CHECK("oneshot-rearm-from-dpc", atomic_read(&tm2_n) == 4 && !rearm_ret[1] &&
	      !rearm_ret[3], "4 runs, KeSetTimer FALSE in DPC got %d %d %d",
	      atomic_read(&tm2_n), rearm_ret[1], rearm_ret[3]);
}

/*
 * Absolute due time: never early (the DPC's precise system time not
 * before it, less a clock tick of rounding), once, within 10 s.
 */
static void timer_absolute(void)
{
	static struct rec r;
	LARGE_INTEGER due, now;

	rec_init(&r, 1, false);
	KeQuerySystemTimePrecise(&now);
	due.QuadPart = now.QuadPart + 50 * 10000LL;
	KeSetTimer(&tm2, due, &r.dpc);
	WAIT_FOR(atomic_read(&r.runs), 10000);
	msleep(20);
	CHECK("absolute-due-time",
	      atomic_read(&r.runs) == 1 && r.systime >= due.QuadPart - 10000000LL / HZ,
	      "once, not before the due time, within 10 s got %d runs, %lld (100 ns) after it",
	      atomic_read(&r.runs), r.systime - due.QuadPart);
}

/* DueTime in the past: expires at once. */
static void timer_due_past(void)
{
	static const char * const names[] = {
		"due-zero-absolute-1601", "due-absolute-past-1s", "due-relative-minus-1"
	};
	static struct rec r;
	LARGE_INTEGER due, now;
	int k;

	for (k = 0; k < 3; k++) {
		BOOLEAN sr, cr, st;
		int ok;

		rec_init(&r, 1, false);
		KeInitializeTimer(&tm2);
		KeQuerySystemTime(&now);
		due.QuadPart = k == 0 ? 0 : k == 1 ? now.QuadPart - 10000000LL : -1;
		sr = KeSetTimer(&tm2, due, &r.dpc);
		ok = WAIT_FOR(atomic_read(&r.runs), 10000);
		st = KeReadStateTimer(&tm2);
		cr = KeCancelTimer(&tm2);
		CHECK(names[k], ok && st && !cr,
		      "DPC within 10 s, signalled, KeCancelTimer FALSE got runs %d signalled %d cancel %d (KeSetTimer %d, DueTime %lld)",
		      atomic_read(&r.runs), st, cr, sr, due.QuadPart);
	}
}

/* KeWaitForSingleObject with an absolute timeout in the past. */
static KEVENT pw_event;
static NTSTATUS pw_status = 0x7fffffff;
static LONGLONG pw_timeout;
static DECLARE_COMPLETION(pw_done);
static int past_waiter(void *unused)
{
	LARGE_INTEGER to = { .QuadPart = pw_timeout };

	pw_status = KeWaitForSingleObject(&pw_event, Executive, KernelMode, FALSE, &to);
	complete(&pw_done);
	return 0;
}

static void timer_wait_past(void)
{
	LARGE_INTEGER now;
	int k;

	for (k = 0; k < 2; k++) {
		unsigned long left;

		KeQuerySystemTime(&now);
		pw_timeout = k == 0 ? 1 : now.QuadPart - 10000000LL;
		KeInitializeEvent(&pw_event, NotificationEvent, FALSE);
		pw_status = 0x7fffffff;
		reinit_completion(&pw_done);
		kthread_run(past_waiter, NULL, "nt_conformance_pw");
		left = wait_for_completion_timeout(&pw_done, msecs_to_jiffies(3000));
		if (!left) {
			KeSetEvent(&pw_event, IO_NO_INCREMENT, FALSE);	/* release it */
			wait_for_completion(&pw_done);
		}
		CHECK(k == 0 ? "wait-absolute-timeout-1601" : "wait-absolute-timeout-past-1s",
		      left && pw_status == STATUS_TIMEOUT,
		      "STATUS_TIMEOUT at once (Timeout %lld) got %s, status %x", pw_timeout,
		      left ? "returned" : "still waiting after 3 s (released by KeSetEvent)",
		      pw_status);
	}
}

void conform_timer(void)
{
	timer_oneshot();
	timer_rearm_from_dpc();
	timer_absolute();
	timer_due_past();
	timer_wait_past();
}
