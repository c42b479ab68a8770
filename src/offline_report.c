// SPDX-License-Identifier: GPL-2.0
/*
 * `daxtrace report FILE...`: read a JSON-lines capture (-o or -j) back
 * and print the report daxtrace would have printed, on any machine. The
 * reading is capture_reader.c's; here the subcommand's command line.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_reader.h"
#include "offline_report.h"
#include "parse.h"
#include "report.h"

static struct {
	bool json;
	bool no_hist;
	unsigned int top_files;
	const char *files[256];
	int nfiles;
} ropt = { .top_files = DT_TOP_FILES };

static const struct argp_option report_opts[] = {
	{ "json", 'j', NULL, 0, "Print the aggregated summary as JSON lines", 0 },
	{ "no-hist", 'H', NULL, 0, "No histograms in the text summary", 0 },
	{ "top-files", 'F', "N", 0,
	  "Top N files per device, of those the capture holds (default 10; 0: none)", 0 },
	{},
};

static error_t report_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		ropt.json = true;
		break;
	case 'H':
		ropt.no_hist = true;
		break;
	case 'F': {
		unsigned long v;

		if (dt_parse_ulong(arg, DT_TOP_FILES_MAX, &v)) {
			fprintf(stderr, "daxtrace report: invalid --top-files '%s' (want 0..%d)\n",
				arg, DT_TOP_FILES_MAX);
			exit(2);
		}
		ropt.top_files = v;
		break;
	}
	case ARGP_KEY_ARG:
		if (ropt.nfiles == 256) {
			fprintf(stderr, "daxtrace report: too many files (max 256)\n");
			exit(2);
		}
		ropt.files[ropt.nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (!ropt.nfiles) {
			fprintf(stderr, "daxtrace report: no capture FILE given (daxtrace report [-j] [--no-hist] [--top-files N] FILE...)\n");
			exit(2);
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int dt_offline_report_main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = report_opts,
		.parser = report_arg,
		.args_doc = "FILE...",
		.doc = "Re-aggregate a daxtrace JSON capture (-o or -j) into the text report.\n"
		       "Give rotated files oldest first; runs are told apart by their ids.\v"
		       "Exit status: 0 ok, 1 no summary in the capture, 2 bad input.",
	};
	struct dt_out out = { .f = stdout, .targets = dt_targets, .states = dt_states,
			      .ntargets = DT_NTARGETS };
	struct dt_reader *rd;
	const char *file;
	int i, err = 0;
	FILE *f;

	argv[0] = "daxtrace report";
	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	out.json = ropt.json;
	out.hist = !ropt.no_hist;
	out.top_files = ropt.top_files;
	rd = dt_reader_new(&out);
	if (!rd) {
		fprintf(stderr, "daxtrace: report: out of memory\n");
		return 2;
	}
	for (i = 0; i < ropt.nfiles && !err; i++) {
		file = ropt.files[i];
		f = strcmp(file, "-") ? fopen(file, "re") : stdin;
		if (!f) {
			fprintf(stderr, "daxtrace: report: %s: %s\n", file, strerror(errno));
			dt_reader_free(rd);
			return 2;
		}
		err = dt_reader_file(rd, file, f);
		if (f != stdin)
			fclose(f);
	}
	err = err ? 2 : dt_reader_finish(rd, ropt.nfiles);
	if (err) {
		fflush(stdout);
		fprintf(stderr, "daxtrace: report: %s\n", dt_reader_error(rd));
	}
	dt_reader_free(rd);
	return err;
}
