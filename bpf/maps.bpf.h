/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF side keeps: the options user space sets before load, the
 * per-thread state of the operations in flight, and the maps. Include
 * daxtrace.h, dax_checks.h and dax_facts.h first.
 */
#ifndef __DT_MAPS_BPF_H
#define __DT_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Options, set by user space between open and load. */
const volatile __u32 targ_tgid;
const volatile char targ_comm[DT_COMM_LEN];
const volatile bool filter_dev;
const volatile bool snoop;
/* --deep: fentry mode attaches the da and copy entries (their latency) */
const volatile bool deep_entries;
/* neither --snoop nor --deep: a read/write's kaddr is judged at its copy */
const volatile bool kaddr_later;
/*
 * --deep and --snoop: the latency of reads, writes, and of direct_access
 * and the copies where an entry program runs. The default mode times
 * faults only: a read's two clock reads and histogram were more than a
 * tenth of what its programs cost per read.
 */
const volatile bool timed;
const volatile __u64 page_offset_base_addr; /* &page_offset_base */
const volatile __u32 tfast_mask = DT_TFAST - 1; /* tfast's size - 1 */
/* 4-level paging's; user space sets 5-level's where that runs */
const volatile __u64 kernel_half = DT_KERNEL_HALF;
const volatile __u64 direct_map_max = DT_DIRECT_MAP_MAX;

/* Where an op is counted: its device, that device's slot, and -d's say. */
struct where {
	__u32 dev;
	__s32 slot;
	__u32 wanted;		/* a u32: the struct is copied per op, bytes cost a load each */
};

/* The arguments of a dax_direct_access call. */
struct da_call {
	__u64 daxdev;
	__u64 pgoff;
	__s64 nr;
	__u64 kaddrp;
	__u64 pfnp;
};

/* The arguments of a dax_copy_{to,from}_iter call. */
struct copy_call {
	__u64 daxdev;
	__u64 pgoff;
	__u64 addr;
	__u64 bytes;
	__u64 iter;
	__u32 op;
	__u32 variant;	/* copy_variant(), set at the exit */
};

/*
 * Each operation's part of the thread state: active while the op is in
 * flight, set by its entry program and cleared by its exit; start_ns is
 * the entry's clock read.
 */

/* dax_iomap_rw */
struct rw_state {
	__u64 start_ns;
	__u64 pos;
	__u64 asked;
	__u64 inode;		/* for the exit's i_size, rw_isize() */
	__u64 ino;
	__u64 shorts;		/* short copies inside it, for its file's row */
	struct where where;
	__u32 op;		/* DT_OP_READ or DT_OP_WRITE */
	__u32 active;
};

/* dax_iomap_fault / dev_dax_huge_fault */
struct fault_state {
	__u64 start_ns;
	__u64 pgoff;
	__u64 ino;
	struct where where;
	__u32 size;		/* enum dt_fault_size */
	__u32 active;
	struct dt_fault_geom geom;	/* fault.size's inputs */
	/* the thread's last fallback: the next, smaller fault may follow it */
	__u64 fb_vma;
	__u64 fb_start;
	__u32 fb_size;
	__u32 chr;		/* a character device (device-dax): no file */
};

/*
 * dax_direct_access: set by an entry program, which fentry mode attaches
 * only for --deep (latency); kprobes always (their exit has no args).
 */
struct da_state {
	__u64 start_ns;
	struct da_call call;
	__u32 active;
};

/* last_da.kaddr_at: where its kaddr_kernel verdict is made */
enum {
	DA_KADDR_HERE,		/* at its exit, or n/a */
	DA_KADDR_WAIT,		/* at the copy that uses it: not yet */
	DA_KADDR_COPY,		/* at that copy: kaddr is 0 until an event needs it */
};

/* The last direct_access that returned: ties the next copy to its kaddr. */
struct last_da {
	__u64 daxdev;
	__u64 pgoff;
	__s64 nr;
	__s64 ret;
	__u64 kaddr;		/* 0 unless it was read (or worked out: DA_KADDR_COPY) */
	__u64 pfn;
	__u64 lat;		/* DA_KADDR_WAIT: for an event the copy sends for it */
	__s32 slot;		/* its device's, for a verdict made later */
	__u32 valid;		/* it returned pages */
	__u32 kaddr_at;		/* DA_KADDR_* */
	__u32 lat_flag;		/* DT_F_NO_LAT or 0, with lat */
	/* da_done()'s, stored to be read back: see reload_unknown() */
	__u32 failed_checks;	/* bit per enum dt_check */
	__u32 read_flags;	/* DT_F_KADDR, DT_F_PFN */
};

/* What this thread looked up last: slots and -d never change in a run. */
struct dev_cache {
	__u64 daxdev;		/* the dax_device last seen in context... */
	__u32 daxdev_dev;	/* ...and its dev_t, already in daxdev_dev */
	struct where where;	/* the device last looked up */
};

/*
 * The last length put in a histogram and its log2 bucket: a read's
 * read/write, direct_access and copy account the same length, so the
 * bucket is worked out once. Zeroed, it holds 0 in bucket 0.
 */
