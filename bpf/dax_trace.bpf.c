// SPDX-License-Identifier: GPL-2.0
/*
 * daxtrace BPF side: the DAX I/O path from dax_iomap_rw down to the copy
 * routines, and the DAX fault handlers. The handlers, one per meaning,
 * are in the headers by operation; here each attach method (fentry/fexit,
 * kprobe/kretprobe, tracepoint) is a thin wrapper that calls its handler,
 * and user space switches off the ones this kernel cannot use. Programs
 * are named METHOD_TARGET: fe/fx fentry/fexit, kp/kr kprobe/kretprobe,
 * tp/rt tracepoint/raw tracepoint.
 *
 * Counting happens in maps; only anomalies (and --snoop) cross the ring
 * buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "core.bpf.h"
#include "maps.bpf.h"
#include "tstate.bpf.h"
#include "account.bpf.h"
#include "rw.bpf.h"
#include "iter.bpf.h"
#include "direct_access.bpf.h"
#include "copy.bpf.h"
#include "fault.bpf.h"
#include "telemetry.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- dax_iomap_rw ------------------------------------------------------ */

SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw, struct kiocb *iocb, struct iov_iter *iter)
{
	return rw_fentry(iocb, iter);
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return rw_return(ret);
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw, struct kiocb *iocb, struct iov_iter *iter)
{
	return rw_kprobe(iocb, iter);
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw, long ret)
{
	return rw_return(ret);
}

/* --telemetry's: no thread state but a word, no checks, no events */
SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw_t)
{
	return tel_rw_entry();
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw_t, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	return tel_rw_exit(iocb, iter, ret);
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw_t, struct kiocb *iocb, struct iov_iter *iter)
{
	return tel_rw_kprobe(iocb, iter);
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw_t, long ret)
{
	return tel_rw_kretprobe(ret);
}

/* ---- dax_iomap_iter and the iomap_iter tracepoint (--deep) ------------- */

SEC("fentry/dax_iomap_iter")
int BPF_PROG(fe_iter, struct iomap_iter *it)
{
	return iter_entry(it);
}

SEC("fexit/dax_iomap_iter")
int BPF_PROG(fx_iter, struct iomap_iter *it, struct iov_iter *iter, long ret)
{
	return iter_exit(ret);
}

SEC("kprobe/dax_iomap_iter")
int BPF_KPROBE(kp_iter, struct iomap_iter *it)
{
	return iter_entry(it);
}

SEC("kretprobe/dax_iomap_iter")
int BPF_KRETPROBE(kr_iter, long ret)
{
	return iter_exit(ret);
}

SEC("raw_tp/iomap_iter")
int BPF_PROG(rt_iomap_iter, struct iomap_iter *it)
{
	return iter_tracepoint(it);
}

/* ---- dax_direct_access ------------------------------------------------- */

SEC("fentry/dax_direct_access")
int BPF_PROG(fe_da)
{
	da_entry();
	return 0;
}

/* kaddr_ is never read (da_fexit() asks bpf_get_func_arg()): no load */
SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	return da_fexit(ctx, dd, pgoff, nr_pages, pfn, ret);
}

SEC("kprobe/dax_direct_access")
int kp_da(struct pt_regs *ctx)
{
	return da_kprobe(ctx);
}

SEC("kretprobe/dax_direct_access")
int BPF_KRETPROBE(kr_da, long ret)
{
	return da_kretprobe(ret);
}

/*
 * The drivers' ->direct_access (pmem, fsdev, device-dax), whose raw
 * return shows what dax_direct_access clamped: only the return matters,
 * so no entry program. The fexit programs get their target at load, from
 * the target table; a kretprobe has no arguments, so the next
 * direct_access exit takes its value as is.
 */
