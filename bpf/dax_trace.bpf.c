// SPDX-License-Identifier: GPL-2.0
/*
 * daxtrace BPF side: the DAX I/O path from dax_iomap_rw down to the copy
 * routines, and the DAX fault handlers. One handler per meaning; each
 * attach method (fentry/fexit, kprobe/kretprobe, tracepoint) is a thin
 * wrapper, and user space switches off the ones this kernel cannot use.
 *
 * Counting happens here, in maps; only anomalies (and --snoop) cross the
 * ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "dax_trace.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Options, set by user space between open and load. */
const volatile __u32 targ_tgid;
const volatile char targ_comm[DT_COMM_LEN];
const volatile bool filter_dev;
const volatile bool snoop;
const volatile __u64 page_offset_base_addr; /* &page_offset_base */
const volatile __u32 tfast_mask = DT_TFAST - 1; /* tfast's size - 1 */
/* 4-level paging's; user space sets 5-level's where that runs */
const volatile __u64 kernel_half = DT_KERNEL_HALF;
const volatile __u64 direct_map_max = DT_DIRECT_MAP_MAX;

#define PAGE_SHIFT_	DT_PAGE_SHIFT

/*
 * Cost model builds only (make CUT=N, bench section 7): each bit takes
 * one cost out of the default mode, so the benchmark can measure what it
 * was. A cut build is not a valid tracer. 0 in every real build, where
 * the compiler drops every CUT() branch.
 */
#ifndef DT_CUT
#define DT_CUT 0
#endif
#define CUT(bit)	(DT_CUT & (bit))
#define CUT_TS		1	/* thread state from a per-CPU array */
#define CUT_CLOCK	2	/* no clock reads */
#define CUT_KADDR	4	/* no probe read of *kaddr */
#define CUT_ACCOUNT	8	/* no counters or histograms */
#define CUT_VERDICT	16	/* no check verdict counters */
#define CUT_DRV		32	/* no driver-return handoff */
#define CUT_WHERE	64	/* direct_access/copy: no device resolution */
#define CUT_EMPTY	128	/* the hot programs return at once */
#define CUT_BARE	256	/* a bare tracer instead: see below */

#define VM_READ_	0x1
#define VM_WRITE_	0x2

/* Where an op is counted: its device, that device's slot, and -d's say. */
struct where {
	__u32 dev;
	__s32 slot;
	bool wanted;
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

/* Per-thread state of the DAX operations in flight on that thread. */
struct tstate {
	/* tfast only: owner tid << 1 | TS_BUSY; 0 in task storage */
	__u64 own;
	__u32 seq;		/* kept when a slot changes owner (ts_claim) */
	__u32 pad2;
	/* dax_iomap_rw */
	__u64 rw_start;
	__u64 rw_pos;
	__u64 rw_asked;
	__u64 rw_inode;		/* for kretprobes: fexit has the args */
	__u32 rw_active;
	__u32 rw_op;
	struct where rw_where;
	/* dax_iomap_fault / dev_dax_huge_fault */
	__u64 f_start;
	__u64 f_pgoff;
	__u64 f_ino;
	__u32 f_active;
	struct where f_where;
	__u32 f_size;
	/*
	 * dax_direct_access: set by an entry program, which fentry mode
	 * attaches only for --deep (latency); kprobes always (arguments).
	 */
	__u32 da_active;
	__u64 da_start;
	struct da_call da;
	/* the last direct_access: ties the next copy to its kaddr */
	__u32 l_valid;
	__u32 l_chk;		/* da_done()'s failed checks: see opaque() */
	__u64 l_pgoff;
	__s64 l_ret;
	__u64 l_kaddr;
	__u64 l_pfn;
	/* the dax_device last seen in context, already in daxdev_dev */
	__u64 dd_seen;
	__u32 dd_seen_dev;
	/* the device last looked up: slots and -d never change in a run */
	struct where w_seen;
	/* dax_copy_{to,from}_iter: entry program as for direct_access */
	__u32 c_active;
	__u32 l_got;		/* da_done()'s reads (DT_F_DRV etc.), as l_chk;
				 * here, where it fills a hole */
	__u64 c_start;
	struct copy_call c;
	/* --deep: what the copy routine itself did */
	__u32 v_measured;
	__u32 c_side;		/* copy_done()'s short_side(): see opaque() */
	/* dax_iomap_iter (entry stash) */
	__u64 it_start;
	__u64 it_iomi;
	__s64 it_pos;
	__u64 it_len;
};

/*
 * Per-thread state, first choice: slot tid % N of an array (N is
 * --thread-slots, DT_TFAST by default), whose look-up the verifier
 * inlines: a read's four cost 109 guest instructions, where four
 * bpf_task_storage_get() calls (a recursion guard around the look-up)
 * cost 350. A thread owns its slot while it has an op in flight
 * (TS_BUSY); between ops another thread with the same tid modulo N may
 * take it over (ts_claim). A thread that finds its slot busy with
 * another's op uses task storage instead.
 */
#define TS_BUSY		1ULL

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
 * Counters: an array indexed by slot * DT_OP_MAX + op, the slot found
 * once per read/write/fault in dev_slot. Array look-ups are inlined by
 * the verifier; the hash look-up per program they replace was the
 * largest cost after the trampolines.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DT_MAX_DEVS * DT_OP_MAX);
	__type(key, __u32);
	__uint(value_size, DT_KSTATS_SIZE);	/* histograms: in hists */
} stats SEC(".maps");

/*
 * Histogram buckets, one element each at dt_hist_key(row, kind) + bucket.
 * Not arrays in the stats entry: an index into those made the verifier
 * track the value it came from (the op's return) exactly, so paths split
 * on that value never merged again. With those arrays and log2 buckets
 * by branches a copy program took 72k verifier steps; with this map and
 * branch-free buckets (dt_log2_slot), 25k; with either alone, 60-70k.
 * A key only needs to be initialised, not tracked.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DT_HIST_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} hists SEC(".maps");

/* dev_t -> slot in stats, handed out in order by nslots. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DT_MAX_DEVS);
	__type(key, __u32);
	__type(value, __u32);
} dev_slot SEC(".maps");

__u32 nslots;

/*
 * The driver's ->direct_access return, for the dax_direct_access exit
 * that follows on this CPU: the call it belongs to is named (fexit; a
 * kretprobe cannot: daxdev 0), so a preemption in between loses the
 * value rather than misplacing it.
 */
struct drv_seen {
	__u64 task;
	__u64 daxdev;
	__u64 pgoff;
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drv_seen);
} drv_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
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

