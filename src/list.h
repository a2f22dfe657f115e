/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A DPC list, and its defences.
 *
 * KDPC.DpcListEntry is linked the way NT's InsertHeadList, InsertTailList
 * and RemoveEntryList link a LIST_ENTRY, with their checks: the neighbours
 * must point at each other (at the entry, for a removal), else the list is
 * corrupt, most likely by a queued KDPC freed or overwritten.  One policy
 * for every place that touches a list (insertion, drain, removal, the unload
 * purge, the hotplug move), in list.c: a list found corrupt is reported and
 * repaired.  What can be reached from either end keeps its place and runs;
 * what cannot is dropped, stays claimed (its DpcData names the list, so it
 * is not queued again) and never runs, since memory already corrupt cannot
 * be trusted; ntdpc's own DPCs among those are put back, so that a flush or
 * a generic call still completes.
 *
 * list_add() and list_del() make the same checks, but out of line on
 * kernels with CONFIG_DEBUG_LIST (Debian's): a call and a return per
 * insertion and per DPC run, for a few compares.
 */
#ifndef _NTDPC_LIST_H
#define _NTDPC_LIST_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <ntdpc/ntddk.h>

/*
 * Counters of one list.  removed and depth_high are written under the
 * list's lock, the others by the list's one consumer (the drain or the
 * thread).  Readers and the reset use READ_ONCE/WRITE_ONCE: the numbers
 * are statistics.  The insertion keeps none of them: depth_high is taken
 * by the list's consumer before each routine it pops, so it is the deepest
 * the consumer found the list (a DPC queued and removed again before it
 * looked is not seen).
 */
struct ntdpc_list_stats {
	unsigned long run;
	unsigned long removed;
	unsigned int depth_high;	/* the deepest the drain found it */
	u64 max_latency_ns;
	u64 max_runtime_ns;
	u64 time_ns;
};

/*
 * One DPC list.  KDPC.DpcData points at the list that holds the DPC, so
 * KeRemoveQueueDpc() finds the right lock without a search.  Lists live in
 * per-CPU memory that is never freed, so a stale DpcData read is harmless.
 */
struct ntdpc_list {
	raw_spinlock_t lock;
	struct list_head head;		/* of KDPC.DpcListEntry */
	unsigned int depth;
	unsigned int cpu;
	struct ntdpc_list_stats stats;
};

static inline PKDPC ntdpc_entry_dpc(struct list_head *entry)
{
	return container_of((PLIST_ENTRY)entry, KDPC, DpcListEntry);
}

static inline struct list_head *ntdpc_dpc_entry(PKDPC dpc)
{
	return (struct list_head *)&dpc->DpcListEntry;
}

/*
 * Link @entry between @prev and @next, if they point at each other.  An
 * entry is also refused next to itself, as in list_add()'s check: a queued
 * KDPC whose DpcData was cleared behind ntdpc's back, queued again.
 */
static __always_inline bool ntdpc_list_link(struct list_head *entry,
					    struct list_head *prev,
					    struct list_head *next)
{
	if (unlikely(prev->next != next || next->prev != prev ||
		     entry == prev || entry == next))
		return false;
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	WRITE_ONCE(prev->next, entry);
	return true;
}

/* Unlink @entry, if its neighbours point at it. */
static __always_inline bool ntdpc_list_unlink(struct list_head *entry)
{
	struct list_head *prev = entry->prev, *next = entry->next;

	/* Linked to itself, it is on no list: a list has its head too. */
	if (unlikely(prev->next != entry || next->prev != entry ||
		     next == entry))
		return false;
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
	return true;
}

/* list.c; all under the list's lock (both lists' for the move). */
void __ntdpc_list_init(struct ntdpc_list *l, unsigned int cpu);

/*
 * A macro, so that lockdep gives each kind of list its own lock class,
 * named @name in its reports.
 */
#define ntdpc_list_init(l, cpu, name)					\
	do {								\
		static struct lock_class_key __key;			\
		struct ntdpc_list *__l = (l);				\
									\
		raw_spin_lock_init(&__l->lock);				\
		lockdep_set_class_and_name(&__l->lock, &__key, name);	\
		__ntdpc_list_init(__l, cpu);				\
	} while (0)
void ntdpc_list_corrupt(struct ntdpc_list *l, PKDPC dpc,
			unsigned long caller);
void ntdpc_list_take(struct ntdpc_list *l, PKDPC dpc, unsigned long caller);
bool ntdpc_list_move(struct ntdpc_list *from, struct ntdpc_list *to);

#endif /* _NTDPC_LIST_H */
