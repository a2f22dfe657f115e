// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency - LatencyMon-style DPC latency report from a trace-cmd
 * trace.dat holding ntdpc events (trace-cmd record -e ntdpc ...).
 *
 * Usage: ntdpc-latency [--json] [--svg FILE] trace.dat
 *
 * Exit status: 0 report written, 1 usage error, 2 file missing, unreadable,
 * not a trace.dat, truncated or corrupt, 3 no ntdpc events in the trace,
 * 4 the SVG could not be written.
 *
 * --json prints one object.  Times are integer nanoseconds of the trace
 * clock, "avg" is a float, "addr" a hex string (JSON numbers lose bits
 * above 2^53), and a summary with no samples is null.  Keys:
 *
 *   file             path given on the command line
 *   first_ts_ns, last_ts_ns, duration_ns
 *                    time of the first and last record of any event
 *   records          records in the trace, of any event
 *   lost_events      events the ring buffer dropped (as far as known)
 *   lost_unknown     true if the ring buffer dropped an unknown number
 *   events           {name: count} for queue, entry, exit, remove, drain,
 *                    timer_expire, work_queue, work_start, work_end,
 *                    watchdog and irq_handler_entry
 *   highest_execution
 *                    longest DPC run (ntdpc_exit runtime_ns, ordinary or
 *                    threaded): {routine, module, addr, threaded,
 *                    runtime_ns, cpu, ts_ns} or null
 *   highest_latency  longest queue-to-start latency (ntdpc_entry
 *                    latency_ns): {routine, module, addr, threaded,
 *                    latency_ns, cpu, ts_ns} or null
 *   routines         one per (routine, threaded), sorted by worst runtime:
 *                    {routine, module, symbol ("name [module]"), addr,
 *                    threaded, queued (ntdpc_queue), count (ntdpc_entry),
 *                    exits (ntdpc_exit), latency_unknown (entries with
 *                    latency_ns 0), latency_ns, runtime_ns}; the last two
 *                    are summaries {n, min, avg, p50, p99, max, sum}
 *   modules          {module, count, total_runtime_ns, max_runtime_ns}
 *                    summed over the routines of each module
 *   irq_to_dpc       per irq_handler_entry (irq, name): time to the next
 *                    ntdpc_entry on the same CPU: {irq, name, count,
 *                    unmatched, delay_ns (summary)}
 *   cpus             {cpu, dpc_count, dpc_time_ns, share_pct,
 *                    threaded_count, threaded_time_ns}; share_pct is the
 *                    ordinary DPC runtime over duration_ns, in percent
 *   histograms       {latency_ns, runtime_ns}: arrays of used log2
 *                    buckets {lo, hi, count} holding lo <= value < hi
 *   watchdog         {routine, module, addr, runtime_ns, limit_ns, kind
 *                    ("single" or "cumulative"), cpu, ts_ns}
 *   timers           {count, min_lateness_ns, avg_lateness_ns,
 *                    max_lateness_ns} or null
 *   drains           {count, max_time_ns, max_ran, yielded}
 *   work_items       {queued, started, ended, max_latency_ns,
 *                    max_runtime_ns}
 *
 * Percentiles are nearest-rank: p99 is the smallest sample that is at
 * least as large as 99% of all samples.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "ntdpc-latency.h"

/* Highest CPU number believed; anything above means a corrupt record. */
#define NL_MAX_CPUS	8192

const char * const nl_event_names[NL_EV_MAX] = {
	[NL_EV_QUEUE]		= "ntdpc_queue",
	[NL_EV_ENTRY]		= "ntdpc_entry",
	[NL_EV_EXIT]		= "ntdpc_exit",
	[NL_EV_REMOVE]		= "ntdpc_remove",
	[NL_EV_DRAIN]		= "ntdpc_drain",
	[NL_EV_TIMER]		= "ntdpc_timer_expire",
	[NL_EV_WORK_QUEUE]	= "ntdpc_work_queue",
	[NL_EV_WORK_START]	= "ntdpc_work_start",
	[NL_EV_WORK_END]	= "ntdpc_work_end",
	[NL_EV_WATCHDOG]	= "ntdpc_watchdog",
	[NL_EV_IRQ]		= "irq_handler_entry",
};

