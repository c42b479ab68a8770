/* SPDX-License-Identifier: GPL-2.0 */
/* One iomap iteration of a DAX read or write (--deep). */
#ifndef __DT_ITER_BPF_H
#define __DT_ITER_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"

/* An iteration done: it started at pos with asked bytes left to it. */
static __always_inline void iter_done(struct tstate *ts, struct iomap_iter *it,
				      __s64 pos, __u64 asked, __s64 progress,
				      __u64 lat, bool lat_ok)
{
	struct dt_stats *st;
	struct dt_event *e;
	__u32 why = 0, v;
	__u64 isize = 0;
	int eof = 0;

	if (!ts->rw.where.wanted)
		return;
	st = stats_at(ts->rw.where.slot, DT_OP_ITER);
	if (st)
		account(ts, st, asked, progress, lat, lat_ok);
	/*
	 * i_size only where it counts, a 0 (at EOF?) or an event: on the raw
	 * tracepoint it is two probe reads, paid on every iteration.
	 */
	if (progress <= 0 || snoop) {
		isize = BPF_CORE_READ(it, inode, i_size);
		eof = ts->rw.op == DT_OP_READ && pos >= isize;
	}
	v = dt_check_progress(progress, eof);
	if (v == DT_FAIL)
		why = DT_EV_CHECK;
	if (progress < 0) {
		why = DT_EV_ERROR;
		count_error(ts->rw.where.dev, DT_OP_ITER, -progress);
	}
	verdict(st, DT_CHK_ITER_PROGRESS, v);
	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return;
	e = ev_new(DT_OP_ITER, ts->rw.where.dev, why);
	if (!e)
		return;
	e->lat_ns = lat;
	e->check_fail = v == DT_FAIL ? 1U << DT_CHK_ITER_PROGRESS : 0;
	e->flags = (lat_ok ? 0 : DT_F_NO_LAT) | (eof ? DT_F_EOF : 0);
	e->pos = pos;
	e->asked = asked;
	e->ret = progress;
	e->isize = isize;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
}

/* What an iteration at pos with len of the I/O left is asked: to its map end */
static __always_inline __u64 iomi_length(struct iomap_iter *it, __s64 pos,
					 __u64 len)
{
	__s64 end = BPF_CORE_READ(it, iomap.offset) +
		    BPF_CORE_READ(it, iomap.length);

	if (end - pos < (__s64)len)
		return end - pos;
	return len;
}

/* dax_iomap_iter itself, on kernels where it is not inlined. */
static __always_inline int iter_entry(struct iomap_iter *it)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->rw.active)
		return 0;
	ts->iter.iomi = (__u64)it;
	ts->iter.pos = BPF_CORE_READ(it, pos);
	ts->iter.len = iomi_length(it, ts->iter.pos, BPF_CORE_READ(it, len));
	ts->iter.start_ns = now();
	return 0;
}

static __always_inline int iter_exit(__s64 ret)
{
	struct tstate *ts = ts_get();
	struct iomap_iter *it;

	if (!ts || !ts->rw.active || !ts->iter.iomi)
		return 0;
	it = (struct iomap_iter *)ts->iter.iomi;
	ts->iter.iomi = 0;
	iter_done(ts, it, ts->iter.pos, ts->iter.len,
		  iomi_progress(it, ts->iter.pos, ret), now() - ts->iter.start_ns,
		  true);
	return 0;
}

/*
 * Where dax_iomap_iter is inlined (6.1 to 7.3), iomap_iter() runs between
 * iterations and its tracepoint sees the one just done (iomi_step()). It
 * fires for every iomap user, DAX or not, so only --deep attaches it.
 */
static __always_inline int iter_tracepoint(struct iomap_iter *it)
{
	struct tstate *ts = ts_get();
	__s64 progress, start;
	__u64 len;

	if (!ts || !ts->rw.active)
		return 0;
	if (!BPF_CORE_READ(it, iomap.length))
		return 0;	/* first call: no iteration done yet */
	progress = iomi_step(it, &start, &len);
	iter_done(ts, it, start, iomi_length(it, start, len), progress, 0,
		  false);
	return 0;
}

#endif /* __DT_ITER_BPF_H */
