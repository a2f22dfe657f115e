// SPDX-License-Identifier: GPL-2.0
/* Probe: BH workqueues (WQ_BH, Linux 6.9+), the replacement for tasklets. */
#include <linux/workqueue.h>

int ntdpc_probe(void);
int ntdpc_probe(void)
{
	return WQ_BH | WQ_HIGHPRI;
}
