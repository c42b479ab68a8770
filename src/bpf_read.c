// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF backend's counters read into a snapshot: the stats, errors and
 * media-error maps, and the runs of each program the kernel skipped.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_load.h"
#include "bpf_read.h"
#include "dax_checks.h"
#include "probe.h"
#include "snapshot.h"

/* The CPUs a per-CPU map holds a value for; <= 0: libbpf's -errno. */
static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

static bool map_percpu(const struct bpf_map *map)
{
	enum bpf_map_type t = bpf_map__type(map);

	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/*
 * One element's value, summed over the CPUs for a per-CPU map of __u64
 * counters: val gets bpf_map__value_size() bytes. buf: room for a value
 * per CPU.
 */
static int lookup_sum(struct bpf_map *map, const void *key, void *val, __u64 *buf)
{
	int fd = bpf_map__fd(map);
	size_t vsz = bpf_map__value_size(map);

	if (!map_percpu(map))
		return bpf_map_lookup_elem(fd, key, val) ? -errno : 0;
	if (bpf_map_lookup_elem(fd, key, buf))
		return -errno;
	dt_percpu_sum(val, buf, ncpus(), vsz / sizeof(__u64));
	return 0;
}

/* Room for one value of map per CPU, for lookup_sum(). */
static __u64 *percpu_buf(const struct bpf_map *map)
{
	return calloc(ncpus() > 0 ? ncpus() : 1,
		      (bpf_map__value_size(map) + 7) & ~(size_t)7);
}

/* Copy one hash map into an array of {key, value} entries. */
static int dump_map(struct bpf_map *map, void **arr, size_t esz, size_t voff,
		    int *cnt)
{
	int fd = bpf_map__fd(map), cap = bpf_map__max_entries(map);
	size_t ksz = bpf_map__key_size(map);
	char key[64], prev[64];
	bool first = true;
	__u64 *buf;
	char *ent;

	*cnt = 0;
	*arr = calloc(cap, esz);
	buf = percpu_buf(map);
	if (!*arr || !buf) {
		free(buf);
		return -ENOMEM;
	}
	if (ksz > sizeof(key)) {
		free(buf);
		return -E2BIG;
	}
	while (*cnt < cap && !bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		ent = (char *)*arr + *cnt * esz;
		memcpy(ent, key, ksz);
		if (!lookup_sum(map, key, ent + voff, buf))
			(*cnt)++;
		memcpy(prev, key, ksz);
		first = false;
	}
	free(buf);
	return 0;
}

/*
 * The counters and histograms of every device the BPF side gave a slot:
 * stats is an array of DT_OP_MAX entries per slot; ops never seen stay
 * all zero.
 */
static int read_stats(struct dax_trace_bpf *skel, bool judged, struct dt_snapshot *s)
{
	int i, op, nslot, nc = ncpus();
	struct { __u32 dev, slot; } *slots;
	static __u64 *buf;
	struct dt_stats st;
	__u32 key;
	int err;

	if (nc <= 0)
		return nc ?: -EINVAL;
	err = dump_map(skel->maps.dev_slot, (void **)&slots, sizeof(*slots),
		       sizeof(__u32), &nslot);
	if (err) {
		free(slots);
		return err;
	}
	s->stats = calloc(nslot * DT_OP_MAX + 1, sizeof(*s->stats));
	/*
	 * A value per CPU, kept for the next snapshot: allocated and freed
	 * per scrape, it fragmented the heap under concurrent scrapes.
	 */
	if (!buf)
		buf = percpu_buf(skel->maps.stats);
	if (!s->stats || !buf) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nslot; i++) {
		for (op = 0; op < DT_OP_MAX && slots[i].slot < DT_MAX_DEVS; op++) {
			key = slots[i].slot * DT_OP_MAX + op;
			memset(&st, 0, sizeof(st));
			if (lookup_sum(skel->maps.stats, &key, &st, buf))
				continue;
			st.calls = dt_stats_calls(&st);	/* BPF's: scratch */
			if (!st.calls)
				continue;
			if (judged)
				dt_stats_usual(&st, op);
			s->stats[s->nstats].key = (struct dt_key){ slots[i].dev, op };
			s->stats[s->nstats++].st = st;
		}
	}
out:
	free(slots);
	return err;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct dt_file_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * The files map: each CPU's copy a table of its own, so a file can hold
 * a slot on every CPU; its slots are summed. Slots are only ever taken,
 * so a read that races one at most misses counts the next one has.
 */
static int read_files(struct dax_trace_bpf *skel, struct dt_snapshot *s)
{
	int fd = bpf_map__fd(skel->maps.files), ncpu = libbpf_num_possible_cpus();
	__u32 cap = bpf_map__max_entries(skel->maps.files), i;
	struct dt_file_slot *vals, *all;
	size_t n = 0, k, x;
	int c;

	if (ncpu <= 0)
		return ncpu ?: -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	all = calloc((size_t)cap * ncpu, sizeof(*all));
	if (!vals || !all) {
		free(vals);
		free(all);
		return -ENOMEM;
	}
	for (i = 0; i < cap; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			if (vals[c].key.used)
				all[n++] = vals[c];
	}
	free(vals);
	qsort(all, n, sizeof(*all), cmp_slot);
	s->files = calloc(n + 1, sizeof(*s->files));
	if (!s->files) {
		free(all);
		return -ENOMEM;
	}
	for (k = 0; k < n; k++) {
		struct dt_file_ent *f = &s->files[s->nfiles];
		const __u64 *src = (const __u64 *)&all[k].v;
		__u64 *dst;

		if (!s->nfiles || cmp_slot(&f[-1].key, &all[k].key)) {
			f->key = all[k].key;
			f->key.used = 0;
			s->nfiles++;
		} else {
			f--;
		}
		dst = (__u64 *)&f->v;
		for (x = 0; x < sizeof(f->v) / sizeof(__u64); x++)
			dst[x] += src[x];
	}
	free(all);
	s->files_counted = s->nfiles;
	s->files_known = true;
	return 0;
}

/*
 * struct bpf_link_info of uapi 6.7, as far as a kprobe's own misses (its
 * kretprobe ran out of instances): older headers lack it.
 */
struct kprobe_link_info {
	__u32 type, id, prog_id, :32;
	__u32 perf_type, :32;
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr, missed, cookie;
};

/* A kprobe link's misses; false where the kernel does not say (< 6.7). */
static bool link_missed(struct bpf_link *l, __u64 *n)
{
	struct kprobe_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return false;
	/* BPF_PERF_EVENT_KPROBE (3) or _KRETPROBE (4): the kernel filled it in */
	if (info.perf_type != 3 && info.perf_type != 4)
		return false;
	*n += info.missed;
	return true;
}

/* Runs of one target's programs the kernel skipped: false if unknown. */
static bool target_skipped(struct dax_trace_bpf *skel, enum dt_target_id id,
			   __u64 *n)
{
	const struct dt_target_state *st = &dt_states[id];
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_prog_info info;
	struct bpf_program *p;
	int i, np = dt_target_programs(&dt_targets[id], st, progs);
	__u32 len;

	*n = 0;
	for (i = 0; i < np; i++) {
		p = dt_skel_prog(skel, progs[i]);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!p || bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			return false;
		*n += info.recursion_misses;
	}
	for (i = 0; st->method == DT_M_KPROBE && i < DT_MAX_TP; i++)
		if (st->links[i] && !link_missed(st->links[i], n))
			return false;
	return true;
}

void dt_bpf_read_skipped(struct dax_trace_bpf *skel, struct dt_snapshot *s)
{
	int i;

	for (i = 0; i < DT_NTARGETS; i++) {
		if (!dt_states[i].attached)
			continue;
		if (target_skipped(skel, i, &s->skipped[i]))
			s->skipped_known |= 1U << i;
		else
			s->skipped_unread |= 1U << i;
	}
}

int dt_bpf_snapshot(struct dax_trace_bpf *skel, __u64 events, bool judged,
		    struct dt_snapshot *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = read_stats(skel, judged, s);
	err = err ?: dump_map(skel->maps.errors, (void **)&s->errs, sizeof(*s->errs),
			      offsetof(struct dt_err_ent, n), &s->nerrs);
	err = err ?: dump_map(skel->maps.media_errors, (void **)&s->media,
			      sizeof(*s->media), offsetof(struct dt_media_ent, n),
			      &s->nmedia);
	err = err ?: read_files(skel, s);
	if (err || dt_snapshot_checks(s))
		return err ?: -ENOMEM;
	s->bpf = skel->bss->bpf_stats;
	s->events = events;
	dt_bpf_read_skipped(skel, s);
	dt_snapshot_sort(s);
	return 0;
}
