/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dax_copy_to_iter / dax_copy_from_iter: the copy between the device and
 * the caller's iterator; with --deep, the copy routine that ran.
 */
#ifndef __DT_COPY_BPF_H
#define __DT_COPY_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"
#include "direct_access.bpf.h"

#define DT_VM_READ	0x1
#define DT_VM_WRITE	0x2

/* The flag bits as this kernel numbers them, from CO-RE. */
static __always_inline __u32 copy_variant(__u32 op, unsigned long flags)
{
	return dt_copy_variant(op, flags,
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_ALIVE),
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_NOCACHE),
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_NOMC));
}

/* The same through the thread's last answer: a device's flags seldom change. */
static __always_inline __u32 copy_variant_cached(struct tstate *ts, __u32 op,
						 unsigned long flags)
{
	if (flags != ts->vc.flags || op != ts->vc.op) {
		ts->vc.flags = flags;
		ts->vc.op = op;
		ts->vc.variant = copy_variant(op, flags);
	}
	return ts->vc.variant;
}

struct vma_probe {
	__u64 need;	/* DT_VM_WRITE for copies to user, DT_VM_READ from user */
	__u64 ok;
};

/*
 * bpf_find_vma()'s callback. The task is declared void *: a struct
 * task_struct * in a function's prototype puts the whole task_struct
 * graph into the object's BTF, which the kernel then checks at every
 * load; reached only through struct members it stays a forward
 * declaration.
 */
static long vma_cb(void *task, struct vm_area_struct *vma, struct vma_probe *p)
{
	p->ok = (BPF_CORE_READ(vma, vm_flags) & p->need) == p->need;
	return 0;
}

/*
 * Was the copy stopped by the user side (unmapped / protected byte)?
 * Global: copy_done()'s paths reach it eight ways, each verified again
 * when inlined; a short copy is rare, so the call costs nothing per read.
 */
__noinline __u32 short_side(__u32 op, __u64 iter_addr, __u64 *uaddr)
{
	struct iov_iter *iter = (struct iov_iter *)iter_addr;
	struct vma_probe p = {};

	if (!uaddr)
		return DT_SIDE_UNKNOWN;
	*uaddr = iter_user_pos(iter);
	if (!*uaddr)	/* kernel memory: no user side to blame */
		return DT_SIDE_UNKNOWN;
	p.need = op == DT_OP_COPY_TO_ITER ? DT_VM_WRITE : DT_VM_READ;
	if (bpf_find_vma(bpf_get_current_task_btf(), *uaddr, vma_cb, &p, 0))
		return DT_SIDE_USER;	/* no VMA there at all */
	return p.ok ? DT_SIDE_SOURCE : DT_SIDE_USER;
}

/*
 * The kaddr a copy's addr came from, into last_da as if read there: addr
 * less pos's offset into its page, pos being where the read/write is:
 * what it asked, less what its iterator has left and this copy moved.
 * Global, as kaddr_judge().
 */
__noinline int copy_kaddr(struct tstate *ts, __u64 addr, __u64 iter, __s64 ret)
{
	struct iov_iter *it = (struct iov_iter *)iter;
	__u64 done;

	if (!ts)
		return 0;
	done = ts->rw.asked - BPF_CORE_READ(it, count) - (ret > 0 ? ret : 0);
	ts->last_da.kaddr = addr - ((ts->rw.pos + done) & ((1ULL << DT_PAGE_SHIFT) - 1));
	ts->last_da.read_flags |= DT_F_KADDR;
	return 0;
}

/*
 * The verdict on a kaddr whose copy's addr lies less than a page into
 * the kernel half or below it: rare, so global (verified once, not in
 * each copy exit), and the direct_access's event when it fails.
 */
