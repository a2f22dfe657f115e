// SPDX-License-Identifier: GPL-2.0
/*
 * NT time: 100 ns units, system time counted from 1601-01-01 UTC, interrupt
 * time from boot; and NT's due times and timeouts (negative relative to
 * now, else absolute system time) as monotonic expiries, for timers
 * (timer.c) and waits (dispatcher.c) alike.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "internal.h"

/* 1601-01-01 to 1970-01-01 in 100 ns units. */
#define NTDPC_EPOCH_DELTA	116444736000000000LL

LONGLONG ntdpc_system_time(void)
{
	return ktime_get_real_ns() / 100 + NTDPC_EPOCH_DELTA;
}

/* A monotonic instant (a timer's expiry) as NT system time. */
LONGLONG ntdpc_mono_to_system(ktime_t mono)
{
	return ktime_to_ns(ktime_mono_to_real(mono)) / 100 + NTDPC_EPOCH_DELTA;
}

/*
 * An NT due time or timeout (100 ns units, negative relative to now, else
 * an absolute system time) as a monotonic expiry.  Any LONGLONG is valid:
 * an absolute time already past (0, say: 1601) is now, one too far ahead
 * for the clock (relative LLONG_MIN, say) is KTIME_MAX, never.  The
 * difference from now is clamped before it is scaled to ns, or it would
 * overflow and wrap.
 */
ktime_t ntdpc_due_to_expiry(LONGLONG due)
{
	ktime_t now = ktime_get();
	s64 delta;	/* 100 ns units from now */

	if (due < 0)
		delta = due == S64_MIN ? S64_MAX : -due;
	else
		delta = due - ntdpc_system_time();
	if (delta <= 0)
		return now;
	if (delta > (KTIME_MAX - now) / 100)
		return KTIME_MAX;
	return now + delta * 100;
}

/**
 * KeQueryInterruptTime() - time since boot
 *
 * Return: monotonic time since boot in 100 ns units.
 */
ULONGLONG KeQueryInterruptTime(void)
{
	return ktime_get_ns() / 100;
}
EXPORT_SYMBOL_GPL(KeQueryInterruptTime);

/**
 * KeQueryInterruptTimePrecise() - KeQueryInterruptTime(), with a timestamp
 * @QpcTimeStamp: if not NULL, receives the same instant in nanoseconds
 *
 * Return: monotonic time since boot in 100 ns units.
 */
ULONGLONG KeQueryInterruptTimePrecise(PULONGLONG QpcTimeStamp)
{
	u64 ns = ktime_get_ns();

	if (QpcTimeStamp)
		*QpcTimeStamp = ns;
	return ns / 100;
}
EXPORT_SYMBOL_GPL(KeQueryInterruptTimePrecise);

/**
 * KeQuerySystemTime() - the current system time
 * @CurrentTime: receives 100 ns units since 1601-01-01 UTC
 */
void KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = ntdpc_system_time();
}
EXPORT_SYMBOL_GPL(KeQuerySystemTime);

/**
 * KeQuerySystemTimePrecise() - the current system time, to the clock's
 *	resolution
 * @CurrentTime: receives 100 ns units since 1601-01-01 UTC
 */
void KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
	CurrentTime->QuadPart = ntdpc_system_time();
}
EXPORT_SYMBOL_GPL(KeQuerySystemTimePrecise);
