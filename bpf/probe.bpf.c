// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs used only to ask the kernel, with a real load and attach,
 * whether a target can be traced by a given method. Never left attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry")
int probe_fentry(void *ctx)
{
	return 0;
}

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
