// SPDX-License-Identifier: GPL-2.0
/*
 * The bare tracer: the least a tracer of daxtrace's hooks must do for
 * what daxtrace exists for, with none of its other work. Per device, the
 * read's length histogram (its device kept in the thread's slot,
 * unowned; each bucket one atomic add in a global array, fewer
 * instructions than a per-CPU map's look-up); the RFC's check, made as
 * daxtrace makes it on a read/write, on the copy's address, one counter;
 * a copy's completeness, one counter; the exits of direct_access and the
 * driver empty. Section 1 runs it with daxtrace's default hooks (row k)
 * and with --telemetry's (row j), which also times the read, as that
 * profile does (the default mode does not); section 7 beside the parts.
 * Its cost over a floor is a lower bound for that mode's. fentry/fexit or
 * kprobes, as daxtrace takes them.
 */
#include "common.bpf.h"

__u64 bare_count[2];
__u64 bare_hist[2][64];	/* the mask below bounds the index */

/* The thread's slot, unowned: the read's device and, if timed, start */
static __always_inline struct tstate *bare_slot(void)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

static __always_inline int rw_start(__u32 dev, bool lat)
{
	struct tstate *ts = bare_slot();

	if (ts) {
		ts->rw.where.dev = dev;
		ts->rw.active = 1;
		if (lat)
			ts->rw.start_ns = bpf_ktime_get_ns();
	}
	return 0;
}

static __always_inline int rw_end(__s64 ret, bool lat)
{
	struct tstate *ts = bare_slot();

	if (!ts || !ts->rw.active)
		return 0;
	if (lat)
		__sync_fetch_and_add(&bare_hist[0][dt_log2_slot(bpf_ktime_get_ns() -
								ts->rw.start_ns) & 63], 1);
	bench_sink = ts->rw.where.dev;
	__sync_fetch_and_add(&bare_hist[1][dt_log2_slot(ret > 0 ? ret : 0) & 63], 1);
	return 0;
}

/* the RFC's check: the kaddr a copy is given is a kernel address */
static __always_inline int copy_addr(void *addr)
{
	if ((__u64)addr < kernel_half)
		__sync_fetch_and_add(&bare_count[0], 1);
	return 0;
}

static __always_inline int copy_end(__u64 bytes, __u64 ret)
{
	if (ret < bytes)
		__sync_fetch_and_add(&bare_count[1], 1);
	return 0;
}

/* ---- fentry/fexit ---------------------------------------------------- */

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw, struct kiocb *iocb)
{
	return rw_start(inode_dev_btf(iocb->ki_filp->f_inode), false);
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return rw_end(ret, false);
}

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw_t, struct kiocb *iocb)
{
	return rw_start(inode_dev_btf(iocb->ki_filp->f_inode), true);
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw_t, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return rw_end(ret, true);
}

SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	return 0;
}

SEC("fexit")
int BPF_PROG(fx_drv_pmem) { return 0; }
SEC("fexit")
int BPF_PROG(fx_drv_fsdev) { return 0; }
SEC("fexit")
int BPF_PROG(fx_drv_devdax) { return 0; }

SEC("fexit/dax_copy_to_iter")
int BPF_PROG(fx_copy_to, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	copy_addr(addr);
	return copy_end(bytes, ret);
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_copy_from, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	copy_addr(addr);
	return copy_end(bytes, ret);
}

/* ---- kprobes: what the exit needs, kept at entry in the slot --------- */

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw, struct kiocb *iocb)
{
	return rw_start(inode_dev(BPF_CORE_READ(iocb, ki_filp, f_inode)), false);
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw, long ret)
{
	return rw_end(ret, false);
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw_t, struct kiocb *iocb)
{
	return rw_start(inode_dev(BPF_CORE_READ(iocb, ki_filp, f_inode)), true);
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw_t, long ret)
{
	return rw_end(ret, true);
}

SEC("kprobe/dax_direct_access")
int kp_da(struct pt_regs *ctx)
{
	return 0;
}

SEC("kretprobe/dax_direct_access")
int BPF_KRETPROBE(kr_da, long ret)
{
	return 0;
}

static __always_inline int copy_start(__u64 bytes)
{
	struct tstate *ts = bare_slot();

	if (ts)
		ts->copy.call.bytes = bytes;
	return 0;
}

static __always_inline int copy_ret(__u64 ret)
{
	struct tstate *ts = bare_slot();

	return ts ? copy_end(ts->copy.call.bytes, ret) : 0;
}

SEC("kprobe/dax_copy_to_iter")
int BPF_KPROBE(kp_copy_to, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes)
{
	copy_addr(addr);
	return copy_start(bytes);
}

SEC("kretprobe/dax_copy_to_iter")
int BPF_KRETPROBE(kr_copy_to, long ret)
{
	return copy_ret(ret);
}

SEC("kprobe/dax_copy_from_iter")
int BPF_KPROBE(kp_copy_from, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes)
{
	copy_addr(addr);
	return copy_start(bytes);
}

SEC("kretprobe/dax_copy_from_iter")
int BPF_KRETPROBE(kr_copy_from, long ret)
{
	return copy_ret(ret);
}
