// SPDX-License-Identifier: GPL-2.0
/*
 * The DPC watchdog: NT's DPC_WATCHDOG_VIOLATION, as a report instead of a
 * bug check.  Two limits, as on NT:
 *
 *   dpc_time_limit_us      one ordinary DPC routine running longer
 *   dpc_watchdog_limit_ms  one CPU draining DPCs without a break for longer
 *                          (a drain sequence: passes that follow each other
 *                          because the queue never emptied)
 *
 * A violation is counted (the "watchdog" row of the statistics), traced
 * (ntdpc_watchdog) and printed, at most once every five seconds, naming the
 * routine and its module.  The drain takes one clock reading per routine,
 * which serves as the end of one routine and the start of the next.
 * KeQueryDpcWatchdogInformation() and KeShouldYieldProcessor() let a DPC see
 * how much of its allowance is left.
 */
#include <linux/kallsyms.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>

#include "internal.h"

unsigned int dpc_time_limit_us = 2000;
module_param(dpc_time_limit_us, uint, 0644);
MODULE_PARM_DESC(dpc_time_limit_us,
		 "Report a DPC routine running longer than this (us, 0 = off)");

unsigned int dpc_watchdog_limit_ms = 100;
module_param(dpc_watchdog_limit_ms, uint, 0644);
MODULE_PARM_DESC(dpc_watchdog_limit_ms,
		 "Report a CPU draining DPCs without a break for longer (ms, 0 = off)");

static DEFINE_RATELIMIT_STATE(ntdpc_watchdog_rs, 5 * HZ, 1);

/* The module a routine lives in, from its symbol: "name [module]". */
static void ntdpc_module_of(void *routine, char *buf, size_t len)
{
	char sym[KSYM_SYMBOL_LEN];
	char *open, *close;

	sprint_symbol_no_offset(sym, (unsigned long)routine);
	open = strrchr(sym, '[');
	close = open ? strchr(open, ']') : NULL;
	if (open && close) {
		*close = '\0';
		strscpy(buf, open + 1, len);
	} else {
		strscpy(buf, "vmlinux", len);
	}
}

static void ntdpc_watchdog_report(struct ntdpc_cpu *c, void *routine,
				  u64 runtime, u64 limit, bool cumulative)
{
	char module[MODULE_NAME_LEN];

	ntdpc_stat_inc(c->stat_watchdog);
	ntdpc_module_of(routine, module, sizeof(module));
	trace_ntdpc_watchdog(routine, module, runtime, limit, cumulative);
	if (__ratelimit(&ntdpc_watchdog_rs))
		pr_warn("ntdpc: DPC watchdog: %s on CPU %u: %ps (module %s) %llu us, limit %llu us\n",
			cumulative ? "DPCs ran without a break" : "one DPC ran",
			c->dpcs.cpu, routine, module, runtime / NSEC_PER_USEC,
			limit / NSEC_PER_USEC);
}

/* After each ordinary routine, in the drain. */
void ntdpc_watchdog_check(struct ntdpc_cpu *c, struct ntdpc_call *call,
			  u64 runtime, u64 now)
{
	u64 single = (u64)READ_ONCE(dpc_time_limit_us) * NSEC_PER_USEC;
	u64 cumulative = (u64)READ_ONCE(dpc_watchdog_limit_ms) * NSEC_PER_MSEC;

	if (single && runtime > single)
		ntdpc_watchdog_report(c, call->fn, runtime, single, false);
	if (cumulative && !c->watchdog_reported &&
	    now - c->dispatch_since > cumulative) {
		c->watchdog_reported = true;
		ntdpc_watchdog_report(c, call->fn, now - c->dispatch_since,
				      cumulative, true);
	}
}

/* The drain found its queue empty: this CPU leaves DISPATCH_LEVEL. */
void ntdpc_watchdog_sequence_end(struct ntdpc_cpu *c)
{
	c->dispatch_since = 0;
	c->watchdog_reported = false;
}

static u64 ntdpc_remaining(u64 limit, u64 used)
{
	return used < limit ? limit - used : 0;
}

/**
 * KeQueryDpcWatchdogInformation() - the DPC watchdog's limits and what is
 *	left of them
 * @WatchdogInformation: receives DpcTimeLimit and DpcTimeCount (remaining
 *	for this routine) in microseconds, DpcWatchdogLimit and
 *	DpcWatchdogCount (remaining for this drain sequence) in milliseconds;
 *	a limit of 0 is off
 *
 * Return: STATUS_SUCCESS inside an ordinary DPC routine; STATUS_UNSUCCESSFUL
 * elsewhere (a threaded DPC included: it runs at PASSIVE_LEVEL), or for a
 * NULL argument.
 */
NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION
				       WatchdogInformation)
{
	unsigned int time_us = READ_ONCE(dpc_time_limit_us);
	unsigned int wd_ms = READ_ONCE(dpc_watchdog_limit_ms);
	struct ntdpc_cpu *c;
	u64 now;

	if (!WatchdogInformation || !in_serving_softirq() ||
	    !KeIsExecutingDpc())
		return STATUS_UNSUCCESSFUL;
	c = this_cpu_ptr(&ntdpc_cpus);
	now = ntdpc_clock();
	WatchdogInformation->DpcTimeLimit = time_us;
	WatchdogInformation->DpcTimeCount =
		ntdpc_remaining((u64)time_us * NSEC_PER_USEC,
				now - c->routine_start) / NSEC_PER_USEC;
	WatchdogInformation->DpcWatchdogLimit = wd_ms;
	WatchdogInformation->DpcWatchdogCount =
		ntdpc_remaining((u64)wd_ms * NSEC_PER_MSEC,
				now - c->dispatch_since) / NSEC_PER_MSEC;
	WatchdogInformation->Reserved = 0;
	return STATUS_SUCCESS;
}
EXPORT_SYMBOL_GPL(KeQueryDpcWatchdogInformation);

/**
 * KeShouldYieldProcessor() - has this DPC used up half its allowance?
 *
 * A long DPC that can stop early (and queue the rest, or hand it to a work
 * item) asks this.
 *
 * Return: TRUE inside an ordinary DPC routine that has run for half of
 * dpc_time_limit_us, or whose CPU has drained DPCs for half of
 * dpc_watchdog_limit_ms; FALSE otherwise.
 */
LOGICAL KeShouldYieldProcessor(void)
{
	u64 single = (u64)READ_ONCE(dpc_time_limit_us) * NSEC_PER_USEC;
	u64 cumulative = (u64)READ_ONCE(dpc_watchdog_limit_ms) * NSEC_PER_MSEC;
	struct ntdpc_cpu *c;
	u64 now;

	if (!in_serving_softirq() || !KeIsExecutingDpc())
		return FALSE;
	c = this_cpu_ptr(&ntdpc_cpus);
	now = ntdpc_clock();
	return (single && now - c->routine_start >= single / 2) ||
	       (cumulative && now - c->dispatch_since >= cumulative / 2);
}
EXPORT_SYMBOL_GPL(KeShouldYieldProcessor);