struct len_cache {
	__u64 len;
	__u64 bucket;
};

/* The copy variant of the device flags and op last seen (op 0: none yet) */
struct var_cache {
	__u64 flags;
	__u32 op;
	__u32 variant;
};

/*
 * The driver's ->direct_access return, for the dax_direct_access exit
 * that follows on this thread: the call it belongs to is named (fexit; a
 * kretprobe cannot: daxdev 0).
 */
struct drv_state {
	__u64 daxdev;
	__u64 pgoff;
	__s64 ret;
	__u32 seen;
};

/* dax_copy_{to,from}_iter: entry program as for direct_access */
struct copy_state {
	__u64 start_ns;
	struct copy_call call;
	__u32 active;
	__u32 variant_seen;	/* --deep: the copy routine that ran */
	__u32 side;		/* short_side()'s, read back: reload_unknown() */
};

/* dax_iomap_iter's entry, for its exit */
struct iter_state {
	__u64 start_ns;
	__u64 iomi;		/* the struct iomap_iter: 0 when none */
	__s64 pos;
	__u64 len;
};

/* Per-thread state of the DAX operations in flight on that thread. */
struct tstate {
	__u64 owner;		/* tfast only: the holder's pid_tgid, 0 if free; 0 in task storage */
	__u32 seq;		/* kept when a slot changes owner (ts_claim) */
	/* from here on, zeroed when a slot changes owner */
	struct rw_state rw;
	struct fault_state fault;
	struct da_state da;
	struct last_da last_da;
	struct drv_state drv;
	struct dev_cache cache;
	struct len_cache lc;
	struct var_cache vc;
	struct copy_state copy;
	struct iter_state iter;
};

/*
 * Per-thread state, first choice: slot tid % N of an array (N is
 * --thread-slots, DT_TFAST by default), whose look-up the verifier
 * inlines, where bpf_task_storage_get() wraps its look-up in a recursion
 * guard. A thread takes its slot at its first op if it is free and
 * keeps it until it exits (ts_claim(), ts_thread_exit()); a thread whose
 * slot another live thread holds uses task storage instead.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DT_TFAST);
	__type(key, __u32);
	__type(value, struct tstate);
} tfast SEC(".maps");

/*
 * Per-thread state, the overflow: task local storage, freed by the kernel
 * when the thread exits, so bounded by the live threads.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tstate);
} tstates SEC(".maps");

/*
 * Counters and histograms: an array indexed by slot * DT_OP_MAX + op,
 * the slot found once per read/write/fault in dev_slot, where a hash
 * look-up per program is a call. An entry holds all of its op's, so an
 * op's exit makes one look-up: the kernel inlines a per-CPU array's only
 * since 6.10, before that each is a call.
 *
 * Counters and histograms are per CPU and updated with plain adds, no
 * atomic read-modify-write: user space sums the CPUs. A plain add is a
 * load and a store, so it is exact only while nothing else writes that
 * CPU's copy between them. Nothing does:
 * - a program runs on one CPU to its end (fentry/fexit run with
 *   migration disabled, kprobes and tracepoints with preemption
 *   disabled);
 * - the kernel never runs a program twice at once on a CPU: a preempted
 *   fentry/fexit program holds its per-CPU recursion guard, and the
 *   program's other runs on that CPU are skipped (and reported) until it
 *   ends; kprobe and tracepoint programs cannot be preempted;
 * - each entry (device, op) is written by one program only, the exit of
 *   the op's target in the one method the target has in the run, or by
 *   the fs_dax fault tracepoints' two programs, which cannot be
 *   preempted. The one op two targets count, fault, is device-dax's from
 *   dev_dax_huge_fault and fs-dax's from dax_iomap_fault: the character
 *   device's and a filesystem's, never the same device. The exception,
 *   a direct_access's kaddr verdict that a later exit makes (kaddr_at()),
 *   is rare and an atomic add.
 * So this holds under full preemption too, without disabling it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DT_MAX_DEVS * DT_OP_MAX);
	__type(key, __u32);
	__type(value, struct dt_stats);	/* histograms too: see hist_add() */
} stats SEC(".maps");

/* dev_t -> slot in stats, handed out in order by nslots. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u32);
} dev_slot SEC(".maps");

__u32 nslots;

/* Errors by device, op and errno: per CPU, as stats (the op in the key). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct dt_err_key);
	__type(value, __u64);
} errors SEC(".maps");

/* Media errors by device and page offset (LRU: bounded on a bad DIMM). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dt_media_key);
	__type(value, __u64);
} media_errors SEC(".maps");

/* -d filter: kernel dev_t -> 1 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u8);
} dev_filter SEC(".maps");

/*
 * device-dax dev_t -> its alignment, from sysfs before attach: the one
 * page size its faults can map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u64);
} dev_align SEC(".maps");

/* dax_device -> user-visible dev_t, learned inside read/write/fault. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} daxdev_dev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct dt_bpf_stats bpf_stats;

#endif /* __DT_MAPS_BPF_H */
