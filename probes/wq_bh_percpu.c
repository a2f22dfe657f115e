// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: a BH workqueue takes WQ_PERCPU (Linux 6.17+).  6.12's stable
 * backport of WQ_PERCPU leaves it out of __WQ_BH_ALLOWS, and there
 * alloc_workqueue() warns and fails for WQ_BH | WQ_PERCPU.
 */
#include <linux/build_bug.h>
#include <linux/workqueue.h>

static_assert(__WQ_BH_ALLOWS & WQ_PERCPU);
