/* SPDX-License-Identifier: GPL-2.0 */
/* The DAX fault handlers: dax_iomap_fault (fs-dax), dev_dax_huge_fault. */
#ifndef __DT_FAULT_BPF_H
#define __DT_FAULT_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"
#include "files.bpf.h"

struct fsz_result {
	__u32 best;	/* the largest size that could map the fault */
	__u32 why;	/* DT_FSZ_*: the reason to report */
};

/*
 * fault.size's verdict. Global, so the verifier checks it once, where
 * inlined each of its ways out (a verdict and a reason, constants) kept
 * the fault's accounting apart down to the end, verified once per way;
 * its results come back unknown, and the paths after it merge.
 */
__noinline __u32 fault_size_check(const struct dt_fault_geom *g, __u32 size,
				  __u32 ret, struct fsz_result *r)
{
	if (!g || !r)
		return DT_NA;
	return dt_fault_size_verdict(g, size, ret, &r->best, &r->why);
}

/*
 * geom: fault.size's inputs, or NULL where they were not read (the
 * tracepoint fallback): the check is then n/a.
 */
static __always_inline void fault_account(const struct where *w, __u32 size,
					  __u32 ret, __u64 pgoff, __u64 ino,
					  __u64 lat, bool lat_ok, __u32 seq,
					  const struct dt_fault_geom *geom)
{
	__u32 why = 0, flags = 0, err = ret & DT_VMF_ERROR;
	struct fsz_result fsz = {};
	__u32 v = DT_NA;
	__u32 res = dt_fault_result(ret);
	__u64 bytes = dt_fault_bytes(size);
	struct dt_stats *st;
	struct dt_event *e;

	if (!w->wanted)
		return;
	st = stats_at(w->slot, DT_OP_FAULT);
	if (st) {
		/* this CPU's: plain adds (see stats in maps.bpf.h) */
		st->bytes_req += dt_fault_asked(res, size);
		if (lat_ok) {
			st->lat_sum_ns += lat;
			hist_add(st, st->lat_hist, lat);
		}
		*dt_fault_counter(st, res, size) += 1;
		if (res == DT_FAULT_RES_DONE) {
			st->bytes_done += bytes;
			hist_add(st, st->len_hist, bytes);
		}
	}
	if (geom) {
		v = fault_size_check(geom, size, ret, &fsz);
		/*
		 * clang knows the global function's range and may drop
		 * verdict()'s bound; the verifier knows nothing of it
		 */
		barrier_var(v);
		flags |= DT_F_FSZ;
	}
	verdict(st, DT_CHK_FAULT_SIZE, v);
	if (v == DT_FAIL)
		why |= DT_EV_CHECK;
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
	if (v == DT_FAIL)
		e->check_fail = 1U << DT_CHK_FAULT_SIZE;
	if (geom) {
		e->vm_start = geom->vm_start;
		e->vm_end = geom->vm_end;
		e->address = geom->address;
		e->best = fsz.best;
		e->size_why = fsz.why;
	}
	bpf_ringbuf_submit(e, 0);
}

/* pe: the handler's size argument, as dt_fault_size() takes it */
static __always_inline int fault_entry(struct vm_fault *vmf, __u32 pe)
{
	struct fault_state *f;
	struct inode *inode;
	struct tstate *ts;
	__u64 *align, vma, pmd = 0;
	__u32 dev;

	ts = ts_enter();
	if (!ts)
		return 0;
	f = &ts->fault;
	inode = BPF_CORE_READ(vmf, vma, vm_file, f_inode);
	dev = inode_dev(inode);
	f->active = 1;
	where_dev_cached(ts, &f->where, dev);
	f->pgoff = BPF_CORE_READ(vmf, pgoff);
	f->ino = BPF_CORE_READ(inode, i_ino);
	f->size = dt_fault_size(pe);
	/* device-dax's rule is its character device's: not fs-dax on it (fsdev) */
	align = NULL;
	f->chr = (BPF_CORE_READ(inode, i_mode) & 00170000) == 0020000;
	if (f->chr)
		align = bpf_map_lookup_elem(&dev_align, &dev);
	vma = fault_geom(vmf, inode, align ? *align : 0, &f->geom);
	if (f->size == DT_FAULT_PTE)
		pmd = fault_pmd_entry(vmf);
	dt_fault_blocked(&f->geom, f->size, pmd, vma, f->fb_vma, f->fb_start,
			 f->fb_size);
	f->fb_vma = vma;
	ts->seq++;
	ts->fault.start_ns = now();
	return 0;
}

/* Remember a fallback: the smaller fault after it at that place is its sequel. */
static __always_inline void fault_fell(struct fault_state *f, __u32 ret)
{
	__u64 bytes = dt_fault_bytes(f->size);

	if (dt_fault_result(ret) != DT_FAULT_RES_FALLBACK) {
		f->fb_size = 0;
		return;
	}
	f->fb_size = f->size;
	f->fb_start = f->geom.address & ~(bytes - 1);
}

/* Global: verified once per program, not once per path into it; a fault is rare. */
__noinline int fault_done(struct tstate *ts, __u32 ret)
{
	if (!ts)
		return 0;
	ts->fault.active = 0;
	fault_account(&ts->fault.where, ts->fault.size, ret, ts->fault.pgoff,
		      ts->fault.ino, now() - ts->fault.start_ns, true, ts->seq,
		      &ts->fault.geom);
	fault_fell(&ts->fault, ret);
	/* device-dax's inode is its character device's, not a file */
	if (ts->fault.where.wanted && !ts->fault.chr)
		file_fault(ts->fault.where.dev, ts->fault.ino, ts->fault.size, ret);
	return 0;
}

static __always_inline int fault_exit(__u32 ret)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->fault.active)
		return 0;
	fault_done(ts, ret);
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
	fault_account(&w, size, result, pgoff, ino, 0, false, 0, NULL);
	if (w.wanted)
		file_fault(dev, ino, size, result);
	return 0;
}

#endif /* __DT_FAULT_BPF_H */
