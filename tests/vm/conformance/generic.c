// SPDX-License-Identifier: GPL-2.0
/*
 * KeGenericCallDpc(): the routine runs once on every CPU at DISPATCH_LEVEL
 * with its context; KeSignalCallDpcSynchronize() is a barrier that returns
 * TRUE on exactly one CPU; and two callers at once both complete.
 */
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/kthread.h>

#include "conform.h"

/* What the routine saw on each CPU, for the first call's checks. */
static atomic_t gc_arrived, gc_sync_true, gc_sync2_true, gc_ran, gc_after_bad;
static unsigned long gc_cpus;
static int gc_badirql, gc_badctx;
static VOID GenericRoutine(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (KeGetCurrentIrql() != DISPATCH_LEVEL)
		gc_badirql++;
	if (Ctx != (PVOID)0xC0DE)
		gc_badctx++;
	set_bit(KeGetCurrentProcessorNumber(), &gc_cpus);
	atomic_inc(&gc_arrived);
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc_sync_true);
	if (atomic_read(&gc_arrived) != ncpu)
		atomic_inc(&gc_after_bad);
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc_sync2_true);
	atomic_inc(&gc_ran);
	KeSignalCallDpcDone(A1);
}

static void generic_call(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		atomic_set(&gc_arrived, 0);
		atomic_set(&gc_sync_true, 0);
		atomic_set(&gc_sync2_true, 0);
		atomic_set(&gc_ran, 0);
		atomic_set(&gc_after_bad, 0);
		gc_cpus = 0;
		gc_badirql = 0;
		gc_badctx = 0;
		KeGenericCallDpc(GenericRoutine, (PVOID)0xC0DE);
		if (round)
			continue;
		CHECK("generic-all-cpus", atomic_read(&gc_ran) == ncpu &&
		      gc_cpus == (1UL << ncpu) - 1, "%u runs mask %lx got %d %lx", ncpu,
		      (1UL << ncpu) - 1, atomic_read(&gc_ran), gc_cpus);
		CHECK("generic-irql-context", !gc_badirql && !gc_badctx,
		      "DISPATCH and context; bad irql %d ctx %d", gc_badirql, gc_badctx);
		CHECK("generic-sync-true-once", atomic_read(&gc_sync_true) == 1 &&
		      atomic_read(&gc_sync2_true) == 1, "1/1 got %d/%d",
		      atomic_read(&gc_sync_true), atomic_read(&gc_sync2_true));
		CHECK("generic-sync-is-barrier", atomic_read(&gc_after_bad) == 0,
		      "all arrived before any passed; %d passed early", atomic_read(&gc_after_bad));
	}
	CHECK("generic-repeat", atomic_read(&gc_ran) == ncpu && atomic_read(&gc_sync_true) == 1,
	      "third call: %u runs got %d", ncpu, atomic_read(&gc_ran));
}

/* Two threads calling KeGenericCallDpc at once, with barriers. */
static atomic_t gc2_ran, gc2_true;
static VOID Generic2(PKDPC Dpc, PVOID Ctx, PVOID A1, PVOID A2)
{
	if (KeSignalCallDpcSynchronize(A2))
		atomic_inc(&gc2_true);
	atomic_inc(&gc2_ran);
	KeSignalCallDpcSynchronize(A2);
	KeSignalCallDpcDone(A1);
}

static DECLARE_COMPLETION(gc2_done_a);
static DECLARE_COMPLETION(gc2_done_b);
static int gc2_thread(void *arg)
{
	int i;

	for (i = 0; i < 20; i++)
		KeGenericCallDpc(Generic2, NULL);
	complete(arg);
	return 0;
}

static void generic_concurrent(void)
{
	unsigned long l1, l2;

	atomic_set(&gc2_ran, 0);
	atomic_set(&gc2_true, 0);
	kthread_run(gc2_thread, &gc2_done_a, "nt_conformance_gca");
	kthread_run(gc2_thread, &gc2_done_b, "nt_conformance_gcb");
	l1 = wait_for_completion_timeout(&gc2_done_a, msecs_to_jiffies(30000));
	l2 = wait_for_completion_timeout(&gc2_done_b, msecs_to_jiffies(30000));
	CHECK("generic-concurrent-callers", l1 && l2 && atomic_read(&gc2_ran) == 40 * ncpu &&
	      atomic_read(&gc2_true) == 40,
	      "both finish, %u runs, 40 TRUE got done %d/%d runs %d true %d", 40 * ncpu,
	      !!l1, !!l2, atomic_read(&gc2_ran), atomic_read(&gc2_true));
}

void conform_generic(void)
{
	generic_call();
	generic_concurrent();
}
