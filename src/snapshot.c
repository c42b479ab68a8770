// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: their checks table, their order, and their sums. No output
 * here: the report, metrics and the capture reader all build on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"

bool dt_skipped_known(const struct dt_snapshot *s, int target)
{
	return s && target < DT_MAX_TARGETS && (s->skipped_known & (1U << target));
}

__u64 dt_skipped_total(const struct dt_snapshot *s)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < DT_MAX_TARGETS; i++)
		if (dt_skipped_known(s, i))
			n += s->skipped[i];
	return n;
}

bool dt_counts_may_be_short(const struct dt_snapshot *s)
{
	return dt_skipped_total(s) || (s && s->skipped_unread);
}

__u64 dt_lat_count(const struct dt_stats *st)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < DT_HIST_SLOTS; i++)
		n += st->lat_hist[i];
	return n;
}

void dt_percpu_sum(__u64 *out, const __u64 *vals, int ncpu, size_t words)
{
	size_t i;
	int c;

	for (i = 0; i < words; i++) {
		out[i] = 0;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c * words + i];
	}
}

static int cmp_stat(const void *a, const void *b)
{
	const struct dt_stat_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return (int)x->key.op - (int)y->key.op;
}

static int cmp_err(const void *a, const void *b)
{
	const struct dt_err_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	if (x->key.op != y->key.op)
		return (int)x->key.op - (int)y->key.op;
	return x->key.err - y->key.err;
}

static int cmp_chk(const void *a, const void *b)
{
	const struct dt_chk_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return (int)x->key.check - (int)y->key.check;
}

static int cmp_media(const void *a, const void *b)
{
	const struct dt_media_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return x->key.pgoff < y->key.pgoff ? -1 : x->key.pgoff > y->key.pgoff;
}

/* The per-device checks table, summed from the verdicts in each op's stats. */
int dt_snapshot_checks(struct dt_snapshot *s)
{
	int i, j, c, v;

	free(s->chks);
	s->nchks = 0;
	s->chks = calloc((size_t)s->nstats * DT_CHK_MAX + 1, sizeof(*s->chks));
	if (!s->chks)
		return -1;
	for (i = 0; i < s->nstats; i++) {
		const struct dt_stat_ent *e = &s->stats[i];

		for (c = 0; c < DT_CHK_MAX; c++) {
			__u64 sum = 0;

			for (v = 0; v < DT_VERDICT_MAX; v++)
				sum += e->st.chk[c][v];
			if (!sum)
				continue;
			for (j = 0; j < s->nchks; j++)
				if (s->chks[j].key.dev == e->key.dev && s->chks[j].key.check == (__u32)c)
					break;
			if (j == s->nchks) {
				s->chks[j].key.dev = e->key.dev;
				s->chks[j].key.check = c;
				s->nchks++;
			}
			for (v = 0; v < DT_VERDICT_MAX; v++)
				s->chks[j].v.n[v] += e->st.chk[c][v];
		}
	}
	return 0;
}

void dt_snapshot_sort(struct dt_snapshot *s)
{
	if (s->nstats)
		qsort(s->stats, s->nstats, sizeof(*s->stats), cmp_stat);
	if (s->nerrs)
		qsort(s->errs, s->nerrs, sizeof(*s->errs), cmp_err);
	if (s->nchks)
		qsort(s->chks, s->nchks, sizeof(*s->chks), cmp_chk);
	if (s->nmedia)
		qsort(s->media, s->nmedia, sizeof(*s->media), cmp_media);
}

void dt_snapshot_free_files(struct dt_snapshot *s)
{
	int i;

	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].path);
	free(s->files);
	s->files = NULL;
	s->nfiles = 0;
}

void dt_snapshot_free(struct dt_snapshot *s)
{
	dt_snapshot_free_files(s);
	free(s->stats);
	free(s->errs);
	free(s->chks);
	free(s->media);
	memset(s, 0, sizeof(*s));
}


/* ---- built entry by entry (a capture read back, a sum of runs) ------- */

/* n is a power of two or zero exactly when the array must grow */
static void *grow(void *arr, int n, size_t esz)
{
	void *p;

	if (n && (n & (n - 1)))
		return arr;
	p = realloc(arr, (n ? 2 * n : 1) * esz);
	return p;
}

