// SPDX-License-Identifier: GPL-2.0
/*
 * The bare tracer: the least a tracer of daxtrace's hooks must do for
 * what daxtrace exists for, with none of its other work. Per device, the
 * read's latency and length histograms (its device and start time kept
 * in the thread's slot, unowned; each bucket one atomic add in a global
 * array, fewer instructions than a per-CPU map's look-up); *kaddr read
 * and the RFC's check, one counter; a copy's completeness, one counter;
 * the driver's exit empty. Section 1 runs it with daxtrace's default
 * hooks (row k) and with --telemetry's, which keep only the histograms
 * (row j); section 7 beside the parts. Its cost over a floor is a lower
 * bound for that mode's. fentry/fexit or kprobes, as daxtrace takes them.
 */
#include "common.bpf.h"

__u64 bare_count[2];
__u64 bare_hist[2][64];	/* the mask below bounds the index */

/* The thread's slot, unowned: the read's device and start time */
static __always_inline struct tstate *bare_slot(void)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

static __always_inline int rw_start(__u32 dev)
{
	struct tstate *ts = bare_slot();

	if (ts) {
		ts->rw.where.dev = dev;
		ts->rw.start_ns = bpf_ktime_get_ns();
	}
	return 0;
}

static __always_inline int rw_end(__s64 ret)
{
	struct tstate *ts = bare_slot();
	__u64 lat;

	if (!ts || !ts->rw.start_ns)
		return 0;
	lat = bpf_ktime_get_ns() - ts->rw.start_ns;
	bench_sink = ts->rw.where.dev;
	__sync_fetch_and_add(&bare_hist[0][dt_log2_slot(lat) & 63], 1);
	__sync_fetch_and_add(&bare_hist[1][dt_log2_slot(ret > 0 ? ret : 0) & 63], 1);
	return 0;
}

static __always_inline int da_end(__u64 kaddrp, __s64 ret)
{
	__u64 kaddr = 0;

	if (ret > 0 && kaddrp)
		bpf_probe_read_kernel(&kaddr, sizeof(kaddr), (void *)kaddrp);
	if (dt_check_kaddr_kernel(kaddrp != 0, ret, kaddr, kernel_half) ==
	    DT_FAIL)
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
	return rw_start(inode_dev_btf(iocb->ki_filp->f_inode));
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return rw_end(ret);
}

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw_t, struct kiocb *iocb)
{
	return rw_start(inode_dev_btf(iocb->ki_filp->f_inode));
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw_t, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return rw_end(ret);
}

SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	__u64 kaddrp = 0;

	bpf_get_func_arg(ctx, 4, &kaddrp);
	return da_end(kaddrp, ret);
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
	return copy_end(bytes, ret);
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_copy_from, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_end(bytes, ret);
}

/* ---- kprobes: what the exit needs, kept at entry in the slot --------- */

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw, struct kiocb *iocb)
{
	return rw_start(inode_dev(BPF_CORE_READ(iocb, ki_filp, f_inode)));
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw, long ret)
{
	return rw_end(ret);
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw_t, struct kiocb *iocb)
{
	return rw_start(inode_dev(BPF_CORE_READ(iocb, ki_filp, f_inode)));
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw_t, long ret)
{
	return rw_end(ret);
}

SEC("kprobe/dax_direct_access")
int kp_da(struct pt_regs *ctx)
{
	struct tstate *ts = bare_slot();

	if (ts)
		ts->da.call.kaddrp = PT_REGS_PARM5(ctx);
	return 0;
}

SEC("kretprobe/dax_direct_access")
int BPF_KRETPROBE(kr_da, long ret)
{
	struct tstate *ts = bare_slot();

	return ts ? da_end(ts->da.call.kaddrp, ret) : 0;
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
	return copy_start(bytes);
}

SEC("kretprobe/dax_copy_from_iter")
int BPF_KRETPROBE(kr_copy_from, long ret)
{
	return copy_ret(ret);
}
