// SPDX-License-Identifier: GPL-2.0
/*
 * Quiescing: making sure that nothing of something going away (a module, at
 * unload: src/unload.c) is set, queued or running, and that nothing of it can
 * be set or queued again, whatever its routines do meanwhile.
 *
 * What belongs to the owner going away is told by an address predicate: a
 * KDPC in its memory or whose routine is its code (a device's DpcForIsr
 * counts as the driver's routine), a KTIMER in its memory or whose DPC
 * belongs to it, a work item whose routine or device belongs to it.
 *
 * ntdpc_quiesce() first makes every setting of such a timer and every
 * insertion of such a DPC or work item fail, then waits until no call that
 * missed the refusal is still in progress (they run with interrupts off or
 * under rcu_read_lock(), so one RCU grace period covers them).  Only then
 * does it cancel the owner's timers, remove its queued DPCs, cancel its
 * queued work items and flush the DPC queues and the work queues, which
 * waits for every routine that was running.  A routine running meanwhile
 * (a timer's DPC re-arming its own timer, a DPC queueing itself) is refused,
 * so a pass that finds something is followed by one that finds nothing: the
 * loop ends when a pass finds nothing.  At every other time the refusal
 * costs the insert paths one read of a pointer that does not change: not a
 * static key, whose flip at every module unload would patch the insert
 * paths' text each time.
 */
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "internal.h"

static DEFINE_MUTEX(ntdpc_quiesce_mutex);
const struct ntdpc_owner *ntdpc_quiesce_owner;
static atomic_t ntdpc_quiesce_refused;

/* Does the DPC belong to @o: in its memory, or running its code? */
bool ntdpc_owns_dpc(const struct ntdpc_owner *o, PKDPC dpc)
{
	return o->owns(dpc, o->arg) || o->owns(ntdpc_routine_of(dpc), o->arg);
}

bool ntdpc_owns_timer(const struct ntdpc_owner *o, PKTIMER timer, PKDPC dpc)
{
	return o->owns(timer, o->arg) || (dpc && ntdpc_owns_dpc(o, dpc));
}

bool ntdpc_owns_work(const struct ntdpc_owner *o, void *routine,
		     PDEVICE_OBJECT dev)
{
	return o->owns(routine, o->arg) || o->owns(dev, o->arg);
}

static bool ntdpc_quiesce_refuse(bool owned)
{
	if (owned)
		atomic_inc(&ntdpc_quiesce_refused);
	return owned;
}

/* The refusal checks, called while ntdpc_quiescing(), as the header says. */
bool ntdpc_quiesce_refuses_dpc(PKDPC dpc)
{
	const struct ntdpc_owner *o = READ_ONCE(ntdpc_quiesce_owner);

	return o && ntdpc_quiesce_refuse(ntdpc_owns_dpc(o, dpc));
}

bool ntdpc_quiesce_refuses_timer(PKTIMER timer, PKDPC dpc)
{
	const struct ntdpc_owner *o = READ_ONCE(ntdpc_quiesce_owner);

	return o && ntdpc_quiesce_refuse(ntdpc_owns_timer(o, timer, dpc));
}

bool ntdpc_quiesce_refuses_work(void *routine, PDEVICE_OBJECT dev)
{
	const struct ntdpc_owner *o = READ_ONCE(ntdpc_quiesce_owner);

	return o && ntdpc_quiesce_refuse(ntdpc_owns_work(o, routine, dev));
}

/**
 * ntdpc_quiesce() - make sure nothing of an owner is set, queued or running,
 *	or can be set or queued again
 * @o: what belongs to the owner going away
 * @q: receives what was found: timers cancelled, DPCs removed, work items
 *	cancelled, and settings and insertions refused
 *
 * Sleeps.  While it runs, KeSetTimerEx() of the owner's timers and
 * KeInsertQueueDpc() of its DPCs return FALSE, IoQueueWorkItem() of its
 * routines does nothing.
 */
void ntdpc_quiesce(const struct ntdpc_owner *o, struct ntdpc_quiesced *q)
{
	unsigned int found;

	memset(q, 0, sizeof(*q));
	mutex_lock(&ntdpc_quiesce_mutex);
	atomic_set(&ntdpc_quiesce_refused, 0);
	WRITE_ONCE(ntdpc_quiesce_owner, o);
	synchronize_rcu();

	do {
		unsigned int timers = ntdpc_cancel_timers(o);
		unsigned int dpcs = ntdpc_purge(o);
		unsigned int work = ntdpc_cancel_workitems(o);

		ntdpc_flush_all();
		ntdpc_flush_workitems();
		q->timers += timers;
		q->dpcs += dpcs;
		q->work += work;
		found = timers + dpcs + work;
	} while (found);

	WRITE_ONCE(ntdpc_quiesce_owner, NULL);
	q->refused = atomic_read(&ntdpc_quiesce_refused);
	mutex_unlock(&ntdpc_quiesce_mutex);
}