struct dt_stats *dt_snap_stat(struct dt_snapshot *s, __u32 dev, __u32 op, bool *fresh)
{
	struct dt_stat_ent *a;
	int i;

	*fresh = false;
	for (i = 0; i < s->nstats; i++)
		if (s->stats[i].key.dev == dev && s->stats[i].key.op == op)
			return &s->stats[i].st;
	a = grow(s->stats, s->nstats, sizeof(*a));
	if (!a)
		return NULL;
	s->stats = a;
	memset(&a[s->nstats], 0, sizeof(*a));
	a[s->nstats].key = (struct dt_key){ dev, op };
	*fresh = true;
	return &a[s->nstats++].st;
}

__u64 *dt_snap_err(struct dt_snapshot *s, __u32 dev, __u32 op, __s32 err)
{
	struct dt_err_ent *a;
	int i;

	for (i = 0; i < s->nerrs; i++)
		if (s->errs[i].key.dev == dev && s->errs[i].key.op == op &&
		    s->errs[i].key.err == err)
			return &s->errs[i].n;
	a = grow(s->errs, s->nerrs, sizeof(*a));
	if (!a)
		return NULL;
	s->errs = a;
	memset(&a[s->nerrs], 0, sizeof(*a));
	a[s->nerrs].key = (struct dt_err_key){ .dev = dev, .op = op, .err = err };
	return &a[s->nerrs++].n;
}

struct dt_chk_val *dt_snap_chk(struct dt_snapshot *s, __u32 dev, __u32 check)
{
	struct dt_chk_ent *a;
	int i;

	for (i = 0; i < s->nchks; i++)
		if (s->chks[i].key.dev == dev && s->chks[i].key.check == check)
			return &s->chks[i].v;
	a = grow(s->chks, s->nchks, sizeof(*a));
	if (!a)
		return NULL;
	s->chks = a;
	memset(&a[s->nchks], 0, sizeof(*a));
	a[s->nchks].key = (struct dt_chk_key){ dev, check };
	return &a[s->nchks++].v;
}

__u64 *dt_snap_media(struct dt_snapshot *s, __u32 dev, __u64 pgoff)
{
	struct dt_media_ent *a;
	int i;

	for (i = 0; i < s->nmedia; i++)
		if (s->media[i].key.dev == dev && s->media[i].key.pgoff == pgoff)
			return &s->media[i].n;
	a = grow(s->media, s->nmedia, sizeof(*a));
	if (!a)
		return NULL;
	s->media = a;
	memset(&a[s->nmedia], 0, sizeof(*a));
	a[s->nmedia].key = (struct dt_media_key){ .dev = dev, .pgoff = pgoff };
	return &a[s->nmedia++].n;
}

struct dt_file_ent *dt_snap_file(struct dt_snapshot *s, __u32 dev, __u64 ino)
{
	struct dt_file_ent *a;
	int i;

	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].key.dev == dev && s->files[i].key.ino == ino)
			return &s->files[i];
	a = grow(s->files, s->nfiles, sizeof(*a));
	if (!a)
		return NULL;
	s->files = a;
	memset(&a[s->nfiles], 0, sizeof(*a));
	a[s->nfiles].key = (struct dt_file_key){ .dev = dev, .ino = ino };
	return &a[s->nfiles++];
}

static void add_stats(struct dt_stats *d, const struct dt_stats *s)
{
	const __u64 *a = (const __u64 *)s;
	__u64 *b = (__u64 *)d;
	size_t i;

	/* every member is a __u64 counter: they sum */
	for (i = 0; i < sizeof(*s) / sizeof(__u64); i++)
		b[i] += a[i];
}

