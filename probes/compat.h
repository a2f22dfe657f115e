/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux API differences between the kernels ntdpc supports, each behind one
 * name that stays the same.  The choice is made by the compile probes next
 * to this file (probes.mk), never by a version number.  Used by ntdpc and by
 * its own test and sample companions; not part of the NT interface.
 */
#ifndef _NTDPC_COMPAT_H
#define _NTDPC_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/workqueue.h>

/* hrtimer_setup() replaced hrtimer_init() and the separate .function store. */
static inline void ntdpc_hrtimer_setup(struct hrtimer *timer,
				       enum hrtimer_restart (*fn)(struct hrtimer *),
				       clockid_t clock, enum hrtimer_mode mode)
{
#ifdef NTDPC_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/*
 * The same for an hrtimer on the caller's stack, which debug objects
 * (DEBUG_OBJECTS_TIMERS) must be told of; without them both are one.
 */
static inline void
ntdpc_hrtimer_setup_on_stack(struct hrtimer *timer,
			     enum hrtimer_restart (*fn)(struct hrtimer *),
			     clockid_t clock, enum hrtimer_mode mode)
{
#ifdef NTDPC_HAVE_HRTIMER_SETUP_ON_STACK
	hrtimer_setup_on_stack(timer, fn, clock, mode);
#else
	hrtimer_init_on_stack(timer, clock, mode);
	timer->function = fn;
#endif
}

/*
 * Kernels with WQ_PERCPU warn about a workqueue that names neither it nor
 * WQ_UNBOUND; before it, per-CPU was the default it now spells out.
 */
#ifdef NTDPC_HAVE_WQ_PERCPU
#define NTDPC_WQ_PERCPU	WQ_PERCPU
#else
#define NTDPC_WQ_PERCPU	0
#endif

/*
 * The same for a BH workqueue, which is per-CPU anyway: only where the
 * kernel takes the flag on one (6.12's backport of WQ_PERCPU refuses it).
 */
#ifdef NTDPC_HAVE_WQ_BH_PERCPU
#define NTDPC_WQ_BH_PERCPU	WQ_PERCPU
#else
#define NTDPC_WQ_BH_PERCPU	0
#endif

#endif /* _NTDPC_COMPAT_H */