/* Fields of one event, looked up when the trace is opened. */
struct nl_fields {
	struct tep_format_field *routine;
	struct tep_format_field *threaded;
	struct tep_format_field *ns;
	struct tep_format_field *ran;
	struct tep_format_field *yielded;
	struct tep_format_field *limit;
	struct tep_format_field *module;
	struct tep_format_field *cumulative;
	struct tep_format_field *irq;
	struct tep_format_field *name;
};

struct nl_handler {
	const char *system;
	const char *ns;
	void (*fn)(struct nl_report *r, const struct nl_fields *f,
		   const struct tep_record *rec, int cpu);
};

/* An event found in the trace: the id its records carry, and its fields. */
struct nl_slot {
	int id;
	enum nl_event ev;
	struct nl_fields f;
};

struct nl_ctx {
	struct tep_handle *tep;
	struct nl_report *rep;
	/* sorted by id for bsearch() */
	struct nl_slot slots[NL_EV_MAX];
	size_t nslots;
	struct nl_syms *syms;
};

static char crash_msg[512];
static size_t crash_len;

/*
 * libtraceevent 1.7 dereferences bad pointers while parsing a corrupt event
 * format, and libtracecmd 3.1 can fault on a damaged data page.  Both happen
 * inside the libraries where no error can be returned, so the last line of
 * defence is to report the file as corrupt rather than dump core.
 */
static void on_fatal_signal(int sig)
{
	ssize_t ret;

	(void)sig;
	ret = write(STDERR_FILENO, crash_msg, crash_len);
	(void)ret;
	_exit(2);
}

static void install_crash_guard(const char *file)
{
	static char altstack[64 * 1024];
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	stack_t ss;
	size_t i;

	snprintf(crash_msg, sizeof(crash_msg),
		 "ntdpc-latency: %s: corrupt trace.dat (the trace library failed while decoding it)\n",
		 file);
	crash_len = strlen(crash_msg);

	/* Runaway recursion in the format parser overflows the main stack. */
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Past the libraries, a fault is a bug here and must not pass as corrupt. */
static void remove_crash_guard(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
}

/*
 * Checked before libtracecmd sees the file: its own messages for these
 * cases are vague, and garbage that does not even start like a trace.dat
 * should never reach its parser.
 */
static int check_file(const char *file)
{
	static const unsigned char magic[10] = {
		0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'
	};
	unsigned char buf[sizeof(magic)];
	struct stat st;
	ssize_t got;
	int fd;

	fd = open(file, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "ntdpc-latency: %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "ntdpc-latency: %s: %s\n", file, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "ntdpc-latency: %s: %s\n", file, strerror(EISDIR));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		fprintf(stderr, "ntdpc-latency: %s: empty file, not a trace.dat\n",
			file);
		close(fd);
		return -1;
	}
	got = read(fd, buf, sizeof(buf));
	if (got < 0) {
		fprintf(stderr, "ntdpc-latency: %s: %s\n", file, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (got != (ssize_t)sizeof(magic) || memcmp(buf, magic, sizeof(magic))) {
		fprintf(stderr, "ntdpc-latency: %s: not a trace-cmd trace.dat file (bad magic)\n",
			file);
		return -1;
	}
	return 0;
}

/* Reads a numeric field, refusing fields that lie outside the record. */
static int get_num(const struct tep_record *rec, struct tep_format_field *f,
		   unsigned long long *val)
{
	if (!f || f->size <= 0 || f->size > 8 || f->offset < 0 ||
	    f->offset > rec->size - f->size)
		return -1;
	return tep_read_number_field(f, rec->data, val) ? -1 : 0;
}

static unsigned long long num(const struct tep_record *rec,
			      struct tep_format_field *f)
{
	unsigned long long v;

	return get_num(rec, f, &v) ? 0 : v;
}

static long long snum(const struct tep_record *rec,
		      struct tep_format_field *f)
{
	unsigned long long v = num(rec, f);
	unsigned int bits;

	if (!f || !(f->flags & TEP_FIELD_IS_SIGNED) || f->size <= 0 ||
	    f->size >= 8)
		return (long long)v;
	bits = f->size * 8;
	if (v & (1ULL << (bits - 1)))
		v |= ~0ULL << bits;
	return (long long)v;
}

/*
 * Copies a string field: a fixed char array (watchdog module) or a
 * __data_loc / __rel_loc string (irq name).  Bytes that could break the
 * text, JSON or SVG output are replaced.
 */
static void get_str(const struct tep_record *rec, struct tep_format_field *f,
		    char *buf, size_t len)
{
	unsigned long long v;
	unsigned long long off, n;
	const unsigned char *src;
	size_t i;

	buf[0] = '\0';
	if (!f)
		return;
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		if (get_num(rec, f, &v))
			return;
		off = v & 0xffff;
		n = (v >> 16) & 0xffff;
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			off += f->offset + f->size;
	} else {
		if (f->offset < 0 || f->size < 0)
			return;
		off = f->offset;
		n = f->size;
	}
	if (off > (unsigned long long)rec->size ||
	    n > (unsigned long long)rec->size - off)
		return;
	src = (const unsigned char *)rec->data + off;
	for (i = 0; i < n && i + 1 < len && src[i]; i++)
		buf[i] = (src[i] < 0x20 || src[i] >= 0x7f) ? '?' : src[i];
	buf[i] = '\0';
}

static size_t hash_addr(unsigned long long addr, int threaded, size_t size)
{
	unsigned long long h = (addr ^ (unsigned long long)threaded) *
			       0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17) & (size - 1);
}

