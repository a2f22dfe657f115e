// SPDX-License-Identifier: GPL-2.0
/*
 * Processor counts, affinity and the index/number conversions, against the
 * kernel's own view of the online CPUs (one group: Group is always 0).
 */
#include <linux/cpumask.h>

#include "conform.h"

void conform_processors(void)
{
	PROCESSOR_NUMBER pn;
	NTSTATUS st;
	KAFFINITY aff = 0;
	ULONG n = KeQueryActiveProcessorCount(&aff);

	CHECK("active-count", n == num_online_cpus(), "%u got %u", num_online_cpus(), n);
	CHECK("active-affinity", aff == (KAFFINITY)((1UL << n) - 1), "%lx got %lx",
	      (1UL << n) - 1, aff);
	CHECK("active-processors", KeQueryActiveProcessors() == (KAFFINITY)((1UL << n) - 1),
	      "%lx got %lx", (1UL << n) - 1, KeQueryActiveProcessors());
	CHECK("active-count-ex", KeQueryActiveProcessorCountEx(0) == n, "%u got %u", n,
	      KeQueryActiveProcessorCountEx(0));
	st = KeGetProcessorNumberFromIndex(2, &pn);
	CHECK("number-from-index", st == STATUS_SUCCESS && pn.Group == 0 && pn.Number == 2,
	      "SUCCESS/0/2 got %x/%u/%u", st, pn.Group, pn.Number);
	st = KeGetProcessorNumberFromIndex(n, &pn);
	CHECK("number-from-bad-index", st == STATUS_INVALID_PARAMETER,
	      "STATUS_INVALID_PARAMETER got %x", st);
	pn.Group = 0;
	pn.Number = 3;
	pn.Reserved = 0;
	CHECK("index-from-number", KeGetProcessorIndexFromNumber(&pn) == 3, "3 got %u",
	      KeGetProcessorIndexFromNumber(&pn));
	pn.Number = 60;
	CHECK("index-from-bad-number",
	      KeGetProcessorIndexFromNumber(&pn) == INVALID_PROCESSOR_INDEX,
	      "INVALID_PROCESSOR_INDEX got %u", KeGetProcessorIndexFromNumber(&pn));
	CHECK("current-cpu-passive", KeGetCurrentProcessorNumber() == home_cpu, "%u got %u",
	      home_cpu, KeGetCurrentProcessorNumber());
}
