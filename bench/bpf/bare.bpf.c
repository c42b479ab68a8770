// SPDX-License-Identifier: GPL-2.0
/*
 * Bench section 7's bare tracer: the least a tracer of daxtrace's hooks
 * must do to give the read's latency histogram and the RFC's kaddr
 * check, the two things daxtrace exists for, with none of its other work:
 * the thread's start time in its slot, unowned; one histogram; *kaddr
 * read and checked, one counter; a copy's completeness, one counter; the
 * driver's exit empty. Its cost over the floor is a lower bound for the
 * default mode's.
 */
#include "common.bpf.h"

__u64 bare_count[2];

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;
	struct tstate *ts = bpf_map_lookup_elem(&tfast, &i);

	if (ts)
		ts->rw.start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;
	struct tstate *ts = bpf_map_lookup_elem(&tfast, &i);
	struct dt_stats *st;

	if (!ts || !ts->rw.start_ns)
		return 0;
	st = stats_at(0, DT_OP_READ);
	if (st)
		hist_add(st, st->lat_hist, bpf_ktime_get_ns() - ts->rw.start_ns);
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
