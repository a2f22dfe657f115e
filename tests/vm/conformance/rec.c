// SPDX-License-Identifier: GPL-2.0
/*
 * The recording DPC most checks queue: its routine notes its arguments, its
 * CPU, IRQL and time, and its place in the order log, and can be made to
 * run long (spin_ms) or to stay running until released (hold), so that a
 * check can look at what happened after the fact.
 */
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "conform.h"

int order_log[64];
atomic_t order_n;

void order_reset(void)
{
	atomic_set(&order_n, 0);
	memset(order_log, 0, sizeof(order_log));
}

VOID RecRoutine(PKDPC Dpc, PVOID DeferredContext,
		PVOID SystemArgument1, PVOID SystemArgument2)
{
	struct rec *r = DeferredContext;
	PROCESSOR_NUMBER pn = { 0 };
	LARGE_INTEGER now;
	int n;

	atomic_set(&r->started, 1);
	KeQuerySystemTimePrecise(&now);
	r->systime = now.QuadPart;
	r->irql = KeGetCurrentIrql();
	r->cpu = KeGetCurrentProcessorNumber();
	r->exnum = KeGetCurrentProcessorNumberEx(&pn);
	r->pn_group = pn.Group;
	r->pn_number = pn.Number;
	r->executing = KeIsExecutingDpc();
	r->irqs_off = irqs_disabled();
	r->a1 = SystemArgument1;
	r->a2 = SystemArgument2;
	r->ctx = DeferredContext;
	r->dpc_arg = Dpc;
	n = atomic_inc_return(&order_n) - 1;
	if (n < ARRAY_SIZE(order_log))
		order_log[n] = r->id;
	if (r->spin_ms)
		SPIN_FOR(false, r->spin_ms);	/* by the clock, see SPIN_FOR */
	SPIN_FOR(!atomic_read(&r->hold), HOLD_MAX_MS);
	atomic_inc(&r->runs);
	atomic_set(&r->finished, 1);
}

void rec_init(struct rec *r, int id, bool threaded)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->irql = -1;
	r->cpu = -1;
	if (threaded)
		KeInitializeThreadedDpc(&r->dpc, RecRoutine, r);
	else
		KeInitializeDpc(&r->dpc, RecRoutine, r);
}

/* The order log as "id,id,...", for comparing with the expected order. */
char *order_str(char *buf, size_t len)
{
	int i, n = min_t(int, atomic_read(&order_n), ARRAY_SIZE(order_log));
	size_t off = 0;

	buf[0] = 0;
	for (i = 0; i < n && off < len; i++)
		off += scnprintf(buf + off, len - off, "%s%d", i ? "," : "", order_log[i]);
	return buf;
}
