/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF backend's counters, read into a snapshot. */
#ifndef __DT_BPF_READ_H
#define __DT_BPF_READ_H

#include <linux/types.h>
#include "daxtrace.h"	/* the skeleton names its types */
#include "dax_trace.skel.h"
#include "snapshot.h"

/*
 * Every map, sorted, its checks table made; events: ring-buffer records
 * seen; judged: the run's programs judge checks (not --telemetry).
 */
int dt_bpf_snapshot(struct dax_trace_bpf *skel, __u64 events, bool judged,
		    struct dt_snapshot *s);
/* Only the runs each attached target's programs missed, where measured. */
void dt_bpf_read_skipped(struct dax_trace_bpf *skel, struct dt_snapshot *s);

#endif /* __DT_BPF_READ_H */
