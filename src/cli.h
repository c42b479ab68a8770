/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daxtrace's command line: the options, checked as they are parsed, so
 * bad input ends here (exit 2) before anything is loaded; and the
 * subcommands (`daxtrace report ...`), which bring their own.
 */
#ifndef __DT_CLI_H
#define __DT_CLI_H

#include <stdbool.h>
#include <sys/types.h>
#include "daxtrace.h"
#include "devices.h"

#define DT_EXIT_USAGE	2
#define DT_MAX_FORCE	16

enum dt_backend {
	DT_BK_AUTO,
	DT_BK_BPF,
	DT_BK_FTRACE,
};

struct dt_env {
	struct dt_dev devs[DT_MAX_DEVS];
	int ndevs;
	const char *force[DT_MAX_FORCE];	/* --method TARGET=METHOD */
	int nforce;
	const char *btf_path;
	pid_t pid;
	char comm[DT_COMM_LEN];
	bool snoop;
	bool deep;
	bool telemetry;		/* the telemetry profile: counters only */
	bool json;
	bool timestamps;
	bool list_probes;
	bool verbose;
	bool no_hist;
	enum dt_backend backend;
	unsigned long interval;	/* seconds, 0: only at exit */
	unsigned long count;	/* intervals, 0: forever */
	const char *metrics_addr;
	const char *textfile;
	const char *capture;
	unsigned long long rotate_size;
	int rotate_keep;
	unsigned int thread_slots;
	unsigned int top_files;	/* --top-files: 0 counts no files */
	bool top_files_given;
	bool rotate_given;
};

/* The parsed options, for every part of the tracer (as libbpf-tools' env). */
extern struct dt_env env;

/* Parse into env: 0, or the exit status (usage errors are printed). */
int dt_cli_parse(int argc, char **argv);
/*
 * `daxtrace NAME ARGS...`: true if argv names a subcommand, which has
 * then run, with *status its exit status.
 */
bool dt_cli_subcommand(int argc, char **argv, int *status);

#endif /* __DT_CLI_H */
