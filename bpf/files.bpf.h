/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-file counters: one row per (device, inode) in a per-CPU hash of
 * fixed size, one look-up per read, write or fault, at its exit. A file
 * that finds the map full is not counted, and file_full says how many
 * ops went uncounted so. --top-files 0 turns it all off before load.
 */
#ifndef __DT_FILES_BPF_H
#define __DT_FILES_BPF_H

#include "maps.bpf.h"

const volatile bool files_on = true;

/*
 * Per-CPU, so no atomics and no shared cache line per busy file. A
 * program runs on one CPU to its end; where the kernel can preempt one,
 * daxtrace's exits are kprobes (preemption off). Only fentry forced on
 * such a kernel (--method) could let another exit on this CPU update the
 * same row between a load and its store, and lose that count.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DT_FILES);
	__type(key, struct dt_file_key);
	__type(value, struct dt_file_val);
} files SEC(".maps");

/* This CPU's row of the file, created on first sight; NULL when full. */
static __always_inline struct dt_file_val *file_row(__u32 dev, __u64 ino)
{
	struct dt_file_key key = { .dev = dev, .ino = ino };
	struct dt_file_val zero = {}, *v;

	v = bpf_map_lookup_elem(&files, &key);
	if (v)
		return v;
	/* a CPU racing us for the same file may win: then take its row */
	if (bpf_map_update_elem(&files, &key, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&files, &key)) {
		__sync_fetch_and_add(&bpf_stats.file_full, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&files, &key);
}

static __always_inline void file_rw(__u32 dev, __u64 ino, __u32 op, __s64 ret,
				    __u64 shorts)
{
	struct dt_file_val *v;

	if (!files_on)
		return;
	v = file_row(dev, ino);
	if (v)
		dt_file_rw(v, op, ret, shorts);
}

static __always_inline void file_fault(__u32 dev, __u64 ino, __u32 size, __u32 ret)
{
	struct dt_file_val *v;

	if (!files_on)
		return;
	v = file_row(dev, ino);
	if (v)
		dt_file_fault(v, size, ret);
}

#endif /* __DT_FILES_BPF_H */
