/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one contract between dax_trace.bpf.c and user space: record
 * layouts, op and check enums, histogram sizes. Only fixed-width types,
 * no includes, so both sides can use it as is.
 */
#ifndef __DAXTRACE_H
#define __DAXTRACE_H

#define DT_COMM_LEN	16
#define DT_HIST_SLOTS	40	/* log2 buckets: 2^39 ns ~ 9 min */
#define DT_MAX_DEVS	64	/* -d filter entries */
#define DT_TFAST	4096	/* per-thread state slots: tid % N (--thread-slots) */
#define DT_TFAST_MAX	65536
#define DT_FILES	1024	/* files map slots per CPU, a power of 2 */
#define DT_FILE_PROBES	8	/* slots a file may take, from its hash on */
#define DT_TOP_FILES	10	/* --top-files default */
#define DT_TOP_FILES_MAX 100

enum dt_op {
	DT_OP_READ,
	DT_OP_WRITE,
	DT_OP_ITER,
	DT_OP_DIRECT_ACCESS,
	DT_OP_COPY_TO_ITER,
	DT_OP_COPY_FROM_ITER,
	DT_OP_FAULT,
	DT_OP_MAX,
};

enum dt_check {
	DT_CHK_DA_RET_RANGE,	/* 0 < ret <= nr_pages, or a known -errno */
	DT_CHK_DA_KADDR_KERNEL,	/* kaddr is a kernel virtual address */
	DT_CHK_DA_KADDR_PFN,	/* kaddr == __va(pfn) in the direct map */
	DT_CHK_COPY_COMPLETE,	/* copied == bytes */
	DT_CHK_ITER_PROGRESS,	/* every iomap iteration made progress */
	DT_CHK_RW_COMPLETE,	/* read/write returned what was asked */
	DT_CHK_FAULT_SIZE,	/* a fault mapped the largest page it could */
	DT_CHK_MAX,
};

enum dt_verdict {
	DT_PASS,
	DT_FAIL,
	DT_NA,
	DT_VERDICT_MAX,
};

/* Which copy routine dax_copy_{to,from}_iter picked (from dax flags). */
enum dt_variant {
	DT_VAR_NONE,		/* not a copy, or device not alive */
	DT_VAR_COPY_TO_ITER,	/* _copy_to_iter */
	DT_VAR_COPY_MC_TO_ITER,	/* _copy_mc_to_iter (DAXDEV_NOMC) */
	DT_VAR_COPY_FROM_ITER,	/* _copy_from_iter */
	DT_VAR_COPY_FROM_ITER_FLUSHCACHE, /* DAXDEV_NOCACHE */
	DT_VAR_DEAD,		/* !dax_alive(): copy returns 0 */
	DT_VAR_MAX,
};

/* Where a short copy came from. */
enum dt_side {
	DT_SIDE_NONE,
	DT_SIDE_USER,		/* first uncopied user byte is not accessible */
	DT_SIDE_SOURCE,		/* user byte fine: kaddr or media declined */
	DT_SIDE_UNKNOWN,	/* not a user iter, could not tell */
};

enum dt_fault_size {
	DT_FAULT_PTE,
	DT_FAULT_PMD,
	DT_FAULT_PUD,
	DT_FAULT_SIZES,
};

/* fault.size: why a fault could not map a larger page, or why it failed */
#define DT_FSZ_VMA	(1U << 0)	/* aligned range not in the VMA, or off colour */
#define DT_FSZ_DEV	(1U << 1)	/* device-dax maps only pages of its alignment */
#define DT_FSZ_FILE	(1U << 2)	/* the aligned range passes i_size */
#define DT_FSZ_COW	(1U << 3)	/* a write to a private mapping copies a page */
#define DT_FSZ_FSDAX	(1U << 4)	/* fs-dax maps no PUD */
#define DT_FSZ_TABLE	(1U << 5)	/* a page table already under that level */
#define DT_FSZ_FELL	(1U << 6)	/* that size fell back here just before */
#define DT_FSZ_KERNEL	(1U << 7)	/* smaller than all of the above allowed */
#define DT_FSZ_NOHUGE	(1U << 8)	/* madvise(MADV_NOHUGEPAGE) on the VMA */
#define DT_FSZ_THPOFF	(1U << 9)	/* a failure: the process turned THP off */
#define DT_FSZ_NBITS	10

/* Ring-buffer record kinds: every record opens with one. */
enum dt_rec_kind {
	DT_REC_EVENT = 1,
};

