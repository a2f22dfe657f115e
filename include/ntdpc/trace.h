/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntdpc tracepoints (system "ntdpc"): every DPC from queueing to exit, the
 * drains, timer expiries, work items and watchdog reports.
 *
 *   trace-cmd record -e ntdpc -e irq:irq_handler_entry
 *
 * Companion modules may attach probes (register_trace_ntdpc_exit() & co); the
 * tracepoints are exported GPL-only.  Documentation/tracing.rst describes
 * every field.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ntdpc

#if !defined(_NTDPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NTDPC_TRACE_H

#include <linux/tracepoint.h>

int ntdpc_timing_reg(void);
void ntdpc_timing_unreg(void);

TRACE_EVENT(ntdpc_queue,
	TP_PROTO(const void *dpc, const void *routine, int cpu,
		 unsigned int importance, bool threaded, bool at_head,
		 unsigned int depth, unsigned long caller),
	TP_ARGS(dpc, routine, cpu, importance, threaded, at_head, depth, caller),
	TP_STRUCT__entry(
		__field(const void *, dpc)
		__field(const void *, routine)
		__field(int, cpu)
		__field(unsigned int, importance)
		__field(bool, threaded)
		__field(bool, at_head)
		__field(unsigned int, depth)
		__field(unsigned long, caller)
	),
	TP_fast_assign(
		__entry->dpc = dpc;
		__entry->routine = routine;
		__entry->cpu = cpu;
		__entry->importance = importance;
		__entry->threaded = threaded;
		__entry->at_head = at_head;
		__entry->depth = depth;
		__entry->caller = caller;
	),
	TP_printk("dpc=%p routine=%ps target=%d importance=%s%s %s depth=%u caller=%pS",
		  __entry->dpc, __entry->routine, __entry->cpu,
		  __print_symbolic(__entry->importance, { 0, "low" },
				   { 1, "medium" }, { 2, "high" },
				   { 3, "mediumhigh" }),
		  __entry->threaded ? " threaded" : "",
		  __entry->at_head ? "head" : "tail", __entry->depth,
		  (void *)__entry->caller)
);

