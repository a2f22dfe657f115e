// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: hrtimer_setup_on_stack() (Linux 6.13+), which replaced
 * hrtimer_init_on_stack().
 */
#include <linux/hrtimer.h>

int ntdpc_probe(struct hrtimer *t, enum hrtimer_restart (*fn)(struct hrtimer *));
int ntdpc_probe(struct hrtimer *t, enum hrtimer_restart (*fn)(struct hrtimer *))
{
	hrtimer_setup_on_stack(t, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	return 0;
}
