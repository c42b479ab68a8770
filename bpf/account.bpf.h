/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counting an operation: the device it belongs to, its counters and
 * histograms, its errors and check verdicts, and the event it may send.
 */
#ifndef __DT_ACCOUNT_BPF_H
#define __DT_ACCOUNT_BPF_H

#include "tstate.bpf.h"

static __always_inline __u64 now(void)
{
	return bpf_ktime_get_ns();
}

/*
 * One more in v's bucket (dt_log2_slot()) of hist, an array in st. The
 * bucket goes through st's calls word and comes back as a load the
 * verifier knows nothing of: an index computed from v would make it
 * track v's source (the op's return) exactly, and paths split on that
 * would never merge again. calls is scratch on this side: user space
 * sums it from the result counters (dt_stats_calls()). Per CPU: see
 * stats in maps.bpf.h.
 */
static __always_inline void hist_add(struct dt_stats *st, __u64 *hist, __u64 v)
{
	__u64 i;

	st->calls = dt_log2(v);
	i = *(volatile __u64 *)&st->calls;
	if (i >= DT_HIST_SLOTS)		/* dt_log2_slot()'s last bucket */
		i = DT_HIST_SLOTS - 1;
	hist[i] += 1;
}

/* The same for a length, through the thread's last one (struct len_cache). */
static __always_inline void len_hist_add(struct tstate *ts, struct dt_stats *st,
					 __u64 len)
{
	__u64 i;

	if (!ts) {
		hist_add(st, st->len_hist, len);
		return;
	}
	if (len != ts->lc.len) {
		ts->lc.len = len;
		ts->lc.bucket = dt_log2(len);
	}
	i = *(volatile __u64 *)&ts->lc.bucket;
	if (i >= DT_HIST_SLOTS)
		i = DT_HIST_SLOTS - 1;
	st->len_hist[i] += 1;
}

static __always_inline bool dev_wanted(__u32 dev)
{
	return !filter_dev || bpf_map_lookup_elem(&dev_filter, &dev);
}

/* The device's slot in stats, handed out on first sight; -1 when full. */
static __always_inline __s32 slot_get(__u32 dev)
{
	__u32 *p, slot;

	p = bpf_map_lookup_elem(&dev_slot, &dev);
	if (p)
		return *p;
	slot = __sync_fetch_and_add(&nslots, 1);
	if (slot >= DT_MAX_DEVS) {
		__sync_fetch_and_add(&bpf_stats.map_full, 1);
		return -1;
	}
	/* a CPU racing us for the same device may win: use its slot */
	bpf_map_update_elem(&dev_slot, &dev, &slot, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&dev_slot, &dev);
	return p ? *p : -1;
}

/*
 * The op's counters and histograms, this CPU's. Slot -1 (none) makes a
 * row past the map's end, which the look-up refuses: no test of our own.
 */
static __always_inline struct dt_stats *stats_at(__s32 slot, __u32 op)
{
	__u32 row = (__u32)slot * DT_OP_MAX + op;

	return bpf_map_lookup_elem(&stats, &row);
}

static __always_inline void count_error(__u32 dev, __u32 op, __s32 err)
{
	struct dt_err_key key = { .dev = dev, .op = op, .err = err };
	__u64 one = 1, *n;

	/* per CPU; a new key holds one on this CPU, zero on the others */
	n = bpf_map_lookup_elem(&errors, &key);
	if (n) {
		*n += 1;
		return;
	}
	if (bpf_map_update_elem(&errors, &key, &one, BPF_NOEXIST)) {
		/* another CPU added it meanwhile */
		n = bpf_map_lookup_elem(&errors, &key);
		if (n)
			*n += 1;
		else
			__sync_fetch_and_add(&bpf_stats.map_full, 1);
	}
}

/*
 * Check verdicts live in the op's own stats entry, already looked up: a
 * map of their own would cost a hash look-up per check. The check's
 * usual verdict is not counted: user space has it from the calls
 * (dt_stats_usual()), so every call must judge each of its op's checks.
 */
