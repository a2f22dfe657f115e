// SPDX-License-Identifier: GPL-2.0
/*
 * KeFlushQueuedDpcs(): wait for every DPC queued before the call, and every
 * DPC running at the call, on every CPU.
 *
 * A marker DPC is queued at the tail of each online CPU's queue, ordinary
 * and threaded, with an immediate request.  Each queue drains in order and
 * one routine at a time, so a CPU's marker runs only after everything queued
 * there before it and after the routine that was running there.  DPCs of a CPU that goes offline
 * are moved, marker included, in order, to another CPU.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/mutex.h>

#include "internal.h"

static DEFINE_MUTEX(ntdpc_flush_mutex);
static DEFINE_PER_CPU(KDPC, ntdpc_flush_marker);
static DEFINE_PER_CPU(KDPC, ntdpc_flush_thread_marker);
static atomic_t ntdpc_flush_pending;
static DECLARE_COMPLETION(ntdpc_flush_done);

static VOID ntdpc_flush_marker_fn(PKDPC dpc, PVOID ctx, PVOID arg1, PVOID arg2)
{
	if (atomic_dec_and_test(&ntdpc_flush_pending))
		complete(&ntdpc_flush_done);
}

/* KeFlushQueuedDpcs() for ntdpc's own callers: no IRQL check. */
void ntdpc_flush_all(void)
{
	unsigned int cpu;

	mutex_lock(&ntdpc_flush_mutex);
	reinit_completion(&ntdpc_flush_done);
	atomic_set(&ntdpc_flush_pending, 1);

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		PKDPC marker = per_cpu_ptr(&ntdpc_flush_marker, cpu);

		KeInitializeDpc(marker, ntdpc_flush_marker_fn, NULL);
		atomic_inc(&ntdpc_flush_pending);
		ntdpc_enqueue(marker, NULL, NULL, cpu, true);

		marker = per_cpu_ptr(&ntdpc_flush_thread_marker, cpu);
		KeInitializeThreadedDpc(marker, ntdpc_flush_marker_fn, NULL);
		atomic_inc(&ntdpc_flush_pending);
		ntdpc_enqueue(marker, NULL, NULL, cpu, true);
	}
	cpus_read_unlock();

	if (!atomic_dec_and_test(&ntdpc_flush_pending))
		wait_for_completion(&ntdpc_flush_done);
	mutex_unlock(&ntdpc_flush_mutex);
}

/**
 * KeFlushQueuedDpcs() - wait until queued and running DPCs have finished
 *
 * Returns once every DPC queued before the call, on every processor, has run,
 * and every DPC routine running at the time of the call has returned.  DPCs
 * queued after the call may or may not have run.  Drivers call it before
 * freeing what their DPCs use, e.g. on unload.
 *
 * Context: PASSIVE_LEVEL only; it sleeps.  Called higher, it is reported and
 * returns at once without waiting.
 */
VOID KeFlushQueuedDpcs(void)
{
	if (unlikely(KeGetCurrentIrql() != PASSIVE_LEVEL)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, _RET_IP_,
				    "%s at IRQL %u, needs PASSIVE_LEVEL",
				    __func__, KeGetCurrentIrql());
		return;
	}
	ntdpc_flush_all();
}
EXPORT_SYMBOL_GPL(KeFlushQueuedDpcs);

struct ntdpc_quiesce_arg {
	bool (*match)(void *routine, void *arg);
	void *arg;
};

static bool ntdpc_quiesce_match(PKDPC dpc, void *arg)
{
	struct ntdpc_quiesce_arg *q = arg;

	return q->match(ntdpc_routine_of(dpc), q->arg);
}

/**
 * ntdpc_quiesce() - make sure no matching routine is queued or running
 * @match: tells whether a routine belongs to what is going away
 * @arg: passed to @match
 *
 * Removes matching DPCs, waits for running ones, and repeats while a
 * routine that was running queued its DPC again.  Sleeps.
 *
 * Return: how many queued DPCs were removed.
 */
unsigned int ntdpc_quiesce(bool (*match)(void *routine, void *arg), void *arg)
{
	struct ntdpc_quiesce_arg q = { .match = match, .arg = arg };
	unsigned int removed, total = 0;
	int rounds = 0;

	for (;;) {
		removed = ntdpc_purge(ntdpc_quiesce_match, &q);
		total += removed;
		if (!removed && !ntdpc_running_match(match, arg))
			return total;
		ntdpc_flush_all();
		if (++rounds == 100) {
			pr_err("ntdpc: DPC routines keep queueing themselves while their module goes away\n");
			return total;
		}
	}
}
