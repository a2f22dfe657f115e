/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ntdpc-latency: shared data of the trace reader and the three writers
 * (text, JSON, SVG), and what each file offers the others.  All times are
 * nanoseconds of the trace clock.
 */
#ifndef NTDPC_LATENCY_H
#define NTDPC_LATENCY_H

#include <stddef.h>
#include <stdio.h>

#define NL_BUCKETS	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* One sample and when it was taken, so the SVG can plot it over time. */
struct nl_point {
	unsigned long long ts;
	unsigned long long val;
};

struct nl_series {
	struct nl_point *p;
	size_t n;
	size_t cap;
};

/* Summary of a series; n == 0 means there was nothing to summarise. */
struct nl_stats {
	size_t n;
	unsigned long long min;
	unsigned long long max;
	unsigned long long p50;
	unsigned long long p99;
	unsigned long long sum;
	double avg;
};

/* A routine run as an ordinary and as a threaded DPC gets two rows. */
struct nl_routine {
	unsigned long long addr;
	int threaded;
	char *name;
	char *module;
	unsigned long long queued;
	unsigned long long count;
	unsigned long long exits;
	unsigned long long lat_unknown;
	struct nl_series lat;
	struct nl_series run;
	struct nl_stats lat_st;
	struct nl_stats run_st;
};

struct nl_irq {
	int irq;
	char *name;
	unsigned long long seen;
	unsigned long long unmatched;
	struct nl_series delay;
	struct nl_stats st;
};

struct nl_pending {
	size_t irq;
	unsigned long long ts;
};

struct nl_cpu {
	int seen;
	unsigned long long dpcs;
	unsigned long long dpc_ns;
	unsigned long long threaded;
	unsigned long long threaded_ns;
	struct nl_pending *pend;
	size_t npend;
	size_t cap;
};

struct nl_watchdog {
	unsigned long long routine;
	char *name;
	char *module;
	unsigned long long runtime;
	unsigned long long limit;
	unsigned long long ts;
	int cumulative;
	int cpu;
};

/* Where the worst value of a kind was seen. */
struct nl_worst {
	int valid;
	size_t routine;
	unsigned long long val;
	unsigned long long ts;
	int cpu;
};

enum nl_event {
	NL_EV_QUEUE,
	NL_EV_ENTRY,
	NL_EV_EXIT,
	NL_EV_REMOVE,
	NL_EV_DRAIN,
	NL_EV_TIMER,
	NL_EV_WORK_QUEUE,
	NL_EV_WORK_START,
	NL_EV_WORK_END,
	NL_EV_WATCHDOG,
	NL_EV_IRQ,
	NL_EV_MAX
};

extern const char * const nl_event_names[NL_EV_MAX];

struct nl_report {
	const char *file;
	unsigned long long first_ts;
	unsigned long long last_ts;
	unsigned long long records;
	unsigned long long lost;
	int lost_unknown;
	unsigned long long events[NL_EV_MAX];

	struct nl_routine *routines;
	size_t nroutines;
	size_t rcap;
	size_t *rhash;
	size_t rhash_size;

	struct nl_irq *irqs;
	size_t nirqs;
	size_t icap;

	struct nl_cpu *cpus;
	size_t ncpus;

	struct nl_watchdog *wds;
	size_t nwds;
	size_t wcap;

	struct nl_worst worst_run;
	struct nl_worst worst_lat;

	unsigned long long hist_lat[NL_BUCKETS];
	unsigned long long hist_run[NL_BUCKETS];

	long long timer_min;
	long long timer_max;
	long long timer_sum;

	unsigned long long drain_max_ns;
	unsigned long long drain_max_ran;
	unsigned long long drain_yielded;

	unsigned long long work_max_lat;
	unsigned long long work_max_run;
};

/* cli.c */
struct nl_opts {
	int json;
	const char *svg;
	const char *file;
};

void nl_parse_args(int argc, char **argv, struct nl_opts *o);

/* syms.c */
struct tep_handle;
struct nl_syms;

struct nl_syms *nl_syms_load(struct tep_handle *tep);
void nl_syms_resolve(const struct nl_syms *s, unsigned long long addr,
		     char **name, char **module);

/* stats.c */
void *nl_alloc(size_t n, size_t size);
void *nl_grow(void *ptr, size_t *cap, size_t need, size_t size);
char *nl_strdup(const char *s);
void nl_series_add(struct nl_series *s, unsigned long long ts,
		   unsigned long long val);
void nl_stats_compute(struct nl_stats *st, const struct nl_series *s);
unsigned int nl_bucket(unsigned long long v);
unsigned long long nl_bucket_lo(unsigned int b);
unsigned long long nl_bucket_hi(unsigned int b);
int nl_hist_range(const unsigned long long *hist, unsigned int *lo,
		  unsigned int *hi);
void nl_fmt_ns(char *buf, size_t len, unsigned long long ns);
double nl_us(unsigned long long ns);
unsigned long long nl_duration(const struct nl_report *r);

/* report.c */
struct nl_module {
	const char *name;
	unsigned long long count;
	unsigned long long total_ns;
	unsigned long long max_ns;
};

size_t *nl_sorted_routines(const struct nl_report *r);
struct nl_module *nl_modules(const struct nl_report *r, size_t *n);
void nl_print_text(FILE *f, const struct nl_report *r);
void nl_print_json(FILE *f, const struct nl_report *r);

/* svg.c */
int nl_write_svg(const char *path, const struct nl_report *r);

#endif /* NTDPC_LATENCY_H */
