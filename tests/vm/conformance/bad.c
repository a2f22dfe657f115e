// SPDX-License-Identifier: GPL-2.0
/*
 * mode=bad: invalid targets and importance, NULL, zeroed and garbage DPCs,
 * IRQL transitions the wrong way and a flush at DISPATCH_LEVEL.  ntdpc must
 * refuse or survive each (its misuse reports are plain pr_err lines), and a
 * DPC whose bad settings were refused still works.  Each step is announced
 * before it is tried, so that a crash names it.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "conform.h"

static struct rec bad_r;

/* Out-of-range targets leave the DPC's target as it was. */
static void bad_targets(void)
{
	PROCESSOR_NUMBER pn;
	NTSTATUS st;
	USHORT before;

	rec_init(&bad_r, 1, false);
	KeSetTargetProcessorDpc(&bad_r.dpc, 1);
	before = bad_r.dpc.Number;

	STEP("bad-target-ex-group");
	pn.Group = 1;
	pn.Number = 0;
	pn.Reserved = 0;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-group", st == STATUS_INVALID_PARAMETER && bad_r.dpc.Number == before,
	      "INVALID_PARAMETER, Number unchanged got %x %u", st, bad_r.dpc.Number);
	STEP("bad-target-ex-number");
	pn.Group = 0;
	pn.Number = ncpu;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-number", st == STATUS_INVALID_PARAMETER && bad_r.dpc.Number == before,
	      "INVALID_PARAMETER, Number unchanged got %x %u", st, bad_r.dpc.Number);
	pn.Number = 200;
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, &pn);
	CHECK("bad-target-ex-number-200", st == STATUS_INVALID_PARAMETER,
	      "INVALID_PARAMETER got %x", st);
	STEP("bad-target-ex-null");
	st = KeSetTargetProcessorDpcEx(&bad_r.dpc, NULL);
	CHECK("bad-target-ex-null", !NT_SUCCESS(st), "failure status got %x", st);

	STEP("bad-target-legacy");
	KeSetTargetProcessorDpc(&bad_r.dpc, (CCHAR)ncpu);
	CHECK("bad-target-legacy-unchanged", bad_r.dpc.Number == before, "%u got %u", before,
	      bad_r.dpc.Number);
	KeSetTargetProcessorDpc(&bad_r.dpc, (CCHAR)(-1));
	CHECK("bad-target-legacy-negative-unchanged", bad_r.dpc.Number == before, "%u got %u",
	      before, bad_r.dpc.Number);
	KeInsertQueueDpc(&bad_r.dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("bad-target-dpc-still-works", atomic_read(&bad_r.runs) == 1 && bad_r.cpu == 1,
	      "1 run on cpu 1 got %d %d", atomic_read(&bad_r.runs), bad_r.cpu);
}

static void bad_importance(void)
{
	STEP("bad-importance");
	rec_init(&bad_r, 1, false);
	KeSetImportanceDpc(&bad_r.dpc, (KDPC_IMPORTANCE)9);
	KeInsertQueueDpc(&bad_r.dpc, NULL, NULL);
	KeFlushQueuedDpcs();
	CHECK("bad-importance-still-runs", atomic_read(&bad_r.runs) == 1, "1 got %d",
	      atomic_read(&bad_r.runs));
}

static void bad_null(void)
{
	STEP("null-insert");
	CHECK("null-insert-false", !KeInsertQueueDpc(NULL, NULL, NULL), "FALSE got TRUE");
	STEP("null-remove");
	CHECK("null-remove-false", !KeRemoveQueueDpc(NULL), "FALSE got TRUE");
	STEP("null-importance-target");
	KeSetImportanceDpc(NULL, HighImportance);
	KeSetTargetProcessorDpc(NULL, 0);
	PASS("null-set-importance-target-no-crash");
}

static void bad_zeroed(void)
{
	KDPC *z;

	STEP("zeroed-dpc-insert");
	z = kzalloc(sizeof(*z), GFP_KERNEL);
	if (z) {
		BOOLEAN b = KeInsertQueueDpc(z, NULL, NULL);

		KeFlushQueuedDpcs();
		CHECK("zeroed-dpc-insert-false", !b, "FALSE got %d", b);
		STEP("zeroed-dpc-remove");
		b = KeRemoveQueueDpc(z);
		CHECK("zeroed-dpc-remove-false", !b, "FALSE got %d", b);
		kfree(z);
	}
}

static void bad_irql(void)
{
	STEP("raise-to-lower-level");
	{
		KIRQL old, o2 = 0xff, cur;

		KeRaiseIrql(DISPATCH_LEVEL, &old);
		KeRaiseIrql(PASSIVE_LEVEL, &o2);
		cur = KeGetCurrentIrql();
		KeLowerIrql(old);
		INFO("raise-to-lower-level",
		     "KeRaiseIrql(PASSIVE) at DISPATCH: old %u, IRQL then %u, after KeLowerIrql %u",
		     o2, cur, KeGetCurrentIrql());
	}
	STEP("lower-to-higher-level");
	{
		KIRQL cur;

		KeLowerIrql(DISPATCH_LEVEL);
		cur = KeGetCurrentIrql();
		if (cur != PASSIVE_LEVEL)
			KeLowerIrql(PASSIVE_LEVEL);
		INFO("lower-to-higher-level",
		     "KeLowerIrql(DISPATCH) at PASSIVE: IRQL then %u, now %u",
		     cur, KeGetCurrentIrql());
	}
	STEP("flush-at-dispatch");
	{
		KIRQL old = KeRaiseIrqlToDpcLevel();

		KeFlushQueuedDpcs();
		KeLowerIrql(old);
		PASS("flush-at-dispatch-no-hang");
	}
}

static void bad_garbage(void)
{
	KDPC *z;

	STEP("garbage-dpc-insert");
	z = kmalloc(sizeof(*z), GFP_KERNEL);
	if (z) {
		BOOLEAN b;

		memset(z, 0x6b, sizeof(*z));
		b = KeInsertQueueDpc(z, NULL, NULL);
		CHECK("garbage-dpc-insert-false", !b, "FALSE got %d", b);
		STEP("garbage-dpc-remove");
		b = KeRemoveQueueDpc(z);
		CHECK("garbage-dpc-remove-false", !b, "FALSE got %d", b);
		kfree(z);
	}
}

void conform_bad(void)
{
	bad_targets();
	bad_importance();
	bad_null();
	bad_zeroed();
	bad_irql();
	bad_garbage();
}
