/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ftrace backend's event definitions: for each target row, its kprobe
 * events (arguments fetched at offsets from the kernel's BTF) or its
 * tracepoints, and the way back from a trace_pipe event name to the row.
 */
#ifndef __DT_FTRACE_EVENTS_H
#define __DT_FTRACE_EVENTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <linux/types.h>
#include "targets.h"

/* The running kernel's numbering the handlers read event values with. */
struct dt_fkernel {
	long iter_ubuf;		/* enum iter_type: ITER_UBUF, -1 if none */
	long iter_iovec;	/* ITER_IOVEC */
	__u32 dd_alive;		/* enum dax_device_flags bit numbers */
	__u32 dd_nocache;
	__u32 dd_nomc;
	/* device-dax devices' alignments, for fault.size (devinfo.c) */
	int ndevdax;
	__u32 devdax[DT_MAX_DEVS];
	__u64 devdax_align[DT_MAX_DEVS];
};

/* Read the offsets and numbering from the kernel's BTF. */
int dt_fev_load(struct dt_fkernel *k, char *err, size_t len);

/*
 * Define and enable a target's kprobe events: 0 when all took,
 * -EOPNOTSUPP where the backend has no definition for it, -ENOENT where a
 * field it needs is not in this kernel's BTF, else the kernel's refusal.
 */
int dt_fev_define(const struct dt_target *t);

/* Enable a target's tracepoints instead: 0 when all took. */
int dt_fev_tracepoints(const struct dt_target *t);

/* Runs of t's kprobe events the kernel skipped, added to *n, or -ENOENT. */
int dt_fev_misses(FILE *profile, const struct dt_target *t, __u64 *n);

/* Where a trace_pipe event came from. */
struct dt_fev_hit {
	const struct dt_target *t;
	bool tp;		/* one of t->tp_event[] */
	int slot;		/* DT_P_ENTRY or DT_P_EXIT; tp: its index */
};

/* The row a trace_pipe event name belongs to: 0, or -ENOENT. */
int dt_fev_lookup(const char *event, struct dt_fev_hit *h);

#endif /* __DT_FTRACE_EVENTS_H */