__noinline int kaddr_judge(struct tstate *ts, __u64 addr, __u64 iter, __s64 ret,
			   __u32 dev)
{
	__s64 drv_ret = 0;
	struct dt_stats *st;
	__u32 got;

	if (!ts)
		return 0;
	copy_kaddr(ts, addr, iter, ret);
	if (dt_check_kaddr_kernel(1, ts->last_da.ret, ts->last_da.kaddr,
				  kernel_half) != DT_FAIL)
		return 0;
	ts->last_da.failed_checks |= 1U << DT_CHK_DA_KADDR_KERNEL;
	/* not this program's entry: see kaddr_unjudged() */
	st = stats_at(ts->last_da.slot, DT_OP_DIRECT_ACCESS);
	if (st)
		__sync_fetch_and_add(&st->chk[DT_CHK_DA_KADDR_KERNEL][DT_FAIL], 1);
	got = drv_take(ts, ts->drv.seen, ts->last_da.daxdev, ts->last_da.pgoff,
		       &drv_ret);
	ts->drv.seen = 0;
	da_send(ts, dev, DT_EV_CHECK, ts->last_da.failed_checks,
		ts->last_da.read_flags | got | ts->last_da.lat_flag,
		ts->last_da.lat, drv_ret);
	return 0;
}

/*
 * The kaddr_kernel verdict of the direct_access this copy's addr came
 * from (same device and pgoff), which its exit left to it. A pass is
 * usual and not counted, so only an addr less than a page into the
 * kernel half needs the kaddr itself worked out.
 */
static __always_inline void kaddr_at_copy(struct tstate *ts, const struct copy_call *c,
					  __s64 ret, __u32 dev)
{
	if (c->daxdev != ts->last_da.daxdev || c->pgoff != ts->last_da.pgoff) {
		kaddr_unjudged(ts);
		return;
	}
	ts->last_da.kaddr_at = DA_KADDR_COPY;
	if (c->addr < kernel_half + (1ULL << DT_PAGE_SHIFT))
		kaddr_judge(ts, c->addr, c->iter, ret, dev);
}

_Static_assert(DT_VAR_MAX <= 8, "copy_done() masks a variant with 7");

/*
 * Inlined: a call costs a prologue and the arguments' stores per copy.
 * Its callers hand it the call as stored in ts, so what it reads back
 * are numbers whose values the verifier does not know: typed pointers
 * or constants would split its paths, each verified to the end.
 */