/* Why an event crossed the ring buffer. */
#define DT_EV_SNOOP	(1U << 0)	/* --snoop */
#define DT_EV_ERROR	(1U << 1)	/* returned -errno / VM_FAULT_ERROR */
#define DT_EV_SHORT	(1U << 2)	/* returned less than asked */
#define DT_EV_CHECK	(1U << 3)	/* a check failed: see check_fail */

/* Flags recorded with an event. */
#define DT_F_DA_LINKED	(1U << 0)	/* copy's addr lies in da kaddr range */
#define DT_F_EOF	(1U << 1)	/* read ended at i_size */
#define DT_F_FALLBACK	(1U << 2)	/* fault returned VM_FAULT_FALLBACK */
#define DT_F_NO_CTX	(1U << 3)	/* not inside a traced read/write/fault */
#define DT_F_PFN	(1U << 4)	/* direct_access: *pfn was read */
#define DT_F_NO_LAT	(1U << 5)	/* no entry program ran: lat_ns unknown */
#define DT_F_DRV	(1U << 6)	/* drv_ret was captured */
#define DT_F_KADDR	(1U << 7)	/* direct_access: *kaddr was read */
#define DT_F_VAR_MEASURED (1U << 8)	/* copy variant seen, not inferred */
#define DT_F_UADDR	(1U << 9)	/* copy: user_addr was found */
#define DT_F_KADDR_BAD	(1U << 10)	/* copy: its da failed kaddr_kernel */
#define DT_F_FSZ	(1U << 11)	/* fault: fault.size was judged */

struct dt_event {
	__u32 kind;		/* DT_REC_EVENT */
	__u32 op;		/* enum dt_op */
	__u64 ts_ns;		/* bpf_ktime_get_ns() at return */
	__u64 lat_ns;
	__u32 pid;
	__u32 tid;
	char comm[DT_COMM_LEN];
	__u32 dev;		/* kernel dev_t: major << 20 | minor */
	__u32 why;		/* DT_EV_* */
	__u32 check_fail;	/* bit per enum dt_check that failed */
	__u32 flags;		/* DT_F_* */
	__u64 pos;		/* file pos (rw, fault) or pgoff (da, copy) */
	__u64 asked;		/* bytes (rw, copy) or pages (da) */
	__s64 ret;		/* bytes, pages, -errno or vm_fault_t */
	__u64 ino;
	__u64 isize;		/* rw: i_size at return */
	/* direct_access: what came back; copy: the da that produced addr */
	__u64 da_pgoff;
	__s64 da_ret;
	__s64 drv_ret;		/* driver's own return before clamping */
	__u64 kaddr;
	__u64 pfn;
	__u64 addr;		/* copy: kernel source/dest address */
	__u64 user_addr;	/* copy: first uncopied user byte */
	__u32 variant;		/* enum dt_variant */
	__u32 side;		/* enum dt_side */
	__u32 fault_size;	/* enum dt_fault_size */
	__u32 seq;		/* per-thread op sequence: ties copy to rw */
	/* fault: what fault.size judged on (DT_F_FSZ) */
	__u64 vm_start;
	__u64 vm_end;
	__u64 address;		/* the faulting user address */
	__u32 best;		/* enum dt_fault_size: the largest it could map */
	__u32 size_why;		/* DT_FSZ_*: why not larger, or why it failed */
};

struct dt_key {
	__u32 dev;
	__u32 op;
};

struct dt_stats {
	__u64 calls;			/* BPF side: scratch, see dt_stats_calls() */
	__u64 bytes_req;
	__u64 bytes_done;
	__u64 shorts;
	__u64 errors;
	__u64 oks;			/* neither short nor error (not faults) */
	__u64 lat_sum_ns;		/* over the calls in lat_hist only */
	__u64 faults[DT_FAULT_SIZES];	/* fault: completed, by size */
	__u64 fallbacks;		/* fault: VM_FAULT_FALLBACK */
	__u64 variant[DT_VAR_MAX];	/* copy: routine chosen */
	__u64 short_side[4];		/* copy: enum dt_side of shorts */
	__u64 chk[DT_CHK_MAX][DT_VERDICT_MAX];	/* verdicts of this op's checks */
	__u64 len_hist[DT_HIST_SLOTS];	/* log2 of returned length */
	__u64 lat_hist[DT_HIST_SLOTS];	/* log2 of latency in ns, where measured */
};

