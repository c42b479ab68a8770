// SPDX-License-Identifier: GPL-2.0
/*
 * Bench section 7's cost model: the read path's programs (fe_rw, fx_rw,
 * fx_da, fx_drv_*, fx_copy_to/from) doing only the parts of daxtrace's
 * default-mode work in BENCH_PARTS, each part through the product's own
 * helpers. A build's instructions per read over the empty build's (parts
 * 0: each program returns at once, the floor) are what those parts cost;
 * what no part covers is the programs' own work (arguments, the checks'
 * predicates, deciding on an event).
 */
#include "common.bpf.h"

#ifndef BENCH_PARTS
#define BENCH_PARTS	0
#endif
#define PART(bit)	(BENCH_PARTS & (bit))
#define PART_SLOT	1	/* the thread's slot: 4 look-ups */
#define PART_KADDR	4	/* the kaddr check, at the copy (its addr argument) */
#define PART_ACCOUNT	8	/* counters and histograms */
#define PART_VERDICT	16	/* check verdict counters */
#define PART_DRV	32	/* the driver's return, via the thread's state (needs SLOT) */
#define PART_WHERE	64	/* the device of direct_access and copy (needs SLOT) */

#if PART(PART_WHERE | PART_DRV) && !PART(PART_SLOT)
#error "PART_WHERE and PART_DRV go through the thread's slot: add PART_SLOT"
#endif

/*
 * The driver's return, taken as da_done() does for an event (it does so
 * only for one, but clears it on every call): the part's cost as if each
 * call sent one.
 */
static __always_inline bool drv_part(struct tstate *ts, const struct da_call *c,
				     __s64 *ret)
{
	__u32 seen;

	if (!ts)
		return false;
	seen = ts->drv.seen;
	ts->drv.seen = 0;
	if (seen && (!ts->drv.daxdev ||
		     (ts->drv.daxdev == c->daxdev && ts->drv.pgoff == c->pgoff))) {
		*ret = ts->drv.ret;
		return true;
	}
	return false;
}

/* A direct_access or copy exit: the thread's state, NULL without SLOT. */
static __always_inline struct tstate *slot_exit(__u64 daxdev)
{
	struct tstate *ts;
	__u32 flags = 0;
	struct where w;

	if (!PART(PART_SLOT))
		return NULL;
	ts = ts_inner();
	if (ts && PART(PART_WHERE)) {
		op_where(ts, daxdev, &flags, &w);
		bench_sink += w.slot;
	}
	return ts;
}

/*
 * The op's counters: the one device slot a bench run uses; ts (with SLOT)
 * for the length bucket cache, as the product's.
 */
static __always_inline void count(struct tstate *ts, __u32 op, __u64 asked, __s64 ret,
				  __u64 lat, bool lat_ok, __u32 nchecks)
{
	struct dt_stats *st;
	__u32 i;

	if (!PART(PART_ACCOUNT | PART_VERDICT))
		return;
	st = stats_at(0, op);
	if (!st)
		return;
	if (PART(PART_ACCOUNT))
		account(ts, st, asked, ret, lat, lat_ok);
	if (PART(PART_VERDICT))
		for (i = 0; i < nchecks; i++)
			verdict(st, i, DT_PASS);
}

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw, struct kiocb *iocb, struct iov_iter *iter)
{
	struct tstate *ts;

	if (PART(PART_SLOT)) {
		ts = ts_enter();
		if (ts)
			ts->rw.active = 1;
	}
	return 0;
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	struct tstate *ts = NULL;

	if (PART(PART_SLOT)) {
		ts = ts_get();
		if (ts && ts->rw.active)
			ts->rw.active = 0;
	}
	/* the default mode does not time a read (timed: --deep, --snoop) */
	count(ts, DT_OP_READ, ret, ret, 0, false, 1);
	return 0;
}

SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	struct da_call c = { .daxdev = (__u64)dd, .pgoff = pgoff };
	struct tstate *ts = slot_exit((__u64)dd);
	__s64 drv_ret;

	if (PART(PART_DRV) && drv_part(ts, &c, &drv_ret))
		bench_sink += drv_ret;
	count(ts, DT_OP_DIRECT_ACCESS, nr_pages << DT_PAGE_SHIFT,
	      ret > 0 ? ret << DT_PAGE_SHIFT : ret, 0, false, 3);
	return 0;
}

static __always_inline int drv_fexit(struct dax_device *dd, unsigned long pgoff,
				     long ret)
{
	if (PART(PART_DRV))
		drv_exit((__u64)dd, pgoff, ret);
	return 0;
}

SEC("fexit")
int BPF_PROG(fx_drv_pmem, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv_fsdev, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv_devdax, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

static __always_inline int copy_fexit(__u32 op, struct dax_device *dd, void *addr,
				      __u64 bytes, __s64 ret)
{
	/* the read/write path's kaddr check, made on the copy's address */
	if (PART(PART_KADDR))
		bench_sink += (__u64)addr >= kernel_half + (1ULL << DT_PAGE_SHIFT);
	count(slot_exit((__u64)dd), op, bytes, ret, 0, false, 1);
	return 0;
}

SEC("fexit/dax_copy_to_iter")
int BPF_PROG(fx_copy_to, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_fexit(DT_OP_COPY_TO_ITER, dd, addr, bytes, ret);
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_copy_from, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_fexit(DT_OP_COPY_FROM_ITER, dd, addr, bytes, ret);
}

/*
 * --telemetry's, and the kprobes daxtrace takes on a preemptible kernel:
 * empty (the cost parts are fentry/fexit's), so that with them the empty
 * build is the floor
 */
SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw_t) { return 0; }
SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw_t) { return 0; }
SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw) { return 0; }
SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw_t) { return 0; }
SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw_t) { return 0; }
SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw) { return 0; }
SEC("kprobe/dax_direct_access")
int BPF_KPROBE(kp_da) { return 0; }
SEC("kretprobe/dax_direct_access")
int BPF_KRETPROBE(kr_da) { return 0; }
SEC("kprobe/dax_copy_to_iter")
int BPF_KPROBE(kp_copy_to) { return 0; }
SEC("kretprobe/dax_copy_to_iter")
int BPF_KRETPROBE(kr_copy_to) { return 0; }
SEC("kprobe/dax_copy_from_iter")
int BPF_KPROBE(kp_copy_from) { return 0; }
SEC("kretprobe/dax_copy_from_iter")
int BPF_KRETPROBE(kr_copy_from) { return 0; }
