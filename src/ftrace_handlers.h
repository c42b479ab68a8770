/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ftrace backend's handlers: trace_pipe lines through the same
 * per-thread logic, accounting and checks as the BPF programs, into
 * tables shaped like the BPF maps.
 */
#ifndef __DT_FTRACE_HANDLERS_H
#define __DT_FTRACE_HANDLERS_H

#include "ftrace.h"
#include "ftrace_events.h"

/*
 * Where handled events go: the run's filters and output, and the
 * kernel's numbering (dt_fev_load()). Tables are kept across calls.
 */
void dt_fh_start(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		 const struct dt_fkernel *k);
/* One trace_pipe line through the handlers. */
void dt_fh_line(char *line);
/*
 * A view of the tables, sorted in place, calls derived from the result
 * counters; without the ring buffer's overruns, which tracefs knows.
 */
void dt_fh_tables(struct dt_snapshot *s);
/* Forget every thread and count: a run starts from nothing. */
void dt_fh_reset(void);

#endif /* __DT_FTRACE_HANDLERS_H */