static void rehash(struct nl_report *r)
{
	size_t i, h;

	free(r->rhash);
	r->rhash_size = r->rhash_size ? r->rhash_size * 2 : 64;
	r->rhash = nl_alloc(r->rhash_size, sizeof(*r->rhash));
	for (i = 0; i < r->rhash_size; i++)
		r->rhash[i] = SIZE_MAX;
	for (i = 0; i < r->nroutines; i++) {
		h = hash_addr(r->routines[i].addr, r->routines[i].threaded,
			      r->rhash_size);
		while (r->rhash[h] != SIZE_MAX)
			h = (h + 1) & (r->rhash_size - 1);
		r->rhash[h] = i;
	}
}

/* Index of the (routine, threaded) row, created on first sight. */
static size_t routine_get(struct nl_report *r, unsigned long long addr,
			  int threaded)
{
	struct nl_routine *rt;
	size_t h, i;

	if (!r->rhash || (r->nroutines + 1) * 2 > r->rhash_size)
		rehash(r);
	h = hash_addr(addr, threaded, r->rhash_size);
	while ((i = r->rhash[h]) != SIZE_MAX) {
		if (r->routines[i].addr == addr &&
		    r->routines[i].threaded == threaded)
			return i;
		h = (h + 1) & (r->rhash_size - 1);
	}
	r->routines = nl_grow(r->routines, &r->rcap, r->nroutines + 1,
			      sizeof(*r->routines));
	i = r->nroutines++;
	rt = &r->routines[i];
	memset(rt, 0, sizeof(*rt));
	rt->addr = addr;
	rt->threaded = threaded;
	r->rhash[h] = i;
	return i;
}

static size_t irq_get(struct nl_report *r, int irq, const char *name)
{
	size_t i;

	for (i = 0; i < r->nirqs; i++)
		if (r->irqs[i].irq == irq && !strcmp(r->irqs[i].name, name))
			return i;
	r->irqs = nl_grow(r->irqs, &r->icap, r->nirqs + 1, sizeof(*r->irqs));
	memset(&r->irqs[i], 0, sizeof(r->irqs[i]));
	r->irqs[i].irq = irq;
	r->irqs[i].name = nl_strdup(name);
	r->nirqs++;
	return i;
}

static struct nl_cpu *cpu_get(struct nl_report *r, int cpu)
{
	size_t old = r->ncpus, cap = r->ncpus;

	if (cpu < 0 || cpu >= NL_MAX_CPUS)
		return NULL;
	if ((size_t)cpu >= r->ncpus) {
		r->cpus = nl_grow(r->cpus, &cap, (size_t)cpu + 1,
				  sizeof(*r->cpus));
		memset(&r->cpus[old], 0, (cap - old) * sizeof(*r->cpus));
		r->ncpus = cap;
	}
	r->cpus[cpu].seen = 1;
	return &r->cpus[cpu];
}

static void worst(struct nl_worst *w, size_t routine, unsigned long long val,
		  unsigned long long ts, int cpu)
{
	if (w->valid && val <= w->val)
		return;
	w->valid = 1;
	w->routine = routine;
	w->val = val;
	w->ts = ts;
	w->cpu = cpu;
}

