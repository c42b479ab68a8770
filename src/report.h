/* SPDX-License-Identifier: GPL-2.0 */
/*
 * All of daxtrace's output: the probes record, live event lines,
 * summaries, checks, JSON (report.c, report_event.c, report_summary.c).
 */
#ifndef __DT_REPORT_H
#define __DT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "devices.h"
#include "names.h"
#include "probe.h"
#include "snapshot.h"

struct dt_out {
	FILE *f;
	/* for the probes record: rows and their run state, by target id */
	const struct dt_target *targets;
	const struct dt_target_state *states;
	int ntargets;
	bool json;
	bool timestamps;	/* -T */
	bool hist;		/* histograms in the text summary */
	__s64 boot_to_epoch_ns;	/* added to bpf_ktime_get_ns() for -T */
	const struct dt_names *names;
	const char *run_id;	/* JSON: ties a capture's snapshots to one run */
	/* the probes record: runs each target's programs missed so far */
	const struct dt_snapshot *probe_snap;
	/* files in the summaries: the top N per device by each rank; 0: none */
	int top_files;
	/* a fault.size failure's file: its path, or NULL where it has none */
	const char *(*path_of)(void *ctx, __u32 dev, __u64 ino);
	void *path_ctx;
	/* after each event and each whole summary: -o rotation */
	void (*after_record)(void *ctx);
	void *after_ctx;
};

void dt_json_str(FILE *f, const char *s);
void dt_uuid_json(FILE *f, const struct dt_names *names, __u32 kdev);
void dt_hist_text(FILE *f, const __u64 *slots, int n, const char *unit);

/*
 * What --telemetry does not see in this run (none in the default
 * profile): up to max phrases into what; their number.
 */
/* what --telemetry does not see: a target's, two of the profile's own, files */
#define DT_UNSEEN_MAX	(DT_NTARGETS + 3)
int dt_unseen(const struct dt_out *o, const char **what, int max);
/*
 * Does an attached program take thread slots (dt_target_uses_slots())? Its
 * threads whose slot another live thread holds count each op with one
 * atomic add.
 */
bool dt_uses_thread_slots(const struct dt_out *o);

void dt_print_probes(const struct dt_out *o, const char *backend, bool deep,
		     bool table);
void dt_print_header(const struct dt_out *o, const char *backend, bool deep,
		     const struct dt_dev *devs, int ndevs, bool snoop);
void dt_event_header(const struct dt_out *o);
void dt_event_print(const struct dt_out *o, const struct dt_event *e);
void dt_summary_print(const struct dt_out *o, const struct dt_snapshot *s);
/* the top files of a summary (report_files.c) */
void dt_files_text(const struct dt_out *o, const struct dt_snapshot *s);
void dt_files_json(const struct dt_out *o, const struct dt_snapshot *s);

#endif /* __DT_REPORT_H */
