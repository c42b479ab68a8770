/* SPDX-License-Identifier: GPL-2.0 */
/* The ftrace backend: the same diagnosis through tracefs, without BPF. */
#ifndef __DT_FTRACE_H
#define __DT_FTRACE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "devices.h"
#include "report.h"
#include "telemetry.h"

struct dt_ftrace_cfg {
	const struct dt_dev *devs;	/* -d filter; ndevs == 0: all */
	int ndevs;
	pid_t pid;
	const char *comm;
	bool snoop;
	bool list_probes;
	unsigned long interval;
	unsigned long count;
	struct dt_telemetry *tel;	/* exporters, may be NULL */
};

/* One trace_pipe line in its parts (ftrace_tracefs.c). */
struct dt_tline {
	char comm[17];
	int pid;
	unsigned long long ts_ns;
	char event[48];
	const char *args;	/* "key=val key=val", points into the line */
};

int dt_tline_parse(char *line, struct dt_tline *t);
int dt_targ_u64(const char *args, const char *key, unsigned long long *v);

int dt_ftrace_main(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		   volatile sig_atomic_t *exiting);

#endif /* __DT_FTRACE_H */