static void on_entry(struct nl_report *r, const struct nl_fields *f,
		     const struct tep_record *rec, int cpu)
{
	unsigned long long lat = num(rec, f->ns);
	struct nl_cpu *pc = cpu_get(r, cpu);
	struct nl_routine *rt;
	size_t i;

	i = routine_get(r, num(rec, f->routine), !!num(rec, f->threaded));
	rt = &r->routines[i];
	rt->count++;
	if (!lat) {
		rt->lat_unknown++;
	} else {
		nl_series_add(&rt->lat, rec->ts, lat);
		r->hist_lat[nl_bucket(lat)]++;
		worst(&r->worst_lat, i, lat, rec->ts, cpu);
	}
	if (!pc)
		return;
	/* Every interrupt since the last DPC on this CPU waited for this one. */
	for (i = 0; i < pc->npend; i++)
		nl_series_add(&r->irqs[pc->pend[i].irq].delay, rec->ts,
			      rec->ts - pc->pend[i].ts);
	pc->npend = 0;
}

static void on_exit_ev(struct nl_report *r, const struct nl_fields *f,
		       const struct tep_record *rec, int cpu)
{
	unsigned long long run = num(rec, f->ns);
	int threaded = !!num(rec, f->threaded);
	struct nl_cpu *pc = cpu_get(r, cpu);
	struct nl_routine *rt;
	size_t i;

	i = routine_get(r, num(rec, f->routine), threaded);
	rt = &r->routines[i];
	rt->exits++;
	nl_series_add(&rt->run, rec->ts, run);
	r->hist_run[nl_bucket(run)]++;
	worst(&r->worst_run, i, run, rec->ts, cpu);
	if (!pc)
		return;
	if (threaded) {
		pc->threaded++;
		pc->threaded_ns += run;
	} else {
		pc->dpcs++;
		pc->dpc_ns += run;
	}
}

static void on_irq(struct nl_report *r, const struct nl_fields *f,
		   const struct tep_record *rec, int cpu)
{
	struct nl_cpu *pc = cpu_get(r, cpu);
	char name[64];
	size_t i;

	get_str(rec, f->name, name, sizeof(name));
	i = irq_get(r, (int)snum(rec, f->irq), name);
	r->irqs[i].seen++;
	if (!pc)
		return;
	pc->pend = nl_grow(pc->pend, &pc->cap, pc->npend + 1,
			   sizeof(*pc->pend));
	pc->pend[pc->npend].irq = i;
	pc->pend[pc->npend].ts = rec->ts;
	pc->npend++;
}

static void on_watchdog(struct nl_report *r, const struct nl_fields *f,
			const struct tep_record *rec, int cpu)
{
	struct nl_watchdog *w;
	char mod[64];

	r->wds = nl_grow(r->wds, &r->wcap, r->nwds + 1, sizeof(*r->wds));
	w = &r->wds[r->nwds++];
	memset(w, 0, sizeof(*w));
	get_str(rec, f->module, mod, sizeof(mod));
	w->module = nl_strdup(mod);
	w->routine = num(rec, f->routine);
	w->runtime = num(rec, f->ns);
	w->limit = num(rec, f->limit);
	w->cumulative = !!num(rec, f->cumulative);
	w->ts = rec->ts;
	w->cpu = cpu;
}

static void on_queue(struct nl_report *r, const struct nl_fields *f,
		     const struct tep_record *rec, int cpu)
{
	size_t i;

	(void)cpu;
	i = routine_get(r, num(rec, f->routine), !!num(rec, f->threaded));
	r->routines[i].queued++;
}

static void on_drain(struct nl_report *r, const struct nl_fields *f,
		     const struct tep_record *rec, int cpu)
{
	unsigned long long v;

	(void)cpu;
	v = num(rec, f->ns);
	if (v > r->drain_max_ns)
		r->drain_max_ns = v;
	v = num(rec, f->ran);
	if (v > r->drain_max_ran)
		r->drain_max_ran = v;
	if (num(rec, f->yielded))
		r->drain_yielded++;
}

static void on_timer(struct nl_report *r, const struct nl_fields *f,
		     const struct tep_record *rec, int cpu)
{
	long long late = snum(rec, f->ns);
	/* the record is already counted: 1 means the first timer */
	int first = r->events[NL_EV_TIMER] == 1;

	(void)cpu;
	if (first || late < r->timer_min)
		r->timer_min = late;
	if (first || late > r->timer_max)
		r->timer_max = late;
	r->timer_sum += late;
}