TRACE_EVENT_FN(ntdpc_entry,
	TP_PROTO(const void *dpc, const void *routine, bool threaded,
		 u64 latency_ns),
	TP_ARGS(dpc, routine, threaded, latency_ns),
	TP_STRUCT__entry(
		__field(const void *, dpc)
		__field(const void *, routine)
		__field(bool, threaded)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->dpc = dpc;
		__entry->routine = routine;
		__entry->threaded = threaded;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("dpc=%p routine=%ps%s latency_ns=%llu", __entry->dpc,
		  __entry->routine, __entry->threaded ? " threaded" : "",
		  __entry->latency_ns),
	ntdpc_timing_reg, ntdpc_timing_unreg
);

TRACE_EVENT_FN(ntdpc_exit,
	TP_PROTO(const void *dpc, const void *routine, bool threaded,
		 u64 runtime_ns),
	TP_ARGS(dpc, routine, threaded, runtime_ns),
	TP_STRUCT__entry(
		__field(const void *, dpc)
		__field(const void *, routine)
		__field(bool, threaded)
		__field(u64, runtime_ns)
	),
	TP_fast_assign(
		__entry->dpc = dpc;
		__entry->routine = routine;
		__entry->threaded = threaded;
		__entry->runtime_ns = runtime_ns;
	),
	TP_printk("dpc=%p routine=%ps%s runtime_ns=%llu", __entry->dpc,
		  __entry->routine, __entry->threaded ? " threaded" : "",
		  __entry->runtime_ns),
	ntdpc_timing_reg, ntdpc_timing_unreg
);

TRACE_EVENT(ntdpc_remove,
	TP_PROTO(const void *dpc, const void *routine, int cpu),
	TP_ARGS(dpc, routine, cpu),
	TP_STRUCT__entry(
		__field(const void *, dpc)
		__field(const void *, routine)
		__field(int, cpu)
	),
	TP_fast_assign(
		__entry->dpc = dpc;
		__entry->routine = routine;
		__entry->cpu = cpu;
	),
	TP_printk("dpc=%p routine=%ps from_cpu=%d", __entry->dpc,
		  __entry->routine, __entry->cpu)
);

TRACE_EVENT_FN(ntdpc_drain,
	TP_PROTO(unsigned int ran, u64 time_ns, bool yielded),
	TP_ARGS(ran, time_ns, yielded),
	TP_STRUCT__entry(
		__field(unsigned int, ran)
		__field(u64, time_ns)
		__field(bool, yielded)
	),
	TP_fast_assign(
		__entry->ran = ran;
		__entry->time_ns = time_ns;
		__entry->yielded = yielded;
	),
	TP_printk("ran=%u time_ns=%llu%s", __entry->ran, __entry->time_ns,
		  __entry->yielded ? " budget_spent" : ""),
	ntdpc_timing_reg, ntdpc_timing_unreg
);

TRACE_EVENT(ntdpc_timer_expire,
	TP_PROTO(const void *timer, const void *dpc, s64 lateness_ns),
	TP_ARGS(timer, dpc, lateness_ns),
	TP_STRUCT__entry(
		__field(const void *, timer)
		__field(const void *, dpc)
		__field(s64, lateness_ns)
	),
	TP_fast_assign(
		__entry->timer = timer;
		__entry->dpc = dpc;
		__entry->lateness_ns = lateness_ns;
	),
	TP_printk("timer=%p dpc=%p lateness_ns=%lld", __entry->timer,
		  __entry->dpc, __entry->lateness_ns)
);

DECLARE_EVENT_CLASS(ntdpc_work_class,
	TP_PROTO(const void *item, const void *routine, int queue, u64 ns),
	TP_ARGS(item, routine, queue, ns),
	TP_STRUCT__entry(
		__field(const void *, item)
		__field(const void *, routine)
		__field(int, queue)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->item = item;
		__entry->routine = routine;
		__entry->queue = queue;
		__entry->ns = ns;
	),
	TP_printk("item=%p routine=%ps queue=%s ns=%llu", __entry->item,
		  __entry->routine,
		  __print_symbolic(__entry->queue, { 0, "critical" },
				   { 1, "delayed" }, { 2, "hypercritical" }),
		  __entry->ns)
);

/* ns: 0 on queue, queue-to-start latency on start, runtime on end. */
DEFINE_EVENT(ntdpc_work_class, ntdpc_work_queue,
	TP_PROTO(const void *item, const void *routine, int queue, u64 ns),
	TP_ARGS(item, routine, queue, ns));
DEFINE_EVENT(ntdpc_work_class, ntdpc_work_start,
	TP_PROTO(const void *item, const void *routine, int queue, u64 ns),
	TP_ARGS(item, routine, queue, ns));
DEFINE_EVENT(ntdpc_work_class, ntdpc_work_end,
	TP_PROTO(const void *item, const void *routine, int queue, u64 ns),
	TP_ARGS(item, routine, queue, ns));

TRACE_EVENT(ntdpc_watchdog,
	TP_PROTO(const void *routine, const char *module, u64 runtime_ns,
		 u64 limit_ns, bool cumulative),
	TP_ARGS(routine, module, runtime_ns, limit_ns, cumulative),
	TP_STRUCT__entry(
		__field(const void *, routine)
		__array(char, module, 56)
		__field(u64, runtime_ns)
		__field(u64, limit_ns)
		__field(bool, cumulative)
	),
	TP_fast_assign(
		__entry->routine = routine;
		strscpy(__entry->module, module, sizeof(__entry->module));
		__entry->runtime_ns = runtime_ns;
		__entry->limit_ns = limit_ns;
		__entry->cumulative = cumulative;
	),
	TP_printk("routine=%ps module=%s runtime_ns=%llu limit_ns=%llu %s",
		  __entry->routine, __entry->module, __entry->runtime_ns,
		  __entry->limit_ns,
		  __entry->cumulative ? "cumulative" : "single")
);

#endif /* _NTDPC_TRACE_H */

/* This part must be outside the guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH ntdpc
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
