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
#include <linux/rcupdate.h>

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
		ntdpc_enqueue(marker, NULL, NULL, cpu, true, _THIS_IP_);

		marker = per_cpu_ptr(&ntdpc_flush_thread_marker, cpu);
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
 * Context: PASSIVE_LEVEL only; it sleeps.  Called higher, it is reported and
 * returns at once without waiting.
 */
void KeFlushQueuedDpcs(void)
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

/*
 * Quiescing: while a module goes away its routines may still be queued,
 * running, and queueing more.  ntdpc_quiesce() first refuses every new
 * insertion of a matching DPC or work item (a static key keeps the check off
 * the insert paths the rest of the time), waits until no insertion that
 * missed the refusal is still in progress (insertions run with interrupts
 * off or under rcu_read_lock(), so an RCU grace period covers them), removes
 * the queued DPCs, cancels the queued work items, and flushes both.  After
 * that nothing matching is queued, nothing can be queued, and the flushes
 * have waited for every routine that was running: the module's text is
 * unused.
 */
DEFINE_STATIC_KEY_FALSE(ntdpc_quiescing);
static DEFINE_MUTEX(ntdpc_quiesce_mutex);
static bool (*ntdpc_quiesce_match)(void *routine, void *arg);
static void *ntdpc_quiesce_arg;
static atomic_t ntdpc_quiesce_refused;

/* Called on the insert paths, in RCU read sections, only while quiescing. */
bool ntdpc_quiesce_refuses_routine(void *routine)
{
	bool (*match)(void *routine, void *arg) = READ_ONCE(ntdpc_quiesce_match);

	if (!match || !match(routine, READ_ONCE(ntdpc_quiesce_arg)))
		return false;
	atomic_inc(&ntdpc_quiesce_refused);
	return true;
}

bool ntdpc_quiesce_refuses(PKDPC dpc)
{
	return ntdpc_quiesce_refuses_routine(ntdpc_routine_of(dpc));
}

static bool ntdpc_purge_match(PKDPC dpc, void *arg)
{
	return ntdpc_quiesce_match(ntdpc_routine_of(dpc), arg);
}

/**
 * ntdpc_quiesce() - make sure no matching routine is queued, running, or
 *	can be queued again
 * @match: tells whether a routine belongs to what is going away
 * @arg: passed to @match
 *
 * Sleeps.  While it runs, KeInsertQueueDpc() of a matching DPC returns
 * FALSE and IoQueueWorkItem() of a matching routine does nothing.
 *
 * Return: how many queued DPCs and work items were removed or refused.
 */
unsigned int ntdpc_quiesce(bool (*match)(void *routine, void *arg), void *arg)
{
	unsigned int removed;

	mutex_lock(&ntdpc_quiesce_mutex);
	atomic_set(&ntdpc_quiesce_refused, 0);
	WRITE_ONCE(ntdpc_quiesce_arg, arg);
	WRITE_ONCE(ntdpc_quiesce_match, match);
	static_branch_enable(&ntdpc_quiescing);
	synchronize_rcu();

	removed = ntdpc_purge(ntdpc_purge_match, arg);
	removed += ntdpc_cancel_workitems(match, arg);
	ntdpc_flush_all();
	ntdpc_flush_workitems();

	static_branch_disable(&ntdpc_quiescing);
	WRITE_ONCE(ntdpc_quiesce_match, NULL);
	removed += atomic_read(&ntdpc_quiesce_refused);
	mutex_unlock(&ntdpc_quiesce_mutex);
	return removed;
}