static void on_work_start(struct nl_report *r, const struct nl_fields *f,
			  const struct tep_record *rec, int cpu)
{
	unsigned long long v = num(rec, f->ns);

	(void)cpu;
	if (v > r->work_max_lat)
		r->work_max_lat = v;
}

static void on_work_end(struct nl_report *r, const struct nl_fields *f,
			const struct tep_record *rec, int cpu)
{
	unsigned long long v = num(rec, f->ns);

	(void)cpu;
	if (v > r->work_max_run)
		r->work_max_run = v;
}

/*
 * Indexed like nl_event_names[]: the system each event is looked up in,
 * the name of its nanoseconds field, and the handler of its records
 * (remove and work_queue are only counted).
 */
static const struct nl_handler nl_handlers[NL_EV_MAX] = {
	[NL_EV_QUEUE]		= { "ntdpc", NULL, on_queue },
	[NL_EV_ENTRY]		= { "ntdpc", "latency_ns", on_entry },
	[NL_EV_EXIT]		= { "ntdpc", "runtime_ns", on_exit_ev },
	[NL_EV_REMOVE]		= { "ntdpc", NULL, NULL },
	[NL_EV_DRAIN]		= { "ntdpc", "time_ns", on_drain },
	[NL_EV_TIMER]		= { "ntdpc", "lateness_ns", on_timer },
	[NL_EV_WORK_QUEUE]	= { "ntdpc", NULL, NULL },
	[NL_EV_WORK_START]	= { "ntdpc", "ns", on_work_start },
	[NL_EV_WORK_END]	= { "ntdpc", "ns", on_work_end },
	[NL_EV_WATCHDOG]	= { "ntdpc", "runtime_ns", on_watchdog },
	[NL_EV_IRQ]		= { "irq", NULL, on_irq },
};

static int cmp_slot(const void *key, const void *elem)
{
	int id = *(const int *)key;
	const struct nl_slot *s = elem;

	return (id > s->id) - (id < s->id);
}

static int on_record(struct tracecmd_input *handle, struct tep_record *rec,
		     int cpu, void *data)
{
	struct nl_ctx *c = data;
	struct nl_report *r = c->rep;
	const struct nl_slot *s;
	int type;

	(void)handle;
	if (!rec || !rec->data || rec->size < 4)
		return 0;
	if (rec->missed_events > 0)
		r->lost += rec->missed_events;
	else if (rec->missed_events < 0)
		r->lost_unknown = 1;
	if (!r->records || rec->ts < r->first_ts)
		r->first_ts = rec->ts;
	if (!r->records || rec->ts > r->last_ts)
		r->last_ts = rec->ts;
	r->records++;
	cpu_get(r, cpu);

	type = tep_data_type(c->tep, rec);
	s = bsearch(&type, c->slots, c->nslots, sizeof(*c->slots), cmp_slot);
	if (!s)
		return 0;
	r->events[s->ev]++;
	if (nl_handlers[s->ev].fn)
		nl_handlers[s->ev].fn(r, &s->f, rec, cpu);
	return 0;
}

static struct tep_format_field *field(struct tep_event *e, const char *name)
{
	return name ? tep_find_field(e, name) : NULL;
}

/*
 * Finds each event of nl_handlers[] in the trace once, so that a record
 * costs one search of its id and no name or field lookup.
 */
static void setup_events(struct nl_ctx *c)
{
	const struct nl_handler *h;
	struct tep_event *e;
	struct nl_slot *s;
	size_t i;
	int ev;

	for (ev = 0; ev < NL_EV_MAX; ev++) {
		h = &nl_handlers[ev];
		e = tep_find_event_by_name(c->tep, h->system,
					   nl_event_names[ev]);
		if (!e || e->id < 0)
			continue;
		for (i = 0; i < c->nslots && c->slots[i].id < e->id; i++)
			;
		/* A damaged trace can give two events one id: the first keeps it. */
		if (i < c->nslots && c->slots[i].id == e->id)
			continue;
		memmove(&c->slots[i + 1], &c->slots[i],
			(c->nslots - i) * sizeof(*c->slots));
		c->nslots++;
		s = &c->slots[i];
		s->id = e->id;
		s->ev = ev;
		s->f.routine = field(e, "routine");
		s->f.threaded = field(e, "threaded");
		s->f.ns = field(e, h->ns);
		s->f.ran = field(e, "ran");
		s->f.yielded = field(e, "yielded");
		s->f.limit = field(e, "limit_ns");
		s->f.module = field(e, "module");
		s->f.cumulative = field(e, "cumulative");
		s->f.irq = field(e, "irq");
		s->f.name = field(e, "name");
	}
}

