// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: WQ_PERCPU (Linux 6.17+).  Such kernels warn about a workqueue that
 * is neither WQ_PERCPU nor WQ_UNBOUND; per-CPU is what the others default to.
 */
#include <linux/workqueue.h>

int ntdpc_probe(void);
int ntdpc_probe(void)
{
	return WQ_PERCPU;
}
