/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-file counters: a row per (device, inode), found at each read,
 * write and fault exit, which already have the inode. --top-files 0
 * turns it all off before load.
 *
 * The map is a per-CPU array, each CPU's copy an open-addressed table of
 * its own: a file takes the first free slot of the DT_FILE_PROBES from
 * its hash on, in the copy of the CPU it runs on, and user space sums a
 * file's slots over the CPUs. No atomics, no cache line shared between
 * CPUs per busy file, and the look-up is an array's, where a hash map's
 * hashes and compares its key in a helper call. A file that finds its
 * slots taken is not counted per file: file_full says how often.
 *
 * A program runs on one CPU to its end; where the kernel can preempt
 * one, daxtrace's exits are kprobes (preemption off). Only fentry forced
 * on such a kernel (--method) could let another exit on this CPU update
 * the same slot between a load and its store, and lose that count.
 */
#ifndef __DT_FILES_BPF_H
#define __DT_FILES_BPF_H

#include "maps.bpf.h"

const volatile bool files_on = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DT_FILES);
	__type(key, __u32);
	__type(value, struct dt_file_slot);
} files SEC(".maps");

/* This CPU's row of the file, taken on first sight; NULL when none is free. */
static __always_inline struct dt_file_val *file_row(__u32 dev, __u64 ino)
{
	__u32 h = dt_file_hash(dev, ino), i, idx;
	struct dt_file_slot *s;

	for (i = 0; i < DT_FILE_PROBES; i++) {
		idx = (h + i) & (DT_FILES - 1);
		s = bpf_map_lookup_elem(&files, &idx);
		if (!s)
			return NULL;	/* --top-files 0 left one slot */
		if (!s->key.used) {
			s->key.dev = dev;
			s->key.ino = ino;
			s->key.used = 1;
			return &s->v;
		}
		if (s->key.ino == ino && s->key.dev == dev)
			return &s->v;
	}
	__sync_fetch_and_add(&bpf_stats.file_full, 1);
	return NULL;
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
