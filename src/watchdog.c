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
 * As on NT, where the clock interrupt counts the ticks a processor spends in
 * DPCs, the watchdog samples rather than times: the drain reads no clock.  It
 * keeps, per CPU, the routine running and a count of routines started; a
 * per-CPU hrtimer (the sampler) fires every quarter of the smaller limit
 * while the CPU has DPC activity, in hardirq context, so it also sees a
 * routine that never returns.  A routine seen running at two firings with
 * no other routine started in between has run at least the time between
 * them; once that exceeds the limit, it is reported, while it still runs.
 * So a routine is reported when it runs longer than the limit plus up to
 * two sampling periods (half the limit), never when it runs less than the
 * limit.  The sampler stops after a period with no drain and the next drain
 * pass starts it again.
 *
 * A violation is counted (the "watchdog" row of the statistics), traced
 * (ntdpc_watchdog, with the time seen so far) and printed, at most once
 * every five seconds, naming the routine and its module.
 * KeQueryDpcWatchdogInformation() and KeShouldYieldProcessor() let a DPC see
 * how much of its allowance is left, from the same samples.
 */
#include <linux/kallsyms.h>
#include <linux/uaccess.h>
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

/* The shortest sampling period: 4000 firings a second at most. */
#define NTDPC_WATCHDOG_MIN_PERIOD_NS	(250 * NSEC_PER_USEC)

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
	if (routine)
		ntdpc_module_of(routine, module, sizeof(module));
	else
		strscpy(module, "none", sizeof(module));
	trace_ntdpc_watchdog(routine, module, runtime, limit, cumulative);
	/* From the watchdog's hardirq timer: no console driver here. */
	if (!__ratelimit(&ntdpc_watchdog_rs))
		return;
	if (routine)
		ntdpc_printk_deferred(KERN_WARNING
				      "ntdpc: DPC watchdog: %s on CPU %u: %ps (module %s) %llu us, limit %llu us\n",
				      cumulative ? "DPCs ran without a break" : "one DPC ran",
				      c->dpcs.cpu, routine, module,
				      runtime / NSEC_PER_USEC,
				      limit / NSEC_PER_USEC);
	else
		ntdpc_printk_deferred(KERN_WARNING
				      "ntdpc: DPC watchdog: DPCs ran without a break on CPU %u (no routine seen running) %llu us, limit %llu us\n",
				      c->dpcs.cpu, runtime / NSEC_PER_USEC,
				      limit / NSEC_PER_USEC);
}

static u64 ntdpc_single_limit(void)
{
	return (u64)READ_ONCE(dpc_time_limit_us) * NSEC_PER_USEC;
}

static u64 ntdpc_cumulative_limit(void)
{
	return (u64)READ_ONCE(dpc_watchdog_limit_ms) * NSEC_PER_MSEC;
}

/* A quarter of the smaller limit that is on; 0 if both are off. */
static u64 ntdpc_watchdog_period(void)
{
	u64 single = ntdpc_single_limit(), cumulative = ntdpc_cumulative_limit();
	u64 limit = single && cumulative ? min(single, cumulative) :
					   single | cumulative;

	return limit ? max_t(u64, limit / 4, NTDPC_WATCHDOG_MIN_PERIOD_NS) : 0;
}

/*
 * One look at a watched thing: @id names the one running now, if @running.
 * Seen at two firings with the same id, it has run at least the time in
 * between; past @limit it is reported, once.
 */
static void ntdpc_watchdog_look(struct ntdpc_cpu *c, struct ntdpc_watched *w,
				bool running, unsigned long id, u64 now,
				u64 limit, void *fn, bool cumulative)
{
	if (!running) {
		w->seen = 0;
		return;
	}
	if (!w->seen || w->id != id) {
		/* Started since the last firing. */
		w->id = id;
		w->seen = now;
		w->reported = false;
		return;
	}
	if (limit && !w->reported && now - w->seen > limit) {
		w->reported = true;
		ntdpc_watchdog_report(c, fn, now - w->seen, limit, cumulative);
	}
}

/* How long a watched thing has run, as far as the sampler has seen. */
static u64 ntdpc_watched_for(struct ntdpc_watched *w, unsigned long id,
			     u64 now)
{
	return w->seen && w->id == id ? now - w->seen : 0;
}

/*
 * The driver's routine of the running call, for a report.  A DpcForIsr may
 * free its device object before it returns: its DpcForIsr is read without
 * faulting.
 */
static void *ntdpc_call_routine_nofault(const struct ntdpc_call *call)
{
	PIO_DPC_ROUTINE isr_dpc;

	if (call->routine == ntdpc_io_dpc &&
	    !get_kernel_nofault(isr_dpc,
				&((PDEVICE_OBJECT)call->ctx)->DpcForIsr))
		return isr_dpc;
	return call->routine;
}

static enum hrtimer_restart ntdpc_watchdog_fn(struct hrtimer *t)
{
	struct ntdpc_cpu *c = container_of(t, struct ntdpc_cpu, wd.timer);
	struct ntdpc_watchdog *wd = &c->wd;
	unsigned long drains = READ_ONCE(c->stat_drains);
	u64 now = ktime_to_ns(hrtimer_cb_get_time(t));
	struct ntdpc_call *call;
	u64 period = ntdpc_watchdog_period();
	unsigned long sequence;
	void *fn;

