// SPDX-License-Identifier: GPL-2.0
/*
 * Notification and synchronization events: initial state, KeSetEvent's and
 * KeResetEvent's previous state, a zero-timeout wait as a poll, and the
 * auto-reset of a synchronization event by a satisfied wait.
 */
#include "conform.h"

void conform_events(void)
{
	static KEVENT e;
	LARGE_INTEGER zero = { .QuadPart = 0 };
	NTSTATUS ws;
	LONG p;

	KeInitializeEvent(&e, NotificationEvent, FALSE);
	CHECK("event-initial", KeReadStateEvent(&e) == 0, "0 got %d", KeReadStateEvent(&e));
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-poll-timeout", ws == STATUS_TIMEOUT, "TIMEOUT got %x", ws);
	p = KeSetEvent(&e, IO_NO_INCREMENT, FALSE);
	CHECK("event-set-prev", p == 0 && KeReadStateEvent(&e) != 0, "prev 0 now set got %d %d", p,
	      KeReadStateEvent(&e));
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-notification-stays", ws == STATUS_SUCCESS && KeReadStateEvent(&e) != 0,
	      "SUCCESS, still set got %x %d", ws, KeReadStateEvent(&e));
	p = KeResetEvent(&e);
	CHECK("event-reset-prev", p != 0 && KeReadStateEvent(&e) == 0, "prev set, now 0 got %d", p);
	KeInitializeEvent(&e, SynchronizationEvent, TRUE);
	ws = KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero);
	CHECK("event-sync-auto-reset", ws == STATUS_SUCCESS && KeReadStateEvent(&e) == 0,
	      "SUCCESS then 0 got %x %d", ws, KeReadStateEvent(&e));
}
