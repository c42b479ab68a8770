// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs used only to ask the kernel, with a real attach, whether a
 * target can be traced by kprobe or tracepoint. Never left attached. (The
 * fentry test loads its two-instruction program directly: src/probe.c.)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("kprobe")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("tracepoint")
int probe_tp(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int probe_raw_tp(void *ctx)
{
	return 0;
}

/*
 * Kernel symbol addresses by name, asked of the kernel (5.16+): reading
 * all of /proc/kallsyms for a handful of names costs a quarter of a
 * second of start-up under emulation. User space fills the names in.
 */
#define KSYM_MAX	24
#define KSYM_LEN	64

struct {
	__u32 n;
	__s32 err;	/* the first error other than -ENOENT (absent) */
	char name[KSYM_MAX][KSYM_LEN];
	__u64 addr[KSYM_MAX];
} ksym_req;

SEC("syscall")
int ksym_lookup(void *ctx)
{
	__u32 i;
	long ret;

	for (i = 0; i < KSYM_MAX && i < ksym_req.n; i++) {
		ret = bpf_kallsyms_lookup_name(ksym_req.name[i], KSYM_LEN, 0,
					       &ksym_req.addr[i]);
		if (ret)
			ksym_req.addr[i] = 0;
		if (ret && ret != -2 && !ksym_req.err)	/* ENOENT */
			ksym_req.err = ret;
	}
	return 0;
}
