// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency: SVG charts.  One block per routine: a histogram of its
 * queue-to-start latency on the left and latency over time on the right.
 * Every block uses the same log2 latency scale so routines can be compared
 * at a glance.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ntdpc-latency.h"

#define SVG_W		1000
#define HEAD_H		90
#define BLOCK_H		250
#define PANEL_TOP	40
#define PANEL_H		160
#define HIST_X		70
#define HIST_W		380
#define SCAT_X		560
#define SCAT_W		410
/* Enough dots to show the shape without making the file huge. */
#define MAX_POINTS	4000

static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			fputc(*s, f);
			break;
		}
	}
}

/* Latency scale shared by all blocks: buckets lo..hi of all samples. */
struct scale {
	unsigned int lo;
	unsigned int hi;
	int empty;
};

static double lat_y(const struct scale *sc, unsigned long long v)
{
	double span = sc->hi + 1 - sc->lo;
	double l = v ? log2((double)v) : 0.0;

	if (l < sc->lo)
		l = sc->lo;
	return PANEL_TOP + PANEL_H - (l - sc->lo) / span * PANEL_H;
}

static void hist_panel(FILE *f, const struct nl_routine *rt,
		       const struct scale *sc, const char *color)
{
	unsigned long long h[NL_BUCKETS] = { 0 }, top = 0;
	unsigned int nb = sc->hi - sc->lo + 1, b, step;
	double bw = (double)HIST_W / nb, bh;
	char label[32];
	size_t i;

	for (i = 0; i < rt->lat.n; i++)
		h[nl_bucket(rt->lat.p[i].val)]++;
	for (b = sc->lo; b <= sc->hi; b++)
		if (h[b] > top)
			top = h[b];

	fprintf(f, "    <rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		HIST_X, PANEL_TOP, HIST_W, PANEL_H);
	for (b = sc->lo; b <= sc->hi && top; b++) {
		if (!h[b])
			continue;
		bh = (double)h[b] / top * (PANEL_H - 4);
		fprintf(f,
			"    <rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
			HIST_X + (b - sc->lo) * bw + 1,
			PANEL_TOP + PANEL_H - bh, bw > 3 ? bw - 2 : bw, bh,
			color);
		nl_fmt_ns(label, sizeof(label), nl_bucket_lo(b));
		fprintf(f, "%s and up: %llu</title></rect>\n", label, h[b]);
	}
	step = (nb + 7) / 8;
	for (b = sc->lo; b <= sc->hi; b += step) {
		nl_fmt_ns(label, sizeof(label), nl_bucket_lo(b));
		fprintf(f, "    <text class=\"tick\" x=\"%.1f\" y=\"%d\">%s</text>\n",
			HIST_X + (b - sc->lo) * bw, PANEL_TOP + PANEL_H + 14,
			label);
	}
	fprintf(f, "    <text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>\n",
		HIST_X - 4, PANEL_TOP + 10, top);
	fprintf(f, "    <text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
		HIST_X - 4, PANEL_TOP + PANEL_H);
	fprintf(f,
		"    <text class=\"axis\" x=\"%d\" y=\"%d\">queue-to-start latency (log2 buckets), DPC count</text>\n",
		HIST_X, PANEL_TOP + PANEL_H + 30);
}

static void scatter_panel(FILE *f, const struct nl_report *r,
			  const struct nl_routine *rt, const struct scale *sc,
			  const char *color)
{
	unsigned long long dur = nl_duration(r);
	size_t i, step, worst = 0;
	unsigned int b, ystep;
	char label[32];
	double x;

	fprintf(f, "    <rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		SCAT_X, PANEL_TOP, SCAT_W, PANEL_H);
	ystep = (sc->hi - sc->lo + 1 + 4) / 5;
	for (b = sc->lo; b <= sc->hi + 1 && b < 64; b += ystep) {
		nl_fmt_ns(label, sizeof(label), 1ULL << b);
		fprintf(f,
			"    <text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			SCAT_X - 4, lat_y(sc, 1ULL << b) + 4, label);
	}
	fprintf(f, "    <text class=\"tick\" x=\"%d\" y=\"%d\">0 s</text>\n",
		SCAT_X, PANEL_TOP + PANEL_H + 14);
	fprintf(f, "    <text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f s</text>\n",
		SCAT_X + SCAT_W, PANEL_TOP + PANEL_H + 14, dur / 1e9);
	fprintf(f,
		"    <text class=\"axis\" x=\"%d\" y=\"%d\">latency over time (since trace start)</text>\n",
		SCAT_X, PANEL_TOP + PANEL_H + 30);

	for (i = 0; i < rt->lat.n; i++)
		if (rt->lat.p[i].val > rt->lat.p[worst].val)
			worst = i;
	step = (rt->lat.n + MAX_POINTS - 1) / MAX_POINTS;
	if (!step)
		step = 1;
	fprintf(f, "    <g fill=\"%s\" fill-opacity=\"0.55\">\n", color);
	for (i = 0; i < rt->lat.n; i += step) {
		x = dur ? (double)(rt->lat.p[i].ts - r->first_ts) / dur : 0.0;
		fprintf(f, "      <circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>\n",
			SCAT_X + x * SCAT_W, lat_y(sc, rt->lat.p[i].val));
	}
	fputs("    </g>\n", f);
	if (rt->lat.n) {
		x = dur ? (double)(rt->lat.p[worst].ts - r->first_ts) / dur : 0.0;
		nl_fmt_ns(label, sizeof(label), rt->lat.p[worst].val);
		fprintf(f,
			"    <circle class=\"worst\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>worst: %s</title></circle>\n",
			SCAT_X + x * SCAT_W, lat_y(sc, rt->lat.p[worst].val),
			label);
	}
}

static void block(FILE *f, const struct nl_report *r,
		  const struct nl_routine *rt, const struct scale *sc, int y)
{
	const char *color = rt->threaded ? "#e07b00" : "#1f6fb4";
	char p99[32], max[32], run[32];

	fputs("  <g class=\"routine\" data-routine=\"", f);
	xml_str(f, rt->name);
	fputs(" [", f);
	xml_str(f, rt->module);
	fprintf(f, "]\" data-kind=\"%s\" transform=\"translate(0,%d)\">\n",
		rt->threaded ? "threaded" : "ordinary", y);
	fputs("    <text class=\"name\" x=\"10\" y=\"20\">", f);
	xml_str(f, rt->name);
	fputs(" [", f);
	xml_str(f, rt->module);
	nl_fmt_ns(p99, sizeof(p99), rt->lat_st.p99);
	nl_fmt_ns(max, sizeof(max), rt->lat_st.max);
	nl_fmt_ns(run, sizeof(run), rt->run_st.max);
	fprintf(f, "] (%s): %llu runs, latency p99 %s, max %s; longest run %s</text>\n",
		rt->threaded ? "threaded" : "ordinary", rt->count,
		rt->lat_st.n ? p99 : "-", rt->lat_st.n ? max : "-",
		rt->run_st.n ? run : "-");
	if (sc->empty || !rt->lat.n) {
		fprintf(f,
			"    <text class=\"axis\" x=\"%d\" y=\"%d\">no queue-to-start latency samples</text>\n",
			HIST_X, PANEL_TOP + PANEL_H / 2);
	} else {
		hist_panel(f, rt, sc, color);
		scatter_panel(f, r, rt, sc, color);
	}
	fputs("  </g>\n", f);
}

int nl_write_svg(const char *path, const struct nl_report *r)
{
	size_t *idx = nl_sorted_routines(r);
	struct scale sc = { 0, 0, 0 };
	char worst[32];
	int h, err;
	size_t i;
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		err = errno;
		free(idx);
		errno = err;
		return -1;
	}
	if (nl_hist_range(r->hist_lat, &sc.lo, &sc.hi))
		sc.empty = 1;
	h = HEAD_H + (int)r->nroutines * BLOCK_H;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
		SVG_W, h, SVG_W, h);
	fputs("  <style>\n"
	      "    .frame { fill: #fafafa; stroke: #999; stroke-width: 1; }\n"
	      "    .tick { font-size: 10px; fill: #444; }\n"
	      "    .axis { font-size: 11px; fill: #222; }\n"
	      "    .name { font-size: 13px; font-weight: bold; }\n"
	      "    .title { font-size: 18px; font-weight: bold; }\n"
	      "    .worst { fill: none; stroke: #d00; stroke-width: 1.5; }\n"
	      "  </style>\n", f);
	fprintf(f, "  <rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
		SVG_W, h);
	fputs("  <text class=\"title\" x=\"10\" y=\"28\">DPC latency: ", f);
	xml_str(f, r->file);
	fputs("</text>\n", f);
	fprintf(f,
		"  <text class=\"axis\" x=\"10\" y=\"50\">%zu routines, trace of %.3f s. Blue: ordinary DPCs, orange: threaded DPCs, red ring: worst latency.</text>\n",
		r->nroutines, nl_duration(r) / 1e9);
	if (r->worst_run.valid) {
		const struct nl_routine *rt = &r->routines[r->worst_run.routine];

		nl_fmt_ns(worst, sizeof(worst), r->worst_run.val);
		fprintf(f,
			"  <text class=\"axis\" x=\"10\" y=\"70\">Highest DPC execution time: %s in ",
			worst);
		xml_str(f, rt->name);
		fputs(" [", f);
		xml_str(f, rt->module);
		fputs("]</text>\n", f);
	}
	for (i = 0; i < r->nroutines; i++)
		block(f, r, &r->routines[idx[i]], &sc,
		      HEAD_H + (int)i * BLOCK_H);
	fputs("</svg>\n", f);
	free(idx);

	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	return fclose(f) ? -1 : 0;
}
