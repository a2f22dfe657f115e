/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the ntdpc KUnit suites. */
#ifndef _NTDPC_TEST_H
#define _NTDPC_TEST_H

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include "internal.h"

/* What a DPC routine saw when it ran. */
struct ntdpc_probe {
	atomic_t runs;
	int cpu;
	KIRQL irql;
	bool executing;
	bool irqs_off;
	PKDPC dpc;
	PVOID ctx, arg1, arg2;
	/* Optional: shared log of run order, and this DPC's id in it. */
	struct ntdpc_order *order;
	int id;
};

struct ntdpc_order {
	atomic_t n;
	int ids[256];
};

static inline VOID ntdpc_probe_fn(PKDPC dpc, PVOID ctx, PVOID arg1, PVOID arg2)
{
	struct ntdpc_probe *p = ctx;

	p->cpu = raw_smp_processor_id();
	p->irql = KeGetCurrentIrql();
	p->executing = KeIsExecutingDpc();
	p->irqs_off = irqs_disabled();
	p->dpc = dpc;
	p->ctx = ctx;
	p->arg1 = arg1;
	p->arg2 = arg2;
	if (p->order) {
		int i = atomic_inc_return(&p->order->n) - 1;

		if (i < ARRAY_SIZE(p->order->ids))
			p->order->ids[i] = p->id;
	}
	atomic_inc_return_release(&p->runs);
}

/* An owner going away that is a single address: a routine, a timer. */
static inline bool ntdpc_test_owns(const void *addr, const void *arg)
{
	return addr == arg;
}

#define NTDPC_OWNER(a)	(&(const struct ntdpc_owner){		\
		.owns = ntdpc_test_owns, .arg = (a) })

static inline long ntdpc_misuses(enum ntdpc_misuse kind)
{
	return atomic_long_read(&ntdpc_misuse_count[kind]);
}

/* Wait up to @ms for @v to reach @want; true if it did. */
static inline bool ntdpc_wait_atomic(atomic_t *v, int want, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (atomic_read_acquire(v) < want) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

/* Start right after a tick so that a few microseconds of work fit in one. */
static inline void ntdpc_wait_tick_edge(void)
{
	unsigned long j = jiffies;

	while (time_before_eq(jiffies, j))
		cpu_relax();
}

/*
 * Reset a CPU's NT request-rate state to a known one.  Cancels the delivery
 * tick: the caller flushes whatever it leaves queued.
 */
static inline void ntdpc_set_rate(unsigned int cpu, unsigned int rate)
{
	struct ntdpc_cpu *c = per_cpu_ptr(&ntdpc_cpus, cpu);

	/* A delivery tick left armed by an earlier case must not fire now. */
	hrtimer_cancel(&c->deliver_timer);
	raw_spin_lock_irq(&c->dpcs.lock);
	c->rate = rate;
	c->rate_count = c->inserted;
	c->rate_jiffies = jiffies;
	c->max_depth = MaximumDpcQueueDepth;
	c->adjust_ticks = 0;
	raw_spin_unlock_irq(&c->dpcs.lock);
}

#endif /* _NTDPC_TEST_H */
