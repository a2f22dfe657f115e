// SPDX-License-Identifier: GPL-2.0
/*
 * Misuse reporting: a caller's bug is counted, reported with the caller's
 * address, and answered with a failure return, never a crash.  Every kind is
 * counted always (KUnit and the VM tests read the counts) and printed at
 * most once per kind every 5 s, so a driver that repeats its mistake in a
 * loop cannot flood the log.  Documentation/design.rst lists every case.
 */
#include <linux/printk.h>
#include <linux/ratelimit.h>

#include "internal.h"

atomic_long_t ntdpc_misuse_count[NTDPC_MISUSE_NR];

/* One message per kind every 5 s; every occurrence is counted. */
static struct ratelimit_state ntdpc_misuse_rs[NTDPC_MISUSE_NR];

/**
 * ntdpc_printk_deferred() - log a message without calling a console driver
 * @fmt: printf-style message, with its KERN_ level prefix
 *
 * Reports come from under DPC queues' raw locks, from the watchdog's hardirq
 * timer and from any other context, where a console driver (which may take
 * a sleeping lock on PREEMPT_RT, or a spinlock_t under
 * PROVE_RAW_LOCK_NESTING) must not run.  printk_deferred() is what the
 * kernel has for this, but it is not exported to modules; vprintk_emit() at
 * LOGLEVEL_SCHED is the same path (the message is in the log at once, the
 * console prints it from irq_work) and is exported on every kernel we build.
 */
void ntdpc_printk_deferred(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintk_emit(0, LOGLEVEL_SCHED, NULL, fmt, args);
	va_end(args);
}

/**
 * ntdpc_report_misuse() - report a caller bug without crashing
 * @kind: what went wrong, counted in ntdpc_misuse_count
 * @caller: return address of the offending call, printed as a symbol
 * @fmt: printf-style description
 */
void ntdpc_report_misuse(enum ntdpc_misuse kind, unsigned long caller,
			 const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_long_inc(&ntdpc_misuse_count[kind]);
	if (!__ratelimit(&ntdpc_misuse_rs[kind]))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	ntdpc_printk_deferred(KERN_ERR "ntdpc: %pV (caller %pS)\n", &vaf,
			      (void *)caller);
	va_end(args);
}

void ntdpc_misuse_init(void)
{
	int i;

	for (i = 0; i < NTDPC_MISUSE_NR; i++) {
		ratelimit_state_init(&ntdpc_misuse_rs[i], 5 * HZ, 1);
		ratelimit_set_flags(&ntdpc_misuse_rs[i],
				    RATELIMIT_MSG_ON_RELEASE);
	}
}
