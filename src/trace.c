// SPDX-License-Identifier: GPL-2.0
/*
 * The ntdpc tracepoints (include/ntdpc/trace.h), created here and exported
 * so that companion modules can attach probes.
 */
#define CREATE_TRACE_POINTS
#include <ntdpc/trace.h>

EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_queue);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_entry);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_exit);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_remove);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_drain);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_timer_expire);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_work_queue);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_work_start);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_work_end);
EXPORT_TRACEPOINT_SYMBOL_GPL(ntdpc_watchdog);