SEC("fexit")
int BPF_PROG(fx_drv_pmem, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_exit((__u64)dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_pmem, long ret)
{
	return drv_exit(0, 0, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv_fsdev, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_exit((__u64)dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_fsdev, long ret)
{
	return drv_exit(0, 0, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv_devdax, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_exit((__u64)dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_devdax, long ret)
{
	return drv_exit(0, 0, ret);
}

/* ---- dax_copy_to_iter / dax_copy_from_iter ----------------------------- */

SEC("fentry/dax_copy_to_iter")
int BPF_PROG(fe_copy_to)
{
	copy_entry();
	return 0;
}

SEC("fexit/dax_copy_to_iter")
int BPF_PROG(fx_copy_to, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_fexit(DT_OP_COPY_TO_ITER, dd, pgoff, addr, bytes, i, ret);
}

SEC("kprobe/dax_copy_to_iter")
int BPF_KPROBE(kp_copy_to, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes, struct iov_iter *i)
{
	return copy_kprobe(DT_OP_COPY_TO_ITER, dd, pgoff, addr, bytes, i);
}

SEC("kretprobe/dax_copy_to_iter")
int BPF_KRETPROBE(kr_copy_to, long ret)
{
	return copy_kretprobe(ret);
}

SEC("fentry/dax_copy_from_iter")
int BPF_PROG(fe_copy_from)
{
	copy_entry();
	return 0;
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_copy_from, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_fexit(DT_OP_COPY_FROM_ITER, dd, pgoff, addr, bytes, i, ret);
}

SEC("kprobe/dax_copy_from_iter")
int BPF_KPROBE(kp_copy_from, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes, struct iov_iter *i)
{
	return copy_kprobe(DT_OP_COPY_FROM_ITER, dd, pgoff, addr, bytes, i);
}

SEC("kretprobe/dax_copy_from_iter")
int BPF_KRETPROBE(kr_copy_from, long ret)
{
	return copy_kretprobe(ret);
}

/* ---- --deep: which copy routine ran, from its return ------------------- */

SEC("fexit/_copy_to_iter")
int BPF_PROG(fx_var_copy, const void *addr, size_t bytes,
	     struct iov_iter *i, size_t ret)
{
	return variant_exit(DT_VAR_COPY_TO_ITER);
}

SEC("kretprobe/_copy_to_iter")
int BPF_KRETPROBE(kr_var_copy, long ret)
{
	return variant_exit(DT_VAR_COPY_TO_ITER);
}

SEC("fexit/_copy_mc_to_iter")
int BPF_PROG(fx_var_copy_mc, const void *addr, size_t bytes,
	     struct iov_iter *i, size_t ret)
{
	return variant_exit(DT_VAR_COPY_MC_TO_ITER);
}

SEC("kretprobe/_copy_mc_to_iter")
int BPF_KRETPROBE(kr_var_copy_mc, long ret)
{
	return variant_exit(DT_VAR_COPY_MC_TO_ITER);
}

SEC("fexit/copy_mc_to_user")
int BPF_PROG(fx_var_mc_user, void *to, const void *from, unsigned int len,
	     unsigned long ret)
{
	return mc_user_exit();
}

SEC("kretprobe/copy_mc_to_user")
int BPF_KRETPROBE(kr_var_mc_user, long ret)
{
	return mc_user_exit();
}

/* ---- a thread's exit: its slot is free again --------------------------- */

SEC("raw_tp/sched_process_exit")
int BPF_PROG(rt_thread_exit)
{
	ts_thread_exit();
	return 0;
}

/* ---- faults: dax_iomap_fault (fs-dax), dev_dax_huge_fault (device-dax) - */

SEC("fentry/dax_iomap_fault")
int BPF_PROG(fe_fault, struct vm_fault *vmf, unsigned int pe)
{
	return fault_entry(vmf, pe);
}

SEC("fexit/dax_iomap_fault")
int BPF_PROG(fx_fault)
{
	return fault_fexit(ctx);
}

/* --telemetry: the exit alone, its size argument and result */
SEC("fexit/dax_iomap_fault")
int BPF_PROG(fx_fault_t, struct vm_fault *vmf, unsigned int pe)
{
	return tel_fault_exit(ctx, vmf, pe);
}

SEC("kprobe/dax_iomap_fault")
int BPF_KPROBE(kp_fault, struct vm_fault *vmf, unsigned int pe)
{
	return fault_entry(vmf, pe);
}

SEC("kretprobe/dax_iomap_fault")
int BPF_KRETPROBE(kr_fault, unsigned int ret)
{
	return fault_exit(ret);
}

SEC("fentry/dev_dax_huge_fault")
int BPF_PROG(fe_devfault, struct vm_fault *vmf, unsigned int pe)
{
	return fault_entry(vmf, pe);
}

SEC("fexit/dev_dax_huge_fault")
int BPF_PROG(fx_devfault)
{
	return fault_fexit(ctx);
}

SEC("fexit/dev_dax_huge_fault")
int BPF_PROG(fx_devfault_t, struct vm_fault *vmf, unsigned int pe)
{
	return tel_fault_exit(ctx, vmf, pe);
}

SEC("kprobe/dev_dax_huge_fault")
int BPF_KPROBE(kp_devfault, struct vm_fault *vmf, unsigned int pe)
{
	return fault_entry(vmf, pe);
}

SEC("kretprobe/dev_dax_huge_fault")
int BPF_KRETPROBE(kr_devfault, unsigned int ret)
{
	return fault_exit(ret);
}

SEC("tracepoint/fs_dax/dax_pte_fault_done")
int tp_pte_done(struct trace_event_raw_dax_pte_fault_class *ctx)
{
	return fault_tracepoint(ctx->dev, DT_FAULT_PTE, ctx->result, ctx->pgoff,
				ctx->ino);
}

SEC("tracepoint/fs_dax/dax_pmd_fault_done")
int tp_pmd_done(struct trace_event_raw_dax_pmd_fault_class *ctx)
{
	return fault_tracepoint(ctx->dev, DT_FAULT_PMD, ctx->result, ctx->pgoff,
				ctx->ino);
}
