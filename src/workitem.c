// SPDX-License-Identifier: GPL-2.0
/*
 * I/O work items: NT's way out for work too long or too sleepy for a DPC.
 * IoQueueWorkItem() is callable up to DISPATCH_LEVEL; the routine runs at
 * PASSIVE_LEVEL in a kernel worker thread, where it may sleep.  Each NT queue
 * type has an ntdpc workqueue of matching priority: DelayedWorkQueue on
 * normal workers, CriticalWorkQueue and HyperCriticalWorkQueue on
 * high-priority (WQ_HIGHPRI) workers, which run ahead of normal ones.  The
 * device object's ReferenceCount is held from queueing until the routine
 * returns.
 *
 * As with DPCs, the "queued" flag is cleared before the routine is called, so
 * the routine may queue its item again or free it.  All items are on one list
 * (allocation and freeing only), so that those of a module going away can be
 * cancelled.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "internal.h"

#define NTDPC_WORKITEM_MAGIC	0x4e74574bU	/* "NtWK" */

struct _IO_WORKITEM {
	struct work_struct work;
	u32 magic;
	atomic_t queued;
	PDEVICE_OBJECT DeviceObject;
	/*
	 * The routine, a PIO_WORKITEM_ROUTINE_EX if queued by
	 * IoQueueWorkItemEx(), else a PIO_WORKITEM_ROUTINE; kept as one
	 * pointer so that every report and event names the same one.
	 */
	void *Routine;
	bool Ex;
	PVOID Context;
	WORK_QUEUE_TYPE QueueType;
	u64 QueuedAt;
	struct list_head node;
};

static struct workqueue_struct *ntdpc_wq[3];
static const char *const ntdpc_wq_name[3] = {
	[CriticalWorkQueue] = "ntdpc_critical",
	[DelayedWorkQueue] = "ntdpc_delayed",
	[HyperCriticalWorkQueue] = "ntdpc_hypercritical",
};

static LIST_HEAD(ntdpc_workitems);
static DEFINE_RAW_SPINLOCK(ntdpc_workitems_lock);

static void ntdpc_workitem_fn(struct work_struct *work)
{
	PIO_WORKITEM item = container_of(work, IO_WORKITEM, work);
	PDEVICE_OBJECT dev = item->DeviceObject;
	void *fn = item->Routine;
	bool ex = item->Ex;
	int type = item->QueueType;
	PVOID ctx = item->Context;
	u64 start = ntdpc_clock();
	KIRQL irql;

	if (trace_ntdpc_work_start_enabled())
		trace_ntdpc_work_start(item, fn, type, start - item->QueuedAt);
	/* From here the routine may queue the item again, or free it. */
	atomic_set_release(&item->queued, 0);
	if (ex)
		((PIO_WORKITEM_ROUTINE_EX)fn)(dev, ctx, item);
	else
		((PIO_WORKITEM_ROUTINE)fn)(dev, ctx);
	if (trace_ntdpc_work_end_enabled())
		trace_ntdpc_work_end(item, fn, type, ntdpc_clock() - start);

	irql = KeGetCurrentIrql();
	if (unlikely(irql != PASSIVE_LEVEL)) {
		ntdpc_report_misuse(NTDPC_MISUSE_ROUTINE_IRQL, (unsigned long)fn,
				    "work item routine returned at IRQL %u", irql);
		ntdpc_irql_repair_passive((unsigned long)fn);
	}
	atomic_dec((atomic_t *)&dev->ReferenceCount);
}

/**
 * IoAllocateWorkItem() - allocate a work item for a device
 * @DeviceObject: the device its routine works for
 *
 * Context: IRQL <= DISPATCH_LEVEL.
 *
 * Return: the work item, or NULL if out of memory or @DeviceObject is NULL.
 */
PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
	PIO_WORKITEM item;
	unsigned long flags;

	if (unlikely(!DeviceObject)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(NULL)", __func__);
		return NULL;
	}
	item = kzalloc(sizeof(*item), GFP_ATOMIC);
	if (!item)
		return NULL;
	INIT_WORK(&item->work, ntdpc_workitem_fn);
	item->magic = NTDPC_WORKITEM_MAGIC;
	item->DeviceObject = DeviceObject;
	raw_spin_lock_irqsave(&ntdpc_workitems_lock, flags);
	list_add(&item->node, &ntdpc_workitems);
	raw_spin_unlock_irqrestore(&ntdpc_workitems_lock, flags);
	return item;
}
EXPORT_SYMBOL_GPL(IoAllocateWorkItem);

static bool ntdpc_workitem_valid(PIO_WORKITEM item, unsigned long caller)
{
	if (likely(item && item->magic == NTDPC_WORKITEM_MAGIC))
		return true;
	ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, caller,
			    "%p is not a work item from IoAllocateWorkItem()",
			    item);
	return false;
}

/**
 * IoFreeWorkItem() - free a work item
 * @IoWorkItem: an item that is not queued (its own routine may free it)
 *
 * Freeing a queued item is a caller bug: it is reported and the item is not
 * freed, so nothing is corrupted (the memory leaks instead).
 */
void IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
	unsigned long flags;

	if (!ntdpc_workitem_valid(IoWorkItem, _RET_IP_))
		return;
	if (unlikely(atomic_read_acquire(&IoWorkItem->queued))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, _RET_IP_,
				    "%s(%p) while it is queued; not freed",
				    __func__, IoWorkItem);
		return;
	}
	raw_spin_lock_irqsave(&ntdpc_workitems_lock, flags);
	list_del(&IoWorkItem->node);
	raw_spin_unlock_irqrestore(&ntdpc_workitems_lock, flags);
	IoWorkItem->magic = 0;
	kfree(IoWorkItem);
}
EXPORT_SYMBOL_GPL(IoFreeWorkItem);

static void ntdpc_queue_workitem(PIO_WORKITEM item, void *fn, bool ex,
				 WORK_QUEUE_TYPE type, PVOID ctx,
				 unsigned long caller)
{
	if (!ntdpc_workitem_valid(item, caller))
		return;
	if (unlikely(!fn || (unsigned int)type > HyperCriticalWorkQueue)) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, caller,
				    "IoQueueWorkItem(%p, %ps, queue %d)", item,
				    fn, type);
		return;
	}
	/* Linux can queue from any context; NT says DISPATCH_LEVEL at most. */
	if (unlikely(KeGetCurrentIrql() > DISPATCH_LEVEL))
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_IRQL, caller,
				    "IoQueueWorkItem at IRQL %u", KeGetCurrentIrql());
	if (unlikely(atomic_cmpxchg(&item->queued, 0, 1))) {
		ntdpc_report_misuse(NTDPC_MISUSE_BAD_OBJECT, caller,
				    "work item %p queued while already queued",
				    item);
		return;
	}
	rcu_read_lock();	/* ntdpc_quiesce() waits for this section */
	if (ntdpc_quiescing() &&
	    ntdpc_quiesce_refuses_work(fn, item->DeviceObject)) {
		atomic_set(&item->queued, 0);
		rcu_read_unlock();
		return;
	}
	item->Routine = fn;
	item->Ex = ex;
	item->Context = ctx;
	item->QueueType = type;
	item->QueuedAt = ntdpc_clock();
	atomic_inc((atomic_t *)&item->DeviceObject->ReferenceCount);
	if (trace_ntdpc_work_queue_enabled())
		trace_ntdpc_work_queue(item, fn, type, 0);
	queue_work(ntdpc_wq[type], &item->work);
	rcu_read_unlock();
}

/**
 * IoQueueWorkItem() - run a routine at PASSIVE_LEVEL in a worker thread
 * @IoWorkItem: from IoAllocateWorkItem(), not already queued
 * @WorkerRoutine: called as WorkerRoutine(DeviceObject, Context); may sleep
 * @QueueType: DelayedWorkQueue, CriticalWorkQueue or HyperCriticalWorkQueue
 * @Context: its second argument
 *
 * Context: IRQL <= DISPATCH_LEVEL, a DPC routine included.  Queueing an item
 * that is already queued is reported and ignored.
 */
void IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
		     WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	ntdpc_queue_workitem(IoWorkItem, WorkerRoutine, false, QueueType,
			     Context, _RET_IP_);
}
EXPORT_SYMBOL_GPL(IoQueueWorkItem);

/**
 * IoQueueWorkItemEx() - IoQueueWorkItem() whose routine also gets the item
 * @IoWorkItem: from IoAllocateWorkItem(), not already queued
 * @WorkerRoutine: called as WorkerRoutine(DeviceObject, Context, IoWorkItem)
 * @QueueType: DelayedWorkQueue, CriticalWorkQueue or HyperCriticalWorkQueue
 * @Context: its second argument
 */
void IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem,
		       PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
		       WORK_QUEUE_TYPE QueueType, PVOID Context)
{
	ntdpc_queue_workitem(IoWorkItem, WorkerRoutine, true, QueueType,
			     Context, _RET_IP_);
}
EXPORT_SYMBOL_GPL(IoQueueWorkItemEx);

/*
 * Cancel the queued, not yet started, items of an owner going away.  Called
 * while ntdpc_quiesce() refuses new ones.
 */
unsigned int ntdpc_cancel_workitems(const struct ntdpc_owner *o)
{
	unsigned int cancelled = 0;
	PIO_WORKITEM item;

	raw_spin_lock_irq(&ntdpc_workitems_lock);
	list_for_each_entry(item, &ntdpc_workitems, node) {
		if (!atomic_read(&item->queued) || !item->Routine ||
		    !ntdpc_owns_work(o, item->Routine, item->DeviceObject))
			continue;
		if (cancel_work(&item->work)) {
			atomic_set(&item->queued, 0);
			atomic_dec((atomic_t *)&item->DeviceObject->ReferenceCount);
			cancelled++;
		}
	}
	raw_spin_unlock_irq(&ntdpc_workitems_lock);
	return cancelled;
}

/* Wait for every work item queued so far to have run. */
void ntdpc_flush_workitems(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ntdpc_wq); i++)
		flush_workqueue(ntdpc_wq[i]);
}

int ntdpc_workitems_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ntdpc_wq); i++) {
		unsigned int flags = NTDPC_WQ_PERCPU;

		if (i != DelayedWorkQueue)
			flags |= WQ_HIGHPRI;
		ntdpc_wq[i] = alloc_workqueue("%s", flags, 0, ntdpc_wq_name[i]);
		if (!ntdpc_wq[i]) {
			while (i--)
				destroy_workqueue(ntdpc_wq[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

void ntdpc_workitems_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ntdpc_wq); i++)
		destroy_workqueue(ntdpc_wq[i]);
}