/* ---- small helpers ---------------------------------------------------- */

static __always_inline __u64 now(void)
{
	return CUT(CUT_CLOCK) ? 0 : bpf_ktime_get_ns();
}

/* row: the op's index in stats; kind: DT_HIST_LEN or DT_HIST_LAT */
static __always_inline void hist_add(__u32 row, __u32 kind, __u64 v)
{
	__u32 key = dt_hist_key(row, kind) + dt_log2_slot(v);
	__u64 *n = bpf_map_lookup_elem(&hists, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline bool task_wanted(void)
{
	char comm[DT_COMM_LEN];
	int i;

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < DT_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool dev_wanted(__u32 dev)
{
	return !filter_dev || bpf_map_lookup_elem(&dev_filter, &dev);
}

#if DT_CUT & CUT_TS
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tstate);
} cut_ts SEC(".maps");
#endif

static __always_inline struct tstate *ts_fast(__u32 tid)
{
	__u32 i = tid & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

/*
 * The state of the op in flight on this thread, if any. Ops nest (a
 * fault inside a read's copy) and a thread's slot, once busy, takes every
 * op nested in it; so at any exit, a slot busy with this thread holds the
 * innermost op, else task storage does.
 */
static __always_inline struct tstate *ts_get(void)
{
#if DT_CUT & CUT_TS
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cut_ts, &zero);
#else
	__u32 tid = bpf_get_current_pid_tgid();
	struct tstate *ts = ts_fast(tid);

	if (ts && ts->own == ((__u64)tid << 1 | TS_BUSY))
		return ts;
	return bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0, 0);
#endif
}

/*
 * Take this thread's slot for an op: it is ours already, or idle (then it
 * changes owner, keeping only seq, so a tid's seq never repeats). Busy
 * with another thread's op: NULL, and the caller uses task storage. The
 * owner alone writes a busy slot, so only taking it needs a cmpxchg.
 */
static __always_inline struct tstate *ts_claim(__u32 tid)
{
	__u64 me = (__u64)tid << 1, own;
	struct tstate *ts = ts_fast(tid);

	if (!ts)
		return NULL;
	own = ts->own;
	if (own == (me | TS_BUSY))
		return ts;
	if (own & TS_BUSY)
		return NULL;
	if (__sync_val_compare_and_swap(&ts->own, own, me | TS_BUSY) != own)
		return NULL;
	if (own != me)
		__builtin_memset(&ts->rw_start, 0,	/* u64 stores, not u8 */
				 sizeof(*ts) - offsetof(struct tstate, rw_start));
	return ts;
}

/* Entering a traced operation: the thread's state, if -p/-c want it. */
static __always_inline struct tstate *ts_enter(void)
{
	struct tstate *ts;

	if (!task_wanted())
		return NULL;
	if (CUT(CUT_TS))
		return ts_get();
	ts = ts_claim(bpf_get_current_pid_tgid());
	if (ts)
		return ts;
	__sync_fetch_and_add(&bpf_stats.thread_overflow, 1);
	ts = bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	/*
	 * task storage's seq in the upper half: not one of the slot's until
	 * the slot's passes 2^31 (the slot's seq is shared by every tid
	 * that maps to it; seq only ties records within one read anyway)
	 */
	if (ts && !ts->seq)
		ts->seq = 1U << 31;
	return ts;
}

/* An op has ended: the slot is free to change owner once none is left. */
static __always_inline void ts_put(struct tstate *ts)
{
	if ((ts->own & TS_BUSY) && !ts->rw_active && !ts->f_active &&
	    !ts->da_active && !ts->c_active)
		__sync_fetch_and_and(&ts->own, ~TS_BUSY);
}

/* The device's slot in stats, handed out on first sight; -1 when full. */
static __always_inline __s32 slot_get(__u32 dev)
{
	__u32 *p, slot;

	p = bpf_map_lookup_elem(&dev_slot, &dev);
	if (p)
		return *p;
	slot = __sync_fetch_and_add(&nslots, 1);
	if (slot >= DT_MAX_DEVS) {
		__sync_fetch_and_add(&bpf_stats.map_full, 1);
		return -1;
	}
	/* a CPU racing us for the same device may win: use its slot */
	bpf_map_update_elem(&dev_slot, &dev, &slot, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&dev_slot, &dev);
	return p ? *p : -1;
}

/* The op's counters, and in *row their index (its histograms' row). */
static __always_inline struct dt_stats *stats_at(__s32 slot, __u32 op,
						 __u32 *row)
{
	if (slot < 0 || slot >= DT_MAX_DEVS || op >= DT_OP_MAX)
		return NULL;
	*row = slot * DT_OP_MAX + op;
	return bpf_map_lookup_elem(&stats, row);
}