/*
 * Every call ends in exactly one result counter, so the BPF side keeps no
 * calls counter of its own (one atomic add less per op): this is it.
 */
static inline __u64 dt_stats_calls(const struct dt_stats *st)
{
	__u64 n = st->errors + st->shorts + st->oks + st->fallbacks;
	int i;

	for (i = 0; i < DT_FAULT_SIZES; i++)
		n += st->faults[i];
	return n;
}

/*
 * The verdict each check gives most: its op's exit on the BPF side counts
 * only the others (a counter add less per check per call). kaddr_pfn
 * needs a pfn, which reads and writes do not ask for.
 */
static inline __u32 dt_check_usual(__u32 check)
{
	return check == DT_CHK_DA_KADDR_PFN ? DT_NA : DT_PASS;
}

/* Does op's exit judge check, once on every call it counts? */
static inline int dt_op_judges(__u32 op, __u32 check)
{
	switch (check) {
	case DT_CHK_DA_RET_RANGE:
	case DT_CHK_DA_KADDR_KERNEL:
	case DT_CHK_DA_KADDR_PFN:
		return op == DT_OP_DIRECT_ACCESS;
	case DT_CHK_COPY_COMPLETE:
		return op == DT_OP_COPY_TO_ITER || op == DT_OP_COPY_FROM_ITER;
	case DT_CHK_ITER_PROGRESS:
		return op == DT_OP_ITER;
	case DT_CHK_RW_COMPLETE:
		return op == DT_OP_READ || op == DT_OP_WRITE;
	case DT_CHK_FAULT_SIZE:
		return op == DT_OP_FAULT;
	}
	return 0;
}

/*
 * The usual verdicts of a BPF stats entry: the calls its op's other
 * verdicts do not account for. st->calls must be dt_stats_calls().
 */
static inline void dt_stats_usual(struct dt_stats *st, __u32 op)
{
	__u32 c, v, u;
	__u64 n;

	for (c = 0; c < DT_CHK_MAX; c++) {
		if (!dt_op_judges(op, c))
			continue;
		u = dt_check_usual(c);
		n = st->calls;
		for (v = 0; v < DT_VERDICT_MAX; v++)
			if (v != u)
				n -= st->chk[c][v];
		st->chk[c][u] = n;
	}
}

struct dt_err_key {
	__u32 dev;
	__u32 op;
	__s32 err;		/* positive errno, or vm_fault bits for faults */
	__u32 pad;
};

struct dt_chk_key {
	__u32 dev;
	__u32 check;
};

struct dt_chk_val {
	__u64 n[DT_VERDICT_MAX];
};

/* Media errors (-EIO/-EHWPOISON from direct_access) by device and page. */
struct dt_media_key {
	__u32 dev;
	__u32 pad;
	__u64 pgoff;
};

/* The files map: a file by its filesystem's device and inode number. */
struct dt_file_key {
	__u32 dev;
	__u32 used;		/* files map: the slot holds this file */
	__u64 ino;
};

/*
 * A file's counters (a per-CPU value on the BPF side, summed by user
 * space). Reads, writes and faults are calls, fallbacks included, as the
 * device summary counts them.
 */
struct dt_file_val {
	__u64 reads;
	__u64 writes;
	__u64 faults;
	__u64 bytes_read;	/* returned by reads */
	__u64 bytes_written;	/* returned by writes */
	__u64 errors;		/* reads/writes that returned -errno, faults VM_FAULT_ERROR */
	__u64 short_copies;	/* copies inside its reads/writes that copied less */
	__u64 pte_fallbacks;	/* PMD faults that fell back (to PTEs) */
};

/* A files map slot: each CPU's copy of the map is a table of its own. */
struct dt_file_slot {
	struct dt_file_key key;
	struct dt_file_val v;
};

/* Where a file's slots start in the files map (a multiplicative hash). */
static inline __u32 dt_file_hash(__u32 dev, __u64 ino)
{
	return (__u32)(((ino ^ ((__u64)dev << 32)) * 0x9e3779b97f4a7c15ULL) >> 40);
}

/* Where the BPF side tells user space about its own losses. */
struct dt_bpf_stats {
	__u64 rb_dropped;	/* ring buffer full */
	__u64 map_full;		/* stats/errors/checks update failed */
	__u64 thread_overflow;	/* ops kept in task storage: thread slot busy */
	__u64 file_full;	/* ops not counted per file: files map full */
};

#endif /* __DAXTRACE_H */
