// SPDX-License-Identifier: GPL-2.0
/*
 * A DPC list found corrupt: reported, and repaired (src/list.h tells the
 * policy); and the move of a whole list, which a dead CPU's lists need.
 *
 * The repair walks the list from both ends as far as each entry agrees with
 * the one it came from, reading links without faulting (an entry may be
 * freed memory, or garbage), keeps those two runs and joins them; what lies
 * between is dropped.  It then puts back ntdpc's own DPCs (flush markers,
 * generic-call DPCs) that the list claimed but no longer holds: those are
 * ntdpc's memory and known good, and a flush or a generic call waits for
 * them.  Every walk is bounded by the list's depth.
 */
#include <linux/uaccess.h>

#include "internal.h"

void __ntdpc_list_init(struct ntdpc_list *l, unsigned int cpu)
{
	INIT_LIST_HEAD(&l->head);
	l->depth = 0;
	l->cpu = cpu;
}

/* An entry's links, from memory that may be freed or garbage. */
static bool ntdpc_list_peek(struct list_head *pos, struct list_head *links)
{
	return !copy_from_kernel_nofault(links, pos, sizeof(*links));
}

/* Is @entry on @l?  @l must be sound. */
static bool ntdpc_list_holds(struct ntdpc_list *l, struct list_head *entry)
{
	struct list_head *pos;

	list_for_each(pos, &l->head)
		if (pos == entry)
			return true;
	return false;
}

/* ntdpc's own DPCs that @l claims but does not hold go back on it. */
static void ntdpc_list_rescue_own(struct ntdpc_list *l)
{
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

		for (i = 0; i < NTDPC_OWN_NR; i++) {
			struct list_head *entry = ntdpc_dpc_entry(&c->own[i]);

			if (READ_ONCE(c->own[i].DpcData) != l ||
			    ntdpc_list_holds(l, entry))
				continue;
			INIT_LIST_HEAD(entry);
			ntdpc_list_link(entry, l->head.prev, &l->head);
			l->depth++;
		}
	}
}

static void ntdpc_list_repair(struct ntdpc_list *l)
{
	struct list_head *head = &l->head, *prev = head, *next = head, *pos;
	struct list_head *stop;
	unsigned int left = l->depth, kept = 0;
	struct list_head links;

	/* From the head, while each entry points back at the one before. */
	pos = head->next;
	while (pos != head && left && ntdpc_list_peek(pos, &links) &&
	       links.prev == prev && links.next != pos) {
		left--;
		kept++;
		prev = pos;
		pos = links.next;
	}
	stop = pos;
	/* From the tail likewise, until the walk from the head is met. */
	pos = stop == head ? head : head->prev;
	while (pos != head && pos != stop && pos != prev && left &&
	       ntdpc_list_peek(pos, &links) && links.next == next &&
	       links.prev != pos) {
		left--;
		kept++;
		next = pos;
		pos = links.prev;
	}
	next->prev = prev;
	WRITE_ONCE(prev->next, next);
	l->depth = kept;
	ntdpc_list_rescue_own(l);
}

/**
 * ntdpc_list_corrupt() - report a corrupt DPC list and repair it
 * @l: the list, locked
 * @dpc: the KDPC where its links were found to disagree
 * @caller: the call that found it, for the report
 *
 * Afterwards @l is sound: the DPCs on it run as queued, the dropped ones
 * never run and keep their DpcData until KeInitializeDpc() or
 * KeRemoveQueueDpc() releases them.
 */
void ntdpc_list_corrupt(struct ntdpc_list *l, PKDPC dpc, unsigned long caller)
{
	lockdep_assert_held(&l->lock);
	ntdpc_report_misuse(NTDPC_MISUSE_CORRUPT_QUEUE, caller,
			    "DPC queue of CPU %u is corrupt at KDPC %p (freed or overwritten while queued?); repaired",
			    l->cpu, dpc);
	ntdpc_list_repair(l);
}

/* Is @l sound from end to end, as far as its depth says? */
static bool ntdpc_list_sound(struct ntdpc_list *l, struct list_head **bad)
{
	struct list_head *pos, *prev = &l->head, links;
	unsigned int left = l->depth;

	for (pos = l->head.next; pos != &l->head; prev = pos, pos = links.next) {
		if (!left-- || !ntdpc_list_peek(pos, &links) ||
		    links.prev != prev || links.next == pos) {
			*bad = pos;
			return false;
		}
	}
	*bad = prev;
	return l->head.prev == prev && !left;
}

/**
 * ntdpc_list_take() - take a DPC off a list where its links disagree
 * @l: the list, locked, which @dpc's DpcData names
 * @dpc: the DPC
 * @caller: the call that found it, for the report
 *
 * A sound list does not hold it: dropped by an earlier repair, it is on no
 * list.  Else the list is reported and repaired, and @dpc unlinked if the
 * repair kept it.  Either way it is off @l.
 */
void ntdpc_list_take(struct ntdpc_list *l, PKDPC dpc, unsigned long caller)
{
	struct list_head *entry = ntdpc_dpc_entry(dpc), *bad;

	if (ntdpc_list_sound(l, &bad))
		return;
	ntdpc_list_corrupt(l, ntdpc_entry_dpc(bad), caller);
	if (ntdpc_list_holds(l, entry)) {
		ntdpc_list_unlink(entry);
		l->depth--;
	}
}

/**
 * ntdpc_list_move() - append one list to another, in order
 * @from: the list emptied
 * @to: the list appended to
 *
 * DpcData follows each DPC.  Both lists are checked before anything is
 * written through their links, and repaired if corrupt.
 *
 * Return: true if any DPC moved.
 */
bool ntdpc_list_move(struct ntdpc_list *from, struct ntdpc_list *to)
{
	struct list_head *pos, *bad;

	lockdep_assert_held(&from->lock);
	lockdep_assert_held(&to->lock);
	if (!ntdpc_list_sound(from, &bad))
		ntdpc_list_corrupt(from, ntdpc_entry_dpc(bad), _RET_IP_);
	if (list_empty(&from->head))
		return false;
	/* The splice writes through the last entry of @to. */
	if (unlikely(to->head.prev->next != &to->head))
		ntdpc_list_corrupt(to, ntdpc_entry_dpc(to->head.prev), _RET_IP_);
	list_for_each(pos, &from->head)
		WRITE_ONCE(ntdpc_entry_dpc(pos)->DpcData, to);
	to->depth += from->depth;
	from->depth = 0;
	list_splice_tail_init(&from->head, &to->head);
	return true;
}
