// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency: the text and JSON reports.  The JSON keys are described at
 * the top of ntdpc-latency.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ntdpc-latency.h"

#define BAR_WIDTH	50

static const struct nl_report *sort_rep;

/* Worst execution time first, as LatencyMon lists its drivers. */
static int cmp_routine(const void *a, const void *b)
{
	const struct nl_routine *x = &sort_rep->routines[*(const size_t *)a];
	const struct nl_routine *y = &sort_rep->routines[*(const size_t *)b];

	if (x->run_st.max != y->run_st.max)
		return x->run_st.max < y->run_st.max ? 1 : -1;
	if (x->lat_st.max != y->lat_st.max)
		return x->lat_st.max < y->lat_st.max ? 1 : -1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->threaded - y->threaded;
}

size_t *nl_sorted_routines(const struct nl_report *r)
{
	size_t *idx = nl_alloc(r->nroutines, sizeof(*idx));
	size_t i;

	for (i = 0; i < r->nroutines; i++)
		idx[i] = i;
	sort_rep = r;
	qsort(idx, r->nroutines, sizeof(*idx), cmp_routine);
	return idx;
}

static int cmp_module(const void *a, const void *b)
{
	const struct nl_module *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

struct nl_module *nl_modules(const struct nl_report *r, size_t *n)
{
	struct nl_module *m = nl_alloc(r->nroutines, sizeof(*m));
	size_t i, j, cnt = 0;

	for (i = 0; i < r->nroutines; i++) {
		const struct nl_routine *rt = &r->routines[i];

		for (j = 0; j < cnt; j++)
			if (!strcmp(m[j].name, rt->module))
				break;
		if (j == cnt)
			m[cnt++].name = rt->module;
		m[j].count += rt->count;
		m[j].total_ns += rt->run_st.sum;
		if (rt->run_st.max > m[j].max_ns)
			m[j].max_ns = rt->run_st.max;
	}
	qsort(m, cnt, sizeof(*m), cmp_module);
	*n = cnt;
	return m;
}

static const char *kind(int threaded)
{
	return threaded ? "threaded" : "ordinary";
}

static double secs(unsigned long long ns)
{
	return (double)ns / 1e9;
}

static double share_pct(const struct nl_report *r, unsigned long long ns)
{
	unsigned long long d = nl_duration(r);

	return d ? 100.0 * (double)ns / (double)d : 0.0;
}

/* ---------------------------------------------------------------- text */

static void text_worst(FILE *f, const struct nl_report *r, const char *what,
		       const char *when, const struct nl_worst *w)
{
	const struct nl_routine *rt;

	if (!w->valid) {
		fprintf(f, "%-32s n/a\n", what);
		return;
	}
	rt = &r->routines[w->routine];
	fprintf(f, "%-32s %.1f us  %s [%s] (%s, CPU %d, %s %.6f)\n", what,
		nl_us(w->val), rt->name, rt->module, kind(rt->threaded),
		w->cpu, when, secs(w->ts));
}

static void text_stats(FILE *f, const struct nl_stats *st)
{
	if (!st->n) {
		fprintf(f, " %8s %8s %8s %8s %8s |", "-", "-", "-", "-", "-");
		return;
	}
	fprintf(f, " %8.1f %8.1f %8.1f %8.1f %8.1f |", nl_us(st->min),
		st->avg / 1000.0, nl_us(st->p50), nl_us(st->p99),
		nl_us(st->max));
}

static void text_routines(FILE *f, const struct nl_report *r)
{
	size_t *idx = nl_sorted_routines(r);
	size_t i;

	fprintf(f, "\nDPC routines (times in us; worst execution time first)\n");
	fprintf(f, "%8s %-9s| %-44s| %-44s|\n", "", "",
		"queue-to-start latency", "execution time");
	fprintf(f, "%8s %-9s| %8s %8s %8s %8s %8s | %8s %8s %8s %8s %8s | %s\n",
		"count", "kind", "min", "avg", "p50", "p99", "max",
		"min", "avg", "p50", "p99", "max", "routine [module]");
	for (i = 0; i < r->nroutines; i++) {
		const struct nl_routine *rt = &r->routines[idx[i]];

		fprintf(f, "%8llu %-9s|", rt->count, kind(rt->threaded));
		text_stats(f, &rt->lat_st);
		text_stats(f, &rt->run_st);
		fprintf(f, " %s [%s]", rt->name, rt->module);
		if (rt->lat_unknown)
			fprintf(f, " (%llu without latency)", rt->lat_unknown);
		fputc('\n', f);
	}
	free(idx);
}

static void text_modules(FILE *f, const struct nl_report *r)
{
	struct nl_module *m;
	size_t i, n;

	m = nl_modules(r, &n);
	fprintf(f, "\nModules (total DPC execution time, all CPUs)\n");
	fprintf(f, "%10s %14s %10s %9s  %s\n", "count", "total (us)",
		"max (us)", "share", "module");
	for (i = 0; i < n; i++)
		fprintf(f, "%10llu %14.1f %10.1f %8.3f%%  %s\n", m[i].count,
			nl_us(m[i].total_ns), nl_us(m[i].max_ns),
			share_pct(r, m[i].total_ns), m[i].name);
	free(m);
}

static void text_irqs(FILE *f, const struct nl_report *r)
{
	size_t i;

	if (!r->events[NL_EV_IRQ]) {
		fprintf(f,
			"\nInterrupt-to-DPC latency: no irq:irq_handler_entry events in the trace\n");
		return;
	}
	fprintf(f,
		"\nInterrupt-to-DPC latency (irq_handler_entry to the next ntdpc_entry on that CPU, us)\n");
	fprintf(f, "%6s %-24s %10s %10s %10s %10s %10s\n", "irq", "name",
		"count", "unmatched", "p50", "p99", "max");
	for (i = 0; i < r->nirqs; i++) {
		const struct nl_irq *q = &r->irqs[i];

		fprintf(f, "%6d %-24s %10zu %10llu", q->irq, q->name, q->st.n,
			q->unmatched);
		if (q->st.n)
			fprintf(f, " %10.1f %10.1f %10.1f\n", nl_us(q->st.p50),
				nl_us(q->st.p99), nl_us(q->st.max));
		else
			fprintf(f, " %10s %10s %10s\n", "-", "-", "-");
	}
}

static void text_cpus(FILE *f, const struct nl_report *r)
{
	size_t i;

	fprintf(f, "\nTime in DPCs per CPU (ordinary DPCs; trace lasted %.6f s)\n",
		secs(nl_duration(r)));
	fprintf(f, "%5s %10s %14s %9s %10s %14s\n", "CPU", "DPCs",
		"DPC time (us)", "share", "threaded", "threaded (us)");
	for (i = 0; i < r->ncpus; i++) {
		const struct nl_cpu *c = &r->cpus[i];

		if (!c->seen)
			continue;
		fprintf(f, "%5zu %10llu %14.1f %8.3f%% %10llu %14.1f\n", i,
			c->dpcs, nl_us(c->dpc_ns), share_pct(r, c->dpc_ns),
			c->threaded, nl_us(c->threaded_ns));
	}
}

static void text_hist(FILE *f, const char *title, const unsigned long long *h)
{
	unsigned long long top = 0;
	unsigned int lo, hi, b, w;
	char a[32], z[32];

	fprintf(f, "\n%s (log2 buckets, all DPCs)\n", title);
	if (nl_hist_range(h, &lo, &hi)) {
		fprintf(f, "  no samples\n");
		return;
	}
	for (b = lo; b <= hi; b++)
		if (h[b] > top)
			top = h[b];
	for (b = lo; b <= hi; b++) {
		nl_fmt_ns(a, sizeof(a), nl_bucket_lo(b));
		nl_fmt_ns(z, sizeof(z), nl_bucket_hi(b));
		w = (unsigned int)((h[b] * BAR_WIDTH + top - 1) / top);
		fprintf(f, "  %9s - %-9s |%-*.*s| %llu\n", a, z, BAR_WIDTH, w,
			"##################################################",
			h[b]);
	}
}

static void text_watchdog(FILE *f, const struct nl_report *r)
{
	size_t i;

	if (!r->nwds) {
		fprintf(f, "\nWatchdog reports: none\n");
		return;
	}
	fprintf(f, "\nWatchdog reports: %zu\n", r->nwds);
	fprintf(f, "%16s %5s %12s %12s %-11s %s\n", "time (s)", "CPU",
		"runtime (us)", "limit (us)", "kind", "routine [module]");
	for (i = 0; i < r->nwds; i++) {
		const struct nl_watchdog *w = &r->wds[i];

		fprintf(f, "%16.6f %5d %12.1f %12.1f %-11s %s [%s]\n",
			secs(w->ts), w->cpu, nl_us(w->runtime),
			nl_us(w->limit), w->cumulative ? "cumulative" : "single",
			w->name, w->module);
	}
}

static void text_misc(FILE *f, const struct nl_report *r)
{
	unsigned long long n = r->events[NL_EV_TIMER];

	if (n)
		fprintf(f,
			"\nTimer DPCs: %llu expiries, lateness min %.1f us, avg %.1f us, max %.1f us\n",
			n, r->timer_min / 1000.0,
			(double)r->timer_sum / (double)n / 1000.0,
			r->timer_max / 1000.0);
	if (r->events[NL_EV_DRAIN])
		fprintf(f,
			"Drains: %llu, longest %.1f us, most DPCs in one drain %llu, budget spent %llu times\n",
			r->events[NL_EV_DRAIN], nl_us(r->drain_max_ns),
			r->drain_max_ran, r->drain_yielded);
	if (r->events[NL_EV_WORK_QUEUE] || r->events[NL_EV_WORK_START])
		fprintf(f,
			"Work items: %llu queued, %llu started, %llu ended, max latency %.1f us, max runtime %.1f us\n",
			r->events[NL_EV_WORK_QUEUE],
			r->events[NL_EV_WORK_START], r->events[NL_EV_WORK_END],
			nl_us(r->work_max_lat), nl_us(r->work_max_run));
}

void nl_print_text(FILE *f, const struct nl_report *r)
{
	int ev;

	fprintf(f, "ntdpc-latency report: %s\n", r->file);
	fprintf(f, "Trace: %.6f s (%.6f to %.6f), %llu records",
		secs(nl_duration(r)), secs(r->first_ts), secs(r->last_ts),
		r->records);
	if (r->lost)
		fprintf(f, ", %llu events LOST", r->lost);
	if (r->lost_unknown)
		fprintf(f, ", events lost (count unknown)");
	fputc('\n', f);
	fprintf(f, "Events:");
	for (ev = 0; ev < NL_EV_MAX; ev++)
		fprintf(f, "%s %s %llu", ev ? "," : "", nl_event_names[ev],
			r->events[ev]);
	fputs("\n\n", f);

	text_worst(f, r, "Highest DPC execution time:", "ended at",
		   &r->worst_run);
	text_worst(f, r, "Highest queue-to-start latency:", "started at",
		   &r->worst_lat);
	if (r->events[NL_EV_TIMER])
		fprintf(f, "%-32s %.1f us\n", "Highest timer lateness:",
			r->timer_max / 1000.0);
	fprintf(f, "%-32s %zu\n", "DPC watchdog reports:", r->nwds);

	text_routines(f, r);
	text_modules(f, r);
	text_irqs(f, r);
	text_cpus(f, r);
	text_hist(f, "Queue-to-start latency", r->hist_lat);
	text_hist(f, "DPC execution time", r->hist_run);
	text_watchdog(f, r);
	text_misc(f, r);
}

/* ---------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_stats(FILE *f, const char *key, const struct nl_stats *st)
{
	fprintf(f, "\"%s\": ", key);
	if (!st->n) {
		fputs("null", f);
		return;
	}
	fprintf(f,
		"{\"n\": %zu, \"min\": %llu, \"avg\": %.1f, \"p50\": %llu, \"p99\": %llu, \"max\": %llu, \"sum\": %llu}",
		st->n, st->min, st->avg, st->p50, st->p99, st->max, st->sum);
}

static void json_worst(FILE *f, const struct nl_report *r, const char *key,
		       const char *val, const struct nl_worst *w)
{
	const struct nl_routine *rt;

	fprintf(f, "  \"%s\": ", key);
	if (!w->valid) {
		fputs("null,\n", f);
		return;
	}
	rt = &r->routines[w->routine];
	fputs("{\"routine\": ", f);
	json_str(f, rt->name);
	fputs(", \"module\": ", f);
	json_str(f, rt->module);
	fprintf(f,
		", \"addr\": \"0x%llx\", \"threaded\": %s, \"%s\": %llu, \"cpu\": %d, \"ts_ns\": %llu},\n",
		rt->addr, rt->threaded ? "true" : "false", val, w->val,
		w->cpu, w->ts);
}

static void json_routines(FILE *f, const struct nl_report *r)
{
	size_t *idx = nl_sorted_routines(r);
	char sym[640];
	size_t i;

	fputs("  \"routines\": [", f);
	for (i = 0; i < r->nroutines; i++) {
		const struct nl_routine *rt = &r->routines[idx[i]];

		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"routine\": ", f);
		json_str(f, rt->name);
		fputs(", \"module\": ", f);
		json_str(f, rt->module);
		fputs(", \"symbol\": ", f);
		snprintf(sym, sizeof(sym), "%s [%s]", rt->name, rt->module);
		json_str(f, sym);
		fprintf(f,
			", \"addr\": \"0x%llx\", \"threaded\": %s, \"queued\": %llu, \"count\": %llu, \"exits\": %llu, \"latency_unknown\": %llu, ",
			rt->addr, rt->threaded ? "true" : "false", rt->queued,
			rt->count, rt->exits, rt->lat_unknown);
		json_stats(f, "latency_ns", &rt->lat_st);
		fputs(", ", f);
		json_stats(f, "runtime_ns", &rt->run_st);
		fputc('}', f);
	}
	fputs(r->nroutines ? "\n  ],\n" : "],\n", f);
	free(idx);
}

static void json_modules(FILE *f, const struct nl_report *r)
{
	struct nl_module *m;
	size_t i, n;

	m = nl_modules(r, &n);
	fputs("  \"modules\": [", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n    {\"module\": " : "\n    {\"module\": ", f);
		json_str(f, m[i].name);
		fprintf(f,
			", \"count\": %llu, \"total_runtime_ns\": %llu, \"max_runtime_ns\": %llu}",
			m[i].count, m[i].total_ns, m[i].max_ns);
	}
	fputs(n ? "\n  ],\n" : "],\n", f);
	free(m);
}

static void json_irqs(FILE *f, const struct nl_report *r)
{
	size_t i;

	fputs("  \"irq_to_dpc\": [", f);
	for (i = 0; i < r->nirqs; i++) {
		const struct nl_irq *q = &r->irqs[i];

		fprintf(f, "%s{\"irq\": %d, \"name\": ", i ? ",\n    " : "\n    ",
			q->irq);
		json_str(f, q->name);
		fprintf(f, ", \"count\": %zu, \"unmatched\": %llu, ", q->st.n,
			q->unmatched);
		json_stats(f, "delay_ns", &q->st);
		fputc('}', f);
	}
	fputs(r->nirqs ? "\n  ],\n" : "],\n", f);
}

static void json_cpus(FILE *f, const struct nl_report *r)
{
	int first = 1;
	size_t i;

	fputs("  \"cpus\": [", f);
	for (i = 0; i < r->ncpus; i++) {
		const struct nl_cpu *c = &r->cpus[i];

		if (!c->seen)
			continue;
		fprintf(f,
			"%s{\"cpu\": %zu, \"dpc_count\": %llu, \"dpc_time_ns\": %llu, \"share_pct\": %.4f, \"threaded_count\": %llu, \"threaded_time_ns\": %llu}",
			first ? "\n    " : ",\n    ", i, c->dpcs, c->dpc_ns,
			share_pct(r, c->dpc_ns), c->threaded, c->threaded_ns);
		first = 0;
	}
	fputs(first ? "],\n" : "\n  ],\n", f);
}

static void json_hist(FILE *f, const char *key, const unsigned long long *h,
		      const char *end)
{
	unsigned int lo, hi, b;

	fprintf(f, "    \"%s\": [", key);
	if (!nl_hist_range(h, &lo, &hi))
		for (b = lo; b <= hi; b++)
			fprintf(f, "%s{\"lo\": %llu, \"hi\": %llu, \"count\": %llu}",
				b == lo ? "" : ", ", nl_bucket_lo(b),
				nl_bucket_hi(b), h[b]);
	fprintf(f, "]%s\n", end);
}

static void json_watchdog(FILE *f, const struct nl_report *r)
{
	size_t i;

	fputs("  \"watchdog\": [", f);
	for (i = 0; i < r->nwds; i++) {
		const struct nl_watchdog *w = &r->wds[i];

		fputs(i ? ",\n    {\"routine\": " : "\n    {\"routine\": ", f);
		json_str(f, w->name);
		fputs(", \"module\": ", f);
		json_str(f, w->module);
		fprintf(f,
			", \"addr\": \"0x%llx\", \"runtime_ns\": %llu, \"limit_ns\": %llu, \"kind\": \"%s\", \"cpu\": %d, \"ts_ns\": %llu}",
			w->routine, w->runtime, w->limit,
			w->cumulative ? "cumulative" : "single", w->cpu, w->ts);
	}
	fputs(r->nwds ? "\n  ],\n" : "],\n", f);
}

static void json_misc(FILE *f, const struct nl_report *r)
{
	unsigned long long n = r->events[NL_EV_TIMER];

	if (n)
		fprintf(f,
			"  \"timers\": {\"count\": %llu, \"min_lateness_ns\": %lld, \"avg_lateness_ns\": %.1f, \"max_lateness_ns\": %lld},\n",
			n, r->timer_min, (double)r->timer_sum / (double)n,
			r->timer_max);
	else
		fputs("  \"timers\": null,\n", f);
	fprintf(f,
		"  \"drains\": {\"count\": %llu, \"max_time_ns\": %llu, \"max_ran\": %llu, \"yielded\": %llu},\n",
		r->events[NL_EV_DRAIN], r->drain_max_ns, r->drain_max_ran,
		r->drain_yielded);
	fprintf(f,
		"  \"work_items\": {\"queued\": %llu, \"started\": %llu, \"ended\": %llu, \"max_latency_ns\": %llu, \"max_runtime_ns\": %llu}\n",
		r->events[NL_EV_WORK_QUEUE], r->events[NL_EV_WORK_START],
		r->events[NL_EV_WORK_END], r->work_max_lat, r->work_max_run);
}

void nl_print_json(FILE *f, const struct nl_report *r)
{
	int ev;

	fputs("{\n  \"file\": ", f);
	json_str(f, r->file);
	fprintf(f,
		",\n  \"first_ts_ns\": %llu,\n  \"last_ts_ns\": %llu,\n  \"duration_ns\": %llu,\n",
		r->first_ts, r->last_ts, nl_duration(r));
	fprintf(f, "  \"records\": %llu,\n  \"lost_events\": %llu,\n  \"lost_unknown\": %s,\n",
		r->records, r->lost, r->lost_unknown ? "true" : "false");
	fputs("  \"events\": {", f);
	for (ev = 0; ev < NL_EV_MAX; ev++) {
		const char *name = nl_event_names[ev];

		/* "ntdpc_queue" is "queue" here; irq_handler_entry stays */
		if (!strncmp(name, "ntdpc_", 6))
			name += 6;
		fprintf(f, "%s\"%s\": %llu", ev ? ", " : "", name,
			r->events[ev]);
	}
	fputs("},\n", f);
	json_worst(f, r, "highest_execution", "runtime_ns", &r->worst_run);
	json_worst(f, r, "highest_latency", "latency_ns", &r->worst_lat);
	json_routines(f, r);
	json_modules(f, r);
	json_irqs(f, r);
	json_cpus(f, r);
	fputs("  \"histograms\": {\n", f);
	json_hist(f, "latency_ns", r->hist_lat, ",");
	json_hist(f, "runtime_ns", r->hist_run, "");
	fputs("  },\n", f);
	json_watchdog(f, r);
	json_misc(f, r);
	fputs("}\n", f);
}
