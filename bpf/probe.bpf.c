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
