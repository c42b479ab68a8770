// SPDX-License-Identifier: GPL-2.0
/*
 * Bench section 7's bare tracer: the least a tracer of daxtrace's hooks
 * must do to give the read's latency histogram and the RFC's kaddr
 * check, the two things daxtrace exists for, with none of its other work:
 * the thread's start time in its slot, unowned; one histogram; *kaddr
 * read and checked, one counter; a copy's completeness, one counter; the
 * driver's exit empty. Its cost over the floor is a lower bound for the
 * default mode's.
 *
 * Run with --telemetry, it is the least that profile's read programs
 * must do for its two histograms per device: the read's device and a
 * clock read at entry, kept in the thread's slot; at exit another, and
 * the latency's and the length's log2 buckets each counted with one
 * atomic add in a global array, cheaper in instructions than a per-CPU
 * map's look-up. No counter, no error, no device slot: its cost over
 * --telemetry's floor is a lower bound for that profile's.
 */
#include "common.bpf.h"

__u64 bare_count[2];
__u64 bare_hist[2][64];	/* the mask below bounds the index */

/* The thread's slot, unowned: its start time is all it holds */
static __always_inline struct tstate *bare_slot(void)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

static __always_inline int bare_start(void)
{
	struct tstate *ts = bare_slot();

	if (ts)
		ts->rw.start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw)
{
	return bare_start();
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw)
{
	struct tstate *ts = bare_slot();

	if (ts && ts->rw.start_ns)
		hist_add(DT_OP_READ, DT_HIST_LAT,
			 bpf_ktime_get_ns() - ts->rw.start_ns);
	return 0;
}

SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	__u64 kaddrp = 0, kaddr = 0;

	bpf_get_func_arg(ctx, 4, &kaddrp);
	if (ret > 0 && kaddrp)
		bpf_probe_read_kernel(&kaddr, sizeof(kaddr), (void *)kaddrp);
	if (dt_check_kaddr_kernel(kaddrp != 0, ret, kaddr, kernel_half) ==
	    DT_FAIL)
		__sync_fetch_and_add(&bare_count[0], 1);
	return 0;
}

SEC("fexit")
int BPF_PROG(fx_drv_pmem) { return 0; }
SEC("fexit")
int BPF_PROG(fx_drv_fsdev) { return 0; }
SEC("fexit")
int BPF_PROG(fx_drv_devdax) { return 0; }

static __always_inline int bare_copy_exit(__u64 bytes, __u64 ret)
{
	if (ret < bytes)
		__sync_fetch_and_add(&bare_count[1], 1);
	return 0;
}

SEC("fexit/dax_copy_to_iter")
int BPF_PROG(fx_copy_to, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return bare_copy_exit(bytes, ret);
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_copy_from, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return bare_copy_exit(bytes, ret);
}

/*
 * --telemetry's lower bound: per device, the read's two clock reads and
 * its latency's and length's buckets. fentry/fexit where daxtrace takes
 * them, kprobe/kretprobe where it takes those (both --telemetry's only
 * programs in this build; the default mode's kprobes are not measured).
 */
static __always_inline void bound_start(__u32 dev)
{
	struct tstate *ts = bare_slot();

	if (ts) {
		ts->rw.where.dev = dev;
		ts->rw.start_ns = bpf_ktime_get_ns();
	}
}

static __always_inline int bound_exit(__s64 ret)
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

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw_t, struct kiocb *iocb)
{
	bound_start(inode_dev_btf(iocb->ki_filp->f_inode));
	return 0;
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw_t, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return bound_exit(ret);
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw, struct kiocb *iocb)
{
	bound_start(inode_dev(BPF_CORE_READ(iocb, ki_filp, f_inode)));
	return 0;
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw, long ret)
{
	return bound_exit(ret);
}
