// SPDX-License-Identifier: GPL-2.0
/*
 * ntdpc-latency: the command line.  A usage error ends the program here,
 * before any file is opened, so main() only ever sees a complete request.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ntdpc-latency.h"

static void print_usage(FILE *f)
{
	fputs("Usage: ntdpc-latency [--json] [--svg FILE] trace.dat\n"
	      "\n"
	      "Report DPC latency (LatencyMon style) from a trace-cmd trace.dat\n"
	      "recorded with: trace-cmd record -e ntdpc -e irq:irq_handler_entry ...\n"
	      "\n"
	      "  --json      print the report as one JSON object\n"
	      "  --svg FILE  also write latency histograms and latency-over-time\n"
	      "              plots, one per routine, to FILE\n"
	      "  -h, --help  show this help\n"
	      "\n"
	      "Exit status: 0 ok, 1 usage, 2 unreadable/truncated/corrupt trace,\n"
	      "3 no ntdpc events, 4 SVG not written.\n", f);
}

/* Fills *o, or exits: 0 after --help, 1 after a usage error. */
void nl_parse_args(int argc, char **argv, struct nl_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "svg", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	memset(o, 0, sizeof(*o));
	/* getopt's own messages carry the full path of the binary */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o->json = 1;
			break;
		case 's':
			o->svg = optarg;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "ntdpc-latency: bad option or missing argument: %s\n",
				argv[optind - 1]);
			print_usage(stderr);
			exit(1);
		}
	}
	if (optind != argc - 1) {
		fputs(optind < argc ? "ntdpc-latency: only one trace.dat at a time\n" :
		      "ntdpc-latency: no trace.dat given\n", stderr);
		print_usage(stderr);
		exit(1);
	}
	o->file = argv[optind];
}
