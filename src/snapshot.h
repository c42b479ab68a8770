/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A snapshot: a backend's counters at one moment (the BPF maps, the
 * ftrace backend's tables, or a capture read back), in one shape for
 * every output.
 */
#ifndef __DT_SNAPSHOT_H
#define __DT_SNAPSHOT_H

#include <stdbool.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "targets.h"

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

/* What a file can be in the top N by (--top-files): bits of dt_file_ent.top */
enum dt_file_rank {
	DT_FR_OPS,
	DT_FR_BYTES,
	DT_FR_ERRORS,
	DT_FR_SHORT,
	DT_FR_PTE_FB,
	DT_FR_MAX,
};

struct dt_file_ent {
	struct dt_file_key key;
	struct dt_file_val v;
	char *path;	/* where it resolved; NULL: known by its inode only */
	__u32 top;	/* bit per enum dt_file_rank it is in the top N for */
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
	/* every file counted, until dt_snapshot_top_files() keeps the top */
	struct dt_file_ent *files;
	int nfiles;
	__u64 files_counted;	/* files with a row, before the top was taken */
	bool files_known;	/* files were counted (not --top-files 0, or an old capture) */
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

bool dt_skipped_known(const struct dt_snapshot *s, int target);
/* the measured skipped runs, summed */
__u64 dt_skipped_total(const struct dt_snapshot *s);
/* some runs were skipped, or may have been where nobody can read them */
bool dt_counts_may_be_short(const struct dt_snapshot *s);
/* Calls whose latency was measured: the ones in the histogram. */
__u64 dt_lat_count(const struct dt_stats *st);

/*
 * A per-CPU map's value summed: out[i] = the sum over ncpu CPUs of word i,
 * vals holding words __u64 per CPU, CPU by CPU, as the kernel hands them
 * out.
 */
void dt_percpu_sum(__u64 *out, const __u64 *vals, int ncpu, size_t words);

int dt_snapshot_checks(struct dt_snapshot *s);
void dt_snapshot_sort(struct dt_snapshot *s);
void dt_snapshot_free(struct dt_snapshot *s);
void dt_snapshot_free_files(struct dt_snapshot *s);

__u64 dt_file_ops(const struct dt_file_val *v);
__u64 dt_file_rank_value(const struct dt_file_val *v, int rank);
/*
 * Keep only the files in the top n of their device by any rank (a file
 * with 0 of something is not in its top), marking which; ordered by
 * device, then ops, most first. n 0 keeps none.
 */
void dt_snapshot_top_files(struct dt_snapshot *s, int n);

/*
 * Find-or-append for a snapshot built up entry by entry (its arrays grown
 * only by these): the entry, zeroed when new; NULL when out of memory.
 */
struct dt_stats *dt_snap_stat(struct dt_snapshot *s, __u32 dev, __u32 op, bool *fresh);
__u64 *dt_snap_err(struct dt_snapshot *s, __u32 dev, __u32 op, __s32 err);
struct dt_chk_val *dt_snap_chk(struct dt_snapshot *s, __u32 dev, __u32 check);
__u64 *dt_snap_media(struct dt_snapshot *s, __u32 dev, __u64 pgoff);
struct dt_file_ent *dt_snap_file(struct dt_snapshot *s, __u32 dev, __u64 ino);
/* Add every counter of s into t (built with the above): 0 or -ENOMEM. */
int dt_snapshot_add(struct dt_snapshot *t, const struct dt_snapshot *s);

#endif /* __DT_SNAPSHOT_H */