int dt_snapshot_add(struct dt_snapshot *t, const struct dt_snapshot *s)
{
	bool fresh;
	int k, x;

	for (k = 0; k < s->nstats; k++) {
		struct dt_stats *d = dt_snap_stat(t, s->stats[k].key.dev,
						  s->stats[k].key.op, &fresh);

		if (!d)
			return -ENOMEM;
		add_stats(d, &s->stats[k].st);
	}
	for (k = 0; k < s->nerrs; k++) {
		__u64 *n = dt_snap_err(t, s->errs[k].key.dev, s->errs[k].key.op,
				       s->errs[k].key.err);

		if (!n)
			return -ENOMEM;
		*n += s->errs[k].n;
	}
	for (k = 0; k < s->nchks; k++) {
		struct dt_chk_val *v = dt_snap_chk(t, s->chks[k].key.dev,
						   s->chks[k].key.check);

		if (!v)
			return -ENOMEM;
		for (x = 0; x < DT_VERDICT_MAX; x++)
			v->n[x] += s->chks[k].v.n[x];
	}
	for (k = 0; k < s->nmedia; k++) {
		__u64 *n = dt_snap_media(t, s->media[k].key.dev, s->media[k].key.pgoff);

		if (!n)
			return -ENOMEM;
		*n += s->media[k].n;
	}
	for (k = 0; k < s->nfiles; k++) {
		const struct dt_file_ent *f = &s->files[k];
		struct dt_file_ent *d = dt_snap_file(t, f->key.dev, f->key.ino);
		const __u64 *a = (const __u64 *)&f->v;
		__u64 *b;

		if (!d)
			return -ENOMEM;
		b = (__u64 *)&d->v;
		for (x = 0; x < (int)(sizeof(f->v) / sizeof(__u64)); x++)
			b[x] += a[x];
		if (!d->path && f->path && !(d->path = strdup(f->path)))
			return -ENOMEM;
	}
	t->files_counted += s->files_counted;
	t->files_known |= s->files_known;
	t->events += s->events;
	t->bpf.rb_dropped += s->bpf.rb_dropped;
	t->bpf.map_full += s->bpf.map_full;
	t->bpf.thread_overflow += s->bpf.thread_overflow;
	t->bpf.file_full += s->bpf.file_full;
	for (k = 0; k < DT_MAX_TARGETS; k++)
		t->skipped[k] += s->skipped[k];
	t->skipped_known |= s->skipped_known;
	t->skipped_unread |= s->skipped_unread;
	return 0;
}

/* ---- the files' top N ------------------------------------------------- */

__u64 dt_file_ops(const struct dt_file_val *v)
{
	return v->reads + v->writes + v->faults;
}

__u64 dt_file_rank_value(const struct dt_file_val *v, int rank)
{
	switch (rank) {
	case DT_FR_OPS:
		return dt_file_ops(v);
	case DT_FR_BYTES:
		return v->bytes_read + v->bytes_written;
	case DT_FR_ERRORS:
		return v->errors;
	case DT_FR_SHORT:
		return v->short_copies;
	case DT_FR_PTE_FB:
		return v->pte_fallbacks;
	}
	return 0;
}

static int rank_by;	/* qsort has no context argument */

/* device, then rank_by's value, most first, then inode: a stable order */
static int cmp_file(const void *a, const void *b)
{
	const struct dt_file_ent *x = a, *y = b;
	__u64 vx = dt_file_rank_value(&x->v, rank_by), vy = dt_file_rank_value(&y->v, rank_by);

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	if (vx != vy)
		return vx > vy ? -1 : 1;
	return x->key.ino < y->key.ino ? -1 : x->key.ino > y->key.ino;
}

void dt_snapshot_top_files(struct dt_snapshot *s, int n)
{
	int r, i, j, k, kept = 0;

	if (!s->nfiles)
		return;
	for (i = 0; i < s->nfiles; i++)
		s->files[i].top = 0;
	for (r = 0; r < DT_FR_MAX; r++) {
		rank_by = r;
		qsort(s->files, s->nfiles, sizeof(*s->files), cmp_file);
		for (i = 0; i < s->nfiles; i = j) {
			for (j = i; j < s->nfiles && s->files[j].key.dev == s->files[i].key.dev; j++)
				;
			for (k = i; k < j && k - i < n; k++)
				if (dt_file_rank_value(&s->files[k].v, r))
					s->files[k].top |= 1U << r;
		}
	}
	for (i = 0; i < s->nfiles; i++) {
		if (s->files[i].top)
			s->files[kept++] = s->files[i];
		else
			free(s->files[i].path);
	}
	s->nfiles = kept;
	rank_by = DT_FR_OPS;
	if (kept)
		qsort(s->files, kept, sizeof(*s->files), cmp_file);
}
