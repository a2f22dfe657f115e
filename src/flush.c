// SPDX-License-Identifier: GPL-2.0
/*
 * KeFlushQueuedDpcs(): wait for every DPC queued before the call, and every
 * DPC running at the call, on every CPU.
 *
 * A marker DPC is queued at the tail of each online CPU's queue, ordinary
 * and threaded, with an immediate request.  Each queue drains in order and
 * one routine at a time, so a CPU's marker runs only after everything queued
 * there before it and after the routine that was running there.  DPCs of a
 * CPU that goes offline are moved, marker included, in order, to another
 * CPU; a queue repaired as corrupt puts the marker back (list.c).
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/mutex.h>

#include "internal.h"

static DEFINE_MUTEX(ntdpc_flush_mutex);
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
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);
		PKDPC marker = &c->own[NTDPC_OWN_FLUSH];

		KeInitializeDpc(marker, ntdpc_flush_marker_fn, NULL);
		atomic_inc(&ntdpc_flush_pending);
		ntdpc_enqueue(marker, NULL, NULL, cpu, true, _THIS_IP_);

		marker = &c->own[NTDPC_OWN_FLUSH_THREADED];
		KeInitializeThreadedDpc(marker, ntdpc_flush_marker_fn, NULL);
		atomic_inc(&ntdpc_flush_pending);
		ntdpc_enqueue(marker, NULL, NULL, cpu, true, _THIS_IP_);
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
 * Context: PASSIVE_LEVEL only, outside DPC routines; it sleeps.  Called
 * higher, or from a threaded DPC routine (which would wait for its own
 * thread), it is reported and returns at once without waiting.
 */
void KeFlushQueuedDpcs(void)
{
	if (ntdpc_passive_only(__func__, _RET_IP_))
		ntdpc_flush_all();
}
EXPORT_SYMBOL_GPL(KeFlushQueuedDpcs);
