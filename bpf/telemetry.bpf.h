/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --telemetry: ops, bytes, errors, shorts and the length and latency
 * histograms of reads and writes from dax_iomap_rw alone, and faults by
 * size and result from the fault handlers' exits. No per-thread state
 * beyond one word per thread slot, no check, no event but a fault's
 * error, and no atomic instruction but on the first sight of a device
 * (its slot) and in the counts of what a full map lost.
 */
#ifndef __DT_TELEMETRY_BPF_H
#define __DT_TELEMETRY_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"
#include "fault.bpf.h"

/* log2(--thread-slots): the tid's bits above the slot index make its tag */
const volatile __u32 tslot_shift = 12;

/*
 * A thread slot (tid % N, as tfast's) of --telemetry. start: the
 * read/write in flight, start_ns << DT_TEL_TAG_BITS | the tid's tag, so
 * that one 8-byte store sets it whole: a slot index and its tag are the
 * whole tid (pid_max <= 2^22), unique among live threads. Two threads
 * sharing a slot overwrite each other's word, never mix them: the exit
 * whose tag is gone counts its op without a latency. dev: a memo of the
 * last device counted through the slot, dev << 32 | DT_TEL_MEMO | slot +
 * 1 (0: not wanted); -d and the device slots never change in a run, so
 * any thread's memo is right for all.
 */
#define DT_TEL_TAG_BITS	22
#define DT_TEL_TAG	((1ULL << DT_TEL_TAG_BITS) - 1)
#define DT_TEL_MEMO	0x80000000U

struct tel_slot {
	__u64 start;
	__u64 dev;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DT_TFAST);
	__type(key, __u32);
	__type(value, struct tel_slot);
} tel_slots SEC(".maps");

static __always_inline struct tel_slot *tel_slot(__u32 tid)
{
	__u32 i = tid & tfast_mask;

	return bpf_map_lookup_elem(&tel_slots, &i);
}

static __always_inline __u64 tel_tag(__u32 tid)
{
	return (tid >> tslot_shift) & DT_TEL_TAG;
}

/* The device's where, through the slot's memo: a hash look-up per new device. */
static __always_inline void tel_where(struct tel_slot *s, __u32 dev,
				      struct where *w)
{
	__u64 memo = s->dev;
	__u32 low = memo;

	if (memo >> 32 == dev && (low & DT_TEL_MEMO)) {
		low &= ~DT_TEL_MEMO;
		w->dev = dev;
		w->wanted = low != 0;
		w->slot = (__s32)low - 1;
		return;
	}
	where_dev(w, dev);
	if (!w->wanted)
		s->dev = (__u64)dev << 32 | DT_TEL_MEMO;
	else if (w->slot >= 0)	/* -1: no slot left, ask again */
		s->dev = (__u64)dev << 32 | DT_TEL_MEMO | (w->slot + 1);
}

/* What --telemetry keeps of a read or write, whichever programs saw it. */
static __always_inline void tel_rw_count(const struct where *w, __u32 op,
					 __u64 asked, __s64 ret, __u64 lat,
					 bool lat_ok)
{
	struct dt_stats *st = stats_at(w->slot, op);

	if (st)
		account(NULL, st, asked, ret, lat, lat_ok);
	if (ret < 0)
		count_error(w->dev, op, -ret);
}

static __always_inline int tel_rw_entry(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct tel_slot *s;

	if (!task_wanted())
		return 0;
	s = tel_slot(tid);
	if (s)
		*(volatile __u64 *)&s->start = now() << DT_TEL_TAG_BITS | tel_tag(tid);
	return 0;
}

/*
 * What was asked comes from the iterator: dax_iomap_rw() advances it by
 * what it returns (a -errno: nothing), so what is left plus that is what
 * it was handed.
 */
static __always_inline int tel_rw_exit(struct kiocb *iocb, struct iov_iter *iter,
				       __s64 ret)
{
	__u32 tid = bpf_get_current_pid_tgid(), op;
	__u64 w, lat = 0, done = ret > 0 ? ret : 0;
	struct inode *inode;
	struct tel_slot *s;
	struct where wh;
	bool lat_ok = false;

	if (!task_wanted())
		return 0;
	s = tel_slot(tid);
	if (!s)
		return 0;
	w = *(volatile __u64 *)&s->start;
	if (w && (w & DT_TEL_TAG) == tel_tag(tid)) {
		s->start = 0;
		/* modulo 2^42 ns, the start's bits: right up to 73 minutes */
		lat = ((now() << DT_TEL_TAG_BITS) - (w & ~DT_TEL_TAG)) >> DT_TEL_TAG_BITS;
		lat_ok = true;
	}
	inode = iocb->ki_filp->f_inode;
	tel_where(s, inode_dev_btf(inode), &wh);
	if (!wh.wanted)
		return 0;
	op = iter_dir_btf(iter) == DT_WRITE ? DT_OP_WRITE : DT_OP_READ;
	tel_rw_count(&wh, op, iter->count + done, ret, lat, lat_ok);
	return 0;
}

/*
 * Where --telemetry takes kprobes (a preemptible kernel), the return has
 * no arguments: the entry keeps what the exit needs in the thread's
 * state, taken as the default mode takes it (the thread's slot, else
 * task storage), and the exit counts what tel_rw_exit() counts, nothing
 * more: no check, no event, no per-file row.
 */
static __always_inline int tel_rw_kprobe(struct kiocb *iocb,
					 struct iov_iter *iter)
{
	struct inode *inode = BPF_CORE_READ(iocb, ki_filp, f_inode);
	struct tstate *ts = ts_enter();

	if (!ts)
		return 0;
	/* left by a fault exit the kernel skipped (kretprobe maxactive) */
	ts->fault.active = 0;
	ts->rw.active = 1;
	ts->rw.op = iter_dir(iter) == DT_WRITE ? DT_OP_WRITE : DT_OP_READ;
	where_dev_cached(ts, &ts->rw.where, inode_dev(inode));
	ts->rw.asked = BPF_CORE_READ(iter, count);
	ts->rw.start_ns = now();
	return 0;
}

static __always_inline int tel_rw_kretprobe(__s64 ret)
{
	struct tstate *ts = ts_get();

	if (!ts || !ts->rw.active)
		return 0;
	ts->rw.active = 0;
	if (ts->rw.where.wanted)
		tel_rw_count(&ts->rw.where, ts->rw.op, ts->rw.asked, ret,
			     now() - ts->rw.start_ns, true);
	return 0;
}

/* A fault handler's exit: its size, result and device, no latency. */
static __always_inline int tel_fault_exit(void *ctx, struct vm_fault *vmf,
					  __u32 pe)
{
	struct inode *inode;
	struct where w;
	__u64 ret = 0;

	if (!task_wanted())
		return 0;
	bpf_get_func_ret(ctx, &ret);
	inode = BPF_CORE_READ(vmf, vma, vm_file, f_inode);
	where_dev(&w, inode_dev(inode));
	fault_account(&w, dt_fault_size(pe), ret, BPF_CORE_READ(vmf, pgoff),
		      BPF_CORE_READ(inode, i_ino), 0, false, 0, NULL);
	return 0;
}

#endif /* __DT_TELEMETRY_BPF_H */