static __always_inline void count_error(__u32 dev, __u32 op, __s32 err)
{
	struct dt_err_key key = { .dev = dev, .op = op, .err = err };
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&errors, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (bpf_map_update_elem(&errors, &key, &one, BPF_NOEXIST)) {
		n = bpf_map_lookup_elem(&errors, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			__sync_fetch_and_add(&bpf_stats.map_full, 1);
	}
}

/*
 * Check verdicts live in the op's own stats entry, already looked up:
 * a map of their own cost five more hash lookups on every read.
 */
static __always_inline void verdict(struct dt_stats *st, __u32 check, __u32 v)
{
	if (!CUT(CUT_VERDICT) && st && check < DT_CHK_MAX && v < DT_VERDICT_MAX)
		__sync_fetch_and_add(&st->chk[check][v], 1);
}

/*
 * lat_ok: the latency was measured (an entry program ran). Unmeasured
 * calls stay out of lat_hist, so its sum is the count lat_sum_ns is over.
 */
static __always_inline void account(struct dt_stats *st, __u32 row,
				    __u64 asked, __s64 ret, __u64 lat,
				    bool lat_ok)
{
	__u64 done = ret > 0 ? ret : 0;

	if (CUT(CUT_ACCOUNT))
		return;
	__sync_fetch_and_add(&st->bytes_req, asked);
	__sync_fetch_and_add(&st->bytes_done, done);
	/* each result its own counter: a scrape never sees one go back */
	__sync_fetch_and_add(dt_op_counter(st, asked, ret), 1);
	hist_add(row, DT_HIST_LEN, done);
	if (lat_ok) {
		__sync_fetch_and_add(&st->lat_sum_ns, lat);
		hist_add(row, DT_HIST_LAT, lat);
	}
}

static __always_inline struct dt_event *ev_new(__u32 op, __u32 dev, __u32 why)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct dt_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&bpf_stats.rb_dropped, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = DT_REC_EVENT;
	e->op = op;
	e->dev = dev;
	e->why = why;
	e->ts_ns = now();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void where_dev(struct where *w, __u32 dev)
{
	w->dev = dev;
	w->wanted = dev_wanted(dev);
	w->slot = w->wanted ? slot_get(dev) : -1;
}

/* The same through the thread's last answer: no map look-up per read. */
static __always_inline void where_dev_cached(struct tstate *ts, struct where *w,
					     __u32 dev)
{
	if (ts->w_seen.dev == dev && ts->w_seen.slot >= 0) {
		*w = ts->w_seen;
		return;
	}
	where_dev(w, dev);
	/* slot -1 is "not wanted" or "no slot yet": ask again next time */
	if (w->slot >= 0)
		ts->w_seen = *w;
}

/*
 * The device a direct_access or copy belongs to: inside a traced
 * read/write/fault, the one its entry found; else learned from those.
 */
static __always_inline void op_where(struct tstate *ts, __u64 daxdev,
				     __u32 *flags, struct where *w)
{
	__u32 *d, dev;

	if (CUT(CUT_WHERE)) {
		*w = ts->rw_where;
		return;
	}
	if (ts->f_active || ts->rw_active) {
		*w = ts->f_active ? ts->f_where : ts->rw_where;
		/* one map look-up per new pair, not one per call */
		if (ts->dd_seen == daxdev && ts->dd_seen_dev == w->dev)
			return;
		dev = w->dev;
		d = bpf_map_lookup_elem(&daxdev_dev, &daxdev);
		if (!d || *d != dev)
			bpf_map_update_elem(&daxdev_dev, &daxdev, &dev, BPF_ANY);
		ts->dd_seen = daxdev;
		ts->dd_seen_dev = dev;
		return;
	}
	*flags |= DT_F_NO_CTX;
	d = bpf_map_lookup_elem(&daxdev_dev, &daxdev);
	if (d)
		dev = *d;
	else	/* device-dax: the char device's dev_t is the dax inode's */
		dev = BPF_CORE_READ((struct dax_device *)daxdev, inode.i_rdev);
	where_dev_cached(ts, w, dev);
}

/* ---- dax_iomap_rw ------------------------------------------------------ */

static __always_inline int rw_entry(struct inode *inode, __u32 dev, __u64 pos,
				    __u64 asked, int dir)
{
	struct tstate *ts;

	ts = ts_enter();
	if (!ts)
		return 0;
	/*
	 * Nothing of this thread's can be in flight outside a read/write:
	 * what says so was left by an exit the kernel skipped (recursion
	 * guard, kretprobe maxactive), maybe by a thread that had this tid.
	 */
	ts->f_active = 0;
	ts->da_active = 0;
	ts->c_active = 0;
	ts->it_iomi = 0;
	ts->rw_active = 1;
	ts->rw_op = dir == DT_WRITE ? DT_OP_WRITE : DT_OP_READ;
	where_dev_cached(ts, &ts->rw_where, dev);
	ts->rw_pos = pos;
	ts->rw_asked = asked;
	ts->rw_inode = (__u64)inode;
	ts->seq++;
	ts->l_valid = 0;
	ts->rw_start = now();
	return 0;
}

/*
 * Global, as copy_done() is: verified once, not once per path into it
 * (a thread's state from either map is two): fx_rw 2495 steps to 762.
 */
__noinline int rw_exit(struct tstate *ts, __s64 ret, __u64 isize, __u64 ino)
{
	__u32 why = 0, chk = 0, flags = 0, v;
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;
	__u64 lat;
	int eof;

	if (!ts)
		return 0;
	ts->rw_active = 0;
	if (!ts->rw_where.wanted)
		return 0;
	lat = now() - ts->rw_start;

	st = stats_at(ts->rw_where.slot, ts->rw_op, &row);
	if (st)
		account(st, row, ts->rw_asked, ret, lat, true);
	v = dt_check_rw(ts->rw_op == DT_OP_READ, ts->rw_pos, ts->rw_asked,
			ret, isize, &eof);
	if (eof)
		flags |= DT_F_EOF;
	if (ret < 0) {
		count_error(ts->rw_where.dev, ts->rw_op, -ret);
		why |= DT_EV_ERROR;
	} else if (v == DT_FAIL) {
		why |= DT_EV_SHORT | DT_EV_CHECK;
		chk |= 1U << DT_CHK_RW_COMPLETE;
	}
	verdict(st, DT_CHK_RW_COMPLETE, v);

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	e = ev_new(ts->rw_op, ts->rw_where.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = chk;
	e->flags = flags;
	e->pos = ts->rw_pos;
	e->asked = ts->rw_asked;
	e->ret = ret;
	e->ino = ino;
	e->isize = isize;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * CUT_BARE: the least any tracer of these hooks must do to give the read
 * latency histogram and the RFC's kaddr check, the two things daxtrace
 * exists for, with none of daxtrace's other work: the thread's start time
 * in its slot, unowned; one histogram; *kaddr read and checked, one
 * counter; a copy's completeness, one counter; the driver's exit empty.
 * Its cost against the floor is a lower bound for the default mode's.
 */
#if DT_CUT & CUT_BARE
__u64 bare_count[2];

static __always_inline int bare_rw_entry(void)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;
	struct tstate *ts = bpf_map_lookup_elem(&tfast, &i);

	if (ts)
		ts->rw_start = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int bare_rw_exit(void)
{
	__u32 i = (__u32)bpf_get_current_pid_tgid() & tfast_mask;
	struct tstate *ts = bpf_map_lookup_elem(&tfast, &i);

	if (ts && ts->rw_start)
		hist_add(DT_OP_READ, DT_HIST_LAT,
			 bpf_ktime_get_ns() - ts->rw_start);
	return 0;
}

static __always_inline int bare_da_exit(void *ctx, long ret)
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

static __always_inline int bare_copy_exit(__u64 bytes, __u64 ret)
{
	if (ret < bytes)
		__sync_fetch_and_add(&bare_count[1], 1);
	return 0;
}
#else	/* never called: CUT(CUT_BARE) is 0 */
#define bare_rw_entry()			0
#define bare_rw_exit()			0
#define bare_da_exit(ctx, ret)		0
#define bare_copy_exit(bytes, ret)	0
#endif

/*
 * fentry/fexit read kernel memory with plain loads through their typed
 * arguments; the kprobe pair below needs a helper call for each field.
 */
SEC("fentry/dax_iomap_rw")
int BPF_PROG(fe_rw, struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = iocb->ki_filp->f_inode;

	if (CUT(CUT_EMPTY))
		return 0;
	if (CUT(CUT_BARE))
		return bare_rw_entry();
	return rw_entry(inode, inode_dev_btf(inode), iocb->ki_pos, iter->count,
			iter_dir_btf(iter));
}

SEC("fexit/dax_iomap_rw")
int BPF_PROG(fx_rw, struct kiocb *iocb, struct iov_iter *iter,
	     const struct iomap_ops *ops, ssize_t ret)
{
	struct tstate *ts = CUT(CUT_EMPTY | CUT_BARE) ? NULL : ts_get();
	struct inode *inode;

	if (CUT(CUT_BARE))
		return bare_rw_exit();
	if (!ts || !ts->rw_active)
		return 0;
	inode = iocb->ki_filp->f_inode;
	rw_exit(ts, ret, inode->i_size, inode->i_ino);
	ts_put(ts);
	return 0;
}

SEC("kprobe/dax_iomap_rw")
int BPF_KPROBE(kp_rw, struct kiocb *iocb, struct iov_iter *iter)
{
	struct inode *inode = BPF_CORE_READ(iocb, ki_filp, f_inode);

	return rw_entry(inode, inode_dev(inode), BPF_CORE_READ(iocb, ki_pos),
			BPF_CORE_READ(iter, count), iter_dir(iter));
}

SEC("kretprobe/dax_iomap_rw")
int BPF_KRETPROBE(kr_rw, long ret)
{
	struct tstate *ts = ts_get();
	struct inode *inode;

	if (!ts || !ts->rw_active)
		return 0;
	inode = (struct inode *)ts->rw_inode;
	rw_exit(ts, ret, BPF_CORE_READ(inode, i_size),
		BPF_CORE_READ(inode, i_ino));
	ts_put(ts);
	return 0;
}

/* ---- iterations --------------------------------------------------------- */

/* An iteration done: it started at pos with asked bytes left to it. */
static __always_inline void iter_done(struct tstate *ts, struct iomap_iter *it,
				      __s64 pos, __u64 asked, __s64 progress,
				      __u64 lat, bool lat_ok)
{
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;
	__u32 why = 0, v;
	__u64 isize = 0;
	int eof = 0;

	if (!ts->rw_where.wanted)
		return;
	st = stats_at(ts->rw_where.slot, DT_OP_ITER, &row);
	if (st)
		account(st, row, asked, progress, lat, lat_ok);
	/*
	 * i_size only where it counts, a 0 (at EOF?) or an event: on the raw
	 * tracepoint it is two probe reads, paid on every iteration.
	 */
	if (progress <= 0 || snoop) {
		isize = BPF_CORE_READ(it, inode, i_size);
		eof = ts->rw_op == DT_OP_READ && pos >= isize;
	}
	v = dt_check_progress(progress, eof);
	if (v == DT_FAIL)
		why = DT_EV_CHECK;
	if (progress < 0) {
		why = DT_EV_ERROR;
		count_error(ts->rw_where.dev, DT_OP_ITER, -progress);
	}
	verdict(st, DT_CHK_ITER_PROGRESS, v);
	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return;
	e = ev_new(DT_OP_ITER, ts->rw_where.dev, why);
	if (!e)
		return;
	e->lat_ns = lat;
	e->check_fail = v == DT_FAIL ? 1U << DT_CHK_ITER_PROGRESS : 0;
	e->flags = (lat_ok ? 0 : DT_F_NO_LAT) | (eof ? DT_F_EOF : 0);
	e->pos = pos;
	e->asked = asked;
	e->ret = progress;
	e->isize = isize;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
}

/* What an iteration at pos with len of the I/O left is asked: to its map end */
static __always_inline __u64 iomi_length(struct iomap_iter *it, __s64 pos,
					 __u64 len)
{
	__s64 end = BPF_CORE_READ(it, iomap.offset) +
		    BPF_CORE_READ(it, iomap.length);

	if (end - pos < (__s64)len)
		return end - pos;
	return len;
}

/* dax_iomap_iter itself, on kernels where it is not inlined. */
static __always_inline int it_entry(struct iomap_iter *it)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->rw_active)
		return 0;
	ts->it_iomi = (__u64)it;
	ts->it_pos = BPF_CORE_READ(it, pos);
	ts->it_len = iomi_length(it, ts->it_pos, BPF_CORE_READ(it, len));
	ts->it_start = now();
	return 0;
}

static __always_inline int it_exit(__s64 ret)
{
	struct tstate *ts = ts_get();
	struct iomap_iter *it;

	if (!ts || !ts->rw_active || !ts->it_iomi)
		return 0;
	it = (struct iomap_iter *)ts->it_iomi;
	ts->it_iomi = 0;
	iter_done(ts, it, ts->it_pos, ts->it_len,
		  iomi_progress(it, ts->it_pos, ret), now() - ts->it_start, true);
	return 0;
}

SEC("fentry/dax_iomap_iter")
int BPF_PROG(fe_iter, struct iomap_iter *it)
{
	return it_entry(it);
}

SEC("fexit/dax_iomap_iter")
int BPF_PROG(fx_iter, struct iomap_iter *it, struct iov_iter *iter, long ret)
{
	return it_exit(ret);
}

SEC("kprobe/dax_iomap_iter")
int BPF_KPROBE(kp_iter, struct iomap_iter *it)
{
	return it_entry(it);
}

SEC("kretprobe/dax_iomap_iter")
int BPF_KRETPROBE(kr_iter, long ret)
{
	return it_exit(ret);
}

/*
 * Where dax_iomap_iter is inlined (6.1 to 7.3), iomap_iter() runs between
 * iterations and its tracepoint sees the one just done (iomi_step()).
 * It fires for every iomap user, DAX or not, so only --deep attaches it.
 */
SEC("raw_tp/iomap_iter")
int BPF_PROG(rt_iomap_iter, struct iomap_iter *it)
{
	struct tstate *ts = ts_get();
	__s64 progress, start;
	__u64 len;

	if (!ts || !ts->rw_active)
		return 0;
	if (!BPF_CORE_READ(it, iomap.length))
		return 0;	/* first call: no iteration done yet */
	progress = iomi_step(it, &start, &len);
	iter_done(ts, it, start, iomi_length(it, start, len), progress, 0,
		  false);
	return 0;
}

/* ---- dax_direct_access and the drivers' direct_access ----------------- */

/*
 * The state for an exit that may have had no entry program: the thread's
 * own inside a traced read/write/fault, else one for a thread -p/-c want.
 */
static __always_inline struct tstate *ts_inner(void)
{
	struct tstate *ts = ts_get();

	if (ts && (ts->rw_active || ts->f_active))
		return ts;
	return ts_enter();
}

/*
 * *slot, read so that the verifier does not know it: a value read from a
 * map is unknown. A constant that steers later branches (a failed check's
 * bit) keeps the paths apart all the way down, so every combination of
 * verdicts is verified; an unknown one lets them merge after each check.
 * A load per use (and a store or two per call) for fewer verifier steps,
 * which are start-up CPU: fx_da 12542 to 7039, each copy exit 4570 to
 * 3563 (6.1).
 */
static __always_inline __u32 opaque(__u32 *slot)
{
	return *(volatile __u32 *)slot;
}

/* An entry program's start time, if one ran for this call. */
static __always_inline bool took_start(__u32 *active, __u64 start, __u64 *lat)
{
	if (!*active)
		return false;
	*active = 0;
	*lat = now() - start;
	return true;
}

/* Read once: page_offset_base does not move after boot. */
static __u64 pob_cache;

static __always_inline __u32 check_kaddr_pfn(__u64 kaddr, __u64 pfn)
{
	__u64 pob = pob_cache;

	if (!pob && page_offset_base_addr) {
		bpf_probe_read_kernel(&pob, sizeof(pob),
				      (void *)page_offset_base_addr);
		pob_cache = pob;
	}
	return dt_check_kaddr_pfn(pob, direct_map_max, kaddr, pfn);
}

static __always_inline void count_media_error(__u32 dev, __u64 pgoff)
{
	struct dt_media_key mk = { .dev = dev, .pgoff = pgoff };
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&media_errors, &mk);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&media_errors, &mk, &one, BPF_ANY);
}

