/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every bench BPF object shares: the product's maps and helpers,
 * and, under the product's names (src/targets.c names each program
 * through the skeleton), every program a 4 KiB read does not run. Those
 * are empty but the fault programs, which keep the product's bodies: an
 * empty build still loads and verifies what daxtrace loads beside the
 * read path. Each bench object defines the read path's own programs:
 * fe_rw, fx_rw, fx_da, fx_drv_*, fx_copy_to and fx_copy_from.
 *
 * Not a tracer: nothing here is installed or built by `make`.
 */
#ifndef __DT_BENCH_COMMON_BPF_H
#define __DT_BENCH_COMMON_BPF_H

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
#include "direct_access.bpf.h"
#include "fault.bpf.h"
#include "telemetry.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Where a part's result goes, so that the compiler keeps the work. */
__u64 bench_sink;

SEC("fentry/dax_iomap_iter")
int BPF_PROG(fe_iter) { return 0; }
SEC("fexit/dax_iomap_iter")
int BPF_PROG(fx_iter) { return 0; }
SEC("kprobe/dax_iomap_iter")
int BPF_KPROBE(kp_iter) { return 0; }
SEC("kretprobe/dax_iomap_iter")
int BPF_KRETPROBE(kr_iter) { return 0; }
SEC("raw_tp/iomap_iter")
int BPF_PROG(rt_iomap_iter) { return 0; }

SEC("fentry/dax_direct_access")
int BPF_PROG(fe_da) { return 0; }

/* the product's: a thread's slot is free again when it exits */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(rt_thread_exit)
{
	ts_thread_exit();
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_pmem) { return 0; }
SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_fsdev) { return 0; }
SEC("kretprobe")
int BPF_KRETPROBE(kr_drv_devdax) { return 0; }

SEC("fentry/dax_copy_to_iter")
int BPF_PROG(fe_copy_to) { return 0; }
SEC("fentry/dax_copy_from_iter")
int BPF_PROG(fe_copy_from) { return 0; }

SEC("fexit/_copy_to_iter")
int BPF_PROG(fx_var_copy) { return 0; }
SEC("kretprobe/_copy_to_iter")
int BPF_KRETPROBE(kr_var_copy) { return 0; }
SEC("fexit/_copy_mc_to_iter")
int BPF_PROG(fx_var_copy_mc) { return 0; }
SEC("kretprobe/_copy_mc_to_iter")
int BPF_KRETPROBE(kr_var_copy_mc) { return 0; }
SEC("fexit/copy_mc_to_user")
int BPF_PROG(fx_var_mc_user) { return 0; }
SEC("kretprobe/copy_mc_to_user")
int BPF_KRETPROBE(kr_var_mc_user) { return 0; }

/* the fault programs: the product's handlers */
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

/*
 * --telemetry's fault programs: the product's handlers, as the other
 * fault programs. Each object defines fe_rw_t and fx_rw_t, the read's.
 */
SEC("fexit/dax_iomap_fault")
int BPF_PROG(fx_fault_t, struct vm_fault *vmf, unsigned int pe)
{
	return tel_fault_exit(ctx, vmf, pe);
}

SEC("fexit/dev_dax_huge_fault")
int BPF_PROG(fx_devfault_t, struct vm_fault *vmf, unsigned int pe)
{
	return tel_fault_exit(ctx, vmf, pe);
}

#endif /* __DT_BENCH_COMMON_BPF_H */
