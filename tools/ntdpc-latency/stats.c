// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency: sample series, percentiles, log2 buckets and number
 * formatting shared by the text, JSON and SVG writers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntdpc-latency.h"

/*
 * A report is worthless without all of its samples, so running out of
 * memory ends the program instead of producing a silently partial report.
 */
static void nl_oom(void)
{
	fputs("ntdpc-latency: out of memory\n", stderr);
	exit(2);
}

void *nl_alloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		nl_oom();
	return p;
}

/*
 * Grows *cap geometrically so that appending stays amortised O(1).  Every
 * growing array goes through here, so that the overflow and out-of-memory
 * checks exist once.
 */
void *nl_grow(void *ptr, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return ptr;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			nl_oom();
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		nl_oom();
	p = realloc(ptr, ncap * size);
	if (!p)
		nl_oom();
	*cap = ncap;
	return p;
}

char *nl_strdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		nl_oom();
	return d;
}

void nl_series_add(struct nl_series *s, unsigned long long ts,
		   unsigned long long val)
{
	s->p = nl_grow(s->p, &s->cap, s->n + 1, sizeof(*s->p));
	s->p[s->n].ts = ts;
	s->p[s->n].val = val;
	s->n++;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile: the smallest sample >= pct percent of all. */
static unsigned long long rank(const unsigned long long *v, size_t n,
			       unsigned int pct)
{
	size_t i = (size_t)(((unsigned long long)n * pct + 99) / 100);

	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/*
 * The series keeps time order for the scatter plot, so percentiles are
 * taken from a sorted copy.
 */
void nl_stats_compute(struct nl_stats *st, const struct nl_series *s)
{
	unsigned long long *v;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!s->n)
		return;
	v = nl_alloc(s->n, sizeof(*v));
	for (i = 0; i < s->n; i++) {
		v[i] = s->p[i].val;
		st->sum += v[i];
	}
	qsort(v, s->n, sizeof(*v), cmp_ull);
	st->n = s->n;
	st->min = v[0];
	st->max = v[s->n - 1];
	st->p50 = rank(v, s->n, 50);
	st->p99 = rank(v, s->n, 99);
	st->avg = (double)st->sum / (double)s->n;
	free(v);
}

/* Bucket b holds [2^b, 2^(b+1)) ns; bucket 0 also takes 0. */
unsigned int nl_bucket(unsigned long long v)
{
	return v ? 63 - __builtin_clzll(v) : 0;
}

unsigned long long nl_bucket_lo(unsigned int b)
{
	return b ? 1ULL << b : 0;
}

unsigned long long nl_bucket_hi(unsigned int b)
{
	return b >= 63 ? UINT64_MAX : 1ULL << (b + 1);
}

/* Returns 0 and the first and last used bucket, or -1 if all are empty. */
int nl_hist_range(const unsigned long long *hist, unsigned int *lo,
		  unsigned int *hi)
{
	int first = -1, last = -1, b;

	for (b = 0; b < NL_BUCKETS; b++) {
		if (!hist[b])
			continue;
		if (first < 0)
			first = b;
		last = b;
	}
	if (first < 0)
		return -1;
	*lo = first;
	*hi = last;
	return 0;
}

/* Short human form for axis labels and histogram rows. */
void nl_fmt_ns(char *buf, size_t len, unsigned long long ns)
{
	if (ns < 1000ULL)
		snprintf(buf, len, "%llu ns", ns);
	else if (ns < 1000000ULL)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
}

double nl_us(unsigned long long ns)
{
	return (double)ns / 1000.0;
}

unsigned long long nl_duration(const struct nl_report *r)
{
	return r->records ? r->last_ts - r->first_ts : 0;
}