/* Global, as copy_done() is: fx_da 7039 verifier steps to 3671. */
__noinline int da_done(struct tstate *ts, const struct da_call *c,
		       __s64 ret, __u64 lat, __u32 lat_ok)
{
	__u32 why = 0, chk = 0, flags = 0, got = 0, v, zero = 0;
	__u64 kaddr = 0, pfn = 0;
	struct drv_seen *drv;
	__s64 drv_ret = 0;
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;
	struct where w;

	if (!ts || !c)
		return 0;
	drv = CUT(CUT_DRV) ? NULL : bpf_map_lookup_elem(&drv_seen, &zero);
	if (drv && drv->task == bpf_get_current_task() &&
	    (!drv->daxdev ||
	     (drv->daxdev == c->daxdev && drv->pgoff == c->pgoff))) {
		drv_ret = drv->ret;
		drv->task = 0;
		got |= DT_F_DRV;
	}
	op_where(ts, c->daxdev, &flags, &w);
	if (!w.wanted)
		return 0;
	if (CUT(CUT_KADDR)) {
		kaddr = kernel_half;	/* passes the check: no events */
		got |= DT_F_KADDR;
	} else if (ret > 0 && c->kaddrp &&
		   !bpf_probe_read_kernel(&kaddr, sizeof(kaddr), (void *)c->kaddrp)) {
		got |= DT_F_KADDR;
	}
	if (ret > 0 && c->pfnp &&
	    !bpf_probe_read_kernel(&pfn, sizeof(pfn), (void *)c->pfnp))
		got |= DT_F_PFN;
	/*
	 * What was read, through ts and opaque(): as a constant it kept the
	 * eight ways here apart down to the end (fx_da 3671 verifier steps
	 * to 13935).
	 */
	ts->l_got = got;
	got = opaque(&ts->l_got);

	st = stats_at(w.slot, DT_OP_DIRECT_ACCESS, &row);
	if (st)
		account(st, row, c->nr << PAGE_SHIFT_,
			ret > 0 ? ret << PAGE_SHIFT_ : ret, lat, lat_ok);

	/* failed checks gather in ts, read back opaque() */
	ts->l_chk = 0;
	/* direct_access.ret_range */
	v = dt_check_ret_range(ret, c->nr);
	if (v == DT_FAIL)
		ts->l_chk |= 1U << DT_CHK_DA_RET_RANGE;
	verdict(st, DT_CHK_DA_RET_RANGE, v);

	/* the RFC's driver returned a physical address as kaddr */
	/* a kaddr that could not be read is no verdict */
	v = dt_check_kaddr_kernel(got & DT_F_KADDR, ret, kaddr, kernel_half);
	if (v == DT_FAIL)
		ts->l_chk |= 1U << DT_CHK_DA_KADDR_KERNEL;
	verdict(st, DT_CHK_DA_KADDR_KERNEL, v);

	/* direct_access.kaddr_pfn */
	v = DT_NA;
	if ((got & DT_F_KADDR) && (got & DT_F_PFN)) {
		v = check_kaddr_pfn(kaddr, pfn);
		if (v == DT_FAIL)
			ts->l_chk |= 1U << DT_CHK_DA_KADDR_PFN;
	}
	verdict(st, DT_CHK_DA_KADDR_PFN, v);

	if (ret < 0) {
		count_error(w.dev, DT_OP_DIRECT_ACCESS, -ret);
		why |= DT_EV_ERROR;
		if (dt_media_error(ret))
			count_media_error(w.dev, c->pgoff);
	}
	/* fewer pages than asked is normal (end of a range): counted, not shown */
	chk = opaque(&ts->l_chk);
	if (chk)
		why |= DT_EV_CHECK;

	ts->l_valid = ret > 0;
	ts->l_pgoff = c->pgoff;
	ts->l_ret = ret;
	ts->l_kaddr = kaddr;
	ts->l_pfn = pfn;

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	e = ev_new(DT_OP_DIRECT_ACCESS, w.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = chk;
	e->flags = flags | got | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = c->pgoff;
	e->asked = c->nr;
	e->ret = ret;
	e->da_pgoff = c->pgoff;
	e->da_ret = ret;
	e->drv_ret = drv_ret;
	e->kaddr = kaddr;
	e->pfn = pfn;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Entering: the start time (fentry: --deep only), kprobes the arguments. */
static __always_inline struct tstate *da_entry(void)
{
	struct tstate *ts = ts_inner();

	if (!ts)
		return NULL;
	ts->da_active = 1;
	ts->da_start = now();
	return ts;
}

SEC("fentry/dax_direct_access")
int BPF_PROG(fe_da)
{
	da_entry();
	return 0;
}

/*
 * fexit sees every argument, so no entry program is needed but for the
 * latency. The verifier refuses a direct read of the void **kaddr
 * argument ("arg4 type PTR is not a struct"): that one alone comes
 * through bpf_get_func_arg() (kaddr_ is never read, so the load that
 * BPF_PROG would make of it is dropped). Each such call costs about a
 * dozen instructions where a direct read costs one.
 */
SEC("fexit/dax_direct_access")
int BPF_PROG(fx_da, struct dax_device *dd, unsigned long pgoff, long nr_pages,
	     enum dax_access_mode mode, void **kaddr_, pfn_t *pfn, long ret)
{
	struct tstate *ts = CUT(CUT_EMPTY | CUT_BARE) ? NULL : ts_inner();
	__u64 kaddrp = 0, lat = 0;
	struct da_call c;
	bool lat_ok;

	if (CUT(CUT_BARE))
		return bare_da_exit(ctx, ret);
	if (!ts)
		return 0;
	lat_ok = took_start(&ts->da_active, ts->da_start, &lat);
	bpf_get_func_arg(ctx, 4, &kaddrp);
	c.daxdev = (__u64)dd;
	c.pgoff = pgoff;
	c.nr = nr_pages;
	c.kaddrp = kaddrp;
	c.pfnp = (__u64)pfn;
	da_done(ts, &c, ret, lat, lat_ok);
	ts_put(ts);
	return 0;
}

/* BPF_KPROBE stops at five arguments; pfn is the sixth (%r9 on x86-64). */
SEC("kprobe/dax_direct_access")
int kp_da(struct pt_regs *ctx)
{
	struct tstate *ts = da_entry();

	if (!ts)
		return 0;
	ts->da.daxdev = PT_REGS_PARM1(ctx);
	ts->da.pgoff = PT_REGS_PARM2(ctx);
	ts->da.nr = PT_REGS_PARM3(ctx);
	ts->da.kaddrp = PT_REGS_PARM5(ctx);
	ts->da.pfnp = ctx->r9;
	return 0;
}

SEC("kretprobe/dax_direct_access")
int BPF_KRETPROBE(kr_da, long ret)
{
	struct tstate *ts = ts_get();
	__u64 lat = 0;

	if (!ts || !took_start(&ts->da_active, ts->da_start, &lat))
		return 0;
	da_done(ts, &ts->da, ret, lat, true);
	ts_put(ts);
	return 0;
}

/*
 * The driver's own ->direct_access, called by dax_direct_access: its raw
 * return shows what dax_direct_access clamped. Three slots, each pointed
 * at a driver (pmem, fsdev, device-dax) by user space. The next
 * direct_access exit on this thread takes the value.
 */
static __always_inline int drv_exit(__u64 daxdev, __u64 pgoff, __s64 ret)
{
	struct drv_seen *d;
	__u32 zero = 0;

	d = bpf_map_lookup_elem(&drv_seen, &zero);
	if (d) {
		d->task = bpf_get_current_task();
		d->daxdev = daxdev;
		d->pgoff = pgoff;
		d->ret = ret;
	}
	return 0;
}

/*
 * Each driver's ->direct_access: only the return matters, so no entry
 * program (one less on every call). The fexit programs get their target
 * at load, from the target table.
 */
static __always_inline int drv_fexit(struct dax_device *dd, unsigned long pgoff,
				     long ret)
{
	if (CUT(CUT_EMPTY | CUT_BARE))
		return 0;
	return drv_exit((__u64)dd, pgoff, ret);
}

/* no args in a kretprobe: the next direct_access exit takes it as is */
SEC("fexit")
int BPF_PROG(fx_drv0, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv0, long ret)
{
	return drv_exit(0, 0, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv1, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv1, long ret)
{
	return drv_exit(0, 0, ret);
}

SEC("fexit")
int BPF_PROG(fx_drv2, struct dax_device *dd, unsigned long pgoff,
	     long nr_pages, enum dax_access_mode mode, void **kaddr,
	     pfn_t *pfn, long ret)
{
	return drv_fexit(dd, pgoff, ret);
}

SEC("kretprobe")
int BPF_KRETPROBE(kr_drv2, long ret)
{
	return drv_exit(0, 0, ret);
}

/* ---- dax_copy_to_iter / dax_copy_from_iter ------------------------------ */

/* The flag bits as this kernel numbers them, from CO-RE. */
static __always_inline __u32 copy_variant(__u32 op, unsigned long flags)
{
	return dt_copy_variant(op, flags,
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_ALIVE),
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_NOCACHE),
			       bpf_core_enum_value(enum dax_device_flags, DAXDEV_NOMC));
}

struct vma_probe {
	__u64 need;	/* VM_WRITE_ for copies to user, VM_READ_ from user */
	__u64 ok;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma,
		   struct vma_probe *p)
{
	p->ok = (BPF_CORE_READ(vma, vm_flags) & p->need) == p->need;
	return 0;
}

/*
 * Was the copy stopped by the user side (unmapped / protected byte)?
 * Global: copy_done()'s paths reach it eight ways, each verified again
 * when inlined; a short copy is rare, so the call costs nothing per read.
 */
__noinline __u32 short_side(__u32 op, __u64 iter_addr, __u64 *uaddr)
{
	struct iov_iter *iter = (struct iov_iter *)iter_addr;
	struct vma_probe p = {};

	if (!uaddr)
		return DT_SIDE_UNKNOWN;
	*uaddr = iter_user_pos(iter);
	if (!*uaddr)	/* kernel memory: no user side to blame */
		return DT_SIDE_UNKNOWN;
	p.need = op == DT_OP_COPY_TO_ITER ? VM_WRITE_ : VM_READ_;
	if (bpf_find_vma(bpf_get_current_task_btf(), *uaddr, vma_cb, &p, 0))
		return DT_SIDE_USER;	/* no VMA there at all */
	return p.ok ? DT_SIDE_SOURCE : DT_SIDE_USER;
}

_Static_assert(DT_VAR_MAX <= 8, "copy_done() masks a variant with 7");

/*
 * Global, so the verifier checks it once, where inlined it was checked
 * once per path into it: 24569 steps per copy program became 4570 (3563
 * since opaque()), and
 * the load took a third of the time. The price: a call, and the op and
 * lat_ok no longer constants here.
 */
__noinline int copy_done(struct tstate *ts, const struct copy_call *c,
			 __s64 ret, __u64 lat, __u32 lat_ok)
{
	__u32 why = 0, flags = 0, side = DT_SIDE_NONE, variant, measured;
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;
	__u64 uaddr = 0;
	struct where w;

	if (!ts || !c)
		return 0;
	measured = ts->v_measured;
	ts->v_measured = 0;
	op_where(ts, c->daxdev, &flags, &w);
	if (!w.wanted)
		return 0;
	variant = c->variant;

	if ((__u64)ret < c->bytes) {
		ts->c_side = short_side(c->op, c->iter, &uaddr);
		side = opaque(&ts->c_side);
		why |= DT_EV_SHORT | DT_EV_CHECK;
	}
	if (ts->l_valid && ts->l_kaddr && c->addr >= ts->l_kaddr &&
	    c->addr < ts->l_kaddr + ((__u64)ts->l_ret << PAGE_SHIFT_)) {
		/* l_kaddr is 0 unless it was read */
		flags |= DT_F_DA_LINKED | DT_F_KADDR;
		if (ts->l_chk & (1U << DT_CHK_DA_KADDR_KERNEL))
			flags |= DT_F_KADDR_BAD;
	}

	st = stats_at(w.slot, c->op, &row);
	if (st) {
		account(st, row, c->bytes, ret, lat, lat_ok);
		if (variant < DT_VAR_MAX) {
			__u32 i = variant;

			/*
			 * As for side below: clang may check a copy spilled
			 * to the stack and index with one filled from it,
			 * whose bound the verifier has lost (a CUT build
			 * was refused so). The mask, a no-op here, bounds it.
			 */
			barrier_var(i);
			__sync_fetch_and_add(&st->variant[i & 7], 1);
		}
		if (side && side < 4) {
			__u32 i = side;

			/* clang checks one copy, indexes with another */
			barrier_var(i);
			__sync_fetch_and_add(&st->short_side[i & 3], 1);
		}
	}
	verdict(st, DT_CHK_COPY_COMPLETE, dt_check_copy(c->bytes, ret));

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	e = ev_new(c->op, w.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = (why & DT_EV_CHECK) ? 1U << DT_CHK_COPY_COMPLETE : 0;
	e->flags = flags | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = c->pgoff;
	e->asked = c->bytes;
	e->ret = ret;
	e->addr = c->addr;
	e->user_addr = uaddr;
	if (uaddr)
		e->flags |= DT_F_UADDR;
	e->variant = measured ? measured : variant;
	e->side = side;
	if (measured)
		e->flags |= DT_F_VAR_MEASURED;
	if (ts->l_valid) {
		e->da_pgoff = ts->l_pgoff;
		e->da_ret = ts->l_ret;
		e->kaddr = ts->l_kaddr;
		e->pfn = ts->l_pfn;
	}
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * Entering a copy: the start time, and c_active, which the --deep copy
 * routine probes need. fentry mode attaches it only for --deep.
 */
static __always_inline struct tstate *copy_entry(void)
{
	struct tstate *ts = ts_inner();

	if (!ts)
		return NULL;
	ts->c_active = 1;
	ts->v_measured = 0;
	ts->c_start = now();
	return ts;
}

static __always_inline int copy_exit_btf(__u32 op, struct dax_device *dd,
					 __u64 pgoff, void *addr, __u64 bytes,
					 struct iov_iter *iter, __s64 ret)
{
	struct tstate *ts = CUT(CUT_EMPTY | CUT_BARE) ? NULL : ts_inner();
	struct copy_call c = {
		.daxdev = (__u64)dd, .pgoff = pgoff, .addr = (__u64)addr,
		.bytes = bytes, .iter = (__u64)iter, .op = op,
	};
	__u64 lat = 0;
	bool lat_ok;

	if (CUT(CUT_BARE))
		return bare_copy_exit(bytes, ret);
	if (!ts)
		return 0;
	lat_ok = took_start(&ts->c_active, ts->c_start, &lat);
	c.variant = copy_variant(op, dd->flags);
	copy_done(ts, &c, ret, lat, lat_ok);
	ts_put(ts);
	return 0;
}

static __always_inline int copy_entry_kp(__u32 op, struct dax_device *dd,
					 __u64 pgoff, void *addr, __u64 bytes,
					 struct iov_iter *iter)
{
	struct tstate *ts = copy_entry();

	if (!ts)
		return 0;
	ts->c.op = op;
	ts->c.daxdev = (__u64)dd;
	ts->c.pgoff = pgoff;
	ts->c.addr = (__u64)addr;
	ts->c.bytes = bytes;
	ts->c.iter = (__u64)iter;
	return 0;
}

static __always_inline int copy_exit_kp(__s64 ret)
{
	struct tstate *ts = ts_get();
	struct dax_device *dd;
	__u64 lat = 0;

	if (!ts || !took_start(&ts->c_active, ts->c_start, &lat))
		return 0;
	dd = (struct dax_device *)ts->c.daxdev;
	ts->c.variant = copy_variant(ts->c.op, BPF_CORE_READ(dd, flags));
	copy_done(ts, &ts->c, ret, lat, true);
	ts_put(ts);
	return 0;
}

SEC("fentry/dax_copy_to_iter")
int BPF_PROG(fe_cti)
{
	copy_entry();
	return 0;
}

SEC("fexit/dax_copy_to_iter")
int BPF_PROG(fx_cti, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_exit_btf(DT_OP_COPY_TO_ITER, dd, pgoff, addr, bytes, i, ret);
}

SEC("kprobe/dax_copy_to_iter")
int BPF_KPROBE(kp_cti, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes, struct iov_iter *i)
{
	return copy_entry_kp(DT_OP_COPY_TO_ITER, dd, pgoff, addr, bytes, i);
}

SEC("kretprobe/dax_copy_to_iter")
int BPF_KRETPROBE(kr_cti, long ret)
{
	return copy_exit_kp(ret);
}

SEC("fentry/dax_copy_from_iter")
int BPF_PROG(fe_cfi)
{
	copy_entry();
	return 0;
}

SEC("fexit/dax_copy_from_iter")
int BPF_PROG(fx_cfi, struct dax_device *dd, unsigned long pgoff,
	     void *addr, size_t bytes, struct iov_iter *i, size_t ret)
{
	return copy_exit_btf(DT_OP_COPY_FROM_ITER, dd, pgoff, addr, bytes, i, ret);
}

SEC("kprobe/dax_copy_from_iter")
int BPF_KPROBE(kp_cfi, struct dax_device *dd, unsigned long pgoff,
	       void *addr, size_t bytes, struct iov_iter *i)
{
	return copy_entry_kp(DT_OP_COPY_FROM_ITER, dd, pgoff, addr, bytes, i);
}

SEC("kretprobe/dax_copy_from_iter")
int BPF_KRETPROBE(kr_cfi, long ret)
{
	return copy_exit_kp(ret);
}

/*
 * --deep: the copy routines. They run for all I/O on the machine, so they
 * only record when a dax copy is in flight on this thread.
 */
static __always_inline int var_exit(__u32 variant, __s64 ret)
{
	struct tstate *ts = ts_get();

	if (ts && ts->c_active)
		ts->v_measured = variant;
	return 0;
}

/*
 * copy_mc_to_user runs only under _copy_mc_to_iter for user iterators:
 * where _copy_mc_to_iter itself cannot be probed (6.1: notrace), it still
 * proves which variant ran.
 */
static __always_inline int mcu_exit(__s64 left)
{
	struct tstate *ts = ts_get();

	if (ts && ts->c_active && !ts->v_measured)
		ts->v_measured = DT_VAR_COPY_MC_TO_ITER;
	return 0;
}

/* fexit or kretprobe on a copy routine: only its return is needed. */
SEC("fexit/_copy_to_iter")
int BPF_PROG(fx_v_cti, const void *addr, size_t bytes,
	     struct iov_iter *i, size_t ret)
{
	return var_exit(DT_VAR_COPY_TO_ITER, ret);
}

SEC("kretprobe/_copy_to_iter")
int BPF_KRETPROBE(kr_v_cti, long ret)
{
	return var_exit(DT_VAR_COPY_TO_ITER, ret);
}

SEC("fexit/_copy_mc_to_iter")
int BPF_PROG(fx_v_cmti, const void *addr, size_t bytes,
	     struct iov_iter *i, size_t ret)
{
	return var_exit(DT_VAR_COPY_MC_TO_ITER, ret);
}

SEC("kretprobe/_copy_mc_to_iter")
int BPF_KRETPROBE(kr_v_cmti, long ret)
{
	return var_exit(DT_VAR_COPY_MC_TO_ITER, ret);
}

SEC("fexit/copy_mc_to_user")
int BPF_PROG(fx_v_mcu, void *to, const void *from, unsigned int len,
	     unsigned long ret)
{
	return mcu_exit(ret);
}

SEC("kretprobe/copy_mc_to_user")
int BPF_KRETPROBE(kr_v_mcu, long ret)
{
	return mcu_exit(ret);
}

/* ---- faults ------------------------------------------------------------ */

static __always_inline void fault_account(const struct where *w, __u32 size,
					  __u32 ret, __u64 pgoff, __u64 ino,
					  __u64 lat, bool lat_ok, __u32 seq)
{
	__u32 why = 0, flags = 0, err = ret & DT_VMF_ERROR;
	__u32 res = dt_fault_result(ret);
	__u64 bytes = dt_fault_bytes(size);
	struct dt_stats *st;
	__u32 row;
	struct dt_event *e;

	if (!w->wanted)
		return;
	st = stats_at(w->slot, DT_OP_FAULT, &row);
	if (st) {
		__sync_fetch_and_add(&st->bytes_req, dt_fault_asked(res, size));
		if (lat_ok) {
			__sync_fetch_and_add(&st->lat_sum_ns, lat);
			hist_add(row, DT_HIST_LAT, lat);
		}
		__sync_fetch_and_add(dt_fault_counter(st, res, size), 1);
		if (res == DT_FAULT_RES_DONE) {
			__sync_fetch_and_add(&st->bytes_done, bytes);
			hist_add(row, DT_HIST_LEN, bytes);
		}
	}
	if (err) {
		count_error(w->dev, DT_OP_FAULT, err);
		why |= DT_EV_ERROR;
	}
	if (ret & DT_VMF_FALLBACK)
		flags |= DT_F_FALLBACK;
	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return;
	e = ev_new(DT_OP_FAULT, w->dev, why);
	if (!e)
		return;
	e->lat_ns = lat;
	e->flags = flags | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = pgoff << PAGE_SHIFT_;
	e->asked = bytes;
	e->ret = ret;
	e->ino = ino;
	e->fault_size = size;
	e->seq = seq;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int fault_entry(struct vm_fault *vmf, __u32 pe)
{
	struct inode *inode;
	struct tstate *ts;

	ts = ts_enter();
	if (!ts)
		return 0;
	inode = BPF_CORE_READ(vmf, vma, vm_file, f_inode);
	ts->f_active = 1;
	where_dev_cached(ts, &ts->f_where, inode_dev(inode));
	ts->f_pgoff = BPF_CORE_READ(vmf, pgoff);
	ts->f_ino = BPF_CORE_READ(inode, i_ino);
	ts->f_size = dt_fault_size(pe);
	ts->seq++;
	ts->f_start = now();
	return 0;
}

/* Global, as copy_done() is: each fault exit 1471 verifier steps to 780. */
__noinline int fault_done(struct tstate *ts, __u32 ret)
{
	if (!ts)
		return 0;
	ts->f_active = 0;
	fault_account(&ts->f_where, ts->f_size, ret, ts->f_pgoff, ts->f_ino,
		      now() - ts->f_start, true, ts->seq);
	return 0;
}

static __always_inline int fault_exit(__u32 ret)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->f_active)
		return 0;
	fault_done(ts, ret);
	ts_put(ts);
	return 0;
}

/* fexit: the return value without declaring the handler's arguments */
static __always_inline int fault_fexit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return fault_exit(ret);
}

/* dax_iomap_fault (fs-dax) and dev_dax_huge_fault (device-dax) alike. */
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

/*
 * Tracepoint fallback for fs-dax faults where dax_iomap_fault cannot be
 * probed: the *_fault_done events carry the result but no latency.
 */
SEC("tracepoint/fs_dax/dax_pte_fault_done")
int tp_pte_done(struct trace_event_raw_dax_pte_fault_class *ctx)
{
	struct where w;

	if (!task_wanted())
		return 0;
	where_dev(&w, ctx->dev);
	fault_account(&w, DT_FAULT_PTE, ctx->result, ctx->pgoff, ctx->ino, 0,
		      false, 0);
	return 0;
}

SEC("tracepoint/fs_dax/dax_pmd_fault_done")
int tp_pmd_done(struct trace_event_raw_dax_pmd_fault_class *ctx)
{
	struct where w;

	if (!task_wanted())
		return 0;
	where_dev(&w, ctx->dev);
	fault_account(&w, DT_FAULT_PMD, ctx->result, ctx->pgoff, ctx->ino, 0,
		      false, 0);
	return 0;
}