	/*
	 * Nothing drained for a whole period, or the limits are off: stop.
	 * Also when CPU hotplug moved the sampler off its dying CPU; the
	 * CPU's drain starts it again once it is back.
	 */
	if (!period || (drains == wd->drains_seen &&
			!READ_ONCE(wd->sequence_active)) ||
	    c->dpcs.cpu != smp_processor_id()) {
		wd->routine.seen = 0;
		wd->sequence.seen = 0;
		WRITE_ONCE(wd->armed, false);
		return HRTIMER_NORESTART;
	}
	wd->drains_seen = drains;
	call = READ_ONCE(c->running);
	fn = call ? ntdpc_call_routine_nofault(call) : NULL;
	/*
	 * A sequence may be caught between two routines: it is named by the
	 * last routine seen running in it (only printed, never called), and
	 * not by one of the sequence before.
	 */
	sequence = READ_ONCE(wd->sequences);
	if (!wd->sequence.seen || wd->sequence.id != sequence)
		wd->sequence_fn = NULL;
	if (fn)
		wd->sequence_fn = fn;
	/* The routine running on this CPU, and the drain sequence. */
	ntdpc_watchdog_look(c, &wd->routine, call, READ_ONCE(c->routines), now,
			    ntdpc_single_limit(), fn, false);
	ntdpc_watchdog_look(c, &wd->sequence, READ_ONCE(wd->sequence_active),
			    sequence, now, ntdpc_cumulative_limit(),
			    wd->sequence_fn, true);
	/* Past NT's bug-check point: the drain leaves room to threads. */
	if (READ_ONCE(wd->sequence_active) && wd->sequence.reported &&
	    !READ_ONCE(c->storm))
		WRITE_ONCE(c->storm, true);
	hrtimer_forward_now(t, ns_to_ktime(period));
	return HRTIMER_RESTART;
}

/**
 * ntdpc_watchdog_arm() - start this CPU's sampler
 * @c: this CPU's DPC state
 *
 * Called by a drain pass that found the sampler stopped, in softirq context
 * on @c's CPU; the sampler runs on the same CPU, so the two never race.
 */
void ntdpc_watchdog_arm(struct ntdpc_cpu *c)
{
	u64 period = ntdpc_watchdog_period();

	if (!period)
		return;
	c->wd.drains_seen = READ_ONCE(c->stat_drains) - 1;
	c->wd.routine.seen = 0;
	c->wd.sequence.seen = 0;
	WRITE_ONCE(c->wd.armed, true);
	hrtimer_start(&c->wd.timer, ns_to_ktime(period),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

void ntdpc_watchdog_init_cpu(struct ntdpc_cpu *c)
{
	ntdpc_hrtimer_setup(&c->wd.timer, ntdpc_watchdog_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_HARD);
}

/* Module exit or the CPU is dead; the drain restarts it when needed. */
void ntdpc_watchdog_exit_cpu(struct ntdpc_cpu *c)
{
	hrtimer_cancel(&c->wd.timer);
	WRITE_ONCE(c->wd.armed, false);
}

static u64 ntdpc_remaining(u64 limit, u64 used)
{
	return used < limit ? limit - used : 0;
}

/*
 * How long the running routine and the drain sequence have run, at least:
 * since the sampler first saw them, 0 if it has not yet.  NT's counts are
 * clock ticks seen the same way.  Interrupts are off so that the sampler's
 * fields are read as one.
 */
static void ntdpc_watchdog_used(struct ntdpc_cpu *c, u64 now, u64 *routine,
				u64 *sequence)
{
	struct ntdpc_watchdog *wd = &c->wd;
	unsigned long flags;

	local_irq_save(flags);
	*routine = ntdpc_watched_for(&wd->routine, c->routines, now);
	*sequence = ntdpc_watched_for(&wd->sequence, wd->sequences, now);
	local_irq_restore(flags);
}

/**
 * KeQueryDpcWatchdogInformation() - the DPC watchdog's limits and what is
 *	left of them
 * @WatchdogInformation: receives DpcTimeLimit and DpcTimeCount (remaining
 *	for this routine) in microseconds, DpcWatchdogLimit and
 *	DpcWatchdogCount (remaining for this drain sequence) in milliseconds;
 *	a limit of 0 is off
 *
 * The counts are what the watchdog's sampler has seen used, as NT's are
 * clock ticks: they may show up to one sampling period more left than is.
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
	u64 routine, sequence;
	struct ntdpc_cpu *c;

	if (!WatchdogInformation || !ntdpc_in_ordinary_dpc())
		return STATUS_UNSUCCESSFUL;
	c = this_cpu_ptr(&ntdpc_cpus);
	ntdpc_watchdog_used(c, ntdpc_clock(), &routine, &sequence);
	WatchdogInformation->DpcTimeLimit = time_us;
	WatchdogInformation->DpcTimeCount =
		ntdpc_remaining((u64)time_us * NSEC_PER_USEC, routine) /
		NSEC_PER_USEC;
	WatchdogInformation->DpcWatchdogLimit = wd_ms;
	WatchdogInformation->DpcWatchdogCount =
		ntdpc_remaining((u64)wd_ms * NSEC_PER_MSEC, sequence) /
		NSEC_PER_MSEC;
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
	u64 single = ntdpc_single_limit(), cumulative = ntdpc_cumulative_limit();
	u64 routine, sequence;

	if (!ntdpc_in_ordinary_dpc())
		return FALSE;
	ntdpc_watchdog_used(this_cpu_ptr(&ntdpc_cpus), ntdpc_clock(), &routine,
			    &sequence);
	return (single && routine >= single / 2) ||
	       (cumulative && sequence >= cumulative / 2);
}
EXPORT_SYMBOL_GPL(KeShouldYieldProcessor);
