/* SPDX-License-Identifier: GPL-2.0 */
/* dax_iomap_rw: a read or write through a DAX file. */
#ifndef __DT_RW_BPF_H
#define __DT_RW_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"
#include "files.bpf.h"
#include "direct_access.bpf.h"

static __always_inline int rw_entry(struct inode *inode, __u64 ino, __u32 dev,
				    __u64 pos, __u64 asked, int dir)
{
	struct tstate *ts;

	ts = ts_enter();
	if (!ts)
		return 0;
	/*
	 * Nothing of this thread's can be in flight outside a read/write:
	 * what says so was left by an exit the kernel skipped (recursion
	 * guard, kretprobe maxactive), maybe by a thread that had this tid.
	 */
	ts->fault.active = 0;
	ts->da.active = 0;
	ts->copy.active = 0;
	ts->drv.seen = 0;
	if (ts->last_da.kaddr_at == DA_KADDR_WAIT)
		kaddr_unjudged(ts);
	ts->iter.iomi = 0;
	ts->rw.active = 1;
	ts->rw.op = dir == DT_WRITE ? DT_OP_WRITE : DT_OP_READ;
	where_dev_cached(ts, &ts->rw.where, dev);
	ts->rw.pos = pos;
	ts->rw.asked = asked;
	ts->rw.inode = (__u64)inode;
	ts->rw.ino = ino;
	ts->rw.shorts = 0;
	ts->seq++;
	ts->last_da.valid = 0;
	if (timed)
		ts->rw.start_ns = now();
	return 0;
}

/*
 * i_size, read only where the check or an event needs it: a read that
 * returned all it asked for needs none. A helper call, as kretprobes
 * must; fexit too, since a plain load would need its iocb down here and
 * the rare short op can pay.
 */
static __always_inline __u64 rw_isize(struct tstate *ts)
{
	struct inode *inode = (struct inode *)ts->rw.inode;

	return BPF_CORE_READ(inode, i_size);
}

/*
 * Inlined, as copy_done() and da_done() are: verified once per map a
 * thread's state can come from, which for this body costs less at load
 * than the call costs per read.
 */
static __always_inline int rw_exit(struct tstate *ts, __s64 ret)
{
	__u32 why = 0, chk = 0, flags = 0, v;
	struct dt_stats *st;
	struct dt_event *e;
	__u64 lat, isize = 0;
	int eof;

	if (!ts)
		return 0;
	ts->rw.active = 0;
	if (ts->last_da.kaddr_at == DA_KADDR_WAIT)
		kaddr_unjudged(ts);
	if (!ts->rw.where.wanted)
		return 0;
	lat = timed ? now() - ts->rw.start_ns : 0;

	st = stats_at(ts->rw.where.slot, ts->rw.op);
	if (st)
		account(ts, st, ts->rw.asked, ret, lat, timed);
	if (ret >= 0 && (__u64)ret != ts->rw.asked)
		isize = rw_isize(ts);
	v = dt_check_rw(ts->rw.op == DT_OP_READ, ts->rw.pos, ts->rw.asked,
			ret, isize, &eof);
	if (eof)
		flags |= DT_F_EOF;
	if (ret < 0) {
		count_error(ts->rw.where.dev, ts->rw.op, -ret);
		why |= DT_EV_ERROR;
	} else if (v == DT_FAIL) {
		why |= DT_EV_SHORT | DT_EV_CHECK;
		chk |= 1U << DT_CHK_RW_COMPLETE;
	}
	verdict(st, DT_CHK_RW_COMPLETE, v);
	file_rw(ts->rw.where.dev, ts->rw.ino, ts->rw.op, ret, ts->rw.shorts);

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	e = ev_new(ts->rw.op, ts->rw.where.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = chk;
	e->flags = flags | (timed ? 0 : DT_F_NO_LAT);
	e->pos = ts->rw.pos;
	e->asked = ts->rw.asked;
	e->ret = ret;
	e->ino = ts->rw.ino;
	e->isize = isize ? isize : rw_isize(ts);
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * fentry/fexit read kernel memory with plain loads through their typed
 * arguments; the kprobe pair needs a helper call for each field.
 */
static __always_inline int rw_fentry(struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = iocb->ki_filp->f_inode;

	return rw_entry(inode, inode->i_ino, inode_dev_btf(inode), iocb->ki_pos,
			iter->count, iter_dir_btf(iter));
}

static __always_inline int rw_kprobe(struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = BPF_CORE_READ(iocb, ki_filp, f_inode);

	return rw_entry(inode, BPF_CORE_READ(inode, i_ino), inode_dev(inode),
			BPF_CORE_READ(iocb, ki_pos), BPF_CORE_READ(iter, count),
			iter_dir(iter));
}

/* fexit and kretprobe alike: what the exit needs of the file, the entry kept */
static __always_inline int rw_return(__s64 ret)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->rw.active)
		return 0;
	rw_exit(ts, ret);
	return 0;
}

#endif /* __DT_RW_BPF_H */
