/* SPDX-License-Identifier: GPL-2.0 */
/* The DAX fault handlers: dax_iomap_fault (fs-dax), dev_dax_huge_fault. */
#ifndef __DT_FAULT_BPF_H
#define __DT_FAULT_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"

static __always_inline void fault_account(const struct where *w, __u32 size,
					  __u32 ret, __u64 pgoff, __u64 ino,
					  __u64 lat, bool lat_ok, __u32 seq)
{
	__u32 why = 0, flags = 0, err = ret & DT_VMF_ERROR;
	__u32 res = dt_fault_result(ret);
	__u64 bytes = dt_fault_bytes(size);
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;

	if (!w->wanted)
		return;
	st = stats_at(w->slot, DT_OP_FAULT, &row);
	if (st) {
		__sync_fetch_and_add(&st->bytes_req, dt_fault_asked(res, size));
		if (lat_ok) {
			__sync_fetch_and_add(&st->lat_sum_ns, lat);
			hist_add(row, DT_HIST_LAT, lat);
		}
		__sync_fetch_and_add(dt_fault_counter(st, res, size), 1);
		if (res == DT_FAULT_RES_DONE) {
			__sync_fetch_and_add(&st->bytes_done, bytes);
			hist_add(row, DT_HIST_LEN, bytes);
		}
	}
	if (err) {
		count_error(w->dev, DT_OP_FAULT, err);
		why |= DT_EV_ERROR;
	}
	if (ret & DT_VMF_FALLBACK)
		flags |= DT_F_FALLBACK;
	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return;
	e = ev_new(DT_OP_FAULT, w->dev, why);
	if (!e)
		return;
	e->lat_ns = lat;
	e->flags = flags | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = pgoff << DT_PAGE_SHIFT;
	e->asked = bytes;
	e->ret = ret;
	e->ino = ino;
	e->fault_size = size;
	e->seq = seq;
	bpf_ringbuf_submit(e, 0);
}

/* pe: the handler's size argument, as dt_fault_size() takes it */
static __always_inline int fault_entry(struct vm_fault *vmf, __u32 pe)
{
	struct inode *inode;
	struct tstate *ts;

	ts = ts_enter();
	if (!ts)
		return 0;
	inode = BPF_CORE_READ(vmf, vma, vm_file, f_inode);
	ts->fault.active = 1;
	where_dev_cached(ts, &ts->fault.where, inode_dev(inode));
	ts->fault.pgoff = BPF_CORE_READ(vmf, pgoff);
	ts->fault.ino = BPF_CORE_READ(inode, i_ino);
	ts->fault.size = dt_fault_size(pe);
	ts->seq++;
	ts->fault.start_ns = now();
	return 0;
}

/* Global, as copy_done() is: verified once, not once per path into it. */
__noinline int fault_done(struct tstate *ts, __u32 ret)
{
	if (!ts)
		return 0;
	ts->fault.active = 0;
	fault_account(&ts->fault.where, ts->fault.size, ret, ts->fault.pgoff,
		      ts->fault.ino, now() - ts->fault.start_ns, true, ts->seq);
	return 0;
}

static __always_inline int fault_exit(__u32 ret)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->fault.active)
		return 0;
	fault_done(ts, ret);
	ts_put(ts);
	return 0;
}

/* fexit: the return value without declaring the handler's arguments */
static __always_inline int fault_fexit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return fault_exit(ret);
}

/*
 * Tracepoint fallback for fs-dax faults where dax_iomap_fault cannot be
 * probed: the *_fault_done events carry the result but no latency.
 */
static __always_inline int fault_tracepoint(__u32 dev, __u32 size, __u32 result,
					    __u64 pgoff, __u64 ino)
{
	struct where w;

	if (!task_wanted())
		return 0;
	where_dev(&w, dev);
	fault_account(&w, size, result, pgoff, ino, 0, false, 0);
	return 0;
}

#endif /* __DT_FAULT_BPF_H */
