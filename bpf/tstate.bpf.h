/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding, taking and giving back a thread's state (struct tstate). A
 * thread takes its slot at its first op, if free, and keeps it until it
 * exits; ops nest (a fault inside a read's copy), and a thread whose slot
 * is another's keeps all its ops in task storage, so every exit finds its
 * op where its entry put it: in the slot if the thread owns it, else in
 * task storage.
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

/* id: the thread's bpf_get_current_pid_tgid(), never 0; its tid picks the slot */
static __always_inline struct tstate *ts_slot(__u64 id)
{
	__u32 i = (__u32)id & tfast_mask;

	return bpf_map_lookup_elem(&tfast, &i);
}

/* Thread id's slot, if id holds it: the owner word is the holder's id. */
static __always_inline struct tstate *ts_owned(__u64 id)
{
	struct tstate *ts = ts_slot(id);

	return ts && ts->owner == id ? ts : NULL;
}

/* The state of the op in flight on this thread, if any. */
static __always_inline struct tstate *ts_get(void)
{
	struct tstate *ts = ts_owned(bpf_get_current_pid_tgid());

	if (ts)
		return ts;
	return bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0, 0);
}

static __always_inline bool ts_in_flight(const struct tstate *ts)
{
	return ts->rw.active || ts->fault.active || ts->da.active || ts->copy.active;
}

/*
 * This thread's slot: ours already, or free, and then ours until the
 * thread exits (ts_thread_exit()), keeping only seq, so that a tid's seq
 * never repeats. Another live thread's: NULL, and the caller uses task
 * storage. A slot changes owner once per thread, not per op, so the
 * cmpxchg that settles a race for a free one is no cost per op. Not while
 * an op of this thread kept in task storage is in flight: the ops nested
 * in it and its exit look there.
 */
static __always_inline struct tstate *ts_claim(__u64 me)
{
	struct tstate *ts = ts_slot(me), *old;
	__u64 owner;

	if (!ts)
		return NULL;
	owner = ts->owner;
	if (owner == me)
		return ts;
	if (owner)
		return NULL;
	old = bpf_task_storage_get(&tstates, bpf_get_current_task_btf(), 0, 0);
	if (old && ts_in_flight(old))
		return NULL;
	if (__sync_val_compare_and_swap(&ts->owner, 0, me) != 0)
		return NULL;
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
 * A thread exits: its slot is free for the next thread with its tid
 * modulo N. A plain store: only the owner writes an owned slot (others
 * only compare-and-swap a free one), and an aligned 8-byte store is seen
 * whole. An exit the kernel skipped leaves the slot taken: the threads
 * that map to it use task storage, counted in thread_overflow.
 */
static __always_inline void ts_thread_exit(void)
{
	struct tstate *ts = ts_owned(bpf_get_current_pid_tgid());

	if (ts)
		*(volatile __u64 *)&ts->owner = 0;
}

#endif /* __DT_TSTATE_BPF_H */