static __always_inline int copy_done(struct tstate *ts, const struct copy_call *c,
				     __s64 ret, __u64 lat, __u32 lat_ok)
{
	__u32 why = 0, flags = 0, side = DT_SIDE_NONE, variant, seen;
	struct dt_stats *st;
	struct dt_event *e;
	__u64 uaddr = 0;
	struct where w;

	if (!ts || !c)
		return 0;
	seen = ts->copy.variant_seen;
	ts->copy.variant_seen = 0;
	op_where(ts, c->daxdev, &flags, &w);
	if (!w.wanted)
		return 0;
	if (ts->last_da.kaddr_at == DA_KADDR_WAIT)
		kaddr_at_copy(ts, c, ret, w.dev);
	variant = c->variant;

	if ((__u64)ret < c->bytes) {
		ts->copy.side = short_side(c->op, c->iter, &uaddr);
		side = reload_unknown(&ts->copy.side);
		why |= DT_EV_SHORT | DT_EV_CHECK;
		/* its read/write's file row takes it at that op's exit */
		if (ts->rw.active)
			ts->rw.shorts++;
	}
	st = stats_at(w.slot, c->op);
	if (st) {
		account(ts, st, c->bytes, ret, lat, lat_ok);
		if (variant < DT_VAR_MAX) {
			__u32 i = variant;

			/*
			 * As for side below: clang may check a copy spilled
			 * to the stack and index with one filled from it,
			 * whose bound the verifier has lost. The mask, a
			 * no-op here, bounds it.
			 */
			barrier_var(i);
			st->variant[i & 7] += 1;
		}
		if (side && side < 4) {
			__u32 i = side;

			/* clang checks one copy, indexes with another */
			barrier_var(i);
			st->short_side[i & 3] += 1;
		}
	}
	verdict(st, DT_CHK_COPY_COMPLETE, dt_check_copy(c->bytes, ret));

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	/* the event's only: not worked out for a copy that sends none */
	if (ts->last_da.kaddr_at == DA_KADDR_COPY && !ts->last_da.kaddr)
		copy_kaddr(ts, c->addr, c->iter, ret);
	if (ts->last_da.valid && ts->last_da.kaddr &&
	    c->addr >= ts->last_da.kaddr &&
	    c->addr < ts->last_da.kaddr + ((__u64)ts->last_da.ret << DT_PAGE_SHIFT)) {
		/* last_da.kaddr is 0 unless it was read */
		flags |= DT_F_DA_LINKED | DT_F_KADDR;
		if (ts->last_da.failed_checks & (1U << DT_CHK_DA_KADDR_KERNEL))
			flags |= DT_F_KADDR_BAD;
	}
	e = ev_new(c->op, w.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = (why & DT_EV_CHECK) ? 1U << DT_CHK_COPY_COMPLETE : 0;
	e->flags = flags | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = c->pgoff;
	e->asked = c->bytes;
	e->ret = ret;
	e->addr = c->addr;
	e->user_addr = uaddr;
	if (uaddr)
		e->flags |= DT_F_UADDR;
	e->variant = seen ? seen : variant;
	e->side = side;
	if (seen)
		e->flags |= DT_F_VAR_MEASURED;
	if (ts->last_da.valid) {
		e->da_pgoff = ts->last_da.pgoff;
		e->da_ret = ts->last_da.ret;
		e->kaddr = ts->last_da.kaddr;
		e->pfn = ts->last_da.pfn;
	}
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * Entering a copy: the start time if timed, and copy.active, which the
 * --deep copy routine probes need. fentry mode attaches it only for --deep.
 */
static __always_inline struct tstate *copy_entry(void)
{
	struct tstate *ts = ts_inner();

	if (!ts)
		return NULL;
	ts->copy.active = 1;
	ts->copy.variant_seen = 0;
	if (timed)
		ts->copy.start_ns = now();
	return ts;
}

static __always_inline int copy_fexit(__u32 op, struct dax_device *dd,
				      __u64 pgoff, void *addr, __u64 bytes,
				      struct iov_iter *iter, __s64 ret)
{
	struct tstate *ts = ts_inner();
	struct copy_call *c;
	__u64 lat = 0;
	bool lat_ok;

	if (!ts)
		return 0;
	lat_ok = deep_entries && took_start(&ts->copy.active, ts->copy.start_ns, &lat);
	c = &ts->copy.call;
	c->daxdev = (__u64)dd;
	c->pgoff = pgoff;
	c->addr = (__u64)addr;
	c->bytes = bytes;
	c->iter = (__u64)iter;
	c->op = op;
	c->variant = copy_variant_cached(ts, op, dd->flags);
	barrier();	/* read back as numbers: see copy_done() */
	copy_done(ts, c, ret, lat, lat_ok);
	return 0;
}

static __always_inline int copy_kprobe(__u32 op, struct dax_device *dd,
				       __u64 pgoff, void *addr, __u64 bytes,
				       struct iov_iter *iter)
{
	struct tstate *ts = copy_entry();

	if (!ts)
		return 0;
	ts->copy.call.op = op;
	ts->copy.call.daxdev = (__u64)dd;
	ts->copy.call.pgoff = pgoff;
	ts->copy.call.addr = (__u64)addr;
	ts->copy.call.bytes = bytes;
	ts->copy.call.iter = (__u64)iter;
	return 0;
}

static __always_inline int copy_kretprobe(__s64 ret)
{
	struct tstate *ts = ts_get();
	struct dax_device *dd;
	__u64 lat = 0;

	if (!ts || !took_start(&ts->copy.active, ts->copy.start_ns, &lat))
		return 0;
	dd = (struct dax_device *)ts->copy.call.daxdev;
	ts->copy.call.variant = copy_variant_cached(ts, ts->copy.call.op,
						    BPF_CORE_READ(dd, flags));
	copy_done(ts, &ts->copy.call, ret, lat, timed);
	return 0;
}

/*
 * --deep: the copy routines' returns. They run for all I/O on the
 * machine, so they only record when a dax copy is in flight on this
 * thread.
 */
static __always_inline int variant_exit(__u32 variant)
{
	struct tstate *ts = ts_get();

	if (ts && ts->copy.active)
		ts->copy.variant_seen = variant;
	return 0;
}

/*
 * copy_mc_to_user runs only under _copy_mc_to_iter for user iterators:
 * where _copy_mc_to_iter itself cannot be probed (6.1: notrace), it still
 * proves which variant ran.
 */
static __always_inline int mc_user_exit(void)
{
	struct tstate *ts = ts_get();

	if (ts && ts->copy.active && !ts->copy.variant_seen)
		ts->copy.variant_seen = DT_VAR_COPY_MC_TO_ITER;
	return 0;
}

#endif /* __DT_COPY_BPF_H */
