/* SPDX-License-Identifier: GPL-2.0 */
/* All of daxtrace's output: live event lines, summaries, checks, JSON. */
#ifndef __DT_REPORT_H
#define __DT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "devices.h"
#include "probe.h"

struct dt_stat_ent {
	struct dt_key key;
	struct dt_stats st;
};

struct dt_err_ent {
	struct dt_err_key key;
	__u64 n;
};

struct dt_chk_ent {
	struct dt_chk_key key;
	struct dt_chk_val v;
};

struct dt_media_ent {
	struct dt_media_key key;
	__u64 n;
};

/* A copy of the kernel maps at one moment. */
struct dt_snapshot {
	struct dt_stat_ent *stats;
	int nstats;
	struct dt_err_ent *errs;
	int nerrs;
	struct dt_chk_ent *chks;
	int nchks;
	struct dt_media_ent *media;
	int nmedia;
	struct dt_bpf_stats bpf;
	__u64 events;		/* ring-buffer records received */
	/*
	 * Runs of each target's programs that the kernel skipped, indexed as
	 * enum dt_target_id, measured where bit i of skipped_known is set:
	 * the counts above are short by these.
	 */
	__u64 skipped[DT_MAX_TARGETS];
	__u32 skipped_known;
	/*
	 * Bit i: target i ran, but what the kernel skipped of it cannot be
	 * read (a kprobe before 6.7, a tracepoint of the ftrace backend):
	 * the counts may be short by an unknown number.
	 */
	__u32 skipped_unread;
};

struct dt_names {
	const struct dt_dev *devs;
	int n;
};

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
	/* after each event and each whole summary: -o rotation */
	void (*after_record)(void *ctx);
	void *after_ctx;
};

const char *dt_op_name(__u32 op);
const char *dt_check_name(__u32 check);
const char *dt_variant_name(__u32 variant);
const char *dt_side_name(__u32 side);
const char *dt_fault_size_name(__u32 size);
const char *dt_errno_name(__u32 op, __s32 err, char *buf, size_t len);
bool dt_op_is_copy(__u32 op);
__u64 dt_lat_count(const struct dt_stats *st);
int dt_op_parse(const char *name);
int dt_check_parse(const char *name);
int dt_variant_parse(const char *name);
int dt_side_parse(const char *name);
int dt_fault_size_parse(const char *name);
int dt_errno_parse(__u32 op, const char *name, __s32 *err);
const char *dt_dev_label(const struct dt_names *names, __u32 kdev, char *buf,
			 size_t len);

void dt_json_str(FILE *f, const char *s);
void dt_hist_text(FILE *f, const __u64 *slots, int n, const char *unit);

bool dt_skipped_known(const struct dt_snapshot *s, int target);
/* the measured skipped runs, summed */
__u64 dt_skipped_total(const struct dt_snapshot *s);
/* some runs were skipped, or may have been where nobody can read them */
bool dt_counts_may_be_short(const struct dt_snapshot *s);
int dt_snapshot_checks(struct dt_snapshot *s);
void dt_snapshot_sort(struct dt_snapshot *s);
void dt_snapshot_free(struct dt_snapshot *s);

struct dt_target;

void dt_print_probes(const struct dt_out *o, const char *backend, bool deep,
		     bool table);
void dt_print_header(const struct dt_out *o, const char *backend, bool deep,
		     const struct dt_dev *devs, int ndevs, bool snoop);
void dt_event_header(const struct dt_out *o);
void dt_event_print(const struct dt_out *o, const struct dt_event *e);
void dt_summary_print(const struct dt_out *o, const struct dt_snapshot *s);

#endif /* __DT_REPORT_H */