static __always_inline void verdict(struct dt_stats *st, __u32 check, __u32 v)
{
	__u32 i = v;

	if (v == dt_check_usual(check) || !st || check >= DT_CHK_MAX)
		return;
	/* else clang folds the test with the one above and the bound is lost */
	barrier_var(i);
	if (i < DT_VERDICT_MAX)
		st->chk[check][i] += 1;
}

/*
 * lat_ok: the latency was measured (an entry program ran). Unmeasured
 * calls stay out of lat_hist, so its sum is the count lat_sum_ns is over.
 */
/* st: this CPU's; plain adds (see stats in maps.bpf.h) */
/* ts: the thread's, for its length cache; NULL where there is none */
static __always_inline void account(struct tstate *ts, struct dt_stats *st, __u64 asked,
				    __s64 ret, __u64 lat, bool lat_ok)
{
	__u64 done = ret > 0 ? ret : 0;

	st->bytes_req += asked;
	st->bytes_done += done;
	/* each result its own counter: a scrape never sees one go back */
	*dt_op_counter(st, asked, ret) += 1;
	len_hist_add(ts, st, done);
	if (lat_ok) {
		st->lat_sum_ns += lat;
		hist_add(st, st->lat_hist, lat);
	}
}

static __always_inline struct dt_event *ev_new(__u32 op, __u32 dev, __u32 why)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct dt_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&bpf_stats.rb_dropped, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = DT_REC_EVENT;
	e->op = op;
	e->dev = dev;
	e->why = why;
	e->ts_ns = now();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void where_dev(struct where *w, __u32 dev)
{
	w->dev = dev;
	w->wanted = dev_wanted(dev);
	w->slot = w->wanted ? slot_get(dev) : -1;
}

/* The same through the thread's last answer: no map look-up per read. */
static __always_inline void where_dev_cached(struct tstate *ts, struct where *w,
					     __u32 dev)
{
	if (ts->cache.where.dev == dev && ts->cache.where.slot >= 0) {
		*w = ts->cache.where;
		return;
	}
	where_dev(w, dev);
	/* slot -1 is "not wanted" or "no slot yet": ask again next time */
	if (w->slot >= 0)
		ts->cache.where = *w;
}

/*
 * The device a direct_access or copy belongs to: inside a traced
 * read/write/fault, the one its entry found; else learned from those.
 */
static __always_inline void op_where(struct tstate *ts, __u64 daxdev,
				     __u32 *flags, struct where *w)
{
	__u32 *d, dev;

	if (ts->fault.active || ts->rw.active) {
		*w = ts->fault.active ? ts->fault.where : ts->rw.where;
		/* one map look-up per new pair, not one per call */
		if (ts->cache.daxdev == daxdev && ts->cache.daxdev_dev == w->dev)
			return;
		dev = w->dev;
		d = bpf_map_lookup_elem(&daxdev_dev, &daxdev);
		if (!d || *d != dev)
			bpf_map_update_elem(&daxdev_dev, &daxdev, &dev, BPF_ANY);
		ts->cache.daxdev = daxdev;
		ts->cache.daxdev_dev = dev;
		return;
	}
	*flags |= DT_F_NO_CTX;
	d = bpf_map_lookup_elem(&daxdev_dev, &daxdev);
	if (d)
		dev = *d;
	else	/* device-dax: the char device's dev_t is the dax inode's */
		dev = BPF_CORE_READ((struct dax_device *)daxdev, inode.i_rdev);
	where_dev_cached(ts, w, dev);
}

/* Whether an entry program ran for this call; *lat its latency if timed. */
static __always_inline bool took_start(__u32 *active, __u64 start, __u64 *lat)
{
	if (!*active)
		return false;
	*active = 0;
	if (timed)
		*lat = now() - start;
	return true;
}

/*
 * *slot, read so that the verifier does not know it: a value read from a
 * map is unknown. A constant that steers later branches (a failed check's
 * bit) keeps the paths apart all the way down, so every combination of
 * verdicts is verified; an unknown one lets them merge after each check.
 * A load per use (and a store or two per call) for fewer verifier steps,
 * which are start-up CPU.
 */
static __always_inline __u32 reload_unknown(__u32 *slot)
{
	return *(volatile __u32 *)slot;
}

#endif /* __DT_ACCOUNT_BPF_H */
