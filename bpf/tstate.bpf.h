/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding, taking and releasing a thread's state (struct tstate). Ops
 * nest (a fault inside a read's copy) and a thread's slot, once busy,
 * takes every op nested in it; so at any exit, a slot busy with this
 * thread holds the innermost op, else task storage does.
 */
#ifndef __DT_TSTATE_BPF_H
#define __DT_TSTATE_BPF_H

#include "maps.bpf.h"

/* Does -p/-c want the current thread? */
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

static __always_inline struct tstate *ts_slot(__u32 tid)
{
	__u32 i = tid & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

/* The state of the op in flight on this thread, if any. */
static __always_inline struct tstate *ts_get(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct tstate *ts = ts_slot(tid);

	if (ts && ts->owner == ((__u64)tid << 1 | TS_BUSY))
		return ts;
	return bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0, 0);
}

/*
 * Take this thread's slot for an op: it is ours already, or idle (then it
 * changes owner, keeping only seq, so a tid's seq never repeats). Busy
 * with another thread's op: NULL, and the caller uses task storage. The
 * owner alone writes a busy slot, so only taking it needs a cmpxchg.
 */
static __always_inline struct tstate *ts_claim(__u32 tid)
{
	__u64 me = (__u64)tid << 1, owner;
	struct tstate *ts = ts_slot(tid);

	if (!ts)
		return NULL;
	owner = ts->owner;
	if (owner == (me | TS_BUSY))
		return ts;
	if (owner & TS_BUSY)
		return NULL;
	if (__sync_val_compare_and_swap(&ts->owner, owner, me | TS_BUSY) != owner)
		return NULL;
	if (owner != me)
		__builtin_memset(&ts->rw, 0,	/* u64 stores, not u8 */
				 sizeof(*ts) - offsetof(struct tstate, rw));
	return ts;
}

/* Entering a traced operation: the thread's state, if -p/-c want it. */
static __always_inline struct tstate *ts_enter(void)
{
	struct tstate *ts;

	if (!task_wanted())
		return NULL;
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

/*
 * The state for an exit that may have had no entry program: the thread's
 * own inside a traced read/write/fault, else one for a thread -p/-c want.
 */
static __always_inline struct tstate *ts_inner(void)
{
	struct tstate *ts = ts_get();

	if (ts && (ts->rw.active || ts->fault.active))
		return ts;
	return ts_enter();
}

/*
 * An op has ended: the slot is free to change owner once none is left.
 * A plain store, no atomic: while the slot is busy only its owner writes
 * it (others only compare-and-swap an idle one), an aligned 8-byte store
 * is seen whole, and x86-64 makes the stores before it visible first;
 * barrier() keeps the compiler from moving them after it.
 */
static __always_inline void ts_put(struct tstate *ts)
{
	__u64 owner = ts->owner;

	if ((owner & TS_BUSY) && !ts->rw.active && !ts->fault.active &&
	    !ts->da.active && !ts->copy.active) {
		barrier();
		*(volatile __u64 *)&ts->owner = owner & ~TS_BUSY;
	}
}

#endif /* __DT_TSTATE_BPF_H */