static void finish(struct nl_ctx *c)
{
	struct nl_report *r = c->rep;
	size_t i, j;

	c->syms = nl_syms_load(c->tep);
	for (i = 0; i < r->nroutines; i++) {
		struct nl_routine *rt = &r->routines[i];

		nl_syms_resolve(c->syms, rt->addr, &rt->name, &rt->module);
		nl_stats_compute(&rt->lat_st, &rt->lat);
		nl_stats_compute(&rt->run_st, &rt->run);
	}
	for (i = 0; i < r->nwds; i++) {
		char *mod;

		nl_syms_resolve(c->syms, r->wds[i].routine, &r->wds[i].name,
				&mod);
		if (!r->wds[i].module[0]) {
			free(r->wds[i].module);
			r->wds[i].module = mod;
		} else {
			free(mod);
		}
	}
	for (i = 0; i < r->ncpus; i++) {
		struct nl_cpu *pc = &r->cpus[i];

		for (j = 0; j < pc->npend; j++)
			r->irqs[pc->pend[j].irq].unmatched++;
		pc->npend = 0;
	}
	for (i = 0; i < r->nirqs; i++)
		nl_stats_compute(&r->irqs[i].st, &r->irqs[i].delay);
}

static int any_ntdpc(const struct nl_report *r)
{
	int ev;

	for (ev = 0; ev < NL_EV_MAX; ev++)
		if (ev != NL_EV_IRQ && r->events[ev])
			return 1;
	return 0;
}

static int read_trace(const char *file, struct nl_report *r)
{
	struct tracecmd_input *handle;
	struct nl_ctx c;

	memset(&c, 0, sizeof(c));
	c.rep = r;

	/*
	 * tracecmd_open() crashes in its own cleanup when the flyrecord data
	 * is cut short, so the header and the data are opened in two steps.
	 * After a failure the handle is left alone for the same reason.
	 */
	handle = tracecmd_open_head(file, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle) {
		fprintf(stderr,
			"ntdpc-latency: %s: cannot read trace.dat headers: truncated or corrupt file\n",
			file);
		return 2;
	}
	if (tracecmd_init_data(handle) < 0) {
		fprintf(stderr,
			"ntdpc-latency: %s: cannot read trace.dat event data: truncated or corrupt file\n",
			file);
		return 2;
	}
	c.tep = tracecmd_get_tep(handle);
	if (!c.tep) {
		fprintf(stderr, "ntdpc-latency: %s: corrupt trace.dat (no event formats)\n",
			file);
		return 2;
	}
	setup_events(&c);
	if (tracecmd_iterate_events(handle, NULL, 0, on_record, &c) < 0) {
		fprintf(stderr,
			"ntdpc-latency: %s: error while reading events: truncated or corrupt file\n",
			file);
		return 2;
	}
	if (!any_ntdpc(r)) {
		fprintf(stderr,
			"ntdpc-latency: no ntdpc events in %s (record with: trace-cmd record -e ntdpc -e irq:irq_handler_entry ...)\n",
			file);
		return 3;
	}
	finish(&c);
	return 0;
}

int main(int argc, char **argv)
{
	struct nl_report rep;
	struct nl_opts opts;
	FILE *out;
	int ret;

	nl_parse_args(argc, argv, &opts);
	memset(&rep, 0, sizeof(rep));
	rep.file = opts.file;
	if (check_file(rep.file))
		return 2;
	install_crash_guard(rep.file);
	tracecmd_set_loglevel(TEP_LOG_NONE);

	/*
	 * libtracecmd prints some diagnostics ("File possibly truncated...")
	 * with printf(); they belong with the errors, not in the report.
	 */
	out = stdout;
	stdout = stderr;
	ret = read_trace(rep.file, &rep);
	stdout = out;
	if (ret)
		return ret;
	remove_crash_guard();

	if (opts.json)
		nl_print_json(stdout, &rep);
	else
		nl_print_text(stdout, &rep);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ntdpc-latency: writing the report: %s\n",
			strerror(errno));
		return 2;
	}
	if (opts.svg && nl_write_svg(opts.svg, &rep)) {
		fprintf(stderr, "ntdpc-latency: %s: %s\n", opts.svg,
			strerror(errno));
		return 4;
	}
	return 0;
}
